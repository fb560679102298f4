-- Launches per site per year for the stacked bar chart (sites summed over countries; only non-zero
-- cells). The mart labels launches without a known site '(unknown site)'.
SELECT site, year, sum(launches)::BIGINT AS launches
FROM launches_per_site_per_year
WHERE year IS NOT NULL
GROUP BY site, year
ORDER BY year, site;

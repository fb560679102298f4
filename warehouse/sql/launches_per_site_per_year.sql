-- Mart: launches per site per year. Launches whose site is unknown are counted in their own row
-- ('(unknown site)'), never dropped. Reads the stored launches directly (no join with events).
CREATE OR REPLACE VIEW launches_per_site_per_year AS
SELECT coalesce(site, '(unknown site)') AS site, country, year, count(*) AS launches
FROM stg_launches
GROUP BY ALL
ORDER BY year, site, country;

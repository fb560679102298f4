-- Launches per country per year (country of the launch site; '(unknown country)' when not known).
SELECT coalesce(country, '(unknown country)') AS category, year, count(*)::BIGINT AS launches
FROM launches
WHERE year IS NOT NULL
GROUP BY ALL
ORDER BY year, category;

-- Launches per outcome per year ('(unknown outcome)' when the text does not say).
SELECT coalesce(outcome, '(unknown outcome)') AS category, year, count(*)::BIGINT AS launches
FROM launches
WHERE year IS NOT NULL
GROUP BY ALL
ORDER BY year, category;

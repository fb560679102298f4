-- Crewed vs uncrewed launches per year ('unknown' when the classifier could not tell).
SELECT CASE WHEN crewed THEN 'crewed' WHEN NOT crewed THEN 'uncrewed' ELSE 'unknown' END AS category,
       year, count(*)::BIGINT AS launches
FROM launches
WHERE year IS NOT NULL
GROUP BY ALL
ORDER BY year, category;

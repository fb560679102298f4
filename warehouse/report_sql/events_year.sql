-- Events per year, split into space launches and everything else.
SELECT year,
       count(*)::BIGINT                                        AS events,
       count(*) FILTER (WHERE kind = 'space_launch')::BIGINT   AS launch_events
FROM events
WHERE year IS NOT NULL
GROUP BY year
ORDER BY year;

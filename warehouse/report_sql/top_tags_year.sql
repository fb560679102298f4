-- The $k most frequent tags of each year (events carrying the tag, from any origin); ties by name.
WITH counts AS (
    SELECT year, tag, count(DISTINCT event_id)::BIGINT AS events
    FROM tags
    WHERE year IS NOT NULL AND tag IS NOT NULL AND tag <> ''
    GROUP BY year, tag
)
SELECT year, tag, events
FROM counts
QUALIFY row_number() OVER (PARTITION BY year ORDER BY events DESC, tag) <= $k
ORDER BY year, events DESC, tag;

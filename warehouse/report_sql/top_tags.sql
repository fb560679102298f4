-- The $k most frequent tags overall (offered as other graph centres).
SELECT tag, count(DISTINCT event_id)::BIGINT AS events
FROM tags
WHERE tag IS NOT NULL AND tag <> ''
GROUP BY tag
ORDER BY events DESC, tag
LIMIT $k;

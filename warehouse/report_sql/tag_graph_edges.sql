-- Related-events graph around tag $tag: every resolved Related link that touches an event carrying the
-- tag, or whose shared context names the tag. One row per undirected pair (a < b), self-links dropped.
WITH seed AS (
    SELECT DISTINCT event_id FROM tags WHERE tag = $tag
),
links AS (
    SELECT r.event_id AS src, r.target_event_id AS dst
    FROM relations r
    WHERE r.target_event_id IS NOT NULL
      AND r.target_event_id <> r.event_id
      AND (r.event_id IN (SELECT event_id FROM seed)
           OR r.target_event_id IN (SELECT event_id FROM seed)
           OR list_contains(r.context, $tag))
)
SELECT least(src, dst) AS a, greatest(src, dst) AS b, count(*)::BIGINT AS links
FROM links
GROUP BY ALL
ORDER BY a, b;

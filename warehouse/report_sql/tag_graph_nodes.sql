-- Nodes of the graph around tag $tag: events carrying the tag (seed = true) and the events they are
-- linked with (same link rule as tag_graph_edges.sql), with what a hover label needs.
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
),
ids AS (
    SELECT event_id FROM seed
    UNION SELECT src FROM links
    UNION SELECT dst FROM links
)
SELECT e.event_id, e.date, e.headline, e.kind,
       e.event_id IN (SELECT event_id FROM seed) AS seed
FROM ids JOIN events e USING (event_id)
ORDER BY e.date, e.event_id;

-- Nodes of the graph around tag $tag: events carrying the tag (seed = true) and the events they are
-- linked with (the pairs of tag_graph_edges.sql), with what a hover label needs.
WITH seed AS (
    SELECT DISTINCT event_id FROM tags WHERE tag = $tag
),
edges AS (
    {tag_graph_edges}
),
ids AS (
    SELECT event_id FROM seed
    UNION SELECT a FROM edges
    UNION SELECT b FROM edges
)
SELECT e.event_id, e.date, e.headline, e.kind,
       e.event_id IN (SELECT event_id FROM seed) AS seed
FROM ids JOIN events e USING (event_id)
ORDER BY e.date, e.event_id;

-- Events with the most distinct related events (resolved links in either direction), top $k.
WITH pairs AS (
    SELECT event_id AS a, target_event_id AS b FROM relations
    WHERE target_event_id IS NOT NULL AND target_event_id <> event_id
    UNION
    SELECT target_event_id AS a, event_id AS b FROM relations
    WHERE target_event_id IS NOT NULL AND target_event_id <> event_id
)
SELECT e.event_id, e.date, e.headline, count(*)::BIGINT AS related
FROM pairs p JOIN events e ON e.event_id = p.a
GROUP BY ALL
ORDER BY related DESC, e.date, e.event_id
LIMIT $k;

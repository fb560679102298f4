-- Rejected input files per reason, with one example path each.
SELECT coalesce(reason, '(no reason)') AS reason, count(*)::BIGINT AS files, min(path) AS example
FROM rejects
GROUP BY ALL
ORDER BY files DESC, reason;

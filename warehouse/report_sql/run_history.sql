-- The newest $k runs.
SELECT run_id, status, mode, strftime(started AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S UTC') AS started, duration_s, files_seen, files_rejected, events, duplicates_merged,
       launches, error
FROM runs
ORDER BY runs.started DESC
LIMIT $k;

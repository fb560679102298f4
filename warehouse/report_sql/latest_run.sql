-- The run that produced the live snapshot; failing that, the newest successful run, then the newest run.
-- $snapshot may be NULL (unknown live snapshot).
SELECT run_id, status, mode, strftime(started AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S UTC') AS started,
       strftime(finished AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S UTC') AS finished, duration_s, files_seen, files_rejected, events,
       duplicates_merged, launches, snapshot, error
FROM runs
ORDER BY coalesce(snapshot = $snapshot, false) DESC, (status = 'success') DESC, runs.started DESC
LIMIT 1;

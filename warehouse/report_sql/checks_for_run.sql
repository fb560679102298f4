-- Data-quality check results of run $run_id (failures first).
SELECT check_name AS "check", "table", severity, status, observed, threshold, detail
FROM checks
WHERE run_id = $run_id
ORDER BY CASE status WHEN 'fail' THEN 0 WHEN 'error' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END, check_name;

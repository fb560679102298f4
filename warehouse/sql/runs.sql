-- Run history: one row per `currents run` (running, success, failed, killed).
CREATE OR REPLACE VIEW runs AS SELECT * FROM stg_runs ORDER BY started DESC;

-- Data-quality check results per run.
CREATE OR REPLACE VIEW checks AS SELECT * FROM stg_checks;

-- Staging: 'checks' history across every run (one Parquet file per run under state/).
CREATE OR REPLACE VIEW stg_checks AS SELECT * FROM read_parquet('{state}/checks/*.parquet', union_by_name = true);

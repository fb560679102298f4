-- Staging: 'runs' history across every run (one Parquet file per run under state/).
CREATE OR REPLACE VIEW stg_runs AS SELECT * FROM read_parquet('{state}/runs/*.parquet', union_by_name = true);

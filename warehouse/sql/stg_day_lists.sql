-- Staging: the stored 'day_lists' table of the live snapshot, 1:1 (no renames, no logic).
CREATE OR REPLACE VIEW stg_day_lists AS SELECT * FROM read_parquet('{snapshot}/day_lists/*.parquet');

-- Staging: the stored 'rejects' table of the live snapshot, 1:1 (no renames, no logic).
CREATE OR REPLACE VIEW stg_rejects AS SELECT * FROM read_parquet('{snapshot}/rejects/*.parquet');

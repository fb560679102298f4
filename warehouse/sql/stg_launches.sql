-- Staging: the stored 'launches' table of the live snapshot, 1:1 (no renames, no logic).
CREATE OR REPLACE VIEW stg_launches AS SELECT * FROM read_parquet('{snapshot}/launches/*.parquet');

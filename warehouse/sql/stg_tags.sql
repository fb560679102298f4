-- Staging: the stored 'tags' table of the live snapshot, 1:1 (no renames, no logic).
CREATE OR REPLACE VIEW stg_tags AS SELECT * FROM read_parquet('{snapshot}/tags/*.parquet');

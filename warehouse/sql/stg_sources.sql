-- Staging: the stored 'sources' table of the live snapshot, 1:1 (no renames, no logic).
CREATE OR REPLACE VIEW stg_sources AS SELECT * FROM read_parquet('{snapshot}/sources/*.parquet');

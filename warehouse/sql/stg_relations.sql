-- Staging: the stored 'relations' table of the live snapshot, 1:1 (no renames, no logic).
CREATE OR REPLACE VIEW stg_relations AS SELECT * FROM read_parquet('{snapshot}/relations/*.parquet');

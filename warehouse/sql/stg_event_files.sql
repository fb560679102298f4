-- Staging: the stored 'event_files' table of the live snapshot, 1:1 (no renames, no logic).
CREATE OR REPLACE VIEW stg_event_files AS SELECT * FROM read_parquet('{snapshot}/event_files/*.parquet');

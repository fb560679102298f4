-- Staging: the stored 'events' table of the live snapshot, 1:1 (no renames, no logic).
CREATE OR REPLACE VIEW stg_events AS SELECT * FROM read_parquet('{snapshot}/events/*.parquet');

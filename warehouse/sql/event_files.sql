-- Every input event file and the event it belongs to; role = canonical | duplicate.
CREATE OR REPLACE VIEW event_files AS
SELECT path, event_id, role, key, year, content_hash, size FROM stg_event_files;

-- Tags of each event. origin = 'day_list' (the event's own _Context: line in index.md/README.md)
-- or 'related' (the context of one of its Related links); origin_path = the file it was read from.
CREATE OR REPLACE VIEW tags AS
SELECT event_id, tag, origin, origin_path, year FROM stg_tags;

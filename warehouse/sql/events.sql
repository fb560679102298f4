-- One row per event (duplicates across slugs collapsed). Display text is cleaned; *_raw keep the file's text.
CREATE OR REPLACE VIEW events AS
SELECT event_id, date, year, headline, topic, summary, slug, path, kind, kind_reason, n_files,
       headline_raw, summary_raw, key, generation
FROM stg_events;

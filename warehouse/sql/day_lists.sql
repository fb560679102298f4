-- Day lists (index.md / README.md) read for tags, topics and duplicate evidence.
CREATE OR REPLACE VIEW day_lists AS SELECT path, date, year, entries, content_hash, size FROM stg_day_lists;

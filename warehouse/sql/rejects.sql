-- Input files that could not be read as events or day lists, with a reason a person can act on.
CREATE OR REPLACE VIEW rejects AS SELECT path, reason, detail, content_hash, size FROM stg_rejects;

-- Related links. target_event_id is resolved through every known file key (links may name any
-- duplicate slug of the target); NULL when the target file is not in the warehouse.
CREATE OR REPLACE VIEW relations AS
SELECT r.event_id, r.position, r.target_path, k.event_id AS target_event_id, r.target_date, r.context,
       r.title, r.target_key, r.year
FROM stg_relations r
LEFT JOIN (SELECT DISTINCT key, event_id FROM stg_event_files) k ON k.key = r.target_key;

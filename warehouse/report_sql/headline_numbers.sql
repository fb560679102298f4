-- Headline numbers of the live snapshot (one row).
SELECT
    (SELECT count(*) FROM events)                                          AS events,
    (SELECT count(*) FROM launches)                                        AS launches,
    (SELECT count(DISTINCT site) FROM launches)                            AS launch_sites,
    (SELECT count(*) FROM launches WHERE site IS NULL)                     AS launches_unknown_site,
    (SELECT min(year) FROM events)                                         AS first_year,
    (SELECT max(year) FROM events)                                         AS last_year,
    (SELECT count(*) FROM event_files)                                     AS event_files,
    (SELECT count(*) FROM event_files WHERE role = 'duplicate')            AS duplicate_files,
    (SELECT count(*) FROM day_lists)                                       AS day_lists,
    (SELECT count(*) FROM rejects)                                         AS rejects,
    (SELECT count(DISTINCT tag) FROM tags)                                 AS distinct_tags,
    (SELECT count(*) FROM relations)                                       AS relations,
    (SELECT count(*) FROM relations WHERE target_event_id IS NOT NULL)     AS relations_resolved;

-- Input files of the live snapshot by what became of them.
SELECT 'event file (canonical)' AS kind, count(*)::BIGINT AS files FROM event_files WHERE role = 'canonical'
UNION ALL
SELECT 'event file (duplicate, merged)', count(*)::BIGINT FROM event_files WHERE role = 'duplicate'
UNION ALL
SELECT 'day list (index.md / README.md)', count(*)::BIGINT FROM day_lists
UNION ALL
SELECT 'rejected', count(*)::BIGINT FROM rejects;

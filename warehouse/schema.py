"""Arrow schemas of the stored tables (the single definition of column types)."""
from __future__ import annotations

import pyarrow as pa

SCHEMAS: dict[str, pa.Schema] = {
    "events": pa.schema([
        ("day", pa.date32()),
        ("event_id", pa.string()), ("date", pa.date32()), ("year", pa.int16()), ("headline", pa.string()),
        ("headline_raw", pa.string()), ("topic", pa.string()), ("summary", pa.string()), ("summary_raw", pa.string()),
        ("slug", pa.string()), ("key", pa.string()), ("path", pa.string()), ("generation", pa.string()),
        ("n_files", pa.int32()), ("kind", pa.string()), ("kind_reason", pa.string()),
    ]),
    "event_files": pa.schema([
        ("day", pa.date32()),
        ("path", pa.string()), ("event_id", pa.string()), ("role", pa.string()), ("key", pa.string()),
        ("year", pa.int16()), ("content_hash", pa.string()), ("size", pa.int64()),
    ]),
    "sources": pa.schema([
        ("day", pa.date32()),
        ("event_id", pa.string()), ("year", pa.int16()), ("position", pa.int32()), ("name", pa.string()),
        ("url", pa.string()), ("domain", pa.string()), ("is_image", pa.bool_()),
    ]),
    "tags": pa.schema([
        ("day", pa.date32()),
        ("event_id", pa.string()), ("year", pa.int16()), ("tag", pa.string()), ("origin", pa.string()),
        ("origin_path", pa.string()),
    ]),
    "relations": pa.schema([
        ("day", pa.date32()),
        ("event_id", pa.string()), ("year", pa.int16()), ("position", pa.int32()), ("title", pa.string()),
        ("target_path", pa.string()), ("target_key", pa.string()), ("target_date", pa.date32()),
        ("context", pa.list_(pa.string())),
    ]),
    "launches": pa.schema([
        ("day", pa.date32()),
        ("event_id", pa.string()), ("date", pa.date32()), ("year", pa.int16()), ("site", pa.string()),
        ("country", pa.string()), ("site_basis", pa.string()), ("vehicle", pa.string()), ("outcome", pa.string()),
        ("crewed", pa.bool_()), ("payload", pa.string()),
    ]),
    "rejects": pa.schema([
        ("day", pa.date32()),
        ("path", pa.string()), ("reason", pa.string()), ("detail", pa.string()), ("content_hash", pa.string()),
        ("size", pa.int64()),
    ]),
    "day_lists": pa.schema([
        ("day", pa.date32()),
        ("path", pa.string()), ("date", pa.date32()), ("year", pa.int16()), ("entries", pa.int32()),
        ("content_hash", pa.string()), ("size", pa.int64()),
    ]),
    "runs": pa.schema([
        ("run_id", pa.string()), ("started", pa.timestamp("us", tz="UTC")), ("finished", pa.timestamp("us", tz="UTC")),
        ("status", pa.string()), ("mode", pa.string()), ("sources", pa.list_(pa.string())),
        ("files_seen", pa.int64()), ("files_new", pa.int64()), ("files_changed", pa.int64()),
        ("files_deleted", pa.int64()), ("files_unchanged", pa.int64()), ("files_rejected", pa.int64()),
        ("events", pa.int64()), ("duplicates_merged", pa.int64()), ("events_added", pa.int64()),
        ("events_updated", pa.int64()), ("events_removed", pa.int64()), ("launches", pa.int64()),
        ("snapshot", pa.string()), ("duration_s", pa.float64()), ("error", pa.string()),
    ]),
    "manifest": pa.schema([
        ("day", pa.date32()), ("path", pa.string()), ("root", pa.string()), ("size", pa.int64()),
        ("mtime_ns", pa.int64()), ("content_hash", pa.string()), ("kind", pa.string()),
    ]),
    "checks": pa.schema([
        ("run_id", pa.string()), ("check_name", pa.string()), ("table", pa.string()), ("severity", pa.string()),
        ("status", pa.string()), ("observed", pa.float64()), ("threshold", pa.string()), ("detail", pa.string()),
    ]),
}

# Tables stored per snapshot, partitioned by unit (the month of the files' day). Every row has a
# 'day': the day folder of its file(s) (a seed's own date), which is what incremental runs replace.
SNAPSHOT_TABLES = ("events", "event_files", "sources", "tags", "relations", "launches", "rejects", "day_lists", "manifest")
HISTORY_TABLES = ("runs", "checks")

"""Turn grouped events into rows of the warehouse tables (columnar: one list per column)."""
from __future__ import annotations

import datetime as dt
from operator import attrgetter
from typing import Any, Protocol

from transforms.archive_paths import event_id_for
from transforms.dedupe import EventGroup


class LaunchClassifier(Protocol):
    def classify(self, *, headline, summary, topic, tags, related_contexts, date) -> Any: ...


TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": ("day", "event_id", "date", "year", "headline", "headline_raw", "topic", "summary", "summary_raw",
               "slug", "key", "path", "generation", "n_files", "kind", "kind_reason"),
    "event_files": ("day", "path", "event_id", "role", "key", "year", "content_hash", "size"),
    "sources": ("day", "event_id", "year", "position", "name", "url", "domain", "is_image"),
    "tags": ("day", "event_id", "year", "tag", "origin", "origin_path"),
    "relations": ("day", "event_id", "year", "position", "title", "target_path", "target_key", "target_date", "context"),
    "launches": ("day", "event_id", "date", "year", "site", "country", "site_basis", "vehicle", "outcome", "crewed", "payload"),
    "rejects": ("day", "path", "reason", "detail", "content_hash", "size"),
    "day_lists": ("day", "path", "date", "year", "entries", "content_hash", "size"),
    "manifest": ("day", "path", "root", "size", "mtime_ns", "content_hash", "kind"),
}


# (column, getter) of the columns read off each Source / Link of an event: attrgetter runs in C, where
# ``getattr(x, col)`` in a comprehension costs a Python-level call per value.
_SOURCE_COLUMNS = tuple((c, attrgetter(c)) for c in ("position", "name", "url", "domain", "is_image"))
_RELATION_COLUMNS = tuple((c, attrgetter(c)) for c in ("position", "title", "target_path", "target_key", "target_date",
                                                       "context"))


def empty_tables() -> dict[str, dict[str, list]]:
    return {t: {c: [] for c in cols} for t, cols in TABLE_COLUMNS.items()}


def append_row(table: dict[str, list], **row: Any) -> None:
    """Append one row (all columns by name) to a columnar table."""
    for col, values in table.items():
        values.append(row[col])


def normalize_groups(
    day: dt.date,
    groups: list[EventGroup],
    file_meta: dict[str, tuple[str, int]],
    classifier: LaunchClassifier,
    out: dict[str, dict[str, list]] | None = None,
) -> dict[str, dict[str, list]]:
    """Append the rows of one day's ``groups`` to ``out`` (new tables when None) and return it.

    ``day`` is the day folder the files sit in (a seed's own date); every row carries it so that an
    incremental run can replace exactly that day. ``file_meta`` maps a path to ``(content_hash, size)``.
    """
    out = out if out is not None else empty_tables()
    files_t, sources_t, relations_t, tags_t = out["event_files"], out["sources"], out["relations"], out["tags"]
    events_t = out["events"]
    for g in groups:
        ev = g.canonical
        files = g.files
        event_id = event_id_for(min(f.key for f in files) if len(files) > 1 else ev.key)
        year = ev.date.year
        # Many-row tables are filled a column at a time (one ``extend`` per column and event; the
        # attribute getters run in C, see _SOURCE_COLUMNS).
        n = len(files)
        meta = [file_meta.get(f.path, (None, None)) for f in files]
        _repeat(files_t, n, day=day, event_id=event_id, year=year)
        files_t["path"].extend([f.path for f in files])
        files_t["role"].extend(["canonical"] + ["duplicate"] * (n - 1))
        files_t["key"].extend([f.key for f in files])
        files_t["content_hash"].extend([m[0] for m in meta])
        files_t["size"].extend([m[1] for m in meta])
        topic = ev.topic or next((e.topic for e in g.entries if e.topic), None)
        summary = ev.summary or next((e.summary for e in g.entries if e.summary), None)
        srcs = ev.sources
        if srcs:
            _repeat(sources_t, len(srcs), day=day, event_id=event_id, year=year)
            for col, get in _SOURCE_COLUMNS:
                sources_t[col].extend(map(get, srcs))
        own_tags: dict[str, str] = {}
        for entry in (sorted(g.entries, key=lambda e: e.source_path) if len(g.entries) > 1 else g.entries):
            for t in entry.context:
                own_tags.setdefault(t, entry.source_path)
        related_tags: dict[str, str] = {}
        rels = ev.related
        for r in rels:
            for t in r.context:
                related_tags.setdefault(t, ev.path)
        if rels:
            _repeat(relations_t, len(rels), day=day, event_id=event_id, year=year)
            for col, get in _RELATION_COLUMNS:
                relations_t[col].extend(map(get, rels))
        n_tags = len(own_tags) + len(related_tags)
        if n_tags:
            _repeat(tags_t, n_tags, day=day, event_id=event_id, year=year)
            tags_t["tag"].extend(own_tags)
            tags_t["tag"].extend(related_tags)
            tags_t["origin"].extend(["day_list"] * len(own_tags) + ["related"] * len(related_tags))
            tags_t["origin_path"].extend(own_tags.values())
            tags_t["origin_path"].extend(related_tags.values())
        facts = classifier.classify(headline=ev.headline, summary=summary, topic=topic, tags=list(own_tags),
                                    related_contexts=list(related_tags), date=ev.date)
        append_row(events_t, day=day, event_id=event_id, date=ev.date, year=year, headline=ev.headline,
                   headline_raw=ev.headline_raw, topic=topic, summary=summary, summary_raw=ev.summary_raw,
                   slug=ev.slug, key=ev.key, path=ev.path, generation=ev.generation, n_files=n,
                   kind=facts.kind, kind_reason=facts.kind_reason)
        if facts.kind == "space_launch":
            append_row(out["launches"], day=day, event_id=event_id, date=ev.date, year=year, site=facts.site,
                       country=facts.country, site_basis=facts.site_basis, vehicle=facts.vehicle,
                       outcome=facts.outcome, crewed=facts.crewed, payload=facts.payload)
    return out


def _repeat(table: dict[str, list], n: int, **values: Any) -> None:
    """Append ``n`` copies of each of ``values`` to its column."""
    for col, v in values.items():
        table[col].extend([v] * n)

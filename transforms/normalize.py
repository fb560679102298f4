"""Turn grouped events into rows of the warehouse tables (columnar: one list per column)."""
from __future__ import annotations

import datetime as dt
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
    for g in groups:
        ev = g.canonical
        event_id = event_id_for(min(f.key for f in g.files))
        year = ev.date.year
        for i, f in enumerate(g.files):
            h, size = file_meta.get(f.path, (None, None))
            append_row(out["event_files"], day=day, path=f.path, event_id=event_id, role="canonical" if i == 0 else "duplicate",
                    key=f.key, year=year, content_hash=h, size=size)
        topic = ev.topic or next((e.topic for e in g.entries if e.topic), None)
        summary = ev.summary or next((e.summary for e in g.entries if e.summary), None)
        for s in ev.sources:
            append_row(out["sources"], day=day, event_id=event_id, year=year, position=s.position, name=s.name, url=s.url,
                    domain=s.domain, is_image=s.is_image)
        own_tags: dict[str, str] = {}
        for entry in sorted(g.entries, key=lambda e: e.source_path):
            for t in entry.context:
                own_tags.setdefault(t, entry.source_path)
        related_tags: dict[str, str] = {}
        for r in ev.related:
            for t in r.context:
                related_tags.setdefault(t, ev.path)
            append_row(out["relations"], day=day, event_id=event_id, year=year, position=r.position, title=r.title,
                    target_path=r.target_path, target_key=r.target_key, target_date=r.target_date, context=r.context)
        for tag, origin_path in own_tags.items():
            append_row(out["tags"], day=day, event_id=event_id, year=year, tag=tag, origin="day_list", origin_path=origin_path)
        for tag, origin_path in related_tags.items():
            append_row(out["tags"], day=day, event_id=event_id, year=year, tag=tag, origin="related", origin_path=origin_path)
        facts = classifier.classify(headline=ev.headline, summary=summary, topic=topic, tags=list(own_tags),
                                    related_contexts=list(related_tags), date=ev.date)
        append_row(out["events"], day=day, event_id=event_id, date=ev.date, year=year, headline=ev.headline,
                headline_raw=ev.headline_raw, topic=topic, summary=summary, summary_raw=ev.summary_raw,
                slug=ev.slug, key=ev.key, path=ev.path, generation=ev.generation, n_files=len(g.files),
                kind=facts.kind, kind_reason=facts.kind_reason)
        if facts.kind == "space_launch":
            append_row(out["launches"], day=day, event_id=event_id, date=ev.date, year=year, site=facts.site,
                    country=facts.country, site_basis=facts.site_basis, vehicle=facts.vehicle,
                    outcome=facts.outcome, crewed=facts.crewed, payload=facts.payload)
    return out

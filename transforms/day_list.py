"""Parse a day list (``index.md`` / ``README.md`` of a day folder) into its entries."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from transforms.archive_paths import key_from_path
from transforms.event_file import ParseError
from transforms.tags import split_context
from transforms.text import clean

_DAY_LINE = re.compile(r"^##\s*\[(\d{4})-(\d{1,2})-(\d{1,2})\]")
_TOPIC = re.compile(r"^#####\s*(.*?)\s*$")
_ENTRY = re.compile(r"^###\s*\[(?P<title>.*)\]\((?P<target>[^)\s]*(?:\([^)\s]*\)[^)\s]*)*)\)\s*$")
_CONTEXT = re.compile(r"^_Context:\s*(.*?)_?\s*$")


@dataclass(slots=True)
class DayEntry:
    source_path: str
    position: int
    topic: str | None
    headline: str
    target_key: str | None
    context: list[str] = field(default_factory=list)
    summary: str | None = None


@dataclass(slots=True)
class DayList:
    path: str
    date: dt.date
    entries: list[DayEntry]


def parse_day_list(text: str, path: str, qualifiers: frozenset[str] = frozenset()) -> DayList:
    """Entries of a day list in order; an entry's line after the link is its context or a summary."""
    date: dt.date | None = None
    topic: str | None = None
    entries: list[DayEntry] = []
    current: DayEntry | None = None
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("Formats:"):
            continue
        m = _DAY_LINE.match(s)
        if m:
            if date is not None:
                break  # "## [Previous Day...]" or a second day header ends the list
            try:
                date = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError as exc:
                raise ParseError("bad_date", f"day header {s!r} is not a real date ({exc})") from None
            continue
        if s.startswith("## "):
            break
        m = _TOPIC.match(s)
        if m:
            topic = clean(m.group(1))
            continue
        m = _ENTRY.match(s)
        if m:
            current = DayEntry(path, len(entries) + 1, topic, clean(m.group("title")) or "", key_from_path(m.group("target")))
            entries.append(current)
            topic = None
            continue
        if current is not None and current.summary is None and not current.context:
            c = _CONTEXT.match(s)
            if c:
                current.context = split_context(c.group(1), qualifiers)
            else:
                current.summary = clean(s)
    if date is None:
        raise ParseError("no_date", "day list without a '## [YYYY-MM-DD](...)' header")
    return DayList(path, date, entries)

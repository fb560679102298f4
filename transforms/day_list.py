"""Parse a day list (``index.md`` / ``README.md`` of a day folder) into its entries."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from transforms.archive_paths import key_from_path
from transforms.event_file import ParseError, split_link
from transforms.tags import split_context
from transforms.text import clean

_DAY_LINE = re.compile(r"^##\s*\[(\d{4})-(\d{1,2})-(\d{1,2})\]")
# An entry line is `###\s*\[(?P<title>.*)\]\((?P<target>TARGET)\)\s*$`; as in ``event_file._item``, the head is
# matched, then the `](` positions are tried right to left with the tail (no char-by-char backtracking).
_ENTRY_HEAD = re.compile(r"###\s*\[")
_ENTRY_TAIL = re.compile(r"\]\(([^)\s]*(?:\([^)\s]*\)[^)\s]*)*)\)\s*$")


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


def _entry(s: str) -> tuple[str, str] | None:
    """(title, target) of an entry line (stripped, no line break in it), or None."""
    if s.startswith("### ["):  # the usual head: what `_ENTRY_HEAD` matches there, without the regex
        start = 5
    else:
        head = _ENTRY_HEAD.match(s)
        if head is None:
            return None
        start = head.end()
    link = split_link(s, start, _ENTRY_TAIL, to_end=True)
    return None if link is None else link[:2]


def parse_day_list(text: str, path: str, qualifiers: frozenset[str] = frozenset()) -> DayList:
    """Entries of a day list in order; an entry's line after the link is its context or a summary."""
    date: dt.date | None = None
    topic: str | None = None
    entries: list[DayEntry] = []
    current: DayEntry | None = None
    for line in text.splitlines():
        s = line.strip()
        if not s:
            continue
        if s[0] == "#":  # day header, "## " end, "##### topic" or "### [entry](target)"
            m = _DAY_LINE.match(s) if s[2:3] != "#" else None  # "##" then a blank or '[' (not "###")
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
            if s.startswith("#####"):
                topic = clean(s[5:].strip())
                continue
            entry = _entry(s)
            if entry:
                current = DayEntry(path, len(entries) + 1, topic, clean(entry[0]) or "", key_from_path(entry[1]))
                entries.append(current)
                topic = None
                continue
        elif s.startswith("Formats:"):
            continue
        if current is not None and current.summary is None and not current.context:
            if s.startswith("_Context:"):  # `_Context:\s*(.*?)_?\s*$` on a stripped line
                raw = s[9:].lstrip()
                current.context = split_context(raw[:-1] if raw.endswith("_") else raw, qualifiers)
            else:
                current.summary = clean(s)
    if date is None:
        raise ParseError("no_date", "day list without a '## [YYYY-MM-DD](...)' header")
    return DayList(path, date, entries)

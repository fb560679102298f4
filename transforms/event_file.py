"""Parse one archive event file (every format generation, seeds included) into a ``ParsedEvent``.

Pure: takes the decoded text and the file's path relative to the source root; raises
``ParseError`` with an actionable reason when the text is not an event file.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from transforms.archive_paths import archive_key, date_from_path, key_and_date, key_from_path, slugify
from transforms.tags import split_context
from transforms.text import clean
from transforms.topics import split_topic

_DATE_LINE = re.compile(r"^#{2,3}\s*\[(\d{4})-(\d{1,2})-(\d{1,2})\]")
_HEADLINE = re.compile(r"^#(?!#)[ \t]*(.*?)\s*$")
_TOPIC_LINE = re.compile(r"^#####\s*(.*?)\s*$")
_SECTION_SPLIT = re.compile(r"^###[ \t]*([A-Za-z ]+?)[ \t]*:?[ \t]*$", re.M)
_ITEMS = re.compile(r"^[ \t]*\d+\.[ \t]*\[(.*)\]\(([^)\s]*(?:\([^)\s]*\)[^)\s]*)*)\)[ \t]*(.*?)[ \t]*$", re.M)
_CONTEXT = re.compile(r"^_Context:\s*(.*?)_?$")
_NOTE = re.compile(r"^_(.*?)_?$")
_IMAGE_NAMES = frozenset({"cover image", "image", "photo"})


class ParseError(ValueError):
    """The text cannot be read as an event; ``reason`` is a short code, ``detail`` says what to fix."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class Source:
    position: int
    name: str
    url: str
    domain: str | None
    is_image: bool


@dataclass(slots=True)
class Link:
    """A ``Related`` or ``Changes`` list item pointing at another archive file."""

    position: int
    title: str
    target_path: str
    target_key: str | None
    target_date: dt.date | None
    context: list[str]
    note: str | None


@dataclass(slots=True)
class ParsedEvent:
    path: str
    key: str
    date: dt.date
    date_basis: str  # 'line' (date line in the file) or 'path' (folder date; the file had none)
    generation: str  # 'formats' (Formats: header), 'plain' (no header), 'seed' (undated file)
    headline_raw: str
    headline: str
    topic: str | None
    summary_raw: str | None
    summary: str | None
    sources: list[Source] = field(default_factory=list)
    changes: list[Link] = field(default_factory=list)
    related: list[Link] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def is_current_version(self) -> bool:
        """True when the file's own ``### Changes:`` list names it as the current version."""
        return any(c.target_key == self.key and c.note and "current version" in c.note.lower() for c in self.changes)


def _domain(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def _link(position: int, title: str, target: str, rest: str, qualifiers: frozenset[str]) -> Link:
    context: list[str] = []
    note = None
    if rest:
        m = _CONTEXT.match(rest)
        if m:
            context = split_context(m.group(1), qualifiers)
        else:
            n = _NOTE.match(rest)
            note = n.group(1).strip() if n else rest
    key, date = key_and_date(target)
    return Link(
        position=position,
        title=clean(title) or "",
        target_path=target,
        target_key=key,
        target_date=date,
        context=context,
        note=note,
    )


def parse_event_file(text: str, path: str, qualifiers: frozenset[str] = frozenset()) -> ParsedEvent:
    """Parse an event file's text; ``path`` is relative to the source root (POSIX separators).

    ``qualifiers``: place qualifiers for splitting ``_Context:`` tags (see ``transforms.tags``).
    The head (date, topic, headline, summary) is read line by line; the ``###`` sections are split
    off with one regex and their list items read with another (this is the hot path of a build).
    """
    head, *sections = _SECTION_SPLIT.split(text)
    generation = "plain"
    date: dt.date | None = None
    topic_line: str | None = None
    headline_raw: str | None = None
    summary_lines: list[str] = []
    for line in head.splitlines():
        if not line.strip():
            continue
        if date is None and line.startswith("Formats:"):
            generation = "formats"
            continue
        if date is None and headline_raw is None and topic_line is None:
            m = _DATE_LINE.match(line)
            if m:
                try:
                    date = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                except ValueError as exc:
                    raise ParseError("bad_date", f"date line {line.strip()!r} is not a real date ({exc})") from None
                continue
            if not line.startswith("#"):
                raise ParseError("no_date", f"expected a '### [YYYY-MM-DD](...)' date line, found {line.strip()[:60]!r}")
        if headline_raw is None:
            m = _TOPIC_LINE.match(line)
            if m:
                topic_line = m.group(1)
                continue
            m = _HEADLINE.match(line)
            if m:
                headline_raw = m.group(1)
                continue
        if headline_raw is not None:
            summary_lines.append(line.strip())
    sources: list[Source] = []
    changes: list[Link] = []
    related: list[Link] = []
    for name, body in zip(sections[::2], sections[1::2]):
        section = name.strip().lower()
        if section in ("sources", "source"):
            for m in _ITEMS.finditer(body):
                title, target = m.group(1), m.group(2)
                label = clean(title) or ""
                sources.append(Source(len(sources) + 1, label, target, _domain(target), label.lower() in _IMAGE_NAMES))
        elif section in ("changes", "related"):
            out = changes if section == "changes" else related
            for m in _ITEMS.finditer(body):
                out.append(_link(len(out) + 1, m.group(1), m.group(2), m.group(3), qualifiers))

    date_basis = "line"
    path_date = date_from_path(path)
    if date is None:
        if path_date is None:
            raise ParseError("no_date", "no '### [YYYY-MM-DD](...)' date line and the path has no YYYY/MM/D folder")
        date, date_basis = path_date, "path"
    if headline_raw is None or not clean(headline_raw):
        raise ParseError("no_headline", "no '# headline' line after the date line")

    full = clean(headline_raw) or ""
    topic, headline = split_topic(full, clean(topic_line))
    key = key_from_path(path)
    if key is None:
        generation = "seed"
        key = archive_key(date.year, date.month, date.day, slugify(full))
    summary_raw = " ".join(summary_lines) or None
    return ParsedEvent(
        path=path,
        key=key,
        date=date,
        date_basis=date_basis,
        generation=generation,
        headline_raw=headline_raw,
        headline=headline,
        topic=topic,
        summary_raw=summary_raw,
        summary=clean(summary_raw),
        sources=sources,
        changes=changes,
        related=related,
    )

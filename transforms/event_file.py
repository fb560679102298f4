"""Parse one archive event file (every format generation, seeds included) into a ``ParsedEvent``.

Pure: takes the decoded text and the file's path relative to the source root; raises
``ParseError`` with an actionable reason when the text is not an event file.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from transforms.archive_paths import archive_key, key_and_date, slugify
from transforms.tags import split_context
from transforms.text import clean
from transforms.topics import split_topic

_DATE_LINE = re.compile(r"^#{2,3}\s*\[(\d{4})-(\d{1,2})-(\d{1,2})\]")
_SECTION_SPLIT = re.compile(r"^###[ \t]*([A-Za-z ]+?)[ \t]*:?[ \t]*$", re.M)
# A list item line is `[ \t]*\d+\.[ \t]*\[(.*)\]\((TARGET)\)[ \t]*(.*?)[ \t]*$`: title, target, rest.
# One regex for the whole line backtracks character by character through its greedy `(.*)`, so
# `_item` matches the head, then tries the `](` positions right to left with the tail (same result).
_ITEM_HEAD = re.compile(r"[ \t]*\d+\.[ \t]*\[")
_ITEM_TAIL = re.compile(r"\]\(([^)\s]*(?:\([^)\s]*\)[^)\s]*)*)\)")
_IMAGE_NAMES = frozenset({"cover image", "image", "photo"})
# http(s) URL whose host needs none of urlsplit's special cases (urlsplit drops \t \r \n first: checked apart).
_PLAIN_URL = re.compile(r"https?://([^/?#@\[\]:%\t\r\n]*)(?:[/?#]|\Z)")


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
    """Host of a source URL without ``www.``, as ``urlsplit(url).hostname``; None when it has none."""
    plain = _PLAIN_URL.match(url)
    if plain and plain.group(1).isascii() and "\t" not in url and "\r" not in url and "\n" not in url:
        host = plain.group(1).lower()  # what urlsplit yields for an ASCII host without user, port, [ ] or %
    else:
        try:
            host = urlsplit(url).hostname
        except ValueError:
            return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


_LinkParts = tuple[str, str, str | None, dt.date | None, tuple[str, ...], str | None]
# Parsed ``Related``/``Changes`` items: hub events are linked, with the same title and context, from
# many files. Memoized per qualifier set (context tags depend on it); bounded: emptied when it holds
# this many distinct items (~1 KB each).
LINK_MEMO_MAX = 50_000
_link_memo: tuple[frozenset[str], dict[str, _LinkParts | None]] = (frozenset(), {})
# Section header lines ("### Related:") by their name, stripped and lower case (None: not a header).
HEADER_MEMO_MAX = 1_000
_headers: dict[str, str | None] = {}
# Date lines by their text: all files of a day share one. Bounded: emptied when it holds this many.
DATE_MEMO_MAX = 10_000
_date_lines: dict[str, dt.date] = {}
# Non-empty lines of a section body: group 1 is a numbered item from its ". [" on (the number and the
# blanks before it cannot change how the rest parses, see `_item`), group 2 any other line.
_ITEM_LINES = re.compile(r"^(?:[ \t]*\d+(\. \[.*)|(.+))", re.M)


def split_link(line: str, start: int, tail: re.Pattern, to_end: bool = False) -> tuple[str, str, int] | None:
    """(title, target, end) of the ``[title](target)`` whose title starts at ``start``, or None; ``end``
    is just past the link's ')'. ``tail`` is the pattern from the ``](`` on (``\\]\\(TARGET\\)``, then
    ``\\s*$`` when ``to_end``: only blanks may follow the link).

    Each ``](`` is tried from the rightmost (the title is greedy) and the first that fits wins. A plain
    target (up to the next ')', without '(' or blanks) is taken without the regex: the target pattern
    ``[^)\\s]*(?:\\([^)\\s]*\\)[^)\\s]*)*`` can only match it that way.
    """
    end = len(line)
    while (at := line.rfind("](", start, end)) >= 0:
        close = line.find(")", at + 2)
        if close >= 0:
            target = line[at + 2:close]
            # str.split() splits on exactly what `\s` matches: one part equal to the target means no blank.
            if "(" not in target and target.split() == [target] and (
                    not to_end or close + 1 == len(line) or line[close + 1:].isspace()):
                return line[start:at], target, close + 1
        m = tail.match(line, at)
        if m:
            return line[start:at], m.group(1), m.end()
        end = at + 1
    return None


def _item(line: str) -> tuple[str, str, str] | None:
    """(title, target, rest) of a numbered list item line (no newline in it), or None."""
    head = _ITEM_HEAD.match(line)
    return None if head is None else _item_at(line, head.end())


def _item_at(line: str, start: int) -> tuple[str, str, str] | None:
    """``_item`` of a line whose item head (number, '.', '[') ends at ``start``."""
    link = split_link(line, start, _ITEM_TAIL)
    if link is None:
        return None
    title, target, end = link
    return title, target, line[end:].strip(" \t")


def _link_parts(item: tuple[str, str, str] | None, qualifiers: frozenset[str]) -> _LinkParts | None:
    """(clean title, target, target key, target date, context tags, note) of a list item (see ``_item``),
    or None when the line was not one.

    The text after the link is ``_Context: a, b_`` (tags to split) or a note, ``_..._`` or bare.
    """
    if item is None:
        return None
    title, target, rest = item
    context: tuple[str, ...] = ()
    note = None
    if rest.startswith("_Context:"):
        raw = rest[9:].lstrip()
        context = tuple(split_context(raw[:-1] if raw.endswith("_") else raw, qualifiers))
    elif rest.startswith("_"):
        note = (rest[1:-1] if len(rest) > 1 and rest.endswith("_") else rest[1:]).strip()
    elif rest:
        note = rest
    key, date = key_and_date(target)
    return clean(title) or "", target, key, date, context, note


def _item_memo(qualifiers: frozenset[str]) -> dict[str, _LinkParts | None]:
    """The item memo of ``qualifiers``: a fresh one when the set changed or is not a frozenset."""
    global _link_memo
    known, memo = _link_memo  # one read: other threads may swap the slot, this pair stays consistent
    if known is not qualifiers:
        if known != qualifiers or type(qualifiers) is not frozenset:
            memo = {}  # a mutable set could change under the memo: never kept (below)
        if type(qualifiers) is frozenset:
            _link_memo = (qualifiers, memo)  # keep the caller's object: next time an identity check
    return memo


def _links(body: str, qualifiers: frozenset[str], out: list[Link]) -> None:
    """Append the list items of a ``Related``/``Changes`` section body to ``out``."""
    memo = _item_memo(qualifiers)
    position = len(out)  # a second section of the same kind continues the numbering
    for item, other in _ITEM_LINES.findall(body):
        if item:
            parts = memo.get(item, False)
            if parts is False:
                if len(memo) >= LINK_MEMO_MAX:
                    memo.clear()
                parts = memo[item] = _link_parts(_item_at(item, 3), qualifiers)  # after its ". ["
        else:
            parts = _link_parts(_item(other), qualifiers)
        if parts is not None:
            title, target, key, date, context, note = parts
            position += 1
            out.append(Link(position, title, target, key, date, list(context), note))


def _line_date(line: str) -> dt.date | None:
    """The date of a ``### [YYYY-MM-DD](...)`` date line; None when ``line`` is not one (ParseError when
    its date is not a real one)."""
    date = _date_lines.get(line)
    if date is None:
        m = _DATE_LINE.match(line)
        if m is None:
            return None
        try:
            date = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError as exc:
            raise ParseError("bad_date", f"date line {line.strip()!r} is not a real date ({exc})") from None
        if len(_date_lines) >= DATE_MEMO_MAX:
            _date_lines.clear()
        _date_lines[line] = date
    return date


def _sections(text: str) -> tuple[str, list[tuple[str, str]]]:
    """``text`` split at its ``### Name:`` lines as ``_SECTION_SPLIT.split``: (head, [(name, body), ...]),
    names stripped and lower-cased.

    Only lines starting with ``###`` are tried (a regex scan of the whole text costs more than the rest),
    and the few distinct header lines are memoized.
    """
    found: list[tuple[int, int, str]] = []  # (line start, line end, section name)
    at = text.find("#")  # '#' is rare outside headings; a one-character find is a fast memchr
    while at >= 0:
        if not (text.startswith("###", at) and (at == 0 or text[at - 1] == "\n")):
            at = text.find("#", at + 1)
            continue
        end = text.find("\n", at)
        if end < 0:
            end = len(text)
        line = text[at:end]
        if "[" not in line:  # never in a header: skips the date line without filling the memo
            name = _headers.get(line, False)
            if name is False:
                m = _SECTION_SPLIT.match(line)  # a header match never crosses a line: same as on the text
                name = m.group(1).strip().lower() if m else None
                if len(_headers) < HEADER_MEMO_MAX:
                    _headers[line] = name
            if name is not None:
                found.append((at, end, name))
        at = text.find("#", end)
    if not found:
        return text, []
    ends = [at for at, _, _ in found[1:]] + [len(text)]
    return text[:found[0][0]], [(name, text[end:stop]) for (_, end, name), stop in zip(found, ends)]


def parse_event_file(text: str, path: str, qualifiers: frozenset[str] = frozenset()) -> ParsedEvent:
    """Parse an event file's text; ``path`` is relative to the source root (POSIX separators).

    ``qualifiers``: place qualifiers for splitting ``_Context:`` tags (see ``transforms.tags``).
    The head (date, topic, headline, summary) is read line by line; the ``###`` sections are split
    off at their header lines and their list items read line by line (this is the hot path of a build).
    """
    head, sections = _sections(text)
    generation = "plain"
    date: dt.date | None = None
    topic_line: str | None = None
    headline_raw: str | None = None
    summary_lines: list[str] = []
    for line in head.splitlines():
        if not line or line.isspace():
            continue
        if date is None and line.startswith("Formats:"):
            generation = "formats"
            continue
        if date is None and headline_raw is None and topic_line is None:
            date = _line_date(line)
            if date is not None:
                continue
            if not line.startswith("#"):
                raise ParseError("no_date", f"expected a '### [YYYY-MM-DD](...)' date line, found {line.strip()[:60]!r}")
        if headline_raw is None and line[0] == "#":  # no line breaks in `line`: string ops, no lazy regex
            if line.startswith("#####"):
                topic_line = line[5:].strip()
                continue
            if line[1:2] != "#":
                headline_raw = line[1:].lstrip(" \t").rstrip()
                continue
        if headline_raw is not None:
            summary_lines.append(line.strip())
    sources: list[Source] = []
    changes: list[Link] = []
    related: list[Link] = []
    for section, body in sections:
        if section in ("sources", "source"):
            for numbered, other in _ITEM_LINES.findall(body):
                item = _item_at(numbered, 3) if numbered else _item(other)
                if item:
                    label = clean(item[0]) or ""
                    target = item[1]
                    sources.append(Source(len(sources) + 1, label, target, _domain(target), label.lower() in _IMAGE_NAMES))
        elif section == "related":
            _links(body, qualifiers, related)
        elif section == "changes":
            _links(body, qualifiers, changes)

    date_basis = "line"
    key, path_date = key_and_date(path)  # one split of the path for both
    if date is None:
        if path_date is None:
            raise ParseError("no_date", "no '### [YYYY-MM-DD](...)' date line and the path has no YYYY/MM/D folder")
        date, date_basis = path_date, "path"
    full = clean(headline_raw) if headline_raw is not None else None
    if full is None:
        raise ParseError("no_headline", "no '# headline' line after the date line")

    topic, headline = split_topic(full, clean(topic_line))
    if key is None:
        generation = "seed"
        key = archive_key(date.year, date.month, date.day, slugify(full))
    summary_raw = " ".join(summary_lines) or None
    return ParsedEvent(path, key, date, date_basis, generation, headline_raw, headline, topic, summary_raw,
                       clean(summary_raw), sources, changes, related)

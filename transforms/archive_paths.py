"""Archive path conventions: ``news/YYYY/MM/D/<slug>.md`` and the keys derived from them."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from functools import lru_cache

from transforms.text import ascii_fold

_SLUG_CHARS = re.compile(r"[^a-z0-9]+")
SLUG_MAX = 140
DAY_LIST_NAMES = frozenset({"index.md", "README.md"})


def archive_key(year: int, month: int, day: int, slug: str) -> str:
    """Root-independent key of an archive file: ``YYYY/MM/D/slug`` (month padded, day not)."""
    return f"{year:04d}/{month:02d}/{day}/{slug}"


def _dated_parts(path: str) -> tuple[str, str, str, str] | None:
    """(year, month, day, slug) of a ``.../YYYY/M/D/slug[.md|.txt]`` path (string ops: hot path)."""
    parts = path.rsplit("/", 4)
    if len(parts) < 4:
        return None
    y, m, d, name = parts[-4:]
    if not (len(y) == 4 and y.isdigit() and 0 < len(m) <= 2 and m.isdigit() and 0 < len(d) <= 2 and d.isdigit()):
        return None
    if name.endswith(".md"):
        name = name[:-3]
    elif name.endswith(".txt"):
        name = name[:-4]
    return y, m, d, name


@lru_cache(maxsize=65536)
def _day(y: str, m: str, d: str) -> dt.date | None:
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        return None


def _key(y: str, m: str, d: str, slug: str) -> str:
    """``archive_key`` of digit strings; ASCII ones are re-padded as text (no int round trip)."""
    if (y + m + d).isascii():
        return f"{y}/{m if len(m) == 2 else '0' + m}/{d.lstrip('0') or '0'}/{slug}"
    return archive_key(int(y), int(m), int(d), slug)  # other Unicode digits: int() decides


def key_from_path(path: str) -> str | None:
    """Archive key of a path or link target (``/news/2016/03/14/x.md`` -> ``2016/03/14/x``)."""
    p = _dated_parts(path)
    return _key(*p) if p else None


def date_from_path(path: str) -> dt.date | None:
    """The day a dated archive path belongs to, or None for undated paths or impossible dates."""
    p = _dated_parts(path)
    return _day(p[0], p[1], p[2]) if p else None


def key_and_date(path: str) -> tuple[str | None, dt.date | None]:
    """Both of the above from one split of the path."""
    p = _dated_parts(path)
    if not p:
        return None, None
    return _key(*p), _day(p[0], p[1], p[2])


def slugify(text: str) -> str:
    """The archive's slug rule: ASCII lower case, runs of other characters to '-', cut at 140."""
    return _SLUG_CHARS.sub("-", ascii_fold(text)).strip("-")[:SLUG_MAX].strip("-")


def event_id_for(key: str) -> str:
    """Stable event id: 16 hex digits of SHA-1 over the archive key (same on every machine)."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def is_day_list(path: str) -> bool:
    """Whether a path names a day list (``index.md`` / ``README.md``; its date is in its header)."""
    return path.rsplit("/", 1)[-1] in DAY_LIST_NAMES

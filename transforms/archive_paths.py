"""Archive path conventions: ``news/YYYY/MM/D/<slug>.md`` and the keys derived from them."""
from __future__ import annotations

import datetime as dt
import hashlib
import re

from transforms.text import ascii_fold

_DATED = re.compile(r"(?:^|/)(\d{4})/(\d{1,2})/(\d{1,2})/([^/]+?)(?:\.md|\.txt)?$")
_SLUG_CHARS = re.compile(r"[^a-z0-9]+")
SLUG_MAX = 140
DAY_LIST_NAMES = frozenset({"index.md", "README.md"})


def archive_key(year: int, month: int, day: int, slug: str) -> str:
    """Root-independent key of an archive file: ``YYYY/MM/D/slug`` (month padded, day not)."""
    return f"{year:04d}/{month:02d}/{day}/{slug}"


def key_from_path(path: str) -> str | None:
    """Archive key of a path or link target (``/news/2016/03/14/x.md`` -> ``2016/03/14/x``)."""
    m = _DATED.search(path)
    if not m:
        return None
    y, mo, d, slug = m.groups()
    return archive_key(int(y), int(mo), int(d), slug)


def date_from_path(path: str) -> dt.date | None:
    """The day a dated archive path belongs to, or None for undated paths or impossible dates."""
    m = _DATED.search(path)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def slugify(text: str) -> str:
    """The archive's slug rule: ASCII lower case, runs of other characters to '-', cut at 140."""
    return _SLUG_CHARS.sub("-", ascii_fold(text)).strip("-")[:SLUG_MAX].strip("-")


def event_id_for(key: str) -> str:
    """Stable event id: 16 hex digits of SHA-1 over the archive key (same on every machine)."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def is_day_list(path: str) -> bool:
    """Whether a path names a day list (``index.md`` / ``README.md`` inside a dated folder)."""
    name = path.rsplit("/", 1)[-1]
    return name in DAY_LIST_NAMES and date_from_path(path.rsplit("/", 1)[0] + "/x") is not None

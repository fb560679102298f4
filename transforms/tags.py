"""Split ``_Context: tag, tag_`` lists whose tags may themselves contain ', '."""
from __future__ import annotations

from transforms.text import clean

_EVENT_WORDS = frozenset(
    "election elections referendum primary primaries caucuses season championship championships "
    "olympics games cup riots protests unrest bombing bombings attack attacks shooting earthquake "
    "hurricane typhoon cyclone storm floods crisis summit strike strikes".split()
)


def split_context(raw: str, qualifiers: frozenset[str] = frozenset()) -> list[str]:
    """Tags of a context list, in order, without duplicates.

    ``qualifiers`` (lower case; from ``config/tag_qualifiers.txt``) are place names that follow a
    place inside one tag: ``Denpasar, Bali`` stays one tag when ``bali`` is a qualifier and
    ``Denpasar`` is not one itself. ``Chilean general election, 2017`` stays one tag because a year
    follows an event noun.
    """
    parts = [p for p in (clean(x) for x in raw.split(",")) if p]
    tags: list[str] = []
    for part in parts:
        if tags:
            prev = tags[-1]
            prev_last = prev.rsplit(" ", 1)[-1].lower()
            is_year = len(part) == 4 and part.isdigit()
            if (is_year and prev_last in _EVENT_WORDS) or (
                part.lower() in qualifiers and prev.lower() not in qualifiers and prev[:1].isupper()
            ):
                tags[-1] = f"{prev}, {part}"
                continue
        tags.append(part)
    seen: set[str] = set()
    return [t for t in tags if not (t in seen or seen.add(t))]

"""Split ``_Context: tag, tag_`` lists whose tags may themselves contain ', '."""
from __future__ import annotations

from transforms.text import clean

_EVENT_WORDS = frozenset(
    "election elections referendum primary primaries caucuses season championship championships "
    "olympics games cup riots protests unrest bombing bombings attack attacks shooting earthquake "
    "hurricane typhoon cyclone storm floods crisis summit strike strikes".split()
)
# Context lists recur across files (hub events, day lists), so split results are memoized per
# qualifier set. Bounded: the memo is emptied when it holds this many distinct raw lists (~0.3 KB each).
MEMO_MAX = 50_000
_memo: tuple[frozenset[str], dict[str, tuple[str, ...]]] = (frozenset(), {})


def _split(raw: str, qualifiers: frozenset[str]) -> tuple[str, ...]:
    tags: list[str] = []
    for x in raw.split(","):
        part = clean(x)
        if not part:
            continue
        if tags:
            prev = tags[-1]
            if (len(part) == 4 and part.isdigit() and prev.rsplit(" ", 1)[-1].lower() in _EVENT_WORDS) or (
                part.lower() in qualifiers and prev.lower() not in qualifiers and prev[:1].isupper()
            ):
                tags[-1] = f"{prev}, {part}"
                continue
        tags.append(part)
    return tuple(dict.fromkeys(tags))  # without duplicates, first occurrence kept


def split_context(raw: str, qualifiers: frozenset[str] = frozenset()) -> list[str]:
    """Tags of a context list, in order, without duplicates (a new list on every call).

    ``qualifiers`` (lower case; from ``config/tag_qualifiers.txt``) are place names that follow a
    place inside one tag: ``Denpasar, Bali`` stays one tag when ``bali`` is a qualifier and
    ``Denpasar`` is not one itself. ``Chilean general election, 2017`` stays one tag because a year
    follows an event noun.
    """
    global _memo
    if type(qualifiers) is not frozenset:  # a mutable set could change under the memo
        return list(_split(raw, qualifiers))
    known, memo = _memo  # one read: other threads may swap the slot, this pair stays consistent
    if known is not qualifiers:
        if known != qualifiers:
            memo = {}
        _memo = (qualifiers, memo)  # keep the caller's object so the next call is an identity check
    tags = memo.get(raw)
    if tags is None:
        if len(memo) >= MEMO_MAX:
            memo.clear()
        tags = memo[raw] = _split(raw, qualifiers)
    return list(tags)

"""Group one day's event files into events: the same event under several slugs collapses into one.

Evidence that two files (or a file and a day-list entry) are the same event, all within one day:
- the same archive key (a seed and its dated copy, a re-crawl of the same path);
- a ``### Changes:`` list linking one to the other (updated headlines);
- headline keys where one is a prefix of the other, after dropping 0-3 topic prefixes; keys are
  consonant skeletons (``transforms.text.skeleton``) so lost or mangled letters do not matter, and
  prefixes cover headlines and slugs cut at different lengths.
"""
from __future__ import annotations

from dataclasses import dataclass

from transforms.day_list import DayEntry
from transforms.event_file import ParsedEvent
from transforms.text import clean, skeleton
from transforms.topics import topic_suffixes

MIN_KEY = 24  # shorter headline skeletons are too generic to prove identity by prefix


@dataclass(slots=True)
class EventGroup:
    """One event: its files (canonical first) and the day-list entries that list it."""

    files: list[ParsedEvent]
    entries: list[DayEntry]

    @property
    def canonical(self) -> ParsedEvent:
        return self.files[0]


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _headline_keys(headline: str) -> set[str]:
    return {k for s in topic_suffixes(headline) if len(k := skeleton(s)) >= MIN_KEY}


def _full_headline(e: ParsedEvent) -> str:
    """``clean(e.headline_raw) or e.headline``: the headline with its topic prefix, if any.

    ``parse_event_file`` leaves the cleaned headline whole when it finds no topic: then no clean is needed.
    """
    return e.headline if e.topic is None else clean(e.headline_raw) or e.headline


def _rank(e: ParsedEvent, listed: set[str]) -> tuple:
    """Sort key choosing the canonical file: current version, dated, listed, richest, newest format."""
    return (
        not e.is_current_version,
        e.generation == "seed",
        e.key not in listed,
        -(len(e.sources) + len(e.related)),
        e.generation != "formats",
        -len(e.headline_raw),
        e.path,
    )


def group_day(events: list[ParsedEvent], entries: list[DayEntry]) -> list[EventGroup]:
    """Collapse one day's parsed files into events; ``entries`` are that day's day-list entries."""
    n_ev = len(events)
    uf = _UnionFind(n_ev + len(entries))
    by_key: dict[str, int] = {}
    for i, e in enumerate(events):
        j = by_key.setdefault(e.key, i)
        if j != i:
            uf.union(i, j)
    for i, e in enumerate(events):
        for c in e.changes:
            j = by_key.get(c.target_key) if c.target_key else None
            if j is not None:
                uf.union(i, j)
    for k, entry in enumerate(entries):
        j = by_key.get(entry.target_key) if entry.target_key else None
        if j is not None:
            uf.union(n_ev + k, j)

    keyed: list[tuple[str, int]] = []
    for i, e in enumerate(events):
        keyed.extend((k, i) for k in _headline_keys(_full_headline(e)))
    for k, entry in enumerate(entries):
        keyed.extend((key, n_ev + k) for key in _headline_keys(entry.headline))
    keyed.sort()
    n_keyed = len(keyed)
    for a, (key_a, node_a) in enumerate(keyed):
        b = a + 1
        while b < n_keyed and keyed[b][0].startswith(key_a):
            uf.union(node_a, keyed[b][1])
            b += 1

    members: dict[int, tuple[list[ParsedEvent], list[DayEntry]]] = {}
    for i, e in enumerate(events):
        members.setdefault(uf.find(i), ([], []))[0].append(e)
    for k, entry in enumerate(entries):
        root = uf.find(n_ev + k)
        if root in members:
            members[root][1].append(entry)
    listed = {en.target_key for en in entries if en.target_key}
    # Most groups hold one file: nothing to rank.
    groups = [EventGroup(files if len(files) == 1 else sorted(files, key=lambda e: _rank(e, listed)), ents)
              for files, ents in members.values()]
    groups.sort(key=lambda g: g.canonical.path)
    return groups

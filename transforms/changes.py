"""Plan an incremental run: compare the files found now with the manifest of the live snapshot."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Known:
    """What the manifest remembers of a file."""

    size: int
    mtime_ns: int
    content_hash: str | None
    day: dt.date | None


@dataclass
class ChangeSet:
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.new or self.changed or self.deleted)


def diff_files(current: dict[str, tuple[int, int]], known: dict[str, Known]) -> ChangeSet:
    """Classify paths by (size, mtime_ns): a file whose stat is unchanged is not read again."""
    out = ChangeSet()
    for path, (size, mtime) in current.items():
        k = known.get(path)
        if k is None:
            out.new.append(path)
        elif k.size != size or k.mtime_ns != mtime:
            out.changed.append(path)
        else:
            out.unchanged.append(path)
    out.deleted = [p for p in known if p not in current]
    return out


def month_unit(day: dt.date | None) -> str:
    """Partition unit of a day: ``YYYY-MM``; ``undated`` for files with no day (rejected seeds)."""
    return f"{day.year:04d}-{day.month:02d}" if day else "undated"

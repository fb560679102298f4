"""Snapshot partitions: carry a unit's rows from the previous snapshot, replacing what changed."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from warehouse.schema import SCHEMAS
from warehouse.store import write_parquet


def part_path(snapshot: Path, table: str, unit: str) -> Path:
    return snapshot / table / f"part-{unit}.parquet"


def units_of(snapshot: Path | None, table: str) -> set[str]:
    """Units that have a file for ``table`` in ``snapshot``."""
    if snapshot is None or not (snapshot / table).is_dir():
        return set()
    units = {p.name[len("part-"):-len(".parquet")] for p in (snapshot / table).glob("part-*.parquet")}
    units.discard("empty")
    return units


def in_days(day: pa.Array | pa.ChunkedArray, days: set[dt.date]) -> pa.Array | pa.ChunkedArray:
    """Mask of the rows whose ``day`` is one of ``days`` (false for undated rows)."""
    return pc.fill_null(pc.is_in(day, value_set=pa.array(sorted(days), pa.date32())), False)


def by_day(t: pa.Table) -> pa.Table:
    """``t`` sorted by ``day`` (stable, undated rows last). A table already in that order, as a batch's
    rows of a full build are, is returned as it is: ``sort_by`` would copy every column."""
    day = t["day"]
    dated = t.num_rows - day.null_count
    head = day[:dated]
    if head.null_count == 0 and (dated < 2 or pc.all(pc.greater_equal(head[1:], head[:-1])).as_py()):
        return t  # dated rows in order, undated ones (if any) after them
    return t.sort_by([("day", "ascending")])


def rewrite_unit(prev: Path | None, staging: Path, table: str, unit: str, drop_days: set[dt.date],
                 drop_paths: set[str], new: pa.Table | None, compression: str) -> tuple[int, pa.Table | None]:
    """Write ``table``'s ``unit`` into ``staging``: previous rows minus replaced days/paths, plus ``new``.

    When the replaced rows are exactly ``new`` (an edit that leaves this table's rows as they were,
    or a rebuilt day with no rows here), the previous file is hard-linked instead: an incremental
    run's cost is mostly rewriting partitions, and most tables do not change with most edits.

    Returns the number of rows in the unit (no file is written for zero rows) and the previous
    partition (None when there was none).
    """
    schema = SCHEMAS[table]
    new = by_day(new.cast(schema)) if new is not None and new.num_rows else None
    old_file = part_path(prev, table, unit) if prev else None
    old = None
    parts: list[pa.Table] = []
    if old_file is not None and old_file.exists():
        old = pq.read_table(old_file)
        drop = in_days(old["day"], drop_days)
        if "path" in old.column_names and drop_paths and table in ("rejects", "manifest", "day_lists", "event_files"):
            drop = pc.or_(drop, pc.is_in(old["path"], value_set=pa.array(sorted(drop_paths), pa.string())))
        replaced = old.filter(drop).cast(schema)
        if (new is None and not replaced.num_rows) or (new is not None and replaced.equals(new)):
            link_unit(prev, staging, table, unit)
            return old.num_rows, old
        parts.append(old.filter(pc.invert(drop)))
    if new is not None:
        parts.append(new)
    if not parts:
        return 0, old
    t = new if len(parts) == 1 and parts[0] is new else by_day(pa.concat_tables(parts).cast(schema))
    if not t.num_rows:
        return 0, old
    write_parquet(t, part_path(staging, table, unit), compression)
    return t.num_rows, old


def link_unit(prev: Path, staging: Path, table: str, unit: str) -> None:
    """Reuse an unchanged partition file of the previous snapshot (hard link: no copy, no rewrite)."""
    dst = part_path(staging, table, unit)
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.link(part_path(prev, table, unit), dst)


def ensure_nonempty(staging: Path, table: str, compression: str) -> None:
    """Every table needs one file so its view has a schema: write a zero-row one if there is none."""
    folder = staging / table
    if not folder.is_dir() or not any(folder.glob("part-*.parquet")):
        write_parquet(pa.Table.from_pylist([], schema=SCHEMAS[table]), folder / "part-empty.parquet", compression)

"""Building one batch of month partitions: read, parse, normalize, write. No Prefect here.

``pipelines.flow`` wraps ``build_units`` in a Prefect task. For large runs it hands the work to a pool
of worker processes (``worker_pool``) that import only this module and what it needs (transforms,
pyarrow, the classifier): they start in about a second, where a Prefect process-pool worker needs
several. Each batch owns whole month partitions, so workers write their own Parquet files and only
counts travel back.
"""
from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import resource
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.compute as pc

import transforms
from config.reference import cached_classifier
from pipelines.inputs import InputFile, ParsedBatch, input_files, read_and_parse
from transforms.archive_paths import date_from_path
from transforms.changes import month_units
from transforms.dedupe import group_day
from transforms.normalize import append_row, empty_tables, normalize_groups
from warehouse.partitions import by_day, in_days, rewrite_unit
from warehouse.schema import SCHEMAS, SNAPSHOT_TABLES
from warehouse.store import to_table


@dataclass
class BuildContext:
    """What every batch of a run shares: where to read the previous rows from and write the new ones,
    which previous rows to replace, and the parsing configuration."""

    prev: Path | None
    staging: Path
    drop_days: set[dt.date]  # days rebuilt by this run: their previous rows go
    drop_paths: set[str]  # undated paths that changed: their previous rows go wherever they are
    max_bytes: int
    qualifiers: frozenset[str]
    gazetteer: Path
    rules: Path
    compression: str


@dataclass
class Batch:
    """Whole month partitions (``units``) to rewrite, the files of their rebuilt days to read (listing
    rows, see ``pipelines.inputs.LISTING_SCHEMA``), and what belongs to those days but was read
    elsewhere (``extra``: parsed seeds, discovery rejects; ``extra_info``: listing entries of those)."""

    units: list[str]
    files: pa.Table
    extra: ParsedBatch
    extra_info: dict[str, InputFile]


_gc_lock = threading.Lock()
_gc_holders = 0  # batches of this process running with the cyclic collector paused
_gc_was_enabled = True


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the block runs, then collect what the block left.

    A batch allocates millions of short-lived, acyclic objects (parsed files, rows), which reference
    counting frees; meanwhile the collector keeps re-scanning the long-lived memos and the classifier.
    That was ~11% of a batch's CPU (perf: ``gc_collect_main``, ``visit_decref``, ``visit_reachable``).
    Objects the block allocated stay in the youngest generation, so one young collection at the end
    finds any cycles among them. Nested and concurrent blocks (threads of the ``local`` runner) share
    one pause; the collector's state before the first one comes back after the last one.
    """
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        if _gc_holders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_was_enabled:
                gc.enable()
        gc.collect(0)


def build_units(batch: Batch, ctx: BuildContext) -> dict[str, Any]:
    """Parse a batch, normalize it into rows of every table and write its month partitions into the
    staged snapshot (previous rows of the rebuilt days out, new rows in), with the cyclic garbage
    collector paused (``gc_paused``).

    Returns rows written per table, files read, events added / removed / updated in the rebuilt days,
    and the seconds it took (wall clock, and CPU of this process: less when it waited for the disk or
    for a core).
    """
    with gc_paused():
        return _build_units(batch, ctx)


def _build_units(batch: Batch, ctx: BuildContext) -> dict[str, Any]:
    t0, c0 = time.perf_counter(), time.process_time()
    files = input_files(batch.files)
    parsed = read_and_parse(files, ctx.max_bytes, ctx.qualifiers)
    info = {f.path: f for f in files} | batch.extra_info
    rows = build_rows([parsed, batch.extra], info, cached_classifier(ctx.gazetteer, ctx.rules))
    written: Counter = Counter()
    events_before: list[pa.Table] = []
    events_after: list[pa.Table] = []
    for name in SNAPSHOT_TABLES:
        parts = unit_slices(by_day(to_table(name, rows[name])))
        for unit in batch.units:
            new = parts.get(unit, _EMPTY[name])
            n, old = rewrite_unit(ctx.prev, ctx.staging, name, unit, ctx.drop_days, ctx.drop_paths, new, ctx.compression)
            written[name] += n
            if name == "events":
                events_after.append(new)
                if old is not None:  # only the rebuilt days' rows are compared: keep no more
                    events_before.append(_in_days(old, ctx.drop_days))
    changes = _event_changes(events_before, events_after, ctx.drop_days)
    del rows, parsed, events_before, events_after
    pa.default_memory_pool().release_unused()  # a worker lives for the run: give the batch's memory back
    return {"written": written, "files": len(files), **changes, "seconds": time.perf_counter() - t0,
            "cpu_seconds": time.process_time() - c0,
            "peak_rss_mb": _peak_rss_mb(), "compiled": transforms.COMPILED}


_EMPTY = {name: SCHEMAS[name].empty_table() for name in SNAPSHOT_TABLES}


def unit_slices(t: pa.Table) -> dict[str, pa.Table]:
    """The rows of ``t`` (sorted by ``day``, see ``by_day``) per month unit: zero-copy slices, since
    each month's rows are one run in day order (undated rows last)."""
    runs = pc.run_end_encode(month_units(t["day"]))
    out: dict[str, pa.Table] = {}
    start = 0
    for unit, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist()):
        out[unit] = t.slice(start, end - start)
        start = end
    return out


def _peak_rss_mb() -> int:
    """This process's peak resident set since its program started (VmHWM). ``ru_maxrss`` would do
    only for a process that was not spawned: fork + exec charges a child the parent's pages at the fork."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _in_days(t: pa.Table, days: set[dt.date]) -> pa.Table:
    """Rows of ``t`` whose ``day`` is one of ``days`` (all rows when ``days`` is empty: a full run)."""
    if not days:
        return t
    return t.filter(in_days(t["day"], days))


def _event_changes(before: list[pa.Table], after: list[pa.Table], days: set[dt.date]) -> dict[str, int]:
    """Events added, removed and updated (any column differs) in ``days``, by event_id."""
    def rows(parts: list[pa.Table]) -> dict[str, tuple]:
        if not parts:
            return {}
        t = _in_days(pa.concat_tables([p.cast(SCHEMAS["events"]) for p in parts]), days)
        return {r["event_id"]: tuple(r.values()) for r in t.to_pylist()}

    if not before:  # nothing was there: every event is new (no need to look at the rows)
        return {"events_added": sum(p.num_rows for p in after), "events_removed": 0, "events_updated": 0}
    old, new = rows(before), rows(after)
    return {"events_added": len(new.keys() - old.keys()), "events_removed": len(old.keys() - new.keys()),
            "events_updated": sum(1 for k in new.keys() & old.keys() if new[k] != old[k])}


def build_rows(batches: list[ParsedBatch], files: dict[str, InputFile], classifier: Any) -> dict[str, dict[str, list]]:
    """Group each day's files into events and build the rows of every table (and the manifest)."""
    events_by_day: dict[dt.date, list] = defaultdict(list)
    entries_by_day: dict[dt.date, list] = defaultdict(list)
    meta: dict[str, tuple[str, int]] = {}
    tables = empty_tables()

    def manifest(day: dt.date | None, path: str, kind: str) -> None:
        f = files.get(path)
        h, _size = meta.get(path, (None, None))
        append_row(tables["manifest"], day=day, path=path, root=f.root if f else None, size=f.size if f else -1,
                   mtime_ns=f.mtime_ns if f else -1, content_hash=h, kind=kind)

    for b in batches:
        meta.update(b.meta)
    for b in batches:
        for e in b.events:
            day = date_from_path(e.path) or e.date
            events_by_day[day].append(e)
            manifest(day, e.path, "event")
        for d in b.day_lists:
            day = date_from_path(d.path) or d.date
            entries_by_day[day].extend(d.entries)
            h, size = meta.get(d.path, (None, None))
            append_row(tables["day_lists"], day=day, path=d.path, date=d.date, year=d.date.year, entries=len(d.entries),
                       content_hash=h, size=size)
            manifest(day, d.path, "day_list")
        for path, reason, detail in b.rejects:
            day = date_from_path(path)
            h, size = meta.get(path, (None, None))
            append_row(tables["rejects"], day=day, path=path, reason=reason, detail=detail, content_hash=h, size=size)
            manifest(day, path, "reject")
    for day in sorted(events_by_day):
        normalize_groups(day, group_day(events_by_day[day], entries_by_day.get(day, [])), meta, classifier, tables)
    return tables


_pool: ProcessPoolExecutor | None = None


def _warm(gazetteer: Path, rules: Path) -> None:
    """Worker initializer: build the classifier once, before the first batch arrives."""
    cached_classifier(gazetteer, rules)


@contextmanager
def worker_pool(workers: int, gazetteer: Path, rules: Path) -> Iterator[ProcessPoolExecutor]:
    """Run ``run_batch`` calls of this process in ``workers`` worker processes while the block lasts.

    Workers are spawned (not forked: the flow's process runs Prefect's threads) and started at once,
    so their start-up overlaps the flow's own work until the first batch is submitted.
    """
    global _pool
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_warm, initargs=(gazetteer, rules)) as pool:
        for _ in range(workers):
            pool.submit(int)
        _pool = pool
        try:
            yield pool
        finally:
            _pool = None


def run_batch(batch: Batch, ctx: BuildContext) -> dict[str, Any]:
    """``build_units`` in the active worker pool, else in this process."""
    pool = _pool
    if pool is None:
        return build_units(batch, ctx)
    return pool.submit(build_units, batch, ctx).result()

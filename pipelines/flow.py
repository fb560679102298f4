"""The build flow: discover -> plan -> parse (batches) -> normalize -> write -> publish.

Tasks are thin: each calls plain functions from ``transforms`` (what) or ``warehouse`` (where); the
flow decides order and batching. One code path serves full and incremental runs: a full run is an
incremental run against an empty previous snapshot. The unit of change is a *day folder*: a run
re-reads every file of each day that has a new, changed or deleted file, and rewrites the month
partitions holding those days; every other partition is hard-linked from the previous snapshot.
Work proceeds one year at a time, so memory follows the largest year, not the archive.
"""
from __future__ import annotations

import datetime as dt
import os
import time
from contextlib import contextmanager
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from functools import lru_cache
from typing import Any, Callable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq
from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE

from config.settings import Settings, get_settings
from config.vocab import load_qualifiers
from pipelines.inputs import Discovery, InputFile, ParsedBatch, discover, read_and_parse
from transforms.archive_paths import date_from_path
from transforms.changes import ChangeSet, Known, diff_files, month_unit
from transforms.dedupe import group_day
from transforms.normalize import append_row, empty_tables, normalize_groups
from warehouse.partitions import ensure_nonempty, link_unit, rewrite_unit, units_of
from warehouse.checks import CheckResult, ChecksFailed, load_checks, run_checks
from warehouse.publish import ensure_history_files, publish_views
from warehouse.schema import SNAPSHOT_TABLES
from warehouse.store import Warehouse, WarehouseError, new_run_id, to_table

ProgressHook = Callable[[str, int, int], None]
_progress: ProgressHook | None = None


def set_progress_hook(hook: ProgressHook | None) -> None:
    """Observer for interactive progress (the CLI sets it; scheduled runs leave it None)."""
    global _progress
    _progress = hook


def _report(stage: str, done: int, total: int) -> None:
    if _progress is not None:
        _progress(stage, done, total)


@dataclass
class Plan:
    """What a run has to do, computed from the file listing and the live snapshot's manifest."""

    discovery: Discovery
    prev: Path | None
    changes: ChangeSet
    files: dict[str, InputFile]
    known: dict[str, Known]
    affected_days: set[dt.date] = field(default_factory=set)
    dirty_paths: set[str] = field(default_factory=set)  # paths whose old rows go even without a day


@task(name="discover", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def discover_task(sources: list[Path]) -> Discovery:
    missing = [str(s) for s in sources if not Path(s).is_dir()]
    if missing:
        raise FileNotFoundError(f"source directory not found: {', '.join(missing)}")
    return discover(sources)


@task(name="plan", cache_policy=NO_CACHE)
def plan_task(d: Discovery, prev: Path | None) -> Plan:
    d = unbox(d)
    files = {f.path: f for f in d.files}
    known: dict[str, Known] = {}
    if prev is not None:
        for unit in units_of(prev, "manifest"):
            t = pq.read_table(prev / "manifest" / f"part-{unit}.parquet", columns=["path", "size", "mtime_ns", "content_hash", "day"])
            for path, size, mtime, h, day in zip(*(t.column(c).to_pylist() for c in t.column_names)):
                known[path] = Known(size, mtime, h, day)
    current = {p: (f.size, f.mtime_ns) for p, f in files.items()}
    current.update({r[0]: (-1, -1) for r in d.rejects})  # discovery rejects are always re-recorded
    changes = diff_files(current, known)
    plan = Plan(d, prev, changes, files, known)
    for path in changes.new + changes.changed + changes.deleted:
        old = known.get(path)
        if old is not None and old.day is not None:
            plan.affected_days.add(old.day)
        day = date_from_path(path)
        if day is not None:
            plan.affected_days.add(day)
        plan.dirty_paths.add(path)
    return plan


@task(name="parse-seeds", retries=1, retry_delay_seconds=1, cache_policy=NO_CACHE)
def parse_seeds_task(files: list[InputFile], max_bytes: int, qualifiers: frozenset[str]) -> ParsedBatch:
    """Parse the undated files first: their day, hence their batch, is known only from their text."""
    return read_and_parse(unbox(files), max_bytes, unbox(qualifiers))


@lru_cache(maxsize=4)
def _classifier(gazetteer: Path, rules: Path) -> Any:
    """One classifier per process (worker processes build their own on first use)."""
    from config.reference import load_classifier

    return load_classifier(gazetteer, rules)


@task(name="parse-normalize", retries=1, retry_delay_seconds=1, cache_policy=NO_CACHE)
def process_batch_task(files: list[InputFile], extra: ParsedBatch, info: dict[str, InputFile], max_bytes: int,
                       qualifiers: frozenset[str], gazetteer: Path, rules: Path) -> dict[str, dict[str, list]]:
    """Parse a batch of whole day folders and normalize it into rows of every table.

    ``extra`` carries what belongs to these days but was read elsewhere (seeds, discovery rejects).
    """
    files, extra, info, qualifiers = (unbox(x) for x in (files, extra, info, qualifiers))
    batch = read_and_parse(files, max_bytes, qualifiers)
    return build_rows([batch, extra], info, _classifier(gazetteer, rules))


class Box:
    """Carries a large task argument opaquely: Prefect does not walk it looking for futures (which
    costs more than the work on 10^5 parsed records) and Dask ships it as one pickle instead of
    rewriting its lists and tuples. Tasks open it with ``unbox``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __reduce__(self):
        return (Box, (self.value,))


def unbox(x: Any) -> Any:
    return x.value if isinstance(x, Box) else x


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


def merge_rows(parts: list[dict[str, dict[str, list]]]) -> dict[str, dict[str, list]]:
    """Concatenate the row tables of several batches."""
    out = empty_tables()
    for part in parts:
        for name, cols in part.items():
            for col, values in cols.items():
                out[name][col].extend(values)
    return out


def day_batches(files: list[InputFile], day_of: Callable[[InputFile], dt.date], size: int) -> list[list[InputFile]]:
    """Batches of about ``size`` files that never split a day folder (duplicates live within a day)."""
    by_day: dict[dt.date, list[InputFile]] = defaultdict(list)
    for f in files:
        by_day[day_of(f)].append(f)
    batches: list[list[InputFile]] = [[]]
    for day in sorted(by_day):
        if batches[-1] and len(batches[-1]) + len(by_day[day]) > size:
            batches.append([])
        batches[-1].extend(by_day[day])
    return [b for b in batches if b]


@task(name="write-units", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def write_units_task(prev: Path | None, staging: Path, tables: dict[str, dict[str, list]], drop_days: set[dt.date],
                     drop_paths: set[str], units: set[str], compression: str) -> Counter:
    """Rewrite ``units`` of every table: previous rows of the replaced days/paths out, new rows in."""
    tables, drop_days, drop_paths = unbox(tables), unbox(drop_days), unbox(drop_paths)
    written: Counter = Counter()
    for name in SNAPSHOT_TABLES:
        t = to_table(name, tables[name])
        by_unit = defaultdict(list)
        for i, day in enumerate(t.column("day").to_pylist()):
            by_unit[month_unit(day)].append(i)
        for unit in units | set(by_unit):
            new = t.take(pa.array(by_unit[unit], pa.int64())) if unit in by_unit else None
            written[name] += rewrite_unit(prev, staging, name, unit, drop_days, drop_paths, new, compression)
    return written


@task(name="check", cache_policy=NO_CACHE)
def check_task(wh: Warehouse, run_id: str, staging: Path, prev: Path | None, checks_file: Path) -> list[CheckResult]:
    """Run the data-quality checks on the staged snapshot; a failed error check blocks publishing."""
    ensure_history_files(wh)
    results = run_checks(staging, wh.state, load_checks(checks_file), prev)
    wh.write_checks(run_id, [r.row(run_id) for r in results])
    blocking = [r for r in results if r.status == "fail" and r.severity == "error"]
    if blocking:
        raise ChecksFailed("blocking data-quality checks failed, snapshot not published: "
                           + "; ".join(f"{r.check_name} ({r.detail})" for r in blocking))
    return results


@task(name="artifacts", cache_policy=NO_CACHE)
def artifacts_task(wh: Warehouse, summary: dict, results: list[CheckResult]) -> None:
    """Table and markdown artifacts so the Prefect UI shows what the run did."""
    from pipelines.artifacts import publish_artifacts

    publish_artifacts(wh, summary, results)


@task(name="report", cache_policy=NO_CACHE)
def report_task(wh: Warehouse) -> str | None:
    """Render the HTML report of the new snapshot next to it, and point the UI at it."""
    from prefect.artifacts import create_markdown_artifact

    from warehouse.report import write_report_after_run

    path = write_report_after_run(wh.root)
    if path is not None:
        create_markdown_artifact(key="currents-report", markdown=f"Report of this run: `{path}`",
                                 description="Self-contained HTML report written by the run")
    return str(path) if path else None


@task(name="publish", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def publish_task(wh: Warehouse, run_id: str, keep: int) -> list[str]:
    wh.finalize(run_id)
    wh.set_current(run_id)
    publish_views(wh, run_id)
    return wh.prune(keep)


@flow(name="currents-build", log_prints=True)
def build_warehouse(sources: list[str] | None = None, warehouse: str | None = None, wait: bool = False,
                    full: bool = False, report: bool | None = None) -> dict:
    """Bring the warehouse up to date with ``sources`` (``full``: rebuild from scratch) and publish it;
    ``report`` (default: CURRENTS_REPORT_AFTER_RUN) also renders ``<warehouse>/report.html``.

    Returns the run summary (also stored in the ``runs`` table).
    """
    settings: Settings = get_settings()
    log = get_run_logger()
    src = [Path(s).expanduser() for s in (sources or [str(settings.sample_source)])]
    wh = Warehouse(Path(warehouse).expanduser() if warehouse else settings.warehouse)
    t0 = time.perf_counter()
    run_id = new_run_id()
    record: dict[str, Any] = dict(
        run_id=run_id, started=dt.datetime.now(dt.UTC), finished=None, status="running", mode="full" if full else "incremental",
        sources=[str(s.resolve()) for s in src], files_seen=0, files_new=0, files_changed=0, files_deleted=0,
        files_unchanged=0, files_rejected=0, events=0, duplicates_merged=0, events_added=0, events_updated=0,
        events_removed=0, launches=0, snapshot=None, duration_s=None, error=None,
    )
    with wh.lock(wait=wait), _api_url_for_workers():
        wh.mark_abandoned_runs()
        wh.prune(settings.keep_snapshots)
        wh.write_run(record)
        try:
            summary = _build(wh, run_id, src, settings, log, full)
        except BaseException as exc:
            record.update(status="failed", finished=dt.datetime.now(dt.UTC), duration_s=round(time.perf_counter() - t0, 3),
                          error=f"{type(exc).__name__}: {exc}")
            try:
                wh.write_run(record)
            except OSError:
                pass
            raise
        if summary.get("published") and (settings.report_after_run if report is None else report):
            summary["report"] = report_task(wh)
        record.update({k: v for k, v in summary.items() if k in record})
        record.update(status="success", finished=dt.datetime.now(dt.UTC), duration_s=round(time.perf_counter() - t0, 3))
        wh.write_run(record)
    summary.update(run_id=run_id, duration_s=record["duration_s"], warehouse=str(wh.root))
    log.info("run %s: %s", run_id, summary)
    return summary


def _extra_paths(x: ParsedBatch) -> list[str]:
    return [e.path for e in x.events] + [d.path for d in x.day_lists] + [r[0] for r in x.rejects]


def _extras_for(batches: list[list[InputFile]], day_of: dict[str, dt.date], extras: dict[dt.date, ParsedBatch]) -> list[ParsedBatch]:
    """The extras of each batch (by the days it holds); days with extras only get batches of their own."""
    index = {day_of[f.path]: i for i, b in enumerate(batches) for f in b}
    out = [ParsedBatch() for _ in batches]
    for day, x in sorted(extras.items()):
        i = index.get(day)
        if i is None:
            out.append(ParsedBatch())
            i = len(out) - 1
        out[i].events.extend(x.events)
        out[i].day_lists.extend(x.day_lists)
        out[i].rejects.extend(x.rejects)
        out[i].meta.update(x.meta)
    return out


@contextmanager
def _api_url_for_workers() -> Iterator[None]:
    """Let worker processes (process pool, local Dask) report to this run's API instead of each
    starting a temporary Prefect server of its own: they inherit PREFECT_API_URL from os.environ."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if os.environ.get("PREFECT_API_URL") or not url:
        yield
        return
    os.environ["PREFECT_API_URL"] = str(url)
    try:
        yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)


def _build(wh: Warehouse, run_id: str, src: list[Path], settings: Settings, log, full: bool) -> dict:
    d = discover_task(src)
    prev_name = None if full else wh.current()
    prev = wh.snapshots / prev_name if prev_name else None
    plan = plan_task(Box(d), prev)
    ch = plan.changes
    log.info("%d files: %d new, %d changed, %d deleted, %d unchanged; %d days to rebuild",
             len(ch.new) + len(ch.changed) + len(ch.unchanged), len(ch.new), len(ch.changed), len(ch.deleted),
             len(ch.unchanged), len(plan.affected_days))
    counts = dict(mode="full" if prev is None else "incremental", files_seen=len(d.files) + len(d.rejects), files_new=len(ch.new), files_changed=len(ch.changed),
                  files_deleted=len(ch.deleted), files_unchanged=len(ch.unchanged), ignored_files=dict(d.ignored))
    if ch.empty and prev is not None:
        return {**counts, **_snapshot_stats(prev), "snapshot": prev_name, "published": False, "events_added": 0,
                "events_updated": 0, "events_removed": 0}

    qualifiers = load_qualifiers(settings.tag_qualifiers)
    staging = wh.staging_dir(run_id)
    try:
        staging.mkdir(parents=True)
    except OSError as exc:
        raise WarehouseError(f"cannot create a snapshot in {wh.snapshots}: {exc.strerror or exc}") from None
    old_events = _events_of_days(prev, plan.affected_days)

    # Undated files (seeds) that are new or changed are parsed first: only then is their day known.
    dirty = set(ch.new) | set(ch.changed)
    undated_dirty = [plan.files[p] for p in sorted(dirty) if p in plan.files and date_from_path(p) is None]
    seeds = parse_seeds_task(Box(undated_dirty), settings.max_file_bytes, Box(qualifiers)) if undated_dirty else ParsedBatch()
    plan.affected_days.update(e.date for e in seeds.events)
    plan.affected_days.update(dl.date for dl in seeds.day_lists)

    # Every file of an affected day is re-read (unchanged seeds of those days included).
    day_of: dict[str, dt.date] = {}
    for path in plan.files:
        day = date_from_path(path)
        if day is None:
            k = plan.known.get(path)
            if path in dirty or k is None or k.day is None:
                continue
            day = k.day
        if day in plan.affected_days:
            day_of[path] = day
    # What belongs to a day but is not read by its batch: parsed seeds and discovery rejects.
    extras: dict[dt.date | None, ParsedBatch] = defaultdict(ParsedBatch)
    for e in seeds.events:
        extras[e.date].events.append(e)
        extras[e.date].meta[e.path] = seeds.meta[e.path]
    for dl in seeds.day_lists:
        extras[dl.date].day_lists.append(dl)
        extras[dl.date].meta[dl.path] = seeds.meta[dl.path]
    for path, reason, detail in seeds.rejects:
        extras[None].rejects.append((path, reason, detail))
        if path in seeds.meta:
            extras[None].meta[path] = seeds.meta[path]
    for path, reason, detail in d.rejects:  # rejected at discovery (symlinks...): only where rebuilt
        day = date_from_path(path)
        if path in plan.dirty_paths or day in plan.affected_days:
            extras[day].rejects.append((path, reason, detail))
    dirty_units = {month_unit(day) for day in plan.affected_days} | {"undated"}
    by_year: dict[int, list[InputFile]] = defaultdict(list)
    for path, day in day_of.items():
        by_year[day.year].append(plan.files[path])
    years = sorted(set(by_year) | {day.year for day in plan.affected_days})

    total, done = len(day_of) + len(undated_dirty), len(undated_dirty)
    _report("parse", done, total)
    args = (unmapped(settings.max_file_bytes), unmapped(Box(qualifiers)), unmapped(settings.gazetteer), unmapped(settings.launch_rules))
    # Large arguments travel in a Box (see there).
    for year in [None] + years:
        if year is None:
            batches, batch_extras = [[]], [extras.get(None, ParsedBatch())]
        else:
            batches = day_batches(by_year.get(year, []), lambda f: day_of[f.path], settings.batch_files)
            batch_extras = _extras_for(batches, day_of, {k: v for k, v in extras.items() if k is not None and k.year == year})
            batches += [[]] * (len(batch_extras) - len(batches))
        infos = [{f.path: f for f in b} | {p: plan.files[p] for p in _extra_paths(ex) if p in plan.files}
                 for b, ex in zip(batches, batch_extras)]
        futures = process_batch_task.map([Box(b) for b in batches], [Box(x) for x in batch_extras], [Box(i) for i in infos], *args)
        parts = []
        for f, b in zip(futures, batches):
            parts.append(f.result())
            done += len(b)
            _report("parse", done, total)
        units = {u for u in dirty_units if (u == "undated") == (year is None) and (year is None or u.startswith(f"{year:04d}-"))}
        write_units_task(prev, staging, Box(merge_rows(parts)), Box(plan.affected_days), Box(plan.dirty_paths), units,
                         settings.parquet_compression)
    if prev is not None:
        for name in SNAPSHOT_TABLES:
            for unit in units_of(prev, name) - dirty_units:
                link_unit(prev, staging, name, unit)
    for name in SNAPSHOT_TABLES:
        ensure_nonempty(staging, name, settings.parquet_compression)
    new_events = _events_of_days(staging, plan.affected_days)
    results = check_task(wh, run_id, staging, prev, settings.checks)
    _report("publish", 0, 1)
    removed = publish_task(wh, run_id, settings.keep_snapshots)
    _report("publish", 1, 1)
    stats = _snapshot_stats(wh.snapshots / run_id)
    summary = {
        **counts, **stats, "snapshot": run_id, "published": True, "snapshots_removed": removed,
        "events_added": len(new_events.keys() - old_events.keys()),
        "events_removed": len(old_events.keys() - new_events.keys()),
        "events_updated": sum(1 for k in new_events.keys() & old_events.keys() if new_events[k] != old_events[k]),
        "checks": {r.check_name: r.status for r in results},
        "checks_failed": [f"{r.check_name} ({r.severity}): {r.detail}" for r in results if r.status == "fail"],
    }
    artifacts_task(wh, summary, results)
    return summary


def _events_of_days(snapshot: Path | None, days: set[dt.date]) -> dict[str, tuple]:
    """event_id -> row of the events (of ``days``) in a snapshot, for added/updated/removed counts."""
    if snapshot is None or not days:
        return {}
    out: dict[str, tuple] = {}
    for unit in {month_unit(d) for d in days} & units_of(snapshot, "events"):
        t = pq.read_table(snapshot / "events" / f"part-{unit}.parquet")
        for row in t.to_pylist():
            if row["day"] in days:
                out[row["event_id"]] = tuple(row.values())
    return out


def _snapshot_stats(snapshot: Path) -> dict:
    """Row counts and reject reasons of a snapshot, read from Parquet metadata and the rejects table."""
    def rows(table: str) -> int:
        return sum(pq.ParquetFile(p).metadata.num_rows for p in (snapshot / table).glob("*.parquet"))

    reasons = Counter()
    for p in (snapshot / "rejects").glob("*.parquet"):
        reasons.update(pq.read_table(p, columns=["reason"]).column("reason").to_pylist())
    n_events, n_files = rows("events"), rows("event_files")
    return dict(events=n_events, event_files=n_files, day_lists=rows("day_lists"), duplicates_merged=n_files - n_events,
                files_rejected=sum(reasons.values()), rejects_by_reason=dict(reasons), launches=rows("launches"))

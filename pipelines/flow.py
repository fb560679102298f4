"""The build flow: discover -> parse (batches) -> normalize -> write -> publish.

Tasks are thin: each calls plain functions from ``transforms`` (what) or ``warehouse`` (where);
the flow decides order and batching. Work is done one year (of the source folders) at a time, so
memory stays bounded by the largest year, not the archive.
"""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable

from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE

from config.settings import Settings, get_settings
from config.vocab import load_qualifiers
from pipelines.inputs import Discovery, InputFile, ParsedBatch, discover, read_and_parse
from transforms.dedupe import group_day
from transforms.normalize import empty_tables, normalize_groups
from warehouse.publish import publish_views
from warehouse.store import Warehouse, WarehouseError, new_run_id, to_table, write_parquet
from warehouse.schema import SNAPSHOT_TABLES

# Optional observer for interactive progress (the CLI sets it; scheduled runs leave it None).
ProgressHook = Callable[[str, int, int], None]
_progress: ProgressHook | None = None


def set_progress_hook(hook: ProgressHook | None) -> None:
    global _progress
    _progress = hook


def _report(stage: str, done: int, total: int) -> None:
    if _progress is not None:
        _progress(stage, done, total)


@task(name="discover", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def discover_task(sources: list[Path]) -> Discovery:
    missing = [str(s) for s in sources if not Path(s).is_dir()]
    if missing:
        raise FileNotFoundError(f"source directory not found: {', '.join(missing)}")
    return discover(sources)


@task(name="parse-batch", retries=1, retry_delay_seconds=1, cache_policy=NO_CACHE)
def parse_batch_task(files: list[InputFile], max_bytes: int, qualifiers: frozenset[str]) -> ParsedBatch:
    return read_and_parse(files, max_bytes, qualifiers)


@task(name="normalize-year", cache_policy=NO_CACHE)
def normalize_task(batches: list[ParsedBatch], classifier: Any) -> dict[str, dict[str, list]]:
    """Group each day's files into events and build the rows of every table for one unit."""
    events_by_day: dict[dt.date, list] = defaultdict(list)
    entries_by_day: dict[dt.date, list] = defaultdict(list)
    meta: dict[str, tuple[str, int]] = {}
    tables = empty_tables()
    tables["rejects"] = {c: [] for c in ("path", "reason", "detail", "content_hash", "size")}
    tables["day_lists"] = {c: [] for c in ("path", "date", "year", "entries", "content_hash", "size")}
    for b in batches:
        meta.update(b.meta)
        for e in b.events:
            events_by_day[e.date].append(e)
        for d in b.day_lists:
            entries_by_day[d.date].extend(d.entries)
            h, size = b.meta.get(d.path, (None, None))
            for col, v in zip(tables["day_lists"], (d.path, d.date, d.date.year, len(d.entries), h, size)):
                tables["day_lists"][col].append(v)
        for path, reason, detail in b.rejects:
            h, size = b.meta.get(path, (None, None))
            for col, v in zip(tables["rejects"], (path, reason, detail, h, size)):
                tables["rejects"][col].append(v)
    for day in sorted(events_by_day):
        groups = group_day(events_by_day[day], entries_by_day.get(day, []))
        normalize_groups(groups, meta, classifier, tables)
    return tables


@task(name="write-unit", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def write_task(staging: Path, unit: str, tables: dict[str, dict[str, list]], compression: str) -> None:
    for name in SNAPSHOT_TABLES:
        write_parquet(to_table(name, tables[name]), staging / name / f"part-{unit}.parquet", compression)


@task(name="publish", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def publish_task(wh: Warehouse, run_id: str, keep: int) -> list[str]:
    wh.finalize(run_id)
    wh.set_current(run_id)
    publish_views(wh, run_id)
    return wh.prune(keep)


def _batches(files: list[InputFile], size: int) -> list[list[InputFile]]:
    return [files[i:i + size] for i in range(0, len(files), size)]


def _units(d: Discovery) -> dict[int | None, list[InputFile]]:
    by_unit: dict[int | None, list[InputFile]] = defaultdict(list)
    for f in d.files:
        by_unit[f.unit].append(f)
    return by_unit


@flow(name="currents-build", log_prints=True)
def build_warehouse(sources: list[str] | None = None, warehouse: str | None = None, wait: bool = False) -> dict:
    """Build a new warehouse snapshot from ``sources`` and publish it; returns the run summary."""
    settings: Settings = get_settings()
    log = get_run_logger()
    src = [Path(s).expanduser() for s in (sources or [str(settings.sample_source)])]
    wh = Warehouse(Path(warehouse).expanduser() if warehouse else settings.warehouse)
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    run_id = new_run_id()
    record: dict[str, Any] = dict(
        run_id=run_id, started=started, finished=None, status="running", mode="full",
        sources=[str(s.resolve()) for s in src], files_seen=0, files_new=0, files_changed=0, files_deleted=0,
        files_unchanged=0, files_rejected=0, events=0, duplicates_merged=0, events_added=0, events_updated=0,
        events_removed=0, launches=0, snapshot=None, duration_s=None, error=None,
    )
    with wh.lock(wait=wait):
        wh.mark_abandoned_runs()
        wh.prune(settings.keep_snapshots)
        wh.write_run(record)
        try:
            summary = _build(wh, run_id, src, settings, log)
        except BaseException as exc:
            record.update(status="failed", finished=dt.datetime.now(dt.UTC), duration_s=time.perf_counter() - t0,
                          error=f"{type(exc).__name__}: {exc}")
            try:
                wh.write_run(record)
            except OSError:
                pass
            raise
        record.update(status="success", finished=dt.datetime.now(dt.UTC), duration_s=round(time.perf_counter() - t0, 3),
                      snapshot=run_id, files_new=summary["files_seen"],
                      **{k: summary[k] for k in ("files_seen", "files_rejected", "events", "duplicates_merged", "launches")},
                      events_added=summary["events"])
        wh.write_run(record)
    summary.update(run_id=run_id, duration_s=record["duration_s"], warehouse=str(wh.root))
    log.info("run %s: %s", run_id, {k: v for k, v in summary.items() if k != "rejects_by_reason"})
    return summary


def _build(wh: Warehouse, run_id: str, src: list[Path], settings: Settings, log) -> dict:
    from config.reference import load_classifier

    classifier = load_classifier(settings.gazetteer, settings.launch_rules)
    qualifiers = load_qualifiers(settings.tag_qualifiers)
    staging = wh.staging_dir(run_id)
    try:
        staging.mkdir(parents=True)
    except OSError as exc:
        raise WarehouseError(f"cannot create snapshot in {wh.snapshots}: {exc.strerror or exc}") from None

    d = discover_task(src)
    log.info("discovered %d input files (%d rejected at discovery, ignored: %s)", len(d.files), len(d.rejects), d.ignored or "none")
    by_unit = _units(d)
    total, done = len(d.files), 0
    _report("parse", 0, total)

    # Undated files (seeds) first: their date, hence their unit, is only known after parsing.
    carry: dict[int, ParsedBatch] = defaultdict(ParsedBatch)
    undated_batches = [parse_batch_task(b, settings.max_file_bytes, qualifiers) for b in _batches(by_unit.pop(None, []), settings.batch_files)]
    extra_rejects = ParsedBatch(rejects=list(d.rejects))
    for b in undated_batches:
        done += len(b.meta) + sum(1 for r in b.rejects if r[0] not in b.meta)
        extra_rejects.rejects.extend(b.rejects)
        for e in b.events:
            c = carry[e.date.year]
            c.events.append(e)
            c.meta[e.path] = b.meta[e.path]
        for p, m in b.meta.items():
            extra_rejects.meta.setdefault(p, m)
    _report("parse", done, total)

    counts: Counter = Counter()
    rejects_by_reason: Counter = Counter()
    units = sorted(set(by_unit) | set(carry))
    for i, unit in enumerate(units):
        files = by_unit.get(unit, [])
        futures = parse_batch_task.map(_batches(files, settings.batch_files), unmapped(settings.max_file_bytes), unmapped(qualifiers))
        batches = [f.result() for f in futures]
        if unit in carry:
            batches.append(carry[unit])
        if i == 0:
            batches.append(extra_rejects)
        done += len(files)
        _report("parse", done, total)
        tables = normalize_task(batches, classifier)
        write_task(staging, str(unit), tables, settings.parquet_compression)
        counts["events"] += len(tables["events"]["event_id"])
        counts["event_files"] += len(tables["event_files"]["path"])
        counts["day_lists"] += len(tables["day_lists"]["path"])
        counts["launches"] += len(tables["launches"]["event_id"])
        rejects_by_reason.update(tables["rejects"]["reason"])
    if not units:  # empty source: still publish a (empty) snapshot so views exist
        tables = normalize_task([extra_rejects], classifier)
        write_task(staging, "empty", tables, settings.parquet_compression)
        rejects_by_reason.update(tables["rejects"]["reason"])
    _report("publish", 0, 1)
    removed = publish_task(wh, run_id, settings.keep_snapshots)
    _report("publish", 1, 1)
    n_rejects = sum(rejects_by_reason.values())
    return dict(
        snapshot=run_id,
        files_seen=len(d.files) + len(d.rejects),
        event_files=counts["event_files"],
        day_lists=counts["day_lists"],
        events=counts["events"],
        duplicates_merged=counts["event_files"] - counts["events"],
        files_rejected=n_rejects,
        rejects_by_reason=dict(rejects_by_reason),
        launches=counts["launches"],
        ignored_files=dict(d.ignored),
        snapshots_removed=removed,
    )

"""The build flow: discover -> plan -> parse (batches) -> normalize -> write -> publish.

Tasks are thin: each calls plain functions from ``transforms`` (what) or ``warehouse`` (where); the
flow decides order and batching. One code path serves full and incremental runs: a full run is an
incremental run against an empty previous snapshot. The unit of change is a *day folder*: a run
re-reads every file of each day that has a new, changed or deleted file, and rewrites the month
partitions holding those days; every other partition is hard-linked from the previous snapshot.
Batches of whole months (~``batch_files`` files each) are parsed, normalized and written by the
batch itself (``pipelines.batch_build``), so memory follows the batch size, not the archive.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import time
from contextlib import contextmanager, nullcontext
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from config.settings import Settings, get_settings
from config.vocab import load_qualifiers
from pipelines.batch_build import Batch, BuildContext, run_batch, worker_pool
from pipelines.inputs import Discovery, InputFile, ParsedBatch, discover, input_files, listing, read_and_parse
from transforms.archive_paths import date_from_path
from transforms.changes import month_unit, month_units
from warehouse.partitions import ensure_nonempty, link_unit, part_path, units_of
from warehouse.checks import CheckResult, ChecksFailed, load_checks, run_checks
from warehouse.publish import ensure_history_files, publish_views
from warehouse.schema import SNAPSHOT_TABLES
from warehouse.store import Warehouse, WarehouseError, new_run_id

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
    counts: dict[str, int]  # files new / changed / deleted / unchanged
    affected_days: set[dt.date] = field(default_factory=set)
    dirty_undated: set[str] = field(default_factory=set)  # new/changed/deleted paths outside a dated folder
    undated: dict[str, InputFile] = field(default_factory=dict)  # input files outside a dated folder (seeds)
    known_day: dict[str, dt.date | None] = field(default_factory=dict)  # the manifest's day of those files


@task(name="discover", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def discover_task(sources: list[Path], workers: int = 1, split_min_files: int = 0) -> Discovery:
    missing = [str(s) for s in sources if not Path(s).is_dir()]
    if missing:
        raise FileNotFoundError(f"source directory not found: {', '.join(missing)}")
    return discover(sources, workers, split_min_files)


_STAT = pa.schema([("path", pa.string()), ("size", pa.int64()), ("mtime_ns", pa.int64()), ("day", pa.date32())])


def _unit_runs(days: pa.ChunkedArray) -> Iterator[tuple[str, int, int]]:
    """``(unit, start, stop)`` of each run of rows in one partition unit (``YYYY-MM``, or ``undated``).

    A walk lists each month's files together, so a listing has about one run per month: rows are
    then taken as zero-copy slices (``take`` on a chunked table would copy the whole table each time).
    """
    if not len(days):
        return
    runs = pc.run_end_encode(month_units(days))  # one Array, also for a chunked column
    start = 0
    for unit, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist()):
        yield unit, start, end
        start = end


def _by_unit(table: pa.Table) -> dict[str, list[pa.Table]]:
    """Slices of ``table`` per partition unit of its ``day`` column, in table order."""
    out: dict[str, list[pa.Table]] = defaultdict(list)
    for unit, start, stop in _unit_runs(table["day"]):
        out[unit].append(table.slice(start, stop - start))
    return out


@task(name="plan", cache_policy=NO_CACHE)
def plan_task(d: Discovery, prev: Path | None) -> Plan:
    """Compare the listing with the manifest by (size, mtime_ns): a file whose stat is unchanged is not
    read again; each day holding a new, changed or deleted file is rebuilt.

    The comparison goes one month partition of the manifest at a time, so memory follows the
    largest month, not the archive (a 10^6-row join costs ~700 MB). Undated files (seeds) are
    compared last, with their manifest rows gathered from whichever month they were filed under.
    """
    d = unbox(d)
    rejected = pa.table([[r[0] for r in d.rejects], [-1] * len(d.rejects), [-1] * len(d.rejects),
                         [date_from_path(r[0]) for r in d.rejects]], schema=_STAT)  # discovery rejects: re-recorded
    cur = pa.concat_tables([d.files.select(_STAT.names).cast(_STAT), rejected])
    by_unit = _by_unit(cur)
    undated_paths = pa.concat_tables(by_unit["undated"])["path"] if "undated" in by_unit else pa.array([], pa.string())
    plan = Plan(d, prev, dict(new=0, changed=0, deleted=0, unchanged=0))
    old_seeds: list[pa.Table] = []
    manifest_units = units_of(prev, "manifest") if prev is not None else set()
    for unit in sorted((set(by_unit) | manifest_units) - {"undated"}) + ["undated"]:
        c = pa.concat_tables(by_unit[unit]) if unit in by_unit else _STAT.empty_table()
        o = pq.read_table(part_path(prev, "manifest", unit), columns=list(_STAT.names)).cast(_STAT) \
            if unit in manifest_units else _STAT.empty_table()
        if unit == "undated":
            o = pa.concat_tables([o, *old_seeds])
        elif len(undated_paths) and o.num_rows:
            seed = pc.is_in(o["path"], value_set=undated_paths)
            old_seeds.append(o.filter(seed))
            o = o.filter(pc.invert(seed))
        _compare(c, o, plan, unit == "undated")
    undated = pc.is_null(d.files["day"])
    plan.undated = {f.path: f for f in input_files(d.files.filter(undated))}
    return plan


def _compare(c: pa.Table, o: pa.Table, plan: Plan, undated: bool) -> None:
    """Add one unit's new / changed / deleted files (listing ``c`` against manifest ``o``) to ``plan``."""
    at = pc.index_in(c["path"], value_set=o["path"])  # row of each current file in the manifest
    is_new = pc.is_null(at)
    old_day = o["day"].take(at)
    is_changed = pc.fill_null(pc.or_(pc.not_equal(c["size"], o["size"].take(at)),
                                     pc.not_equal(c["mtime_ns"], o["mtime_ns"].take(at))), False)
    dirty = pc.or_(is_new, is_changed)
    n_new, n_changed = (pc.sum(x).as_py() or 0 for x in (is_new, is_changed))
    # Every manifest row matched by some current file: nothing deleted, no second join on paths (the
    # usual no-change unit). Distinct matches: a path can be listed twice (a file and a collision).
    if o.num_rows > pc.count_distinct(at).as_py():
        deleted = o.filter(pc.invert(pc.is_in(o["path"], value_set=c["path"])))
    else:
        deleted = o.slice(0, 0)
    for k, n in dict(new=n_new, changed=n_changed, deleted=deleted.num_rows, unchanged=c.num_rows - n_new - n_changed).items():
        plan.counts[k] += n
    for days in (c["day"].filter(dirty), old_day.filter(dirty), deleted["day"]):
        plan.affected_days.update(v for v in pc.unique(days).to_pylist() if v is not None)
    plan.dirty_undated.update(c["path"].filter(pc.and_(dirty, pc.is_null(c["day"]))).to_pylist())
    plan.dirty_undated.update(deleted["path"].to_pylist())
    if undated:
        plan.known_day.update(zip(c["path"].to_pylist(), old_day.to_pylist()))


@task(name="parse-seeds", retries=1, retry_delay_seconds=1, cache_policy=NO_CACHE)
def parse_seeds_task(files: list[InputFile], max_bytes: int, qualifiers: frozenset[str]) -> ParsedBatch:
    """Parse the undated files first: their day, hence their batch, is known only from their text."""
    return read_and_parse(unbox(files), max_bytes, unbox(qualifiers))


@task(name="parse-normalize-write", retries=1, retry_delay_seconds=1, cache_policy=NO_CACHE)
def build_units_task(batch: Batch, ctx: BuildContext) -> dict[str, Any]:
    """Parse a batch, normalize it and write its month partitions into the staged snapshot (see
    ``pipelines.batch_build.build_units``), in the run's worker pool when it has one."""
    return run_batch(unbox(batch), unbox(ctx))


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


@task(name="check", cache_policy=NO_CACHE)
def check_task(wh: Warehouse, run_id: str, staging: Path, prev: Path | None, checks_file: Path,
               threads: int = 1) -> list[CheckResult]:
    """Run the data-quality checks on the staged snapshot; a failed error check blocks publishing."""
    ensure_history_files(wh)
    results = run_checks(staging, wh.state, load_checks(checks_file), prev, threads)
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


class Stopwatch:
    """Seconds spent per stage of a run (``stage_seconds`` in the summary: where a slow run's time went)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + now - self._t, 3)
        self._t = now


def _build(wh: Warehouse, run_id: str, src: list[Path], settings: Settings, log, full: bool) -> dict:
    sw = Stopwatch()
    live = wh.current()
    d = discover_task(src, *_discover_workers(settings, wh.snapshots / live if live else None))
    sw.lap("discover")
    prev_name = None if full else live
    prev = wh.snapshots / prev_name if prev_name else None
    plan = plan_task(Box(d), prev)
    sw.lap("plan")
    c = plan.counts
    log.info("%d files: %d new, %d changed, %d deleted, %d unchanged; %d days to rebuild",
             c["new"] + c["changed"] + c["unchanged"], c["new"], c["changed"], c["deleted"], c["unchanged"],
             len(plan.affected_days))
    counts = dict(mode="full" if prev is None else "incremental", files_seen=d.files.num_rows + len(d.rejects),
                  files_new=c["new"], files_changed=c["changed"], files_deleted=c["deleted"], files_unchanged=c["unchanged"],
                  ignored_files=dict(d.ignored))
    if not (c["new"] or c["changed"] or c["deleted"]) and prev is not None:
        return {**counts, **_snapshot_stats(prev), "snapshot": prev_name, "published": False, "events_added": 0,
                "events_updated": 0, "events_removed": 0, "stage_seconds": sw.seconds}

    qualifiers = load_qualifiers(settings.tag_qualifiers)
    staging = wh.staging_dir(run_id)
    try:
        staging.mkdir(parents=True)
    except OSError as exc:
        raise WarehouseError(f"cannot create a snapshot in {wh.snapshots}: {exc.strerror or exc}") from None

    # Undated files (seeds) that are new or changed are parsed first: only then is their day known.
    seed_files = [plan.undated[p] for p in sorted(plan.dirty_undated) if p in plan.undated]
    seeds = parse_seeds_task(Box(seed_files), settings.max_file_bytes, Box(qualifiers)) if seed_files else ParsedBatch()
    plan.affected_days.update(e.date for e in seeds.events)
    plan.affected_days.update(dl.date for dl in seeds.day_lists)

    batches = _batches(plan, seeds, settings.batch_files, min_batches=3 * settings.workers,
                       spread_min_files=settings.pool_min_files)
    ctx = BuildContext(prev, staging, plan.affected_days if prev else set(), plan.dirty_undated if prev else set(),
                       settings.max_file_bytes, qualifiers, settings.gazetteer, settings.launch_rules, settings.parquet_compression)
    total = sum(t.num_rows for spec in batches for t in spec[1]) + len(seed_files)
    done = len(seed_files)
    _report("parse", done, total)
    sw.lap("plan")
    results: list[dict] = []
    in_flight: deque = deque()
    with _worker_pool(settings, total, len(batches)):
        for spec in batches:  # a few batches in flight at a time: memory follows the batch, not the run
            in_flight.append(build_units_task.submit(Box(_materialize(plan, spec)), Box(ctx)))  # Box: see there
            while len(in_flight) > 2 * settings.workers or (spec is batches[-1] and in_flight):
                results.append(in_flight.popleft().result())
                done += results[-1]["files"]
                _report("parse", done, total)
    sw.lap("parse")
    written_units = {u for spec in batches for u in spec[0]}
    # The listing and the plan are done with: give their memory back before the checks load the new
    # snapshot into DuckDB, so the run's peak is one or the other, not both (Arrow's allocator keeps
    # freed pages until asked). Batch specs hold slices, which keep the whole listing alive.
    del d, plan, seeds, batches
    spec = None
    pa.default_memory_pool().release_unused()
    if prev is not None:
        for name in SNAPSHOT_TABLES:
            for unit in units_of(prev, name) - written_units:
                link_unit(prev, staging, name, unit)
    for name in SNAPSHOT_TABLES:
        ensure_nonempty(staging, name, settings.parquet_compression)
    stats = _write_stats(staging)
    sw.lap("link")
    checked = check_task(wh, run_id, staging, prev, settings.checks, settings.checks_threads)
    sw.lap("checks")
    _report("publish", 0, 1)
    removed = publish_task(wh, run_id, settings.keep_snapshots)
    _report("publish", 1, 1)
    sw.lap("publish")
    summary = {
        **counts, **stats, "snapshot": run_id, "published": True, "snapshots_removed": removed,
        **{k: sum(r[k] for r in results) for k in ("events_added", "events_removed", "events_updated")},
        "checks": {r.check_name: r.status for r in checked},
        "checks_failed": [f"{r.check_name} ({r.severity}): {r.detail}" for r in checked if r.status == "fail"],
    }
    artifacts_task(wh, summary, checked)
    sw.lap("artifacts")
    summary["stage_seconds"] = sw.seconds
    summary["batches"] = {"count": len(results), "seconds": round(sum(r["seconds"] for r in results), 3),
                          "cpu_seconds": round(sum(r["cpu_seconds"] for r in results), 3),
                          "peak_rss_mb": max((r["peak_rss_mb"] for r in results), default=0),
                          "compiled": sum(r["compiled"] for r in results)}  # batches run by compiled transforms
    return summary


BatchSpec = tuple[list[str], list[pa.Table], ParsedBatch]  # units, listing rows to read (slices), extras


def _batches(plan: Plan, seeds: ParsedBatch, size: int, min_batches: int = 1, spread_min_files: int = 0) -> list[BatchSpec]:
    """Batches of whole months (a batch owns its partitions) holding about ``size`` files to read: every
    file of each rebuilt day, plus what those days get from elsewhere (parsed seeds, discovery rejects).
    Smaller batches when that makes fewer than ``min_batches`` and there are at least ``spread_min_files``
    files: an incremental run's few batches (each rewriting many months) then spread evenly over the
    workers instead of leaving one idle at the end.

    A batch's files are zero-copy slices of the listing until ``_materialize`` turns it into a ``Batch``
    when it is submitted, so a run holds a few batches' objects at a time. Every month with a rebuilt
    day is in exactly one batch, even with nothing to read (its old rows still have to go); so is
    ``undated``.
    """
    by_unit = _by_unit(plan.discovery.files)
    by_unit.pop("undated", None)  # undated files are read as seeds (new, changed) or again below
    if plan.prev is not None:  # incremental: only the rebuilt days of months that have one
        days = pa.array(sorted(plan.affected_days), pa.date32())
        months = {month_unit(day) for day in plan.affected_days}
        by_unit = {u: [t.filter(pc.fill_null(pc.is_in(t["day"], value_set=days), False)) for t in parts]
                   for u, parts in by_unit.items() if u in months}
    again: dict[str, list[tuple[InputFile, dt.date]]] = defaultdict(list)
    for path, f in plan.undated.items():  # unchanged seeds of rebuilt days are read again, with their day
        day = plan.known_day.get(path)
        if path not in plan.dirty_undated and day in plan.affected_days:
            again[month_unit(day)].append((f, day))
    for unit, fs in again.items():
        by_unit.setdefault(unit, []).append(listing([f for f, _ in fs], [d for _, d in fs]))
    extras: dict[str, ParsedBatch] = defaultdict(ParsedBatch)
    for e in seeds.events:
        extras[month_unit(e.date)].events.append(e)
    for dl in seeds.day_lists:
        extras[month_unit(dl.date)].day_lists.append(dl)
    for r in seeds.rejects:
        extras["undated"].rejects.append(r)
    for x in extras.values():
        x.meta.update({p: seeds.meta[p] for p in [e.path for e in x.events] + [dl.path for dl in x.day_lists]
                       + [r[0] for r in x.rejects] if p in seeds.meta})
    for r in plan.discovery.rejects:  # rejected at discovery (symlinks...): recorded where rebuilt
        day = date_from_path(r[0])
        if day in plan.affected_days or (day is None and (plan.prev is None or r[0] in plan.dirty_undated)):
            extras[month_unit(day)].rejects.append(r)
    units = sorted(set(by_unit) | set(extras) | {month_unit(day) for day in plan.affected_days} | {"undated"})
    total = sum(t.num_rows for parts in by_unit.values() for t in parts)
    if total >= spread_min_files:
        size = max(1, min(size, -(-total // min_batches)))
    out: list[BatchSpec] = []
    n_out = 0  # files of the last batch
    for unit in units:
        parts = by_unit.get(unit, [])
        n = sum(t.num_rows for t in parts)
        if not out or n_out + n > size and n_out:
            out.append(([], [], ParsedBatch()))
            n_out = 0
        b_units, b_files, extra = out[-1]
        b_units.append(unit)
        b_files.extend(parts)
        n_out += n
        x = extras.get(unit)
        if x is not None:
            extra.events.extend(x.events)
            extra.day_lists.extend(x.day_lists)
            extra.rejects.extend(x.rejects)
            extra.meta.update(x.meta)
    return out


def _materialize(plan: Plan, spec: BatchSpec) -> Batch:
    """The ``Batch`` of a spec from ``_batches``: its listing rows copied out (a slice would pickle the
    whole listing) and the listing entries of its parsed seeds."""
    units, parts, extra = spec
    rows = pa.concat_tables(parts) if parts else plan.discovery.files.schema.empty_table()
    rows = rows.take(pa.array(range(rows.num_rows), pa.int64()))
    return Batch(units, rows, extra, {p: plan.undated[p] for p in extra.meta if p in plan.undated})


def _discover_workers(settings: Settings, live: Path | None) -> tuple[int, int]:
    """(processes that list the source, files a first listed year folder must promise to start them;
    see ``discover``). Runner ``auto``: ``discover_workers`` when the live snapshot says the archive
    is large enough to pay for starting them; with no live snapshot, the estimate decides."""
    if settings.runner != "auto" or settings.discover_workers < 2:
        return 1, 0
    if live is None:
        return settings.discover_workers, settings.discover_split_min_files
    files = sum(pq.ParquetFile(p).metadata.num_rows for p in (live / "manifest").glob("*.parquet"))
    return (settings.discover_workers, 0) if files >= settings.discover_split_min_files else (1, 0)


def _worker_pool(settings: Settings, n_files: int, n_batches: int) -> ContextManager[Any]:
    """Runner ``auto``: a pool of ``workers`` processes for a parse of at least ``pool_min_files`` files
    in two or more batches, so every core parses; otherwise batches run on the flow's threads (or
    its process/Dask runner)."""
    if settings.runner == "auto" and settings.workers > 1 and n_files >= settings.pool_min_files and n_batches > 1:
        return worker_pool(settings.workers, settings.gazetteer, settings.launch_rules)
    return nullcontext()


STATS_FILE = "stats.json"  # in each snapshot: its row counts, so a no-change run need not open ~2,000 files


def _snapshot_stats(snapshot: Path) -> dict:
    """Row counts and reject reasons of a snapshot: its ``stats.json``, written when it was built."""
    try:
        return json.loads((snapshot / STATS_FILE).read_text())
    except (OSError, ValueError):  # built before the file existed, or damaged: count again
        return _count_snapshot(snapshot)


def _write_stats(snapshot: Path) -> dict:
    stats = _count_snapshot(snapshot)
    (snapshot / STATS_FILE).write_text(json.dumps(stats, sort_keys=True))
    return stats


def _count_snapshot(snapshot: Path) -> dict:
    """Row counts and reject reasons of a snapshot, read from Parquet metadata and the rejects table."""
    def rows(table: str) -> int:
        return sum(pq.ParquetFile(p).metadata.num_rows for p in (snapshot / table).glob("*.parquet"))

    reasons = Counter()
    for p in (snapshot / "rejects").glob("*.parquet"):
        reasons.update(pq.read_table(p, columns=["reason"]).column("reason").to_pylist())
    n_events, n_files = rows("events"), rows("event_files")
    return dict(events=n_events, event_files=n_files, day_lists=rows("day_lists"), duplicates_merged=n_files - n_events,
                files_rejected=sum(reasons.values()), rejects_by_reason=dict(reasons), launches=rows("launches"))

"""One benchmark step, run by ``bench/bench.py`` in a fresh subprocess so its peak RSS is its own.

``python bench/_step.py readfloor --source DIR``          read every input file's bytes (warm cache)
``python bench/_step.py build --source DIR --warehouse W`` one ``build_warehouse`` run, in-process
``python bench/_step.py queries --db FILE``                typical queries on a read-only connection

The step prints one line ``@@BENCH@@ {json}`` on stdout (anything else it prints is ignored) with its
timings and ``maxrss_self_kb`` = ``getrusage(RUSAGE_SELF).ru_maxrss`` (this process only). Prefect's
temporary API server and any worker processes are children: ``maxrss_children_kb`` is the largest
peak (``VmHWM``) any descendant showed, sampled every 0.1 s. ``getrusage(RUSAGE_CHILDREN)`` is
kept as ``rusage_children_kb`` but does not measure the children: a child started by fork + exec
(multiprocessing's spawn, subprocess) is charged the parent's resident pages at the fork, so it
reports about the flow's own size at that moment (a no-op child of a 500 MB process: 512 MB).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

MARKER = "@@BENCH@@"
INPUT_SUFFIXES = (".md", ".txt")

# Typical questions asked of the warehouse (name -> SQL), timed by the ``queries`` step.
QUERIES: dict[str, str] = {
    "launches_per_site_per_year": "SELECT * FROM launches_per_site_per_year",
    "top_tags_per_year": (
        "SELECT year, tag, count(*) AS n FROM tags GROUP BY year, tag "
        "QUALIFY row_number() OVER (PARTITION BY year ORDER BY n DESC, tag) <= 5 ORDER BY year, n DESC, tag"
    ),
    "events_per_year_with_sources": (
        "SELECT e.year, count(DISTINCT e.event_id) AS events, count(s.url) AS sources, "
        "count(DISTINCT s.domain) AS domains "
        "FROM events e LEFT JOIN sources s USING (event_id) GROUP BY e.year ORDER BY e.year"
    ),
}


class _ChildPeaks:
    """Largest ``VmHWM`` (peak resident set of the current program image, so after exec) of any
    descendant of this process, sampled every ``interval`` seconds by a daemon thread.

    Each process counts with its *latest* sample: between fork and exec a child reports its parent's
    peak (the flow's ~380 MB showed up once as a 100k build's "largest child"), and exec resets it.
    """

    def __init__(self, interval: float = 0.1) -> None:
        self.latest_kb: dict[int, int] = {}
        self.interval = interval
        threading.Thread(target=self._run, daemon=True, name="bench-child-rss").start()

    @staticmethod
    def _descendants(pid: int) -> list[int]:
        out, stack = [], [pid]
        while stack:
            p = stack.pop()
            try:
                for task in os.listdir(f"/proc/{p}/task"):
                    with open(f"/proc/{p}/task/{task}/children") as f:
                        kids = [int(x) for x in f.read().split()]
                    out += kids
                    stack += kids
            except OSError:
                continue
        return out

    @staticmethod
    def _hwm_kb(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        me = os.getpid()
        while True:
            for pid in self._descendants(me):
                kb = self._hwm_kb(pid)
                if kb:
                    self.latest_kb[pid] = kb
            time.sleep(self.interval)

    @property
    def peak_kb(self) -> int:
        return max(self.latest_kb.values(), default=0)


_children = _ChildPeaks() if os.path.isdir("/proc/self/task") else None


def _rss() -> dict:
    return {
        "maxrss_self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "maxrss_children_kb": _children.peak_kb if _children else None,
        "rusage_children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


def emit(payload: dict) -> None:
    payload.update(_rss())
    sys.stdout.write(f"\n{MARKER} {json.dumps(payload, default=str)}\n")
    sys.stdout.flush()


def iter_input_files(root: str):
    """Input files under ``root`` as ``discover`` sees them: .md/.txt, hidden entries skipped, no symlinks."""
    stack = [root]
    while stack:
        d = stack.pop()
        with os.scandir(d) as it:
            for e in it:
                if e.name.startswith("."):
                    continue
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
                elif e.name.endswith(INPUT_SUFFIXES) and e.is_file(follow_symlinks=False):
                    yield e.path


def read_floor(source: str, repeats: int) -> dict:
    """Walk the source and read every input file's bytes in plain Python; first pass warms the cache."""
    times = []
    files = nbytes = 0
    for i in range(repeats + 1):
        t = time.perf_counter()
        files = nbytes = 0
        for path in iter_input_files(source):
            with open(path, "rb") as fh:
                nbytes += len(fh.read())
            files += 1
        if i:  # pass 0 only warms the page cache
            times.append(time.perf_counter() - t)
    return {"step": "readfloor", "files": files, "bytes": nbytes, "times_s": times, "floor_s": min(times),
            "median_s": statistics.median(times)}


def _profiled(fn, out: Path):
    """Run ``fn()`` under cProfile in this thread and every thread started meanwhile (Prefect runs
    mapped tasks in worker threads); the merged stats go to ``out`` (pstats format)."""
    import cProfile
    import pstats
    import threading

    profiles: list = []
    lock = threading.Lock()

    def start_in_thread(frame, event, arg):  # first profile event of a new thread
        p = cProfile.Profile()
        with lock:
            profiles.append(p)
        p.enable()  # replaces this hook by cProfile's for the thread

    main = cProfile.Profile()
    threading.setprofile(start_in_thread)
    main.enable()
    try:
        return fn()
    finally:
        main.disable()
        threading.setprofile(None)
        stats = pstats.Stats(main)
        with lock:
            for p in profiles:
                try:
                    p.disable()
                    stats.add(p)
                except Exception:  # a thread still running: its partial stats are skipped
                    pass
        stats.dump_stats(str(out))


def _flow():
    """``pipelines.flow.build_warehouse``; when ``CURRENTS_RUNNER`` is set and the project chooses its task
    runner from settings (``pipelines.runners.configured_build``, as ``currents run`` does), that flow
    with the configured task runner instead. Returns (flow, how it was chosen)."""
    from pipelines.flow import build_warehouse

    if os.environ.get("CURRENTS_RUNNER"):
        try:
            from pipelines.runners import configured_build
        except ImportError:  # no runner choice in this version: the setting is simply ignored
            return build_warehouse, "build_warehouse (CURRENTS_RUNNER ignored: no pipelines.runners)"
        return configured_build(), f"configured_build() with CURRENTS_RUNNER={os.environ['CURRENTS_RUNNER']}"
    return build_warehouse, "build_warehouse"


def build(source: list[str], warehouse: str, full: bool, profile: str | None) -> dict:
    t0 = time.perf_counter()
    flow, entry = _flow()
    t1 = time.perf_counter()

    def run() -> dict:
        return flow(sources=source, warehouse=warehouse, full=full)

    summary = _profiled(run, Path(profile)) if profile else run()
    t2 = time.perf_counter()
    try:
        from config.settings import get_settings

        runner = getattr(get_settings(), "runner", None)
    except Exception:  # settings without a runner field
        runner = None
    keep = {k: v for k, v in summary.items() if isinstance(v, (int, float, str, bool)) or v is None
            or k in ("stage_seconds", "batches")}
    flow_s = float(summary["duration_s"])
    wall_s = t2 - t1
    return {"step": "build", "import_s": t1 - t0, "wall_s": wall_s, "flow_s": flow_s,
            "prefect_startup_s": wall_s - flow_s, "runner": runner, "entry": entry, "summary": keep}


def queries(db: str, repeats: int) -> dict:
    import duckdb

    out: dict[str, dict] = {}
    t = time.perf_counter()
    con = duckdb.connect(db, read_only=True)
    connect_ms = (time.perf_counter() - t) * 1000
    try:
        for name, sql in QUERIES.items():
            t = time.perf_counter()
            rows = con.execute(sql).fetchall()  # first run: warms DuckDB's metadata and the page cache
            first = (time.perf_counter() - t) * 1000
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                rows = con.execute(sql).fetchall()
                times.append((time.perf_counter() - t) * 1000)
            out[name] = {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times),
                         "first_ms": first, "repeats": repeats, "rows": len(rows)}
        events = con.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        con.close()
    return {"step": "queries", "connect_ms": connect_ms, "events": events, "queries": out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("readfloor")
    r.add_argument("--source", required=True)
    r.add_argument("--repeats", type=int, default=3)
    b = sub.add_parser("build")
    b.add_argument("--source", action="append", required=True)
    b.add_argument("--warehouse", required=True)
    b.add_argument("--full", action="store_true")
    b.add_argument("--profile", help="write cProfile stats of the run (all threads) to this file")
    q = sub.add_parser("queries")
    q.add_argument("--db", required=True)
    q.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args()
    if a.cmd == "readfloor":
        emit(read_floor(a.source, a.repeats))
    elif a.cmd == "build":
        emit(build(a.source, a.warehouse, a.full, a.profile))
    else:
        emit(queries(a.db, a.repeats))


if __name__ == "__main__":
    main()

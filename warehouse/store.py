"""The warehouse directory: versioned Parquet snapshots, the live pointer, run history and the lock.

Layout (everything under one directory, so it can be copied or moved as a unit)::

    currents.duckdb                 views over the live snapshot (rebuilt on publish)
    CURRENT                         name of the live snapshot (replaced atomically)
    snapshots/<run_id>/<table>/part-<unit>.parquet   one file per month (unit) and table; the
                                    'manifest' table lists the input files (incremental runs)
    snapshots/<run_id>/stats.json   its row counts and reject reasons (read by no-change runs)
    snapshots/<run_id>.tmp/         a snapshot being written (debris if a run was killed)
    state/runs/<run_id>.parquet     one row per run, success or not
    state/checks/<run_id>.parquet   data-quality results per run
    .lock                           held (flock) by the running build
"""
from __future__ import annotations

import datetime as dt
import fcntl
import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.schema import SCHEMAS


class WarehouseBusy(RuntimeError):
    """Another build holds the warehouse lock."""


class WarehouseError(RuntimeError):
    """The warehouse directory cannot be used (unwritable, disk full...)."""


def new_run_id() -> str:
    """Sortable, unique run id: UTC time plus 4 random hex digits."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(2)


def write_parquet(table: pa.Table, path: Path, compression: str = "zstd") -> None:
    """Write ``table`` to ``path`` through a temporary name, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    pq.write_table(table, tmp, compression=compression)
    os.replace(tmp, path)


def to_table(name: str, columns: dict[str, list]) -> pa.Table:
    """Columns (lists) of stored table ``name`` as an Arrow table with its declared schema."""
    schema = SCHEMAS[name]
    return pa.Table.from_pydict({f.name: columns[f.name] for f in schema}, schema=schema)


class Warehouse:
    """Paths and atomic operations of one warehouse directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.snapshots = self.root / "snapshots"
        self.state = self.root / "state"
        self.duckdb_path = self.root / "currents.duckdb"
        self.pointer = self.root / "CURRENT"

    # -- lifecycle -----------------------------------------------------------------------------
    def ensure_dirs(self) -> None:
        try:
            for d in (self.root, self.snapshots, self.state / "runs", self.state / "checks"):
                d.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".write-probe-{os.getpid()}"
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            raise WarehouseError(f"warehouse directory {self.root} is not writable: {exc.strerror or exc}") from None

    @contextmanager
    def lock(self, wait: bool = False) -> Iterator[None]:
        """Exclusive build lock. The kernel drops it when the holder dies, so a killed run never blocks."""
        self.ensure_dirs()
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
                raise WarehouseBusy(f"another `currents run` is building {self.root} ({holder}); use --wait to queue behind it") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} since {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC".encode(), 0)
            yield
        finally:
            os.close(fd)

    # -- snapshots -----------------------------------------------------------------------------
    def current(self) -> str | None:
        """Name of the live snapshot, or None before the first publish."""
        try:
            name = self.pointer.read_text().strip()
        except FileNotFoundError:
            return None
        return name if name and (self.snapshots / name).is_dir() else None

    def staging_dir(self, run_id: str) -> Path:
        return self.snapshots / f"{run_id}.tmp"

    def finalize(self, run_id: str) -> Path:
        """Rename a fully written staging snapshot to its final name."""
        final = self.snapshots / run_id
        os.replace(self.staging_dir(run_id), final)
        _fsync_dir(self.snapshots)
        return final

    def set_current(self, run_id: str) -> None:
        """Point readers at snapshot ``run_id`` (atomic replace of the pointer file)."""
        tmp = self.pointer.with_name(f"CURRENT.{run_id}.tmp")
        tmp.write_text(run_id + "\n")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.pointer)
        _fsync_dir(self.root)

    def prune(self, keep: int) -> list[str]:
        """Remove debris of killed runs and all but the newest ``keep`` snapshots (the live one kept)."""
        live = self.current()
        removed = []
        names = sorted(p.name for p in self.snapshots.iterdir() if p.is_dir())
        finals = [n for n in names if not n.endswith(".tmp")]
        keep_set = set(finals[-keep:]) | ({live} if live else set())
        for n in names:
            if n not in keep_set:
                shutil.rmtree(self.snapshots / n, ignore_errors=True)
                removed.append(n)
        for stray in self.root.glob("*.tmp*"):
            if stray.is_file():
                stray.unlink(missing_ok=True)
        return removed

    # -- history ------------------------------------------------------------------------------
    def write_run(self, record: dict) -> None:
        write_parquet(to_table("runs", {k: [v] for k, v in record.items()}), self.state / "runs" / f"{record['run_id']}.parquet")

    def write_checks(self, run_id: str, rows: list[dict]) -> None:
        cols = {name: [r[name] for r in rows] for name in SCHEMAS["checks"].names}
        write_parquet(to_table("checks", cols), self.state / "checks" / f"{run_id}.parquet")

    def mark_abandoned_runs(self) -> int:
        """Runs still 'running' while we hold the lock were killed: record them as such."""
        n = 0
        for f in sorted((self.state / "runs").glob("*.parquet")):
            t = pq.read_table(f)
            if t.num_rows and t.column("status")[0].as_py() == "running":
                rec = t.to_pylist()[0]
                rec.update(status="killed", error="process ended before the run finished (killed or crashed)")
                self.write_run(rec)
                n += 1
        return n


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

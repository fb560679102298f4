"""Publish the DuckDB file: views (``warehouse/sql/*.sql``) over the live snapshot's Parquet files.

Views use absolute paths, so any DuckDB client in any working directory can open the file. When
the warehouse directory moves, the first ``currents`` command run against the new location
rebuilds the views (``ensure_views``).
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.schema import HISTORY_TABLES, SCHEMAS
from warehouse.store import Warehouse, write_parquet

SQL_DIR = Path(__file__).resolve().parent / "sql"
# Marts in dependency order; every stg_*.sql runs before them.
MARTS = ("events", "event_files", "sources", "tags", "relations", "rejects", "day_lists", "launches",
         "launches_per_site_per_year", "runs", "checks")
META_TABLE = "_currents_meta"


def _sql_literal_path(path: Path) -> str:
    return str(path).replace("'", "''")


def model_sql(snapshot: Path, state: Path) -> list[tuple[str, str]]:
    """(name, SQL) of every view, staging first, with the snapshot and state paths filled in."""
    names = sorted(p.stem for p in SQL_DIR.glob("stg_*.sql")) + list(MARTS)
    out = []
    for name in names:
        text = (SQL_DIR / f"{name}.sql").read_text()
        out.append((name, text.replace("{snapshot}", _sql_literal_path(snapshot)).replace("{state}", _sql_literal_path(state))))
    return out


def ensure_history_files(wh: Warehouse) -> None:
    """A zero-row file per history table, so its view has a schema before the first row exists."""
    for name in HISTORY_TABLES:
        path = wh.state / name / "_schema.parquet"
        if not path.exists():
            write_parquet(pa.Table.from_pylist([], schema=SCHEMAS[name]), path)


def publish_views(wh: Warehouse, snapshot: str) -> None:
    """Build a fresh DuckDB file with views over ``snapshot`` and swap it in atomically."""
    ensure_history_files(wh)
    tmp = wh.root / f"currents.duckdb.{snapshot}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for _name, sql in model_sql(wh.snapshots / snapshot, wh.state):
            con.execute(sql)
        con.execute(f"CREATE TABLE {META_TABLE} AS SELECT ? AS warehouse_dir, ? AS snapshot", [str(wh.root), snapshot])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, wh.duckdb_path)
    wal = Path(str(tmp) + ".wal")
    wal.unlink(missing_ok=True)


def published_meta(wh: Warehouse) -> tuple[str, str] | None:
    """(warehouse_dir, snapshot) recorded in the DuckDB file, or None if it is missing or unreadable."""
    if not wh.duckdb_path.exists():
        return None
    try:
        con = duckdb.connect(str(wh.duckdb_path), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = con.execute(f"SELECT warehouse_dir, snapshot FROM {META_TABLE}").fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return (rows[0][0], rows[0][1]) if rows else None


def ensure_views(wh: Warehouse) -> bool:
    """Rebuild the views if the directory moved or the file lags the live snapshot; True if rebuilt."""
    live = wh.current()
    if live is None:
        return False
    if published_meta(wh) == (str(wh.root), live):
        return False
    publish_views(wh, live)
    return True

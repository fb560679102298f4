"""Shared fixtures: an isolated Prefect server for in-process flow runs and a built sample warehouse."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # bench/ helpers (corpus generator) are importable in tests
SAMPLE = REPO / "sample_corpus"
DATA = REPO / "tests" / "data"


@pytest.fixture(scope="session")
def prefect_server():
    """An isolated temporary Prefect API for flows run inside the test process."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory, prefect_server) -> Path:
    """The bundled sample corpus built once into a throw-away warehouse (in-process flow run)."""
    from pipelines.flow import build_warehouse

    wh = tmp_path_factory.mktemp("sample-wh")
    build_warehouse(sources=[str(SAMPLE)], warehouse=str(wh))
    return wh


def sql(warehouse: Path, query: str, params: list | None = None) -> list[tuple]:
    """Run a query on a read-only connection to a warehouse's DuckDB file."""
    con = duckdb.connect(str(warehouse / "currents.duckdb"), read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


def cli(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real `currents` CLI in a subprocess."""
    full_env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **(env or {})}
    full_env.pop("PREFECT_API_URL", None)
    if not (env and "CURRENTS_WAREHOUSE" in env):
        full_env.pop("CURRENTS_WAREHOUSE", None)
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or REPO, timeout=timeout)

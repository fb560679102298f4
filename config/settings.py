"""Runtime settings: defaults here, overridden by environment variables (``CURRENTS_*``).

One settings object serves every entry point (CLI, flows, tests, benchmarks); code never reads
``os.environ`` for project settings directly. ``currents config`` prints the effective values.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent
REPO_ROOT = CONFIG_DIR.parent


def _default_warehouse() -> Path:
    return Path.home() / ".local" / "share" / "currents" / "warehouse"


class Settings(BaseSettings):
    """Effective configuration of a currents process."""

    model_config = SettingsConfigDict(env_prefix="CURRENTS_", extra="ignore")

    warehouse: Path = Field(default_factory=_default_warehouse, description="Warehouse directory (Parquet snapshots + DuckDB file).")
    sample_source: Path = Field(default=REPO_ROOT / "sample_corpus", description="Source used by `currents run` without --source.")
    batch_files: int = Field(default=4000, ge=1, description="Files per parse batch (one Prefect task run per batch of "
                             "whole months; a month larger than this is one batch).")
    max_file_bytes: int = Field(default=10 * 1024 * 1024, ge=1, description="Larger input files are rejected as too large.")
    keep_snapshots: int = Field(default=2, ge=1, description="Published snapshots kept on disk (the live one included).")
    parquet_compression: str = Field(default="zstd")
    gazetteer: Path = Field(default=CONFIG_DIR / "launch_sites.yaml")
    launch_rules: Path = Field(default=CONFIG_DIR / "launch_rules.yaml")
    tag_qualifiers: Path = Field(default=CONFIG_DIR / "tag_qualifiers.txt")
    checks: Path = Field(default=CONFIG_DIR / "checks.yaml")
    checks_threads: int = Field(default=1, ge=1, description="DuckDB threads for the data-quality checks: one builds each "
                                "uniqueness check's hash table once, not per thread (1M events: ~70 MB less at the run's peak, no slower on 2 cores).")
    runner: Literal["auto", "local", "process", "dask"] = Field(
        default="auto", description="Where parse batches run: auto (a process pool of `workers` when a run parses at least "
        "`pool_min_files` files, else threads), local threads, a local process pool, or Dask.")
    workers: int = Field(default=2, ge=1, description="Workers of the process pool or of the local Dask cluster.")
    pool_min_files: int = Field(default=5000, ge=0, description="`auto` runner: fewest files to parse (in at least two "
                                "batches) that pay for starting the worker processes (~1 s each: pyarrow and the classifier).")
    discover_split_min_files: int = Field(default=200_000, ge=0, description="`auto` runner: list the source with "
                                          "`discover_workers` processes (by year folder) when the live snapshot has at least this many files; with "
                                          "no live snapshot, when the first year folder's files times the number of year folders reach it.")
    discover_workers: int = Field(default=4, ge=1, description="Processes listing a large source. Listing waits on `stat` calls, "
                                  "which read inodes from disk once the kernel has dropped them: more processes than cores overlap "
                                  "those reads (10^6 files, cold: 6.0 s with 4 vs 12.7 s with 2; warm: 4.0 vs 3.3 s).")
    dask_address: str | None = Field(default=None, description="Scheduler of an existing Dask cluster (tcp://host:8786); None starts a LocalCluster.")
    report_after_run: bool = Field(default=False, description="Render <warehouse>/report.html at the end of every published run.")
    schedule_interval_seconds: int = Field(default=3600, ge=5, description="Default `currents serve` interval.")
    server_home: Path | None = Field(default=None, description="PREFECT_HOME for a server started by currents (default: <warehouse>/.prefect).")

    @property
    def duckdb_path(self) -> Path:
        return self.warehouse / "currents.duckdb"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()

"""Scale-out: the Dask (2-worker LocalCluster), Prefect process-pool and `auto` worker-pool runners give
the local runner's tables."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SAMPLE, cli
from test_incremental import snapshot_rows


@pytest.mark.parametrize("runner", ["dask", "process", "auto"])
def test_runner_results_identical_to_local(runner: str, sample_warehouse: Path, tmp_path: Path):
    # auto with pool_min_files 0: the sample's batches go to the flow's own pool of worker processes
    res = cli("run", "-q", "--runner", runner, "--source", str(SAMPLE), "--warehouse", str(tmp_path / "wh"),
              env={"CURRENTS_WORKERS": "2", "CURRENTS_POOL_MIN_FILES": "0", "CURRENTS_BATCH_FILES": "20"}, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert snapshot_rows(tmp_path / "wh") == snapshot_rows(sample_warehouse)

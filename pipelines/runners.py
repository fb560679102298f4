"""Task runners for the build flow: where the parse-normalize batches execute."""
from __future__ import annotations

from typing import Any

from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner


def make_task_runner(kind: str, workers: int, dask_address: str | None = None) -> Any:
    """``auto`` and ``local``: threads in this process (``auto`` runs large parses in a process pool
    of its own, see ``pipelines.flow``); ``process``: a pool of ``workers`` processes (uses every
    core); ``dask``: prefect-dask on the cluster at ``dask_address``, or a LocalCluster of
    ``workers`` single-threaded worker processes when no address is given."""
    if kind in ("auto", "local"):
        return ThreadPoolTaskRunner(max_workers=workers)
    if kind == "process":
        return ProcessPoolTaskRunner(max_workers=workers)
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                              "dashboard_address": None})
    raise ValueError(f"unknown runner {kind!r}: use auto, local, process or dask")


def configured_build(kind: str | None = None, workers: int | None = None, dask_address: str | None = None):
    """The build flow with the task runner chosen by arguments, else by settings (CURRENTS_RUNNER...)."""
    from config.settings import get_settings
    from pipelines.flow import build_warehouse

    s = get_settings()
    return build_warehouse.with_options(task_runner=make_task_runner(kind or s.runner, workers or s.workers, dask_address or s.dask_address))

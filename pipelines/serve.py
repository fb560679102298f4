"""``currents serve``: run the build flow on a schedule.

Schedules need a real Prefect server (the temporary one Prefect starts when ``PREFECT_API_URL``
is unset does not run them). With ``PREFECT_API_URL`` set, that server is used and left alone;
otherwise currents starts its own (``pipelines.server``) under ``<warehouse>/.prefect`` (or
``CURRENTS_SERVER_HOME``) and stops it again when serving ends.

The flow is served as the deployment ``currents-build/currents-build`` by a Prefect runner in
this process; each scheduled run executes in a child process of it. Ctrl-C, SIGTERM and SIGHUP
stop the runner (the schedule is paused), then the server this process started.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any, Iterator

DEPLOYMENT = "currents-build"
SERVER_START_WAIT_S = 120  # first start on a busy 2-core machine creates the database (~20 s)


def serve_build(sources: list[str] | None, warehouse: str | None, interval: int | None, cron: str | None) -> None:
    """Serve ``pipelines.flow.build_warehouse`` as deployment ``currents-build`` until stopped."""
    from config.settings import get_settings

    if interval and cron:
        raise ValueError("give an interval or a cron schedule, not both")
    if interval is not None and interval < 1:
        raise ValueError(f"the interval must be at least 1 second, not {interval}")
    settings = get_settings()
    wh = Path(warehouse).expanduser().resolve() if warehouse else settings.warehouse.expanduser().resolve()
    params: dict[str, Any] = {
        "sources": [str(Path(s).expanduser().resolve()) for s in sources] if sources else None,
        "warehouse": str(wh),
    }
    schedule: dict[str, Any] = {"cron": cron} if cron else {"interval": interval or settings.schedule_interval_seconds}

    with _signals_stop_serving():
        api_url = os.environ.get("PREFECT_API_URL")
        if api_url:
            _serve(api_url.rstrip("/"), params, schedule)
            return
        from pipelines.server import running_server

        home = (settings.server_home or wh / ".prefect").expanduser()
        _say(f"starting a Prefect server (home {home}, log {home / 'server.log'}) ...")
        with running_server(home, wait_s=SERVER_START_WAIT_S) as info:
            try:
                _serve(info.api_url, params, schedule)
            finally:
                _ignore_signals()  # a second Ctrl-C/SIGTERM must not cut the server's shutdown short
        _say("Prefect server stopped")


def _serve(api_url: str, params: dict[str, Any], schedule: dict[str, Any]) -> None:
    """Serve the flow against ``api_url`` (this process and the flow-run children it spawns)."""
    # Prefect reads settings from the environment when it builds its settings context, and the
    # runner passes os.environ (which wins over the settings context) to each flow-run child:
    # set both, for this call only.
    saved = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = api_url
    try:
        from prefect.deployments.runner import EntrypointType
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            _check_api(api_url)
            from pipelines.flow import build_warehouse

            runner = _runner_class()(name=DEPLOYMENT, pause_on_shutdown=True, limit=1)
            # Same as build_warehouse.serve(...), which does exactly this, but with a runner whose
            # SIGTERM handling is the graceful Ctrl-C path (see _GracefulRunner).
            runner.add_flow(
                build_warehouse,
                name=DEPLOYMENT,
                parameters=params,
                paused=False,  # a restart resumes the schedule paused at the last shutdown
                entrypoint_type=EntrypointType.MODULE_PATH,
                description="Build and publish the currents warehouse (scheduled by `currents serve`).",
                tags=["currents"],
                **schedule,
            )
            ui = api_url[:-4] if api_url.endswith("/api") else api_url
            when = f"cron {schedule['cron']!r}" if "cron" in schedule else f"every {schedule['interval']} s"
            _say(f"Prefect UI:  {ui}")
            _say(f"deployment:  {build_warehouse.name}/{DEPLOYMENT} ({when})")
            _say(f"sources:     {', '.join(params['sources']) if params['sources'] else '(the sample corpus)'}")
            _say(f"warehouse:   {params['warehouse']}")
            _say(f"run now:     PREFECT_API_URL={api_url} prefect deployment run '{build_warehouse.name}/{DEPLOYMENT}'")
            _say("serving; stop with Ctrl-C")
            try:
                asyncio.run(runner.start())
            except KeyboardInterrupt:
                pass
            _say("runner stopped")
    finally:
        if saved is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = saved


def _check_api(api_url: str) -> None:
    """Fail with a clear message when the Prefect API does not answer (before serving anything)."""
    from prefect.client.orchestration import get_client

    from pipelines.server import ServerError

    with get_client(sync_client=True) as client:
        exc = client.api_healthcheck()
    if exc is not None:
        raise ServerError(f"the Prefect API at {api_url} does not answer ({type(exc).__name__}: {exc}). "
                          "Start that server, correct PREFECT_API_URL, or unset it to let currents start "
                          "a server of its own.")


def _runner_class():
    from prefect.runner import Runner

    class _GracefulRunner(Runner):
        """A runner that treats SIGTERM like Ctrl-C.

        Prefect 3.8's own SIGTERM handler calls the async ``stop()`` from inside the running loop
        (the coroutine is never awaited) and raises SystemExit mid-loop: in-flight flow-run
        processes are left running and the process hangs. Ctrl-C instead cancels the runner's main
        task, whose exit cancels the flow runs, pauses the schedule and closes cleanly.
        """

        def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
            _like_ctrl_c(*args)

    return _GracefulRunner


def _like_ctrl_c(signum: int = signal.SIGTERM, frame: Any = None) -> None:
    """Handle SIGTERM/SIGHUP as the current SIGINT handler would handle Ctrl-C.

    Inside ``asyncio.run`` that handler cancels the main task (a graceful shutdown); elsewhere it
    raises KeyboardInterrupt, which unwinds through every ``finally``.
    """
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler) and handler not in (_like_ctrl_c, signal.default_int_handler):
        handler(signal.SIGINT, frame)
    else:
        raise _Stop(f"signal {signum}")


class _Stop(KeyboardInterrupt):
    """Raised by SIGTERM/SIGHUP outside the runner's loop: unwinds like Ctrl-C."""


@contextlib.contextmanager
def _signals_stop_serving() -> Iterator[None]:
    """While serving, SIGTERM and SIGHUP stop serving the way Ctrl-C does, so the server is always stopped.

    Outside the runner's event loop they raise :class:`_Stop` (swallowed here: a signalled stop is
    a normal end); inside it they cancel the runner gracefully (see ``_GracefulRunner``).
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    # Ctrl-C must work even when SIGINT was inherited as ignored (`currents serve &` in a script):
    # asyncio.run only installs its graceful SIGINT handling over the default handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _like_ctrl_c)
    signal.signal(signal.SIGHUP, _like_ctrl_c)
    try:
        yield
    except _Stop:
        _say("stopping (signal received)")
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _ignore_signals() -> None:
    import threading

    if threading.current_thread() is threading.main_thread():
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)

"""A real Prefect server started by currents, and scheduled runs through `currents serve`.

These start real servers on free localhost ports (each start takes ~15-25 s on a 2-core machine),
so they carry the ``server`` marker; they are not skipped by default.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from pipelines.server import ServerError, running_server, server_status, start_server, stop_server

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[1]
START_WAIT = 150  # seconds; generous for a loaded CI machine
# Files copied into the source before serving, and the one added between two scheduled runs.
INITIAL = [
    "2017/01/10/two-bombs-explode-near-the-national-assembly-in-kabul-killing-at-least-38-people.md",
    "2017/01/10/addis-ababaadjibouti-railway-is-officially-completed-creating-a-rail-link-between-djibouti-and-ethiopia.md",
    "2016/03/14/the-joint-european-space-agency-and-russian-federal-space-agency-exomars-trace-gas-orbiter-blasts-off-from-the-baikonur-cosmodrome-in-kazakh.md",
]
ADDED = "2017/01/10/american-dylann-roof-is-sentenced-to-death-for-the-charleston-church-shooting-in-which-nine-people-were-killed.md"


def _news_dir() -> Path:
    """Real archive files: the shared corpus beside the clone, else the copy bundled in the repo."""
    for d in (REPO.parent / "shared" / "corpus" / "news", Path("/work/shared/corpus/news"), REPO / "sample_corpus" / "news"):
        if all((d / rel).is_file() for rel in (*INITIAL, ADDED)):
            return d
    raise AssertionError("no corpus with the test files: expected ../shared/corpus/news or sample_corpus/news")


NEWS = _news_dir()


# ------------------------------------------------------------------------------------------------
# helpers


def _stat_fields(pid: int) -> list[str] | None:
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return data[data.rfind(")") + 2:].split()


def _gone(pid: int) -> bool:
    """The process no longer exists (a zombie counts as gone)."""
    fields = _stat_fields(pid)
    if fields is not None:
        return fields[0] in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _group(pgid: int) -> list[int]:
    """Live processes whose process group is ``pgid``."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            f = _stat_fields(int(name))
            if f and int(f[2]) == pgid and f[0] not in ("Z", "X"):
                out.append(int(name))
    return out


def _wait_until(pred, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def _health(url: str) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{url}/api/health", timeout=5) as r:
        return r.read().strip()


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# ------------------------------------------------------------------------------------------------
# server lifecycle


def test_start_status_stop_leaves_nothing_behind(tmp_path):
    home = tmp_path / "prefect-home"
    assert server_status(home) is None
    assert stop_server(home) is False

    t0 = time.monotonic()
    info = start_server(home, wait_s=START_WAIT)
    started_in = time.monotonic() - t0
    try:
        assert info.url.startswith("http://127.0.0.1:") and not info.url.endswith("/api")
        assert info.api_url == f"{info.url}/api"
        assert _health(info.url) == b"true"
        rec = json.loads((home / "server.json").read_text())
        assert (rec["pid"], rec["url"], rec["port"]) == (info.pid, info.url, info.port)
        assert (home / "prefect.db").exists(), "the server's SQLite database lives under its home"
        assert (home / "server.log").exists()
        # Detached: its own session and process group, not ours.
        assert os.getsid(info.pid) == info.pid != os.getsid(0)
        assert os.getpgid(info.pid) == info.pid

        assert server_status(home) == info
        t1 = time.monotonic()
        assert start_server(home) == info, "a healthy recorded server is returned, not started twice"
        assert time.monotonic() - t1 < 5

        # running_server reuses a running server and leaves it running.
        with running_server(home) as again:
            assert again == info
        assert server_status(home) == info

        # The CLI sees it from another process.
        env = {**os.environ, "CURRENTS_SERVER_HOME": str(home)}
        env.pop("PREFECT_API_URL", None)
        out = subprocess.run([sys.executable, "-m", "pipelines.cli", "server", "status"], capture_output=True,
                             text=True, env=env, cwd=REPO, timeout=120)
        assert info.url in out.stdout, out.stdout + out.stderr
    finally:
        stopped = stop_server(home)
    assert stopped is True
    assert _wait_until(lambda: _gone(info.pid), 5), f"server pid {info.pid} still running"
    assert _group(info.pid) == []
    assert not (home / "server.json").exists()
    assert server_status(home) is None
    assert stop_server(home) is False
    print(f"first start took {started_in:.1f} s")


def test_running_server_stops_what_it_started_even_on_error(tmp_path):
    home = tmp_path / "home"
    pid = None
    with pytest.raises(RuntimeError, match="boom"):
        with running_server(home, wait_s=START_WAIT) as info:
            pid = info.pid
            assert _health(info.url) == b"true"
            raise RuntimeError("boom")
    assert pid is not None
    assert _wait_until(lambda: _gone(pid), 5)
    assert _group(pid) == []
    assert not (home / "server.json").exists()


def test_port_in_use_fails_with_the_log_tail(tmp_path):
    home = tmp_path / "home"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(ServerError) as err:
            start_server(home, port=port, wait_s=START_WAIT)
    msg = str(err.value)
    assert "already in use" in msg, msg
    assert str(home / "server.log") in msg
    assert "PREFECT_API_URL" in msg
    assert not (home / "server.json").exists()


def test_stale_record_is_ignored_and_never_signalled(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    # A dead pid.
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    (home / "server.json").write_text(json.dumps({"pid": p.pid, "url": "http://127.0.0.1:9", "port": 9}))
    assert server_status(home) is None
    assert stop_server(home) is False
    assert not (home / "server.json").exists()
    # A live pid that is not the recorded process (pid reused): must not be killed.
    (home / "server.json").write_text(json.dumps({"pid": os.getpid(), "pgid": os.getpgid(0), "url": "http://127.0.0.1:9",
                                                   "port": 9, "proc_start": "1"}))
    assert server_status(home) is None
    assert stop_server(home) is False  # and we are still here
    assert not (home / "server.json").exists()


# ------------------------------------------------------------------------------------------------
# scheduled runs through `currents serve`


def _flow_runs(api_url: str) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        with get_client(sync_client=True) as client:
            return client.read_flow_runs(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["currents-build"])))


def _completed(runs, after: dt.datetime | None = None) -> list:
    return [r for r in runs if r.state and r.state.is_completed() and (after is None or (r.start_time and r.start_time > after))]


def _count_events(wh: Path, path: str) -> int | None:
    """Events published from ``path``; None while the DuckDB file is missing or being written."""
    try:
        con = duckdb.connect(str(wh / "currents.duckdb"), read_only=True)
    except duckdb.Error:
        return None
    try:
        return con.execute("select count(*) from events where path = ?", [path]).fetchone()[0]
    except duckdb.Error:
        return None
    finally:
        con.close()


def _serve_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_HOME": str(tmp_path / "client-home"),
           "PREFECT_RUNNER_POLL_FREQUENCY": "3"}
    for key in ("PREFECT_API_URL", "CURRENTS_SERVER_HOME", "CURRENTS_WAREHOUSE"):
        env.pop(key, None)
    env.update(extra)
    return env


class Serve:
    """`currents serve ...` as a subprocess in its own process group, output to a log file."""

    def __init__(self, tmp_path: Path, args: list[str], env: dict[str, str]):
        self.log_path = tmp_path / "serve.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "serve", *args], cwd=REPO, env=env,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def assert_running(self) -> None:
        assert self.proc.poll() is None, f"serve exited with {self.proc.returncode}:\n{self.log()}"

    def runs(self, api_url: str) -> list:
        """Flow runs of the deployment; fails on a failed/crashed run or an unreachable server."""
        self.assert_running()
        try:
            runs = _flow_runs(api_url)
        except Exception as exc:  # the server went away: say why, from the serve log
            _wait_until(lambda: self.proc.poll() is not None, 10)
            pytest.fail(f"cannot query the server ({type(exc).__name__}: {exc}); serve exit code "
                        f"{self.proc.poll()}:\n{self.log()}")
        bad = [r for r in runs if r.state and (r.state.is_failed() or r.state.is_crashed())]
        assert not bad, f"flow runs failed: {[(r.name, r.state.message) for r in bad]}\n{self.log()}"
        return runs

    def terminate(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"serve did not stop within {timeout} s of SIGTERM:\n{self.log()}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            _kill_group(self.proc.pid)
            self.proc.wait(timeout=10)


def _deployment(api_url: str):
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        with get_client(sync_client=True) as client:
            try:
                return client.read_deployment_by_name("currents-build/currents-build")
            except ObjectNotFound:
                return None


def _run_deployment_now(api_url: str, deployment_id) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        with get_client(sync_client=True) as client:
            client.create_flow_run_from_deployment(deployment_id)


@pytest.mark.timeout(300)
def test_serve_runs_on_schedule_and_picks_up_new_files(tmp_path):
    src, wh = tmp_path / "src", tmp_path / "wh"
    for rel in INITIAL:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(NEWS / rel, src / rel)
    t0 = time.monotonic()
    serve = Serve(tmp_path, ["--interval", "10", "--source", str(src), "--warehouse", str(wh)], _serve_env(tmp_path))
    record = wh / ".prefect" / "server.json"
    server_pid = None
    try:
        def server_up() -> bool:
            serve.assert_running()
            try:
                return json.loads(record.read_text()).get("status") == "running"
            except (OSError, ValueError):
                return False

        assert _wait_until(server_up, START_WAIT, 0.5), f"no server after {START_WAIT} s:\n{serve.log()}"
        rec = json.loads(record.read_text())
        server_pid, api_url = rec["pid"], rec["api_url"]
        assert os.getsid(server_pid) == server_pid, "the server runs in its own session"
        t_server = time.monotonic() - t0

        assert _wait_until(lambda: bool(_completed(serve.runs(api_url))), 100, 1), \
            f"no completed scheduled run:\n{serve.log()}"
        t_first = time.monotonic() - t0
        first = _completed(serve.runs(api_url))
        assert all(r.auto_scheduled for r in first), "runs come from the schedule"
        assert first[0].parameters == {"sources": [str(src.resolve())], "warehouse": str(wh.resolve())}
        assert _count_events(wh, INITIAL[0]) == 1
        assert _count_events(wh, ADDED) == 0

        (src / ADDED).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(NEWS / ADDED, src / ADDED)
        added_at = dt.datetime.now(dt.timezone.utc)
        assert _wait_until(lambda: bool(_completed(serve.runs(api_url), after=added_at)), 100, 1), \
            f"no completed run after the new file was added:\n{serve.log()}"
        t_second = time.monotonic() - t0
        assert _wait_until(lambda: _count_events(wh, ADDED) == 1, 20, 0.5), "the new event was not published"
        assert _count_events(wh, INITIAL[0]) == 1

        rc = serve.terminate()
        t_stop = time.monotonic() - t0
        assert rc == 0, f"serve exited with {rc} after SIGTERM:\n{serve.log()}"
        assert _wait_until(lambda: _gone(server_pid), 10), f"server {server_pid} left running:\n{serve.log()}"
        assert _wait_until(lambda: not _group(serve.proc.pid) and not _group(server_pid), 10), \
            f"processes left: serve group {_group(serve.proc.pid)}, server group {_group(server_pid)}"
        assert not record.exists()
        print(f"server up {t_server:.0f} s, first run {t_first:.0f} s, run with the new file {t_second:.0f} s, "
              f"stopped {t_stop:.0f} s after launch")
    finally:
        serve.kill()
        if server_pid is not None:
            _kill_group(server_pid)


@pytest.mark.timeout(300)
def test_serve_uses_prefect_api_url_and_leaves_that_server_running(tmp_path):
    src, wh = tmp_path / "src", tmp_path / "wh"
    (src / INITIAL[0]).parent.mkdir(parents=True)
    shutil.copy(NEWS / INITIAL[0], src / INITIAL[0])
    with running_server(tmp_path / "own-server", wait_s=START_WAIT) as info:
        serve = Serve(tmp_path, ["--cron", "0 3 * * *", "--source", str(src), "--warehouse", str(wh)],
                      _serve_env(tmp_path, PREFECT_API_URL=info.api_url))
        try:
            def deployed():
                serve.assert_running()
                return _deployment(info.api_url)

            assert _wait_until(deployed, 120, 1), f"the deployment was not created:\n{serve.log()}"
            dep = _deployment(info.api_url)
            assert [s.schedule.cron for s in dep.schedules] == ["0 3 * * *"]
            assert not dep.paused
            # A run requested by hand (UI, `prefect deployment run`) is executed by the served runner.
            _run_deployment_now(info.api_url, dep.id)
            assert _wait_until(lambda: bool(_completed(serve.runs(info.api_url))), 100, 1), \
                f"the requested run did not complete:\n{serve.log()}"
            assert _wait_until(lambda: _count_events(wh, INITIAL[0]) == 1, 20, 0.5)

            rc = serve.terminate()
            assert rc == 0, f"serve exited with {rc} after SIGTERM:\n{serve.log()}"
            assert _wait_until(lambda: not _group(serve.proc.pid), 10), f"left: {_group(serve.proc.pid)}"
            assert server_status(info.home) == info, "a server given by PREFECT_API_URL is left running"
            assert not (wh / ".prefect").exists(), "no server of its own was started"
            assert _deployment(info.api_url).paused, "the schedule is paused while nothing serves it"
        finally:
            serve.kill()


def test_serve_with_an_unreachable_api_says_so(tmp_path):
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = subprocess.run([sys.executable, "-m", "pipelines.cli", "serve", "--interval", "60", "--warehouse", str(tmp_path / "wh")],
                         capture_output=True, text=True, cwd=REPO, timeout=120,
                         env=_serve_env(tmp_path, PREFECT_API_URL=f"http://127.0.0.1:{port}/api"))
    assert out.returncode != 0
    text = " ".join((out.stdout + out.stderr).split())
    assert f"the Prefect API at http://127.0.0.1:{port}/api does not answer" in text, text
    assert not (tmp_path / "wh" / ".prefect").exists()

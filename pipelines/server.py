"""Lifecycle of a Prefect server that currents starts itself (UI + schedules).

Prefect's temporary server (used when ``PREFECT_API_URL`` is unset) runs flows but not schedules;
``currents serve`` and ``currents server start`` need a real ``prefect server start``. This module
starts one as a detached child process in its own session, with ``PREFECT_HOME=<home>`` (so its
SQLite database lives under ``home``), records it in ``home/server.json`` and stops it cleanly.

Files under ``home``:

``server.json``  pid, process group, port and URL of the running server (removed on stop)
``server.log``   the server's stdout/stderr (the previous one is kept as ``server.log.1``)
``server.lock``  serialises start/stop between processes

A recorded pid is only trusted when the process still exists, is not a zombie and has the start
time recorded with it (``/proc/<pid>/stat``), so a recycled pid is never signalled.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

HOST = "127.0.0.1"
RECORD = "server.json"
LOG = "server.log"
LOCK = "server.lock"
LOG_TAIL_LINES = 25
START_ATTEMPTS = 3  # a free port can be taken between choosing it and the server binding it

# Popen objects of servers started by this process: kept so they can be reaped (no zombies).
_children: dict[int, subprocess.Popen] = {}
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never proxy localhost


class ServerError(RuntimeError):
    """The Prefect server could not be started or stopped; the message says what to do."""


@dataclass(frozen=True)
class ServerInfo:
    url: str  # base URL, without /api (the UI is here)
    pid: int
    home: Path
    port: int = 0

    @property
    def api_url(self) -> str:
        """The value for PREFECT_API_URL."""
        return f"{self.url}/api"


# ---------------------------------------------------------------------------------------------
# public API


def start_server(home: Path, port: int | None = None, wait_s: float = 60) -> ServerInfo:
    """Start a Prefect server for ``home`` (or return the healthy one already recorded there).

    The server runs detached (own session and process group) and survives this process; stop it
    with :func:`stop_server`. Raises :class:`ServerError` with the end of ``server.log`` when it
    does not come up within ``wait_s`` seconds.
    """
    info, _ = _ensure_server(_home(home), port, wait_s)
    return info


def stop_server(home: Path, timeout: float = 20) -> bool:
    """Stop the server recorded in ``home/server.json``; True when one was running.

    SIGTERM goes to the server's whole process group; whatever is left after ``timeout`` seconds
    gets SIGKILL. The record is removed in every case.
    """
    home = _home(home)
    if not home.is_dir():
        return False
    with _locked(home):
        rec = _read_record(home)
        if rec is None:
            return False
        running = _record_alive(rec)
        if running:
            _terminate_group(int(rec["pid"]), int(rec.get("pgid") or rec["pid"]), timeout)
        _record_path(home).unlink(missing_ok=True)
        return running


def server_status(home: Path) -> ServerInfo | None:
    """The server recorded in ``home`` when its process is alive and ``/api/health`` answers."""
    home = _home(home)
    rec = _read_record(home)
    if rec is None or not _record_alive(rec) or not _healthy(rec["url"]):
        return None
    return _info(rec, home)


@contextlib.contextmanager
def running_server(home: Path, port: int | None = None, wait_s: float = 60) -> Iterator[ServerInfo]:
    """A running server for the duration of the block.

    Reuses a healthy server already recorded in ``home`` (and leaves it running); a server started
    here is stopped on exit, also on errors, Ctrl-C and SystemExit.
    """
    info, started = _ensure_server(_home(home), port, wait_s)
    try:
        yield info
    finally:
        if started:
            stop_server(info.home)


# ---------------------------------------------------------------------------------------------
# starting


def _home(home: Path | str) -> Path:
    return Path(home).expanduser().absolute()  # the server runs with cwd=home: PREFECT_HOME must be absolute


def _ensure_server(home: Path, port: int | None, wait_s: float) -> tuple[ServerInfo, bool]:
    """(info, True) for a server started now, (info, False) for one that was already running."""
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ServerError(f"cannot create the server home {home}: {exc.strerror or exc}; "
                          "choose another with --warehouse or CURRENTS_SERVER_HOME") from None
    with _locked(home):
        rec = _read_record(home)
        if rec is not None:
            if _record_alive(rec):
                # Ours and alive: healthy already, or still starting (its starter died mid-way).
                if _wait_healthy(rec["url"], int(rec["pid"]), min(wait_s, 30)):
                    return _info(rec, home), False
                _terminate_group(int(rec["pid"]), int(rec.get("pgid") or rec["pid"]), 10)
            _record_path(home).unlink(missing_ok=True)

        last: ServerError | None = None
        for _ in range(1 if port else START_ATTEMPTS):
            try:
                return _start(home, port or _free_port(), wait_s), True
            except _PortTaken as exc:
                last = exc.error
        assert last is not None
        raise last


class _PortTaken(Exception):
    def __init__(self, error: ServerError):
        self.error = error


def _start(home: Path, port: int, wait_s: float) -> ServerInfo:
    log_path = home / LOG
    if log_path.exists():
        os.replace(log_path, home / (LOG + ".1"))
    url = f"http://{HOST}:{port}"
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(port)]
    env = _server_env(home)
    with open(log_path, "ab") as log:
        log.write(f"# currents: {' '.join(cmd)} (PREFECT_HOME={home}) at {_now()}\n".encode())
        log.flush()
        try:
            proc = subprocess.Popen(cmd, cwd=home, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
        except OSError as exc:
            raise ServerError(f"cannot run {cmd[0]} -m prefect: {exc.strerror or exc}") from None
    _children[proc.pid] = proc
    rec = dict(pid=proc.pid, pgid=proc.pid, port=port, url=url, api_url=f"{url}/api", home=str(home),
               started_at=_now(), proc_start=_proc_start(proc.pid), log=str(log_path),
               python=sys.executable, status="starting")
    _write_record(home, rec)
    try:
        t0 = time.monotonic()
        while True:
            code = proc.poll()
            if code is not None:
                tail = _log_tail(log_path)
                _record_path(home).unlink(missing_ok=True)
                port_taken = "already in use" in tail.lower()
                hint = (f"Port {port} is taken: stop what uses it or let currents pick a free port."
                        if port_taken else
                        "Check that Prefect works in this environment (`python -m prefect version`) and that "
                        f"the database under {home} is not damaged (delete {home / 'prefect.db'} to start afresh).")
                err = ServerError(
                    f"the Prefect server exited with code {code} while starting on port {port}.\n"
                    f"Last lines of {log_path}:\n{tail}\n{hint} "
                    "Or point currents at a server you run yourself by setting PREFECT_API_URL.")
                if port_taken:
                    raise _PortTaken(err)
                raise err
            if _healthy(url):
                break
            if time.monotonic() - t0 > wait_s:
                _terminate_group(proc.pid, proc.pid, 10)
                _record_path(home).unlink(missing_ok=True)
                raise ServerError(
                    f"the Prefect server on port {port} did not answer {url}/api/health within {wait_s:.0f} s "
                    f"and was stopped.\nLast lines of {log_path}:\n{_log_tail(log_path)}\n"
                    "The machine may be busy (the first start creates the database): try again with a "
                    "longer wait, or start one yourself (`prefect server start`) and set PREFECT_API_URL.")
            time.sleep(0.25)
    except BaseException:
        if proc.poll() is None:  # Ctrl-C or an error while waiting: leave nothing behind
            _terminate_group(proc.pid, proc.pid, 10)
            _record_path(home).unlink(missing_ok=True)
        raise
    rec["status"] = "running"
    _write_record(home, rec)
    return _info(rec, home)


def _server_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PREFECT_HOME"] = str(home)
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    # The server must not talk to (or advertise) some other API it inherited from our environment.
    for key in ("PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_UI_API_URL", "PREFECT_UI_URL",
                "PREFECT_SERVER_API_HOST", "PREFECT_SERVER_API_PORT", "PREFECT_PROFILE"):
        env.pop(key, None)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with _opener.open(f"{url}/api/health", timeout=timeout) as r:
            return r.status == 200 and r.read(64).strip() == b"true"
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _wait_healthy(url: str, pid: int, wait_s: float) -> bool:
    deadline = time.monotonic() + wait_s
    while True:
        if _healthy(url):
            return True
        if not _alive(pid) or time.monotonic() > deadline:
            return False
        time.sleep(0.25)


# ---------------------------------------------------------------------------------------------
# stopping and process checks


def _terminate_group(pid: int, pgid: int, timeout: float) -> None:
    """SIGTERM the process group, wait up to ``timeout`` s, then SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass
        except PermissionError as exc:
            raise ServerError(f"not allowed to stop the Prefect server (pid {pid}): {exc.strerror}") from None
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid) and not _group_members(pgid):
                _children.pop(pid, None)
                return
            time.sleep(0.1)
    if _alive(pid):
        raise ServerError(f"the Prefect server (pid {pid}) survived SIGKILL; stop it by hand")
    _children.pop(pid, None)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone; our own children are reaped here)."""
    proc = _children.get(pid)
    if proc is not None:
        return proc.poll() is None
    state = _proc_field(pid, 0)
    if state is not None:
        return state != "Z" and state != "X"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _proc_field(pid: int, index: int) -> str | None:
    """Field ``index`` of /proc/<pid>/stat counted after the command name (0 = state)."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = data[data.rfind(")") + 2:].split()
    return fields[index] if index < len(fields) else None


def _proc_start(pid: int) -> str | None:
    """Start time of ``pid`` in clock ticks since boot (with the pid, identifies a process)."""
    return _proc_field(pid, 19)


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in process group ``pgid`` (empty when /proc is unavailable)."""
    out = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return out
    for name in entries:
        if not name.isdigit():
            continue
        pid = int(name)
        state, pgrp = _proc_field(pid, 0), _proc_field(pid, 2)
        if pgrp is not None and int(pgrp) == pgid and state not in ("Z", "X"):
            out.append(pid)
    return out


def _record_alive(rec: dict[str, Any]) -> bool:
    """The recorded server process still exists and is the same process (not a recycled pid)."""
    try:
        pid = int(rec["pid"])
    except (KeyError, TypeError, ValueError):
        return False
    if not _alive(pid):
        return False
    started = rec.get("proc_start")
    current = _proc_start(pid)
    return started is None or current is None or str(started) == current


# ---------------------------------------------------------------------------------------------
# record, lock, log


def _record_path(home: Path) -> Path:
    return home / RECORD


def _read_record(home: Path) -> dict[str, Any] | None:
    try:
        rec = json.loads(_record_path(home).read_text())
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) and "pid" in rec and "url" in rec else None


def _write_record(home: Path, rec: dict[str, Any]) -> None:
    tmp = home / (RECORD + ".tmp")
    tmp.write_text(json.dumps(rec, indent=1) + "\n")
    os.replace(tmp, _record_path(home))


def _info(rec: dict[str, Any], home: Path) -> ServerInfo:
    return ServerInfo(url=rec["url"], pid=int(rec["pid"]), home=home, port=int(rec.get("port") or 0))


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    """An exclusive lock on ``home/server.lock`` (start/stop from several processes at once)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no locking
        yield
        return
    with open(home / LOCK, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(cannot read the log: {exc.strerror or exc})"
    tail = [ln for ln in text.splitlines() if ln.strip()][-lines:]
    return "\n".join("    " + ln for ln in tail) or "    (the log is empty)"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

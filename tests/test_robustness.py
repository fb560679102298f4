"""Crash safety, concurrency and hostile input: the live snapshot always stays readable."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.make_corpus import make_corpus
from conftest import REPO, SAMPLE, cli, sql
from pipelines.flow import build_warehouse
from warehouse import store
from warehouse.store import Warehouse, WarehouseError


def _start_run(src: Path, wh: Path) -> subprocess.Popen:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    return subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "-q", "--source", str(src), "--warehouse", str(wh)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def _wait_for(pred, timeout: float = 120) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def _staging(wh: Path) -> list[Path]:
    return [p for p in (wh / "snapshots").glob("*.tmp")]


def test_sigkill_at_any_point_leaves_the_old_snapshot_readable(tmp_path: Path):
    src, wh = tmp_path / "src", tmp_path / "wh"
    make_corpus(6000, src)
    first = cli("run", "-q", "--source", str(src / "news" / "1999"), "--warehouse", str(wh))
    assert first.returncode == 0, first.stderr
    old_snapshot = (wh / "CURRENT").read_text().strip()
    old_count = sql(wh, "select count(*) from events")[0][0]
    # kill points: before any snapshot is staged, shortly after staging starts, late in staging
    for delay in (None, 0.3, 2.0):
        proc = _start_run(src, wh)
        try:
            if delay is None:  # killed once its run record exists, before it stages anything
                assert _wait_for(lambda: len(list((wh / "state" / "runs").glob("2*.parquet"))) >= 2)
            else:
                assert _wait_for(lambda: bool(_staging(wh))), "the run never started staging"
                time.sleep(delay)
                # a query while the build runs sees the old snapshot
                res = cli("query", "-w", str(wh), "-f", "csv", "select count(*) from events")
                assert res.returncode == 0 and res.stdout.splitlines()[1] == str(old_count)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        assert (wh / "CURRENT").read_text().strip() == old_snapshot
        assert sql(wh, "select count(*) from events")[0][0] == old_count
        assert sql(wh, "select snapshot from _currents_meta")[0][0] == old_snapshot
    # the next run takes the lock the killed ones held, cleans their debris and completes
    final = cli("run", "-q", "--source", str(src), "--warehouse", str(wh))
    assert final.returncode == 0, final.stderr
    assert not _staging(wh)
    assert sql(wh, "select count(*) from events")[0][0] > old_count
    statuses = [s for (s,) in sql(wh, "select status from runs order by started")]
    assert statuses[0] == "success" and statuses[-1] == "success" and statuses.count("killed") >= 2


def test_disk_full_during_write_keeps_old_snapshot(tmp_path: Path, prefect_server, monkeypatch):
    src, wh = tmp_path / "src", tmp_path / "wh"
    (src / "news").mkdir(parents=True)
    import shutil
    shutil.copytree(SAMPLE / "news" / "2016", src / "news" / "2016")
    build_warehouse(sources=[str(src)], warehouse=str(wh))
    old = (wh / "CURRENT").read_text()
    shutil.copytree(SAMPLE / "news" / "2017", src / "news" / "2017")
    real = store.write_parquet
    calls = {"n": 0}

    def failing(table, path, compression="zstd"):
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError(28, "No space left on device", str(path))
        return real(table, path, compression)

    monkeypatch.setattr("warehouse.partitions.write_parquet", failing)
    with pytest.raises(OSError, match="No space left"):
        build_warehouse(sources=[str(src)], warehouse=str(wh))
    assert (wh / "CURRENT").read_text() == old
    assert sql(wh, "select count(*) from events where year = 2017") == [(0,)]
    assert sql(wh, "select status, error like '%No space left%' from runs order by started desc limit 1") == [("failed", True)]
    monkeypatch.setattr("warehouse.partitions.write_parquet", real)
    build_warehouse(sources=[str(src)], warehouse=str(wh))  # recovers, and cleans the failed staging dir
    assert sql(wh, "select count(*) > 0 from events where year = 2017") == [(True,)]
    assert not _staging(wh)


def test_unwritable_warehouse_via_cli_is_one_clear_line(tmp_path: Path):
    res = cli("run", "--source", str(SAMPLE / "seeds"), "--warehouse", "/proc/currents-warehouse")
    assert res.returncode == 1
    assert "not writable" in res.stderr and "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) <= 2
    afile = tmp_path / "a-file"
    afile.write_text("x")
    res = cli("run", "--source", str(SAMPLE / "seeds"), "--warehouse", str(afile / "wh"))
    assert res.returncode == 1 and "not writable" in res.stderr and "Traceback" not in res.stderr


def test_unwritable_warehouse_is_a_clear_error(tmp_path: Path):
    with pytest.raises(WarehouseError, match="not writable"):
        Warehouse(Path("/proc/currents-warehouse")).ensure_dirs()


_junk = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda s: s.encode("utf-8")),
    st.builds(lambda b, cut: b[:cut], st.sampled_from([p.read_bytes() for p in sorted((SAMPLE / "news" / "2016" / "03" / "14").iterdir())]), st.integers(0, 4000)),
    st.builds(lambda s: s.encode("cp1252", "replace"), st.text(alphabet="éàüñ# [](2016-03-14)\n", max_size=80)),
)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.lists(_junk, min_size=1, max_size=8), seed=st.integers(0, 1000))
def test_fuzzed_inputs_never_crash_and_never_vanish(tmp_path_factory, prefect_server, junk, seed):
    root = tmp_path_factory.mktemp("fuzz")
    src, wh = root / "src", root / "wh"
    import shutil
    # a year of good files, so the junk stays under the blocking reject-ratio check (max 0.5)
    shutil.copytree(SAMPLE / "news" / "2016", src / "news" / "2016")
    day = src / "news" / "2016" / "03" / "14"
    rng = random.Random(seed)
    for i, data in enumerate(junk):
        (day / f"junk-{i}.md").write_bytes(data)
    (day / "link.md").symlink_to(day / f"junk-0.md")
    if rng.random() < 0.5:
        (day / "huge.md").write_bytes(b"### [2016-03-14](/news/2016/03/14/index.md)\n# x\n" + b"y" * (10 * 2**20 + 1))
    summary = build_warehouse(sources=[str(src)], warehouse=str(wh))
    inputs = {p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file() or p.is_symlink()}
    seen = {r[0] for r in sql(wh, "select path from event_files union all select path from rejects union all select path from day_lists")}
    assert inputs == seen  # every file ended somewhere
    good = "news/2016/03/14/the-joint-european-space-agency-and-russian-federal-space-agency-exomars-trace-gas-orbiter-blasts-off-from-the-baikonur-cosmodrome-in-kazakh.md"
    assert sql(wh, "select count(*) from event_files where path = ?", [good]) == [(1,)]  # no good file lost
    assert all(r for (r,) in sql(wh, "select detail from rejects"))
    assert summary["files_rejected"] == sql(wh, "select count(*) from rejects")[0][0]


def test_read_capped_reads_whole_files_and_stops_at_the_limit(tmp_path: Path):
    from pipelines.inputs import read_capped
    src = REPO / "tests" / "data"
    real = next(p for p in sorted(src.rglob("*.md")) if p.stat().st_size > 100)
    assert read_capped(str(real), 10 ** 6) == real.read_bytes()
    assert read_capped(str(real), 50) == real.read_bytes()[:50]
    (tmp_path / "empty.md").write_bytes(b"")
    assert read_capped(str(tmp_path / "empty.md"), 10) == b""
    fifo = tmp_path / "pipe"  # a writer that hands the bytes over in pieces: short reads before the end
    os.mkfifo(fifo)
    pieces = [b"a" * 70000, b"b" * 70000, b"c" * 70000]

    def write() -> None:
        with open(fifo, "wb", buffering=0) as w:
            for piece in pieces:
                w.write(piece)
                time.sleep(0.05)

    writer = threading.Thread(target=write)
    writer.start()
    got = read_capped(str(fifo), 10 ** 6)
    writer.join()
    assert got == b"".join(pieces)

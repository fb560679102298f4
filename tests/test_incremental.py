"""Incremental runs equal full rebuilds, changed files update events in place, nothing is lost."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from config.settings import get_settings
from conftest import DATA, SAMPLE, sql
from pipelines.flow import build_warehouse

TABLES = ("events", "event_files", "sources", "tags", "relations", "rejects", "day_lists", "launches")
POOL = sorted(
    p.relative_to(SAMPLE).as_posix()
    for d in ("news/2017/01/10", "news/2018/01/10", "news/2016/03/14", "news/2006/12/27", "seeds")
    for p in (SAMPLE / d).iterdir()
)
VERSIONED = sorted(p.relative_to(DATA / "versions").as_posix() for p in (DATA / "versions").rglob("*.md"))


def snapshot_rows(wh: Path) -> dict[str, list[str]]:
    """Every public table as a sorted list of row reprs (a set comparison that tolerates lists)."""
    return {t: sorted(repr(r) for r in sql(wh, f"select * from {t}")) for t in TABLES}


def touch(path: Path, tick: list[int]) -> None:
    """Give a rewritten file a distinct mtime, as a real edit a second later would have."""
    tick[0] += 1
    os.utime(path, ns=(tick[0] * 10**9, tick[0] * 10**9))


def test_changed_file_updates_its_event_in_place(tmp_path: Path, prefect_server):
    src = tmp_path / "src"
    shutil.copytree(SAMPLE / "news" / "2017", src / "news" / "2017")
    wh = tmp_path / "wh"
    build_warehouse(sources=[str(src)], warehouse=str(wh))
    rel = "news/2017/01/10/two-bombs-explode-near-the-national-assembly-in-kabul-killing-at-least-38-people.md"
    before = sql(wh, "select event_id, count(*) over () from events join event_files using (event_id) where event_files.path = ?", [rel])
    shutil.copy(DATA / "versions" / rel, src / rel)
    touch(src / rel, [2_000_000_000])
    summary = build_warehouse(sources=[str(src)], warehouse=str(wh))
    assert summary["files_changed"] == 1 and summary["files_new"] == 0 and summary["events_added"] == 0
    after = sql(wh, "select event_id, count(*) over () from events join event_files using (event_id) where event_files.path = ?", [rel])
    assert after == before  # same event id, no second event
    full = tmp_path / "full"
    build_warehouse(sources=[str(src)], warehouse=str(full), full=True)
    assert snapshot_rows(wh) == snapshot_rows(full)


def _partition_inodes(wh: Path, snapshot: str) -> dict[str, int]:
    snap = wh / "snapshots" / snapshot
    return {p.relative_to(snap).as_posix(): p.stat().st_ino for p in snap.rglob("part-*.parquet")
            if p.name != "part-empty.parquet"}  # zero-row schema placeholders are written every run


def test_an_edit_rewrites_only_the_partitions_whose_rows_change(tmp_path: Path, prefect_server):
    src = tmp_path / "src"
    shutil.copytree(SAMPLE / "news" / "2017", src / "news" / "2017")
    wh = tmp_path / "wh"
    first = build_warehouse(sources=[str(src)], warehouse=str(wh))
    rel = "news/2017/01/10/two-bombs-explode-near-the-national-assembly-in-kabul-killing-at-least-38-people.md"
    touch(src / rel, [2_000_000_000])  # same bytes, new mtime: only the manifest row changes
    second = build_warehouse(sources=[str(src)], warehouse=str(wh))
    before, after = _partition_inodes(wh, first["snapshot"]), _partition_inodes(wh, second["snapshot"])
    assert after.keys() == before.keys()
    rewritten = sorted(k for k in after if after[k] != before[k])
    assert rewritten == ["manifest/part-2017-01.parquet"]
    text = (src / rel).read_text(encoding="utf-8")
    (src / rel).write_text(text.replace("Two bombs explode", "Two bombs exploded", 1), encoding="utf-8")
    touch(src / rel, [2_000_000_010])  # a new headline: its event (and file hash) change, its links do not
    third = build_warehouse(sources=[str(src)], warehouse=str(wh))
    latest = _partition_inodes(wh, third["snapshot"])
    rewritten = {k.split("/")[0] for k in latest if latest[k] != after[k]}
    assert {"events", "event_files", "manifest"} <= rewritten and not rewritten & {"sources", "relations", "tags"}
    assert third["events_updated"] == 1
    full = tmp_path / "full"
    build_warehouse(sources=[str(src)], warehouse=str(full), full=True)
    assert snapshot_rows(wh) == snapshot_rows(full)


def test_no_change_run_keeps_the_snapshot_and_records_the_run(tmp_path: Path, prefect_server):
    src = tmp_path / "src"
    shutil.copytree(SAMPLE / "news" / "2018", src)
    wh = tmp_path / "wh"
    first = build_warehouse(sources=[str(src)], warehouse=str(wh))
    second = build_warehouse(sources=[str(src)], warehouse=str(wh))
    assert second["published"] is False and second["snapshot"] == first["snapshot"]
    assert second["files_unchanged"] == first["files_new"] and second["events"] == first["events"]
    assert [r[0] for r in sql(wh, "select status from runs")] == ["success", "success"]


def test_deleted_files_remove_their_events_and_old_snapshots_are_pruned(tmp_path: Path, prefect_server):
    src = tmp_path / "src"
    shutil.copytree(SAMPLE / "news" / "2018", src)
    wh = tmp_path / "wh"
    build_warehouse(sources=[str(src)], warehouse=str(wh))
    n = sql(wh, "select count(*) from events")[0][0]
    victim = next(src.rglob("the-u-s-government-s-highly-classified-zuma*.md"))
    victim.unlink()
    s = build_warehouse(sources=[str(src)], warehouse=str(wh))
    assert s["events_removed"] == 1 and sql(wh, "select count(*) from events")[0][0] == n - 1
    (next(src.rglob("at-least-four-gunmen*.md"))).unlink()
    build_warehouse(sources=[str(src)], warehouse=str(wh))
    assert len([p for p in (wh / "snapshots").iterdir()]) == 2  # keep_snapshots default


@pytest.fixture
def ratio_checks_warn_only(tmp_path_factory):
    """The property below is about data, not about checks: on a 3-file archive, corrupting 2 files
    (reject ratio 0.67) or deleting 2 of 3 events is a blocking ratio by design, which would stop
    the run the property wants to compare. Ratio and row-change checks only warn here; they are
    tested as blocking in tests/test_checks.py."""
    checks = yaml.safe_load(get_settings().checks.read_text())
    for c in checks["checks"]:
        if c["type"] in ("metric", "row_change"):
            c["severity"] = "warn"
    path = tmp_path_factory.mktemp("checks") / "checks.yaml"
    path.write_text(yaml.safe_dump(checks))
    old = os.environ.get("CURRENTS_CHECKS")
    os.environ["CURRENTS_CHECKS"] = str(path)
    get_settings.cache_clear()
    yield path
    if old is None:
        os.environ.pop("CURRENTS_CHECKS", None)
    else:
        os.environ["CURRENTS_CHECKS"] = old
    get_settings.cache_clear()


ops = st.lists(st.tuples(st.sampled_from(["add", "delete", "change", "version", "corrupt"]), st.integers(0, 10**6)), min_size=1, max_size=4)


_EXOMARS = "news/2016/03/14/the-joint-european-space-agency-and-russian-federal-space-agency-exomars-trace-gas-orbiter-blasts-off-from-the-baikonur-cosmodrome-in-kazakh.md"
_COROT = "news/2006/12/27/the-french-space-agency-cnes-spacecraft-corot-was-successfully-launched-in-baikonur-cosmodrome-in-kazakhstan-at-14-28-utc-gmt-4-to-sear.md"


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# cases hypothesis found where a blocking ratio check stopped the run (see ratio_checks_warn_only)
@example(initial={_EXOMARS, _COROT, "news/2018/01/10/index.md"}, steps=[[("add", 1937)], [("delete", 14262), ("delete", 0)]])
@example(initial={_EXOMARS, _COROT, "news/2017/01/10/README.md"}, steps=[[("corrupt", 0), ("corrupt", 34643)]])
@given(initial=st.sets(st.sampled_from(POOL), min_size=3, max_size=12), steps=st.lists(ops, min_size=1, max_size=2))
def test_incremental_runs_equal_a_full_rebuild(tmp_path_factory, prefect_server, ratio_checks_warn_only, initial, steps):
    root = tmp_path_factory.mktemp("prop")
    src, wh = root / "src", root / "wh"
    tick = [1_900_000_000]
    for rel in initial:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLE / rel, src / rel)
    build_warehouse(sources=[str(src)], warehouse=str(wh))
    for run_ops in steps:
        for op, k in run_ops:
            present = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file())
            absent = [p for p in POOL if p not in present]
            if op == "add" and absent:
                rel = absent[k % len(absent)]
                (src / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(SAMPLE / rel, src / rel)
                touch(src / rel, tick)
            elif op == "delete" and present:
                (src / present[k % len(present)]).unlink()
            elif op == "change" and present:
                p = src / present[k % len(present)]
                p.write_text(p.read_text(encoding="utf-8").replace("\n# ", "\n# Updated: ", 1), encoding="utf-8")
                touch(p, tick)
            elif op == "version":
                rel = VERSIONED[k % len(VERSIONED)]
                (src / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(DATA / "versions" / rel, src / rel)
                touch(src / rel, tick)
            elif op == "corrupt" and present:
                p = src / present[k % len(present)]
                p.write_bytes(b"\x00\x01binary")
                touch(p, tick)
        build_warehouse(sources=[str(src)], warehouse=str(wh))
    full = root / "full"
    build_warehouse(sources=[str(src)], warehouse=str(full), full=True)
    assert snapshot_rows(wh) == snapshot_rows(full)

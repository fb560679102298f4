"""Data-quality checks: results per run, blocking failures keep the old snapshot live."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from config.settings import get_settings
from conftest import SAMPLE, sql
from pipelines.flow import build_warehouse


def test_checks_are_recorded_per_run(sample_warehouse: Path):
    rows = sql(sample_warehouse, "select check_name, severity, status from checks")
    names = {r[0] for r in rows}
    assert {"events_event_id_unique", "events_kind_accepted", "relations_target_resolution_rate", "reject_ratio_blocking", "events_row_change"} <= names
    assert all(status == "pass" for _, sev, status in rows if sev == "error")
    (run_id,) = sql(sample_warehouse, "select distinct run_id from checks")[0]
    assert sql(sample_warehouse, "select snapshot from runs")[0][0] == run_id


def test_failed_blocking_check_keeps_old_snapshot_and_fails_the_flow_run(tmp_path: Path, prefect_server, monkeypatch):
    src, wh = tmp_path / "src", tmp_path / "wh"
    shutil.copytree(SAMPLE / "news" / "2016", src / "news" / "2016")
    build_warehouse(sources=[str(src)], warehouse=str(wh))
    live = (wh / "CURRENT").read_text()
    n = sql(wh, "select count(*) from events")[0][0]
    # a new day with a bad file, and a blocking check that tolerates no rejects
    shutil.copytree(SAMPLE / "news" / "2017", src / "news" / "2017")
    (src / "news" / "2017" / "01" / "10" / "broken.md").write_bytes(b"\x00\x00")
    strict = tmp_path / "checks.yaml"
    checks = yaml.safe_load(get_settings().checks.read_text())
    checks["checks"].append({"name": "no_rejects_at_all", "type": "metric", "severity": "error", "max": 0,
                             "sql": "select count(*) from rejects"})
    strict.write_text(yaml.safe_dump(checks))
    monkeypatch.setenv("CURRENTS_CHECKS", str(strict))
    get_settings.cache_clear()
    try:
        state = build_warehouse(sources=[str(src)], warehouse=str(wh), return_state=True)
    finally:
        get_settings.cache_clear()
    assert state.is_failed()
    with pytest.raises(Exception, match="no_rejects_at_all"):
        state.result()
    assert (wh / "CURRENT").read_text() == live
    assert sql(wh, "select count(*) from events") == [(n,)]
    assert sql(wh, "select status from runs order by started desc limit 1") == [("failed",)]
    assert sql(wh, "select status, observed from checks where check_name = 'no_rejects_at_all'") == [("fail", 1.0)]


def test_row_change_is_not_judged_below_min_rows_and_blocks_above(tmp_path: Path, prefect_server, monkeypatch):
    src, wh = tmp_path / "src", tmp_path / "wh"
    shutil.copytree(SAMPLE / "news" / "2016", src / "news" / "2016")
    build_warehouse(sources=[str(src)], warehouse=str(wh))
    n = sql(wh, "select count(*) from events")[0][0]
    events = sorted(p for p in src.rglob("*.md") if p.name not in ("index.md", "README.md"))
    for p in events[: len(events) * 3 // 4]:  # most events go: a drop far over max_drop (0.5)
        p.unlink()
    s = build_warehouse(sources=[str(src)], warehouse=str(wh))  # the sample's year is under min_rows (100)
    assert s["published"] and sql(wh, "select count(*) from events")[0][0] < n / 2
    (status, detail), = sql(wh, "select status, detail from checks where check_name = 'events_row_change' "
                                "and run_id = (select snapshot from runs order by started desc limit 1)")
    assert status == "pass" and "too few to judge" in detail
    # the same kind of drop with min_rows 0 blocks publishing
    strict = tmp_path / "checks.yaml"
    checks = yaml.safe_load(get_settings().checks.read_text())
    for c in checks["checks"]:
        if c["name"] == "events_row_change":
            c["min_rows"] = 0
    strict.write_text(yaml.safe_dump(checks))
    monkeypatch.setenv("CURRENTS_CHECKS", str(strict))
    get_settings.cache_clear()
    live = (wh / "CURRENT").read_text()
    for p in sorted(p for p in src.rglob("*.md") if p.name not in ("index.md", "README.md"))[1:]:
        p.unlink()
    try:
        state = build_warehouse(sources=[str(src)], warehouse=str(wh), return_state=True)
    finally:
        get_settings.cache_clear()
    assert state.is_failed() and (wh / "CURRENT").read_text() == live


def test_unique_counts_duplicates_and_nulls_exactly(tmp_path: Path):
    import duckdb

    from warehouse.checks import _duplicates

    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    con.execute("create table t as select 'news/2016/03/14/' || i || '.md' as path from range(1000) r(i)")
    assert _duplicates(con, "t", "path") == 0
    con.execute("insert into t values ('news/2016/03/14/7.md'), ('news/2016/03/14/7.md'), (null)")
    assert _duplicates(con, "t", "path") == 3  # two repeats and a NULL, as count(distinct) counts them


def test_resolution_rate_matches_the_relations_view(sample_warehouse: Path):
    checks = yaml.safe_load(get_settings().checks.read_text())["checks"]
    (rate_sql,) = [c["sql"] for c in checks if c["name"] == "relations_target_resolution_rate"]
    (observed,) = sql(sample_warehouse, "select observed from checks where check_name = 'relations_target_resolution_rate'")[0]
    (from_view,) = sql(sample_warehouse, "select count(target_event_id)::double / count(*) from relations")[0]
    assert 0 < from_view < 1 and observed == pytest.approx(from_view)
    assert "stg_relations" in rate_sql

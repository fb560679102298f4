"""The `currents` CLI, run for real in subprocesses."""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE, cli, sql
from warehouse.store import Warehouse


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    wh = tmp_path_factory.mktemp("cli-wh")
    res = cli("run", "--source", str(SAMPLE / "news" / "2016"), "--source", str(SAMPLE / "seeds"), "--warehouse", str(wh))
    assert res.returncode == 0, res.stderr
    assert "events" in res.stdout and "duplicates_merged" in res.stdout
    return wh


def test_query_formats(built: Path):
    res = cli("query", "--warehouse", str(built), "--format", "csv", "select site, year, launches from launches_per_site_per_year order by year, site")
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert {"site": "Baikonur Cosmodrome", "year": "2016", "launches": "1"} in rows
    res = cli("query", "-w", str(built), "-f", "json", "select count(*) as n from events")
    assert json.loads(res.stdout) == [{"n": sql(built, "select count(*) from events")[0][0]}]
    res = cli("query", "-w", str(built), "select headline from events order by date limit 1")
    assert res.returncode == 0 and "1 row(s)" in res.stdout


def test_warehouse_from_environment(built: Path):
    res = cli("query", "--format", "csv", "select count(*) from events", env={"CURRENTS_WAREHOUSE": str(built)})
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[1] == str(sql(built, "select count(*) from events")[0][0])


def test_sql_error_is_one_clear_line_and_nonzero(built: Path):
    res = cli("query", "-w", str(built), "select nope from events")
    assert res.returncode == 1
    assert "SQL error" in res.stderr and "nope" in res.stderr and "Traceback" not in res.stderr


def test_missing_warehouse_and_missing_source_are_clear_errors(tmp_path: Path):
    res = cli("query", "-w", str(tmp_path / "none"), "select 1")
    assert res.returncode == 1 and "currents run" in res.stderr and "Traceback" not in res.stderr
    res = cli("run", "--source", str(tmp_path / "no-such-dir"), "-w", str(tmp_path / "wh"))
    assert res.returncode == 1 and "source directory not found" in res.stderr and "Traceback" not in res.stderr


def test_duckdb_file_answers_from_any_working_directory(built: Path, tmp_path: Path):
    code = ("import duckdb,sys; con=duckdb.connect(sys.argv[1], read_only=True); "
            "print(con.execute('select sum(launches) from launches_per_site_per_year').fetchall()[0][0])")
    res = subprocess.run([sys.executable, "-c", code, str(built / "currents.duckdb")], cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert int(res.stdout) == sql(built, "select count(*) from launches")[0][0] > 0


def test_export_parquet_and_csv_with_dictionary(built: Path, tmp_path: Path):
    res = cli("export", "-w", str(built), "--to", str(tmp_path / "bi"))
    assert res.returncode == 0, res.stderr
    events = pq.read_table(tmp_path / "bi" / "events" / "events.parquet")
    assert events.num_rows == sql(built, "select count(*) from events")[0][0]
    dictionary = json.loads((tmp_path / "bi" / "dictionary.json").read_text())
    assert {"events", "launches_per_site_per_year", "rejects", "runs"} <= set(dictionary)
    assert all(c["description"] for t in dictionary.values() for c in t["columns"]), "every column documented"
    res = cli("export", "-w", str(built), "--to", str(tmp_path / "bi-csv"), "--format", "csv")
    assert res.returncode == 0, res.stderr
    with open(tmp_path / "bi-csv" / "launches" / "launches.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == sql(built, "select count(*) from launches")[0][0]


def test_moved_warehouse_is_repaired_by_the_next_command(built: Path, tmp_path: Path):
    moved = tmp_path / "moved"
    shutil.copytree(built, moved)
    res = cli("query", "-w", str(moved), "-f", "csv", "select count(*) from events")
    assert res.returncode == 0, res.stderr
    con_paths = sql(moved, "select warehouse_dir from _currents_meta")
    assert con_paths == [(str(moved.resolve()),)]


def test_second_run_while_locked_exits_at_once(built: Path):
    with Warehouse(built).lock():
        res = cli("run", "--source", str(SAMPLE / "seeds"), "-w", str(built), timeout=120)
    assert res.returncode == 3
    assert "another `currents run`" in res.stderr and "--wait" in res.stderr


def test_runs_command_lists_runs(built: Path):
    res = cli("runs", "-w", str(built), "-f", "json")
    assert res.returncode == 0, res.stderr
    runs = json.loads(res.stdout)
    assert runs[0]["status"] == "success" and runs[0]["events"] == sql(built, "select count(*) from events")[0][0]


def test_data_dictionary_doc_matches_the_yaml_and_the_views(built: Path):
    from warehouse.export import dictionary_markdown, load_dictionary

    assert (Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md").read_text() == dictionary_markdown()
    for view, cols in load_dictionary().items():
        actual = {r[0] for r in sql(built, f"describe select * from {view}")}
        assert actual == set(cols) - {"_"}, f"{view}: dictionary and view disagree"

"""End-to-end: real corpus files -> Prefect flow -> Parquet snapshot -> DuckDB views."""
from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from conftest import DATA, SAMPLE, sql
from pipelines.flow import build_warehouse

EXOMARS = "news/2016/03/14/the-joint-european-space-agency-and-russian-federal-space-agency-exomars-trace-gas-orbiter-blasts-off-from-the-baikonur-cosmodrome-in-kazakh.md"


def test_every_input_file_is_accounted_for(sample_warehouse: Path):
    inputs = {p.relative_to(SAMPLE).as_posix() for p in SAMPLE.rglob("*") if p.suffix in (".md", ".txt")}
    seen = {r[0] for r in sql(sample_warehouse, "select path from event_files union all select path from rejects union all select path from day_lists")}
    assert inputs == seen
    n = sql(sample_warehouse, "select (select count(*) from event_files) + (select count(*) from rejects) + (select count(*) from day_lists)")[0][0]
    assert n == len(inputs)  # and nobody counted twice


def test_counts_of_the_sample_corpus(sample_warehouse: Path):
    assert sql(sample_warehouse, "select count(*) from event_files")[0][0] == 137
    assert sql(sample_warehouse, "select count(*) from day_lists")[0][0] == 31
    assert sql(sample_warehouse, "select count(*) from events")[0][0] == 121
    assert sql(sample_warehouse, "select count(*) from event_files where role = 'duplicate'")[0][0] == 16
    assert sql(sample_warehouse, "select path, reason from rejects") == [("README.md", "no_date")]
    # every event has exactly one canonical file, and it is the events.path
    assert sql(sample_warehouse, "select count(*) from events e join event_files f on f.event_id = e.event_id and f.role = 'canonical' and f.path = e.path")[0][0] == 121


def test_exomars_event_facts(sample_warehouse: Path):
    (eid,) = sql(sample_warehouse, "select event_id from event_files where path = ?", [EXOMARS])[0]
    assert sql(sample_warehouse, "select count(*) filter (not is_image), count(*) filter (is_image) from sources where event_id = ?", [eid]) == [(1, 1)]
    assert sql(sample_warehouse, "select count(*) from relations where event_id = ?", [eid]) == [(5,)]
    assert ("Baikonur Cosmodrome",) in sql(sample_warehouse, "select distinct tag from tags where event_id = ?", [eid])
    assert sql(sample_warehouse, "select site, year from launches where event_id = ?", [eid]) == [("Baikonur Cosmodrome", 2016)]
    # the seed copy of the same event collapsed into it
    assert sql(sample_warehouse, "select path, role from event_files where event_id = ? order by role", [eid]) == [
        (EXOMARS, "canonical"), ("seeds/000_b02bc1e1bd4a287c.txt", "duplicate")]
    assert sql(sample_warehouse, "select date::varchar, year from events where event_id = ?", [eid]) == [("2016-03-14", 2016)]


def test_duplicates_collapse_as_labelled(sample_warehouse: Path):
    groups: dict[str, set[str]] = defaultdict(set)
    with open(DATA / "duplicate_groups.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            groups[row["group"]].add(row["path"])
    event_of = dict(sql(sample_warehouse, "select path, event_id from event_files"))
    labelled = set().union(*groups.values())
    ours: dict[str, set[str]] = defaultdict(set)
    for path in labelled:
        ours[event_of[path]].add(path)
    assert {frozenset(g) for g in ours.values()} == {frozenset(g) for g in groups.values()}


def test_updated_pre_launch_headline_counts_once(sample_warehouse: Path):
    rows = sql(sample_warehouse, "select count(distinct event_id), count(*) from event_files where path like 'news/2018/02/6/%'")
    assert rows == [(1, 2)]


def test_relations_resolve_targets_through_any_duplicate_slug(sample_warehouse: Path):
    # 2016-03-14 ExoMars relates to the 2014-04-16 EgyptSat launch, which is in the corpus
    rows = sql(sample_warehouse, """
        select r.target_event_id = f.event_id from relations r join event_files e on e.event_id = r.event_id and e.path = ?
        join event_files f on f.path = 'news/' || r.target_key || '.md' where r.target_date = '2014-04-16'""", [EXOMARS])
    assert rows == [(True,)]
    resolved, total = sql(sample_warehouse, "select count(target_event_id), count(*) from relations")[0]
    assert 0 < resolved < total  # most targets are outside the sample


def test_tags_keep_their_origin(sample_warehouse: Path):
    origins = dict(sql(sample_warehouse, "select origin, count(*) from tags group by 1"))
    assert set(origins) == {"day_list", "related"}
    # the day-list tag of a 1999 event names the file it came from
    rows = sql(sample_warehouse, "select origin_path from tags t join event_files f using (event_id) where f.path like 'news/1999/02/23/kurdish%' and tag = 'Turkey' and origin = 'day_list'")
    assert rows == [("news/1999/02/23/README.md",)]


def test_parquet_snapshot_is_zstd_and_views_use_it(sample_warehouse: Path):
    live = (sample_warehouse / "CURRENT").read_text().strip()
    files = sorted((sample_warehouse / "snapshots" / live / "events").glob("*.parquet"))
    assert files
    meta = pq.ParquetFile(files[0]).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert sum(pq.ParquetFile(f).metadata.num_rows for f in files) == 121


def test_bad_files_are_quarantined_with_reasons(tmp_path: Path, prefect_server):
    src = tmp_path / "src"
    shutil.copytree(SAMPLE / "news" / "2016", src / "news" / "2016")  # enough good files to pass the reject-ratio check
    good = src / "news/2016/03/14"
    (good / "empty.md").write_bytes(b"")
    (good / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (good / "latin1.md").write_bytes("### [2016-03-14](/news/2016/03/14/index.md)\n\n# Caf\xe9 opens.\n".encode("latin-1"))
    (good / "huge.md").write_bytes(b"### [2016-03-14](/news/2016/03/14/index.md)\n\n# Big.\n" + b"x" * (10 * 1024 * 1024 + 10))
    (good / "notes.md").write_text("Just some notes, no date line.\n")
    (good / "link.md").symlink_to(good / Path(EXOMARS).name)
    wh = tmp_path / "wh"
    summary = build_warehouse(sources=[str(src)], warehouse=str(wh))
    reasons = dict(sql(wh, "select regexp_extract(path, '[^/]+$'), reason from rejects"))
    assert reasons == {"empty.md": "empty", "binary.md": "binary", "latin1.md": "undecodable", "huge.md": "too_large",
                       "notes.md": "no_date", "link.md": "symlink"}
    assert all(d for (d,) in sql(wh, "select detail from rejects"))
    assert summary["files_rejected"] == 6 and summary["events"] == 12
    assert sql(wh, "select count(*) from events") == [(12,)]


def test_empty_source_publishes_an_empty_warehouse(tmp_path: Path, prefect_server):
    (tmp_path / "src").mkdir()
    summary = build_warehouse(sources=[str(tmp_path / "src")], warehouse=str(tmp_path / "wh"))
    assert summary["events"] == 0
    assert sql(tmp_path / "wh", "select count(*) from launches_per_site_per_year") == [(0,)]


def test_runs_history_records_each_run(sample_warehouse: Path):
    rows = sql(sample_warehouse, "select status, events, files_rejected, snapshot is not null from runs")
    assert rows == [("success", 121, 1, True)]


def test_run_artifact_counts_the_stored_rows(tmp_path: Path, prefect_server):
    import json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    src = tmp_path / "src"
    shutil.copytree(SAMPLE / "news" / "2016", src / "news" / "2016")
    wh = tmp_path / "wh"
    summary = build_warehouse(sources=[str(src)], warehouse=str(wh))
    with get_client(sync_client=True) as client:
        arts = client.read_latest_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["currents-run"])))
    data = arts[0].data
    rows = json.loads(data) if isinstance(data, str) else data
    counted = {r["name"]: r["value"] for r in rows if r["section"] == "rows"}
    assert counted["events"] == summary["events"] > 0
    for table in ("events", "event_files", "sources", "tags", "relations", "rejects", "day_lists", "launches"):
        assert counted[table] == sql(wh, f"select count(*) from {table}")[0][0], table
    assert any(r["section"].startswith("check") and r["name"] == "events_event_id_unique" for r in rows)


def test_no_change_run_reports_the_snapshot_counts_with_or_without_its_stats_file(tmp_path: Path, prefect_server):
    src = tmp_path / "src"
    shutil.copytree(SAMPLE / "news" / "2016", src / "news" / "2016")
    wh = tmp_path / "wh"
    first = build_warehouse(sources=[str(src)], warehouse=str(wh))
    stats = wh / "snapshots" / first["snapshot"] / "stats.json"
    keys = ("events", "event_files", "day_lists", "duplicates_merged", "files_rejected", "rejects_by_reason", "launches")
    assert stats.exists()
    again = build_warehouse(sources=[str(src)], warehouse=str(wh))
    assert again["published"] is False and {k: again[k] for k in keys} == {k: first[k] for k in keys}
    stats.unlink()  # a snapshot built before stats files existed: counted from its Parquet files
    once_more = build_warehouse(sources=[str(src)], warehouse=str(wh))
    assert {k: once_more[k] for k in keys} == {k: first[k] for k in keys}

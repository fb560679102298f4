"""Discovery: a split walk (worker processes per year folder) lists exactly what a plain walk lists,
in the same order, on real files in a messy tree; and the flow uses it only for large archives."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import SAMPLE
from config.settings import Settings
from pipelines.flow import _discover_workers
from pipelines.inputs import discover
from warehouse.store import Warehouse


def _messy_copy(tmp_path: Path) -> Path:
    src = tmp_path / "archive"
    shutil.copytree(SAMPLE, src)
    day = next(p for p in sorted((src / "news").glob("*/*/*")) if p.is_dir())
    some_file = next(day.glob("*.md"))
    os.symlink(some_file, day / "a-symlinked-event.md")
    (day / "cover.png").write_bytes(b"\x89PNG")
    os.mkfifo(day / "a-fifo.md")
    (src / "news" / ".git").mkdir()
    (src / "news" / ".git" / "x.md").write_text("hidden")
    (src / "stray-at-the-top.md").write_text("# not in a dated folder\n")
    (src / "news" / "2016" / "loose-in-a-year.md").write_text("# loose\n")
    return src


def test_split_walk_lists_the_same_rows_in_the_same_order(tmp_path: Path):
    src = _messy_copy(tmp_path)
    plain, split = discover([src]), discover([src], workers=2)
    assert split.files.num_rows == plain.files.num_rows > 150
    assert split.files.equals(plain.files)
    assert split.rejects == plain.rejects
    assert {r[1] for r in plain.rejects} == {"symlink", "not_a_file"}
    assert split.ignored == plain.ignored == {".png": 1}
    paths = plain.files["path"].to_pylist()
    assert "stray-at-the-top.md" in paths and "news/2016/loose-in-a-year.md" in paths
    assert not any("/.git/" in p for p in paths)


def test_flow_splits_the_walk_only_for_a_large_live_snapshot(sample_warehouse: Path):
    live = Warehouse(sample_warehouse).current()
    snap = sample_warehouse / "snapshots" / live
    assert _discover_workers(Settings(runner="auto", discover_workers=3, discover_split_min_files=0), snap) == (3, 0)
    assert _discover_workers(Settings(runner="auto", discover_workers=3, discover_split_min_files=10**6), snap) == (1, 0)
    assert _discover_workers(Settings(runner="local", discover_workers=3, discover_split_min_files=0), snap) == (1, 0)
    assert _discover_workers(Settings(runner="auto", discover_workers=1, discover_split_min_files=0), snap) == (1, 0)
    # no live snapshot: the first year folder's size decides (see the next test)
    assert _discover_workers(Settings(runner="auto", discover_workers=3, discover_split_min_files=500), None) == (3, 500)


def test_a_new_source_is_split_only_when_its_first_year_promises_enough_files(tmp_path: Path, monkeypatch):
    import concurrent.futures

    src = _messy_copy(tmp_path)
    plain = discover([src])
    years = sum(1 for d in (src / "news").iterdir() if d.is_dir())
    assert years >= 2
    split = discover([src], workers=2, split_min_files=1)  # any estimate is enough: the pool walks the rest
    assert split.files.equals(plain.files) and split.rejects == plain.rejects and split.ignored == plain.ignored

    class NoPool:
        def __init__(self, *a, **k):
            raise AssertionError("a small source must be listed without starting processes")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoPool)
    small = discover([src], workers=2, split_min_files=10**9)
    assert small.files.equals(plain.files) and small.rejects == plain.rejects and small.ignored == plain.ignored

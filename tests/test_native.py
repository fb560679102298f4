"""The Cython-compiled transforms (scripts/build_native.py): used only when built from the current
sources, and giving exactly the pure-Python tables."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import transforms
from conftest import SAMPLE, cli
from test_incremental import snapshot_rows
from transforms import NATIVE_MANIFEST, compiled_sources, source_digests

REPO = Path(__file__).resolve().parents[1]


def test_a_build_counts_only_for_the_exact_sources(tmp_path: Path):
    src = tmp_path / "transforms"
    shutil.copytree(REPO / "transforms", src, ignore=shutil.ignore_patterns("__pycache__"))
    build = tmp_path / "build"
    assert not compiled_sources(src, build)  # nothing built
    build.mkdir()
    (build / NATIVE_MANIFEST).write_text(json.dumps(source_digests(src)))
    assert compiled_sources(src, build)
    (src / "tags.py").write_text((src / "tags.py").read_text() + "\n# edited\n")
    assert not compiled_sources(src, build)  # an edited module: the whole build is stale
    (build / NATIVE_MANIFEST).write_text("{not json")
    assert not compiled_sources(src, build)


def test_the_test_run_uses_the_compiled_transforms():
    # scripts/setup.sh (run by scripts/test.sh) compiles them; a silent fall-back would go unmeasured
    assert transforms.COMPILED, ("transforms/ are not compiled from the current sources: run "
                                 "`.venv/bin/python scripts/build_native.py` (it says why it fails)")
    import transforms.event_file as ef
    assert Path(ef.__file__).suffix == ".so"


def test_compiled_and_pure_python_transforms_build_the_same_tables(sample_warehouse: Path, tmp_path: Path):
    res = cli("run", "-q", "--source", str(SAMPLE), "--warehouse", str(tmp_path / "wh"), env={"CURRENTS_NATIVE": "0"})
    assert res.returncode == 0, res.stderr[-3000:]
    assert "pure-Python transforms" in res.stdout
    assert snapshot_rows(tmp_path / "wh") == snapshot_rows(sample_warehouse)

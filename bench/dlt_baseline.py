"""The baseline a user would pick instead of currents: a dlt pipeline over the same corpus.

``python bench/dlt_baseline.py --source DIR --out DIR [--pipelines-dir DIR]``

A ``@dlt.resource`` yields one dict per event file from *our* parser (``parse_event_file``), with
the nested ``sources``/``related``/``changes`` lists left for dlt to normalize into child tables
(``events__sources``, ``events__related``, ``events__related__context``...). It is loaded with dlt's
``filesystem`` destination writing Parquet to a local folder: it needs no server and no network,
and writes the same kind of files as currents (the ``duckdb`` destination works too; filesystem +
Parquet is the like-for-like choice). dlt's defaults are kept (one normalize worker), as a user would.

The baseline does *less* than currents: no day lists, no duplicate grouping, no launch
classification, no incremental manifest, no data-quality checks, no DuckDB views. Files that do not
parse are skipped and counted. Prints ``@@BENCH@@ {json}`` like ``bench/_step.py``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

from _step import emit  # noqa: E402


def _record(obj) -> dict:
    """A parser dataclass (slots) as a plain dict; nested lists of dataclasses become lists of dicts."""
    out = {}
    for name in obj.__slots__:
        v = getattr(obj, name)
        if isinstance(v, list) and v and hasattr(v[0], "__slots__"):
            v = [_record(x) for x in v]
        out[name] = v
    return out


def run(sources: list[str], out: Path, pipelines_dir: Path) -> dict:
    t0 = time.perf_counter()
    import dlt

    from config.settings import get_settings
    from config.vocab import load_qualifiers
    from pipelines.inputs import discover, input_files
    from transforms.archive_paths import is_day_list
    from transforms.event_file import ParseError, parse_event_file

    t1 = time.perf_counter()
    qualifiers = load_qualifiers(get_settings().tag_qualifiers)
    skipped = {"day_list": 0, "unparsed": 0}

    @dlt.resource(name="events", write_disposition="replace")
    def events():
        for f in input_files(discover([Path(s) for s in sources]).files):
            if is_day_list(f.path):
                skipped["day_list"] += 1
                continue
            try:
                with open(f.abspath, "rb") as fh:
                    text = fh.read().decode("utf-8-sig")
                e = parse_event_file(text, f.path, qualifiers)
            except (ParseError, UnicodeDecodeError, OSError):
                skipped["unparsed"] += 1
                continue
            yield _record(e)

    for d in (out, pipelines_dir):
        shutil.rmtree(d, ignore_errors=True)
    pipeline = dlt.pipeline(
        pipeline_name="currents_baseline",
        destination=dlt.destinations.filesystem(bucket_url=out.resolve().as_uri()),
        dataset_name="currents",
        pipelines_dir=str(pipelines_dir),
        progress=None,
    )
    pipeline.run(events(), loader_file_format="parquet")
    t2 = time.perf_counter()
    rows: dict[str, int] = {}
    try:
        rows = dict(pipeline.last_trace.last_normalize_info.row_counts)
    except Exception:
        pass
    return {"step": "dlt", "destination": "filesystem (parquet, local folder)", "dlt_version": dlt.__version__,
            "import_s": t1 - t0, "run_s": t2 - t1, "wall_s": t2 - t1, "skipped": skipped,
            "rows": {k: v for k, v in rows.items() if not k.startswith("_dlt")}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", action="append", required=True)
    ap.add_argument("--out", type=Path, required=True, help="destination folder (replaced)")
    ap.add_argument("--pipelines-dir", type=Path, help="dlt's working folder (replaced; default: OUT.pipelines)")
    a = ap.parse_args()
    emit(run(a.source, a.out, a.pipelines_dir or a.out.with_name(a.out.name + ".pipelines")))


if __name__ == "__main__":
    main()

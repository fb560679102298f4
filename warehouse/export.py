"""Export the warehouse for BI tools: one folder per table/view plus a data dictionary."""
from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import yaml

DICTIONARY = Path(__file__).resolve().parent / "dictionary.yaml"


def load_dictionary() -> dict[str, dict[str, str]]:
    """Table -> {column: description}; the table's own description is under key '_'."""
    return yaml.safe_load(DICTIONARY.read_text(encoding="utf-8"))


def export_warehouse(con: duckdb.DuckDBPyConnection, to: Path, fmt: str = "parquet") -> dict[str, tuple[Path, int]]:
    """Write every documented table/view to ``to/<name>/<name>.<fmt>`` and ``to/dictionary.json``.

    Each file is written under a temporary name and renamed, so a BI tool never reads half a file.
    """
    to = Path(to).expanduser().resolve()
    to.mkdir(parents=True, exist_ok=True)
    dictionary = load_dictionary()
    written: dict[str, tuple[Path, int]] = {}
    doc: dict[str, dict] = {}
    for name, cols in dictionary.items():
        folder = to / name
        folder.mkdir(exist_ok=True)
        target = folder / f"{name}.{fmt}"
        tmp = folder / f".{name}.{fmt}.tmp"
        opts = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true"
        lit = str(tmp).replace("'", "''")
        con.execute(f"COPY (SELECT * FROM {name}) TO '{lit}' ({opts})").fetchall()
        os.replace(tmp, target)
        cur = con.execute(f"SELECT count(*) FROM {name}")
        rows = cur.fetchall()[0][0]
        desc = con.execute(f"DESCRIBE SELECT * FROM {name}").fetchall()
        doc[name] = {
            "description": cols.get("_", ""),
            "file": str(target.relative_to(to)),
            "rows": rows,
            "columns": [{"name": c[0], "type": c[1], "description": cols.get(c[0], "")} for c in desc],
        }
        written[name] = (target, rows)
    tmp = to / ".dictionary.json.tmp"
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, to / "dictionary.json")
    return written


def dictionary_markdown() -> str:
    """docs/data_dictionary.md, generated from warehouse/dictionary.yaml."""
    lines = ["# Data dictionary", "",
             "Generated from `warehouse/dictionary.yaml` by `python -m warehouse.export` (a test keeps them equal).",
             "Every table and view below is in `<warehouse>/currents.duckdb` and in `currents export` output.", ""]
    for name, cols in load_dictionary().items():
        lines += [f"## `{name}`", "", cols.get("_", ""), "", "| column | description |", "|---|---|"]
        lines += [f"| `{c}` | {d} |" for c, d in cols.items() if c != "_"]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(dictionary_markdown(), end="")

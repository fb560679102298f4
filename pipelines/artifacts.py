"""Prefect artifacts of a run: what it did, readable in the UI without opening DuckDB."""
from __future__ import annotations

import duckdb
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from warehouse.checks import CheckResult
from warehouse.store import Warehouse

COUNTED = ("events", "event_files", "sources", "tags", "relations", "rejects", "day_lists", "launches")


def publish_artifacts(wh: Warehouse, summary: dict, results: list[CheckResult]) -> None:
    """A table artifact (row counts, rejects by reason, checks) and a markdown one (latest year's launches)."""
    con = duckdb.connect(str(wh.duckdb_path), read_only=True)
    try:
        # Stored rows (the staging views: Parquet metadata). Counting a public view would compute it,
        # and ``relations`` resolves 10^7 links at 10^6 events (~1 s, ~280 MB) for the same number.
        counts = {t: con.execute(f"select count(*) from stg_{t}").fetchall()[0][0] for t in COUNTED}
        newest = con.execute("select max(year) from stg_launches").fetchall()[0][0]
        per_site = con.execute("select site, country, launches from launches_per_site_per_year where year = ? order by launches desc, site",
                               [newest]).fetchall() if newest is not None else []
    finally:
        con.close()
    rows = [{"section": "rows", "name": t, "value": n, "detail": ""} for t, n in counts.items()]
    rows += [{"section": "rejects", "name": r, "value": n, "detail": ""} for r, n in sorted(summary.get("rejects_by_reason", {}).items())]
    rows += [{"section": f"check ({r.severity})", "name": r.check_name, "value": r.status, "detail": r.detail} for r in results]
    create_table_artifact(key="currents-run", table=rows,
                          description=f"Run {summary.get('snapshot')}: {summary.get('files_new', 0)} new, {summary.get('files_changed', 0)} changed, "
                                      f"{summary.get('files_deleted', 0)} deleted files")
    lines = [f"# Launches per site in {newest}" if newest is not None else "# No launches yet", ""]
    if per_site:
        lines += ["| site | country | launches |", "|---|---|---:|"] + [f"| {s} | {c or ''} | {n} |" for s, c, n in per_site]
    create_markdown_artifact(key="currents-launches-latest-year", markdown="\n".join(lines),
                             description="Launches per site for the newest year in the warehouse")

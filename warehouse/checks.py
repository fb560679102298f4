"""Data-quality checks on a staged snapshot, before it is published (definitions: config/checks.yaml)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import yaml

from warehouse.publish import model_sql


@dataclass
class CheckResult:
    check_name: str
    table: str | None
    severity: str
    status: str  # 'pass' | 'fail'
    observed: float | None
    threshold: str
    detail: str

    def row(self, run_id: str) -> dict:
        return {"run_id": run_id, **asdict(self)}


class ChecksFailed(RuntimeError):
    """A blocking (severity error) check failed: the snapshot is not published."""


def load_checks(path: Path) -> list[dict]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))["checks"]


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> float | None:
    rows = con.execute(sql).fetchall()
    return None if not rows or rows[0][0] is None else float(rows[0][0])


def _duplicates(con: duckdb.DuckDBPyConnection, view: str, column: str) -> float | None:
    """Rows of ``view`` beyond the first with each ``column`` value (a NULL counts as a duplicate).

    Distinct 64-bit hashes first: at 10^6 paths that needs ~45 MB where distinct strings need ~190 MB.
    As many distinct hashes as rows proves the values distinct; otherwise (duplicates, or a hash
    collision) the exact count on the values decides.
    """
    n = _one(con, f"select count(*) - count(distinct case when {column} is not null then hash({column}) end) from {view}")
    if n == 0:
        return n
    return _one(con, f"select count(*) - count(distinct {column}) from {view}")


def _run_one(con: duckdb.DuckDBPyConnection, c: dict, previous_rows: dict[str, int]) -> CheckResult:
    kind, view, sev = c["type"], c.get("view"), c["severity"]
    if kind == "unique":
        n = _duplicates(con, view, c["column"])
        return CheckResult(c["name"], view, sev, "pass" if n == 0 else "fail", n, "0 duplicates", f"{int(n or 0)} duplicate {c['column']} values")
    if kind == "not_null":
        cond = " or ".join(f"{col} is null" for col in c["columns"])
        n = _one(con, f"select count(*) from {view} where {cond}")
        return CheckResult(c["name"], view, sev, "pass" if n == 0 else "fail", n, "0 nulls", f"{int(n or 0)} rows with a null in {', '.join(c['columns'])}")
    if kind == "accepted_values":
        vals = ", ".join("'" + v.replace("'", "''") + "'" for v in c["values"])
        rows = con.execute(f"select {c['column']}, count(*) from {view} where {c['column']} is not null and {c['column']} not in ({vals}) group by 1").fetchall()
        n = sum(r[1] for r in rows)
        return CheckResult(c["name"], view, sev, "pass" if n == 0 else "fail", n, f"in {c['values']}", f"unexpected: {dict(rows)}" if rows else "")
    if kind == "range":
        n = _one(con, f"select count(*) from {view} where {c['column']} < '{c['min']}' or {c['column']} > '{c['max']}'")
        return CheckResult(c["name"], view, sev, "pass" if n == 0 else "fail", n, f"{c['min']} .. {c['max']}", f"{int(n or 0)} rows outside the range")
    if kind == "metric":
        v = _one(con, c["sql"])
        ok = v is None or (("min" not in c or v >= c["min"]) and ("max" not in c or v <= c["max"]))
        bound = " and ".join(f"{k} {c[k]}" for k in ("min", "max") if k in c)
        return CheckResult(c["name"], view, sev, "pass" if ok else "fail", v, bound, "" if ok else f"observed {v:.4g}, wanted {bound}")
    if kind == "row_change":
        now = _one(con, f"select count(*) from {view}") or 0.0
        before = previous_rows.get(view)
        if not before:
            return CheckResult(c["name"], view, sev, "pass", now, "no previous snapshot", "first snapshot")
        change = now / before - 1.0
        if before < c.get("min_rows", 0):  # a few rows more or less is no evidence of a broken run
            return CheckResult(c["name"], view, sev, "pass", change, f"judged from {c['min_rows']} previous rows",
                               f"{int(before)} -> {int(now)} rows ({change:+.1%}), too few to judge")
        ok = change >= -c.get("max_drop", 1.0) and change <= c.get("max_growth", float("inf"))
        return CheckResult(c["name"], view, sev, "pass" if ok else "fail", change, f"drop <= {c.get('max_drop')} growth <= {c.get('max_growth', 'any')}",
                           f"{int(before)} -> {int(now)} rows ({change:+.1%})")
    raise ValueError(f"unknown check type {kind!r} in check {c['name']!r}")


def run_checks(snapshot: Path, state: Path, checks: list[dict], previous: Path | None, threads: int | None = None) -> list[CheckResult]:
    """Evaluate ``checks`` against the public views built over ``snapshot`` (in-memory DuckDB with
    ``threads`` threads; None: DuckDB's default, one per core)."""
    config = {"threads": threads} if threads else {}
    previous_rows: dict[str, int] = {}
    if previous is not None:
        prev_con = duckdb.connect(config=config)
        try:
            for _name, sql in model_sql(previous, state):
                prev_con.execute(sql)
            for view in {c["view"] for c in checks if c["type"] == "row_change"}:
                previous_rows[view] = int(_one(prev_con, f"select count(*) from {view}") or 0)
        finally:
            prev_con.close()
    con = duckdb.connect(config=config)
    try:
        for _name, sql in model_sql(snapshot, state):
            con.execute(sql)
        results = []
        for c in checks:
            try:
                results.append(_run_one(con, c, previous_rows))
            except duckdb.Error as exc:
                results.append(CheckResult(c["name"], c.get("view"), c["severity"], "fail", None, "", f"check query failed: {exc}"))
        return results
    finally:
        con.close()

"""The ``currents`` command line: run, query, export, runs, report, serve, server, config."""
from __future__ import annotations

import csv
import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Prefect's console log duplicates what the CLI prints (and a failed run's traceback); `-v` brings it back.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
if not os.environ.get("PREFECT_API_URL"):
    # The temporary server logs harmless flush errors while it shuts down: keep them off the console.
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")

app = typer.Typer(add_completion=False, no_args_is_help=True, help="News-event archive -> Parquet + DuckDB warehouse.")
server_app = typer.Typer(no_args_is_help=True, help="A Prefect server of your own (UI and schedules).")
app.add_typer(server_app, name="server")
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)

WarehouseOpt = Annotated[
    Optional[Path],
    typer.Option("--warehouse", "-w", envvar="CURRENTS_WAREHOUSE", help="Warehouse directory (default: CURRENTS_WAREHOUSE, else ~/.local/share/currents/warehouse)."),
]


class Fmt(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


class ExportFmt(str, Enum):
    parquet = "parquet"
    csv = "csv"


class CliError(Exception):
    """An error to print as one line and exit non-zero."""


def _compiled(batches: dict) -> str:
    """How the batches' transforms ran: compiled (scripts/build_native.py) or pure Python."""
    n, count = batches.get("compiled", 0), batches["count"]
    return "transforms compiled" if n == count else "pure-Python transforms" if not n else f"{n} of {count} compiled"


def _warehouse(path: Optional[Path]):
    from config.settings import get_settings
    from warehouse.store import Warehouse

    return Warehouse(path or get_settings().warehouse)


def _open_readonly(path: Optional[Path]):
    """Read-only DuckDB connection to a published warehouse (views repaired if the directory moved)."""
    import duckdb

    from warehouse.publish import ensure_views

    wh = _warehouse(path)
    if wh.current() is None or not wh.duckdb_path.exists():
        raise CliError(f"no warehouse at {wh.root}: run `currents run --warehouse {wh.root}` first")
    try:
        ensure_views(wh)
    except OSError as exc:
        raise CliError(f"views point at a moved warehouse and {wh.root} is read-only: {exc}") from None
    return duckdb.connect(str(wh.duckdb_path), read_only=True)


@app.command()
def run(
    source: Annotated[Optional[list[Path]], typer.Option("--source", "-s", help="Source directory, searched recursively (repeatable). Default: the bundled sample corpus.")] = None,
    warehouse: WarehouseOpt = None,
    wait: Annotated[bool, typer.Option(help="Wait for a running build instead of exiting.")] = False,
    full: Annotated[bool, typer.Option(help="Rebuild everything instead of only what changed.")] = False,
    report: Annotated[Optional[bool], typer.Option("--report/--no-report", help="Also write <warehouse>/report.html (default: CURRENTS_REPORT_AFTER_RUN).")] = None,
    runner: Annotated[Optional[str], typer.Option(help="auto | local | process | dask (default: CURRENTS_RUNNER, else auto: a process pool for large runs, threads otherwise).")] = None,
    dask_address: Annotated[Optional[str], typer.Option(help="Dask scheduler (tcp://host:8786) for --runner dask; default: a LocalCluster.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's flow and task log.")] = False,
) -> None:
    """Build a new snapshot from the source files (only what changed, unless --full) and publish it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    import logging

    from pipelines import flow as build
    from pipelines.runners import configured_build

    if verbose:
        logging.getLogger("prefect").setLevel(logging.INFO)
        for h in logging.getLogger("prefect").handlers:
            h.setLevel(logging.INFO)
    missing = [str(s) for s in (source or []) if not s.is_dir()]
    if missing:  # fail fast with one line, before Prefect starts
        raise CliError(f"source directory not found: {', '.join(missing)}")
    if not wait:  # likewise when another build holds the lock (or the warehouse is unwritable)
        with _warehouse(warehouse).lock():
            pass
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, disable=quiet or not err.is_terminal)
    tasks: dict[str, int] = {}

    def hook(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)

    build.set_progress_hook(hook)
    try:
        with progress:
            summary = configured_build(runner, None, dask_address)(
                sources=[str(s) for s in source] if source else None, warehouse=str(warehouse) if warehouse else None,
                wait=wait, full=full, report=report)
    finally:
        build.set_progress_hook(None)
    _print_summary(summary)


def _print_summary(s: dict) -> None:
    t = Table(title=f"{s['mode']} run {s['run_id']} -> {s['warehouse']}", show_header=False)
    t.add_row("files", f"{s['files_seen']} seen: {s['files_new']} new, {s['files_changed']} changed, "
                       f"{s['files_deleted']} deleted, {s['files_unchanged']} unchanged")
    for key in ("event_files", "day_lists", "events", "duplicates_merged", "files_rejected", "launches"):
        t.add_row(key, str(s.get(key)))
    t.add_row("events changed", f"{s['events_added']} added, {s['events_updated']} updated, {s['events_removed']} removed")
    if s.get("checks"):
        failed = s.get("checks_failed", [])
        t.add_row("checks", f"{len(s['checks']) - len(failed)} passed, {len(failed)} failed" + "".join(f"\n  {f}" for f in failed))
    t.add_row("snapshot", f"{s['snapshot']}" + ("" if s.get("published") else " (nothing changed: kept)"))
    t.add_row("duration_s", str(s["duration_s"]))
    if s.get("stage_seconds"):
        t.add_row("stages (s)", ", ".join(f"{k} {v:g}" for k, v in s["stage_seconds"].items()))
    if s.get("batches"):
        b = s["batches"]
        t.add_row("batches", f"{b['count']} ({b['seconds']:g} s of work, {b['cpu_seconds']:g} s CPU; peak RSS of a process running them "
                             f"{b.get('peak_rss_mb', 0)} MB; {_compiled(b)})")
    if s.get("report"):
        t.add_row("report", s["report"])
    if s.get("rejects_by_reason"):
        t.add_row("rejects by reason", ", ".join(f"{k}={v}" for k, v in sorted(s["rejects_by_reason"].items())))
    if s.get("ignored_files"):
        t.add_row("ignored (not .md/.txt)", ", ".join(f"{k}={v}" for k, v in sorted(s["ignored_files"].items())))
    out.print(t)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run against the warehouse views.")],
    warehouse: WarehouseOpt = None,
    format: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
) -> None:
    """Run one SQL query on a read-only connection and print the result."""
    import duckdb

    con = _open_readonly(warehouse)
    try:
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall()
    except duckdb.Error as exc:
        raise CliError(f"SQL error: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    _print_rows(cols, rows, format)


def _print_rows(cols: list[str], rows: list[tuple], fmt: Fmt) -> None:
    if fmt is Fmt.csv:
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(cols)
        w.writerows(rows)
    elif fmt is Fmt.json:
        sys.stdout.write(json.dumps([dict(zip(cols, r)) for r in rows], default=str, ensure_ascii=False, indent=1) + "\n")
    else:
        t = Table(*cols)
        for r in rows:
            t.add_row(*("" if v is None else str(v) for v in r))
        out.print(t)
        out.print(f"{len(rows)} row(s)", style="dim")


@app.command()
def export(
    to: Annotated[Path, typer.Option("--to", help="Target directory (one folder per table).")],
    warehouse: WarehouseOpt = None,
    format: Annotated[ExportFmt, typer.Option("--format", "-f")] = ExportFmt.parquet,
) -> None:
    """Export every table and view as BI-ready files plus a data dictionary (dictionary.json)."""
    from warehouse.export import export_warehouse

    con = _open_readonly(warehouse)
    try:
        written = export_warehouse(con, to, format.value)
    finally:
        con.close()
    for name, (path, rows) in written.items():
        out.print(f"{name:28} {rows:>9} rows  {path}")


@app.command()
def runs(warehouse: WarehouseOpt = None, limit: Annotated[int, typer.Option(help="How many runs.")] = 10,
         format: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.table) -> None:
    """Show the latest runs (newest first)."""
    con = _open_readonly(warehouse)
    try:
        cur = con.execute(
            "SELECT run_id, status, started, duration_s, files_seen, files_rejected, events, duplicates_merged, launches, error "
            "FROM runs ORDER BY started DESC LIMIT ?", [limit])
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
    finally:
        con.close()
    _print_rows(cols, rows, format)


@app.command()
def report(warehouse: WarehouseOpt = None,
           out_file: Annotated[Optional[Path], typer.Option("--out", help="HTML file (default <warehouse>/report.html).")] = None) -> None:
    """Render the warehouse as one self-contained HTML page with charts."""
    from warehouse.report import build_report

    wh = _warehouse(warehouse)
    con = _open_readonly(warehouse)
    con.close()
    path = build_report(wh.root, out_file)
    out.print(f"report written to {path}")


@app.command()
def serve(
    source: Annotated[Optional[list[Path]], typer.Option("--source", "-s")] = None,
    warehouse: WarehouseOpt = None,
    interval: Annotated[Optional[int], typer.Option(help="Seconds between scheduled runs.")] = None,
    cron: Annotated[Optional[str], typer.Option(help="Cron schedule instead of an interval.")] = None,
) -> None:
    """Serve the build flow on a schedule (starts a Prefect server when PREFECT_API_URL is unset)."""
    from pipelines.serve import serve_build

    if interval and cron:
        raise CliError("give --interval or --cron, not both")
    serve_build(sources=[str(s) for s in source] if source else None, warehouse=str(warehouse) if warehouse else None,
                interval=interval, cron=cron)


@server_app.command("start")
def server_start(warehouse: WarehouseOpt = None) -> None:
    """Start a Prefect server in the background and print its URL."""
    from pipelines.server import start_server

    info = start_server(_server_home(warehouse))
    out.print(f"Prefect server running at {info.url} (pid {info.pid}); export PREFECT_API_URL={info.url}/api")


@server_app.command("stop")
def server_stop(warehouse: WarehouseOpt = None) -> None:
    """Stop the server started by `currents server start`."""
    from pipelines.server import stop_server

    out.print("stopped" if stop_server(_server_home(warehouse)) else "no server was running")


@server_app.command("status")
def server_status(warehouse: WarehouseOpt = None) -> None:
    """Say whether the server is up, and where."""
    from pipelines.server import server_status as status

    info = status(_server_home(warehouse))
    out.print(f"running at {info.url} (pid {info.pid})" if info else "not running")
    if not info:
        raise typer.Exit(1)


def _server_home(warehouse: Optional[Path]) -> Path:
    from config.settings import get_settings

    s = get_settings()
    return s.server_home or (_warehouse(warehouse).root / ".prefect")


@app.command("config")
def show_config() -> None:
    """Print the effective settings (defaults + CURRENTS_* environment)."""
    from config.settings import get_settings

    for k, v in get_settings().model_dump().items():
        out.print(f"{k:28} {v}")


def main() -> None:
    """Entry point: known failures print one clear line and exit non-zero."""
    from warehouse.checks import ChecksFailed
    from warehouse.store import WarehouseBusy, WarehouseError

    from pipelines.server import ServerError

    try:
        rc = app(standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except (CliError, WarehouseError, FileNotFoundError, ServerError) as exc:
        err.print(f"error: {exc}", style="red", highlight=False)
        sys.exit(1)
    except ChecksFailed as exc:
        err.print(f"checks failed: {exc}", style="red", highlight=False)
        sys.exit(4)
    except WarehouseBusy as exc:
        err.print(f"busy: {exc}", style="yellow", highlight=False)
        sys.exit(3)
    except OSError as exc:
        err.print(f"error: {exc.strerror or exc} ({getattr(exc, 'filename', '') or ''})", style="red", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted", style="yellow")
        sys.exit(130)
    except Exception as exc:  # click usage errors and friends
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, (click.exceptions.Exit,)):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(130)
        raise


if __name__ == "__main__":
    main()

"""``currents report``: the warehouse as ONE self-contained HTML page (plotly charts, data inlined).

The page opens without a network: plotly.js is inlined once in ``<head>``, every figure's data is
inlined as JSON next to its ``<div>``, and nothing is loaded from elsewhere (no fonts, no CDN, no
MathJax). The SQL lives in ``warehouse/report_sql/*.sql`` (one query per file, named parameters
``$name``; ``{other}`` builds on the query of ``other.sql``), run on a read-only connection to
``<warehouse>/currents.duckdb``.

Sections: (1) launches per site per year, (2) launches by country / outcome / crew over time,
(3) events per year and top tags per year, (4) the related-events graph around one tag plus the
most connected events, (5) data health (files, duplicates, rejects, checks and run history).
Every chart is replaced by a short "no data" note when its query returns nothing.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import duckdb

SQL_DIR = Path(__file__).resolve().parent / "report_sql"
_INCLUDE = re.compile(r"\{(\w+)\}")  # {name} in a report query: the query of report_sql/<name>.sql
DEFAULT_TAG = "Baikonur Cosmodrome"
REPORT_NAME = "report.html"
UNKNOWN_SITE = "(unknown site)"
MAX_GRAPH_NODES = 200
MAX_LABELLED_NODES = 40
TOP_TAGS_PER_YEAR = 5

# Figure ids (stable: tests and anyone scripting the page can find a chart by id).
FIG_SITES = "fig-launches-site-year"
FIG_COUNTRY = "fig-launches-country-year"
FIG_OUTCOME = "fig-launches-outcome-year"
FIG_CREWED = "fig-launches-crewed-year"
FIG_EVENTS = "fig-events-year"
FIG_GRAPH = "fig-tag-graph"

GREY = "#9aa0a6"
PALETTE = [  # qualitative: Okabe-Ito (colour-blind friendly) first, then Tableau 10, then plotly's Dark24
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
    "#4E79A7", "#F28E2B", "#59A14F", "#B07AA1", "#76B7B2", "#EDC948", "#FF9DA7", "#9C755F",
    "#2E91E5", "#E15F99", "#1CA71C", "#FB0D0D", "#DA16FF", "#222A2A", "#B68100", "#750D86",
    "#EB663B", "#511CFB", "#00A08B", "#FB00D1", "#FC0080", "#B2828D", "#6C7C32", "#778AAE",
    "#862A16", "#A777F1", "#620042", "#1616A7", "#DA60CA", "#6C4516", "#0D2A63", "#AF0038",
]  # 40 colours; more categories than that reuse them (grey is reserved for unknown)
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}

log = logging.getLogger(__name__)


# -- queries ---------------------------------------------------------------------------------------
def load_sql(name: str) -> str:
    """Text of ``report_sql/<name>.sql``; a ``{other}`` in it stands for the query of
    ``report_sql/<other>.sql`` (without its final ';'), so that one query can build on another."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: load_sql(m.group(1)).strip().rstrip(";"), text)


def query(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run ``report_sql/<name>.sql`` with named parameters; rows as dicts."""
    sql = load_sql(name)
    cur = con.execute(sql, params) if params else con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def _try_query(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[dict[str, Any]]:
    """Like :func:`query`, but a missing table (an older or hand-made file) gives no rows."""
    try:
        return query(con, name, **params)
    except duckdb.CatalogException:
        return []


# -- page model ------------------------------------------------------------------------------------
@dataclass
class Page:
    """Accumulates HTML fragments; counts figures so plotly.js is inlined only when needed."""

    parts: list[str] = field(default_factory=list)
    figures: int = 0

    def add(self, fragment: str) -> None:
        self.parts.append(fragment)

    def figure(self, fig: Any, div_id: str, height: int) -> None:
        fig.update_layout(height=height)
        self.figures += 1
        self.add(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOTLY_CONFIG,
                             default_width="100%", default_height=f"{height}px"))


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _no_data(text: str) -> str:
    return f'<p class="nodata">No data: {_e(text)}</p>'


def _caption(text: str) -> str:
    """A caption; ``text`` is trusted HTML built by this module (values escaped by the caller)."""
    return f'<p class="caption">{text}</p>'


def _table(columns: list[tuple[str, str]], rows: Iterable[dict[str, Any]], cls: str = "") -> str:
    """HTML table; ``columns`` = (key, heading). Numbers are right-aligned; a 'status' cell is coloured."""
    head = "".join(f"<th>{_e(h)}</th>" for _, h in columns)
    body = []
    for r in rows:
        cells = []
        for key, _ in columns:
            v = r.get(key)
            if key == "status" and v is not None:
                cells.append(f'<td><span class="status status-{_e(str(v).lower())}">{_e(v)}</span></td>')
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                cells.append(f'<td class="num">{_e(_num(v))}</td>')
            elif isinstance(v, (dt.date, dt.datetime)) or key in ("run_id", "started"):
                cells.append(f'<td class="nowrap">{_e(v)}</td>')
            else:
                cells.append(f"<td>{_e(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


# -- charts ----------------------------------------------------------------------------------------
def _is_unknown(category: str) -> bool:
    """'(unknown site)', '(unknown country)', 'unknown'...: shown grey and last."""
    c = str(category).strip().lower()
    return c.startswith("(unknown") or c in ("unknown", "none", "")


def _category_colors(categories: list[str], fixed: dict[str, str] | None = None) -> dict[str, str]:
    fixed = fixed or {}
    out, i = {}, 0
    for c in categories:
        if c in fixed:
            out[c] = fixed[c]
        elif _is_unknown(c):
            out[c] = GREY
        else:
            out[c] = PALETTE[i % len(PALETTE)]
            i += 1
    return out


def _order_categories(rows: list[dict[str, Any]], key: str, value: str) -> list[str]:
    """Categories by total descending, then name; unknown ones last."""
    totals: dict[str, int] = {}
    for r in rows:
        totals[r[key]] = totals.get(r[key], 0) + int(r[value])
    return sorted(totals, key=lambda c: (_is_unknown(c), -totals[c], c))


def _year_axis(years: list[int], max_ticks: int = 25) -> dict[str, Any]:
    span = (max(years) - min(years)) if years else 0
    axis: dict[str, Any] = {"title": {"text": "year"}, "tickformat": "d"}
    if span < max_ticks:
        axis["dtick"] = 1
    return axis


def stacked_years(rows: list[dict[str, Any]], key: str, value: str, unit: str, title: str | None,
                  fixed_colors: dict[str, str] | None = None, legend_title: str = "", max_ticks: int = 25) -> Any:
    """Stacked bars: x = year, one trace per category (only its non-zero years, so one bar mark per cell)."""
    import plotly.graph_objects as go

    cats = _order_categories(rows, key, value)
    colors = _category_colors(cats, fixed_colors)
    fig = go.Figure()
    for c in cats:
        pts = sorted((int(r["year"]), int(r[value])) for r in rows if r[key] == c and int(r[value]) > 0)
        fig.add_trace(go.Bar(
            x=[p[0] for p in pts], y=[p[1] for p in pts], name=c, marker_color=colors[c],
            hovertemplate=f"<b>%{{fullData.name}}</b><br>%{{x}}: %{{y}} {unit}<extra></extra>",
        ))
    years = sorted({int(r["year"]) for r in rows})
    fig.update_layout(
        title={"text": title or "", "x": 0.0, "xanchor": "left"}, barmode="stack", template="plotly_white",
        xaxis=_year_axis(years, max_ticks), yaxis={"title": {"text": unit}, "rangemode": "tozero"},
        legend={"title": {"text": legend_title}, "traceorder": "normal"},
        margin={"l": 60, "r": 20, "t": 50 if title else 20, "b": 50}, bargap=0.15,
    )
    return fig


def _spring_layout(n: int, edges: list[tuple[int, int, float]], seed: int = 7, iterations: int = 250) -> list[tuple[float, float]]:
    """Deterministic Fruchterman-Reingold layout (numpy), with a weak pull to the centre."""
    import numpy as np

    if n == 0:
        return []
    if n == 1:
        return [(0.0, 0.0)]
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-1.0, 1.0, size=(n, 2))
    adj = np.zeros((n, n))
    for a, b, w in edges:
        adj[a, b] += w
        adj[b, a] += w
    k = math.sqrt(4.0 / n)
    temp = 0.2
    for i in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.linalg.norm(delta, axis=-1)
        np.fill_diagonal(dist, 1.0)
        dist = np.maximum(dist, 1e-3)
        unit = delta / dist[..., None]
        force = (k * k / dist)[..., None] * unit          # repulsion between every pair
        force -= (adj * dist * dist / k)[..., None] * unit  # attraction along edges
        disp = force.sum(axis=1) - 0.05 * pos * n ** 0.5  # gravity keeps components together
        length = np.maximum(np.linalg.norm(disp, axis=1), 1e-9)
        pos += disp / length[:, None] * np.minimum(length, temp)[:, None]
        temp = 0.2 * (1.0 - (i + 1) / iterations) + 0.002
    pos -= pos.mean(axis=0)
    scale = np.abs(pos).max() or 1.0
    pos /= scale
    return [(round(float(x), 4), round(float(y), 4)) for x, y in pos]


def _wrap(text: str, width: int = 60) -> str:
    """Escaped text with <br> every ~width characters (plotly hover labels do not wrap)."""
    words, lines, cur = (text or "").split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    lines.append(cur)
    return "<br>".join(html.escape(line) for line in lines)


def tag_graph(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], tag: str) -> tuple[Any, int, int]:
    """Network figure; returns (figure, nodes drawn, edges drawn). Large graphs keep the best-connected nodes."""
    import plotly.graph_objects as go

    degree: dict[str, int] = {}
    for e in edges:
        degree[e["a"]] = degree.get(e["a"], 0) + 1
        degree[e["b"]] = degree.get(e["b"], 0) + 1
    if len(nodes) > MAX_GRAPH_NODES:
        keep = sorted(nodes, key=lambda r: (not r["seed"], -degree.get(r["event_id"], 0), str(r["date"]), r["event_id"]))
        keep_ids = {r["event_id"] for r in keep[:MAX_GRAPH_NODES]}
        nodes = [r for r in nodes if r["event_id"] in keep_ids]
    index = {r["event_id"]: i for i, r in enumerate(nodes)}
    pairs = [(index[e["a"]], index[e["b"]], float(e["links"])) for e in edges if e["a"] in index and e["b"] in index]
    pos = _spring_layout(len(nodes), pairs)

    ex: list[float | None] = []
    ey: list[float | None] = []
    for a, b, _ in pairs:
        ex += [pos[a][0], pos[b][0], None]
        ey += [pos[a][1], pos[b][1], None]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ex, y=ey, mode="lines", line={"width": 1, "color": "#b8bec6"}, hoverinfo="skip",
                             name="related link", showlegend=False))
    for is_seed, name, color in ((True, f"tagged '{tag}'", "#D55E00"), (False, "linked event", "#0072B2")):
        idx = [i for i, r in enumerate(nodes) if bool(r["seed"]) is is_seed]
        if not idx:
            continue
        labelled = len(nodes) <= MAX_LABELLED_NODES  # small graphs: the date next to each event
        fig.add_trace(go.Scatter(
            x=[pos[i][0] for i in idx], y=[pos[i][1] for i in idx], mode="markers+text" if labelled else "markers",
            name=name,
            marker={"size": [8 + 3 * min(degree.get(nodes[i]["event_id"], 0), 8) for i in idx], "color": color,
                    "line": {"width": 1, "color": "#ffffff"}},
            text=[html.escape(str(nodes[i]["date"])) for i in idx] if labelled else None,
            textposition="top center", textfont={"size": 10, "color": "#59636e"},
            customdata=[f"{html.escape(str(nodes[i]['date']))}<br>{_wrap(nodes[i]['headline'] or '')}"
                        f"<br><i>{degree.get(nodes[i]['event_id'], 0)} related</i>" for i in idx],
            hovertemplate="%{customdata}<extra></extra>",
        ))
    hidden = {"visible": False, "showgrid": False, "zeroline": False}
    fig.update_layout(template="plotly_white", xaxis=hidden, yaxis=hidden,
                      margin={"l": 10, "r": 10, "t": 30, "b": 10}, hovermode="closest",
                      legend={"orientation": "h", "y": 1.02, "x": 0})
    return fig, len(nodes), len(pairs)


# -- sections --------------------------------------------------------------------------------------
@dataclass
class Context:
    con: duckdb.DuckDBPyConnection
    tag: str
    run: dict[str, Any] | None
    numbers: dict[str, Any]


def _section(page: Page, anchor: str, title: str) -> None:
    page.add(f'<section id="{anchor}"><h2>{_e(title)}</h2>')


def _end(page: Page) -> None:
    page.add("</section>")


def section_sites(page: Page, ctx: Context) -> None:
    _section(page, "launches-sites", "1. Launches per site per year")
    rows = query(ctx.con, "launches_site_year")
    if not rows:
        page.add(_no_data("no space launches were classified in this warehouse."))
        return _end(page)
    unknown = sum(int(r["launches"]) for r in rows if r["site"] == UNKNOWN_SITE)
    total = sum(int(r["launches"]) for r in rows)
    sites = len({r["site"] for r in rows} - {UNKNOWN_SITE})
    page.add(_caption(
        f"{_num(total)} launch events at {_num(sites)} named site(s); {_num(unknown)} name no site and are shown "
        f"as <b>{_e(UNKNOWN_SITE)}</b> (grey). Hover a bar for its count; click a legend entry to hide a site."))
    page.figure(stacked_years(rows, "site", "launches", "launches", None, legend_title="site"), FIG_SITES, 440)
    _end(page)


def section_launch_breakdown(page: Page, ctx: Context) -> None:
    _section(page, "launches-breakdown", "2. Launches by country, outcome and crew")
    country = query(ctx.con, "launches_country_year")
    if not country:
        page.add(_no_data("no space launches, so no breakdown by country, outcome or crew."))
        return _end(page)
    outcome = query(ctx.con, "launches_outcome_year")
    crewed = query(ctx.con, "launches_crewed_year")
    n_crewed = sum(int(r["launches"]) for r in crewed if r["category"] == "crewed")
    total = sum(int(r["launches"]) for r in crewed)
    failures = sum(int(r["launches"]) for r in outcome if "fail" in str(r["category"]).lower())
    unknown_outcome = sum(int(r["launches"]) for r in outcome if _is_unknown(r["category"]))
    page.add(_caption(
        f"Country of the launch site, the reported outcome and whether people were aboard. "
        f"{_num(n_crewed)} of {_num(total)} launches were crewed; {_num(failures)} reported a (partial) failure, "
        f"{_num(unknown_outcome)} give no outcome. Unknown values are grey."))
    page.figure(stacked_years(country, "category", "launches", "launches", "Launches by country",
                              legend_title="country"), FIG_COUNTRY, 400)
    outcome_colors = {c: (GREY if _is_unknown(c) else "#E69F00" if "partial" in c.lower()
                          else "#D55E00" if "fail" in c.lower() else "#009E73" if "success" in c.lower() else "#CC79A7")
                      for c in {r["category"] for r in outcome}}
    page.add('<div class="grid2"><div>')
    page.figure(stacked_years(outcome, "category", "launches", "launches", "Launches by outcome",
                              fixed_colors=outcome_colors, legend_title="outcome", max_ticks=12), FIG_OUTCOME, 360)
    page.add("</div><div>")
    page.figure(stacked_years(crewed, "category", "launches", "launches", "Crewed vs uncrewed",
                              fixed_colors={"crewed": "#CC79A7", "uncrewed": "#56B4E9", "unknown": GREY},
                              legend_title="crew", max_ticks=12), FIG_CREWED, 360)
    page.add("</div></div>")
    _end(page)


def section_events(page: Page, ctx: Context) -> None:
    import plotly.graph_objects as go

    _section(page, "events", "3. Events per year and top tags")
    rows = query(ctx.con, "events_year")
    if not rows:
        page.add(_no_data("the warehouse holds no events."))
        return _end(page)
    page.add(_caption(
        f"{_num(ctx.numbers.get('events'))} events (duplicate files merged) from "
        f"{_e(ctx.numbers.get('first_year'))} to {_e(ctx.numbers.get('last_year'))}; "
        "space launches are the orange part of each bar. The table lists each year's most frequent tags "
        "(events carrying the tag)."))
    years = [int(r["year"]) for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=years, y=[int(r["events"]) - int(r["launch_events"]) for r in rows], name="other events",
                         marker_color="#0072B2", hovertemplate="%{x}: %{y} other events<extra></extra>"))
    fig.add_trace(go.Bar(x=years, y=[int(r["launch_events"]) for r in rows], name="space launches",
                         marker_color="#E69F00", hovertemplate="%{x}: %{y} launch events<extra></extra>"))
    fig.update_layout(barmode="stack", template="plotly_white", xaxis=_year_axis(years),
                      yaxis={"title": {"text": "events"}}, margin={"l": 60, "r": 20, "t": 20, "b": 50})
    page.figure(fig, FIG_EVENTS, 360)
    tags = query(ctx.con, "top_tags_year", k=TOP_TAGS_PER_YEAR)
    if not tags:
        page.add(_no_data("no tags (day lists or Related contexts) were found."))
        return _end(page)
    by_year: dict[int, list[str]] = {}
    for r in tags:
        by_year.setdefault(int(r["year"]), []).append(f"{_e(r['tag'])}&nbsp;<span class=\"n\">{_num(r['events'])}</span>")
    body = "".join(f'<tr><td class="num">{y}</td><td>{", ".join(v)}</td></tr>' for y, v in sorted(by_year.items()))
    page.add(f'<h3>Top {TOP_TAGS_PER_YEAR} tags per year</h3><table class="tags"><thead><tr><th>year</th>'
             f'<th>tags (events)</th></tr></thead><tbody>{body}</tbody></table>')
    _end(page)


def section_graph(page: Page, ctx: Context) -> None:
    _section(page, "graph", f"4. Related events around “{ctx.tag}”")
    nodes = query(ctx.con, "tag_graph_nodes", tag=ctx.tag)
    edges = query(ctx.con, "tag_graph_edges", tag=ctx.tag)
    if nodes:
        fig, n_nodes, n_edges = tag_graph(nodes, edges, ctx.tag)
        seeds = sum(1 for r in nodes if r["seed"])
        cut = f" (largest {MAX_GRAPH_NODES} shown)" if n_nodes < len(nodes) else ""
        page.add(_caption(
            f"{_num(seeds)} event(s) carry the tag <b>{_e(ctx.tag)}</b> (orange); blue events are linked to them "
            f"through the files' Related sections or share the tag in a link's context. {_num(n_nodes)} events{cut}, "
            f"{_num(n_edges)} linked pairs; marker size grows with the number of related events. Hover a dot for its headline."))
        page.figure(fig, FIG_GRAPH, 560)
    else:
        alternatives = query(ctx.con, "top_tags", k=8)
        hint = (" Frequent tags: " + ", ".join(f"{_e(r['tag'])} ({_num(r['events'])})" for r in alternatives) + ".") if alternatives else ""
        page.add(f'<p class="nodata">No data: no event carries the tag “{_e(ctx.tag)}”.{hint} '
                 f'Pick another with <code>build_report(root, tag=…)</code>.</p>')
    top = query(ctx.con, "most_connected", k=10)
    page.add("<h3>Most connected events</h3>")
    if top:
        page.add(_caption("Events with the most distinct related events in the whole warehouse "
                          "(Related links resolved to events, either direction)."))
        page.add(_table([("date", "date"), ("headline", "headline"), ("related", "related events")], top, "connected"))
    else:
        page.add(_no_data("no Related link resolves to an event in this warehouse."))
    _end(page)


def section_health(page: Page, ctx: Context) -> None:
    _section(page, "health", "5. Data health")
    files = query(ctx.con, "files_by_role")
    n = ctx.numbers
    run = ctx.run or {}
    page.add(_caption(
        f"What became of the input files of the live snapshot: {_num(n.get('duplicate_files'))} duplicate file(s) "
        f"were merged into their event, {_num(n.get('rejects'))} file(s) were rejected. "
        f"{_num(n.get('relations_resolved'))} of {_num(n.get('relations'))} Related links resolve to an event here."))
    page.add('<div class="grid2"><div><h3>Input files</h3>')
    page.add(_table([("kind", "file"), ("files", "files")], files, "files"))
    page.add("</div><div><h3>Rejected files by reason</h3>")
    rejects = query(ctx.con, "rejects_by_reason")
    page.add(_table([("reason", "reason"), ("files", "files"), ("example", "example")], rejects, "rejects")
             if rejects else '<p class="ok">No file was rejected.</p>')
    page.add("</div></div>")
    page.add(f"<h3>Checks of run <code>{_e(run.get('run_id') or '–')}</code></h3>")
    checks = _try_query(ctx.con, "checks_for_run", run_id=run.get("run_id")) if run else []
    if checks:
        page.add(_table([("check", "check"), ("table", "table"), ("severity", "severity"), ("status", "status"),
                         ("observed", "observed"), ("threshold", "threshold"), ("detail", "detail")], checks, "checks"))
    else:
        page.add(_no_data("no data-quality checks were recorded for this run."))
    history = _try_query(ctx.con, "run_history", k=10)
    page.add("<h3>Run history (newest first)</h3>")
    if history:
        page.add(_table([("run_id", "run"), ("status", "status"), ("mode", "mode"), ("started", "started"),
                         ("duration_s", "seconds"), ("files_seen", "files"), ("files_rejected", "rejected"),
                         ("events", "events"), ("duplicates_merged", "duplicates"), ("launches", "launches"),
                         ("error", "error")], history, "runs"))
    else:
        page.add(_no_data("no run was recorded."))
    _end(page)


# -- page ------------------------------------------------------------------------------------------
CSS = """
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#ffffff; --card:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; color:var(--fg); background:var(--bg); }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 6px; padding-top: 12px; border-top: 1px solid var(--line); }
h3 { font-size: 16px; margin: 18px 0 6px; }
.meta, .caption, footer { color: var(--muted); }
.meta { margin: 0 0 16px; }
.caption { margin: 0 0 10px; max-width: 900px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(135px, 1fr)); gap: 10px; margin: 8px 0 0; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.kpi .v { font-size: 22px; font-weight: 650; white-space: nowrap; }
.kpi .v .small { font-size: 14px; font-weight: 600; white-space: normal; }
.kpi .l { color: var(--muted); font-size: 13px; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
@media (max-width: 900px) { .grid2 { grid-template-columns: 1fr; } }
table { border-collapse: collapse; font-size: 14px; margin: 4px 0 8px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px 4px 0; text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.nowrap { white-space: nowrap; }
td .n { color: var(--muted); font-size: 12px; }
.nodata { background: #fff8c5; border: 1px solid #eac54f; border-radius: 6px; padding: 8px 12px; max-width: 900px; }
.ok { color: #1a7f37; }
.status { padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #eaeef2; }
.status-pass, .status-success { background: #dafbe1; color: #1a7f37; }
.status-warn, .status-running { background: #fff8c5; color: #9a6700; }
.status-fail, .status-failed, .status-error, .status-killed { background: #ffebe9; color: #cf222e; }
nav a { margin-right: 14px; color: #0969da; text-decoration: none; }
code { font-size: 13px; }
footer { margin-top: 40px; font-size: 13px; }
"""


def _kpis(numbers: dict[str, Any], run: dict[str, Any] | None, checks: list[dict[str, Any]]) -> str:
    years = (f"{numbers['first_year']}–{numbers['last_year']}" if numbers.get("first_year") is not None else "–")
    files = (run or {}).get("files_seen")
    if files is None:
        files = sum(int(numbers.get(k) or 0) for k in ("event_files", "day_lists", "rejects"))
    bad = sum(1 for c in checks if str(c.get("status")).lower() in ("fail", "error"))
    warn = sum(1 for c in checks if str(c.get("status")).lower() == "warn")
    check_text = (f"{len(checks) - bad - warn} pass, {warn} warn, {bad} fail" if checks else "none recorded")
    cards = [
        (_num(numbers.get("events")), "events"),
        (_num(numbers.get("launches")), f"space launches ({_num(numbers.get('launches_unknown_site'))} without site)"),
        (_num(numbers.get("launch_sites")), "named launch sites"),
        (years, "years covered"),
        (_num(files), "input files seen"),
        (_num(numbers.get("duplicate_files")), "duplicate files merged"),
        (_num(numbers.get("rejects")), "files rejected"),
        (f'<span class="small">{_e(check_text)}</span>', "checks (latest run)"),
    ]
    return '<section class="kpis">' + "".join(
        f'<div class="kpi"><div class="v">{v}</div><div class="l">{_e(label)}</div></div>' for v, label in cards) + "</section>"


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return ('<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: "local"};</script>\n'
            f'<script type="text/javascript">{get_plotlyjs()}</script>')


def render(con: duckdb.DuckDBPyConnection, tag: str = DEFAULT_TAG) -> str:
    """The whole report page as one HTML string."""
    snap = _try_query(con, "live_snapshot")
    snapshot = snap[0]["snapshot"] if snap else None
    runs = _try_query(con, "latest_run", snapshot=snapshot)
    run = runs[0] if runs else None
    numbers = query(con, "headline_numbers")[0]
    checks = _try_query(con, "checks_for_run", run_id=run["run_id"]) if run else []
    ctx = Context(con=con, tag=tag, run=run, numbers=numbers)

    body = Page()
    for section in (section_sites, section_launch_breakdown, section_events, section_graph, section_health):
        section(body, ctx)

    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if run:
        run_line = (f"Run <code>{_e(run['run_id'])}</code> · {_e(run['status'])} · finished {_e(run.get('finished') or '–')}"
                    f" · {_e(_num(run.get('duration_s')))} s · snapshot <code>{_e(snapshot or run.get('snapshot') or '–')}</code>")
    else:
        run_line = f"No run recorded · snapshot <code>{_e(snapshot or '–')}</code>"
    summary = {"run_id": run["run_id"] if run else None, "snapshot": snapshot, "generated": generated, "tag": tag,
               **{k: numbers[k] for k in numbers}}
    head = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>currents report</title>",
        f"<style>{CSS}</style>",
    ]
    if body.figures:
        head.append(_plotly_js())
    head.append("</head><body><main>")
    top = [
        "<header><h1>currents — news-event warehouse report</h1>",
        f'<p class="meta">{run_line} · generated {_e(generated)}</p>',
        '<nav><a href="#launches-sites">Launch sites</a><a href="#launches-breakdown">Countries &amp; outcomes</a>'
        '<a href="#events">Events &amp; tags</a><a href="#graph">Related events</a><a href="#health">Data health</a></nav>',
        "</header>",
        _kpis(numbers, run, checks),
    ]
    tail = [
        '<footer>Generated by <code>currents report</code> from the warehouse views. Event text comes from '
        "Wikipedia's Current Events Portal (CC BY-SA 3.0). The page is self-contained: it works offline.</footer>",
        # Machine-readable headline numbers (JSON, inert: not executed).
        f'<script type="application/json" id="report-summary">{_json_for_script(summary)}</script>',
        "</main></body></html>",
    ]
    return "\n".join(head + top + body.parts + tail) + "\n"


def _json_for_script(obj: Any) -> str:
    text = json.dumps(obj, default=str, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not '*.tmp': Warehouse.prune sweeps '*.tmp*' files in the warehouse root.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def build_report(warehouse_root: Path, out: Path | None = None, tag: str = DEFAULT_TAG) -> Path:
    """Render ``<warehouse_root>/currents.duckdb`` into one self-contained HTML file; returns its path.

    ``out`` defaults to ``<warehouse_root>/report.html``; the file is replaced atomically, so a
    reader never sees half a page. ``tag`` picks the centre of the related-events graph.
    """
    root = Path(warehouse_root).expanduser()
    db = root / "currents.duckdb"
    if not db.exists():
        raise FileNotFoundError(f"no warehouse database at {db}: run `currents run --warehouse {root}` first")
    target = Path(out).expanduser() if out is not None else root / REPORT_NAME
    con = duckdb.connect(str(db), read_only=True)
    try:
        page = render(con, tag=tag)
    finally:
        con.close()
    _write_atomic(target, page)
    return target.resolve()


def write_report_after_run(root: Path, out: Path | None = None, tag: str = DEFAULT_TAG) -> Path | None:
    """Refresh ``<root>/report.html`` after a scheduled run; never fails the run (logs and returns None)."""
    try:
        return build_report(root, out, tag=tag)
    except Exception as exc:  # a report must not turn a good run into a failed one
        log.warning("report not written for %s: %s: %s", root, type(exc).__name__, exc)
        return None

"""`currents report`: one self-contained HTML page, checked as HTML, as data, and in a real browser.

A real warehouse is built once per module with the real CLI (`currents run` on the bundled sample
corpus). The browser tests render the page in headless Chromium (Debian package `chromium`), count
the SVG marks plotly drew, catch JavaScript errors, and decode the screenshot PNG (zlib + numpy, no
imaging library) to check it is not blank and shows the chart colours.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import numpy as np
import pytest

from warehouse import report as rep
from conftest import cli, sql

REPO = Path(__file__).resolve().parents[1]
CORPUS_CANDIDATES = (REPO / "sample_corpus", REPO.parent / "shared" / "corpus", Path("/work/shared/corpus"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _corpus() -> Path:
    for c in CORPUS_CANDIDATES:
        if (c / "news").is_dir():
            return c
    raise FileNotFoundError("no sample corpus (sample_corpus/ or shared/corpus)")


# -- fixtures --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """The sample corpus built once by the real CLI."""
    root = tmp_path_factory.mktemp("report-wh") / "wh"
    r = cli("run", "--source", str(_corpus()), "--warehouse", str(root), "--quiet")
    assert r.returncode == 0, f"currents run failed:\n{r.stdout}\n{r.stderr}"
    return root


@pytest.fixture(scope="module")
def report_file(warehouse: Path, tmp_path_factory) -> Path:
    """`currents report --out ...` through the real CLI."""
    out = tmp_path_factory.mktemp("report-out") / "nested" / "report.html"
    r = cli("report", "--warehouse", str(warehouse), "--out", str(out))
    assert r.returncode == 0, f"currents report failed:\n{r.stdout}\n{r.stderr}"
    assert out.is_file()
    return out


@pytest.fixture(scope="module")
def report_html(report_file: Path) -> str:
    return report_file.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def empty_warehouse(tmp_path_factory) -> Path:
    """A warehouse built from a source folder with no event files at all."""
    base = tmp_path_factory.mktemp("report-empty")
    (base / "src").mkdir()
    root = base / "wh"
    r = cli("run", "--source", str(base / "src"), "--warehouse", str(root), "--quiet")
    assert r.returncode == 0, f"currents run on an empty source failed:\n{r.stdout}\n{r.stderr}"
    return root


# -- helpers: HTML ---------------------------------------------------------------------------------
class Node:
    __slots__ = ("tag", "attrs", "children", "parent", "text")

    def __init__(self, tag: str, attrs: dict[str, str], parent: "Node | None") -> None:
        self.tag, self.attrs, self.children, self.parent, self.text = tag, attrs, [], parent, []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def iter(self):
        yield self
        for c in self.children:
            yield from c.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list["Node"]:
        return [n for n in self.iter() if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)]

    def by_id(self, ident: str) -> "Node | None":
        return next((n for n in self.iter() if n.attrs.get("id") == ident), None)

    def all_text(self) -> str:
        return "".join("".join(n.text) for n in self.iter())


class TreeBuilder(HTMLParser):
    """Minimal DOM. strict=True: every end tag must close the innermost open element (our own page);
    strict=False: an end tag closes up to its matching open element (browser-serialized DOM)."""

    def __init__(self, strict: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.strict, self.root, self.errors, self.doctype = strict, Node("#root", {}, None), [], None
        self.cur = self.root

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.cur))

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"end tag for void element </{tag}>")
            return
        if self.cur.tag == tag:
            self.cur = self.cur.parent
            return
        self.errors.append(f"</{tag}> closes <{self.cur.tag}> at {self.getpos()}")
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and not self.strict:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.text.append(data)


def parse(text: str, strict: bool) -> TreeBuilder:
    tb = TreeBuilder(strict)
    tb.feed(text)
    tb.close()
    return tb


def figure_data(page: str, div_id: str) -> list[dict]:
    """The `data` argument of `Plotly.newPlot("<div_id>", data, layout, config)` in the page."""
    m = re.search(r'Plotly\.newPlot\(\s*"' + re.escape(div_id) + r'"\s*,\s*', page)
    assert m, f"no Plotly.newPlot call for {div_id}"
    data, _ = json.JSONDecoder().raw_decode(page, m.end())
    return data


def site_year_cells(root: Path) -> dict[tuple[str, int], int]:
    """Non-zero (site, year) launch counts, computed independently of the report's SQL files."""
    rows = sql(root, "select coalesce(site, '(unknown site)'), year, count(*) from launches group by all")
    return {(s, int(y)): int(n) for s, y, n in rows if n}


# -- helpers: browser and PNG ----------------------------------------------------------------------
def chromium(args: list[str], url: str, profile: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    if CHROMIUM is None:  # scripts/test.sh installs it; never skip silently
        pytest.fail("chromium is not installed (apt-get install -y chromium, or run bash scripts/test.sh as root)")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
           f"--user-data-dir={profile}", "--window-size=1400,4000", "--virtual-time-budget=10000",
           "--enable-logging=stderr", "--v=0", *args, url]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"chromium exited {r.returncode}:\n{r.stderr[-3000:]}"
    return r


ERROR_PROBE = """<script>
window.__jsErrors = [];
window.addEventListener("error", function (e) { window.__jsErrors.push("error: " + (e.message || e.type)); });
window.addEventListener("unhandledrejection", function (e) { window.__jsErrors.push("unhandled rejection: " + String(e.reason)); });
(function () { var orig = console.error; console.error = function () {
  window.__jsErrors.push("console.error: " + Array.prototype.join.call(arguments, " ")); return orig.apply(console, arguments); }; })();
window.addEventListener("load", function () { setTimeout(function () {
  var pre = document.createElement("pre"); pre.id = "js-errors"; pre.textContent = JSON.stringify(window.__jsErrors);
  document.body.appendChild(pre); }, 1000); });
</script>"""


def render_dom(page_html: str, tmp: Path) -> tuple[Node, str]:
    """Load the page (with an error probe injected first in <head>) and return (DOM tree, chromium stderr)."""
    assert "<head>" in page_html
    probed = tmp / "probed.html"
    probed.write_text(page_html.replace("<head>", "<head>" + ERROR_PROBE, 1), encoding="utf-8")
    r = chromium(["--dump-dom"], probed.as_uri(), tmp / "profile-dom")
    return parse(r.stdout, strict=False).root, r.stderr


def js_errors(dom: Node) -> list[str]:
    pre = dom.by_id("js-errors")
    assert pre is not None, "the page never reached its load event (error probe did not report)"
    return json.loads(pre.all_text())


def read_png(path: Path) -> np.ndarray:
    """Decode an 8-bit, non-interlaced RGB/RGBA/grey PNG into an (h, w, channels) uint8 array."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    w, h, depth, color, _, _, interlace = ihdr
    assert depth == 8 and interlace == 0 and color in (0, 2, 4, 6), f"unsupported PNG {ihdr}"
    ch = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(h, w * ch + 1)
    ftype = raw[:, 0].astype(np.int16)
    filt = raw[:, 1:].reshape(h, w, ch).astype(np.int16)
    out = np.zeros((h + 1, w + 1, ch), dtype=np.int16)  # one zero row above and zero column left
    # Pixel (r, x) needs (r, x-1), (r-1, x) and (r-1, x-1): all pixels on one anti-diagonal r + x = d
    # are independent, so reconstruct diagonal by diagonal, vectorised over the diagonal.
    for d in range(h + w - 1):
        r = np.arange(max(0, d - w + 1), min(h - 1, d) + 1)
        x = d - r
        a, b, c = out[r + 1, x], out[r, x + 1], out[r, x]
        p = a + b - c
        pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
        paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
        ft = ftype[r][:, None]
        pred = np.select([ft == 1, ft == 2, ft == 3, ft == 4], [a, b, (a + b) // 2, paeth], 0)
        out[r + 1, x + 1] = (filt[r, x] + pred) % 256
    return out[1:, 1:].astype(np.uint8)


def hex_rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


# -- tests: the file -------------------------------------------------------------------------------
def test_default_output_path_and_atomic_write(warehouse: Path):
    path = rep.build_report(warehouse)
    assert path == (warehouse / "report.html").resolve()
    assert path.stat().st_size > 100_000
    assert not [p for p in warehouse.iterdir() if p.name.endswith(".part")], "temporary file left behind"


def test_missing_warehouse_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="currents run"):
        rep.build_report(tmp_path / "nowhere")
    r = cli("report", "--warehouse", str(tmp_path / "nowhere"))
    assert r.returncode == 1 and "currents run" in r.stderr and "Traceback" not in r.stderr


def test_html_is_well_formed_and_structured(report_html: str):
    tb = parse(report_html, strict=True)
    assert tb.errors == [], tb.errors[:5]
    assert tb.cur is tb.root, "unclosed elements at end of document"
    assert (tb.doctype or "").lower() == "doctype html"
    root = tb.root
    assert [n.tag for n in root.children] == ["html"]
    html_el = root.children[0]
    assert [n.tag for n in html_el.children] == ["head", "body"]
    assert root.find_all("title")[0].all_text() == "currents report"
    assert root.find_all("meta")[0].attrs.get("charset") == "utf-8"
    assert "currents" in root.find_all("h1")[0].all_text()
    headings = [h.all_text() for h in root.find_all("h2")]
    assert [h.split(".")[0] for h in headings] == ["1", "2", "3", "4", "5"], headings
    assert any("Baikonur Cosmodrome" in h for h in headings)
    ids = [n.attrs["id"] for n in root.iter() if "id" in n.attrs]
    assert len(ids) == len(set(ids)), "duplicate element ids"
    for fig in (rep.FIG_SITES, rep.FIG_COUNTRY, rep.FIG_OUTCOME, rep.FIG_CREWED, rep.FIG_EVENTS, rep.FIG_GRAPH):
        div = root.by_id(fig)
        assert div is not None and "plotly-graph-div" in div.classes, fig
    for anchor in (a.attrs["href"] for a in root.find_all("a") if a.attrs.get("href", "").startswith("#")):
        assert root.by_id(anchor[1:]) is not None, f"nav link {anchor} points nowhere"


def test_page_is_self_contained(report_html: str):
    root = parse(report_html, strict=True).root
    scripts = root.find_all("script")
    assert all("src" not in s.attrs for s in scripts), "external script"
    assert not root.find_all("link") and not root.find_all("iframe") and not root.find_all("img")
    for n in root.iter():
        for attr in ("src", "href", "data", "srcset"):
            v = n.attrs.get(attr, "")
            assert not re.match(r"\s*(https?:)?//", v), f"<{n.tag} {attr}={v!r}> loads from the network"
    for style in root.find_all("style"):
        assert "url(" not in style.all_text() and "@import" not in style.all_text()
    # plotly.js inlined exactly once, before any figure
    big = [s for s in scripts if len(s.all_text()) > 1_000_000]
    assert len(big) == 1
    assert report_html.count("Plotly.newPlot(") == 6
    assert report_html.index(big[0].all_text()[:200]) < report_html.index("Plotly.newPlot(")
    assert "cdn.plot.ly" not in report_html.replace(big[0].all_text(), "")


def test_launch_counts_are_embedded_in_the_site_chart(warehouse: Path, report_html: str):
    expected = site_year_cells(warehouse)
    assert expected, "the sample corpus has launches"
    traces = figure_data(report_html, rep.FIG_SITES)
    got: dict[tuple[str, int], int] = {}
    for t in traces:
        assert t["type"] == "bar"
        assert isinstance(t["y"], list), "counts must be plain JSON numbers, not base64 typed arrays"
        for x, y in zip(t["x"], t["y"]):
            got[(t["name"], int(x))] = int(y)
    assert got == expected
    names = [t["name"] for t in traces]
    if any(site == rep.UNKNOWN_SITE for site, _ in expected):
        assert names[-1] == rep.UNKNOWN_SITE, "unknown site is shown explicitly, last"
        assert traces[-1]["marker"]["color"] == rep.GREY
    assert len({t["marker"]["color"] for t in traces}) == len(traces), "sites share a colour"
    total = sum(expected.values())
    assert total == sql(warehouse, "select count(*) from launches")[0][0]


def test_other_charts_match_the_warehouse(warehouse: Path, report_html: str):
    def totals(div_id: str) -> dict[str, int]:
        return {t["name"]: sum(t["y"]) for t in figure_data(report_html, div_id)}

    country = dict(sql(warehouse, "select coalesce(country, '(unknown country)'), count(*) from launches group by 1"))
    assert totals(rep.FIG_COUNTRY) == country
    outcome = dict(sql(warehouse, "select coalesce(outcome, '(unknown outcome)'), count(*) from launches group by 1"))
    assert totals(rep.FIG_OUTCOME) == outcome
    crewed = dict(sql(warehouse, "select case when crewed then 'crewed' when not crewed then 'uncrewed' else 'unknown' end,"
                                  " count(*) from launches group by 1"))
    assert totals(rep.FIG_CREWED) == crewed
    per_year = dict(sql(warehouse, "select year, count(*) from events group by 1"))
    ev = figure_data(report_html, rep.FIG_EVENTS)
    summed: Counter = Counter()
    for t in ev:
        for x, y in zip(t["x"], t["y"]):
            summed[int(x)] += int(y)
    assert dict(summed) == per_year


def test_headline_numbers_and_run(warehouse: Path, report_html: str):
    root = parse(report_html, strict=True).root
    summary = json.loads(root.by_id("report-summary").all_text())
    assert summary["events"] == sql(warehouse, "select count(*) from events")[0][0]
    assert summary["launches"] == sql(warehouse, "select count(*) from launches")[0][0]
    assert summary["duplicate_files"] == sql(warehouse, "select count(*) from event_files where role = 'duplicate'")[0][0]
    assert summary["rejects"] == sql(warehouse, "select count(*) from rejects")[0][0]
    run_id, snapshot = sql(warehouse, "select run_id, snapshot from runs where status = 'success' order by started desc limit 1")[0]
    assert summary["run_id"] == run_id and summary["snapshot"] == snapshot
    meta = root.find_all("p", cls="meta")[0].all_text()
    assert run_id in meta and "UTC" in meta
    kpis = [k.all_text() for k in root.find_all("div", cls="kpi")]
    assert any(f"{summary['events']:,}" in k and "events" in k for k in kpis)
    # data health lists every reject reason with its count
    health = root.by_id("health").all_text()
    for reason, n in sql(warehouse, "select reason, count(*) from rejects group by 1"):
        assert reason in health and str(n) in health


def test_graph_and_most_connected(warehouse: Path, report_html: str):
    tagged = {r[0] for r in sql(warehouse, "select distinct event_id from tags where tag = 'Baikonur Cosmodrome'")}
    assert tagged, "sample corpus has events tagged Baikonur Cosmodrome"
    traces = figure_data(report_html, rep.FIG_GRAPH)
    seeds = [t for t in traces if t["name"].startswith("tagged")]
    assert len(seeds) == 1 and len(seeds[0]["x"]) == len(tagged)
    root = parse(report_html, strict=True).root
    table = root.by_id("graph").find_all("table", cls="connected")
    assert table and len(table[0].find_all("tr")) > 1


def test_unknown_tag_gives_a_note_not_an_empty_chart(warehouse: Path, tmp_path: Path):
    out = rep.build_report(warehouse, tmp_path / "r.html", tag="No Such Tag <script>")
    page = out.read_text()
    root = parse(page, strict=True).root
    graph = root.by_id("graph")
    assert graph.by_id(rep.FIG_GRAPH) is None
    assert "No data" in graph.all_text() and "No Such Tag <script>" in graph.all_text()
    assert "No Such Tag <script>" not in page  # escaped
    assert root.by_id(rep.FIG_SITES) is not None


def test_empty_warehouse_shows_no_data_notes(empty_warehouse: Path, tmp_path: Path):
    out = rep.build_report(empty_warehouse, tmp_path / "empty.html")
    page = out.read_text()
    tb = parse(page, strict=True)
    assert tb.errors == []
    root = tb.root
    assert "plotly-graph-div" not in page and "Plotly.newPlot" not in page
    assert len(page) < 200_000, "plotly.js is not inlined when there is no chart"
    notes = root.find_all("p", cls="nodata")
    assert len(notes) >= 4
    for section in ("launches-sites", "launches-breakdown", "events", "graph"):
        assert root.by_id(section).find_all("p", cls="nodata"), section
    summary = json.loads(root.by_id("report-summary").all_text())
    assert summary["events"] == 0 and summary["launches"] == 0


def test_write_report_after_run_never_raises(warehouse: Path, tmp_path: Path, caplog):
    assert rep.write_report_after_run(warehouse, tmp_path / "a.html") == (tmp_path / "a.html").resolve()
    assert rep.write_report_after_run(tmp_path / "missing") is None
    assert "report not written" in caplog.text


def test_every_query_file_is_used():
    used = set(re.findall(r'query\(\s*(?:ctx\.)?con,\s*"(\w+)"', Path(rep.__file__).read_text()))
    files = {p.stem for p in rep.SQL_DIR.glob("*.sql")}
    assert files == used


# -- tests: in a real browser ----------------------------------------------------------------------
def test_error_probe_catches_errors(tmp_path: Path):
    """The probe used below is not blind: a page that throws is reported."""
    page = "<!DOCTYPE html><html><head></head><body><script>null.boom();</script><p>x</p></body></html>"
    dom, stderr = render_dom(page, tmp_path)
    errors = js_errors(dom)
    assert len(errors) == 1 and "error" in errors[0]
    assert "Uncaught" in stderr


def test_charts_draw_in_chromium_without_errors(warehouse: Path, report_html: str, tmp_path: Path):
    dom, stderr = render_dom(report_html, tmp_path)
    assert js_errors(dom) == []
    assert "Uncaught" not in stderr, [ln for ln in stderr.splitlines() if "Uncaught" in ln]
    assert not [ln for ln in stderr.splitlines() if "CONSOLE" in ln and "rror" in ln]
    for fig in (rep.FIG_SITES, rep.FIG_COUNTRY, rep.FIG_OUTCOME, rep.FIG_CREWED, rep.FIG_EVENTS, rep.FIG_GRAPH):
        div = dom.by_id(fig)
        assert div is not None and div.find_all("svg", cls="main-svg"), f"{fig} did not draw"
    # one bar mark per non-zero (site, year) cell
    sites = dom.by_id(rep.FIG_SITES)
    bars = [p for layer in sites.find_all("g", cls="barlayer") for p in layer.find_all("g", cls="point")]
    assert len(bars) == len(site_year_cells(warehouse))
    assert all(b.find_all("path") and "Z" in b.find_all("path")[0].attrs.get("d", "") for b in bars)
    legend = [t.all_text() for t in sites.find_all("text", cls="legendtext")]
    assert sorted(legend) == sorted({s for s, _ in site_year_cells(warehouse)})
    # one marker per event in the graph
    graph_points = [p for layer in dom.by_id(rep.FIG_GRAPH).find_all("g", cls="scatterlayer")
                    for p in layer.find_all("path", cls="point")]
    n_nodes = sum(len(t["x"]) for t in figure_data(report_html, rep.FIG_GRAPH) if "markers" in t.get("mode", ""))
    assert len(graph_points) == n_nodes > 0


def test_screenshot_is_not_blank(report_file: Path, tmp_path: Path):
    shot = tmp_path / "report.png"
    chromium([f"--screenshot={shot}"], report_file.as_uri(), tmp_path / "profile-shot")
    img = read_png(shot)
    assert img.shape[:2] == (4000, 1400)
    rgb = img[..., :3].reshape(-1, 3)
    grey = rgb.astype(np.float64).mean(axis=1)
    assert grey.std() > 10, "screenshot is (nearly) one colour"
    assert (grey < 200).mean() > 0.02, "almost nothing drawn"
    colours = Counter(map(tuple, rgb[:: 7].tolist()))
    assert len(colours) > 100
    # the first site's bar colour is painted in solid areas (the chart rendered, not only the text)
    first = hex_rgb(rep.PALETTE[0])
    assert np.all(rgb == first, axis=1).sum() > 2000


def test_png_decoder_on_known_pixels(tmp_path: Path):
    """read_png is right: a page of known coloured blocks comes back with those colours where they are."""
    page = ("<!DOCTYPE html><html><head><style>body{margin:0;background:#fff}div{position:absolute;width:200px;height:100px}"
            "</style></head><body><div style='left:0;top:0;background:#0072b2'></div>"
            "<div style='left:300px;top:500px;background:linear-gradient(90deg,#000,#f00)'></div>"
            "<div style='left:1000px;top:3800px;background:#e69f00'></div></body></html>")
    src = tmp_path / "blocks.html"
    src.write_text(page)
    shot = tmp_path / "blocks.png"
    chromium([f"--screenshot={shot}"], src.as_uri(), tmp_path / "profile-blocks")
    img = read_png(shot)[..., :3]
    assert tuple(img[50, 100]) == (0x00, 0x72, 0xB2)
    assert tuple(img[3850, 1100]) == (0xE6, 0x9F, 0x00)
    assert tuple(img[2000, 700]) == (255, 255, 255)
    ramp = img[550, 300:500, 0].astype(int)
    assert ramp[0] < 20 and ramp[-1] > 235 and np.all(np.diff(ramp) >= 0), "gradient decoded wrong"
    assert np.all(img[550, 300:500, 1:] < 10)

"""Score the launch classifier against ``launch_labels.csv`` (event level).

Default mode builds a throw-away warehouse with the real CLI
(``python -m pipelines.cli run --source <corpus> --warehouse <tmp>``) and reads ``kind`` /
``kind_reason`` from the ``events`` view and the site from the ``launches`` view, mapping label
paths to events through ``event_files``. ``--direct`` skips the pipeline: it parses the labeled
files with ``transforms.event_file.parse_event_file`` and calls the classifier itself.

    .venv/bin/python bench/eval_launches.py --direct            # seconds, no Prefect
    .venv/bin/python bench/eval_launches.py                     # full pipeline run
    .venv/bin/python bench/eval_launches.py --corpus ../shared/corpus --keep /tmp/wh
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
KINDS = ("space_launch", "missile_test", "other_space", "other")


@dataclass(frozen=True)
class Label:
    path: str
    is_launch: bool
    site: str | None
    country: str | None
    kind: str
    note: str


@dataclass(frozen=True)
class Prediction:
    path: str
    event_id: str | None
    role: str | None
    headline: str
    kind: str | None
    kind_reason: str | None
    site: str | None
    country: str | None
    site_basis: str | None
    vehicle: str | None


def read_labels(corpus: Path) -> list[Label]:
    with (corpus / "launch_labels.csv").open(encoding="utf-8", newline="") as fh:
        return [
            Label(r["path"], r["is_launch"].strip() == "1", r["site"].strip() or None, r["country"].strip() or None,
                  r["kind"].strip(), r["note"])
            for r in csv.DictReader(fh)
        ]


# ------------------------------------------------------------------------------------------------
# direct mode: parser + classifier, no pipeline
# ------------------------------------------------------------------------------------------------
def _day_list_tags(corpus: Path, rel: str, key: str) -> list[str]:
    """Own ``_Context:`` tags of the event from its day's index.md / README.md (when present)."""
    from transforms.day_list import parse_day_list

    tags: list[str] = []
    folder = (corpus / rel).parent
    for name in ("index.md", "README.md"):
        f = folder / name
        if not f.exists():
            continue
        try:
            day = parse_day_list(f.read_text(encoding="utf-8", errors="replace"), str(f.relative_to(corpus).as_posix()))
        except Exception:  # a broken day list must not stop the evaluation
            continue
        for entry in day.entries:
            if entry.target_key == key:
                tags.extend(t for t in entry.context if t not in tags)
    return tags


def parse_for_classifier(corpus: Path, rel: str) -> dict:
    """Keyword arguments of ``Classifier.classify`` for one event file (project parser)."""
    from transforms.event_file import parse_event_file

    ev = parse_event_file((corpus / rel).read_text(encoding="utf-8", errors="replace"), rel)
    related: list[str] = []
    for link in ev.related:
        related.extend(t for t in link.context if t not in related)
    return dict(headline=ev.headline, summary=ev.summary, topic=ev.topic, tags=_day_list_tags(corpus, rel, ev.key),
                related_contexts=related, date=ev.date)


def predict_direct(corpus: Path, labels: list[Label]) -> tuple[list[Prediction], float]:
    from config.reference import load_classifier

    clf = load_classifier()
    inputs = {lab.path: parse_for_classifier(corpus, lab.path) for lab in labels}
    preds = []
    for lab in labels:
        f = clf.classify(**inputs[lab.path])
        preds.append(Prediction(lab.path, None, "canonical", inputs[lab.path]["headline"], f.kind, f.kind_reason, f.site,
                                f.country, f.site_basis, f.vehicle))
    return preds, timings(clf, corpus, list(inputs.values()))


def time_classifier(clf, inputs: list[dict], rounds: int = 20) -> float:
    """Mean classify() CPU time in microseconds over the given events (after one warm-up round)."""
    for kw in inputs:
        clf.classify(**kw)
    t0 = time.process_time()
    for _ in range(rounds):
        for kw in inputs:
            clf.classify(**kw)
    return (time.process_time() - t0) / (rounds * max(1, len(inputs))) * 1e6


def timings(clf, corpus: Path, labeled: list[dict]) -> dict[str, tuple[int, float]]:
    """classify() cost on the labeled events, on every event file of the corpus, and on the
    events that the vocabulary gate answers 'other' at once (the bulk of a real archive)."""
    everything = []
    for f in sorted((corpus / "news").rglob("*.md")):
        if f.name in ("index.md", "README.md"):
            continue
        try:
            everything.append(parse_for_classifier(corpus, f.relative_to(corpus).as_posix()))
        except Exception:  # rejected files are the parser's business, not the classifier's
            continue
    plain = [kw for kw in everything if not clf.has_vocabulary(kw["headline"])]
    out = {}
    for name, rows in (("labeled events", labeled), ("all corpus event files", everything), ("no-vocabulary events", plain)):
        out[name] = (len(rows), time_classifier(clf, rows) if rows else 0.0)
    return out


# ------------------------------------------------------------------------------------------------
# pipeline mode: run the CLI into a temporary warehouse and read the views
# ------------------------------------------------------------------------------------------------
def run_pipeline(corpus: Path, warehouse: Path) -> None:
    cmd = [sys.executable, "-m", "pipelines.cli", "run", "--source", str(corpus), "--warehouse", str(warehouse)]
    print("$", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"pipeline run failed with exit code {proc.returncode}")


def predict_warehouse(warehouse: Path, labels: list[Label]) -> list[Prediction]:
    import duckdb

    con = duckdb.connect(str(warehouse / "currents.duckdb"), read_only=True)
    try:
        rows = con.execute(
            """
            SELECT f.path, e.event_id, f.role, e.headline, e.kind, e.kind_reason, l.site, l.country, l.site_basis, l.vehicle
            FROM event_files f
            JOIN events e USING (event_id)
            LEFT JOIN launches l USING (event_id)
            """
        ).fetchall()
    finally:
        con.close()
    by_path = {r[0]: Prediction(*r) for r in rows}
    return [by_path.get(lab.path, Prediction(lab.path, None, None, "(not in warehouse)", None, None, None, None, None, None))
            for lab in labels]


# ------------------------------------------------------------------------------------------------
# scoring
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scores:
    tp: int
    fp: int
    fn: int
    tn: int
    site_ok: int
    site_total: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def site_accuracy(self) -> float:
        return self.site_ok / self.site_total if self.site_total else 1.0


def event_pairs(labels: list[Label], preds: list[Prediction]) -> list[tuple[Label, Prediction]]:
    """One (label, prediction) per event: labeled files that the pipeline merged into one event count
    once, with the label of the event's canonical file (else a launch label, else the first)."""
    groups: dict[str, list[tuple[Label, Prediction]]] = {}
    for lab, pred in zip(labels, preds):
        groups.setdefault(pred.event_id or lab.path, []).append((lab, pred))
    out = []
    for members in groups.values():
        pick = next((m for m in members if m[1].role == "canonical"), None)
        pick = pick or next((m for m in members if m[0].kind == "space_launch"), members[0])
        out.append(pick)
    return out


def score(labels: list[Label], preds: list[Prediction]) -> Scores:
    """Event-level scores of kind=space_launch and of the site."""
    tp = fp = fn = tn = site_ok = site_total = 0
    for lab, pred in event_pairs(labels, preds):
        hit = pred.kind == "space_launch"
        gold = lab.kind == "space_launch"
        tp += hit and gold
        fp += hit and not gold
        fn += gold and not hit
        tn += not hit and not gold
        if gold and lab.site:
            site_total += 1
            site_ok += hit and pred.site == lab.site
    return Scores(tp, fp, fn, tn, site_ok, site_total)


def report(labels: list[Label], preds: list[Prediction], scores: Scores, timing: dict[str, tuple[int, float]] | None) -> str:
    pairs = event_pairs(labels, preds)
    merged = len(labels) - len(pairs)
    lines = [
        f"events scored: {len(pairs)} (labeled files: {len(labels)}; {merged} merged into another labeled file's event)",
        f"space_launch  precision {scores.precision:.3f}  recall {scores.recall:.3f}  F1 {scores.f1:.3f}"
        f"   (tp={scores.tp} fp={scores.fp} fn={scores.fn} tn={scores.tn})",
        f"site accuracy where the label names a site: {scores.site_accuracy:.3f} ({scores.site_ok}/{scores.site_total})",
    ]
    conf = Counter((lab.kind, pred.kind or "(missing)") for lab, pred in pairs)
    cols = [*KINDS, "(missing)"]
    lines.append("")
    lines.append("confusion (rows = label kind, columns = predicted kind)")
    lines.append(f"{'':14}" + "".join(f"{c[:12]:>14}" for c in cols))
    for k in KINDS:
        lines.append(f"{k:14}" + "".join(f"{conf.get((k, c), 0):>14}" for c in cols))
    basis = Counter(p.site_basis for lab, p in pairs if p.kind == "space_launch")
    lines.append("")
    lines.append("site basis of predicted launches: " + ", ".join(f"{b or 'none'}={n}" for b, n in basis.most_common()))
    inferred = [(lab, p) for lab, p in pairs if p.kind == "space_launch" and p.site and not lab.site]
    if inferred:
        lines.append(f"sites resolved where the label names none ({len(inferred)}):")
        for lab, p in inferred:
            lines.append(f"  {p.site:38} [{p.site_basis}] {p.headline[:90]}")
    bad = [(lab, p) for lab, p in pairs
           if (p.kind == "space_launch") != (lab.kind == "space_launch") or p.kind != lab.kind
           or (lab.kind == "space_launch" and lab.site and p.site != lab.site)]
    lines.append("")
    lines.append(f"misclassified ({len(bad)}):" if bad else "misclassified: none")
    for lab, p in bad:
        lines.append(f"- {lab.path}")
        lines.append(f"    label: kind={lab.kind} site={lab.site}   predicted: kind={p.kind} site={p.site} [{p.site_basis}]")
        lines.append(f"    headline: {p.headline[:160]}")
        lines.append(f"    kind_reason: {p.kind_reason}")
    if timing:
        lines.append("")
        lines.append("classify() CPU time per event (mean of 20 rounds):")
        for name, (n, us) in timing.items():
            lines.append(f"  {name:26} n={n:4d}  {us:8.1f} us")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="source root holding launch_labels.csv")
    ap.add_argument("--direct", action="store_true", help="parse + classify the labeled files directly (no pipeline)")
    ap.add_argument("--keep", type=Path, default=None, help="warehouse directory to build and keep (default: temporary)")
    ap.add_argument("--min-precision", type=float, default=None, help="exit 1 when precision is below this")
    ap.add_argument("--min-recall", type=float, default=None, help="exit 1 when recall is below this")
    args = ap.parse_args(argv)

    corpus = args.corpus.resolve()
    labels = read_labels(corpus)
    if args.direct:
        preds, timing = predict_direct(corpus, labels)
    else:
        with tempfile.TemporaryDirectory(prefix="currents-eval-") as tmp:
            wh = args.keep or Path(tmp) / "warehouse"
            t0 = time.perf_counter()
            run_pipeline(corpus, wh)
            print(f"pipeline run: {time.perf_counter() - t0:.1f} s", flush=True)
            preds = predict_warehouse(wh, labels)
        from config.reference import load_classifier

        clf = load_classifier()
        timing = timings(clf, corpus, [parse_for_classifier(corpus, lab.path) for lab in labels])
    scores = score(labels, preds)
    print(report(labels, preds, scores, timing))
    ok = (args.min_precision is None or scores.precision >= args.min_precision) and (
        args.min_recall is None or scores.recall >= args.min_recall)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Build an N-file synthetic archive from the real sample files: ``python bench/make_corpus.py N DIR``.

Files are spread over the archive's days (1999-01-01 .. 2018-03-31) with unique slugs, keeping the
real mix of format generations (Formats header or not, seeds), duplicates (about 3% of events also
appear under a second slug), day lists (index.md and README.md per day) and a few bad files (about
0.1%: empty, binary, undecodable, no date). Deterministic for a seed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_corpus"
FIRST, LAST = dt.date(1999, 1, 1), dt.date(2018, 3, 31)
_DATE = re.compile(r"\[(\d{4})-(\d{1,2})-(\d{1,2})\]\(/news/\d{4}/\d{2}/\d{1,2}/index\.md\)")
_HEAD = re.compile(r"^(#(?!#)[ \t]*)(.*?)\s*$", re.M)


def _templates() -> list[str]:
    out = []
    for p in sorted(SAMPLE.rglob("*")):
        if p.suffix in (".md", ".txt") and p.name not in ("index.md", "README.md") and p.parent != SAMPLE:
            out.append(p.read_text(encoding="utf-8"))
    return out


def _retarget(text: str, day: dt.date, token: str) -> str:
    text = _DATE.sub(f"[{day.year}-{day.month:02d}-{day.day}](/news/{day.year}/{day.month:02d}/{day.day}/index.md)", text, count=1)
    return _HEAD.sub(lambda m: f"{m.group(1)}{m.group(2)} ({token})", text, count=1)


def make_corpus(n: int, out: Path, seed: int = 7) -> dict[str, int]:
    """Write ``n`` input files under ``out``; returns counts by kind."""
    rng = random.Random(seed)
    templates = _templates()
    days = (LAST - FIRST).days + 1
    counts = {"event": 0, "duplicate": 0, "day_list": 0, "bad": 0, "seed": 0}
    per_day = max(1, -(-n // days))
    written = 0
    i = 0
    while written < n:
        day = FIRST + dt.timedelta(days=(i // per_day) % days)
        folder = out / "news" / f"{day.year}" / f"{day.month:02d}" / f"{day.day}"
        if i % per_day == 0:
            folder.mkdir(parents=True, exist_ok=True)
            entries = []
        token = f"item {i}"
        text = _retarget(rng.choice(templates), day, token)
        headline = _HEAD.search(text).group(2)
        slug = re.sub(r"[^a-z0-9]+", "-", headline.lower()).strip("-")[:120] + f"-{i}"
        r = rng.random()
        if r < 0.001:
            kind = "bad"
            data = rng.choice([b"", b"\x00\x01\x02binary", "### [x]\n# caf\xe9\n".encode("latin-1"), b"just notes\n"])
            (folder / f"{slug}.md").write_bytes(data)
        elif r < 0.006:
            kind = "seed"
            (out / "seeds").mkdir(exist_ok=True)
            (out / "seeds" / f"{i:07d}_{rng.getrandbits(64):016x}.txt").write_text(text.split("\n", 3)[-1] if text.startswith("\nFormats") else text, encoding="utf-8")
        else:
            kind = "event"
            (folder / f"{slug}.md").write_text(text, encoding="utf-8")
            entries.append((headline, f"/news/{day.year}/{day.month:02d}/{day.day}/{slug}.md"))
            if r > 0.97 and written + 1 < n:  # the same event under a second, cut slug
                (folder / f"{slug[:100]}.md").write_text(text, encoding="utf-8")
                counts["duplicate"] += 1
                written += 1
        counts[kind] += 1
        written += 1
        i += 1
        if (i % per_day == 0 or written >= n) and entries and written < n:
            body = f"## [{day.year}-{day.month:02d}-{day.day}](/news/{day.year}/{day.month:02d}/{day.day}/index.md)\n\n"
            body += "".join(f"### [{h} ]({link})\n_Context: Synthetic, Benchmark_\n\n" for h, link in entries)
            (folder / "index.md").write_text(body, encoding="utf-8")
            counts["day_list"] += 1
            written += 1
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of input files")
    ap.add_argument("dir", type=Path, help="output directory (created)")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    a.dir.mkdir(parents=True, exist_ok=True)
    print(make_corpus(a.n, a.dir, a.seed))


if __name__ == "__main__":
    main()

"""Loaders for small vocabulary files in config/ (one entry per line, '#' comments)."""
from __future__ import annotations

from pathlib import Path


def load_lines(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a text file, stripped."""
    return [s for s in (line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines()) if s and not s.startswith("#")]


def load_qualifiers(path: Path) -> frozenset[str]:
    """Place qualifiers for context-tag splitting, lower-cased."""
    return frozenset(s.lower() for s in load_lines(path))

"""Pure parsing, normalizing and classifying code: no I/O, no Prefect.

The modules are plain Python. ``scripts/build_native.py`` (run by ``scripts/setup.sh``) may compile the
same sources with Cython into ``build/native/transforms``; this package then imports the compiled
modules first, but only while the build's ``sources.json`` records the exact bytes of every source
file here, so an edited module is never shadowed by a stale build (all modules fall back to pure
Python until the build runs again). ``CURRENTS_NATIVE=0`` turns the compiled modules off;
``CURRENTS_NATIVE_DIR`` puts the build elsewhere. ``COMPILED`` says which way this process went.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

NATIVE_MANIFEST = "sources.json"  # module file name -> sha1 of the source it was compiled from
_HERE = Path(__file__).resolve().parent


def source_digests(src: Path) -> dict[str, str]:
    """sha1 of each module source of the package folder ``src`` (``__init__.py`` is never compiled)."""
    return {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in sorted(src.glob("*.py")) if p.name != "__init__.py"}


def native_dir(repo: Path) -> Path:
    """Where the compiled modules live: ``$CURRENTS_NATIVE_DIR/transforms``, else ``<repo>/build/native/transforms``."""
    base = os.environ.get("CURRENTS_NATIVE_DIR")
    return (Path(base) if base else repo / "build" / "native") / "transforms"


def compiled_sources(src: Path, build: Path) -> bool:
    """True when ``build`` holds a compile of exactly the current sources of ``src``."""
    try:
        recorded = json.loads((build / NATIVE_MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return recorded == source_digests(src)


def _use_native() -> bool:
    if os.environ.get("CURRENTS_NATIVE", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    build = native_dir(_HERE.parent)
    if not compiled_sources(_HERE, build):
        return False
    __path__.insert(0, str(build))  # noqa: F821 (the package's module search path)
    return True


COMPILED: bool = _use_native()

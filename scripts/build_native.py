"""Compile the pure-Python ``transforms`` modules with Cython into ``build/native/transforms``.

The compiled modules are the same source, compiled: no type declarations, no second implementation.
A batch takes ~10-15% less CPU than under the interpreter (see docs/performance.md).
``transforms/__init__.py`` uses them only while ``build/native/transforms/sources.json`` records the
exact bytes of every current source file; after any edit it falls back to pure Python until this
script runs again. ``scripts/setup.sh`` runs it; it does nothing when the build is up to date.

    .venv/bin/python scripts/build_native.py [--force] [--jobs N]
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from transforms import NATIVE_MANIFEST, compiled_sources, native_dir, source_digests  # noqa: E402

SOURCES = REPO / "transforms"
RECIPE = "recipe.sha1"  # sha1 of this script: a change to how modules are compiled rebuilds them


def _recipe() -> str:
    return hashlib.sha1(Path(__file__).read_bytes()).hexdigest()


def build(out: Path, jobs: int) -> dict[str, str]:
    """Compile every module of ``transforms`` (not ``__init__``) into ``out``; returns the manifest."""
    from Cython.Build import cythonize  # build-time only: the `native` extra
    from setuptools import Distribution
    from setuptools.command.build_ext import build_ext

    digests = source_digests(SOURCES)
    with tempfile.TemporaryDirectory(prefix="currents-native-") as tmp:
        pkg = Path(tmp) / "transforms"
        pkg.mkdir()
        for name in digests:
            shutil.copy2(SOURCES / name, pkg / name)
        # annotation_typing off: Cython would otherwise enforce annotations such as ``frozenset`` at
        # call time (a plain set passed where ``frozenset`` is declared raises), which Python never does
        exts = cythonize([str(pkg / name) for name in sorted(digests)], nthreads=jobs, quiet=True,
                         compiler_directives={"language_level": 3, "annotation_typing": False}, build_dir=str(Path(tmp) / "c"))
        for ext in exts:  # module names relative to the temporary root: transforms.<name>
            ext.name = "transforms." + ext.name.rsplit(".", 1)[-1]
            ext.extra_compile_args = ["-w"]  # the generated C warns about CPython's own macros: noise
        dist = Distribution({"ext_modules": exts})
        cmd = build_ext(dist)
        cmd.build_lib = str(Path(tmp) / "lib")
        cmd.build_temp = str(Path(tmp) / "tmp")
        cmd.parallel = jobs
        cmd.ensure_finalized()
        cmd.run()
        staged = out.with_name(out.name + ".new")
        shutil.rmtree(staged, ignore_errors=True)
        staged.mkdir(parents=True)
        for so in (Path(tmp) / "lib" / "transforms").iterdir():
            shutil.copy2(so, staged / so.name)
    import json

    (staged / NATIVE_MANIFEST).write_text(json.dumps(digests, indent=1, sort_keys=True))
    (staged / RECIPE).write_text(_recipe())
    shutil.rmtree(out, ignore_errors=True)
    staged.rename(out)
    return digests


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="rebuild even when the build is up to date")
    ap.add_argument("--jobs", type=int, default=2, help="parallel compile jobs (default 2)")
    a = ap.parse_args()
    out = native_dir(REPO)
    recipe = out / RECIPE
    if not a.force and compiled_sources(SOURCES, out) and recipe.exists() and recipe.read_text() == _recipe():
        print(f"build_native: {out} is up to date", file=sys.stderr)
        return 0
    t = time.perf_counter()
    try:
        digests = build(out, a.jobs)
    except Exception as exc:  # no compiler, no Cython: the pure-Python modules still work
        print(f"build_native: compiling failed ({type(exc).__name__}: {exc}); currents runs the pure-Python "
              "transforms (slower)", file=sys.stderr)
        return 1
    print(f"build_native: compiled {len(digests)} modules into {out} in {time.perf_counter() - t:.0f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

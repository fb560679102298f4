#!/usr/bin/env bash
# Idempotent set-up on a fresh machine: .venv with the project and its extras (dask, bench, test,
# native), and transforms/ compiled by scripts/build_native.py.
# Re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.currents-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing currents and its dependencies into .venv (first time takes ~2 min)" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
# Compile transforms/ with Cython (~1 min after an edit there, instant when up to date). Optional:
# without it currents runs the same code in pure Python, ~10-15% slower.
.venv/bin/python scripts/build_native.py \
  || echo "setup: transforms/ not compiled; currents runs them in pure Python" >&2

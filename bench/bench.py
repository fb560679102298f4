"""Scale benchmark: read floor, full and incremental builds, queries and a dlt baseline, per corpus size.

    .venv/bin/python bench/bench.py                                   # 10k and 100k files, the checkout as it is
    .venv/bin/python bench/bench.py --git-ref HEAD --profile 10000 --docs docs/performance.md  # docs/performance.md
    .venv/bin/python bench/bench.py --sizes 10000 --steps full queries  # a subset
    .venv/bin/python bench/bench.py --include-1m                      # adds 1,000,000 files (~7 GB corpus)
    .venv/bin/python bench/bench.py --runner local process --steps readfloor full  # runner A/B in one run
    .venv/bin/python bench/bench.py --from-json bench/results/latest.json          # print an earlier run

For each size, in one run (so ratios compare like with like on a noisy machine):

- ``readfloor``  walk the corpus and read every input file's bytes in plain Python (warm cache; best of 3)
- ``full``       ``build_warehouse(full=True)`` into an empty warehouse
- ``nochange``   the same again without ``full``: nothing changed
- ``changed``    100 random event files get a new headline and a newer mtime, then an incremental run
                 (the files are restored afterwards, so the cached corpus stays as generated)
- ``queries``    typical queries on a read-only connection to the DuckDB file (median of several runs)
- ``dlt``        the baseline: dlt pipeline over the same files with our parser (``bench/dlt_baseline.py``)

Every step runs in a fresh subprocess (``bench/_step.py``) with a timeout, so its peak RSS is its own.
Build steps report the wall time of the ``build_warehouse`` call and the flow's own
``summary['duration_s']``; the difference is Prefect's start-up (temporary API server, flow-run
bookkeeping). Corpora come from ``bench/make_corpus.py`` (seeded) and are cached in ``--workdir``
by size, seed and a hash of the generator and the sample files. Prefect runs with its own
``PREFECT_HOME`` in the workdir (temporary server; ``PREFECT_API_URL`` is dropped).
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import math
import os
import platform
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
# The code the steps run: this checkout, or a snapshot of a commit (``--git-ref``) set up by ``main``.
CODE = REPO
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import _step  # noqa: E402
from bench.make_corpus import SAMPLE, make_corpus  # noqa: E402

STEPS = ("readfloor", "full", "nochange", "changed", "queries", "dlt")
DEFAULT_SIZES = (10_000, 100_000)
ONE_MILLION = 1_000_000
CHANGED_FILES = 100
PACKAGES = ("prefect", "duckdb", "pyarrow", "dlt", "pydantic", "pydantic-settings", "pandas", "rich")
_HEAD = re.compile(r"^(#(?!#)[ \t]*)(.*?)[ \t]*$", re.M)

# Targets of issue 6 (evaluated at 1M files when run, else extrapolated and labelled so).
TARGETS = {
    "full_1m_s": 120.0,          # full build of 1M files, Prefect start-up excluded (>= 8,300 files/s)
    "full_vs_floor": 8.0,        # full build <= 8x the read floor
    "dlt_vs_full": 3.0,          # full build >= 3x faster than dlt
    "nochange_1m_s": 10.0,
    "changed_1m_s": 15.0,
    "rss_1m_vs_100k": 1.5,
    "launches_query_1m_ms": 100.0,
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def human(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


# --------------------------------------------------------------------------- machine

def machine_info() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = None
    return {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "ram_gb": round(mem_kb / 1024 / 1024, 1) if mem_kb else None,
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": versions,
        "loadavg_start": os.getloadavg(),
    }


# --------------------------------------------------------------------------- code under test

def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=60, check=True).stdout.strip()


def worktree_state() -> dict:
    """HEAD and a digest of the uncommitted changes to tracked files of this checkout."""
    try:
        diff = subprocess.run(["git", "diff", "HEAD"], cwd=REPO, capture_output=True, timeout=60).stdout
        return {"commit": _git("rev-parse", "--short=12", "HEAD"), "dirty": bool(diff),
                "diff_sha1": hashlib.sha1(diff).hexdigest()[:12] if diff else None}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None, "diff_sha1": None}


def snapshot_code(ref: str, workdir: Path) -> tuple[Path, str]:
    """A clean copy of commit ``ref`` (``git archive``) with this run's bench harness dropped in, so
    that edits others make to the checkout while the bench runs cannot mix code versions."""
    sha = _git("rev-parse", "--verify", f"{ref}^{{commit}}")
    dest = workdir / "code" / sha[:12]
    if not dest.is_dir():
        partial = dest.with_name(dest.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        tar = subprocess.run(["git", "archive", "--format=tar", sha], cwd=REPO, capture_output=True, timeout=120, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
            tf.extractall(partial, filter="data")
        partial.rename(dest)
    (dest / "bench").mkdir(exist_ok=True)
    for name in ("_step.py", "dlt_baseline.py", "__init__.py"):
        shutil.copy2(BENCH / name, dest / "bench" / name)
    _build_native(dest)
    return dest, sha[:12]


def _build_native(code: Path) -> None:
    """Compile the snapshot's transforms as ``scripts/setup.sh`` does for a checkout (a no-op when its
    build is up to date), so the snapshot runs what a set-up clone runs. Run summaries record whether
    batches used the compiled modules (``batches.compiled``)."""
    script = code / "scripts" / "build_native.py"
    if not script.is_file():
        return  # a commit from before the native build
    env = {k: v for k, v in os.environ.items() if k != "CURRENTS_NATIVE_DIR"}
    r = subprocess.run([sys.executable, str(script)], cwd=code, env=env, capture_output=True, text=True)
    if r.returncode:
        log(f"warning: native build of the snapshot failed, it runs pure-Python transforms:\n{r.stderr[-2000:]}")


# --------------------------------------------------------------------------- corpora

def _generator_hash() -> str:
    h = hashlib.sha1((BENCH / "make_corpus.py").read_bytes())
    for p in sorted(SAMPLE.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(SAMPLE)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:10]


def ensure_corpus(workdir: Path, n: int, seed: int) -> tuple[Path, dict]:
    """The cached corpus of ``n`` files (generated once per size, seed and generator version)."""
    base = workdir / "corpus"
    base.mkdir(parents=True, exist_ok=True)
    name = f"n{n}-s{seed}-{_generator_hash()}"
    path, marker, backup = base / name, base / f"{name}.json", base / f"{name}.backup"
    if backup.exists() and path.is_dir():  # an earlier run died while files were changed: put them back
        restore_files(path, backup)
    if path.is_dir() and marker.exists():
        return path, json.loads(marker.read_text())
    partial = base / f"{name}.partial"
    for p in (path, partial):
        shutil.rmtree(p, ignore_errors=True)
    marker.unlink(missing_ok=True)
    log(f"generating the {human(n)} corpus (seed {seed}) in {path}")
    t = time.perf_counter()
    counts = make_corpus(n, partial, seed)
    files = nbytes = 0
    for p in _step.iter_input_files(str(partial)):
        files += 1
        nbytes += os.path.getsize(p)
    partial.rename(path)
    info = {"n": n, "seed": seed, "counts": counts, "input_files": files, "bytes": nbytes,
            "generated_s": round(time.perf_counter() - t, 1)}
    marker.write_text(json.dumps(info))
    return path, info


def pick_event_files(corpus: Path, k: int, seed: int) -> list[Path]:
    """``k`` event files (dated, with a headline line), chosen deterministically for a seed."""
    candidates = sorted(p for p in _step.iter_input_files(str(corpus / "news"))
                        if p.endswith(".md") and os.path.basename(p) not in ("index.md", "README.md"))
    random.Random(f"{seed}-changed-{k}").shuffle(candidates)
    out = []
    for p in candidates:
        try:
            text = Path(p).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if _HEAD.search(text):
            out.append(Path(p))
            if len(out) == k:
                break
    return out


def change_files(corpus: Path, backup: Path, files: list[Path]) -> None:
    """Rewrite each file's headline text and give it a newer mtime; originals go to ``backup``."""
    for p in files:
        dst = backup / p.relative_to(corpus)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, dst)
    for p in files:
        st = p.stat()
        text = p.read_bytes().decode("utf-8")
        text = _HEAD.sub(lambda m: f"{m.group(1)}{m.group(2)} (revised)", text, count=1)
        p.write_bytes(text.encode("utf-8"))
        mtime = max(time.time_ns(), st.st_mtime_ns + 1_000_000_000)
        os.utime(p, ns=(st.st_atime_ns, mtime))


def restore_files(corpus: Path, backup: Path) -> None:
    """Put the backed-up originals (content and mtime) back into the corpus, then drop the backup."""
    for root, _dirs, names in os.walk(backup):
        for name in names:
            src = Path(root) / name
            shutil.copy2(src, corpus / src.relative_to(backup))
    shutil.rmtree(backup)


# --------------------------------------------------------------------------- subprocesses

def child_env(workdir: Path, runner: str | None) -> dict:
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)  # always Prefect's temporary server, never someone's live one
    env.update(
        PREFECT_HOME=str(workdir / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_LOGGING_LEVEL="CRITICAL",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
        RUNTIME__DLTHUB_TELEMETRY="false",
        PYTHONHASHSEED="0",
    )
    if runner:
        env["CURRENTS_RUNNER"] = runner  # ignored by settings that do not know it
    return env


def run_child(script: Path, args: list[str], *, env: dict, timeout: float, log_file: Path) -> dict:
    """Run a step in its own process group; returns its ``@@BENCH@@`` payload plus status and timings."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    t = time.perf_counter()
    with open(log_file, "w") as err:
        proc = subprocess.Popen([sys.executable, str(script), *args], cwd=CODE, env=env, stdout=subprocess.PIPE,
                                stderr=err, text=True, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
            status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            status = f"timeout after {timeout:.0f} s"
        finally:
            try:  # leftovers of the step's own session (e.g. a Prefect server it started)
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    elapsed = time.perf_counter() - t
    payload = {}
    for line in (out or "").splitlines():
        if line.startswith(_step.MARKER):
            payload = json.loads(line[len(_step.MARKER):])
    if status == "ok" and not payload:
        status = "no result"
    if status != "ok":
        tail = log_file.read_text(errors="replace").strip().splitlines()[-5:]
        payload["error"] = " | ".join(tail)
        log(f"  step failed ({status}); stderr in {log_file}")
    payload.update(status=status, process_s=elapsed, loadavg_1m_before=load)
    return payload


# --------------------------------------------------------------------------- one size

def bench_size(n: int, a: argparse.Namespace, env: dict) -> dict:
    """All steps for one corpus size. With several ``--runner`` values the build steps run once per
    runner (the first runner's are ``full``..., the others' ``full@RUNNER``...)."""
    workdir: Path = a.workdir
    corpus, info = ensure_corpus(workdir, n, a.seed)
    files = info["input_files"]
    res: dict = {"n": n, "corpus": {**info, "path": str(corpus)}, "steps": {}}
    wh = workdir / "wh" / f"n{n}"
    logs = workdir / "logs"
    build_timeout = a.timeout_base + n * a.timeout_per_file
    step = CODE / "bench" / "_step.py"
    runners = a.runner or [None]

    def build(name: str, wh: Path, env: dict, *extra: str) -> dict:
        log(f"{human(n)}: {name}")
        r = run_child(step, ["build", "--source", str(corpus), "--warehouse", str(wh), *extra], env=env,
                      timeout=build_timeout, log_file=logs / f"n{n}-{name.replace('@', '-')}.log")
        if r.get("flow_s"):
            r["files_per_s"] = r["summary"].get("files_seen", files) / r["flow_s"]
            log(f"  flow {r['flow_s']:.2f} s, call {r['wall_s']:.2f} s, peak RSS {r['maxrss_self_kb'] / 1024:.0f} MB")
        return r

    if "readfloor" in a.steps:
        log(f"{human(n)}: readfloor")
        r = run_child(step, ["readfloor", "--source", str(corpus), "--repeats", "3"], env=env,
                      timeout=a.timeout_base + n * 0.005, log_file=logs / f"n{n}-readfloor.log")
        if r.get("floor_s"):
            r["files_per_s"] = r["files"] / r["floor_s"]
            log(f"  {r['floor_s']:.2f} s")
        res["steps"]["readfloor"] = r
    for i, runner in enumerate(runners):
        tag = "" if i == 0 else f"@{runner}"
        r_wh = wh if i == 0 else wh.with_name(f"{wh.name}{tag.replace('@', '-')}")
        r_env = child_env(workdir, runner)
        if "full" in a.steps:
            shutil.rmtree(r_wh, ignore_errors=True)
            res["steps"][f"full{tag}"] = build(f"full{tag}", r_wh, r_env, "--full")
        built = (r_wh / "currents.duckdb").exists()
        if "nochange" in a.steps and built:
            res["steps"][f"nochange{tag}"] = build(f"nochange{tag}", r_wh, r_env)
        if "changed" in a.steps and built:
            backup = corpus.with_name(corpus.name + ".backup")
            chosen = pick_event_files(corpus, CHANGED_FILES, a.seed)
            try:
                change_files(corpus, backup, chosen)
                r = build(f"changed{tag}", r_wh, r_env)
            finally:
                restore_files(corpus, backup)
            r["files_touched"] = len(chosen)
            if r.get("summary") and r["summary"].get("files_changed") != len(chosen):
                log(f"  warning: the run saw {r['summary'].get('files_changed')} changed files, {len(chosen)} were changed")
            res["steps"][f"changed{tag}"] = r
        if i:
            shutil.rmtree(r_wh, ignore_errors=True)
    if "queries" in a.steps and (wh / "currents.duckdb").exists():
        log(f"{human(n)}: queries")
        res["steps"]["queries"] = run_child(step, ["queries", "--db", str(wh / "currents.duckdb"), "--repeats",
                                                   str(a.query_repeats)], env=env, timeout=a.timeout_base,
                                            log_file=logs / f"n{n}-queries.log")
    if "dlt" in a.steps and n > a.dlt_max_files:
        log(f"{human(n)}: dlt baseline skipped (more than --dlt-max-files {a.dlt_max_files}; ratio taken at the largest size run)")
    elif "dlt" in a.steps:
        log(f"{human(n)}: dlt baseline")
        r = run_child(CODE / "bench" / "dlt_baseline.py", ["--source", str(corpus), "--out", str(workdir / "dlt" / f"n{n}")],
                      env=env, timeout=build_timeout, log_file=logs / f"n{n}-dlt.log")
        if r.get("run_s"):
            r["files_per_s"] = files / r["run_s"]
            log(f"  {r['run_s']:.2f} s, peak RSS {r['maxrss_self_kb'] / 1024:.0f} MB")
        res["steps"]["dlt"] = r
    shutil.rmtree(workdir / "dlt" / f"n{n}", ignore_errors=True)
    shutil.rmtree(workdir / "dlt" / f"n{n}.pipelines", ignore_errors=True)

    s = res["steps"]
    full = s.get("full", {}).get("flow_s")
    res["ratios"] = {
        "full_vs_floor": full / s["readfloor"]["floor_s"] if full and s.get("readfloor", {}).get("floor_s") else None,
        "dlt_vs_full": s["dlt"]["run_s"] / full if full and s.get("dlt", {}).get("run_s") else None,
        "dlt_vs_full_wall": (s["dlt"]["import_s"] + s["dlt"]["run_s"]) / (s["full"]["import_s"] + s["full"]["wall_s"])
        if full and s.get("dlt", {}).get("run_s") else None,
    }
    return res


def profile_build(n: int, a: argparse.Namespace, env: dict, out_dir: Path) -> dict:
    """A full build of ``n`` files under cProfile (all threads); stats file + text summary."""
    corpus, _ = ensure_corpus(a.workdir, n, a.seed)
    wh = a.workdir / "wh" / f"profile-n{n}"
    shutil.rmtree(wh, ignore_errors=True)
    prof = a.workdir / f"profile-{human(n)}.prof"  # binary pstats: kept out of the repo
    log(f"{human(n)}: profiled full build -> {prof}")
    # threads only: cProfile sees this process, not the worker processes of the default runner; and
    # pure-Python transforms: cProfile sees no calls inside Cython-compiled modules
    r = run_child(CODE / "bench" / "_step.py", ["build", "--source", str(corpus), "--warehouse", str(wh), "--full",
                                                "--profile", str(prof)],
                  env={**env, "CURRENTS_RUNNER": "local", "CURRENTS_NATIVE": "0"},
                  timeout=a.timeout_base + n * a.timeout_per_file * 3, log_file=a.workdir / "logs" / f"n{n}-profile.log")
    shutil.rmtree(wh, ignore_errors=True)
    if r["status"] != "ok" or not prof.exists():
        return {"n": n, "status": r["status"], "error": r.get("error")}
    text = profile_text(prof)
    (out_dir / f"profile-{human(n)}.txt").write_text(text)
    return {"n": n, "status": "ok", "flow_s": r.get("flow_s"), "wall_s": r.get("wall_s"), "stats": str(prof),
            "markdown": profile_markdown(prof, r.get("flow_s"))}


def _func_label(key: tuple) -> str:
    file, line, name = key
    if file == "~" or file.startswith("<"):
        return name
    p = Path(file)
    if "site-packages" in p.parts:
        i = p.parts.index("site-packages")
        return f"{'/'.join(p.parts[i + 1:])}:{line} {name}"
    try:
        return f"{p.resolve().relative_to(CODE)}:{line} {name}"
    except ValueError:
        return f"{'/'.join(p.parts[-2:])}:{line} {name}"


OURS = ("pipelines", "transforms", "warehouse", "config")
# C functions where a thread blocks (idle worker threads, the event-loop thread, waiting on futures).
WAITS = ("acquire", "SimpleQueue", "poll", "select", "sleep", "recv", "wait", "accept")


def _package(key: tuple) -> str:
    file = key[0]
    if file == "~":
        return "builtins"
    if file.startswith("<"):
        return "stdlib (imports, generated code)"  # <frozen importlib...>, <string>
    parts = Path(file).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0].removeprefix("_")
    try:
        top = Path(file).resolve().relative_to(CODE).parts[0]
    except ValueError:
        lib = [i for i, x in enumerate(parts) if x.startswith("python3")]
        mod = parts[lib[-1] + 1] if lib and lib[-1] + 1 < len(parts) else Path(file).name
        return f"stdlib {mod.removesuffix('.py')}"
    return f"{top}/ (ours)" if top in OURS else top


def _is_wait(key: tuple) -> bool:
    return key[0] == "~" and any(w in key[2] for w in WAITS)


def profile_text(prof: Path) -> str:
    import io
    import pstats

    buf = io.StringIO()
    st = pstats.Stats(str(prof), stream=buf)
    st.sort_stats("cumulative").print_stats(60)
    st.sort_stats("tottime").print_stats(40)
    text = buf.getvalue()
    import sysconfig

    for prefix in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["stdlib"], str(CODE)):
        text = text.replace(prefix + "/", "")  # site-packages, stdlib and the code under test: relative
    return text


def profile_markdown(prof: Path, flow_s: float | None) -> str:
    import pstats

    st = pstats.Stats(str(prof))
    rows = st.stats  # key -> (cc, nc, tt, ct, callers)
    ours = [(k, v) for k, v in rows.items() if _package(k).endswith("(ours)")]
    ours.sort(key=lambda kv: kv[1][3], reverse=True)
    by_tt = sorted(((k, v) for k, v in rows.items() if not _is_wait(k)), key=lambda kv: kv[1][2], reverse=True)
    waited = sum(v[2] for k, v in rows.items() if _is_wait(k))
    waits = ("acquire", "select", "poll", "epoll", "wait", "sleep", "run_forever", "_run_once")
    pkgs: dict[str, float] = {}
    total = 0.0
    for k, (cc, nc, tt, ct, callers) in rows.items():
        if _is_wait(k):
            continue  # threads blocked on locks/queues/selectors: waiting, not work
        if k[0] == "~":  # C builtins (re, str, I/O...): charged to the package that called them
            for ck, cv in callers.items():
                pkgs[_package(ck)] = pkgs.get(_package(ck), 0.0) + cv[2]
        else:
            pkgs[_package(k)] = pkgs.get(_package(k), 0.0) + tt
        total += tt
    lines = [f"Profiled full build: flow {flow_s:.1f} s under cProfile (all threads merged; cProfile roughly "
             f"doubles Python-heavy code, so read shares, not absolute times).", "",
             "Own time (tottime) by package, C builtins (regex, str, I/O) charged to their caller, blocking waits excluded:", "",
             "| package | own time s | share |", "|---|---:|---:|"]
    for name, tt in sorted(pkgs.items(), key=lambda kv: kv[1], reverse=True)[:8]:
        lines.append(f"| {name} | {tt:.1f} | {tt / total:.0%} |")
    lines += ["", "Our functions by cumulative time (top 20):", "", "| function | calls | own s | cumulative s |",
              "|---|---:|---:|---:|"]
    for k, (cc, nc, tt, ct, _c) in ours[:20]:
        lines.append(f"| `{_func_label(k)}` | {nc} | {tt:.2f} | {ct:.2f} |")
    lines += ["", f"All functions by own time (top 15; blocking waits of idle threads, {waited:.0f} s summed over "
                  "threads, left out):", "",
              "| function | calls | own s | cumulative s |", "|---|---:|---:|---:|"]
    for k, (cc, nc, tt, ct, _c) in by_tt[:15]:
        lines.append(f"| `{_func_label(k)}` | {nc} | {tt:.2f} | {ct:.2f} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- targets

def _val(results: list[dict], n: int, fn):
    for r in results:
        if r["n"] == n:
            try:
                return fn(r)
            except (KeyError, TypeError):
                return None
    return None


def _extrapolate(results: list[dict], fn, to: int) -> tuple[float | None, str]:
    """Power law through the two largest measured sizes (linear when there is only one)."""
    pts = [(r["n"], v) for r in sorted(results, key=lambda r: r["n"]) if r["n"] < to
           for v in [_val(results, r["n"], fn)] if v]
    if not pts:
        return None, "no data"
    if len(pts) == 1:
        n, v = pts[0]
        return v * to / n, f"linear from {human(n)}"
    (n1, v1), (n2, v2) = pts[-2:]
    b = math.log(v2 / v1) / math.log(n2 / n1)
    return v2 * (to / n2) ** b, f"power law {human(n1)}->{human(n2)} (exponent {b:.2f})"


def evaluate_targets(results: list[dict]) -> list[dict]:
    sizes = sorted(r["n"] for r in results)
    has_1m = ONE_MILLION in sizes
    largest = sizes[-1] if sizes else None
    out = []

    def at_1m(name: str, fn, limit: float, unit: str, fmt: str) -> None:
        v = _val(results, ONE_MILLION, fn) if has_1m else None
        if v is not None:
            out.append(dict(target=name, measured=f"{fmt.format(v)} {unit} at 1M", status="met" if v < limit else "missed"))
            return
        e, how = _extrapolate(results, fn, ONE_MILLION)
        per = "; ".join(f"{human(r['n'])}: {fmt.format(v)} {unit}" for r in sorted(results, key=lambda r: r["n"])
                        for v in [_val(results, r["n"], fn)] if v is not None)
        if e is None:
            out.append(dict(target=name, measured=f"1M not run; {per or 'no data'}", status="not measured"))
        else:
            verdict = "would be met" if e < limit else "would be missed"
            out.append(dict(target=name, measured=f"1M not run ({per}); EXTRAPOLATED to 1M: {fmt.format(e)} {unit} ({how})",
                            status=f"not measured; extrapolation: {verdict}"))

    at_1m("full build of 1M < 120 s (>= 8,300 files/s), Prefect start-up excluded",
          lambda r: r["steps"]["full"]["flow_s"], TARGETS["full_1m_s"], "s", "{:.1f}")

    def ratio(name: str, key: str, ok, fmt: str) -> None:
        vals = [(r["n"], r["ratios"].get(key)) for r in sorted(results, key=lambda r: r["n"]) if r.get("ratios", {}).get(key)]
        if not vals:
            out.append(dict(target=name, measured="not run", status="not measured"))
            return
        measured = "; ".join(f"{human(n)}: {fmt.format(v)}" for n, v in vals)
        out.append(dict(target=name, measured=measured, status=("met" if ok(vals[-1][1]) else "missed") +
                        f" (at {human(vals[-1][0])})"))

    ratio("full build <= 8x the read floor", "full_vs_floor", lambda v: v <= TARGETS["full_vs_floor"], "{:.1f}x the floor")
    ratio("full build >= 3x faster than dlt", "dlt_vs_full", lambda v: v >= TARGETS["dlt_vs_full"], "dlt/ours = {:.2f}")
    at_1m("no-change run on 1M < 10 s", lambda r: r["steps"]["nochange"]["flow_s"],
          TARGETS["nochange_1m_s"], "s", "{:.2f}")
    at_1m("100 changed files on 1M < 15 s", lambda r: r["steps"]["changed"]["flow_s"],
          TARGETS["changed_1m_s"], "s", "{:.2f}")
    # the flow's process plus its largest child (a parse worker, or Prefect's temporary server)
    rss = lambda r: (r["steps"]["full"]["maxrss_self_kb"] + (r["steps"]["full"].get("maxrss_children_kb") or 0)) / 1024  # noqa: E731
    r100, r1m = _val(results, 100_000, rss), _val(results, ONE_MILLION, rss)
    if r100 and r1m:
        out.append(dict(target="peak RSS at 1M <= 1.5x peak at 100k (full build; flow process + largest child)",
                        measured=f"100k: {r100:.0f} MB; 1M: {r1m:.0f} MB ({r1m / r100:.2f}x)",
                        status="met" if r1m <= TARGETS["rss_1m_vs_100k"] * r100 else "missed"))
    else:
        e, how = _extrapolate(results, rss, ONE_MILLION)
        per = "; ".join(f"{human(r['n'])}: {v:.0f} MB" for r in sorted(results, key=lambda r: r["n"])
                        for v in [_val(results, r["n"], rss)] if v)
        if e and r100:
            verdict = "would be met" if e <= TARGETS["rss_1m_vs_100k"] * r100 else "would be missed"
            out.append(dict(target="peak RSS at 1M <= 1.5x peak at 100k (full build; flow process + largest child)",
                            measured=f"1M not run ({per}); EXTRAPOLATED to 1M: {e:.0f} MB = {e / r100:.2f}x 100k ({how})",
                            status=f"not measured; extrapolation: {verdict}"))
        else:
            out.append(dict(target="peak RSS at 1M <= 1.5x peak at 100k (full build; flow process + largest child)", measured=per or "no data",
                            status="not measured"))
    at_1m("launches_per_site_per_year < 100 ms at 1M",
          lambda r: r["steps"]["queries"]["queries"]["launches_per_site_per_year"]["median_ms"],
          TARGETS["launches_query_1m_ms"], "ms", "{:.1f}")
    return out


# --------------------------------------------------------------------------- reporting

def _f(v, fmt="{:.2f}", none="—"):
    return none if v is None else fmt.format(v)


def step_rows(results: list[dict]) -> list[list[str]]:
    rows = []
    for r in results:
        files = r["corpus"]["input_files"]
        for name, s in r["steps"].items():
            if name == "queries":
                continue
            mb = lambda k: _f(s.get(k) / 1024 if s.get(k) else None, "{:.0f}")  # noqa: E731
            note = "" if s["status"] == "ok" else s["status"]
            if name == "readfloor":
                wall = flow = s.get("floor_s")
                startup = None
                note = note or f"best of {len(s.get('times_s', []))} warm passes, {s.get('bytes', 0) / 1e6:.0f} MB"
            elif name == "dlt":
                wall = flow = s.get("run_s")
                startup = None
                note = note or f"import {s.get('import_s', 0):.1f} s; skipped {s.get('skipped', {})}"
            else:
                wall, flow, startup = s.get("wall_s"), s.get("flow_s"), s.get("prefect_startup_s")
                sm = s.get("summary", {})
                if not note:
                    note = (f"new {sm.get('files_new')}, changed {sm.get('files_changed')}, "
                            f"published {sm.get('published')}")
                    b = sm.get("batches") or {}
                    if b.get("count"):
                        note += f"; {b.get('compiled', 0)}/{b['count']} batches compiled"
            rows.append([human(r["n"]), f"{files:,}", name, _f(s.get("process_s"), "{:.1f}"), _f(wall), _f(flow),
                         _f(startup), _f(s.get("files_per_s"), "{:,.0f}"), mb("maxrss_self_kb"), mb("maxrss_children_kb"),
                         _f(s.get("loadavg_1m_before"), "{:.1f}"), note])
    return rows


STEP_HEAD = ["size", "input files", "step", "process s", "call s", "flow s", "Prefect start-up s", "files/s",
             "peak RSS MB", "children RSS MB", "load", "note"]
QUERY_HEAD = ["size", "events", "query", "median ms", "min ms", "first ms", "rows"]
RATIO_HEAD = ["size", "full / read floor", "dlt / full (flow)", "dlt / full (process-visible)"]


def query_rows(results: list[dict]) -> list[list[str]]:
    rows = []
    for r in results:
        q = r["steps"].get("queries")
        if not q or q.get("status") != "ok":
            continue
        for name, v in q["queries"].items():
            rows.append([human(r["n"]), f"{q['events']:,}", name, _f(v["median_ms"], "{:.1f}"), _f(v["min_ms"], "{:.1f}"),
                         _f(v["first_ms"], "{:.1f}"), str(v["rows"])])
    return rows


def ratio_rows(results: list[dict]) -> list[list[str]]:
    return [[human(r["n"]), _f(r["ratios"].get("full_vs_floor"), "{:.1f}x"), _f(r["ratios"].get("dlt_vs_full"), "{:.2f}"),
             _f(r["ratios"].get("dlt_vs_full_wall"), "{:.2f}")] for r in results]


def print_tables(results: list[dict], targets: list[dict]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain fallback
        for head, rows in ((STEP_HEAD, step_rows(results)), (QUERY_HEAD, query_rows(results)), (RATIO_HEAD, ratio_rows(results))):
            print("\t".join(head))
            for row in rows:
                print("\t".join(row))
        for t in targets:
            print(f"{t['status']:>12}  {t['target']}: {t['measured']}")
        return
    console = Console(width=200)
    for title, head, rows in (("steps (times in s; flow = summary['duration_s'])", STEP_HEAD, step_rows(results)),
                              ("queries (read-only DuckDB connection)", QUERY_HEAD, query_rows(results)),
                              ("ratios (full build = flow time)", RATIO_HEAD, ratio_rows(results))):
        t = Table(title=title)
        for h in head:
            t.add_column(h, justify="left" if h in ("step", "query", "note", "size") else "right")
        for row in rows:
            t.add_row(*row)
        console.print(t)
    t = Table(title="targets (issue 6)")
    for h in ("target", "measured", "status"):
        t.add_column(h)
    for x in targets:
        t.add_row(x["target"], x["measured"], x["status"])
    console.print(t)


def md_table(head: list[str], rows: list[list[str]]) -> str:
    right = {i for i, h in enumerate(head) if h not in ("step", "query", "note", "size", "target", "measured", "status")}
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if i in right else "---" for i in range(len(head))) + "|"]
    out += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows]
    return "\n".join(out)


def results_markdown(doc: dict, steps_only: bool = False) -> str:
    m = doc["machine"]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    results = doc["results"]
    lines = [
        f"Run {doc['started']} (UTC), code: {doc['code_desc']}; "
        f"`--runner`: {' '.join(doc['runner']) if doc['runner'] else 'not given (the configured default: auto, i.e. worker processes when a run parses enough files)'}; builds ran "
        f"{', '.join(sorted({s.get('entry', 'build_warehouse') for r in results for s in r['steps'].values() if 'flow_s' in s})) or '—'}.",
        "",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gb']} GB RAM, Linux {m['kernel']}; "
        f"shared with other test runs (load average at start {m['loadavg_start'][0]:.1f}; per-step load in the table).",
        f"- Python {m['python']}; {pk}.",
        f"- Command: `{doc['command']}`",
        f"- Corpus: `bench/make_corpus.py`, seed {doc['seed']}; input files = the .md/.txt files on disk.",
        "",
        "Steps (`call s` = the `build_warehouse(...)` call, `flow s` = `summary['duration_s']`, "
        "Prefect start-up = call − flow; `process s` = the whole subprocess incl. imports and exit; "
        "files/s = input files / flow s; peak RSS = `ru_maxrss` of the step's process, children = the largest "
        "peak (`VmHWM`, sampled every 0.1 s) of any child: Prefect's temporary API server, pool or listing workers):",
        "",
        md_table(STEP_HEAD, step_rows(results)),
    ]
    if steps_only:
        return "\n".join(lines)
    lines += [
        "",
        "Queries (median of the repeats after one warm-up run; `first` = that warm-up run):",
        "",
        md_table(QUERY_HEAD, query_rows(results)),
        "",
        "Ratios (full build = flow time; dlt = `pipeline.run` time, imports excluded on both sides; the "
        "process-visible column adds imports and Prefect start-up to ours, imports to dlt's):",
        "",
        md_table(RATIO_HEAD, ratio_rows(results)),
        "",
        "### Targets",
        "",
        md_table(["target", "measured", "status"], [[t["target"], t["measured"], t["status"]] for t in doc["targets"]]),
    ]
    return "\n".join(lines)


DOC_SKELETON = """# Performance

How fast `currents` builds and updates the warehouse, against the time it takes just to read the
input and against a dlt pipeline doing less work. Every number below comes from `bench/bench.py`
(see [Reproduce](#reproduce)); the blocks between the `bench` markers are rewritten by
`bench/bench.py --docs docs/performance.md`, the rest is prose.

## Latest results

<!-- BEGIN bench results -->
<!-- END bench results -->

## Where the time goes

<!-- BEGIN bench profile -->
<!-- END bench profile -->
"""


def update_docs(path: Path, doc: dict, profile: dict | None, block: str = "results") -> None:
    text = path.read_text() if path.exists() else DOC_SKELETON

    def put(block: str, body: str) -> None:
        nonlocal text
        begin, end = f"<!-- BEGIN bench {block} -->", f"<!-- END bench {block} -->"
        i, j = text.find(begin), text.find(end)
        if i < 0 or j < i:
            text += f"\n{begin}\n{end}\n"
            i, j = text.find(begin), text.find(end)
        text = text[: i + len(begin)] + "\n" + body.strip() + "\n" + text[j:]

    put(block, results_markdown(doc, steps_only=block != "results"))
    if profile and profile.get("status") == "ok":
        put("profile", f"Command: `{doc['command']}` (`--profile {profile['n']}`); full listing: "
                       f"`bench/results/profile-{human(profile['n'])}.txt`.\n\n" + profile["markdown"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="corpus sizes (input files)")
    ap.add_argument("--include-1m", action="store_true", help="also 1,000,000 files (~7 GB corpus, long)")
    ap.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS), help="steps to run (default: all)")
    ap.add_argument("--out", type=Path, default=BENCH / "results" / "latest.json")
    ap.add_argument("--workdir", type=Path, default=Path(os.environ.get("CURRENTS_BENCH_WORKDIR",
                                                                      Path(tempfile.gettempdir()) / "currents-bench")),
                    help="corpora (cached), warehouses, logs, Prefect home (default: $CURRENTS_BENCH_WORKDIR or /tmp/currents-bench)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dlt-max-files", type=int, default=100_000, help="skip the dlt baseline on larger corpora "
                    "(it runs at ~700 files/s: ~25 min at 1M); the dlt ratio then comes from the largest size run")
    ap.add_argument("--runner", choices=("auto", "local", "process", "dask"), nargs="+",
                    help="sets CURRENTS_RUNNER for the build steps, which then run the flow with the configured task "
                         "runner (pipelines.runners.configured_build, as `currents run` does) when the code has it; "
                         "several values: the build steps run once per runner (an A/B within one run)")
    ap.add_argument("--query-repeats", type=int, default=7)
    ap.add_argument("--profile", type=int, metavar="N", help="also a cProfile'd full build of N files")
    ap.add_argument("--docs", type=Path, help="rewrite the generated blocks of this markdown file (docs/performance.md)")
    ap.add_argument("--timeout-base", type=float, default=300.0, help="seconds every step may take, plus ...")
    ap.add_argument("--timeout-per-file", type=float, default=0.02, help="... this many seconds per input file (builds, dlt)")
    ap.add_argument("--no-warmup", action="store_true", help="skip the untimed sample build that readies Prefect's database")
    ap.add_argument("--git-ref", metavar="REF", help="benchmark a clean snapshot of this commit (e.g. HEAD) instead of "
                                                   "the checkout as it is (which others may be editing)")
    ap.add_argument("--docs-block", default="results", metavar="NAME",
                    help="which generated block of --docs to rewrite: 'results' (default: tables and targets) or any "
                         "other name (the steps table only, e.g. 'runners' for an A/B of --runner values)")
    ap.add_argument("--from-json", type=Path, metavar="FILE", help="run nothing: print the tables of an earlier "
                                                                    "results file (and rewrite --docs from it)")
    a = ap.parse_args(argv)
    if a.from_json:
        doc = json.loads(a.from_json.read_text())
        print_tables(doc["results"], evaluate_targets(doc["results"]))
        if a.docs:
            update_docs(a.docs, doc, doc.get("profile"), a.docs_block)
            log(f"updated {a.docs} from {a.from_json}")
        return 0
    sizes = sorted(set(a.sizes) | ({ONE_MILLION} if a.include_1m else set()))
    a.workdir = a.workdir.resolve()
    a.workdir.mkdir(parents=True, exist_ok=True)
    env = child_env(a.workdir, a.runner[0] if a.runner else None)
    global CODE
    state = worktree_state()
    if a.git_ref:
        CODE, sha = snapshot_code(a.git_ref, a.workdir)
        code = {"kind": "git snapshot", "ref": a.git_ref, "commit": sha, "path": str(CODE)}
        desc = f"commit {sha} (clean snapshot of `{a.git_ref}`)"
    else:
        code = {"kind": "checkout", **state, "path": str(REPO)}
        desc = f"checkout at {state['commit']}" + (f" + uncommitted changes (diff {state['diff_sha1']})" if state["dirty"] else "")
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    command = shlex.join([os.path.relpath(sys.executable, REPO) if sys.executable.startswith(str(REPO)) else "python",
                          os.path.relpath(Path(__file__).resolve(), REPO), *(argv if argv is not None else sys.argv[1:])])
    machine = machine_info()
    log(f"{command}\n  workdir {a.workdir}; sizes {', '.join(map(human, sizes))}; steps {' '.join(a.steps)}")

    warmup = None
    if not a.no_warmup and {"full", "nochange", "changed"} & set(a.steps):
        log("warm-up: sample build (untimed; migrates the Prefect database of the bench's PREFECT_HOME)")
        wh = a.workdir / "wh" / "warmup"
        shutil.rmtree(wh, ignore_errors=True)
        warmup = run_child(CODE / "bench" / "_step.py", ["build", "--source", str(CODE / "sample_corpus"), "--warehouse", str(wh), "--full"],
                           env=env, timeout=a.timeout_base, log_file=a.workdir / "logs" / "warmup.log")
        if warmup["status"] != "ok":
            log("warm-up failed: see the log; going on")

    results = []
    for n in sizes:
        results.append(bench_size(n, a, env))
        targets = evaluate_targets(results)
        doc = {"started": started, "command": command, "code": code, "code_desc": desc, "seed": a.seed, "runner": a.runner, "sizes": sizes,
               "steps": a.steps, "workdir": str(a.workdir), "machine": machine, "warmup": warmup,
               "results": results, "targets": targets, "profile": None}
        _write_json(a.out, doc)  # after each size: a long run that dies keeps what it measured

    profile = None
    if a.profile:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        profile = profile_build(a.profile, a, env, a.out.parent)
    doc["profile"] = profile
    doc["machine"]["loadavg_end"] = os.getloadavg()
    if not a.git_ref and worktree_state() != state:
        doc["code"]["changed_during_run"] = True
        doc["code_desc"] += " — WARNING: the checkout changed during the run, results may mix code versions"
        log("warning: the checkout changed while the bench ran (use --git-ref HEAD for a fixed snapshot)")
    _write_json(a.out, doc)
    print_tables(results, targets)
    if profile and profile.get("status") == "ok":
        print(f"\nprofile ({human(profile['n'])}, full build): {profile['stats']} (+ .txt)\n")
        print(profile["markdown"])
    if a.docs:
        update_docs(a.docs, doc, profile, a.docs_block)
        log(f"updated {a.docs}")
    log(f"results: {a.out}")
    failed = [f"{human(r['n'])} {k}" for r in results for k, s in r["steps"].items() if s.get("status") != "ok"]
    if failed:
        log(f"steps that failed: {', '.join(failed)}")
    return 1 if failed else 0


def _write_json(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1, default=str))
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())

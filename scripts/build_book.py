"""Build the book into _build/<builder>, failing on any warning or cell error.

Run through ``make book`` (HTML) or ``make pdf`` (single page); it uses the
interpreter of .venv. Steps:

1. regenerate the Colab/download notebooks under ``notebooks/`` from the MyST
   sources (``scripts/make_notebooks.py``; only changed files are written);
2. run ``jupyter-book build --builder <builder> -W -n --keep-going`` and follow
   its log: which page is being read, which notebook is executing (with a
   heartbeat every 30 s while a long one runs), how long each took, and which
   ones came from the execution cache;
3. print a summary table (notebook, cache or executed, seconds) and the total.

The execution cache (``_build/.jupyter_cache``) and Sphinx's pickled
environment make a second build with nothing changed a small fraction of the
first: no notebook runs, no page is re-read.

TensorFlow's C++ start-up lines, which the notebook kernels print on stderr
(``I0000 ...``, ``cpu_feature_guard``, absl), are counted and left out of the
console log; they never reach a page (``nb_output_stderr: remove``).
"""
from __future__ import annotations

import argparse
import os
import queue
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_notebooks  # noqa: E402

HEARTBEAT_S = 30.0
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
READING = re.compile(r"^reading sources\.\.\.\s*\[\s*(\d+)%\]\s+(\S+)")
UPDATING = re.compile(r"^updating environment:.*?(\d+) added, (\d+) changed, (\d+) removed")
EXECUTING = re.compile(r"^(?P<path>.+?): Executing notebook using .*\[mystnb\]")
EXECUTED = re.compile(r"^(?P<path>.+?): Executed notebook in (?P<seconds>[\d.]+) seconds \[mystnb\]")
CACHED = re.compile(r"^(?P<path>.+?): Using cached notebook: ID=\d+ \[mystnb\]")
FAILED = re.compile(r"^(?P<path>.+?): .*Executing notebook failed")
CONFIG_DUMP = re.compile(r"^(?P<name>myst(?:-nb)? v[\d.]+): \w+Config\(")
KERNEL_NOISE = re.compile(
    r"^(?:[IWE]\d{4} \d|WARNING: All log messages before absl|.*cpu_feature_guard|.*cudart_stub"
    r"|.*oneDNN custom operations|\[IPKernelApp\] WARNING \| Kernel is running over TCP"
    r"|To enable the following instructions|.*Unable to register cu(DNN|FFT|BLAS) factory"
    r"|.*computation placer already registered|.*TF-TRT Warning|.*absl::InitializeLog)")


@dataclass
class NotebookRun:
    """What happened to one notebook page during the build."""

    page: str
    status: str = "read"  # "cache", "executed" or "FAILED"
    seconds: float | None = None  # execution time reported by MyST-NB
    started: float | None = None


def _page_name(path: str) -> str:
    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path


def _stamp(start: float) -> str:
    elapsed = time.perf_counter() - start
    return f"[{int(elapsed // 60):2d}:{int(elapsed % 60):02d}]"


def _reader(stream, lines: queue.Queue) -> None:
    for raw in iter(stream.readline, ""):
        lines.put(raw)
    lines.put(None)


def run_build(builder: str) -> tuple[int, dict[str, NotebookRun], dict]:
    """Run jupyter-book, echo its log with progress lines; return (exit code, runs, info)."""
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(ROOT), "--builder", builder, "-W", "-n", "--keep-going"]
    print("$", " ".join(cmd), flush=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, encoding="utf-8", errors="replace", bufsize=1)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()

    start = time.perf_counter()
    runs: dict[str, NotebookRun] = {}
    info = {"pages_read": 0, "noise_lines": 0, "changed": None}
    executing: NotebookRun | None = None
    last_beat = start
    while True:
        try:
            raw = lines.get(timeout=1.0)
        except queue.Empty:
            now = time.perf_counter()
            if executing is not None and now - last_beat >= HEARTBEAT_S:
                running = now - executing.started
                print(f"{_stamp(start)} ... still executing {executing.page} ({running:.0f} s so far)", flush=True)
                last_beat = now
            continue
        if raw is None:
            break
        line = ANSI.sub("", raw.rstrip("\n")).replace("\r", "")
        if KERNEL_NOISE.match(line):
            info["noise_lines"] += 1
            continue
        if match := CONFIG_DUMP.match(line):  # one long line of every parser setting
            print(f"{match['name']} (settings as in _config.yml)", flush=True)
            continue
        if match := UPDATING.match(line):
            info["changed"] = tuple(int(n) for n in match.groups())
        if match := READING.match(line):
            info["pages_read"] += 1
            print(f"{_stamp(start)} reading [{match.group(1):>3}%] {match.group(2)}", flush=True)
            continue
        if match := EXECUTING.match(line):
            page = _page_name(match["path"])
            executing = runs.setdefault(page, NotebookRun(page))
            executing.started = last_beat = time.perf_counter()
            print(f"{_stamp(start)} executing {page} ...", flush=True)
            continue
        if match := EXECUTED.match(line):
            page = _page_name(match["path"])
            run = runs.setdefault(page, NotebookRun(page))
            run.status, run.seconds = "executed", float(match["seconds"])
            executing = None
            print(f"{_stamp(start)} executed  {page} in {run.seconds:.1f} s", flush=True)
            continue
        if match := CACHED.match(line):
            page = _page_name(match["path"])
            runs.setdefault(page, NotebookRun(page)).status = "cache"
            print(f"{_stamp(start)} cached    {page} (execution cache, not re-run)", flush=True)
            continue
        if match := FAILED.match(line):
            page = _page_name(match["path"])
            runs.setdefault(page, NotebookRun(page)).status = "FAILED"
            executing = None
        print(line, flush=True)
    return process.wait(), runs, info


def print_summary(runs: dict[str, NotebookRun], info: dict, notebook_seconds: float, build_seconds: float) -> None:
    print()
    print("Build summary")
    print("-------------")
    if runs:
        width = max(len(page) for page in runs)
        print(f"{'notebook':<{width}}  {'result':<8}  {'seconds':>8}")
        for page, run in runs.items():
            seconds = f"{run.seconds:.1f}" if run.seconds is not None else "-"
            print(f"{page:<{width}}  {run.status:<8}  {seconds:>8}")
        executed = sum(run.seconds or 0.0 for run in runs.values() if run.status == "executed")
        print(f"{len(runs)} notebook(s): {sum(r.status == 'executed' for r in runs.values())} executed "
              f"({executed:.1f} s), {sum(r.status == 'cache' for r in runs.values())} from the cache")
    else:
        print("no notebook was read: every page is up to date (warm rebuild)")
    if info["changed"] is not None:
        added, changed, removed = info["changed"]
        print(f"pages: {added} added, {changed} changed, {removed} removed; {info['pages_read']} read")
    if info["noise_lines"]:
        print(f"({info['noise_lines']} line(s) of kernel start-up noise left out of this log)")
    print(f"notebook generation {notebook_seconds:.1f} s, jupyter-book {build_seconds:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the book (see the module docstring).")
    parser.add_argument("--builder", default="html", help="Sphinx builder: html (default) or singlehtml")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    changed = make_notebooks.write_notebooks(ROOT)
    for rel in changed:
        print(f"notebooks: updated {rel}")
    print(f"notebooks: {len(make_notebooks.notebook_sources(ROOT))} generated from MyST sources, "
          f"{len(changed)} file(s) changed")
    notebook_seconds = time.perf_counter() - start

    build_start = time.perf_counter()
    returncode, runs, info = run_build(args.builder)
    build_seconds = time.perf_counter() - build_start
    print_summary(runs, info, notebook_seconds, build_seconds)
    elapsed = time.perf_counter() - start

    index = ROOT / "_build" / args.builder / "index.html"
    if returncode != 0:
        print(f"Book build FAILED after {elapsed:.0f} s (exit {returncode}).", file=sys.stderr)
        return returncode
    if not index.exists():
        print(f"Book build produced no {index}", file=sys.stderr)
        return 1
    print(f"Book built in {elapsed:.0f} s: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

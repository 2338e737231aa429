"""Build the HTML book into _build/html, failing on any warning or cell error.

Run through ``make book``; it uses the interpreter of .venv.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    jb = Path(sys.executable).with_name("jupyter-book")
    start = time.perf_counter()
    cmd = [str(jb), "build", str(ROOT), "--builder", "html", "-W", "-n", "--keep-going"]
    print("$", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, cwd=ROOT)
    elapsed = time.perf_counter() - start
    index = ROOT / "_build" / "html" / "index.html"
    if result.returncode != 0:
        print(f"Book build FAILED after {elapsed:.0f} s (exit {result.returncode}).", file=sys.stderr)
        return result.returncode
    if not index.exists():
        print(f"Book build produced no {index}", file=sys.stderr)
        return 1
    print(f"Book built in {elapsed:.0f} s: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time the grading command on N copies of a crafted submission (root needed for the sandbox).

    sudo .venv/bin/python benchmarks/bench_grading.py [N] [JOBS] [ASSIGNMENT] [FIXTURE]

Defaults: 60 copies of exercise 4's correct submission, JOBS = the number of cores.
Prints the wall time and checks that every copy got full marks.
"""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    count = int(argv[1]) if len(argv) > 1 else 60
    jobs = int(argv[2]) if len(argv) > 2 else (os.cpu_count() or 1)
    assignment = argv[3] if len(argv) > 3 else "ex4-simple-attention-layer"
    fixture = argv[4] if len(argv) > 4 else "correct"
    source = ROOT / "tests" / "fixtures" / "submissions" / assignment / f"{fixture}.ipynb"
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        subs, out = Path(tmp) / "submissions", Path(tmp) / "out"
        subs.mkdir()
        for i in range(count):
            shutil.copy(source, subs / f"s{i:03d}.ipynb")
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "unit17_grading", "grade", assignment, str(subs),
                                 "--out", str(out), "--jobs", str(jobs)], cwd=ROOT,
                                capture_output=True, text=True)
        elapsed = time.monotonic() - started
        with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        full = sum(row["total"] == row["max_total"] for row in rows)
    print(f"{count} x {assignment}/{fixture}, jobs={jobs}, {os.cpu_count()} cores: {elapsed:.0f} s "
          f"({elapsed / count:.1f} s per submission), {full}/{len(rows)} full marks, exit {result.returncode}; "
          f"load average {os.getloadavg()[0]:.1f}")
    return 0 if result.returncode == 0 and full == count else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Execute notebooks the way Colab runs them; run by the Colab-equivalent venv's Python.

Usage: python colab_execute.py NOTEBOOK [NOTEBOOK ...]

Each notebook is copied into its own new, empty temporary directory (outside the
repository, so nothing of the checkout can be imported or read by a relative
path) and executed there with nbclient and the ``python3`` kernel of this
interpreter. It only needs what Colab has (nbclient, nbformat, ipykernel).
Prints one line per notebook; exits 1 with the failing cell's error if any
notebook fails.
"""
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

TIMEOUT_PER_CELL = 900


def run(path: Path) -> tuple[bool, float, str]:
    """Execute one notebook in an empty directory; (ok, seconds, error text)."""
    with tempfile.TemporaryDirectory(prefix="colab-run-") as workdir:
        copy = Path(workdir) / path.name
        shutil.copyfile(path, copy)
        notebook = nbformat.read(copy, as_version=4)
        client = NotebookClient(notebook, timeout=TIMEOUT_PER_CELL, kernel_name="python3",
                                resources={"metadata": {"path": workdir}})
        start = time.perf_counter()
        try:
            client.execute()
        except CellExecutionError as error:
            return False, time.perf_counter() - start, str(error)
        return True, time.perf_counter() - start, ""


def main(paths: list[str]) -> int:
    failed = 0
    for name in paths:
        ok, seconds, error = run(Path(name))
        print(f"{'ok  ' if ok else 'FAIL'} {seconds:6.0f} s  {name}", flush=True)
        if not ok:
            failed += 1
            print(error, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

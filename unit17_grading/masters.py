"""Execute the instructor masters in place, so their stored outputs are current.

    python -m unit17_grading execute-masters [ASSIGNMENT ...]

nbval (in ``tests/test_exercises.py``) re-runs every master and compares the
outputs with the stored ones; after editing a master, run this to store the
new outputs (then ``student-versions`` to regenerate the student versions).
Execution uses the repository's Python (the ``python3`` kernel of ``.venv``),
records no timing metadata and writes stable JSON, so an unchanged master
gives an unchanged file.
"""
from __future__ import annotations

import time

import nbformat
from nbclient import NotebookClient

from unit17_grading import assignments as catalogue
from unit17_grading.student_versions import dumps


def execute(name: str, timeout: int = 600) -> float:
    """Run one master top to bottom (a failing cell raises) and store its outputs; seconds taken."""
    master = catalogue.get(name).master
    notebook = nbformat.read(master, as_version=4)
    started = time.perf_counter()
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(master.parent)}})
    client.execute()
    elapsed = time.perf_counter() - started
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    master.write_text(dumps(notebook), encoding="utf-8")
    return elapsed

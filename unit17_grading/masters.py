"""Execute the instructor masters in place, so their stored outputs are current.

    python -m unit17_grading execute-masters [ASSIGNMENT ...]

nbval (in ``tests/test_exercises.py``) re-runs every master and compares the
outputs with the stored ones; after editing a master, run this to store the
new outputs (then ``student-versions`` to regenerate the student versions).
Execution uses the repository's Python (the ``python3`` kernel of ``.venv``),
records no timing metadata and writes stable JSON, so an unchanged master
gives an unchanged file. Kernels run without file-descriptor capture
(:func:`quiet_kernels`), so TensorFlow's C++ log lines, which carry time
stamps and come and go between runs, never become stored outputs; the nbval
tests run the same way.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from unit17_grading import assignments as catalogue
from unit17_grading.student_versions import dumps


KERNEL_CONFIG = (
    "# TensorFlow >= 2.20 logs from C++ straight to file descriptor 2, with time stamps and thread\n"
    "# ids, ignoring TF_CPP_MIN_LOG_LEVEL. Without fd capture those lines go to the kernel's own\n"
    "# stderr (a terminal or a log), not into the notebook; Python's sys.stderr is still captured.\n"
    "c.IPKernelApp.capture_fd_output = False\n"
)


def write_kernel_profile(ipython_dir: Path) -> Path:
    """An IPython directory whose kernels keep C-level log lines out of the notebook."""
    profile = Path(ipython_dir) / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.py").write_text(KERNEL_CONFIG, encoding="utf-8")
    return Path(ipython_dir)


@contextlib.contextmanager
def quiet_kernels():
    """Within the block, kernels started from this process use :func:`write_kernel_profile`."""
    old = os.environ.get("IPYTHONDIR")
    with tempfile.TemporaryDirectory(prefix="unit17-ipython-") as tmp:
        os.environ["IPYTHONDIR"] = str(write_kernel_profile(Path(tmp)))
        try:
            yield Path(tmp)
        finally:
            if old is None:
                os.environ.pop("IPYTHONDIR", None)
            else:
                os.environ["IPYTHONDIR"] = old


def execute(name: str, timeout: int = 600) -> float:
    """Run one master top to bottom (a failing cell raises) and store its outputs; seconds taken."""
    master = catalogue.get(name).master
    notebook = nbformat.read(master, as_version=4)
    started = time.perf_counter()
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(master.parent)}})
    with quiet_kernels():
        client.execute()
    elapsed = time.perf_counter() - started
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    master.write_text(dumps(notebook), encoding="utf-8")
    return elapsed

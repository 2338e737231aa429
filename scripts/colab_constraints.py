"""Write colab/constraints.txt: Colab's runtime versions of the packages the book touches.

Google publishes the package list of Colab's runtime in the repository
googlecolab/backend-info (``pip-freeze.txt``). The Colab check of the test
suite (``scripts/colab_check.py``, run by ``tests/test_colab_runtime.py``)
builds a virtual environment pinned to these versions and runs every chapter
and exercise master in it, the way a student's notebook runs on Colab.

Refresh it when Colab moves on (once a semester is enough)::

    curl -LO https://raw.githubusercontent.com/googlecolab/backend-info/main/pip-freeze.txt
    python scripts/colab_constraints.py pip-freeze.txt --date 2026-08-19 --source-commit a724079

Only ``name==version`` lines of the packages in :data:`PACKAGES` are kept: the
book's own imports, the kernel and notebook-execution stack Colab runs a
notebook with, and the compiled libraries TensorFlow and Keras load. The rest
of Colab's several hundred packages cannot change what a chapter computes.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "colab" / "constraints.txt"

# Installed into the Colab-equivalent environment, in this order of importance.
PACKAGES = [
    # what the chapters and labsupport import
    "tensorflow", "keras", "numpy", "scipy", "pandas", "matplotlib", "seaborn",
    "ipywidgets", "ipython",
    # how Colab runs a notebook's cells
    "ipykernel", "jupyter_client", "jupyter_core", "nbclient", "nbformat", "traitlets",
    "tornado", "pyzmq", "widgetsnbextension", "jupyterlab_widgets",
    # compiled pieces behind TensorFlow/Keras whose versions change numbers or break imports
    "ml_dtypes", "h5py", "protobuf", "tensorboard", "optree", "absl-py", "namex", "rich",
]


def canonical(name: str) -> str:
    """PEP 503 normalised project name (``Jupyter_Client`` -> ``jupyter-client``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_freeze(text: str) -> dict[str, tuple[str, str]]:
    """``{canonical name: (name as written, version)}`` of the ``name==version`` lines."""
    pins: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        match = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)\s*", line)
        if match:
            pins[canonical(match.group(1))] = (match.group(1), match.group(2))
    return pins


def constraints_text(freeze: str, date: str, source_commit: str) -> str:
    """The constraints file for ``freeze`` (the text of Colab's pip-freeze.txt)."""
    pins = parse_freeze(freeze)
    missing = [name for name in PACKAGES if canonical(name) not in pins]
    if missing:
        raise ValueError(f"pip-freeze.txt has no pinned version of: {', '.join(missing)}")
    lines = [
        "# Colab's runtime versions of the packages the book touches.",
        f"# From googlecolab/backend-info pip-freeze.txt, commit {source_commit}, dated {date}.",
        "# Regenerate with scripts/colab_constraints.py; used by scripts/colab_check.py.",
    ]
    lines += [f"{pins[canonical(name)][0]}=={pins[canonical(name)][1]}" for name in PACKAGES]
    return "\n".join(lines) + "\n"


def read_constraints(path: Path = OUTPUT) -> dict[str, str]:
    """``{canonical name: version}`` of a constraints file written by this script."""
    return {key: version for key, (_, version) in parse_freeze(path.read_text(encoding="utf-8")).items()}


def header_date(path: Path = OUTPUT) -> str:
    """The date of Colab's package list that ``path`` was made from (YYYY-MM-DD)."""
    match = re.search(r"dated (\d{4}-\d{2}-\d{2})", path.read_text(encoding="utf-8"))
    if not match:
        raise ValueError(f"{path}: no 'dated YYYY-MM-DD' in the header")
    return match.group(1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("freeze", type=Path, help="Colab's pip-freeze.txt")
    parser.add_argument("--date", required=True, help="date of that pip-freeze.txt (YYYY-MM-DD)")
    parser.add_argument("--source-commit", required=True, help="its commit in googlecolab/backend-info")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.date):
        raise SystemExit(f"--date must be YYYY-MM-DD, got {args.date!r}")
    text = constraints_text(args.freeze.read_text(encoding="utf-8"), args.date, args.source_commit)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(PACKAGES)} packages)")


if __name__ == "__main__":
    main()

"""Run the chapters and exercise masters in an environment pinned to Colab's runtime.

A student opens a chapter on Colab: Colab's own versions of TensorFlow, Keras,
NumPy, IPython, ipykernel ... plus whatever the notebook's set-up cell installs
(labsupport from the repository, with its dependencies). This script rebuilds
that situation on this machine and executes every notebook a student runs:

1. a virtual environment (``~/.cache/unit17-book/colab-venv``, or
   ``$UNIT17_COLAB_VENV``; reused while ``colab/constraints.txt``, this script's
   package list and the Python version are unchanged) with Colab's versions of the
   packages in ``colab/constraints.txt`` and nothing of the book's toolchain
   (no myst-nb, jupyter-book or sphinx);
2. labsupport installed from this checkout, non-editable and with its
   dependencies, exactly as the set-up cell's ``%pip install "labsupport @ git+..."``
   does on Colab; the script fails if that would change one of Colab's packages
   other than the widget packages the set-up cell deliberately upgrades;
3. ``notebooks/0*.ipynb`` (the Colab notebooks of the chapters) and the
   exercise masters ``exercises/source/*/*.ipynb`` executed one by one, each from
   a new empty temporary directory outside the repository
   (``scripts/colab_execute.py``); any cell error fails the check.

Usage::

    python scripts/colab_check.py                  # everything
    python scripts/colab_check.py notebooks/02-attention.ipynb   # some notebooks
    python scripts/colab_check.py --venv-only      # just (re)build the environment
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from colab_constraints import PACKAGES, canonical, read_constraints  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "colab" / "constraints.txt"
# Kept outside the checkout, so that a fresh clone on the same machine (CI)
# reuses it; rebuilt whenever the constraints, the package list or Python change.
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
VENV = Path(os.environ.get("UNIT17_COLAB_VENV", CACHE / "unit17-book" / "colab-venv"))
# labsupport needs ipywidgets 8 (the Colab set-up cell turns on Colab's widget
# manager for it), so installing it upgrades these three and adds comm; every
# other package must stay at Colab's version.
UPGRADED_BY_SETUP = {"ipywidgets", "widgetsnbextension", "jupyterlab-widgets"}


def notebooks() -> list[Path]:
    """The chapters' Colab notebooks and the exercise masters, in book order."""
    return sorted((ROOT / "notebooks").glob("0*.ipynb")) + sorted(
        (ROOT / "exercises" / "source").glob("*/*.ipynb"))


def clean_env() -> dict[str, str]:
    """This process's environment without the book venv: the Colab venv comes first."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "JUPYTER_PATH", "JUPYTER_CONFIG_DIR"}}
    book_bin = str(ROOT / ".venv" / "bin")
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != book_bin]
    env["PATH"] = os.pathsep.join([str(VENV / "bin"), *path])
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    # ipykernel 6.17's debugger warns about frozen modules on every kernel start.
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env.setdefault("KERAS_BACKEND", "tensorflow")
    return env


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run(cmd, check=True, env=clean_env(), **kwargs)


def stamp() -> str:
    text = CONSTRAINTS.read_text(encoding="utf-8") + "\n".join(PACKAGES) + sys.version
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_venv() -> Path:
    """Create (or reuse) the Colab-pinned environment; return its Python."""
    python = VENV / "bin" / "python"
    stamp_file = VENV / ".colab-stamp"
    if python.exists() and stamp_file.exists() and stamp_file.read_text() == stamp():
        return python
    shutil.rmtree(VENV, ignore_errors=True)
    run([sys.executable, "-m", "venv", str(VENV)])
    run([str(python), "-m", "pip", "install", "--quiet", "-c", str(CONSTRAINTS), *PACKAGES])
    stamp_file.write_text(stamp())
    return python


def installed(python: Path) -> dict[str, str]:
    out = subprocess.run([str(python), "-m", "pip", "list", "--format=json"], check=True,
                         capture_output=True, text=True, env=clean_env()).stdout
    return {canonical(p["name"]): p["version"] for p in json.loads(out)}


def install_labsupport(python: Path) -> None:
    """Install labsupport as the Colab set-up cell does; fail if it moves a Colab package."""
    subprocess.run([str(python), "-m", "pip", "uninstall", "--quiet", "--yes", "labsupport"],
                   env=clean_env(), capture_output=True)
    # Build from a copy: a non-editable install, like pip's "git+https://..." clone.
    with_build = ROOT / "_build" / "colab-src"
    shutil.rmtree(with_build, ignore_errors=True)
    shutil.copytree(ROOT, with_build, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "_build", "grading", "node_modules", "*.egg-info"))
    run([str(python), "-m", "pip", "install", "--quiet", str(with_build)])
    shutil.rmtree(with_build, ignore_errors=True)
    colab = read_constraints(CONSTRAINTS)
    now = installed(python)
    moved = {name: (version, now.get(name)) for name, version in colab.items()
             if name not in UPGRADED_BY_SETUP and now.get(name) != version}
    if moved:
        lines = [f"  {name}: Colab {old} -> {new}" for name, (old, new) in sorted(moved.items())]
        raise SystemExit("installing labsupport would change Colab's packages "
                         "(lower labsupport's requirement):\n" + "\n".join(lines))
    toolchain = sorted({"myst-nb", "jupyter-book", "sphinx"} & set(now))
    if toolchain:
        raise SystemExit(f"the Colab environment must not have the book toolchain: {toolchain}")
    print("Colab versions kept: " + ", ".join(
        f"{name} {now[name]}" for name in ("tensorflow", "keras", "numpy", "ipykernel", "ipython")),
        f"(ipywidgets {now.get('ipywidgets')} from the set-up cell)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: chapters and masters")
    parser.add_argument("--venv-only", action="store_true")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    python = ensure_venv()
    install_labsupport(python)
    print(f"environment ready in {time.perf_counter() - start:.0f} s", flush=True)
    if args.venv_only:
        return 0
    paths = [p.resolve() for p in args.notebooks] or notebooks()
    result = subprocess.run([str(python), str(ROOT / "scripts" / "colab_execute.py"), *map(str, paths)],
                            env=clean_env(), cwd=os.path.expanduser("~") if Path.home().exists() else "/")
    print(f"Colab check took {time.perf_counter() - start:.0f} s", flush=True)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())

"""The chapters and exercise masters run on Colab's package versions.

A student's notebook has what Colab has plus labsupport. The check
(``scripts/colab_check.py``) builds an environment pinned to Colab's runtime
(``colab/constraints.txt``), installs labsupport as the notebooks' set-up cell
does and executes every chapter and master from an empty directory outside the
repository. The cheap tests here check the pieces it relies on; the marked test
runs it (several minutes: part of ``make test``).
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import colab_check  # noqa: E402
import colab_constraints  # noqa: E402

TOOLCHAIN_MODULES = ("myst_nb", "jupyter_book", "sphinx", "jupytext", "nbgrader")


def code_cells(path: Path) -> list[str]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]


def test_constraints_file_is_what_the_script_writes(tmp_path):
    freeze = tmp_path / "pip-freeze.txt"
    pinned = [line for line in colab_constraints.OUTPUT.read_text().splitlines()
              if line and not line.startswith("#")]
    freeze.write_text("google-colab @ file:///colabtools\n" + "\n".join(reversed(pinned))
                      + "\nunrelated-package==1.0\n")
    date = colab_constraints.header_date()
    commit = re.search(r"commit (\w+)", colab_constraints.OUTPUT.read_text()).group(1)
    out = tmp_path / "constraints.txt"
    colab_constraints.main([str(freeze), "--date", date, "--source-commit", commit, "--output", str(out)])
    assert out.read_text() == colab_constraints.OUTPUT.read_text()


def test_constraints_pin_every_package_the_check_installs():
    pins = colab_constraints.read_constraints()
    assert {colab_constraints.canonical(p) for p in colab_constraints.PACKAGES} == set(pins)
    for name in ("tensorflow", "keras", "numpy", "ipykernel", "ipython", "nbclient"):
        assert re.fullmatch(r"\d+(\.\d+)+", pins[name]), name


def test_refresh_script_refuses_a_freeze_without_the_book_packages(tmp_path):
    freeze = tmp_path / "pip-freeze.txt"
    freeze.write_text("numpy==2.1.3\n")
    with pytest.raises(ValueError, match="tensorflow"):
        colab_constraints.main([str(freeze), "--date", "2026-01-01", "--source-commit", "x",
                                "--output", str(tmp_path / "c.txt")])


@pytest.mark.parametrize("path", colab_check.notebooks(), ids=lambda p: p.stem)
def test_student_notebooks_do_not_import_the_book_toolchain(path):
    """Colab has no myst-nb or jupyter-book: a chapter must not need them."""
    for source in code_cells(path):
        for module in TOOLCHAIN_MODULES:
            assert not re.search(rf"^\s*(from|import)\s+{module}\b", source, re.M), (path.name, module)


def test_check_covers_the_chapters_and_every_master():
    names = [p.name for p in colab_check.notebooks()]
    assert [n for n in names if n.startswith("0")] == [
        "01-bidirectional-rnn.ipynb", "02-attention.ipynb", "03-seq2seq-attention.ipynb"]
    assert len([n for n in names if n.startswith("ex")]) == len(list((ROOT / "exercises" / "source").iterdir()))


def test_readme_names_the_tested_colab_versions_and_date():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running a chapter", 1)[1].split("\n## ", 1)[0]
    pins = colab_constraints.read_constraints()
    assert colab_constraints.header_date() in section
    for name in ("tensorflow", "keras", "numpy"):
        assert f"{name} {pins[name]}" in section.lower(), name


@pytest.mark.colab
@pytest.mark.slow
def test_chapters_and_masters_run_on_colab_versions():
    """Every chapter and master executes without error in the Colab-pinned environment."""
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "colab_check.py")],
                            capture_output=True, text=True, timeout=75 * 60)
    log = result.stdout + result.stderr
    print(log[-20000:])
    assert result.returncode == 0, log[-6000:]
    ran = re.findall(r"^ok\s+\d+ s\s+(\S+)$", result.stdout, re.M)
    assert len(ran) == len(colab_check.notebooks()), log[-3000:]

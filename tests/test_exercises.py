"""The exercises: masters pass nbval, student versions run and are in sync, nothing leaks.

- every master (``exercises/source``) passes nbval: executed top to bottom,
  its stored outputs compared (sanitised only for TensorFlow's C++ log lines,
  memory addresses and Keras step timings: exercises/nbval_sanitize.cfg; the
  kernels run without file-descriptor capture, as when the masters were
  executed, so TensorFlow's C++ logging stays out of the outputs);
- every student version (``book/exercises``) passes nbval with, in each cell
  tagged ``raises-exception``, the expected output ``NotImplementedError:
  在此作答`` injected: so each such cell must raise exactly that, and every
  other cell must run without error;
- the student versions are what ``make student-versions`` makes from the
  masters today;
- no solution, hidden test or grading seed reaches a student version or the
  built HTML; every master states its learning goal, time and points, and
  its points table adds up to the points of its grade cells.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from unit17_grading import assignments as catalogue  # noqa: E402
from unit17_grading import student_versions  # noqa: E402
from unit17_grading.masters import write_kernel_profile  # noqa: E402

NAMES = sorted(catalogue.all_assignments())
HIDDEN_RE = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def _nbval(notebook: Path, sanitize: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env",
               "--nbval-cell-timeout=600", f"--nbval-sanitize-with={sanitize}",
               "-p", "no:cacheprovider", "-q", "--rootdir", str(tmp_path), str(notebook)]
    env = dict(os.environ, IPYTHONDIR=str(write_kernel_profile(tmp_path / "ipython")))
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_master_passes_nbval(name, tmp_path):
    master = catalogue.get(name).master
    copy = tmp_path / master.name
    copy.write_bytes(master.read_bytes())
    result = _nbval(copy, catalogue.COURSE / "nbval_sanitize.cfg", tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def _with_expected_stub_errors(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    for count, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "code" and "raises-exception" in cell.metadata.get("tags", []):
            cell.execution_count = count
            cell.outputs = [nbformat.v4.new_output(
                "error", ename="NotImplementedError", evalue="在此作答", traceback=[])]
    return notebook


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_student_version_runs_and_only_stubs_raise(name, tmp_path):
    path = catalogue.get(name).student_version
    notebook = _with_expected_stub_errors(path)
    tagged = [c for c in notebook.cells if "raises-exception" in c.metadata.get("tags", [])]
    has_auto_parts = any(part.kind == "auto" for part in catalogue.get(name).parts)
    assert bool(tagged) == has_auto_parts, "autograded parts need stubs and tests that fail unanswered"
    copy = tmp_path / path.name
    nbformat.write(notebook, copy)
    result = _nbval(copy, catalogue.COURSE / "nbval_sanitize_student.cfg", tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_student_versions_are_in_sync_with_masters():
    stale = student_versions.check()
    assert stale == [], f"run `make student-versions`: {stale} differ from their masters"


def test_student_versions_have_no_outputs_and_name_their_exercise():
    for name in NAMES:
        notebook = nbformat.read(catalogue.get(name).student_version, as_version=4)
        assert notebook.metadata["unit17"]["assignment"] == name
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None


def _secret_lines(master: nbformat.NotebookNode) -> set[str]:
    """Lines of solution regions and hidden tests that are specific enough to recognise."""
    secrets = set()
    for cell in master.cells:
        for region in catalogue.SOLUTION_RE.findall(cell.source) + HIDDEN_RE.findall(cell.source):
            for line in region.splitlines():
                line = line.strip()
                if len(line) >= 25 and not line.startswith(("#", "import ", "from ")):
                    secrets.add(line)
    return secrets


@pytest.mark.parametrize("name", NAMES)
def test_no_solution_or_hidden_test_in_student_version(name):
    assignment = catalogue.get(name)
    master = nbformat.read(assignment.master, as_version=4)
    student_text = assignment.student_version.read_text(encoding="utf-8")
    secrets = _secret_lines(master)
    assert secrets, "the master has no recognisable solution lines"
    leaked = [line for line in secrets if json.dumps(line, ensure_ascii=False)[1:-1] in student_text]
    assert leaked == []
    for marker in ("BEGIN SOLUTION", "HIDDEN TESTS", "_grading_rng"):
        assert marker not in student_text
    assert "在此作答" in student_text
    if any(part.kind == "auto" for part in assignment.parts):
        assert "NotImplementedError" in student_text


def test_built_html_has_no_master_or_solution():
    html_dir = ROOT / "_build" / "html"
    if not html_dir.exists():
        pytest.skip("the book has not been built (make book)")
    for page in html_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8", errors="replace")
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "_grading_rng"):
            assert marker not in text, f"{page} contains {marker}"
    assert not list(html_dir.rglob("exercises/source/*")), "masters were copied into the HTML"


POINTS_ROW = re.compile(r"^\|\s*(\d+[a-z]?)\s*\|[^|]*\|\s*(\d+(?:\.\d+)?)\s*\|", re.M)


@pytest.mark.parametrize("name", NAMES)
def test_master_states_goal_time_and_points(name):
    assignment = catalogue.get(name)
    intro = nbformat.read(assignment.master, as_version=4).cells[0].source
    for heading in ("學習目標", "預估時間", "總分", "配分"):
        assert heading in intro
    table_points = sum(float(points) for _, points in POINTS_ROW.findall(intro))
    assert table_points == assignment.max_points
    assert f"總分**：{assignment.max_points:g} 分" in intro


def test_every_part_has_points_and_manual_parts_have_a_rubric():
    for name in NAMES:
        assignment = catalogue.get(name)
        assert assignment.parts
        for part in assignment.parts:
            assert part.points > 0, (name, part.grade_id)
            if part.kind == "manual":
                assert len(part.rubric) > 50, f"{name}/{part.grade_id} needs a rubric in its solution region"


def test_exercise_index_links_every_student_version():
    index = (ROOT / "book" / "exercises" / "index.md").read_text(encoding="utf-8")
    for name in NAMES:
        assert f"<{name}.ipynb>" in index, f"no download link for {name}"
        assert f"colab.research.google.com/github/fcu-ispse/unit17-rnn-advanced-book/blob/main/book/exercises/{name}.ipynb" in index


def test_colab_cells_install_labsupport_from_this_repository():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    spec = f"labsupport @ git+{config['repository']['url']}.git@{config['repository'].get('branch', 'main')}"
    for name in NAMES:
        text = catalogue.get(name).student_version.read_text(encoding="utf-8")
        if "google.colab" in text:
            assert spec in text, f"{name}: the Colab cell should install {spec!r}"

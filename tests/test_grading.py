"""The grading command, proven on crafted submissions (tests/fixtures/submissions).

One class run grades every exercise-1 fixture together (as a folder from an
LMS would arrive) with short limits (5 s per cell, 1 GB of address space);
the tests below read its gradebook, feedback and side effects:

- correct → full marks; untouched → 0 for every code part, still a row;
- a part that raises, crashes its kernel, loops forever (with or without
  ignoring the interrupt) or hoards memory → 0 for that part only;
- megabytes of output → truncated in the feedback, full marks kept;
- edited, deleted and metadata-stripped test cells → graded with the
  instructor's tests; a notebook whose cell metadata is gone is still graded;
- an answer hard-coded to the visible examples → fails the hidden tests;
- a hostile submission (writes to the gradebook, another submission, the
  repository; reads the masters; connects to a listening port; kills its
  parent) changes nothing outside its scratch folder and no grade;
- malformed files (empty, not JSON, JSON but not a notebook, another
  exercise, not .ipynb) → a clear status, the run goes on.

Separate, smaller runs prove that an interrupted run (Ctrl-C, or a crash of
the grader by SIGKILL) loses no finished grade and resumes, that regrading
is byte-identical, that manual grades merge (and bad sheets are refused),
that a Keras exercise (4) is graded with its hidden tests, and that without
root the grader refuses to run student code rather than run it unsandboxed.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from unit17_grading import gradebook as book  # noqa: E402
from unit17_grading.sandbox import SandboxUnavailable, require_privileges  # noqa: E402
from unit17_grading.submissions import rebuild  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
EX1, EX2, EX4 = "ex1-bidirectional-use-cases", "ex2-attention-bottleneck", "ex4-simple-attention-layer"
PARTS1 = ["ex1a_test", "ex1b_test", "ex1c_test"]


def _sandbox_ok() -> bool:
    try:
        require_privileges()
    except SandboxUnavailable:
        return False
    return True


needs_sandbox = pytest.mark.skipif(not _sandbox_ok(), reason="the grading sandbox needs root and namespaces")


def grade_command(assignment: str, submissions: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "unit17_grading", "grade", assignment, str(submissions), "--out", str(out),
            "--cell-timeout", "5", "--memory-mb", "1024", "--submission-timeout", "300", *extra]


def run_grade(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(grade_command(*args), cwd=ROOT, capture_output=True, text=True, timeout=1800, **kwargs)


def read_gradebook(out: Path) -> dict[str, dict]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def scores(row: dict, parts=PARTS1) -> list[float]:
    return [float(row[part]) for part in parts]


def copy_fixtures(assignment: str, target: Path, names: list[str] | None = None) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted((FIXTURES / assignment).glob("*.ipynb")):
        if names is None or path.stem in names:
            shutil.copy(path, target / path.name)
    return target


def autograded_outputs(out: Path, student: str, assignment: str = EX1) -> dict[str, list[dict]]:
    path = out / ".work" / "students" / student / "autograded" / student / assignment / f"{assignment}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    return {c.metadata.get("nbgrader", {}).get("grade_id", f"cell{i}"): c.get("outputs", [])
            for i, c in enumerate(notebook.cells)}


def _digest(paths) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


class _Listener:
    """A TCP server on the host's loopback that records every connection."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections: list[tuple] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, address = self.server.accept()
            except OSError:
                continue
            self.connections.append(address)
            conn.close()

    def close(self):
        self._stop.set()
        self.thread.join()
        self.server.close()


# -- the class run ----------------------------------------------------------------

@pytest.fixture(scope="module")
def ex1_class(tmp_path_factory):
    if not _sandbox_ok():
        pytest.skip("the grading sandbox needs root and namespaces")
    base = tmp_path_factory.mktemp("class")
    subs, out = base / "submissions", base / "grading"
    copy_fixtures(EX1, subs)
    (subs / "readme.txt").write_text("instructions from the LMS, not a submission\n")
    listener = _Listener()
    hostile = (subs / "hostile.ipynb").read_text(encoding="utf-8")
    hostile = (hostile.replace("@@OUT@@", str(out)).replace("@@SUBMISSIONS@@", str(subs))
               .replace("@@PORT@@", str(listener.port)))
    (subs / "hostile.ipynb").write_text(hostile, encoding="utf-8")
    protected = [ROOT / "README.md", ROOT / "labsupport" / "__init__.py",
                 ROOT / "exercises" / "source" / EX1 / f"{EX1}.ipynb"]
    before_repo = _digest(protected)
    before_subs = _digest(sorted(subs.iterdir()))
    started = time.monotonic()
    result = run_grade(EX1, subs, out)
    elapsed = time.monotonic() - started
    listener.close()
    print(result.stdout)
    return SimpleNamespace(result=result, elapsed=elapsed, out=out, subs=subs, rows=read_gradebook(out),
                           before_repo=before_repo, after_repo=_digest(protected),
                           before_subs=before_subs, after_subs=_digest(sorted(subs.iterdir())),
                           connections=listener.connections, files=sorted(subs.iterdir()))


@pytest.mark.slow
def test_class_run_grades_every_file_and_finishes(ex1_class):
    assert ex1_class.result.returncode == 0, ex1_class.result.stderr[-3000:]
    assert set(ex1_class.rows) == {p.stem if p.suffix == ".ipynb" else p.name for p in ex1_class.files}
    print(f"class run: {len(ex1_class.rows)} files in {ex1_class.elapsed:.0f} s")


@pytest.mark.slow
def test_correct_submission_gets_full_marks(ex1_class):
    row = ex1_class.rows["correct"]
    assert scores(row) == [2, 2, 2] and row["total"] == "6" and row["status"] == "graded"


@pytest.mark.slow
def test_untouched_student_version_gets_zero_and_a_row(ex1_class):
    row = ex1_class.rows["untouched"]
    assert scores(row) == [0, 0, 0] and row["total"] == "0" and row["status"] == "graded"


@pytest.mark.slow
@pytest.mark.parametrize("student, error", [
    ("raises", "KeyError"), ("crash", "DeadKernelError"), ("infinite_loop", "KeyboardInterrupt"),
    ("uninterruptible_loop", "CellTimeoutError"), ("memory_hog", "MemoryError")])
def test_failing_part_loses_only_its_points(ex1_class, student, error):
    row = ex1_class.rows[student]
    assert scores(row) == [2, 0, 2], row
    names = [o.get("ename") for o in autograded_outputs(ex1_class.out, student)["ex1b_answer"]]
    assert error in names, names


@pytest.mark.slow
def test_output_flood_is_truncated_in_feedback(ex1_class):
    row = ex1_class.rows["output_flood"]
    assert scores(row) == [2, 2, 2]
    feedback = ex1_class.out / "feedback" / "output_flood.html"
    assert feedback.stat().st_size < 1_000_000  # the cell printed about 6 MB
    assert "已截斷" in feedback.read_text(encoding="utf-8")


@pytest.mark.slow
def test_edited_and_deleted_tests_are_graded_with_the_instructors_tests(ex1_class):
    # 1a answered wrongly but its test replaced by print(); 1b right but its test deleted;
    # 1c wrong and its test rewritten to `assert True` without metadata.
    row = ex1_class.rows["edited_tests"]
    assert scores(row) == [0, 2, 0]
    assert "graded with the originals" in row["detail"]


@pytest.mark.slow
def test_notebook_without_cell_metadata_is_still_graded(ex1_class):
    row = ex1_class.rows["metadata_stripped"]
    assert scores(row) == [2, 2, 2] and "metadata missing" in row["detail"]


@pytest.mark.slow
def test_hard_coded_answer_passes_visible_but_fails_hidden_tests(ex1_class, tmp_path):
    from nbclient import NotebookClient

    notebook = nbformat.read(FIXTURES / EX1 / "hardcoded.ipynb", as_version=4)
    NotebookClient(notebook, timeout=60, allow_errors=True, kernel_name="python3").execute()
    visible = {c.metadata["nbgrader"]["grade_id"]: c.outputs for c in notebook.cells
               if c.metadata.get("nbgrader", {}).get("grade_id") == "ex1c_test"}
    assert not any(o.output_type == "error" for o in visible["ex1c_test"]), "should pass the visible test"
    assert scores(ex1_class.rows["hardcoded"]) == [2, 2, 0]


@pytest.mark.slow
def test_hostile_submission_changes_nothing_outside_its_scratch_folder(ex1_class):
    assert ex1_class.after_repo == ex1_class.before_repo
    assert ex1_class.after_subs == ex1_class.before_subs
    assert ex1_class.connections == []
    assert not list(ROOT.glob("planted_by_student.txt")) and not list(ROOT.glob("labsupport/planted_by_student.txt"))
    assert not Path("/tmp/planted_by_student.txt").exists()
    assert "hostile,999" not in (ex1_class.out / "gradebook.csv").read_text(encoding="utf-8")
    assert json.loads((ex1_class.out / "results" / "correct.json").read_text())["student"] == "correct"
    stream = "".join(o.get("text", "") for o in autograded_outputs(ex1_class.out, "hostile")["ex1a_answer"])
    attempts = json.loads(stream[stream.index("{"):stream.rindex("}") + 1])
    assert not any(value in ("written", "connected") for key, value in attempts.items()
                   if not key.startswith("plant in /tmp")), attempts
    assert attempts["read master notebook"] in ("FileNotFoundError", "PermissionError")
    assert attempts["read gradebook"] in ("FileNotFoundError", "PermissionError")
    assert all(not found for key, found in attempts.items() if key.startswith("found ") and "json" not in key)
    # It answered everything correctly and killing its parent achieved nothing.
    assert scores(ex1_class.rows["hostile"]) == [2, 2, 2]
    assert {"os.kill", "socket"} <= set(ex1_class.rows["hostile"]["flags"].split())


@pytest.mark.slow
@pytest.mark.parametrize("student, status, words", [
    ("empty", "invalid-file", "empty file"),
    ("not_json", "invalid-file", "not UTF-8"),
    ("not_a_notebook", "not-a-notebook", "JSON without"),
    ("wrong_exercise", "wrong-exercise", "ex3-self-attention-paths"),
    ("readme.txt", "invalid-file", "not an .ipynb file"),
])
def test_malformed_files_get_a_clear_status(ex1_class, student, status, words):
    row = ex1_class.rows[student]
    assert row["status"] == status and words in row["detail"] and row["total"] == "0"


@pytest.mark.slow
def test_feedback_shows_results_but_not_hidden_tests(ex1_class):
    text = (ex1_class.out / "feedback" / "correct.html").read_text(encoding="utf-8")
    assert "1c：公開測試通過" in text
    assert "_grading_rng" not in text and "HIDDEN TESTS" not in text


# -- interrupted runs, resuming, idempotence -----------------------------------------

def _interrupt_after_first_result(subs: Path, out: Path, how: int) -> int:
    process = subprocess.Popen(grade_command(EX1, subs, out), cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 600
    while not list((out / "results").glob("*.json")):
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline
        time.sleep(0.1)
    process.send_signal(how)
    process.wait(timeout=120)
    return process.returncode


def _workers_of(out: Path) -> list[str]:
    """Command lines of grading workers (or their kernels) still running for ``out``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if ("unit17_grading.worker" in args or "sandbox_init" in args) and str(out) in args:
            found.append(args)
    return found


@needs_sandbox
@pytest.mark.slow
def test_interrupted_run_keeps_finished_grades_resumes_and_regrades_identically(tmp_path):
    subs = copy_fixtures(EX1, tmp_path / "submissions", ["correct", "raises", "not_json"])

    # Ctrl-C after the first student: that result stays, the run says how to go on.
    out = tmp_path / "ctrl-c"
    assert _interrupt_after_first_result(subs, out, signal.SIGINT) == 130
    finished = {p.stem for p in (out / "results").glob("*.json")}
    assert finished and all(book.read_json(out / "results" / f"{s}.json") for s in finished)
    assert set(read_gradebook(out)) == finished
    rerun = run_grade(EX1, subs, out)
    assert rerun.returncode == 0 and "unchanged since the last run, kept" in rerun.stdout
    reference = (out / "gradebook.csv").read_bytes()
    assert set(read_gradebook(out)) == {"correct", "raises", "not_json"}

    # Regrading everything gives the same bytes; so does a run that skips everyone.
    assert run_grade(EX1, subs, out, "--force").returncode == 0
    assert (out / "gradebook.csv").read_bytes() == reference
    again = run_grade(EX1, subs, out)
    assert again.stdout.count("kept") == 3 and (out / "gradebook.csv").read_bytes() == reference

    # The grader killed outright (power cut, OOM killer): no grade lost, no worker left behind.
    out = tmp_path / "killed"
    _interrupt_after_first_result(subs, out, signal.SIGKILL)
    time.sleep(1)
    assert _workers_of(out) == []
    assert all(book.read_json(p) for p in (out / "results").glob("*.json"))
    assert run_grade(EX1, subs, out).returncode == 0
    assert (out / "gradebook.csv").read_bytes() == reference


# -- manual grading -------------------------------------------------------------------

@needs_sandbox
@pytest.mark.slow
def test_manual_parts_go_to_a_sheet_and_merge_back(tmp_path):
    subs = copy_fixtures(EX2, tmp_path / "submissions")
    out = tmp_path / "grading"
    assert run_grade(EX2, subs, out).returncode == 0
    rows = read_gradebook(out)
    assert rows["answered"]["status"] == "needs-manual" and rows["answered"]["ex2_answer"] == ""
    assert rows["untouched"]["status"] == "graded" and rows["untouched"]["total"] == "0"
    sheet = book.read_sheet(out / "manual.csv")
    assert [(r["student"], r["part"], r["max_points"]) for r in sheet] == [("answered", "ex2_answer", "6")]
    assert "固定長度" in sheet[0]["answer"] and "評分規準" in sheet[0]["rubric"]

    def write_sheet(points: str, student: str = "answered") -> None:
        sheet[0].update(points=points, comment="瓶頸與計算都說清楚了，缺化工例子。", student=student)
        with open(out / "manual.csv", "w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.DictWriter(handle, fieldnames=book.MANUAL_FIELDS)
            writer.writeheader()
            writer.writerows(sheet)

    merge = [sys.executable, "-m", "unit17_grading", "merge", EX2, "--out", str(out)]
    before = (out / "gradebook.csv").read_bytes()
    for bad, student in (("9", "answered"), ("很好", "answered"), ("5", "nobody")):
        write_sheet(bad, student)
        refused = subprocess.run(merge, cwd=ROOT, capture_output=True, text=True)
        assert refused.returncode == 2 and "not merged" in refused.stderr
        assert (out / "gradebook.csv").read_bytes() == before
    write_sheet("5")
    merged = subprocess.run(merge, cwd=ROOT, capture_output=True, text=True)
    assert merged.returncode == 0, merged.stderr
    row = read_gradebook(out)["answered"]
    assert row["ex2_answer"] == "5" and row["total"] == "5" and row["status"] == "graded"
    assert "缺化工例子" in (out / "feedback" / "answered.html").read_text(encoding="utf-8")
    # A later grading run keeps the merged grade.
    assert run_grade(EX2, subs, out).returncode == 0
    assert read_gradebook(out)["answered"]["total"] == "5"


# -- a Keras exercise ------------------------------------------------------------------

@needs_sandbox
@pytest.mark.slow
def test_keras_exercise_is_graded_with_hidden_tests(tmp_path):
    subs = copy_fixtures(EX4, tmp_path / "submissions")
    out = tmp_path / "grading"
    result = subprocess.run(grade_command(EX4, subs, out)[:-6] + ["--cell-timeout", "120"],
                            cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = read_gradebook(out)
    parts = ["ex4a_test", "ex4b_test", "ex4c_test", "ex4d_test"]
    assert scores(rows["correct"], parts) == [2, 4, 2, 2]
    assert scores(rows["mask_raises"], parts) == [2, 4, 0, 2]


# -- refusing to run unsandboxed --------------------------------------------------------

def test_without_root_the_grader_refuses_instead_of_running_unsandboxed(tmp_path, monkeypatch, capsys):
    from unit17_grading.__main__ import main

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    subs = copy_fixtures(EX1, tmp_path / "submissions", ["correct"])
    out = tmp_path / "grading"
    assert main(["grade", EX1, str(subs), "--out", str(out)]) == 3
    message = capsys.readouterr().err
    assert "needs root" in message and "--no-sandbox" in message
    assert not (out / "results").exists() or not list((out / "results").iterdir())


def test_check_sandbox_command_reports_the_same():
    result = subprocess.run([sys.executable, "-m", "unit17_grading", "check-sandbox"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == (0 if _sandbox_ok() else 3)


# -- pure parts --------------------------------------------------------------------------

def test_crafted_submissions_are_up_to_date():
    sys.path.insert(0, str(FIXTURES))
    import make_submissions

    stale = [str(p.relative_to(ROOT)) for p, data in make_submissions.render().items()
             if not p.exists() or p.read_bytes() != data]
    assert stale == [], "run python tests/fixtures/submissions/make_submissions.py"


def _skeleton():
    return nbformat.read(ROOT / "book" / "exercises" / f"{EX1}.ipynb", as_version=4)


def test_rebuild_keeps_answers_and_extra_cells_and_restores_instructor_cells():
    skeleton = _skeleton()
    student = nbformat.read(FIXTURES / EX1 / "edited_tests.ipynb", as_version=4)
    helper = nbformat.v4.new_code_cell("def helper():\n    return 1\n")
    student.cells.insert(3, helper)
    rebuilt, report = rebuild(student, skeleton)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in rebuilt.cells]
    skeleton_ids = [c.metadata["nbgrader"]["grade_id"] for c in skeleton.cells]
    assert [i for i in ids if i] == skeleton_ids  # every instructor cell, in order
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in rebuilt.cells}
    skeleton_by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in skeleton.cells}
    for test in PARTS1:
        assert by_id[test].source == skeleton_by_id[test].source
    assert by_id["ex1a_answer"].source.strip() == 'unsuitable_case = "A"'
    assert helper.source in [c.source for c in rebuilt.cells]
    assert rebuilt.cells[ids.index("ex1a_question") + 1].source == helper.source  # where the student put it
    assert set(report.instructor_cells_restored) == set(PARTS1)


def test_sheet_validation_lists_every_problem():
    from unit17_grading import assignments as catalogue

    assignment = catalogue.get(EX2)
    rows = [{"student": "a", "part": "ex2_answer", "points": "7"},
            {"student": "b", "part": "ex2_answer", "points": "x"},
            {"student": "zz", "part": "ex2_answer", "points": "1"},
            {"student": "a", "part": "nope", "points": "1"},
            {"student": "b", "part": "ex2_answer", "points": ""}]
    with pytest.raises(book.SheetError) as error:
        book.parse_sheet(assignment, rows, {"a", "b"})
    message = str(error.value)
    assert "line 2" in message and "line 3" in message and "line 4" in message and "line 5" in message
    assert book.parse_sheet(assignment, [{"student": "a", "part": "ex2_answer", "points": "4.5",
                                          "comment": " ok "}], {"a"}) == {("a", "ex2_answer"): (4.5, "ok")}


def test_atomic_write_leaves_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "gradebook.csv"
    book.write_atomic(target, "old\n")

    with pytest.raises(TypeError):
        book.write_atomic(target, object())  # type: ignore[arg-type]
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["gradebook.csv"]

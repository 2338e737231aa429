"""Grade a folder of submissions: the instructor's one command.

    python -m unit17_grading grade ASSIGNMENT SUBMISSIONS_DIR [--out DIR] ...
    (or: make grade ASSIGNMENT=... SUBMISSIONS=...)

For every file in the folder (one per student; the file name without
``.ipynb`` is the student id) the grader

1. classifies the file (not JSON, not a notebook, another exercise → a
   status in the gradebook, no crash);
2. rebuilds it on the released notebook (:mod:`unit17_grading.submissions`);
3. runs nbgrader autograde + generate_feedback in a worker process with its
   own PID and mount namespaces and a wall-clock limit; the student's kernel
   runs in the sandbox of :mod:`unit17_grading.sandbox`;
4. writes the student's result and feedback atomically, then the gradebook
   and the manual sheet.

A student whose submission and grading settings are unchanged since the
last run is skipped, so an interrupted run (Ctrl-C, a crash, a reboot) picks
up where it stopped; ``--force`` regrades everyone.
"""
from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

import nbformat

from unit17_grading import assignments as catalogue
from unit17_grading import gradebook as book
from unit17_grading.sandbox import Limits, SandboxUnavailable, require_privileges
from unit17_grading.submissions import (InputRejected, Signature, read_input, read_submission, rebuild,
                                        safe_slug, student_id_from_path)

ROOT = catalogue.ROOT
# Patterns worth a human look; they do not change the score.
SUSPICIOUS = {
    "os.kill": r"\bos\.kill\b|\bkillpg\b",
    "subprocess": r"\bsubprocess\b|\bos\.system\b|\bos\.popen\b|\bpty\b",
    "socket": r"\bsocket\b|\burllib\b|\brequests\b|\bhttp\.client\b",
    "ctypes": r"\bctypes\b|\bcffi\b",
    "signal": r"\bsignal\.signal\b",
    "ipython-internals": r"get_ipython\(\)\.(?!run_line_magic\(['\"]matplotlib)|\bIPython\.core\b",
    "builtins": r"\b__builtins__\b|\bbuiltins\b",
    "sys-modules": r"\bsys\.modules\b|\bimportlib\b",
    "tracing": r"\bsys\.settrace\b|\bsys\.setprofile\b|\binspect\.",
    "file-io-outside": r"open\(\s*['\"]/(?!tmp)",
}


class GradingError(RuntimeError):
    """A problem with the grading run itself (not with a submission)."""


@dataclasses.dataclass
class Options:
    assignment: str
    submissions: Path
    out: Path
    cell_timeout_s: int = 120
    submission_timeout_s: int = 1800
    limits: Limits = dataclasses.field(default_factory=Limits)
    max_output_bytes: int = 200_000
    max_output_lines: int = 300
    force: bool = False
    sandbox: bool = True
    trusted_tests: bool = False
    jobs: int = 1  # submissions graded at the same time (one worker process each)
    shard: tuple[int, int] = (1, 1)  # grade only the K-th of N shares of the students (K, N)

    def fingerprint(self, master_bytes: bytes) -> str:
        """What, besides the submission, decides a grade: master, limits, grader code."""
        digest = hashlib.sha256(master_bytes)
        settings = {"cell_timeout_s": self.cell_timeout_s, "limits": dataclasses.asdict(self.limits),
                    "max_output_bytes": self.max_output_bytes, "max_output_lines": self.max_output_lines,
                    "sandbox": self.sandbox, "trusted_tests": self.trusted_tests}
        digest.update(json.dumps(settings, sort_keys=True).encode())
        for module in sorted(Path(__file__).parent.glob("*.py")):
            digest.update(module.read_bytes())
        return digest.hexdigest()


def log(message: str) -> None:
    print(message, flush=True)


def _flags(notebook: nbformat.NotebookNode) -> list[str]:
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code"
                     and not cell.metadata.get("nbgrader", {}).get("locked"))
    return sorted(name for name, pattern in SUSPICIOUS.items() if re.search(pattern, code))


def _template(assignment: catalogue.Assignment, work: Path) -> tuple[Path, nbformat.NotebookNode]:
    """nbgrader generate_assignment once per run: the gradebook template and the skeleton."""
    from unit17_grading.student_versions import release

    template = work / "template"
    if template.exists():
        shutil.rmtree(template)
    template.mkdir(parents=True)
    released = release([assignment.name], template)
    return template, nbformat.read(released[assignment.name], as_version=4)


def _signatures(name: str, skeleton: nbformat.NotebookNode) -> dict[str, Signature]:
    """Every exercise's signature (from the student versions; ours from the fresh skeleton)."""
    signatures = {}
    for other, assignment in catalogue.all_assignments().items():
        if other == name:
            signatures[other] = Signature.of(skeleton)
        elif assignment.student_version.exists():
            signatures[other] = Signature.of(nbformat.read(assignment.student_version, as_version=4))
        else:
            signatures[other] = Signature(assignment.grade_ids, frozenset())
    return signatures


def _matplotlib_fontlists() -> list[str]:
    try:
        import matplotlib

        cache = Path(matplotlib.get_cachedir())
    except Exception:
        return []
    return [str(p) for p in cache.glob("fontlist-*.json")]


class _Stop(BaseException):
    """Raised by the stop signals; a BaseException, so that no ``except Exception`` on the way swallows it."""


_stop_requested = False


def _raise_stop(signum, frame):
    """Ctrl-C (SIGINT), SIGTERM, SIGHUP: remember the request, then interrupt whatever runs.

    The flag makes the stop certain: if a library swallows the exception (a bare ``except:``),
    the grading loop still sees the request before the next student and after the last one.
    """
    global _stop_requested
    _stop_requested = True
    raise _Stop()


_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()


def _kill_running() -> None:
    """Stop every grading worker of this run (a stop request with several jobs at once)."""
    with _running_lock:
        processes = list(_running)
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _run_worker(job: dict, options: Options, course: Path) -> tuple[dict | None, str]:
    """Run one worker; (its result, '') or (None, why it failed)."""
    job_path = course / "job.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    worker = [sys.executable, "-m", "unit17_grading.worker", str(job_path)]
    command = (["unshare", "--mount", "--pid", "--fork", "--kill-child", "--"] + worker
               if options.sandbox else worker)
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED="0")
    with open(course / "worker.log", "wb") as worker_log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=worker_log,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=_die_with_parent)
        with _running_lock:
            _running.add(process)
        try:
            process.wait(timeout=options.submission_timeout_s)
        except subprocess.TimeoutExpired:
            _kill(process)
            return None, f"grading stopped after {options.submission_timeout_s} s (time limit per submission)"
        except BaseException:
            _kill(process)
            raise
        finally:
            with _running_lock:
                _running.discard(process)
    result = book.read_json(course / "result.json")
    if result is None:
        tail = (course / "worker.log").read_text(encoding="utf-8", errors="replace")[-2000:]
        return None, f"the grading worker ended without a result (exit {process.returncode}): {tail}"
    return result, ""


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL when the grader dies (even by SIGKILL)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _failed_result(base: dict, assignment: catalogue.Assignment, status: str, detail: str) -> dict:
    parts = {p.grade_id: {"kind": p.kind, "score": 0.0, "max": p.points, **({"auto_zero": True} if p.kind == "manual" else {})}
             for p in assignment.parts}
    return {**base, "status": status, "detail": detail, "parts": parts, "feedback": None}


def _read(path: Path) -> tuple[bytes | None, InputRejected | None, str]:
    """(content, None, its sha256) or (None, why it is not read, a digest of that reason)."""
    try:
        raw = read_input(path)
    except InputRejected as rejected:
        return None, rejected, hashlib.sha256(f"rejected: {rejected.detail}".encode()).hexdigest()
    return raw, None, hashlib.sha256(raw).hexdigest()


def grade_one(path: Path, assignment: catalogue.Assignment, options: Options, paths: dict,
              skeleton: nbformat.NotebookNode, fingerprint: str, signatures: dict,
              read: tuple | None = None) -> dict:
    raw, rejected, digest = read or _read(path)
    student = student_id_from_path(path)
    slug = safe_slug(student)
    base = {"student": student, "slug": slug, "file": path.name,
            "submission_sha256": digest, "fingerprint": fingerprint, "flags": []}
    if rejected is not None:
        return _failed_result(base, assignment, rejected.status, rejected.detail)
    try:
        return _grade_read(path, raw, base, assignment, options, paths, skeleton, signatures)
    except Exception as error:  # this student's grading failed; the class run goes on
        import traceback

        log(f"  grader error for {path.name}: {traceback.format_exc(limit=-3)}")
        return _failed_result(base, assignment, "grader-error",
                              f"grading {path.name} failed: {type(error).__name__}: {str(error)[:300]}")


def _grade_read(path: Path, raw: bytes, base: dict, assignment: catalogue.Assignment, options: Options,
                paths: dict, skeleton: nbformat.NotebookNode, signatures: dict) -> dict:
    submission = read_submission(path, signatures, assignment.name, raw)
    slug = base["slug"]
    if submission.status != "ok":
        return _failed_result(base, assignment, submission.status, submission.detail)

    rebuilt, report = rebuild(submission.notebook, skeleton)
    notes = ([submission.detail] if submission.detail else []) + report.notes()
    base["flags"] = _flags(rebuilt)
    students_dir = paths["work"] / "students"
    course = students_dir / f"{slug}.partial"
    if course.exists():
        shutil.rmtree(course)
    shutil.copytree(paths["template"], course, ignore=shutil.ignore_patterns("release"))
    os.chmod(course, 0o700)
    nbformat.write(rebuilt, course / "rebuilt.ipynb")
    area = Path(tempfile.mkdtemp(prefix="u17g-"))
    job = {
        "assignment": assignment.name, "notebook": assignment.notebook, "student_slug": slug,
        "course": str(course), "rebuilt": str(course / "rebuilt.ipynb"), "area": str(area),
        "cell_timeout_s": options.cell_timeout_s, "limits": dataclasses.asdict(options.limits),
        "max_output_bytes": options.max_output_bytes, "max_output_lines": options.max_output_lines,
        "sandbox": options.sandbox, "matplotlib_fontlists": _matplotlib_fontlists(),
        "trusted_tests": options.trusted_tests,
    }
    try:
        outcome, failure = _run_worker(job, options, course)
    finally:
        shutil.rmtree(area, ignore_errors=True)
    if outcome is None:
        status = "timeout" if "time limit" in failure else "grader-error"
        return _failed_result(base, assignment, status, failure)
    if not outcome.get("autograde_ok"):
        return _failed_result(base, assignment, "grader-error",
                              "nbgrader autograde failed: " + outcome.get("error", "")[-500:])

    answers = {}
    for cell in rebuilt.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid:
            answers[gid] = cell.source
    parts = {}
    scored = {row["part"]: row for row in outcome.get("parts", [])}
    for part in assignment.parts:
        row = scored.get(part.grade_id)
        if row is None:
            parts[part.grade_id] = {"kind": part.kind, "score": 0.0, "max": part.points}
            continue
        entry = {"kind": part.kind, "max": part.points}
        if part.kind == "manual":
            if row["needs_manual_grade"]:
                entry.update(score=None, answer=answers.get(part.grade_id, ""))
            else:
                entry.update(score=float(row["score"] or 0), auto_zero=True)
        else:
            entry["score"] = float(row["score"] or 0)
        parts[part.grade_id] = entry

    final = students_dir / slug
    if final.exists():
        shutil.rmtree(final)
    os.replace(course, final)
    feedback_rel = None
    if outcome.get("feedback"):
        source = Path(str(outcome["feedback"]).replace(str(course), str(final), 1))
        feedback_rel = f"feedback/{slug}.html"
        book.write_atomic(paths["out"] / feedback_rel, source.read_bytes())
    return {**base, "status": "graded", "detail": "; ".join(notes), "parts": parts,
            "feedback": feedback_rel}


def _paths(out: Path) -> dict:
    paths = {"out": out, "results": out / "results", "feedback": out / "feedback", "work": out / ".work"}
    for key in ("results", "feedback", "work"):
        paths[key].mkdir(parents=True, exist_ok=True)
    os.chmod(paths["work"], 0o700)
    if book.OWNER is not None:
        for key in ("out", "results", "feedback"):
            os.chown(paths[key], *book.OWNER)
    return paths


def refresh_outputs(assignment: catalogue.Assignment, out: Path, students: list[str]) -> None:
    """Rewrite gradebook.csv and manual.csv from the results of ``students``."""
    from unit17_grading.manual import apply_sheet

    results = [r for r in (book.read_json(out / "results" / f"{safe_slug(s)}.json") for s in students) if r]
    sheet = out / "manual.csv"
    book.write_atomic(sheet, book.manual_sheet_csv(assignment, results, book.read_sheet(sheet)))
    apply_sheet(assignment, out, students, strict=False)
    results = [r for r in (book.read_json(out / "results" / f"{safe_slug(s)}.json") for s in students) if r]
    book.write_atomic(out / "gradebook.csv", book.gradebook_csv(assignment, results))


def grade(options: Options) -> int:
    assignment = catalogue.get(options.assignment)
    if not options.submissions.is_dir():
        raise GradingError(f"submissions folder {options.submissions} does not exist")
    if options.sandbox:
        require_privileges()
        from unit17_grading import cgroups

        cgroups.remove_stale()
    if os.environ.get("SUDO_UID", "").isdigit() and os.environ.get("SUDO_GID", "").isdigit():
        book.OWNER = (int(os.environ["SUDO_UID"]), int(os.environ["SUDO_GID"]))
    paths = _paths(options.out)
    lock = open(options.out / ".lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise GradingError(f"another grading run is using {options.out}") from None

    files = []
    for entry in sorted(options.submissions.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir() and not entry.is_symlink():
            log(f"{entry.name}/: a folder, not a submission; skipped")
            continue
        files.append(entry)  # regular files, and links, FIFOs, devices: each gets a row saying what it is
    master_bytes = assignment.master.read_bytes()
    fingerprint = options.fingerprint(master_bytes)
    paths["template"], skeleton = _template(assignment, paths["work"])
    signatures = _signatures(assignment.name, skeleton)

    global _stop_requested
    _stop_requested = False
    previous_handlers = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    students: list[str] = []
    all_students = list(dict.fromkeys(student_id_from_path(p) for p in files))
    counts = {"graded": 0, "skipped": 0}
    started = time.monotonic()
    log(f"Grading {len(files)} file(s) of {assignment.name} into {options.out}"
        + ("" if options.sandbox else "  [NO SANDBOX: student code runs with your privileges]"))
    shard, shards = options.shard
    if shards > 1:
        mine = set(all_students[shard - 1::shards])
        files = [p for p in files if student_id_from_path(p) in mine]
        all_students = [s for s in all_students if s in mine]
        log(f"Shard {shard}/{shards}: {len(files)} file(s)")
    jobs = max(1, options.jobs)
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade") if jobs > 1 else None
    pending: dict = {}

    def finish(index: int, path: Path, student: str, result_path: Path, result: dict, tick: float) -> None:
        try:
            book.write_json(result_path, result)
        except Exception as error:  # e.g. text that cannot be written as UTF-8
            result = _failed_result({k: result[k] for k in ("student", "slug", "file", "submission_sha256",
                                                             "fingerprint", "flags")},
                                    assignment, "grader-error",
                                    f"writing the result of {path.name} failed: {type(error).__name__}")
            book.write_json(result_path, result)
        refresh_outputs(assignment, options.out, all_students)
        counts["graded"] += 1
        log(f"[{index}/{len(files)}] {student}: {book.final_status(result)}, "
            f"{book.result_total(result):g}/{assignment.max_points:g} points "
            f"({time.monotonic() - tick:.0f} s)" + (f" — {result['detail']}" if result.get("detail") else ""))

    def collect(block: bool) -> None:
        if not pending:
            return
        done, _ = wait(list(pending), timeout=None if block else 0, return_when=FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: pending[f][0]):
            if _stop_requested:
                return
            index, path, student, result_path, tick = pending.pop(future)
            finish(index, path, student, result_path, future.result(), tick)

    try:
        for index, path in enumerate(files, start=1):
            if _stop_requested:
                raise _Stop()
            student = student_id_from_path(path)
            if student in students:
                log(f"[{index}/{len(files)}] {path.name}: skipped, a second file for student {student}")
                continue
            students.append(student)
            result_path = paths["results"] / f"{safe_slug(student)}.json"
            read = _read(path)
            digest = read[2]
            old = book.read_json(result_path)
            if (not options.force and old and old.get("submission_sha256") == digest
                    and old.get("fingerprint") == fingerprint):
                counts["skipped"] += 1
                log(f"[{index}/{len(files)}] {student}: unchanged since the last run, kept")
                continue
            tick = time.monotonic()
            if pool is None:
                result = grade_one(path, assignment, options, paths, skeleton, fingerprint, signatures, read)
                if _stop_requested:
                    raise _Stop()
                finish(index, path, student, result_path, result, tick)
                continue
            while len(pending) >= jobs:
                collect(block=True)
                if _stop_requested:
                    raise _Stop()
            future = pool.submit(grade_one, path, assignment, options, paths, skeleton, fingerprint,
                                 signatures, read)
            pending[future] = (index, path, student, result_path, tick)
        while pending:
            collect(block=True)
            if _stop_requested:
                raise _Stop()
        if _stop_requested:
            raise _Stop()
        refresh_outputs(assignment, options.out, all_students)
    except (KeyboardInterrupt, _Stop):
        _kill_running()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            pool = None
        # Every student of the folder with a result on disk (this run's or an earlier one's).
        refresh_outputs(assignment, options.out, all_students)
        log(f"Interrupted: {counts['graded']} graded in this run, every finished result is saved; "
            "run the same command again to continue.")
        return 130
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
        for sig, handler in previous_handlers.items():
            signal.signal(sig, handler)
        lock.close()
    log(f"Done in {time.monotonic() - started:.0f} s: {counts['graded']} graded, {counts['skipped']} unchanged. "
        f"Gradebook: {options.out / 'gradebook.csv'}; written parts to grade: {options.out / 'manual.csv'}")
    return 0


def merge_shards(assignment_name: str, shards: list[Path], out: Path) -> int:
    """One output folder from the folders of ``--shard K/N`` runs (results, feedback, work, sheets)."""
    assignment = catalogue.get(assignment_name)
    paths = _paths(out)
    previous = book.read_sheet(out / "manual.csv")
    students = []
    for shard in shards:
        for result_path in sorted((shard / "results").glob("*.json")):
            result = book.read_json(result_path)
            if not result:
                continue
            students.append(result["student"])
            book.write_json(paths["results"] / result_path.name, result)
            slug = result_path.stem
            feedback = shard / "feedback" / f"{slug}.html"
            if feedback.is_file():
                book.write_atomic(paths["feedback"] / feedback.name, feedback.read_bytes())
            work = shard / ".work" / "students" / slug
            if work.is_dir():
                target = paths["work"] / "students" / slug
                if target.exists():
                    shutil.rmtree(target)
                shutil.copytree(work, target, symlinks=True)
        previous += book.read_sheet(shard / "manual.csv")
    results = [r for r in (book.read_json(paths["results"] / f"{safe_slug(s)}.json") for s in students) if r]
    book.write_atomic(out / "manual.csv", book.manual_sheet_csv(assignment, results, previous))
    refresh_outputs(assignment, out, sorted(set(students)))
    log(f"Merged {len(shards)} shard(s), {len(set(students))} student(s) into {out}")
    return 0


__all__ = ["Options", "grade", "merge_shards", "GradingError", "SandboxUnavailable"]

"""The grading output folder: per-student results, the gradebook CSV, the manual sheet.

Layout of ``grading/<assignment>/`` (or ``--out``)::

    gradebook.csv          student, one column per part, total, max_total, status, detail, flags
    manual.csv             the sheet to fill in: one row per student and written part
    feedback/<student>.html
    results/<student>.json the grader's record of each student (what resumes a run)
    .work/                 nbgrader course directories (root only; not for students)

Every file is written atomically (a temporary file in the same folder,
flushed to disk, then renamed over the old one), so an interrupted run never
leaves a half-written file, and a finished student's result is never lost.
The gradebook is a pure function of the result files of the students in the
submissions folder (sorted by student id), so regrading the same submissions
gives the same bytes.
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from unit17_grading.assignments import Assignment

MANUAL_FIELDS = ["student", "part", "max_points", "points", "comment", "answer", "rubric"]
# Who should own the files the instructor reads and edits (set from SUDO_UID by the
# grading command, so `sudo make grade` leaves files the instructor can edit).
OWNER: tuple[int, int] | None = None


class SheetError(ValueError):
    """The manual sheet has entries that cannot be merged (the message lists them)."""


def write_atomic(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        if OWNER is not None:
            os.fchown(fd, *OWNER)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def write_json(path: Path, value: dict) -> None:
    write_atomic(path, json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# A cell starting with one of these is a formula to spreadsheet programs (=HYPERLINK(...), +cmd,
# -2+3, @SUM): written with a leading apostrophe, which the programs show as text; removed again
# when the grader reads its own sheets back.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: str) -> str:
    """A CSV cell that a spreadsheet program will not evaluate."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def restore(value: str) -> str:
    """The inverse of :func:`neutralize`."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _points(value: float | None) -> str:
    if value is None:
        return ""
    return f"{float(value):g}"


def result_total(result: dict) -> float:
    return sum(float(p["score"]) for p in result["parts"].values() if p.get("score") is not None)


def final_status(result: dict) -> str:
    """graded / needs-manual for graded work; the failure status otherwise."""
    if result["status"] not in ("graded", "needs-manual"):
        return result["status"]
    pending = any(p["kind"] == "manual" and p.get("score") is None for p in result["parts"].values())
    return "needs-manual" if pending else "graded"


def gradebook_csv(assignment: Assignment, results: list[dict]) -> str:
    """The gradebook: one row per student, sorted by student id."""
    part_ids = [part.grade_id for part in assignment.parts]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *part_ids, "total", "max_total", "status", "detail", "flags"])
    for result in sorted(results, key=lambda r: r["student"]):
        row = [result["student"]]
        row += [_points(result["parts"].get(pid, {}).get("score")) for pid in part_ids]
        row += [_points(result_total(result)), _points(assignment.max_points), final_status(result),
                result.get("detail", ""), " ".join(result.get("flags", []))]
        writer.writerow([neutralize(cell) for cell in row])
    return buffer.getvalue()


def read_sheet(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return [{key: restore(value) for key, value in row.items()} for row in csv.DictReader(handle)]


def manual_sheet_csv(assignment: Assignment, results: list[dict], previous: list[dict]) -> str:
    """The sheet for the written parts, keeping what the instructor already filled in.

    An entry is kept while the student's answer is unchanged; a new answer
    (a resubmission) clears it.
    """
    kept = {(row.get("student"), row.get("part"), row.get("answer", "")): row for row in previous}
    rubrics = {part.grade_id: part.rubric for part in assignment.manual_parts}
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANUAL_FIELDS, lineterminator="\n")
    writer.writeheader()
    for result in sorted(results, key=lambda r: r["student"]):
        if result["status"] not in ("graded", "needs-manual"):
            continue
        for part in assignment.manual_parts:
            entry = result["parts"].get(part.grade_id, {})
            if entry.get("auto_zero"):  # the stub was left untouched: 0 without reading
                continue
            answer = entry.get("answer", "")
            old = kept.get((result["student"], part.grade_id, answer), {})
            writer.writerow({key: neutralize(value) for key, value in {
                "student": result["student"], "part": part.grade_id,
                "max_points": _points(part.points),
                "points": old.get("points", ""), "comment": old.get("comment", ""),
                "answer": answer, "rubric": rubrics.get(part.grade_id, ""),
            }.items()})
    # A BOM so that spreadsheet programs open the Chinese text as UTF-8.
    return "\ufeff" + buffer.getvalue()


def parse_sheet(assignment: Assignment, rows: list[dict], students: set[str]) -> dict[tuple[str, str], tuple[float, str]]:
    """Validated manual grades: (student, part) -> (points, comment). Raises SheetError."""
    maxima = {part.grade_id: part.points for part in assignment.manual_parts}
    grades, problems = {}, []
    for line, row in enumerate(rows, start=2):
        student, part = (row.get("student") or "").strip(), (row.get("part") or "").strip()
        text = (row.get("points") or "").strip()
        if not text:
            continue
        if part not in maxima:
            problems.append(f"line {line}: unknown part {part!r} (expected one of {', '.join(maxima)})")
            continue
        if student not in students:
            problems.append(f"line {line}: student {student!r} has no graded submission")
            continue
        try:
            points = float(text)
        except ValueError:
            problems.append(f"line {line}: points {text!r} is not a number")
            continue
        if not 0 <= points <= maxima[part]:
            problems.append(f"line {line}: points {points:g} outside 0..{maxima[part]:g} for {part}")
            continue
        if (student, part) in grades:
            problems.append(f"line {line}: a second entry for {student} / {part}")
            continue
        grades[(student, part)] = (points, (row.get("comment") or "").strip())
    if problems:
        raise SheetError("the manual sheet was not merged:\n  " + "\n  ".join(problems))
    return grades

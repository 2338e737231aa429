"""Merge the instructor's manual grades (the written parts) back into the gradebook.

    python -m unit17_grading merge ASSIGNMENT [--out DIR] [--sheet FILE]
    (or: make grade-merge ASSIGNMENT=...)

The instructor fills ``points`` (and optionally ``comment``) in
``manual.csv`` (a spreadsheet program is fine; keep the columns). The merge
checks every filled entry first — a number between 0 and the part's maximum,
a known part, a graded student, no duplicates — and changes nothing when one
is wrong. Then, for every entry, it stores the score and comment in that
student's nbgrader gradebook, regenerates the student's feedback with
``nbgrader generate_feedback`` (no student code runs), updates the student's
result and rewrites ``gradebook.csv``.
"""
from __future__ import annotations

from pathlib import Path

from unit17_grading import assignments as catalogue
from unit17_grading import gradebook as book
from unit17_grading.submissions import safe_slug


def _store_in_nbgrader(course: Path, assignment: catalogue.Assignment, slug: str,
                       grades: dict[str, tuple[float, str]]) -> Path | None:
    """Write manual scores into the student's nbgrader gradebook; return the new feedback file."""
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from unit17_grading.student_versions import nbgrader_config
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades

    with Gradebook(f"sqlite:///{course}/gradebook.db", course_id="unit17") as gradebook:
        submission = gradebook.find_submission_notebook(assignment.notebook, assignment.name, slug)
        for grade in submission.grades:
            if grade.name in grades:
                grade.manual_score = grades[grade.name][0]
                grade.needs_manual_grade = False
        for comment in submission.comments:
            if comment.name in grades and grades[comment.name][1]:
                comment.manual_comment = grades[comment.name][1]
        gradebook.db.commit()
    config = nbgrader_config(course)
    config.CourseDirectory.course_id = "unit17"
    config.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
    config.ClearHiddenTests.enforce_metadata = False
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    outcome = api.generate_feedback(assignment.name, slug, force=True)
    feedback = course / "feedback" / slug / assignment.name / f"{assignment.notebook}.html"
    return feedback if outcome.get("success") and feedback.exists() else None


def apply_sheet(assignment: catalogue.Assignment, out: Path, students: list[str], *,
                strict: bool, sheet: Path | None = None) -> int:
    """Apply the filled entries of the sheet; returns how many results changed.

    ``strict`` (the merge command): a bad entry raises :class:`gradebook.SheetError`
    and nothing changes. Not strict (during grading): bad entries are left for
    the merge command to report.
    """
    sheet = sheet or out / "manual.csv"
    results = {s: book.read_json(out / "results" / f"{safe_slug(s)}.json") for s in students}
    gradable = {s for s, r in results.items() if r and r["status"] in ("graded", "needs-manual")}
    rows = book.read_sheet(sheet)
    try:
        grades = book.parse_sheet(assignment, rows, gradable)
    except book.SheetError:
        if strict:
            raise
        return 0
    by_student: dict[str, dict[str, tuple[float, str]]] = {}
    for (student, part), value in grades.items():
        entry = results[student]["parts"].get(part, {})
        if entry.get("auto_zero"):
            continue
        if entry.get("score") != value[0] or entry.get("comment", "") != value[1]:
            by_student.setdefault(student, {})[part] = value
    for student, parts in sorted(by_student.items()):
        result = results[student]
        slug = safe_slug(student)
        course = out / ".work" / "students" / slug
        # Without its course directory (deleted by hand) the grade still counts; only the
        # feedback cannot be regenerated.
        feedback = _store_in_nbgrader(course, assignment, slug, parts) if course.is_dir() else None
        for part, (points, comment) in parts.items():
            result["parts"][part]["score"] = points
            result["parts"][part]["comment"] = comment
        if feedback is not None:
            book.write_atomic(out / "feedback" / f"{slug}.html", feedback.read_bytes())
        book.write_json(out / "results" / f"{slug}.json", result)
    return len(by_student)


def merge(assignment_name: str, out: Path, sheet: Path | None = None) -> int:
    assignment = catalogue.get(assignment_name)
    gradebook_file = out / "gradebook.csv"
    if not gradebook_file.exists():
        raise FileNotFoundError(f"{gradebook_file} does not exist; run the grading command first")
    import csv

    with open(gradebook_file, newline="", encoding="utf-8") as handle:
        students = [book.restore(row["student"]) for row in csv.DictReader(handle)]
    changed = apply_sheet(assignment, out, students, strict=True, sheet=sheet)
    results = [r for r in (book.read_json(out / "results" / f"{safe_slug(s)}.json") for s in students) if r]
    if sheet is not None and sheet.resolve() != (out / "manual.csv").resolve():
        # Keep the merged entries in OUT/manual.csv, which the next grading run re-applies.
        book.write_atomic(out / "manual.csv", book.manual_sheet_csv(assignment, results, book.read_sheet(sheet)))
    book.write_atomic(gradebook_file, book.gradebook_csv(assignment, results))
    pending = sum(1 for r in results if book.final_status(r) == "needs-manual")
    print(f"Merged manual grades for {changed} student(s); {pending} still need manual grading. "
          f"Gradebook: {gradebook_file}")
    return 0

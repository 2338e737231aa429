"""An nbgrader export plugin that writes one row per student and graded part.

nbgrader's built-in CSV exporter gives one score per assignment; the course's
gradebook needs the points of every part (every grade cell). Usable on its
own in any nbgrader course directory::

    nbgrader export --exporter=unit17_grading.nbgrader_export.PartsExportPlugin --to parts.csv

The grading command uses it on each submission's private gradebook.
"""
from __future__ import annotations

import csv

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin

FIELDS = ["assignment", "student", "notebook", "part", "kind", "score", "max_score",
          "needs_manual_grade", "comment"]


def part_rows(gradebook: Gradebook, assignments: list[str] | None = None,
              students: list[str] | None = None) -> list[dict]:
    """Every (assignment, student, grade cell) with its score, in notebook order."""
    rows = []
    for assignment in gradebook.assignments:
        if assignments and assignment.name not in assignments:
            continue
        for student in sorted(gradebook.students, key=lambda s: s.id):
            if students and student.id not in students:
                continue
            try:
                submission = gradebook.find_submission(assignment.name, student.id)
            except MissingEntry:
                continue
            for notebook in submission.notebooks:
                order = {cell.name: index for index, cell in enumerate(notebook.notebook.source_cells)}
                comments = {comment.name: comment for comment in notebook.comments}
                for grade in sorted(notebook.grades, key=lambda g: order.get(g.name, 10**6)):
                    comment = comments.get(grade.name)
                    rows.append({
                        "assignment": assignment.name,
                        "student": student.id,
                        "notebook": notebook.name,
                        "part": grade.name,
                        "kind": "manual" if grade.cell_type == "markdown" else "auto",
                        "score": grade.score,
                        "max_score": grade.max_score,
                        "needs_manual_grade": bool(grade.needs_manual_grade),
                        "comment": (comment.manual_comment or "") if comment else "",
                    })
    return rows


class PartsExportPlugin(ExportPlugin):
    """CSV with columns ``assignment, student, notebook, part, kind, score, max_score,
    needs_manual_grade, comment``; ``kind`` is ``manual`` for written answers."""

    def export(self, gradebook: Gradebook) -> None:
        destination = self.to or "parts.csv"
        rows = part_rows(gradebook, [str(a) for a in self.assignment] or None,
                         [str(s) for s in self.student] or None)
        with open(destination, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        self.log.info("Exported %d part scores to %s", len(rows), destination)

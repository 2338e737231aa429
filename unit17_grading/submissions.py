"""Read what a student handed in and rebuild it on the instructor's notebook.

A submission is whatever the LMS gave us: maybe a notebook, maybe not; maybe
with nbgrader's cell metadata, maybe with it stripped by an editor (VS Code,
copy and paste between notebooks); maybe with test cells edited, moved or
deleted. :func:`read_submission` classifies the file; :func:`rebuild`
builds the notebook that is graded:

- the **instructor's structure**: every cell of the released notebook
  (the student version), in its order: instructions, set-up cells and test
  cells exactly as released (nbgrader later restores the hidden tests);
- the **student's answers** in the answer cells: found by nbgrader's
  ``grade_id`` first, and, where the metadata is gone, by position between
  the unchanged cells around them;
- the **student's extra cells** (helpers, experiments) where the student put
  them, after the nearest instructor cell that precedes them.

So a deleted or edited test cell is graded as the instructor wrote it, and
answers are not lost when an editor drops metadata. nbgrader's own
``OverwriteCells.add_missing_cells`` covers only part of this (it re-adds
deleted grade cells, but fails with a ``KeyError`` when the cell before a
deleted one is a read-only cell, and cannot place answers whose metadata is
gone), so the rebuild happens before ``nbgrader autograde`` runs.
"""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

MAX_SUBMISSION_BYTES = 20 * 2**20
START = "__start__"


@dataclasses.dataclass
class Submission:
    """One file from the submissions folder."""

    path: Path
    student: str
    status: str  # "ok" or an invalid-* / wrong-exercise status
    detail: str = ""
    notebook: NotebookNode | None = None


@dataclasses.dataclass
class RebuildReport:
    answers_by_id: int = 0
    answers_by_position: int = 0
    answers_missing: list[str] = dataclasses.field(default_factory=list)
    instructor_cells_restored: list[str] = dataclasses.field(default_factory=list)
    extra_cells: int = 0

    def notes(self) -> list[str]:
        notes = []
        if self.answers_by_position:
            notes.append(f"{self.answers_by_position} answer cell(s) found by position (cell metadata missing)")
        if self.answers_missing:
            notes.append("no answer found for " + ", ".join(self.answers_missing))
        if self.instructor_cells_restored:
            notes.append("instructor cells edited or deleted, graded with the originals: "
                         + ", ".join(self.instructor_cells_restored))
        return notes


def _nbgrader_meta(cell: dict):
    metadata = cell.get("metadata")
    return metadata.get("nbgrader") if isinstance(metadata, dict) else None


def grade_id(cell: dict) -> str | None:
    nbgrader = _nbgrader_meta(cell) or {}
    value = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return value if isinstance(value, str) else None


def is_solution(cell: dict) -> bool:
    nbgrader = _nbgrader_meta(cell) or {}
    return bool(isinstance(nbgrader, dict) and nbgrader.get("solution"))


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(str(part) for part in source)
    return str(source)


def _normalized(cell: dict) -> tuple[str, str]:
    lines = [line.rstrip() for line in _source(cell).strip().splitlines()]
    return str(cell.get("cell_type", "")), "\n".join(lines)


def student_id_from_path(path: Path) -> str:
    return path.stem if path.suffix.lower() == ".ipynb" else path.name


def safe_slug(student: str) -> str:
    """A file-name-safe, unique form of a student id (the id itself when already safe)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", student).strip("._") or "student"
    if slug != student:
        import hashlib

        slug = f"{slug}-{hashlib.sha256(student.encode('utf-8')).hexdigest()[:8]}"
    return slug


@dataclasses.dataclass(frozen=True)
class Signature:
    """How to recognise an exercise's notebook: its cell ids and its read-only cells' text."""

    grade_ids: frozenset[str]
    locked_contents: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, notebook: NotebookNode) -> "Signature":
        ids = frozenset(gid for gid in (grade_id(c) for c in notebook.cells) if gid)
        locked = frozenset(_normalized(c) for c in notebook.cells
                           if isinstance(_nbgrader_meta(c), dict) and _nbgrader_meta(c).get("locked")
                           and len(_normalized(c)[1]) > 40)
        return cls(ids, locked)


def _which_exercise(notebook: NotebookNode, signatures: dict[str, Signature]) -> tuple[str | None, str]:
    """(assignment, how it was recognised): by cell ids, the notebook tag, or cell contents."""
    cells = [c for c in notebook.cells if isinstance(c, dict)]
    found = {gid for gid in (grade_id(c) for c in cells) if gid}
    by_ids = {name: len(found & sig.grade_ids) for name, sig in signatures.items()}
    best = max(by_ids, key=lambda name: (by_ids[name], name), default=None)
    if best is not None and by_ids[best] > 0:
        return best, "cell ids"
    tag = notebook.metadata.get("unit17")
    if isinstance(tag, dict) and isinstance(tag.get("assignment"), str) and tag["assignment"] in signatures:
        return tag["assignment"], "notebook tag"
    contents = {_normalized(c) for c in cells}
    by_text = {name: len(contents & sig.locked_contents) for name, sig in signatures.items()}
    best = max(by_text, key=lambda name: (by_text[name], name), default=None)
    if best is not None and by_text[best] >= 2:
        return best, "cell contents"
    return None, ""


class InputRejected(Exception):
    """A directory entry that is not read at all (the message says why); ``status`` is its gradebook status."""

    def __init__(self, status: str, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


def read_input(path: Path, limit: int = MAX_SUBMISSION_BYTES) -> bytes:
    """The bytes of one submission file, checked before anything is read.

    ``lstat`` first: a symbolic link (to a device, to the master, anywhere) is not followed, and a
    FIFO, socket or device is not opened (opening a FIFO would block). The file is then opened
    without following links and without blocking, checked again on the open descriptor (it may
    have been swapped), its size compared with ``limit``, and at most ``limit + 1`` bytes read.
    """
    import os
    import stat

    try:
        info = os.lstat(path)
    except OSError as error:
        raise InputRejected("invalid-file", f"cannot be read ({type(error).__name__}: {error.strerror})") from None
    kinds = [(stat.S_ISLNK, "a symbolic link (links are not followed)"), (stat.S_ISDIR, "a folder"),
             (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")]
    for test, what in kinds:
        if test(info.st_mode):
            raise InputRejected("invalid-file", f"not a regular file: {what}")
    if not stat.S_ISREG(info.st_mode):
        raise InputRejected("invalid-file", "not a regular file")
    if info.st_size > limit:
        raise InputRejected("invalid-file", f"file is {info.st_size / 2**20:.1f} MB; "
                                            f"the limit is {limit // 2**20} MB")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        raise InputRejected("invalid-file", f"cannot be opened ({error.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputRejected("invalid-file", "not a regular file (changed while being read)")
        if info.st_size > limit:
            raise InputRejected("invalid-file", f"file is {info.st_size / 2**20:.1f} MB; "
                                                f"the limit is {limit // 2**20} MB")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    if total > limit:
        raise InputRejected("invalid-file", f"file is over the limit of {limit // 2**20} MB")
    return b"".join(chunks)


def read_submission(path: Path, signatures: dict[str, Signature], assignment: str,
                    raw: bytes | None = None) -> Submission:
    """Classify one file: a readable notebook of ``assignment``, or why not.

    ``signatures`` describes every exercise of the course, so a notebook of
    another exercise is recognised as such (even without cell metadata).
    ``raw`` is the file's content as :func:`read_input` returned it (read here when not given).
    """
    student = student_id_from_path(path)
    if path.suffix.lower() != ".ipynb":
        return Submission(path, student, "invalid-file",
                          f"not an .ipynb file ({path.suffix or 'no extension'})")
    if raw is None:
        try:
            raw = read_input(path)
        except InputRejected as rejected:
            return Submission(path, student, rejected.status, rejected.detail)
    if not raw.strip():
        return Submission(path, student, "invalid-file", "empty file")
    notes = []
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return Submission(path, student, "invalid-file", "not UTF-8 text (not a notebook file)")
    except json.JSONDecodeError as error:
        return Submission(path, student, "invalid-file",
                          f"not JSON (line {error.lineno}, column {error.colno}: {error.msg})")
    except RecursionError:
        return Submission(path, student, "invalid-file", "JSON nested too deeply (not a notebook file)")
    try:
        text = json.dumps(data, ensure_ascii=False)
    except RecursionError:
        return Submission(path, student, "invalid-file", "JSON nested too deeply (not a notebook file)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (\ud800) that JSON allows and UTF-8 does not
        data = json.loads(text.encode("utf-8", "replace").decode("utf-8"))
        notes.append("invalid characters (lone surrogates) replaced by '?'")
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        return Submission(path, student, "not-a-notebook", "JSON without a list of notebook cells")
    try:
        notebook = nbformat.reads(json.dumps(data), as_version=4)
    except Exception as error:  # nbformat raises many kinds for broken notebooks (RecursionError too)
        return Submission(path, student, "not-a-notebook", f"unreadable notebook ({type(error).__name__}: {error})")
    if not all(isinstance(c, dict) and isinstance(c.get("source", ""), (str, list)) for c in notebook.cells):
        return Submission(path, student, "not-a-notebook", "cells are not notebook cells")
    which, how = _which_exercise(notebook, signatures)
    if which == assignment:
        if how != "cell ids":
            notes.insert(0, f"recognised by its {how} (nbgrader cell metadata missing)")
        return Submission(path, student, "ok", "; ".join(notes), notebook)
    if which is not None:
        return Submission(path, student, "wrong-exercise", f"this is a notebook of {which}, not {assignment}")
    return Submission(path, student, "wrong-exercise", f"not a notebook of {assignment} (no cell of it found)")


def rebuild(student_nb: NotebookNode, skeleton: NotebookNode) -> tuple[NotebookNode, RebuildReport]:
    """The graded notebook: the skeleton's cells, the student's answers and extra cells."""
    report = RebuildReport()
    skel_cells = skeleton.cells
    skel_index_by_id = {grade_id(c): i for i, c in enumerate(skel_cells) if grade_id(c)}
    skel_content = {}
    for i, cell in enumerate(skel_cells):
        if not is_solution(cell):
            skel_content.setdefault(_normalized(cell), i)
    cells = [c for c in student_nb.cells if isinstance(c, dict) and c.get("cell_type") in
             ("code", "markdown", "raw")]

    # 1. map student cells to skeleton cells: by grade id, then by identical content
    mapped: dict[int, int] = {}  # student index -> skeleton index
    taken: set[int] = set()
    for j, cell in enumerate(cells):
        i = skel_index_by_id.get(grade_id(cell))
        if i is not None and i not in taken and cell.get("cell_type") == skel_cells[i].cell_type:
            mapped[j] = i
            taken.add(i)
    for j, cell in enumerate(cells):
        if j in mapped:
            continue
        i = skel_content.get(_normalized(cell))
        if i is not None and i not in taken:
            mapped[j] = i
            taken.add(i)

    # 2. answers whose metadata is gone: the cell between the same neighbours
    student_pos = {i: j for j, i in mapped.items()}
    for i, skel_cell in enumerate(skel_cells):
        if not is_solution(skel_cell) or i in taken:
            continue
        before = max((student_pos[k] for k in student_pos if k < i), default=-1)
        after = min((student_pos[k] for k in student_pos if k > i), default=len(cells))
        for j in range(before + 1, after):
            if j not in mapped and cells[j].get("cell_type") == skel_cell.cell_type:
                mapped[j] = i
                taken.add(i)
                student_pos[i] = j
                report.answers_by_position += 1
                break

    # 3. assemble in skeleton order; extra cells follow their preceding anchor
    extras: dict[object, list[NotebookNode]] = {}
    anchor: object = START
    for j, cell in enumerate(cells):
        if j in mapped:
            anchor = mapped[j]
            continue
        extras.setdefault(anchor, []).append(_plain_cell(cell))
        report.extra_cells += 1

    answers = {i: cells[j] for j, i in mapped.items() if is_solution(skel_cells[i])}
    out_cells = list(extras.get(START, []))
    for i, skel_cell in enumerate(skel_cells):
        cell = nbformat.from_dict(json.loads(json.dumps(skel_cell)))
        gid = grade_id(skel_cell) or f"cell {i}"
        if is_solution(skel_cell):
            if i in answers:
                cell.source = _source(answers[i])
            else:
                report.answers_missing.append(gid)
        elif grade_id(skel_cell):
            j = student_pos.get(i)
            if j is None or _normalized(cells[j]) != _normalized(skel_cell):
                report.instructor_cells_restored.append(gid)
        out_cells.append(cell)
        out_cells.extend(extras.get(i, []))
    report.answers_by_id = len(answers) - report.answers_by_position

    notebook = nbformat.v4.new_notebook(cells=out_cells, metadata=json.loads(json.dumps(skeleton.metadata)))
    return notebook, report


def _plain_cell(cell: dict) -> NotebookNode:
    source = _source(cell)
    kind = cell.get("cell_type")
    if kind == "code":
        return nbformat.v4.new_code_cell(source)
    if kind == "markdown":
        return nbformat.v4.new_markdown_cell(source)
    return nbformat.v4.new_raw_cell(source)

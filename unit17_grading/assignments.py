"""The course's exercises as the grader sees them: masters, parts, points, limits.

Layout (an nbgrader course directory)::

    exercises/
      nbgrader_config.py             stub texts, course id (also used by plain `nbgrader`)
      grading.toml                   time and memory limits, per exercise
      source/<assignment>/<assignment>.ipynb   the instructor masters

Each master holds one exercise set. Its graded parts are nbgrader grade
cells: code test cells (autograded) and markdown answer cells (manually
graded, with the rubric inside the solution region so it never reaches
students).
"""
from __future__ import annotations

import dataclasses
import functools
import re
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "exercises"
SOURCE = COURSE / "source"
STUDENT_DIR = ROOT / "book" / "exercises"
GRADING_TOML = COURSE / "grading.toml"
SOLUTION_RE = re.compile(r"### BEGIN SOLUTION\n?(.*?)### END SOLUTION", re.S)


@dataclasses.dataclass(frozen=True)
class Part:
    grade_id: str
    kind: str  # "auto" (a test cell) or "manual" (a written answer)
    points: float
    rubric: str = ""


@dataclasses.dataclass(frozen=True)
class Assignment:
    name: str
    master: Path
    parts: tuple[Part, ...]
    grade_ids: frozenset[str]

    @property
    def notebook(self) -> str:
        return self.master.stem

    @property
    def max_points(self) -> float:
        return sum(part.points for part in self.parts)

    @property
    def manual_parts(self) -> tuple[Part, ...]:
        return tuple(part for part in self.parts if part.kind == "manual")

    @property
    def student_version(self) -> Path:
        return STUDENT_DIR / f"{self.name}.ipynb"


def _load(master: Path) -> Assignment:
    notebook = nbformat.read(master, as_version=4)
    parts, ids = [], set()
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id"):
            ids.add(meta["grade_id"])
        if meta.get("grade"):
            manual = cell.cell_type == "markdown" or bool(meta.get("solution"))
            rubric = ""
            if manual:
                found = SOLUTION_RE.search(cell.source)
                rubric = found.group(1).strip() if found else ""
            parts.append(Part(meta["grade_id"], "manual" if manual else "auto",
                              float(meta.get("points", 0)), rubric))
    return Assignment(master.parent.name, master, tuple(parts), frozenset(ids))


@functools.lru_cache(maxsize=None)
def _load_all(source: Path) -> dict[str, Assignment]:
    found = {}
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        masters = sorted(folder.glob("*.ipynb"))
        if len(masters) != 1:
            raise ValueError(f"{folder} must hold exactly one master notebook, found {len(masters)}")
        found[folder.name] = _load(masters[0])
    return found


def all_assignments(source: Path = SOURCE) -> dict[str, Assignment]:
    """Every exercise set under ``exercises/source``, by name."""
    return _load_all(source)


def get(name: str, source: Path = SOURCE) -> Assignment:
    assignments = all_assignments(source)
    if name not in assignments:
        raise ValueError(f"unknown assignment {name!r}; expected one of: {', '.join(assignments)}")
    return assignments[name]


def grading_settings(name: str, path: Path = GRADING_TOML) -> dict:
    """Limits for one assignment: ``[defaults]`` overridden by ``[assignments.<name>]``."""
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    settings = dict(data.get("defaults", {}))
    settings.update(data.get("assignments", {}).get(name, {}))
    return settings

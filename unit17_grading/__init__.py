"""Exercise tools of the Unit 17 course book: student versions and safe grading.

Built on nbgrader (solution regions, hidden tests, locked cells,
``generate_assignment``, ``autograde``, ``generate_feedback``, an ``export``
plugin); this package adds what a class-sized, hostile-safe run needs.

- :mod:`~unit17_grading.assignments`     the masters under ``exercises/source``: parts, points, limits
- :mod:`~unit17_grading.student_versions` masters → ``book/exercises/*.ipynb`` (and the in-sync check)
- :mod:`~unit17_grading.submissions`     classify a submitted file; rebuild it on the released notebook
- :mod:`~unit17_grading.sandbox`         kernel manager that starts kernels in the sandbox
- :mod:`~unit17_grading.sandbox_init`    the sandbox's first process (private root, limits, drop to nobody)
- :mod:`~unit17_grading.execute`         nbgrader Execute that survives dead kernels and output floods
- :mod:`~unit17_grading.worker`          one submission through nbgrader autograde + feedback
- :mod:`~unit17_grading.grade`           the grading command (a folder of submissions → gradebook)
- :mod:`~unit17_grading.gradebook`       atomic files, the gradebook CSV, the manual sheet
- :mod:`~unit17_grading.manual`          merge the instructor's manual grades
- :mod:`~unit17_grading.nbgrader_export` nbgrader export plugin: one row per student and part

Command line: ``python -m unit17_grading --help``.
"""

import os as _os
import sys as _sys

# nbgrader starts the `alembic` command by name; with an environment that was
# not activated (python run by its full path, as the Makefile and CI do) that
# name is only found if the interpreter's own bin folder is on PATH.
_bin = _os.path.dirname(_sys.executable)
if _bin not in _os.environ.get("PATH", "").split(_os.pathsep):
    _os.environ["PATH"] = _bin + _os.pathsep + _os.environ.get("PATH", "")

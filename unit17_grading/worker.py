"""Grade one submission with nbgrader, in a private course directory.

Started by the grading command, one process per submission, as

    unshare --mount --pid --fork --kill-child -- python -m unit17_grading.worker JOB.json

so that everything it starts (nbgrader, the sandboxed kernel and whatever
the student's code spawns) dies with it when the grader stops it. The worker

1. mounts a size-limited tmpfs on the job's scratch area (visible only in
   its own mount namespace) and prepares the student's scratch folder there;
2. builds a private nbgrader course directory for this one submission: a
   copy of the template gradebook (made by ``generate_assignment``), the
   master in ``source/`` and the rebuilt submission in ``submitted/``;
3. runs ``nbgrader autograde`` (with :class:`RobustExecute` and
   :class:`SandboxedKernelManager`) and ``nbgrader generate_feedback``;
4. writes the part scores (through :mod:`unit17_grading.nbgrader_export`)
   and notes to ``result.json`` in the course directory.

The kernel and everything it starts share one control group with the
submission's memory and process limits (:mod:`unit17_grading.cgroups`).

A private gradebook per submission means a crash, a kill or a hostile kernel
can spoil at most this submission's own grading, never another's.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from unit17_grading import cgroups
from unit17_grading.masters import write_kernel_profile

NOBODY = 65534


def _prepare_area(job: dict) -> tuple[str, str]:
    area = job["area"]
    subprocess.run(["mount", "-t", "tmpfs", "-o",
                    f"mode=0711,size={job['limits']['tmp_mb']}m,nosuid,nodev",
                    "grading-scratch", area], check=True)
    scratch = os.path.join(area, "s")
    os.mkdir(scratch, 0o700)
    os.chown(scratch, NOBODY, NOBODY)
    root_mountpoint = os.path.join(area, "root")
    os.mkdir(root_mountpoint, 0o700)
    # Matplotlib builds its font list (slow with CJK fonts) on first import;
    # give the kernel a copy of ours.
    mpl_dir = os.path.join(scratch, ".matplotlib")
    os.mkdir(mpl_dir)
    for fontlist in job.get("matplotlib_fontlists", []):
        shutil.copy(fontlist, mpl_dir)
    # TensorFlow's C++ log lines go to the kernel's stderr (the worker log), not the feedback.
    write_kernel_profile(Path(scratch, ".ipython"))
    for dirpath, dirnames, filenames in os.walk(scratch):
        for name in [dirpath] + [os.path.join(dirpath, f) for f in filenames]:
            os.chown(name, NOBODY, NOBODY)
    return scratch, root_mountpoint


def _config(job: dict, course: str, scratch: str, root_mountpoint: str):
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests,
                                        GetGrades, IgnorePattern, LimitOutput, SaveAutoGrades)
    from traitlets.config import Config

    from unit17_grading.execute import RobustExecute
    from unit17_grading.sandbox import SandboxedKernelManager

    config = Config()
    config.CourseDirectory.root = course
    config.CourseDirectory.course_id = "unit17"
    config.Autograde.create_student = True
    config.Autograde.autograde_preprocessors = [
        RobustExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
        SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
    ]
    config.RobustExecute.timeout = job["cell_timeout_s"]
    config.RobustExecute.startup_timeout = 120
    config.RobustExecute.iopub_timeout = 5
    config.RobustExecute.max_output_bytes = job["max_output_bytes"]
    config.RobustExecute.max_kernel_restarts = 3
    config.RobustExecute.trusted_tests = bool(job.get("trusted_tests"))
    config.LimitOutput.max_lines = job["max_output_lines"]
    config.LimitOutput.max_traceback = 60
    if job["sandbox"]:
        config.RobustExecute.kernel_manager_class = SandboxedKernelManager
        config.SandboxedKernelManager.cgroup_procs = job.get("cgroup_procs", [])
        config.SandboxedKernelManager.scratch = scratch
        config.SandboxedKernelManager.root_mountpoint = root_mountpoint
        config.SandboxedKernelManager.limits = job["limits"]
    # Feedback shows what the student sees plus results, not the hidden tests.
    config.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
    config.ClearHiddenTests.enforce_metadata = False
    return config


def run(job: dict) -> dict:
    course = job["course"]
    assignment, student, notebook = job["assignment"], job["student_slug"], job["notebook"]
    group = None
    if job["sandbox"]:
        scratch, root_mountpoint = _prepare_area(job)
        # Memory and processes of the whole submission (the kernel, a restarted kernel and all they start).
        group = cgroups.create(job["limits"]["memory_mb"] * 2**20, job["limits"]["processes"], student)
        job["cgroup_procs"] = group.procs_files if group else []
    else:
        scratch, root_mountpoint = job["area"], ""
    try:
        return _run(job, scratch, root_mountpoint, assignment, student, notebook, course)
    finally:
        if group is not None:
            group.destroy()


def _run(job, scratch, root_mountpoint, assignment, student, notebook, course) -> dict:
    from nbgrader.apps import NbGraderAPI
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

    from unit17_grading.nbgrader_export import part_rows
    submitted = Path(course, "submitted", student, assignment)
    submitted.mkdir(parents=True)
    shutil.copy(job["rebuilt"], submitted / f"{notebook}.ipynb")

    config = _config(job, course, scratch, root_mountpoint)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    graded = api.autograde(assignment, student, force=True, create=True)
    result: dict = {"autograde_ok": bool(graded.get("success")), "log": graded.get("log", "")[-4000:]}
    if not graded.get("success"):
        result["error"] = graded.get("error", "")[-4000:]
        return result
    feedback = api.generate_feedback(assignment, student, force=True)
    html = glob.glob(os.path.join(course, "feedback", student, assignment, "*.html"))
    result["feedback"] = html[0] if feedback.get("success") and html else None
    with Gradebook(f"sqlite:///{course}/gradebook.db", course_id="unit17") as gradebook:
        result["parts"] = part_rows(gradebook, [assignment], [student])
    return result


def main(argv: list[str]) -> int:
    job_path = Path(argv[1])
    job = json.loads(job_path.read_text(encoding="utf-8"))
    try:
        result = run(job)
    except Exception as error:  # reported to the grader as a grader error, with the cause
        import traceback

        result = {"autograde_ok": False, "error": f"{type(error).__name__}: {error}",
                  "log": traceback.format_exc()[-4000:]}
    out = Path(job["course"], "result.json")
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

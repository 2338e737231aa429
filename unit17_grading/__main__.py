"""Command line of the course's exercise tools.

    python -m unit17_grading student-versions [--check] [ASSIGNMENT ...]
    python -m unit17_grading execute-masters [ASSIGNMENT ...]
    python -m unit17_grading grade ASSIGNMENT SUBMISSIONS_DIR [--out DIR] [options]
    python -m unit17_grading merge ASSIGNMENT [--out DIR] [--sheet FILE]
    python -m unit17_grading merge-shards ASSIGNMENT SHARD_OUT... [--out DIR]
    python -m unit17_grading check-sandbox

Run from the repository root (the Makefile targets do).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from unit17_grading import assignments as catalogue


def _student_versions(args) -> int:
    from unit17_grading import student_versions

    names = args.assignments or None
    if args.check:
        stale = student_versions.check(names)
        if stale:
            print("Out of date with their masters (run `make student-versions`): "
                  + ", ".join(f"book/exercises/{name}.ipynb" for name in stale), file=sys.stderr)
            return 1
        print("Every student version matches its master.")
        return 0
    for path in student_versions.write(names):
        print(f"wrote {path.relative_to(catalogue.ROOT)}")
    return 0


def _execute_masters(args) -> int:
    from unit17_grading.masters import execute

    for name in args.assignments or list(catalogue.all_assignments()):
        print(f"{name}: executed in {execute(name):.0f} s")
    return 0


def _grade(args) -> int:
    from unit17_grading.grade import GradingError, Options, grade
    from unit17_grading.sandbox import Limits, SandboxUnavailable

    try:
        catalogue.get(args.assignment)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    settings = catalogue.grading_settings(args.assignment)
    limit_fields = {"memory_mb", "cpu_seconds", "file_size_mb", "processes", "open_files", "tmp_mb"}
    limits = {k: v for k, v in settings.items() if k in limit_fields}
    if args.memory_mb:
        limits["memory_mb"] = args.memory_mb
    options = Options(
        assignment=args.assignment,
        submissions=Path(args.submissions).resolve(),
        out=Path(args.out or catalogue.ROOT / "grading" / args.assignment).resolve(),
        cell_timeout_s=args.cell_timeout or settings.get("cell_timeout_s", 120),
        submission_timeout_s=args.submission_timeout or settings.get("submission_timeout_s", 1800),
        limits=Limits(**limits),
        force=args.force,
        sandbox=not args.no_sandbox,
        trusted_tests=bool(settings.get("trusted_tests", False)),
        jobs=args.jobs or os.cpu_count() or 1,
        shard=args.shard or (1, 1),
    )
    if args.no_sandbox:
        print("WARNING: --no-sandbox: student code will run with YOUR privileges, network and files. "
              "Use it only for submissions you trust.", file=sys.stderr)
    try:
        return grade(options)
    except SandboxUnavailable as error:
        print(f"error: cannot grade safely: {error}.\n"
              "Student code is never run without the sandbox unless you pass --no-sandbox "
              "(only for submissions you trust).", file=sys.stderr)
        return 3
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected K/N, e.g. 1/2") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError("expected 1 <= K <= N")
    return k, n


def _merge_shards(args) -> int:
    from unit17_grading.grade import merge_shards

    out = Path(args.out or catalogue.ROOT / "grading" / args.assignment).resolve()
    return merge_shards(args.assignment, [Path(s).resolve() for s in args.shards], out)


def _merge(args) -> int:
    from unit17_grading.gradebook import SheetError
    from unit17_grading.manual import merge

    out = Path(args.out or catalogue.ROOT / "grading" / args.assignment).resolve()
    try:
        return merge(args.assignment, out, Path(args.sheet).resolve() if args.sheet else None)
    except (SheetError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _check_sandbox(args) -> int:
    from unit17_grading.sandbox import SandboxUnavailable, require_privileges

    try:
        require_privileges()
    except SandboxUnavailable as error:
        print(f"sandbox unavailable: {error}", file=sys.stderr)
        return 3
    print("The grading sandbox can be built on this machine.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m unit17_grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("student-versions", help="generate book/exercises/*.ipynb from the masters")
    p.add_argument("assignments", nargs="*", help="only these (default: all)")
    p.add_argument("--check", action="store_true", help="only check that they are up to date")
    p.set_defaults(run=_student_versions)

    p = sub.add_parser("execute-masters", help="run the masters and store their outputs (for nbval)")
    p.add_argument("assignments", nargs="*", help="only these (default: all)")
    p.set_defaults(run=_execute_masters)

    p = sub.add_parser("grade", help="grade a folder of submissions")
    p.add_argument("assignment", help="exercise name, e.g. ex4-simple-attention")
    p.add_argument("submissions", help="folder with one .ipynb per student (file name = student id)")
    p.add_argument("--out", help="output folder (default: grading/<assignment>)")
    p.add_argument("--cell-timeout", type=int, help="seconds per cell (default from exercises/grading.toml)")
    p.add_argument("--submission-timeout", type=int, help="seconds per submission, all cells together")
    p.add_argument("--memory-mb", type=int, help="address-space limit of the student's kernel")
    p.add_argument("--force", action="store_true", help="regrade students whose submission is unchanged")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run student code unsandboxed (only for trusted submissions; needs no root)")
    p.add_argument("--jobs", "-j", type=int, help="submissions graded at once (default: the number of CPU cores)")
    p.add_argument("--shard", type=_shard, metavar="K/N",
                   help="grade only the K-th of N shares of the students (then merge-shards)")
    p.set_defaults(run=_grade)

    p = sub.add_parser("merge-shards", help="combine the output folders of --shard runs into one")
    p.add_argument("assignment")
    p.add_argument("shards", nargs="+", help="the output folders of the shard runs")
    p.add_argument("--out", help="the combined output folder (default: grading/<assignment>)")
    p.set_defaults(run=_merge_shards)

    p = sub.add_parser("merge", help="merge the filled-in manual sheet into the gradebook")
    p.add_argument("assignment")
    p.add_argument("--out", help="the grading output folder (default: grading/<assignment>)")
    p.add_argument("--sheet", help="the filled sheet (default: <out>/manual.csv)")
    p.set_defaults(run=_merge)

    p = sub.add_parser("check-sandbox", help="check that this machine can build the grading sandbox")
    p.set_defaults(run=_check_sandbox)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())

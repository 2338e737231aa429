"""Run a student's notebook kernel in a sandbox: the Jupyter side.

:class:`SandboxedKernelManager` is a Jupyter kernel manager that starts the
IPython kernel through ``unshare`` and :mod:`unit17_grading.sandbox_init`
instead of directly. What the kernel gets:

- its own mount namespace with a private root: only ``/usr``, ``/etc``, the
  Python installation, the virtual environment and ``labsupport`` (all
  read-only), a private ``/proc``, a minimal ``/dev``, size-limited ``/tmp``
  and ``/dev/shm``, and the submission's scratch folder (read-write). The
  repository, the masters, the gradebook, the other submissions and the
  grader's output are not in it;
- its own network namespace (no interface is up: no connection to anything,
  not even the host's loopback), PID namespace (it is PID 1 and sees only its
  own children), IPC and UTS namespaces;
- an unprivileged user (``nobody``, 65534) with no capabilities and
  ``no_new_privs``;
- rlimits: address space, CPU seconds, file size, number of processes, open
  files, no core dumps;
- where control groups are available, one per submission (made by the
  worker) that the sandbox joins first: resident memory and the number of
  processes of everything the submission starts, together;
- a clean environment.

The kernel talks to the grader over ZMQ ``ipc`` (Unix domain) sockets in the
scratch folder; TCP to the host's loopback is impossible from a new network
namespace, Unix sockets are files and cross it. Interrupts are sent as
``interrupt_request`` messages because a signal to ``unshare`` would not reach
the kernel.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from traitlets import Dict, Integer, List, Unicode, default

ROOT = Path(__file__).resolve().parents[1]
INIT_SCRIPT = Path(__file__).with_name("sandbox_init.py")
NOBODY = 65534
REQUIRED_TOOLS = ("unshare", "setpriv", "prlimit", "mount")


class SandboxUnavailable(RuntimeError):
    """The machine or the user cannot build the sandbox (not root, no namespaces, tools missing)."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of one kernel (all processes it starts share the process limit).

    ``memory_mb`` caps the address space (RLIMIT_AS), not resident memory:
    TensorFlow reserves about 3 GB of address space on import, so notebooks
    that train Keras models need a few GB here.
    """

    memory_mb: int = 6144
    cpu_seconds: int = 1800
    file_size_mb: int = 64
    processes: int = 512
    open_files: int = 1024
    tmp_mb: int = 256

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"Limits.{field.name} must be a positive integer, got {value!r}")

    def as_rlimits(self) -> dict[str, int]:
        return {
            "address_space_bytes": self.memory_mb * 2**20,
            "cpu_seconds": self.cpu_seconds,
            "file_size_bytes": self.file_size_mb * 2**20,
            "processes": self.processes,
            "open_files": self.open_files,
        }


def readonly_paths() -> list[str]:
    """What the kernel may read: system files, Python, the venv, labsupport."""
    paths = ["/usr", "/bin", "/lib", "/lib32", "/lib64", "/libx32", "/sbin", "/etc"]
    prefixes = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), sys.prefix}
    paths += sorted(p for p in prefixes if not p.startswith("/usr"))
    labsupport_dir = ROOT / "labsupport"
    if labsupport_dir.is_dir():
        paths.append(str(labsupport_dir))
    return paths


def require_privileges() -> None:
    """Raise :class:`SandboxUnavailable` unless this process can build the sandbox.

    Needs root (real uid 0 with CAP_SYS_ADMIN for namespaces and mounts) and
    the util-linux tools. Probes by actually creating the namespaces.
    """
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        raise SandboxUnavailable(
            f"the grading sandbox needs {', '.join(missing)} (util-linux); install it or grade "
            "on a machine that has it")
    if os.geteuid() != 0:
        raise SandboxUnavailable(
            "the grading sandbox needs root (it creates namespaces, mounts a private root and "
            "drops student code to the unprivileged user 'nobody'); run the grading command as "
            "root (e.g. with sudo) or in a container where you are root")
    probe = subprocess.run(
        ["unshare", "--mount", "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child",
         "--", "sh", "-c", "mount -t tmpfs probe /mnt 2>/dev/null || mount -t tmpfs probe /tmp"],
        capture_output=True, text=True)
    if probe.returncode != 0:
        raise SandboxUnavailable(
            "this machine does not let root create mount/network/PID namespaces "
            f"(unshare failed: {probe.stderr.strip() or probe.returncode}); in Docker run the "
            "container with --privileged or --cap-add SYS_ADMIN --security-opt seccomp=unconfined")


def kernel_environment(scratch: str) -> dict[str, str]:
    """The kernel's whole environment: nothing from the grader's is passed on."""
    return {
        "HOME": scratch,
        "PATH": f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": "/tmp",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "VIRTUAL_ENV": sys.prefix,
        "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "KERAS_HOME": f"{scratch}/.keras",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "MPLCONFIGDIR": f"{scratch}/.matplotlib",
        "IPYTHONDIR": f"{scratch}/.ipython",
        "JUPYTER_RUNTIME_DIR": f"{scratch}/.jupyter",
        "JUPYTER_PLATFORM_DIRS": "1",
        "NBGRADER_EXECUTION": "autograde",
    }


class SandboxedKernelManager(AsyncKernelManager):
    """Kernel manager whose kernels run in the grading sandbox (see the module docstring).

    Configure with ``scratch`` (the submission's writable folder, owned by
    ``nobody``), ``root_mountpoint`` (an empty folder the sandbox mounts its
    private root on) and ``limits`` (a :class:`Limits` as a dict).
    """

    scratch = Unicode(help="Writable folder of this submission; the ipc sockets live here.").tag(config=True)
    root_mountpoint = Unicode(help="Empty folder on which the sandbox mounts its private root.").tag(config=True)
    limits = Dict(help="Limits as a dict of Limits fields.").tag(config=True)
    cgroup_procs = List(help="cgroup.procs files of the submission's control groups "
                             "(unit17_grading.cgroups); the sandbox joins them.").tag(config=True)
    uid = Integer(NOBODY).tag(config=True)
    gid = Integer(NOBODY).tag(config=True)

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.scratch or not self.root_mountpoint:
            raise ValueError("SandboxedKernelManager needs scratch and root_mountpoint")
        self.ip = os.path.join(self.scratch, "kernel")
        self.connection_file = os.path.join(self.scratch, "connection.json")

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="Python 3 (grading sandbox)",
            language="python",
            interrupt_mode="message",
            env={},
            metadata={},
            resource_dir="",
        )

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        kernel_argv = super().format_kernel_cmd(extra_arguments)
        limits = Limits(**self.limits)
        spec = {
            "root": self.root_mountpoint,
            "scratch": self.scratch,
            "connection_file": self.connection_file,
            "readonly_paths": readonly_paths(),
            "uid": self.uid,
            "gid": self.gid,
            "tmp_mb": limits.tmp_mb,
            "limits": limits.as_rlimits(),
            "cgroup_procs": list(self.cgroup_procs),
            "env": kernel_environment(self.scratch),
            "argv": kernel_argv,
            # Absolute paths, resolved here: they are the same inside the sandbox (/usr is mounted).
            "tools": {tool: os.path.realpath(shutil.which(tool) or f"/usr/bin/{tool}") for tool in ("prlimit", "setpriv")},
        }
        # The spec sits next to the mountpoint (root-only, outside the sandbox's view).
        spec_path = os.path.join(os.path.dirname(self.root_mountpoint), "sandbox-spec.json")
        with open(spec_path, "w", encoding="utf-8") as handle:
            json.dump(spec, handle)
        return [
            "unshare", "--mount", "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child",
            "--", sys.executable, "-I", "-S", str(INIT_SCRIPT), spec_path,
        ]

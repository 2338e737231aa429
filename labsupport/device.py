"""One call at the top of every lesson: seeds, quiet logs, and a device report.

>>> from labsupport.device import setup
>>> info = setup(seed=42)          # prints e.g. "Keras 3.x · backend tensorflow · CPU (2 cores)"

``setup`` fixes the seeds of Python, NumPy and Keras (and TensorFlow's op
determinism), silences TensorFlow's start-up noise, enables GPU memory growth
when a GPU is present, and switches on mixed precision only when asked.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import random
import warnings

import numpy as np

from labsupport.checks import check_seed

__all__ = ["DeviceInfo", "setup"]


@dataclasses.dataclass(frozen=True)
class DeviceInfo:
    """What a lesson runs on."""

    backend: str
    keras_version: str
    device_type: str  # "CPU" or "GPU"
    device_name: str
    n_gpus: int
    cpu_cores: int
    mixed_precision: bool
    seed: int

    def summary(self) -> str:
        where = self.device_name if self.device_type == "GPU" else f"CPU ({self.cpu_cores} cores)"
        mp = " · mixed precision" if self.mixed_precision else ""
        return f"Keras {self.keras_version} · backend {self.backend} · {where}{mp} · seed {self.seed}"


def _quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # absl comes with TensorFlow; without it there is nothing to quiet
        pass
    warnings.filterwarnings("ignore", module="tensorflow")


def _import_keras_quietly():
    """Import Keras (and with it TensorFlow) with the process's stderr muted.

    TensorFlow >= 2.20 writes its start-up lines (absl "I0000 ... oneDNN",
    "cudart_stub", "All log messages before absl::InitializeLog()") from C++
    straight to file descriptor 2, ignoring TF_CPP_MIN_LOG_LEVEL; Jupyter
    forwards that descriptor into the notebook. Muting the descriptor only
    for the first import keeps those lines out; a failing import still raises
    its Python exception after stderr is restored.
    """
    import sys

    if "keras" in sys.modules:
        return sys.modules["keras"]
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor (some embedded consoles)
        import keras

        return keras
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow  # noqa: F401  (its C++ runtime logs on first use)

            tensorflow.config.list_physical_devices("GPU")
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return keras


def _gpu_report_tensorflow() -> tuple[int, str]:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            # Memory growth can only be set before the GPU is first used; a
            # second setup() call in the same kernel lands here and is harmless.
            pass
    if not gpus:
        return 0, ""
    details = tf.config.experimental.get_device_details(gpus[0])
    return len(gpus), details.get("device_name", gpus[0].name)


def _gpu_report_jax() -> tuple[int, str]:
    import jax

    gpus = [d for d in jax.devices() if d.platform == "gpu"]
    if not gpus:
        return 0, ""
    return len(gpus), getattr(gpus[0], "device_kind", str(gpus[0]))


def setup(
    seed: int = 0,
    *,
    mixed_precision: bool = False,
    deterministic: bool = True,
    verbose: bool = True,
) -> DeviceInfo:
    """Prepare the process for a lesson and report the device.

    Parameters
    ----------
    seed:
        Seed for Python's ``random``, NumPy and Keras (which seeds the backend).
        The same seed gives the same data, weights and figures.
    mixed_precision:
        Use the ``mixed_float16`` policy. Only worth it on a GPU; on a CPU the
        request is ignored with a warning, because it slows training there.
    deterministic:
        On the TensorFlow backend, also enable op determinism so that repeated
        runs give bit-identical results (slightly slower on a GPU).
    verbose:
        Print a one-line summary.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative integer.
    """
    seed = check_seed(seed)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ["PYTHONHASHSEED"] = str(seed)
    _quiet_tensorflow()
    keras = _import_keras_quietly()

    # In an interactive session (Jupyter), TensorFlow's import sets its logger
    # to INFO on stdout, undoing the quieting above; set it again after import,
    # or retracing warnings end up on the book's pages.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        n_gpus, gpu_name = _gpu_report_tensorflow()
    elif backend == "jax":
        n_gpus, gpu_name = _gpu_report_jax()
    else:
        n_gpus, gpu_name = 0, ""

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    if deterministic and backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()

    use_mp = False
    if mixed_precision:
        if n_gpus:
            keras.mixed_precision.set_global_policy("mixed_float16")
            use_mp = True
        else:
            warnings.warn(
                "mixed_precision=True was ignored: no GPU was found, and float16 "
                "is slower than float32 on a CPU.",
                stacklevel=2,
            )
    else:
        keras.mixed_precision.set_global_policy("float32")

    info = DeviceInfo(
        backend=backend,
        keras_version=keras.__version__,
        device_type="GPU" if n_gpus else "CPU",
        device_name=gpu_name or "CPU",
        n_gpus=n_gpus,
        cpu_cores=os.cpu_count() or 1,
        mixed_precision=use_mp,
        seed=seed,
    )
    if verbose:
        print(info.summary())
    return info

import numpy as np
import pytest

from labsupport.device import setup


def test_setup_reports_backend_and_cpu(capsys):
    info = setup(seed=3)
    out = capsys.readouterr().out
    assert info.backend in out and "seed 3" in out
    assert info.device_type in ("CPU", "GPU")
    assert not info.mixed_precision


def test_same_seed_same_weights():
    import keras

    def weights(seed):
        setup(seed=seed, verbose=False)
        layer = keras.layers.Dense(4)
        layer.build((None, 3))
        return keras.ops.convert_to_numpy(layer.kernel), np.random.rand(3)

    a, b, c = weights(5), weights(5), weights(6)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.allclose(a[0], c[0])


@pytest.mark.parametrize("bad", [-1, 1.5, "1", True, None])
def test_bad_seed_raises(bad):
    with pytest.raises(ValueError, match="non-negative integer"):
        setup(seed=bad, verbose=False)


def test_mixed_precision_only_on_gpu():
    import keras

    info = setup(seed=0, verbose=False)
    if info.n_gpus == 0:
        with pytest.warns(UserWarning, match="no GPU"):
            info = setup(seed=0, mixed_precision=True, verbose=False)
        assert not info.mixed_precision
        assert keras.mixed_precision.global_policy().name == "float32"


def test_tensorflow_logger_stays_quiet_in_an_interactive_session():
    # TensorFlow sets its logger to INFO at import when sys.ps1 exists (Jupyter);
    # setup() must leave it at ERROR, or retracing warnings print on the pages.
    import subprocess
    import sys

    code = (
        "import sys; sys.ps1 = '>>> '\n"
        "from labsupport.device import setup; setup(0, verbose=False)\n"
        "import logging; print(logging.getLogger('tensorflow').level)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "40"


def test_tensorflow_startup_lines_do_not_reach_stderr():
    # A fresh interpreter, as in a new notebook kernel: the first setup() call
    # imports TensorFlow, whose C++ start-up lines must not appear.
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["KERAS_BACKEND"] = "tensorflow"
    result = subprocess.run(
        [sys.executable, "-c", "from labsupport.device import setup; setup(seed=1)"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "backend tensorflow" in result.stdout
    for noise in ("I0000", "oneDNN", "cudart_stub", "absl::InitializeLog"):
        assert noise not in result.stderr, result.stderr

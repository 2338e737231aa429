import math

import numpy as np
import pytest

from labsupport.positional import sinusoidal_encoding


def test_matches_closed_form_element_by_element():
    length, d_model, base = 7, 6, 100.0
    encoding = sinusoidal_encoding(length, d_model, base=base)
    assert encoding.shape == (length, d_model)
    assert encoding.dtype == np.float32
    for pos in range(length):
        for i in range(d_model // 2):
            angle = pos / base ** (2 * i / d_model)
            assert encoding[pos, 2 * i] == pytest.approx(math.sin(angle), abs=1e-6)
            assert encoding[pos, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-6)


def test_first_row_and_pair_norms():
    encoding = sinusoidal_encoding(40, 16).astype(np.float64)
    # position 0: sin(0)=0, cos(0)=1
    np.testing.assert_allclose(encoding[0, 0::2], 0.0, atol=1e-7)
    np.testing.assert_allclose(encoding[0, 1::2], 1.0, atol=1e-7)
    # every (sin, cos) pair lies on the unit circle, so each row has norm sqrt(d/2)
    np.testing.assert_allclose(np.linalg.norm(encoding, axis=1), np.sqrt(8), rtol=1e-6)


def test_dot_product_depends_only_on_the_offset():
    # sum_i cos(w_i * k): the similarity of two positions is a function of their distance
    encoding = sinusoidal_encoding(60, 12, base=50.0).astype(np.float64)
    offset = 5
    dots = [encoding[p] @ encoding[p + offset] for p in range(50)]
    frequencies = 1.0 / 50.0 ** (2 * np.arange(6) / 12)
    np.testing.assert_allclose(dots, np.cos(frequencies * offset).sum(), rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(length=0, d_model=4), "length"),
        (dict(length=5, d_model=-2), "d_model"),
        (dict(length=5, d_model=5), "even"),
        (dict(length=5.0, d_model=4), "length"),
        (dict(length=5, d_model=4, base=1.0), "base"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sinusoidal_encoding(**kwargs)

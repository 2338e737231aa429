"""Positional encodings: telling an order-blind attention layer where each step is.

Self-attention treats its inputs as a set: permuting the time steps only
permutes the outputs. Adding a position-dependent vector to every step breaks
that symmetry. This module gives the sinusoidal encoding of Vaswani et al.
(2017) as a NumPy array (it imports no Keras).

>>> from labsupport.positional import sinusoidal_encoding
>>> sinusoidal_encoding(50, 16).shape
(50, 16)
"""
from __future__ import annotations

import numpy as np

from labsupport.checks import check_int

__all__ = ["sinusoidal_encoding"]


def sinusoidal_encoding(length: int, d_model: int, base: float = 10000.0) -> np.ndarray:
    """The sinusoidal positional encoding, shape ``(length, d_model)``, float32.

    For position ``pos`` (0-based) and pair index ``i``::

        PE[pos, 2i]   = sin(pos / base ** (2i / d_model))
        PE[pos, 2i+1] = cos(pos / base ** (2i / d_model))

    Column pairs share a frequency; wavelengths grow geometrically from 2*pi
    (column 0) to about ``2*pi*base`` (last pair). ``base=10000`` is the
    original choice for sentences of hundreds of tokens; for short process
    sequences a smaller base (a few times the length) spreads the
    wavelengths over the range that matters.

    Raises
    ------
    ValueError
        If ``length`` or ``d_model`` is not a positive integer, ``d_model`` is
        odd, or ``base`` is not a number greater than 1.
    """
    length = check_int("length", length)
    d_model = check_int("d_model", d_model)
    if d_model % 2:
        raise ValueError(f"d_model must be even (sine/cosine pairs), got {d_model}")
    if not np.isscalar(base) or not np.isfinite(base) or base <= 1:
        raise ValueError(f"base must be a finite number greater than 1, got {base!r}")
    positions = np.arange(length, dtype=np.float64)[:, None]            # (length, 1)
    pair_index = np.arange(d_model // 2, dtype=np.float64)[None, :]     # (1, d_model/2)
    angles = positions / np.power(float(base), 2.0 * pair_index / d_model)  # (length, d_model/2)
    encoding = np.empty((length, d_model), dtype=np.float64)
    encoding[:, 0::2] = np.sin(angles)
    encoding[:, 1::2] = np.cos(angles)
    return encoding.astype(np.float32)

"""Softmax with temperature and scaled dot-product attention, as plain functions.

Both functions accept NumPy arrays (or nested lists) and return NumPy arrays,
which is what the book's worked examples use; given backend tensors
(TensorFlow or JAX, through Keras 3) they compute with ``keras.ops`` and
return backend tensors, so the attention layers in :mod:`labsupport.layers`
use the same code.

>>> import numpy as np
>>> from labsupport.attention import softmax, scaled_dot_product_attention
>>> softmax(np.array([1.0, 2.0, 3.0])).round(3)
array([0.09 , 0.245, 0.665])
>>> q = np.array([[1.0, 0.0]]); k = np.eye(2); v = np.array([[1.0], [3.0]])
>>> output, weights = scaled_dot_product_attention(q, k, v)
>>> weights.shape, output.shape
((1, 2), (1, 1))

Masks follow the Keras convention: ``True`` (or 1) marks a position that may
be attended to, ``False`` (or 0) a position that must get weight exactly 0.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["softmax", "scaled_dot_product_attention", "check_temperature"]


def check_temperature(temperature) -> float:
    """Return ``temperature`` as a float, or raise ``ValueError`` unless it is a finite number > 0."""
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real):
        raise ValueError(f"temperature must be a real number > 0, got {temperature!r}")
    temperature = float(temperature)
    if not math.isfinite(temperature) or temperature <= 0.0:
        raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
    return temperature


def _is_numpy_like(x) -> bool:
    return isinstance(x, (np.ndarray, np.generic, list, tuple, numbers.Number))


def _numpy_softmax(scores: np.ndarray, temperature: float, axis: int, mask) -> np.ndarray:
    scaled = scores / temperature
    if mask is None:
        keep = np.ones(scaled.shape, dtype=bool)
    else:
        keep = np.broadcast_to(np.asarray(mask, dtype=bool), scaled.shape)
    # Masked scores are replaced by the row's smallest kept score before the
    # max-subtraction, so no infinity ever enters exp(); the mask is applied
    # again after exp() so that masked weights are exactly 0.
    lowest = np.finfo(scaled.dtype).min
    filled = np.where(keep, scaled, lowest)
    row_max = np.max(filled, axis=axis, keepdims=True)
    exp_scores = np.where(keep, np.exp(filled - row_max), 0.0)
    total = np.sum(exp_scores, axis=axis, keepdims=True)
    # A row whose every position is masked has total 0: it gets all-zero weights.
    return exp_scores / np.where(total > 0.0, total, 1.0)


def _backend_softmax(scores, temperature: float, axis: int, mask):
    from keras import ops

    scaled = ops.divide(scores, ops.cast(temperature, scores.dtype))
    if mask is None:
        # Stable: subtracting the row maximum keeps exp() <= 1.
        return ops.softmax(scaled, axis=axis)
    keep = ops.broadcast_to(ops.cast(mask, "bool"), ops.shape(scaled))
    lowest = ops.cast(np.finfo(np.float32).min, scaled.dtype)
    filled = ops.where(keep, scaled, lowest)
    row_max = ops.max(filled, axis=axis, keepdims=True)
    exp_scores = ops.where(keep, ops.exp(filled - row_max), ops.zeros_like(filled))
    total = ops.sum(exp_scores, axis=axis, keepdims=True)
    return exp_scores / ops.where(total > 0.0, total, ops.ones_like(total))


def softmax(scores, temperature: float = 1.0, axis: int = -1, mask=None):
    """Softmax of ``scores / temperature`` along ``axis``.

    Parameters
    ----------
    scores:
        Array of any shape (NumPy array, nested list, or backend tensor).
    temperature:
        Finite number > 0. Small values sharpen the distribution towards a
        one-hot vector at the argmax; large values flatten it towards uniform.
    axis:
        Axis along which the weights sum to 1.
    mask:
        Optional boolean array broadcastable to ``scores``; ``False`` entries
        get weight exactly 0. A slice whose every entry is masked gets all
        zeros (not NaN).

    Returns
    -------
    Weights of the same shape as ``scores``; NumPy (float64 unless the input
    is float32) for NumPy input, a backend tensor otherwise. Numerically
    stable: the row maximum is subtracted before ``exp``, so scores of 1e4 do
    not overflow.

    Raises
    ------
    ValueError
        If ``temperature`` is not a finite number > 0, ``axis`` is out of
        range, or ``mask`` cannot be broadcast to the shape of ``scores``.
    """
    temperature = check_temperature(temperature)
    if _is_numpy_like(scores):
        scores = np.asarray(scores)
        if not np.issubdtype(scores.dtype, np.floating):
            scores = scores.astype(np.float64)
        if scores.ndim == 0:
            raise ValueError("scores must have at least one dimension, got a scalar")
        if not -scores.ndim <= axis < scores.ndim:
            raise ValueError(f"axis {axis} is out of range for scores of shape {scores.shape}")
        if mask is not None:
            mask = np.asarray(mask)
            _check_mask_broadcasts(mask.shape, scores.shape)
        return _numpy_softmax(scores, temperature, axis, mask)
    ndim = len(scores.shape)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for scores of shape {tuple(scores.shape)}")
    return _backend_softmax(scores, temperature, axis, mask)


def _check_mask_broadcasts(mask_shape, scores_shape, scores_layout: str = "") -> None:
    """Raise ValueError unless a mask of ``mask_shape`` broadcasts to ``scores_shape``.

    Unknown (None) dimensions of symbolic tensors are taken as 1, which broadcasts
    to anything; ``scores_layout`` is appended to the message (e.g. " (..., n_queries, n_keys)").
    """
    mask_shape, scores_shape = tuple(mask_shape), tuple(scores_shape)
    try:
        np.broadcast_shapes(tuple(1 if d is None else d for d in mask_shape),
                            tuple(1 if d is None else d for d in scores_shape))
    except ValueError:
        raise ValueError(
            f"mask of shape {mask_shape} cannot be broadcast to scores of shape {scores_shape}{scores_layout}"
        ) from None


def _check_attention_shapes(q_shape, k_shape, v_shape) -> None:
    if len(k_shape) < 2 or len(v_shape) < 2:
        raise ValueError(
            "keys and values must have shape (..., n_keys, d_k) and (..., n_keys, d_v), "
            f"got keys {tuple(k_shape)} and values {tuple(v_shape)}"
        )
    if len(q_shape) != len(k_shape) or len(v_shape) != len(k_shape):
        raise ValueError(
            "queries, keys and values must have the same number of dimensions "
            "(queries (..., n_queries, d_k), keys (..., n_keys, d_k), values (..., n_keys, d_v)), "
            f"got {tuple(q_shape)}, {tuple(k_shape)}, {tuple(v_shape)}"
        )
    if q_shape[-1] is not None and k_shape[-1] is not None and q_shape[-1] != k_shape[-1]:
        raise ValueError(
            f"queries and keys must share their last dimension d_k, got {q_shape[-1]} and {k_shape[-1]}"
        )
    if k_shape[-2] is not None and v_shape[-2] is not None and k_shape[-2] != v_shape[-2]:
        raise ValueError(
            f"keys and values must have the same number of positions n_keys, got {k_shape[-2]} and {v_shape[-2]}"
        )
    for dq, dk, dv in zip(q_shape[:-2], k_shape[:-2], v_shape[:-2]):
        if None not in (dq, dk, dv) and not dq == dk == dv:
            raise ValueError(
                "queries, keys and values must have the same batch dimensions, "
                f"got {tuple(q_shape)}, {tuple(k_shape)}, {tuple(v_shape)}"
            )


def scaled_dot_product_attention(q, k, v, mask=None, temperature: float = 1.0):
    """Attention(Q, K, V) = softmax(Q Kᵀ / (√d_k · temperature)) V.

    Parameters
    ----------
    q:
        Queries, shape ``(..., n_queries, d_k)``; a single query may be given
        as a vector ``(d_k,)`` together with 2-D keys and values.
    k:
        Keys, shape ``(..., n_keys, d_k)``.
    v:
        Values, shape ``(..., n_keys, d_v)``.
    mask:
        Optional boolean array broadcastable to ``(..., n_queries, n_keys)``
        (for a single query vector: ``(n_keys,)``); ``False`` means "do not
        attend", and that position gets weight exactly 0.
    temperature:
        Finite number > 0 dividing the scaled scores (1 is the textbook
        formula).

    Returns
    -------
    output, weights:
        ``output`` of shape ``(..., n_queries, d_v)`` and ``weights`` of shape
        ``(..., n_queries, n_keys)`` whose rows sum to 1 (0 for fully masked
        rows). For a single query vector: ``(d_v,)`` and ``(n_keys,)``. NumPy
        arrays for NumPy input, backend tensors otherwise.

    Raises
    ------
    ValueError
        For mismatched shapes (d_k of queries and keys, n_keys of keys and
        values, batch dimensions, number of dimensions), a mask that does not
        broadcast, or ``temperature <= 0``.
    """
    temperature = check_temperature(temperature)
    numpy_input = all(_is_numpy_like(x) for x in (q, k, v))
    if numpy_input:
        q, k, v = (np.asarray(x, dtype=np.result_type(np.asarray(x).dtype, np.float32)) for x in (q, k, v))
        single_query = q.ndim == 1
        if single_query:
            q = q[None, :]  # (1, d_k)
        _check_attention_shapes(q.shape, k.shape, v.shape)
        d_k = q.shape[-1]
        scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(d_k)  # (..., n_queries, n_keys)
        if mask is not None:
            mask = np.asarray(mask)
            if single_query and mask.ndim == 1:
                mask = mask[None, :]
            _check_mask_broadcasts(mask.shape, scores.shape, " (..., n_queries, n_keys)")
        weights = _numpy_softmax(scores, temperature, -1, mask)  # (..., n_queries, n_keys)
        output = weights @ v  # (..., n_queries, d_v)
        if single_query:
            return output[0], weights[0]
        return output, weights

    from keras import ops

    q, k, v = (ops.convert_to_tensor(x) for x in (q, k, v))
    single_query = len(q.shape) == 1
    if single_query:
        q = ops.expand_dims(q, 0)  # (1, d_k)
    _check_attention_shapes(tuple(q.shape), tuple(k.shape), tuple(v.shape))
    d_k = q.shape[-1]
    if d_k is None:
        raise ValueError("the last dimension d_k of the queries must be known")
    scores = ops.matmul(q, ops.swapaxes(k, -1, -2)) / math.sqrt(d_k)  # (..., n_queries, n_keys)
    if mask is not None:
        mask = ops.convert_to_tensor(mask)
        if single_query and len(mask.shape) == 1:
            mask = ops.expand_dims(mask, 0)
        _check_mask_broadcasts(mask.shape, scores.shape, " (..., n_queries, n_keys)")
    weights = _backend_softmax(scores, temperature, -1, mask)  # (..., n_queries, n_keys)
    output = ops.matmul(weights, v)  # (..., n_queries, d_v)
    if single_query:
        return output[0], weights[0]
    return output, weights

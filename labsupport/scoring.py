"""Attention scoring functions, their cost, and why scaled dot products are scaled.

Every scoring function maps queries ``(n_q, d_q)`` and keys ``(n_k, d_k)`` to
scores ``(n_q, n_k)``; a single query ``(d_q,)`` gives ``(n_k,)``. They are
the textbook formulas in NumPy, one line each, for the book's comparisons.
The trainable versions live in ``labsupport.layers``.

- ``dot_score``         q . k
- ``scaled_dot_score``  q . k / sqrt(d_k)                    (Vaswani et al., 2017)
- ``additive_score``    v . tanh(W_q q + W_k k)              (Bahdanau et al., 2015)
- ``bilinear_score``    q^T W k   ("general")                (Luong et al., 2015)
- ``cosine_score``      q . k / (|q| |k|)

``score_cost`` counts parameters and floating-point operations the way XLA's
cost analysis does; ``softmax_saturation`` measures how unscaled dot
products saturate the softmax as ``d_k`` grows.
"""
from __future__ import annotations

import numpy as np
from scipy.special import softmax as _softmax

__all__ = [
    "dot_score",
    "scaled_dot_score",
    "additive_score",
    "bilinear_score",
    "cosine_score",
    "SCORE_NAMES",
    "score_cost",
    "softmax_jacobian",
    "softmax_saturation",
]

SCORE_NAMES = ("dot", "scaled_dot", "additive", "bilinear", "cosine")


def _as_query_key(queries, keys, same_width: bool = True):
    queries = np.asarray(queries, dtype=np.float64)
    keys = np.asarray(keys, dtype=np.float64)
    if queries.ndim not in (1, 2):
        raise ValueError(f"queries must have shape (d_q,) or (n_q, d_q), got {queries.shape}")
    if keys.ndim != 2:
        raise ValueError(f"keys must have shape (n_k, d_k), got {keys.shape}")
    if same_width and queries.shape[-1] != keys.shape[-1]:
        raise ValueError(
            f"queries and keys must have the same width d_k, got {queries.shape[-1]} and {keys.shape[-1]}"
        )
    return queries, keys


def dot_score(queries, keys) -> np.ndarray:
    """q . k for every query-key pair: ``(n_q, d)``, ``(n_k, d)`` -> ``(n_q, n_k)``."""
    queries, keys = _as_query_key(queries, keys)
    return queries @ keys.T


def scaled_dot_score(queries, keys) -> np.ndarray:
    """q . k / sqrt(d): the dot product scaled to unit variance for unit-variance inputs."""
    queries, keys = _as_query_key(queries, keys)
    return queries @ keys.T / np.sqrt(keys.shape[-1])


def additive_score(queries, keys, query_weight, key_weight, score_vector) -> np.ndarray:
    """v . tanh(q W_q + k W_k) (Bahdanau's additive or 'concat' score).

    Shapes: ``query_weight`` (d_q, units), ``key_weight`` (d_k, units),
    ``score_vector`` (units,). Queries and keys may differ in width.
    """
    queries, keys = _as_query_key(queries, keys, same_width=False)
    query_weight = np.asarray(query_weight, dtype=np.float64)
    key_weight = np.asarray(key_weight, dtype=np.float64)
    score_vector = np.asarray(score_vector, dtype=np.float64)
    units = score_vector.shape[0] if score_vector.ndim == 1 else None
    if units is None or query_weight.shape != (queries.shape[-1], units) or key_weight.shape != (keys.shape[-1], units):
        raise ValueError(
            "additive_score expects query_weight (d_q, units), key_weight (d_k, units) and score_vector (units,); "
            f"got {query_weight.shape}, {key_weight.shape}, {score_vector.shape} for d_q={queries.shape[-1]}, "
            f"d_k={keys.shape[-1]}"
        )
    hidden = np.tanh((queries @ query_weight)[..., None, :] + keys @ key_weight)  # (n_q, n_k, units)
    return hidden @ score_vector


def bilinear_score(queries, keys, weight) -> np.ndarray:
    """q^T W k (Luong's 'general' score); ``weight`` has shape (d_q, d_k)."""
    queries, keys = _as_query_key(queries, keys, same_width=False)
    weight = np.asarray(weight, dtype=np.float64)
    if weight.shape != (queries.shape[-1], keys.shape[-1]):
        raise ValueError(f"weight must have shape (d_q, d_k) = {(queries.shape[-1], keys.shape[-1])}, got {weight.shape}")
    return queries @ weight @ keys.T


def cosine_score(queries, keys, eps: float = 1e-12) -> np.ndarray:
    """q . k / (|q| |k|): the angle only, blind to the vectors' lengths."""
    queries, keys = _as_query_key(queries, keys)
    query_norm = np.linalg.norm(queries, axis=-1, keepdims=True)  # (n_q, 1)
    key_norm = np.linalg.norm(keys, axis=-1)                      # (n_k,)
    return (queries @ keys.T) / np.maximum(query_norm * key_norm, eps)


def score_cost(name: str, n_queries: int, n_keys: int, d_k: int, units: int | None = None) -> dict:
    """Trainable parameters and floating-point operations of one score matrix.

    Counts as XLA's cost analysis does: a multiply-add is 2 flops, other
    element-wise arithmetic 1 flop, and ``tanh``/``sqrt`` are counted apart as
    ``transcendentals``. Queries and keys have the same width ``d_k``;
    ``units`` is the hidden width of the additive score (default ``d_k``).

    Returns ``{"parameters": int, "flops": int, "transcendentals": int}``.

    Raises
    ------
    ValueError
        For an unknown name or a size that is not a positive integer.
    """
    if name not in SCORE_NAMES:
        raise ValueError(f"unknown score {name!r}; expected one of {SCORE_NAMES}")
    for what, value in (("n_queries", n_queries), ("n_keys", n_keys), ("d_k", d_k)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{what} must be a positive integer, got {value!r}")
    units = d_k if units is None else units
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
        raise ValueError(f"units must be a positive integer, got {units!r}")
    pairs = n_queries * n_keys
    matmul = 2 * pairs * d_k
    if name == "dot":
        return {"parameters": 0, "flops": matmul, "transcendentals": 0}
    if name == "scaled_dot":
        return {"parameters": 0, "flops": matmul + pairs, "transcendentals": 0}
    if name == "bilinear":
        return {"parameters": d_k * d_k, "flops": 2 * n_queries * d_k * d_k + matmul, "transcendentals": 0}
    if name == "additive":
        projections = 2 * (n_queries + n_keys) * d_k * units
        return {
            "parameters": 2 * d_k * units + units,
            "flops": projections + pairs * units + 2 * pairs * units,  # project, add, dot with v
            "transcendentals": pairs * units,                           # tanh
        }
    # cosine: squared norms (d multiplies, d-1 adds each), the dot products, two divisions per pair
    norms = (n_queries + n_keys) * (2 * d_k - 1)
    return {"parameters": 0, "flops": matmul + norms + 2 * pairs, "transcendentals": n_queries + n_keys}


def softmax_jacobian(weights) -> np.ndarray:
    """d softmax(s) / d s = diag(p) - p p^T for weights ``p`` (..., n) -> (..., n, n)."""
    weights = np.asarray(weights, dtype=np.float64)
    return weights[..., :, None] * np.eye(weights.shape[-1]) - weights[..., :, None] * weights[..., None, :]


def softmax_saturation(d_k_values, *, n_keys: int = 16, n_draws: int = 2000, scaled: bool = True, seed: int = 0) -> dict:
    """How peaked the softmax of dot-product scores gets as ``d_k`` grows.

    For each ``d_k``, draws ``n_draws`` queries and ``n_keys`` keys per query
    with independent standard-normal components, scores them with
    ``q . k`` (``scaled=False``) or ``q . k / sqrt(d_k)`` (``scaled=True``),
    applies the softmax and averages:

    - ``max_weight``: the largest weight (1/n_keys = spread evenly, 1 = one-hot);
    - ``jacobian_norm``: the Frobenius norm of diag(p) - p p^T, i.e. how much
      the weights still respond to a change of the scores (0 = saturated,
      no gradient flows back through the softmax);
    - ``score_std``: the standard deviation of the scores (sqrt(d_k) unscaled, 1 scaled).

    Returns a dict of 1-D arrays, one entry per ``d_k``, plus ``d_k``.
    """
    d_k_values = np.asarray(d_k_values)
    if d_k_values.ndim != 1 or d_k_values.size == 0 or np.any(d_k_values < 1):
        raise ValueError(f"d_k_values must be a non-empty 1-D list of positive integers, got {d_k_values!r}")
    if n_keys < 2 or n_draws < 1:
        raise ValueError(f"need n_keys >= 2 and n_draws >= 1, got n_keys={n_keys}, n_draws={n_draws}")
    rng = np.random.default_rng(seed)
    result = {"d_k": d_k_values.astype(int), "max_weight": [], "jacobian_norm": [], "score_std": []}
    for d_k in d_k_values.astype(int):
        queries = rng.standard_normal((n_draws, 1, d_k))
        keys = rng.standard_normal((n_draws, n_keys, d_k))
        scores = (queries * keys).sum(axis=-1)          # (n_draws, n_keys)
        if scaled:
            scores = scores / np.sqrt(d_k)
        weights = _softmax(scores, axis=-1)
        jacobian = softmax_jacobian(weights)            # (n_draws, n_keys, n_keys)
        result["max_weight"].append(weights.max(axis=-1).mean())
        result["jacobian_norm"].append(np.linalg.norm(jacobian, axis=(-2, -1)).mean())
        result["score_std"].append(scores.std())
    return {key: np.asarray(value) for key, value in result.items()}

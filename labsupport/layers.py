"""Keras 3 attention layers: Bahdanau, Luong, attention pooling, and a learned bidirectional merge.

Every layer is written with ``keras.ops`` only, so it runs on the TensorFlow
and the JAX backend. The attention layers return ``(context, weights)`` and
keep a NumPy copy of the weights of their last *eager* call in
``layer.last_weights`` (inside a compiled ``fit``/``predict`` there is no
concrete value to keep, and ``last_weights`` is left as it was), so a heatmap
is one line away.

Shapes used below: ``batch`` examples, ``T`` encoder (key/value) positions,
``d_q`` query features, ``d_v`` value features, ``units`` attention units.
Masks are boolean ``(batch, T)``: ``True`` = a real position, ``False`` =
padding (weight exactly 0).
"""
from __future__ import annotations

import numbers

import keras
import numpy as np
from keras import ops

from labsupport.attention import softmax

__all__ = [
    "BahdanauAttention",
    "LuongAttention",
    "AttentionPooling",
    "WeightedMerge",
    "LUONG_SCORES",
]

LUONG_SCORES = ("dot", "general", "concat")


def _check_units(units, name: str = "units", allow_none: bool = False):
    if units is None and allow_none:
        return None
    if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units < 1:
        expected = "a positive integer or None" if allow_none else "a positive integer"
        raise ValueError(f"{name} must be {expected}, got {units!r}")
    return int(units)


def _glorot(seed, offset):
    return keras.initializers.GlorotUniform(seed=None if seed is None else seed + offset)


def to_numpy(tensor) -> np.ndarray:
    """A concrete backend tensor (or Keras variable) as a NumPy array.

    Like ``keras.ops.convert_to_numpy``, without the NumPy 2 deprecation
    warning that TensorFlow's ``__array__`` raises.
    """
    if isinstance(tensor, keras.Variable):
        tensor = tensor.value
    numpy_method = getattr(tensor, "numpy", None)
    if callable(numpy_method):  # TensorFlow eager tensors
        return np.asarray(numpy_method())
    return np.asarray(tensor)


def _keep_if_concrete(weights):
    """NumPy copy of ``weights`` when they hold values (eager call), else None."""
    try:
        return to_numpy(weights)
    except Exception:  # symbolic tensor or tracer: a compiled call has no value to keep
        return None


def _check_query_values(query_shape, values_shape, layer_name):
    if len(query_shape) != 2:
        raise ValueError(f"{layer_name}: query must have shape (batch, d_q), got {tuple(query_shape)}")
    if len(values_shape) != 3:
        raise ValueError(f"{layer_name}: values must have shape (batch, T, d_v), got {tuple(values_shape)}")
    if query_shape[-1] is None or values_shape[-1] is None:
        raise ValueError(f"{layer_name}: the feature sizes d_q and d_v must be known")


def _values_mask(mask):
    # Keras passes a list of masks when a layer is called on several tensors.
    if isinstance(mask, (list, tuple)):
        return mask[-1]
    return mask


class _AttentionBase(keras.layers.Layer):
    """Shared bookkeeping: last weights, mask handling, output shapes."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(f"seed must be an integer or None, got {seed!r}")
        self.seed = seed
        self._last_weights = None

    @property
    def last_weights(self):
        """Attention weights (batch, T) of the last eager call, as NumPy; None before any."""
        return self._last_weights

    def _finish(self, scores, values, mask):
        # scores: (batch, T), values: (batch, T, d_v)
        weights = softmax(scores, axis=-1, mask=_values_mask(mask))  # (batch, T)
        context = ops.einsum("bt,btd->bd", weights, values)  # (batch, d_v)
        kept = _keep_if_concrete(weights)
        if kept is not None:
            self._last_weights = kept
        return context, weights

    def compute_mask(self, *args, **kwargs):
        return None

    def compute_output_shape(self, query_shape, values_shape):
        return (values_shape[0], values_shape[-1]), (values_shape[0], values_shape[1])

    def get_config(self):
        config = super().get_config()
        config["seed"] = self.seed
        return config


@keras.saving.register_keras_serializable(package="labsupport")
class BahdanauAttention(_AttentionBase):
    """Additive attention (Bahdanau, Cho & Bengio, 2015).

    score(q, h_t) = vᵀ tanh(W_q q + W_v h_t + b), weights = softmax over t,
    context = Σ_t weights_t h_t.

    Call: ``layer(query, values, mask=None, projected_values=None)`` with
    ``query`` (batch, d_q), ``values`` (batch, T, d_v), ``mask`` (batch, T)
    boolean → ``(context (batch, d_v), weights (batch, T))``.

    ``projected_values`` = ``layer.project_values(values)`` (batch, T, units)
    may be passed to skip recomputing ``W_v h_t`` when the same values are
    attended at every decoder step.

    Weights: ``query_kernel`` (d_q, units), ``values_kernel`` (d_v, units),
    ``bias`` (units,), ``score_vector`` (units,).

    Raises ``ValueError`` for ``units`` that is not a positive integer or
    inputs of the wrong rank.
    """

    def __init__(self, units: int, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.units = _check_units(units)

    def build(self, query_shape, values_shape):
        _check_query_values(query_shape, values_shape, "BahdanauAttention")
        self.query_kernel = self.add_weight(
            name="query_kernel", shape=(query_shape[-1], self.units), initializer=_glorot(self.seed, 0)
        )
        self.values_kernel = self.add_weight(
            name="values_kernel", shape=(values_shape[-1], self.units), initializer=_glorot(self.seed, 1)
        )
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        self.score_vector = self.add_weight(
            name="score_vector", shape=(self.units,), initializer=_glorot(self.seed, 2)
        )

    def project_values(self, values):
        """W_v h_t + b for every position: (batch, T, d_v) → (batch, T, units)."""
        return ops.matmul(values, self.values_kernel) + self.bias

    def call(self, query, values, mask=None, projected_values=None):
        if projected_values is None:
            projected_values = self.project_values(values)  # (batch, T, units)
        projected_query = ops.matmul(query, self.query_kernel)  # (batch, units)
        energy = ops.tanh(projected_values + projected_query[:, None, :])  # (batch, T, units)
        scores = ops.matmul(energy, self.score_vector)  # (batch, T)
        return self._finish(scores, values, mask)

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


@keras.saving.register_keras_serializable(package="labsupport")
class LuongAttention(_AttentionBase):
    """Multiplicative attention (Luong, Pham & Manning, 2015).

    Scores between the query q (batch, d_q) and each value h_t (batch, T, d_v):

    - ``"dot"``:     qᵀ h_t                       (needs d_q == d_v; no weights)
    - ``"general"``: qᵀ W h_t,  W (d_q, d_v)
    - ``"concat"``:  vᵀ tanh(W [q; h_t]),  W ((d_q + d_v), units), v (units,);
      W is stored as its two blocks ``query_kernel`` (d_q, units) and
      ``values_kernel`` (d_v, units), which is the same product.

    Call: ``layer(query, values, mask=None)`` → ``(context (batch, d_v),
    weights (batch, T))``. ``units`` is used only by ``"concat"`` (default:
    d_v).

    Raises ``ValueError`` for an unknown score, a bad ``units``, or
    ``"dot"`` with d_q != d_v.
    """

    def __init__(self, score: str = "general", units=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if score not in LUONG_SCORES:
            raise ValueError(f"score must be one of {LUONG_SCORES}, got {score!r}")
        self.score = score
        self.units = _check_units(units, allow_none=True)

    def build(self, query_shape, values_shape):
        _check_query_values(query_shape, values_shape, "LuongAttention")
        d_q, d_v = query_shape[-1], values_shape[-1]
        if self.score == "dot" and d_q != d_v:
            raise ValueError(
                f"LuongAttention(score='dot') needs query and values of the same size, got d_q={d_q}, d_v={d_v}; "
                "use score='general' or 'concat' for different sizes"
            )
        if self.score == "general":
            self.kernel = self.add_weight(name="kernel", shape=(d_q, d_v), initializer=_glorot(self.seed, 0))
        elif self.score == "concat":
            units = self.units or d_v
            self.query_kernel = self.add_weight(
                name="query_kernel", shape=(d_q, units), initializer=_glorot(self.seed, 0)
            )
            self.values_kernel = self.add_weight(
                name="values_kernel", shape=(d_v, units), initializer=_glorot(self.seed, 1)
            )
            self.score_vector = self.add_weight(
                name="score_vector", shape=(units,), initializer=_glorot(self.seed, 2)
            )

    def project_values(self, values):
        """What ``call`` can reuse across decoder steps: W_v h_t for "concat", else None."""
        if self.score == "concat":
            return ops.matmul(values, self.values_kernel)  # (batch, T, units)
        return None

    def call(self, query, values, mask=None, projected_values=None):
        if self.score == "dot":
            scores = ops.einsum("bd,btd->bt", query, values)  # (batch, T)
        elif self.score == "general":
            # qᵀ W h_t = (qᵀ W) h_t: project the query once instead of every value.
            projected_query = ops.matmul(query, self.kernel)  # (batch, d_v)
            scores = ops.einsum("bd,btd->bt", projected_query, values)  # (batch, T)
        else:
            if projected_values is None:
                projected_values = self.project_values(values)  # (batch, T, units)
            energy = ops.tanh(projected_values + ops.matmul(query, self.query_kernel)[:, None, :])
            scores = ops.matmul(energy, self.score_vector)  # (batch, T)
        return self._finish(scores, values, mask)

    def get_config(self):
        config = super().get_config()
        config.update(score=self.score, units=self.units)
        return config


@keras.saving.register_keras_serializable(package="labsupport")
class AttentionPooling(_AttentionBase):
    """Learned weighted average over time ("which moment of the batch mattered").

    u_t = tanh(W x_t + b), score_t = u_tᵀ w, weights = softmax over t,
    pooled = Σ_t weights_t x_t.

    Call: ``layer(x, mask=None)`` with ``x`` (batch, T, d) and ``mask``
    (batch, T) boolean (taken from ``x`` automatically after a ``Masking``
    layer) → ``(pooled (batch, d), weights (batch, T))``. ``units`` defaults
    to d. Weights: ``kernel`` (d, units), ``bias`` (units,), ``score_vector``
    (units,).
    """

    def __init__(self, units=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.units = _check_units(units, allow_none=True)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"AttentionPooling expects input of shape (batch, T, d), got {tuple(input_shape)}")
        units = self.units or input_shape[-1]
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], units), initializer=_glorot(self.seed, 0))
        self.bias = self.add_weight(name="bias", shape=(units,), initializer="zeros")
        self.score_vector = self.add_weight(
            name="score_vector", shape=(units,), initializer=_glorot(self.seed, 1)
        )

    def call(self, x, mask=None):
        energy = ops.tanh(ops.matmul(x, self.kernel) + self.bias)  # (batch, T, units)
        scores = ops.matmul(energy, self.score_vector)  # (batch, T)
        return self._finish(scores, x, mask)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1]), (input_shape[0], input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


@keras.saving.register_keras_serializable(package="labsupport")
class WeightedMerge(keras.layers.Layer):
    """Merge the forward and backward outputs of a bidirectional RNN with a learned weight.

    output = α · forward + (1 − α) · backward, α = sigmoid(a) ∈ (0, 1), with
    one trainable scalar a (so α starts at ``initial_alpha``). Keras'
    ``Bidirectional`` has no such merge mode; use it with ``merge_mode=None``
    and put this layer after it.

    Call: ``layer([forward, backward])``, both of the same shape
    (batch, ..., units) → (batch, ..., units). A mask on the inputs is passed
    on. ``layer.alpha`` gives the current α as a float.

    Raises ``ValueError`` unless ``0 < initial_alpha < 1``, or if the two
    inputs differ in shape.
    """

    def __init__(self, initial_alpha: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        if isinstance(initial_alpha, bool) or not isinstance(initial_alpha, numbers.Real) or not 0.0 < initial_alpha < 1.0:
            raise ValueError(f"initial_alpha must be a number strictly between 0 and 1, got {initial_alpha!r}")
        self.initial_alpha = float(initial_alpha)
        self.supports_masking = True

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or not isinstance(input_shape[0], (list, tuple)):
            raise ValueError(f"WeightedMerge expects a list [forward, backward], got shape {input_shape!r}")
        forward_shape, backward_shape = input_shape
        if tuple(forward_shape[1:]) != tuple(backward_shape[1:]):
            raise ValueError(
                f"forward and backward outputs must have the same shape, got {tuple(forward_shape)} and {tuple(backward_shape)}"
            )
        logit = float(np.log(self.initial_alpha / (1.0 - self.initial_alpha)))
        self.alpha_logit = self.add_weight(
            name="alpha_logit", shape=(), initializer=keras.initializers.Constant(logit)
        )

    @property
    def alpha(self) -> float:
        """Current weight α of the forward direction."""
        return float(1.0 / (1.0 + np.exp(-float(to_numpy(self.alpha_logit)))))

    def call(self, inputs):
        forward, backward = inputs  # (batch, ..., units) each
        alpha = ops.sigmoid(self.alpha_logit)
        return alpha * forward + (1.0 - alpha) * backward  # (batch, ..., units)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            return mask[0] if mask[0] is not None else mask[1]
        return mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        config = super().get_config()
        config["initial_alpha"] = self.initial_alpha
        return config

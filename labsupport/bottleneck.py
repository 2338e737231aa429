"""The fixed-vector bottleneck, made measurable (chapter 2.1).

An encoder reads a batch's temperature record and a decoder must rebuild the
whole record. Without attention the decoder sees only the encoder's final
state, a fixed number of values whatever the batch length; with attention it
may look back at every encoder state. As records get longer, the first
model's error grows and the second's does not.

The records follow the recipe of the chapter's batch-reactor story (預熱 →
加料 → 升溫 → 反應 → 穩定 → 降溫 → 卸料, durations in the proportion
5:10:20:120:30:20:5) with batch-to-batch set-point variation and an
autocorrelated disturbance. It is a deliberately simple statistical
generator, not the first-principles simulator of ``labsupport.data``: here
the information in a record must grow with its length, which a disturbance
that is new at every step guarantees.

Chapter 2.1 uses :func:`code_model` (an autoencoder whose only channel
between encoder and decoder is a vector of ``code_size`` numbers) and
:func:`pca_floor` (the lowest error any *linear* summary of that many numbers
reaches on the same records): when the trained model's error sits on the
floor, the size of the vector, not the training, is what limits it.

>>> from labsupport.bottleneck import batch_temperature_records, code_model, reconstruction_model
>>> records = batch_temperature_records(256, 40, seed=1)
>>> model = code_model(40, code_size=8)
>>> model, attention_model = reconstruction_model(40, attention=True)
"""
from __future__ import annotations

import dataclasses

import keras
import numpy as np

from labsupport.checks import check_int
from labsupport.positional import sinusoidal_encoding

__all__ = [
    "PHASE_NAMES",
    "PHASE_MINUTES",
    "TemperatureRecords",
    "PositionEncoding",
    "batch_temperature_records",
    "code_model",
    "pca_floor",
    "reconstruction_model",
]

PHASE_NAMES = ("預熱", "加料", "升溫", "反應", "穩定", "降溫", "卸料")
PHASE_MINUTES = (5.0, 10.0, 20.0, 120.0, 30.0, 20.0, 5.0)
# Reactor temperature (K) at the start of each phase and at the end of the batch;
# the set-point curve is linear between them.
_SETPOINT_KNOTS_K = (300.0, 318.0, 320.0, 350.0, 350.0, 345.0, 312.0, 305.0)
# Standardisation used inside the models, so that inputs and outputs are in K.
_CENTER_K, _SCALE_K = 330.0, 15.0


@dataclasses.dataclass(frozen=True)
class TemperatureRecords:
    """Temperature records of simulated batches.

    temperature:  (n_batches, length) reactor temperature, K
    setpoint:     (n_batches, length) the batch's set-point curve, K (the
                  part a model can infer from a few numbers)
    time:         (length,) minutes since the start of the batch
    phase_ids:    (length,) index into PHASE_NAMES
    seed:         the seed that generated them
    """

    temperature: np.ndarray
    setpoint: np.ndarray
    time: np.ndarray
    phase_ids: np.ndarray
    seed: int


def batch_temperature_records(
    n_batches: int,
    length: int,
    *,
    seed: int,
    minutes_per_step: float = 2.0,
    setpoint_std: float = 3.0,
    disturbance_std: float = 3.0,
    correlation: float = 0.8,
) -> TemperatureRecords:
    """Simulate ``n_batches`` temperature records of ``length`` steps.

    The phases keep the recipe's proportions whatever the length, so a
    longer record is the same recipe run for longer. Each batch has its own
    set points (normal, ``setpoint_std`` K around the recipe's) and an AR(1)
    disturbance with stationary standard deviation ``disturbance_std`` K and
    step-to-step ``correlation``.

    Raises
    ------
    ValueError
        For a non-positive size, ``minutes_per_step <= 0``, negative standard
        deviations or ``correlation`` outside [0, 1).
    """
    n_batches = check_int("n_batches", n_batches)
    length = check_int("length", length)
    if not minutes_per_step > 0:
        raise ValueError(f"minutes_per_step must be positive, got {minutes_per_step!r}")
    if setpoint_std < 0 or disturbance_std < 0:
        raise ValueError(f"standard deviations must be >= 0, got {setpoint_std!r} and {disturbance_std!r}")
    if not 0 <= correlation < 1:
        raise ValueError(f"correlation must be in [0, 1), got {correlation!r}")
    rng = np.random.default_rng(seed)
    time = (np.arange(length) + 0.5) * minutes_per_step                       # (length,)
    fraction_done = (np.arange(length) + 0.5) / length
    phase_ends = np.cumsum(PHASE_MINUTES) / np.sum(PHASE_MINUTES)               # (7,)
    phase_ids = np.minimum(np.searchsorted(phase_ends, fraction_done), len(PHASE_NAMES) - 1)
    knot_fraction = np.concatenate([[0.0], phase_ends])                          # (8,)
    knots = np.asarray(_SETPOINT_KNOTS_K) + setpoint_std * rng.standard_normal((n_batches, len(_SETPOINT_KNOTS_K)))
    setpoint = np.stack([np.interp(fraction_done, knot_fraction, batch_knots) for batch_knots in knots])
    innovations = rng.standard_normal((n_batches, length)) * disturbance_std * np.sqrt(1.0 - correlation**2)
    disturbance = np.empty((n_batches, length))
    disturbance[:, 0] = disturbance_std * rng.standard_normal(n_batches)  # start in the stationary state
    for step in range(1, length):  # data generation, not a training path
        disturbance[:, step] = correlation * disturbance[:, step - 1] + innovations[:, step]
    return TemperatureRecords(
        temperature=(setpoint + disturbance).astype(np.float32),
        setpoint=setpoint.astype(np.float32),
        time=time,
        phase_ids=phase_ids.astype(np.int64),
        seed=seed,
    )


def reconstruction_model(
    length: int,
    *,
    attention: bool,
    units: int = 32,
    position_dim: int = 16,
    hidden_units: int = 64,
    learning_rate: float = 5e-3,
):
    """An encoder-decoder that rebuilds a (batch, length, 1) record in K.

    Encoder: a GRU with ``units`` units over [temperature, position encoding].
    Decoder, at every output step t at once (no loop over time):

    - ``attention=False``: [final encoder state, position(t)] -> Dense -> T(t);
      everything the decoder knows about the batch is ``units`` numbers.
    - ``attention=True``: a query from position(t) attends over the encoder
      states (keys from the same position projection, values = the states,
      dot-product scores with a learned scale), and
      [context(t), position(t)] -> Dense -> T(t).

    Returns ``(model, attention_model)``: ``model`` maps the record to its
    reconstruction and is compiled with MSE (K^2) and Adam; for
    ``attention=True``, ``attention_model`` shares its layers and returns
    ``(reconstruction, weights)`` with ``weights`` (batch, length, length),
    rows = decoder steps, columns = encoder steps; otherwise it is ``None``.

    Raises
    ------
    ValueError
        For a size that is not a positive integer or an odd ``position_dim``.
    """
    length = check_int("length", length)
    units = check_int("units", units)
    position_dim = check_int("position_dim", position_dim)
    hidden_units = check_int("hidden_units", hidden_units)
    if position_dim % 2:
        raise ValueError(f"position_dim must be even, got {position_dim}")
    layers = keras.layers

    temperature = keras.Input((length, 1), name="temperature")                     # (batch, L, 1) K
    scaled = layers.Rescaling(1.0 / _SCALE_K, offset=-_CENTER_K / _SCALE_K)(temperature)
    positions = PositionEncoding(position_dim, name="positions")(scaled)          # (batch, L, P)
    encoder_inputs = layers.Concatenate()([scaled, positions])                      # (batch, L, 1+P)
    encoder_states, final_state = layers.GRU(
        units, return_sequences=True, return_state=True, name="encoder"
    )(encoder_inputs)                                                                # (batch, L, u), (batch, u)
    weights = None
    if attention:
        position_projection = layers.Dense(units, use_bias=False, name="position_projection")
        queries = position_projection(positions)                                    # (batch, L, u)
        keys = position_projection(positions)                                       # (batch, L, u)
        context, weights = layers.Attention(use_scale=True, name="position_attention")(
            [queries, encoder_states, keys], return_attention_scores=True
        )                                                                            # (batch, L, u), (batch, L, L)
    else:
        context = layers.RepeatVector(length)(final_state)                          # (batch, L, u)
    hidden = layers.Dense(hidden_units, activation="relu", name="decoder_hidden")(
        layers.Concatenate()([context, positions])
    )
    scaled_output = layers.Dense(1, name="decoder_output")(hidden)                   # (batch, L, 1)
    reconstruction = layers.Rescaling(_SCALE_K, offset=_CENTER_K, name="reconstruction")(scaled_output)

    name = "with_attention" if attention else "fixed_vector"
    model = keras.Model(temperature, reconstruction, name=name)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    attention_model = keras.Model(temperature, [reconstruction, weights], name=f"{name}_weights") if attention else None
    return model, attention_model


def code_model(length: int, *, code_size: int, units: int = 32, hidden_units: int = 64,
               learning_rate: float = 5e-3, seed: int = 0):
    """An autoencoder for (batch, length, 1) records in K whose bottleneck is ``code_size`` numbers.

    Encoder: a GRU with ``units`` units reads the record; its final state goes
    through a linear ``Dense(code_size)``, the *code*. Decoder: ``Dense(hidden_units,
    relu)`` -> ``Dense(length)`` rebuilds every step from the code alone, so
    the code is the only channel between the two. The encoder and decoder are
    the same for every ``code_size``; only the width of the code changes.

    Returns the model compiled with MSE (K^2) and Adam; its output has shape
    (batch, length) in K. ``seed`` fixes the initial weights.

    Raises
    ------
    ValueError
        For a size that is not a positive integer.
    """
    length = check_int("length", length)
    code_size = check_int("code_size", code_size)
    units = check_int("units", units)
    hidden_units = check_int("hidden_units", hidden_units)
    init = keras.initializers.GlorotUniform
    layers = keras.layers
    temperature = keras.Input((length, 1), name="temperature")                          # (batch, L, 1) K
    scaled = layers.Rescaling(1.0 / _SCALE_K, offset=-_CENTER_K / _SCALE_K)(temperature)
    final_state = layers.GRU(units, kernel_initializer=init(seed),
                             recurrent_initializer=keras.initializers.Orthogonal(seed=seed),
                             name="encoder")(scaled)                                    # (batch, u)
    code = layers.Dense(code_size, kernel_initializer=init(seed + 1), name="code")(final_state)    # (batch, code)
    hidden = layers.Dense(hidden_units, activation="relu", kernel_initializer=init(seed + 2),
                          name="decoder_hidden")(code)
    scaled_output = layers.Dense(length, kernel_initializer=init(seed + 3), name="decoder_output")(hidden)
    reconstruction = layers.Rescaling(_SCALE_K, offset=_CENTER_K, name="reconstruction")(scaled_output)  # (batch, L)
    model = keras.Model(temperature, reconstruction, name=f"code_{code_size}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model


def pca_floor(train: np.ndarray, test: np.ndarray, code_size: int) -> float:
    """RMSE on ``test`` of the best linear summary of each record by ``code_size`` numbers.

    The summary is the projection on the ``code_size`` leading principal
    components of ``train`` (both (n, length)); the records are rebuilt from
    it and compared with ``test``. For Gaussian records such as these, no
    smooth encoder with ``code_size`` outputs does better on average.

    Raises
    ------
    ValueError
        For 2-D arrays of different lengths, or ``code_size`` not in 1..length.
    """
    train, test = np.asarray(train, dtype=np.float64), np.asarray(test, dtype=np.float64)
    if train.ndim != 2 or test.ndim != 2 or train.shape[1] != test.shape[1]:
        raise ValueError(f"train and test must be (n, length) with the same length, got {train.shape} and {test.shape}")
    code_size = check_int("code_size", code_size)
    if code_size > train.shape[1]:
        raise ValueError(f"code_size must be at most the length {train.shape[1]}, got {code_size}")
    mean = train.mean(axis=0)
    components = np.linalg.svd(train - mean, full_matrices=False)[2][:code_size]       # (code, length)
    rebuilt = (test - mean) @ components.T @ components + mean
    return float(np.sqrt(np.mean((rebuilt - test) ** 2)))


@keras.saving.register_keras_serializable(package="labsupport.bottleneck")
class PositionEncoding(keras.layers.Layer):
    """(batch, T, d) -> the (batch, T, position_dim) sinusoidal encoding of steps 0..T-1.

    The encoding's base is 4 x T, which spreads the wavelengths over the
    record whether it is short or long.
    """

    def __init__(self, position_dim: int = 16, **kwargs):
        super().__init__(**kwargs)
        self.position_dim = position_dim

    def build(self, input_shape):
        length = input_shape[1]
        if length is None:
            raise ValueError("PositionEncoding needs a known sequence length")
        self.encoding = sinusoidal_encoding(length, self.position_dim, base=max(4.0 * length, 2.0))

    def call(self, x):
        batch = keras.ops.shape(x)[0]
        table = keras.ops.convert_to_tensor(self.encoding, dtype=x.dtype)
        return keras.ops.broadcast_to(table[None], (batch, *self.encoding.shape))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.position_dim)

    def get_config(self):
        return {**super().get_config(), "position_dim": self.position_dim}

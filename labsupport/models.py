"""RNN classifiers, sequence labelers and an encoder–decoder (Seq2Seq) with attention.

Everything is built from ``keras.layers`` and ``keras.ops`` (Keras 3), so it
runs unchanged on the TensorFlow and the JAX backend, on CPU or GPU.

- :func:`rnn_classifier`   one label per sequence (e.g. batch quality grade)
- :func:`sequence_labeler` one label per time step (e.g. operating phase)
- :func:`bidirectional_encoder` the forward and backward outputs, separately or merged
- :class:`Seq2Seq`         encoder–decoder for real-valued or token sequences,
  with optional Bahdanau or Luong attention, teacher forcing, scheduled
  sampling, a compiled free-running inference path, and inference pieces
  (encoder model, one-step decoder, a step function for
  :mod:`labsupport.decoding`) that share the trained weights.

Every builder takes ``seed``: the same seed gives the same initial weights,
whatever happened before in the process. With ``seed=None`` the weights come
from Keras' global generator (``keras.utils.set_random_seed``).

Variable-length input: pad every sequence at the end to a common length with
time steps whose features all equal ``mask_value`` (default ``0.0``), and
build with ``masking=True``; padded steps are then skipped by the RNNs, get
attention weight 0, and (for the sequence labeler) do not count in the loss.
A real observation must not be exactly all ``mask_value``; after
standardisation that is vanishingly unlikely, or pick another ``mask_value``.
"""
from __future__ import annotations

import numbers
from collections.abc import Callable

import keras
import numpy as np
from keras import ops

from labsupport.checks import check_int, check_seed
from labsupport.layers import LUONG_SCORES, AttentionPooling, BahdanauAttention, LuongAttention, WeightedMerge, to_numpy

__all__ = [
    "CELLS",
    "MERGE_MODES",
    "recurrent_layer",
    "rnn_classifier",
    "sequence_labeler",
    "bidirectional_encoder",
    "attention_pooling_weights",
    "AttentionDecoderCell",
    "Seq2Seq",
    "TeacherForcingSchedule",
    "linear_decay",
    "exponential_decay",
    "inverse_sigmoid_decay",
    "shift_right",
    "start_frame",
]

CELLS = ("simple", "lstm", "gru")
MERGE_MODES = ("concat", "sum", "mul", "ave", "weighted", None)
SEQ2SEQ_CELLS = ("lstm", "gru")
ATTENTIONS = (None, "bahdanau", "luong")

_RNN_CLASSES = {"simple": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
_CELL_CLASSES = {"lstm": keras.layers.LSTMCell, "gru": keras.layers.GRUCell}


# ----------------------------------------------------------------------------
# Argument checks
# ----------------------------------------------------------------------------
def _derived(seed, offset: int):
    return None if seed is None else seed + offset


def _check_cell(cell, allowed=CELLS) -> str:
    if cell not in allowed:
        raise ValueError(f"cell must be one of {allowed}, got {cell!r}")
    return cell


def _check_merge_mode(merge_mode, allow_none: bool):
    if merge_mode not in MERGE_MODES:
        raise ValueError(f"merge_mode must be one of {MERGE_MODES}, got {merge_mode!r}")
    if merge_mode is None and not allow_none:
        raise ValueError(
            "merge_mode=None gives two separate tensors, which a classifier head cannot take; "
            "use bidirectional_encoder(..., merge_mode=None) to look at them, or choose one of "
            f"{tuple(m for m in MERGE_MODES if m is not None)}"
        )
    return merge_mode


def _check_dropout(dropout) -> float:
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
    return float(dropout)


def _check_timesteps(timesteps):
    if timesteps is None:
        return None
    return check_int("timesteps", timesteps)


# ----------------------------------------------------------------------------
# Classifiers and labelers
# ----------------------------------------------------------------------------
def recurrent_layer(
    cell: str = "lstm",
    units: int = 32,
    *,
    return_sequences: bool = False,
    return_state: bool = False,
    go_backwards: bool = False,
    seed=None,
    name=None,
):
    """One Keras recurrent layer (``SimpleRNN``, ``LSTM`` or ``GRU``) with seeded initial weights.

    The input kernel is Glorot-uniform (seed ``seed``), the recurrent kernel
    orthogonal (seed ``seed + 1``), as in Keras' defaults.

    Raises ``ValueError`` for an unknown ``cell`` or ``units < 1``.
    """
    _check_cell(cell)
    units = check_int("units", units)
    seed = check_seed(seed, allow_none=True)
    return _RNN_CLASSES[cell](
        units,
        return_sequences=return_sequences,
        return_state=return_state,
        go_backwards=go_backwards,
        kernel_initializer=keras.initializers.GlorotUniform(seed=_derived(seed, 0)),
        recurrent_initializer=keras.initializers.Orthogonal(seed=_derived(seed, 1)),
        name=name,
    )


def _recurrent_block(x, cell, units, bidirectional, merge_mode, return_sequences, seed, name):
    """One (possibly bidirectional) recurrent layer applied to x (batch, T, d)."""
    if not bidirectional:
        return recurrent_layer(cell, units, return_sequences=return_sequences, seed=seed, name=name)(x)
    forward = recurrent_layer(cell, units, return_sequences=return_sequences, seed=_derived(seed, 0), name=f"{name}_forward")
    # An explicit backward layer gets its own seed; Keras' default copy of the
    # forward layer's config would otherwise start both directions identical.
    backward = recurrent_layer(
        cell, units, return_sequences=return_sequences, go_backwards=True, seed=_derived(seed, 2), name=f"{name}_backward"
    )
    keras_mode = None if merge_mode == "weighted" else merge_mode
    outputs = keras.layers.Bidirectional(forward, backward_layer=backward, merge_mode=keras_mode, name=name)(x)
    if merge_mode == "weighted":
        outputs = WeightedMerge(name=f"{name}_weighted_merge")(outputs)
    return outputs


def _recurrent_stack(x, cell, units, layers, bidirectional, merge_mode, dropout, seed, top_returns_sequences):
    """``layers`` recurrent blocks ``rnn_1..rnn_L`` on x (batch, T, d), each followed by ``dropout_i``
    when ``dropout`` > 0. Every layer but the top returns sequences; the top one does when
    ``top_returns_sequences``. Layer i draws its seeds from seed + 10·i (+7 for its dropout)."""
    for i in range(layers):
        return_sequences = i < layers - 1 or top_returns_sequences
        x = _recurrent_block(x, cell, units, bidirectional, merge_mode, return_sequences, _derived(seed, 10 * i),
                             f"rnn_{i + 1}")
        if dropout:
            x = keras.layers.Dropout(dropout, seed=_derived(seed, 10 * i + 7), name=f"dropout_{i + 1}")(x)
    return x


def _softmax_head(x, n_classes, seed, name):
    """``Dense(n_classes, softmax)`` named ``name`` on the last axis of x, seeded with seed + 2000."""
    return keras.layers.Dense(
        n_classes, activation="softmax", kernel_initializer=keras.initializers.GlorotUniform(seed=_derived(seed, 2000)),
        name=name,
    )(x)


def _sequence_input(n_features, timesteps, masking, mask_value):
    inputs = keras.Input(shape=(timesteps, n_features), name="sequence")  # (batch, T, n_features)
    x = keras.layers.Masking(mask_value=mask_value, name="masking")(inputs) if masking else inputs
    return inputs, x


def _check_common(n_features, n_classes, cell, units, layers, merge_mode, dropout, timesteps, seed, allow_none_merge):
    return (
        check_int("n_features", n_features),
        check_int("n_classes", n_classes, minimum=2),
        _check_cell(cell),
        check_int("units", units),
        check_int("layers", layers),
        _check_merge_mode(merge_mode, allow_none_merge),
        _check_dropout(dropout),
        _check_timesteps(timesteps),
        check_seed(seed, allow_none=True),
    )


def rnn_classifier(
    n_features: int,
    n_classes: int,
    cell: str = "lstm",
    units: int = 32,
    layers: int = 1,
    bidirectional: bool = False,
    merge_mode="concat",
    dropout: float = 0.0,
    masking: bool = False,
    attention_pooling: bool = False,
    *,
    mask_value: float = 0.0,
    timesteps=None,
    seed=None,
    name: str = "rnn_classifier",
) -> keras.Model:
    """A sequence classifier: (batch, T, n_features) → class probabilities (batch, n_classes).

    ``layers`` recurrent layers of ``units`` each (``cell`` "simple", "lstm"
    or "gru"), optionally bidirectional with ``merge_mode`` "concat", "sum",
    "mul", "ave" (Keras' modes) or "weighted" (a learned α·forward +
    (1−α)·backward, :class:`~labsupport.layers.WeightedMerge`). ``dropout``
    is a ``Dropout`` layer after every recurrent layer. The sequence summary
    is the last state of the top layer, or with ``attention_pooling=True`` a
    learned weighted average over all time steps (layer name
    ``"attention_pooling"``; see :func:`attention_pooling_weights`). The head
    is ``Dense(n_classes, softmax)``: compile with
    ``loss="sparse_categorical_crossentropy"``.

    ``masking=True`` adds a ``Masking(mask_value)`` layer for variable-length
    sequences padded at the end with ``mask_value`` (see the module notes).
    ``timesteps=None`` accepts any length.

    Raises
    ------
    ValueError
        For an unknown ``cell`` or ``merge_mode`` (``None`` is refused here,
        since the head needs one tensor), ``n_classes < 2``, sizes < 1, or
        ``dropout`` outside [0, 1).
    """
    n_features, n_classes, cell, units, layers, merge_mode, dropout, timesteps, seed = _check_common(
        n_features, n_classes, cell, units, layers, merge_mode, dropout, timesteps, seed, allow_none_merge=False
    )
    inputs, x = _sequence_input(n_features, timesteps, masking, mask_value)
    x = _recurrent_stack(x, cell, units, layers, bidirectional, merge_mode, dropout, seed,
                         top_returns_sequences=attention_pooling)
    if attention_pooling:
        x, _ = AttentionPooling(seed=_derived(seed, 1000), name="attention_pooling")(x)  # (batch, width)
    outputs = _softmax_head(x, n_classes, seed, "class_probabilities")  # (batch, n_classes)
    return keras.Model(inputs, outputs, name=name)


def sequence_labeler(
    n_features: int,
    n_classes: int,
    cell: str = "lstm",
    units: int = 32,
    layers: int = 1,
    bidirectional: bool = False,
    merge_mode="concat",
    dropout: float = 0.0,
    masking: bool = True,
    *,
    mask_value: float = 0.0,
    timesteps=None,
    seed=None,
    name: str = "sequence_labeler",
) -> keras.Model:
    """A per-step classifier: (batch, T, n_features) → probabilities (batch, T, n_classes).

    Same recurrent stack as :func:`rnn_classifier` with every layer returning
    sequences, then ``Dense(n_classes, softmax)`` at each step. With
    ``masking=True`` (the default) time steps whose features all equal
    ``mask_value`` (default 0.0) are padding: the RNNs skip them and Keras
    leaves them out of the loss and the metrics, so their labels may be any
    valid class id (e.g. 0). Compile with
    ``loss="sparse_categorical_crossentropy"`` and labels of shape (batch, T).

    Raises ``ValueError`` as :func:`rnn_classifier` does.
    """
    n_features, n_classes, cell, units, layers, merge_mode, dropout, timesteps, seed = _check_common(
        n_features, n_classes, cell, units, layers, merge_mode, dropout, timesteps, seed, allow_none_merge=False
    )
    inputs, x = _sequence_input(n_features, timesteps, masking, mask_value)
    x = _recurrent_stack(x, cell, units, layers, bidirectional, merge_mode, dropout, seed, top_returns_sequences=True)
    outputs = _softmax_head(x, n_classes, seed, "step_probabilities")  # (batch, T, n_classes)
    return keras.Model(inputs, outputs, name=name)


def bidirectional_encoder(
    n_features: int,
    cell: str = "lstm",
    units: int = 32,
    merge_mode=None,
    return_sequences: bool = True,
    masking: bool = False,
    *,
    mask_value: float = 0.0,
    timesteps=None,
    seed=None,
    name: str = "bidirectional_encoder",
) -> keras.Model:
    """One bidirectional recurrent layer as a model, to look at what each direction computes.

    With ``merge_mode=None`` the model has two outputs ``[forward, backward]``,
    each (batch, T, units) (or (batch, units) with
    ``return_sequences=False``). ``forward[:, t]`` has read x_1..x_t;
    ``backward[:, t]`` has read x_T..x_t (Keras re-aligns the backward
    sequence in time), so ``backward[:, 0]`` is the backward RNN's final
    output. With ``return_sequences=False``, ``forward`` is the forward
    RNN's output after x_T and ``backward`` the backward RNN's after x_1.
    Other merge modes give one tensor: width 2·units for "concat", units
    otherwise. The layer is named ``"bidirectional"``; its
    ``forward_layer`` and ``backward_layer`` are the two RNNs.

    Raises ``ValueError`` for an unknown ``cell``/``merge_mode`` or sizes < 1.
    """
    n_features = check_int("n_features", n_features)
    _check_cell(cell)
    units = check_int("units", units)
    merge_mode = _check_merge_mode(merge_mode, allow_none=True)
    timesteps = _check_timesteps(timesteps)
    seed = check_seed(seed, allow_none=True)
    inputs, x = _sequence_input(n_features, timesteps, masking, mask_value)
    outputs = _recurrent_block(x, cell, units, True, merge_mode, return_sequences, seed, "bidirectional")
    return keras.Model(inputs, outputs, name=name)


def attention_pooling_weights(model: keras.Model, sequences, batch_size: int = 256) -> np.ndarray:
    """Attention weights (batch, T) of a classifier built with ``attention_pooling=True``.

    Raises ``ValueError`` if ``model`` has no layer named ``"attention_pooling"``.
    """
    try:
        pooling = model.get_layer("attention_pooling")
    except ValueError:
        raise ValueError(
            "the model has no 'attention_pooling' layer; build it with rnn_classifier(..., attention_pooling=True)"
        ) from None
    # A single-input model is probed through its one input tensor (not a list
    # of one), so that calling it with an array matches its input structure.
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    probe = keras.Model(inputs, pooling.output[1])
    return np.asarray(probe.predict(sequences, batch_size=batch_size, verbose=0))


# ----------------------------------------------------------------------------
# Seq2Seq
# ----------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="labsupport")
class AttentionDecoderCell(keras.layers.Layer):
    """One decoder time step: previous output and state → new output, new state, attention weights.

    With ``attention=None``:  h_t = RNN(y_{t-1}, h_{t-1});  ŷ_t = W_o h_t.

    With ``"bahdanau"`` (the query is the previous state):
        c_t, α_t = attention(h_{t-1}, H);  h_t = RNN([y_{t-1}; c_t], h_{t-1});
        ŷ_t = W_o [h_t; c_t].

    With ``"luong"`` (the query is the new state; no input feeding):
        h_t = RNN(y_{t-1}, h_{t-1});  c_t, α_t = attention(h_t, H);
        h̃_t = tanh(W_c [c_t; h_t]);  ŷ_t = W_o h̃_t.

    ``y_{t-1}`` is an input *vector* (a frame for real-valued targets, a
    token embedding for token targets), ``H`` the encoder outputs.

    Call: ``cell(input_vector, states, encoder_outputs, source_mask=None,
    projected_values=None)`` with ``input_vector`` (batch, d_in), ``states``
    a list of (batch, units) (``[h, c]`` for LSTM, ``[h]`` for GRU),
    ``encoder_outputs`` (batch, T_in, d_enc), ``source_mask`` (batch, T_in)
    → ``(output (batch, output_size), new_states, weights (batch, T_in))``;
    the weights are all 0 without attention.
    """

    def __init__(
        self,
        cell: str = "lstm",
        units: int = 32,
        output_size: int = 1,
        attention=None,
        luong_score: str = "general",
        attention_units=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.cell = _check_cell(cell, SEQ2SEQ_CELLS)
        self.units = check_int("units", units)
        self.output_size = check_int("output_size", output_size)
        if attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS}, got {attention!r}")
        if luong_score not in LUONG_SCORES:
            raise ValueError(f"luong_score must be one of {LUONG_SCORES}, got {luong_score!r}")
        self.attention_kind = attention
        self.luong_score = luong_score
        self.attention_units = None if attention_units is None else check_int("attention_units", attention_units)
        self.seed = check_seed(seed, allow_none=True)
        self.rnn_cell = _CELL_CLASSES[cell](
            self.units,
            kernel_initializer=keras.initializers.GlorotUniform(seed=_derived(self.seed, 0)),
            recurrent_initializer=keras.initializers.Orthogonal(seed=_derived(self.seed, 1)),
            name="rnn_cell",
        )
        if attention == "bahdanau":
            self.attention = BahdanauAttention(self.attention_units or self.units, seed=_derived(self.seed, 10), name="attention")
        elif attention == "luong":
            self.attention = LuongAttention(luong_score, self.attention_units, seed=_derived(self.seed, 10), name="attention")
            self.attentional_dense = keras.layers.Dense(
                self.units,
                activation="tanh",
                use_bias=False,
                kernel_initializer=keras.initializers.GlorotUniform(seed=_derived(self.seed, 20)),
                name="attentional",
            )
        else:
            self.attention = None
        self.output_dense = keras.layers.Dense(
            self.output_size, kernel_initializer=keras.initializers.GlorotUniform(seed=_derived(self.seed, 30)), name="output"
        )

    @property
    def state_size(self) -> list[int]:
        return [self.units, self.units] if self.cell == "lstm" else [self.units]

    def build(self, input_vector_shape, encoder_outputs_shape):
        d_in, d_enc = input_vector_shape[-1], encoder_outputs_shape[-1]
        rnn_input = d_in + (d_enc if self.attention_kind == "bahdanau" else 0)
        self.rnn_cell.build((None, rnn_input))
        if self.attention is not None:
            self.attention.build((None, self.units), (None, None, d_enc))
        if self.attention_kind == "luong":
            self.attentional_dense.build((None, d_enc + self.units))
            self.output_dense.build((None, self.units))
        elif self.attention_kind == "bahdanau":
            self.output_dense.build((None, self.units + d_enc))
        else:
            self.output_dense.build((None, self.units))

    def project_values(self, encoder_outputs):
        """The part of the attention scores that is the same at every step (or None)."""
        if self.attention is None:
            return None
        return self.attention.project_values(encoder_outputs)

    def call(self, input_vector, states, encoder_outputs, source_mask=None, projected_values=None):
        states = list(states)
        if self.attention_kind == "bahdanau":
            # The query is the previous hidden state h_{t-1}.
            context, weights = self.attention(
                states[0], encoder_outputs, mask=source_mask, projected_values=projected_values
            )  # (batch, d_enc), (batch, T_in)
            rnn_input = ops.concatenate([input_vector, context], axis=-1)  # (batch, d_in + d_enc)
            hidden, new_states = self.rnn_cell(rnn_input, states)  # (batch, units)
            output = self.output_dense(ops.concatenate([hidden, context], axis=-1))  # (batch, output_size)
        elif self.attention_kind == "luong":
            hidden, new_states = self.rnn_cell(input_vector, states)  # (batch, units)
            # The query is the new hidden state h_t.
            context, weights = self.attention(
                hidden, encoder_outputs, mask=source_mask, projected_values=projected_values
            )  # (batch, d_enc), (batch, T_in)
            attentional = self.attentional_dense(ops.concatenate([context, hidden], axis=-1))  # (batch, units)
            output = self.output_dense(attentional)  # (batch, output_size)
        else:
            hidden, new_states = self.rnn_cell(input_vector, states)  # (batch, units)
            output = self.output_dense(hidden)  # (batch, output_size)
            weights = ops.zeros_like(encoder_outputs[:, :, 0])  # (batch, T_in)
        return output, list(new_states), weights

    def get_config(self):
        config = super().get_config()
        config.update(
            cell=self.cell,
            units=self.units,
            output_size=self.output_size,
            attention=self.attention_kind,
            luong_score=self.luong_score,
            attention_units=self.attention_units,
            seed=self.seed,
        )
        return config


class _Seq2SeqRunner(keras.Model):
    """Compiled inference for a Seq2Seq: its ``predict`` returns (outputs, attention weights).

    It tracks the Seq2Seq's layers (so a later ``fit`` of the Seq2Seq is seen
    here, on every backend) and is kept outside the Seq2Seq's own tracking.
    """

    def __init__(self, seq2seq, free_running: bool, **kwargs):
        super().__init__(**kwargs)
        self.seq2seq = seq2seq
        self.free_running = free_running
        self.built = True

    def call(self, inputs):
        encoder_inputs, decoder_inputs = inputs
        return self.seq2seq._run(encoder_inputs, decoder_inputs, free_running=self.free_running)


@keras.saving.register_keras_serializable(package="labsupport")
class Seq2Seq(keras.Model):
    """Encoder–decoder for real-valued or token sequences, with optional attention.

    Source: real-valued ``(batch, T_in, n_features)`` (give ``n_features``) or
    token ids ``(batch, T_in)`` (give ``source_vocab_size``; id 0 is padding
    and gets attention weight 0). Target: real-valued ``(batch, T_out,
    n_outputs)`` (give ``n_outputs``; regression, e.g. ``loss="mse"``) or token
    ids ``(batch, T_out)`` (give ``target_vocab_size``; the model outputs
    logits, e.g. ``SparseCategoricalCrossentropy(from_logits=True,
    ignore_class=0)``).

    The encoder is one ``cell`` layer ("lstm" or "gru") of ``units`` that
    returns all its outputs H (batch, T_in, units) and its final state, which
    starts the decoder. The decoder is an :class:`AttentionDecoderCell` run
    over the target steps with ``keras.ops.scan`` (a compiled loop inside
    ``fit``/``predict``; no Python loop over time), with ``attention`` None,
    ``"bahdanau"`` or ``"luong"`` (``luong_score`` "dot", "general",
    "concat"; "dot" needs no extra weights since the decoder and encoder have
    the same ``units``).

    **Training with teacher forcing.** ``model.fit([encoder_inputs,
    decoder_inputs], targets)`` where ``decoder_inputs = shift_right(targets,
    start)``: the targets moved one step later, with a start frame/token in
    front. For tokens the start is the ``<start>`` id. For real-valued
    targets the start frame is a choice the caller makes and must make the
    same way at inference: the last observed value of the target variables
    (:func:`start_frame`) when the targets continue the source (forecasting),
    or zeros when they do not (conversion between different variables).

    **Scheduled sampling.** ``teacher_forcing_ratio`` (a model variable, 1.0
    by default) is the probability that, during training, a step's decoder
    input is the true previous target; otherwise it is the model's own
    previous prediction (the frame itself, or the embedding of the argmax
    token), without a gradient through the choice (Bengio et al., 2015). Drawn
    independently per example and step inside the compiled training step;
    the first step always gets the start frame/token. Let it decay with
    :class:`TeacherForcingSchedule`. ``predict`` and evaluation are always
    teacher-forced; free running is :meth:`generate`.

    **Inference.** :meth:`generate` feeds back its own predictions for a
    given number of steps and returns the outputs and the attention weights
    of every step (batch, T_out, T_in); :meth:`attention_weights` gives the
    teacher-forced weights. :meth:`encoder_model`, :meth:`decoder_step_model`
    and :meth:`decoding_fn` are inference pieces built from the same layer
    objects, so they share the trained weights.

    Raises
    ------
    ValueError
        Unless exactly one of ``n_features``/``source_vocab_size`` and one of
        ``n_outputs``/``target_vocab_size`` is given, for an unknown ``cell``,
        ``attention`` or ``luong_score``, sizes < 1, a
        ``teacher_forcing_ratio`` outside [0, 1], and (when called) inputs of
        the wrong shape.
    """

    def __init__(
        self,
        *,
        n_features=None,
        source_vocab_size=None,
        n_outputs=None,
        target_vocab_size=None,
        cell: str = "lstm",
        units: int = 32,
        attention=None,
        luong_score: str = "general",
        attention_units=None,
        embedding_dim: int = 16,
        teacher_forcing_ratio: float = 1.0,
        seed=None,
        **kwargs,
    ):
        kwargs.setdefault("name", "seq2seq")
        super().__init__(**kwargs)
        if (n_features is None) == (source_vocab_size is None):
            raise ValueError(
                "give exactly one of n_features (real-valued source) and source_vocab_size (token source), "
                f"got n_features={n_features!r}, source_vocab_size={source_vocab_size!r}"
            )
        if (n_outputs is None) == (target_vocab_size is None):
            raise ValueError(
                "give exactly one of n_outputs (real-valued target) and target_vocab_size (token target), "
                f"got n_outputs={n_outputs!r}, target_vocab_size={target_vocab_size!r}"
            )
        self.n_features = None if n_features is None else check_int("n_features", n_features)
        self.source_vocab_size = None if source_vocab_size is None else check_int("source_vocab_size", source_vocab_size, 2)
        self.n_outputs = None if n_outputs is None else check_int("n_outputs", n_outputs)
        self.target_vocab_size = None if target_vocab_size is None else check_int("target_vocab_size", target_vocab_size, 2)
        self.cell = _check_cell(cell, SEQ2SEQ_CELLS)
        self.units = check_int("units", units)
        if attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS}, got {attention!r}")
        if luong_score not in LUONG_SCORES:
            raise ValueError(f"luong_score must be one of {LUONG_SCORES}, got {luong_score!r}")
        self.attention = attention
        self.luong_score = luong_score
        self.attention_units = None if attention_units is None else check_int("attention_units", attention_units)
        self.embedding_dim = check_int("embedding_dim", embedding_dim)
        ratio = self._check_ratio(teacher_forcing_ratio)
        self.seed = check_seed(seed, allow_none=True)

        self.source_tokens = self.source_vocab_size is not None
        self.target_tokens = self.target_vocab_size is not None
        self.output_size = self.target_vocab_size if self.target_tokens else self.n_outputs

        if self.source_tokens:
            self.source_embedding = keras.layers.Embedding(
                self.source_vocab_size,
                self.embedding_dim,
                embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=_derived(self.seed, 100)),
                name="source_embedding",
            )
        self.encoder_rnn = recurrent_layer(
            cell, self.units, return_sequences=True, return_state=True, seed=_derived(self.seed, 200), name="encoder"
        )
        if self.target_tokens:
            self.target_embedding = keras.layers.Embedding(
                self.target_vocab_size,
                self.embedding_dim,
                embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=_derived(self.seed, 300)),
                name="target_embedding",
            )
        self.decoder_cell = AttentionDecoderCell(
            cell,
            self.units,
            self.output_size,
            attention=attention,
            luong_score=luong_score,
            attention_units=self.attention_units,
            seed=_derived(self.seed, 400),
            name="decoder",
        )
        self._teacher_forcing = self.add_weight(
            name="teacher_forcing_ratio",
            shape=(),
            initializer=keras.initializers.Constant(ratio),
            trainable=False,
        )
        self._sampling_seed = keras.random.SeedGenerator(_derived(self.seed, 500), name="scheduled_sampling_seed")
        self.build()
        # Inference helpers live outside Keras' tracking (they track *us*).
        self.__dict__["_inference_cache"] = {}

    # -- construction -------------------------------------------------------
    def build(self, input_shape=None):
        if self.source_tokens:
            self.source_embedding.build((None, None))
            encoder_in = self.embedding_dim
        else:
            encoder_in = self.n_features
        self.encoder_rnn.build((None, None, encoder_in))
        if self.target_tokens:
            self.target_embedding.build((None, None))
            decoder_in = self.embedding_dim
        else:
            decoder_in = self.n_outputs
        self.decoder_cell.build((None, decoder_in), (None, None, self.units))

    @staticmethod
    def _check_ratio(ratio) -> float:
        if isinstance(ratio, bool) or not isinstance(ratio, numbers.Real) or not 0.0 <= ratio <= 1.0:
            raise ValueError(f"teacher_forcing_ratio must be a number in [0, 1], got {ratio!r}")
        return float(ratio)

    @property
    def teacher_forcing_ratio(self) -> float:
        """Probability that a training step is fed the true previous target (settable)."""
        # Stored as float32; rounding gives back the number that was set (0.3, not 0.30000001).
        return round(float(to_numpy(self._teacher_forcing)), 6)

    @teacher_forcing_ratio.setter
    def teacher_forcing_ratio(self, value) -> None:
        self._teacher_forcing.assign(self._check_ratio(value))

    def get_config(self):
        config = super().get_config()
        config.update(
            n_features=self.n_features,
            source_vocab_size=self.source_vocab_size,
            n_outputs=self.n_outputs,
            target_vocab_size=self.target_vocab_size,
            cell=self.cell,
            units=self.units,
            attention=self.attention,
            luong_score=self.luong_score,
            attention_units=self.attention_units,
            embedding_dim=self.embedding_dim,
            teacher_forcing_ratio=self.teacher_forcing_ratio,
            seed=self.seed,
        )
        return config

    # -- shape checks -------------------------------------------------------
    def _check_encoder_inputs(self, encoder_inputs):
        shape = tuple(encoder_inputs.shape)
        if self.source_tokens:
            if len(shape) != 2:
                raise ValueError(f"token encoder inputs must have shape (batch, T_in), got {shape}")
        elif len(shape) != 3 or shape[-1] != self.n_features:
            raise ValueError(f"encoder inputs must have shape (batch, T_in, {self.n_features}), got {shape}")

    def _check_decoder_inputs(self, decoder_inputs):
        shape = tuple(decoder_inputs.shape)
        if self.target_tokens:
            if len(shape) != 2:
                raise ValueError(f"token decoder inputs must have shape (batch, T_out), got {shape}")
        elif len(shape) != 3 or shape[-1] != self.n_outputs:
            raise ValueError(f"decoder inputs must have shape (batch, T_out, {self.n_outputs}), got {shape}")

    @staticmethod
    def _split_inputs(inputs):
        if isinstance(inputs, dict):
            try:
                return inputs["encoder_inputs"], inputs["decoder_inputs"]
            except KeyError:
                raise ValueError(
                    f"a dict input needs the keys 'encoder_inputs' and 'decoder_inputs', got {sorted(inputs)}"
                ) from None
        if isinstance(inputs, (list, tuple)) and len(inputs) == 2:
            return inputs[0], inputs[1]
        raise ValueError("Seq2Seq takes [encoder_inputs, decoder_inputs] (a list of two arrays)")

    # -- the computation ----------------------------------------------------
    def encode(self, encoder_inputs):
        """Run the encoder.

        Returns ``(encoder_outputs (batch, T_in, units), states, source_mask)``
        with ``states`` the list of final states (batch, units) and
        ``source_mask`` (batch, T_in) boolean for token sources (id 0 =
        padding), None for real-valued sources.
        """
        if self.source_tokens:
            source_mask = ops.not_equal(encoder_inputs, 0)  # (batch, T_in)
            embedded = self.source_embedding(encoder_inputs)  # (batch, T_in, embedding_dim)
            results = self.encoder_rnn(embedded, mask=source_mask)
        else:
            source_mask = None
            results = self.encoder_rnn(encoder_inputs)
        encoder_outputs, states = results[0], list(results[1:])  # (batch, T_in, units), [(batch, units), ...]
        return encoder_outputs, states, source_mask

    def _input_vectors(self, decoder_inputs):
        if self.target_tokens:
            return self.target_embedding(decoder_inputs)  # (batch, T_out, embedding_dim)
        return ops.cast(decoder_inputs, self.compute_dtype)  # (batch, T_out, n_outputs)

    def _feedback(self, output):
        """The decoder's own prediction as the next input vector."""
        if self.target_tokens:
            return self.target_embedding(ops.argmax(output, axis=-1))  # (batch, embedding_dim)
        return output  # (batch, n_outputs)

    def _decode(self, encoder_outputs, states, source_mask, input_vectors, use_teacher):
        """Run the decoder cell over T_out steps with keras.ops.scan.

        input_vectors (batch, T_out, d_in): what teacher forcing feeds at each
        step; use_teacher (batch, T_out) bool: where it is fed (elsewhere the
        previous prediction is). Returns outputs (batch, T_out, output_size)
        and attention weights (batch, T_out, T_in).
        """
        projected_values = self.decoder_cell.project_values(encoder_outputs)  # (batch, T_in, units) or None
        batch = ops.shape(input_vectors)[0]
        first_output = ops.zeros((batch, self.output_size), dtype=input_vectors.dtype)  # (batch, output_size)
        first_weights = ops.zeros_like(encoder_outputs[:, :, 0])  # (batch, T_in)

        def step(carry, inputs_t):
            previous_states, previous_output, _ = carry
            teacher_vector, teacher_here = inputs_t  # (batch, d_in), (batch,)
            own_vector = ops.stop_gradient(self._feedback(previous_output))  # (batch, d_in)
            input_vector = ops.where(teacher_here[:, None], teacher_vector, own_vector)  # (batch, d_in)
            output, new_states, weights = self.decoder_cell(
                input_vector, previous_states, encoder_outputs, source_mask=source_mask, projected_values=projected_values
            )
            new_carry = (new_states, output, weights)
            # Keras' TensorFlow scan requires the per-step outputs to mirror the carry.
            return new_carry, new_carry

        time_major = (
            ops.transpose(input_vectors, (1, 0, 2)),  # (T_out, batch, d_in)
            ops.transpose(use_teacher, (1, 0)),  # (T_out, batch)
        )
        _, (_, outputs, weights) = ops.scan(step, (list(states), first_output, first_weights), time_major)
        outputs = ops.transpose(outputs, (1, 0, 2))  # (batch, T_out, output_size)
        weights = ops.transpose(weights, (1, 0, 2))  # (batch, T_out, T_in)
        return outputs, weights

    def _teacher_mask(self, decoder_inputs, ratio):
        """(batch, T_out) bool: True where the true previous target is fed; always True at step 0.

        ``ratio`` None: teacher forcing everywhere; "free": only step 0 (free
        running); a number or variable: each later step with that probability.
        """
        shape = ops.shape(decoder_inputs)[:2]
        first_step = ops.equal(ops.arange(shape[1]), 0)[None, :]  # (1, T_out)
        if ratio is None:
            return ops.ones(shape, dtype="bool")
        if isinstance(ratio, str):  # "free"
            return ops.logical_and(ops.ones(shape, dtype="bool"), first_step)
        draws = keras.random.uniform(shape, seed=self._sampling_seed)  # (batch, T_out)
        return ops.logical_or(draws < ratio, first_step)

    def _run(self, encoder_inputs, decoder_inputs, free_running: bool):
        self._check_encoder_inputs(encoder_inputs)
        self._check_decoder_inputs(decoder_inputs)
        encoder_outputs, states, source_mask = self.encode(encoder_inputs)
        input_vectors = self._input_vectors(decoder_inputs)
        use_teacher = self._teacher_mask(decoder_inputs, "free" if free_running else None)
        return self._decode(encoder_outputs, states, source_mask, input_vectors, use_teacher)

    def call(self, inputs, training=None):
        """``[encoder_inputs, decoder_inputs]`` → outputs (batch, T_out, n_outputs or target_vocab_size)."""
        encoder_inputs, decoder_inputs = self._split_inputs(inputs)
        self._check_encoder_inputs(encoder_inputs)
        self._check_decoder_inputs(decoder_inputs)
        encoder_outputs, states, source_mask = self.encode(encoder_inputs)
        input_vectors = self._input_vectors(decoder_inputs)
        ratio = self._teacher_forcing if training else None
        use_teacher = self._teacher_mask(decoder_inputs, ratio)
        outputs, _ = self._decode(encoder_outputs, states, source_mask, input_vectors, use_teacher)
        return outputs

    # -- inference ------------------------------------------------------------
    def _runner(self, free_running: bool) -> _Seq2SeqRunner:
        key = ("runner", free_running)
        if key not in self._inference_cache:
            self._inference_cache[key] = _Seq2SeqRunner(self, free_running, name=f"{self.name}_runner")
        return self._inference_cache[key]

    def _as_encoder_array(self, encoder_inputs):
        array = np.asarray(encoder_inputs)
        if self.source_tokens:
            if array.ndim != 2:
                raise ValueError(f"token encoder inputs must have shape (batch, T_in), got {array.shape}")
            return array.astype("int32")
        if array.ndim != 3 or array.shape[-1] != self.n_features:
            raise ValueError(f"encoder inputs must have shape (batch, T_in, {self.n_features}), got {array.shape}")
        return array.astype("float32")

    def generate(self, encoder_inputs, steps: int, start=None, end_token=None, pad_token: int = 0, batch_size: int = 256):
        """Free-running decoding: every step is fed the model's own previous prediction.

        Parameters
        ----------
        encoder_inputs:
            (batch, T_in, n_features) floats or (batch, T_in) token ids.
        steps:
            Number of decoder steps T_out (>= 1).
        start:
            Real-valued targets: the start frame, (batch, n_outputs) or
            (n_outputs,) or a number (default 0.0: zeros), made the same way
            as for training (see the class notes). Token targets: the start
            token id (required).
        end_token:
            Token targets only: after the first ``end_token`` of a sequence
            the remaining positions are set to ``pad_token``.
        batch_size:
            Examples per compiled call.

        Returns
        -------
        outputs, attention:
            ``outputs`` (batch, steps, n_outputs) floats, or (batch, steps)
            greedy token ids; ``attention`` (batch, steps, T_in), the weights
            of every decoder step (None for a model without attention).

        Raises
        ------
        ValueError
            For ``steps < 1``, inputs or ``start`` of the wrong shape, or a
            missing start token.
        """
        steps = check_int("steps", steps)
        encoder_array = self._as_encoder_array(encoder_inputs)
        batch = encoder_array.shape[0]
        if self.target_tokens:
            if start is None or isinstance(start, bool) or not isinstance(start, numbers.Integral) or not 0 <= start < self.target_vocab_size:
                raise ValueError(f"start must be a token id in [0, {self.target_vocab_size}), got {start!r}")
            decoder_array = np.zeros((batch, steps), dtype="int32")
            decoder_array[:, 0] = start
        else:
            start_array = np.asarray(0.0 if start is None else start, dtype="float32")
            try:
                start_array = np.broadcast_to(start_array, (batch, self.n_outputs))
            except ValueError:
                raise ValueError(
                    f"start must broadcast to (batch, n_outputs) = ({batch}, {self.n_outputs}), got shape {start_array.shape}"
                ) from None
            decoder_array = np.zeros((batch, steps, self.n_outputs), dtype="float32")
            decoder_array[:, 0] = start_array
        outputs, weights = self._runner(True).predict(
            [encoder_array, decoder_array], batch_size=check_int("batch_size", batch_size), verbose=0
        )
        outputs, weights = np.asarray(outputs), np.asarray(weights)
        if self.target_tokens:
            outputs = outputs.argmax(axis=-1).astype("int64")  # (batch, steps)
            if end_token is not None:
                ended_before = np.cumsum(outputs == end_token, axis=1) - (outputs == end_token) > 0
                outputs[ended_before] = pad_token
        return outputs, (weights if self.attention is not None else None)

    def attention_weights(self, encoder_inputs, decoder_inputs, batch_size: int = 256) -> np.ndarray:
        """Teacher-forced attention weights (batch, T_out, T_in) for the given decoder inputs.

        Raises ``ValueError`` for a model without attention or inputs of the wrong shape.
        """
        if self.attention is None:
            raise ValueError("this Seq2Seq has no attention (attention=None), so it has no attention weights")
        encoder_array = self._as_encoder_array(encoder_inputs)
        decoder_array = np.asarray(decoder_inputs)
        decoder_array = decoder_array.astype("int32" if self.target_tokens else "float32")
        _, weights = self._runner(False).predict(
            [encoder_array, decoder_array], batch_size=check_int("batch_size", batch_size), verbose=0
        )
        return np.asarray(weights)

    def encoder_model(self) -> keras.Model:
        """The encoder as a functional model sharing this model's layers.

        Input: (batch, T_in, n_features) or (batch, T_in) token ids. Outputs:
        ``[encoder_outputs (batch, T_in, units), *states (batch, units)]``,
        plus ``source_mask`` (batch, T_in) for token sources.
        """
        if "encoder" not in self._inference_cache:
            if self.source_tokens:
                source = keras.Input(shape=(None,), dtype="int32", name="source_tokens")
            else:
                source = keras.Input(shape=(None, self.n_features), name="encoder_inputs")
            encoder_outputs, states, source_mask = self.encode(source)
            outputs = [encoder_outputs, *states] + ([source_mask] if self.source_tokens else [])
            self._inference_cache["encoder"] = keras.Model(source, outputs, name="encoder_model")
        return self._inference_cache["encoder"]

    def decoder_step_model(self) -> keras.Model:
        """One decoder step as a functional model sharing this model's layers.

        Inputs: ``[previous, *states, encoder_outputs]`` (+ ``source_mask`` for
        token sources) with ``previous`` the previous frame (batch, n_outputs)
        or token ids (batch,), ``states`` (batch, units) each (``[h, c]`` for
        LSTM, ``[h]`` for GRU), ``encoder_outputs`` (batch, T_in, units).
        Outputs: ``[output, *new_states, weights]`` with ``output`` the frame
        (batch, n_outputs) or logits (batch, target_vocab_size) and ``weights``
        (batch, T_in).
        """
        if "step" not in self._inference_cache:
            if self.target_tokens:
                previous = keras.Input(shape=(), dtype="int32", name="previous_token")
                input_vector = self.target_embedding(previous)  # (batch, embedding_dim)
            else:
                previous = keras.Input(shape=(self.n_outputs,), name="previous_frame")
                input_vector = previous  # (batch, n_outputs)
            states = [keras.Input(shape=(self.units,), name=f"state_{i}") for i in range(len(self.decoder_cell.state_size))]
            encoder_outputs = keras.Input(shape=(None, self.units), name="encoder_outputs")
            inputs = [previous, *states, encoder_outputs]
            source_mask = None
            if self.source_tokens:
                source_mask = keras.Input(shape=(None,), dtype="bool", name="source_mask")
                inputs.append(source_mask)
            output, new_states, weights = self.decoder_cell(input_vector, states, encoder_outputs, source_mask=source_mask)
            self._inference_cache["step"] = keras.Model(inputs, [output, *new_states, weights], name="decoder_step")
        return self._inference_cache["step"]

    def decoding_fn(self, source):
        """A step function and initial state for :mod:`labsupport.decoding` (token targets).

        ``source``: one source sequence, (T_in,) or (1, T_in) token ids, or
        (T_in, n_features) / (1, T_in, n_features) floats.

        Returns ``(step_fn, initial_state)``: ``step_fn(tokens (n,), state) ->
        (log_probs (n, target_vocab_size), new_state)``, and ``initial_state``
        a dict of NumPy arrays with leading dimension 1: ``"states"`` (list of
        (1, units)), ``"encoder_outputs"`` (1, T_in, units) and, for token
        sources, ``"source_mask"`` (1, T_in). Each ``step_fn`` call is one
        compiled call of :meth:`decoder_step_model` for all n rows.

        Raises ``ValueError`` for a real-valued target or a source of the wrong shape.
        """
        if not self.target_tokens:
            raise ValueError("decoding_fn needs token targets (target_vocab_size); use generate() for real-valued targets")
        source = np.asarray(source)
        if source.ndim == (1 if self.source_tokens else 2):
            source = source[None]
        source = self._as_encoder_array(source)
        if source.shape[0] != 1:
            raise ValueError(f"decoding_fn takes one source sequence, got a batch of {source.shape[0]}")
        encoded = [np.asarray(a) for a in self.encoder_model().predict_on_batch(source)]
        n_states = len(self.decoder_cell.state_size)
        initial_state = {"states": encoded[1 : 1 + n_states], "encoder_outputs": encoded[0]}
        if self.source_tokens:
            initial_state["source_mask"] = encoded[-1].astype(bool)
        step_model = self.decoder_step_model()

        def step_fn(tokens, state):
            tokens = np.asarray(tokens, dtype="int32").reshape(-1)  # (n,)
            inputs = [tokens, *state["states"], state["encoder_outputs"]]
            if self.source_tokens:
                inputs.append(state["source_mask"])
            results = [np.asarray(a) for a in step_model.predict_on_batch(inputs)]
            logits = results[0].astype("float64")  # (n, vocab)
            shifted = logits - logits.max(axis=-1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))  # (n, vocab)
            new_state = dict(state, states=results[1 : 1 + n_states])
            return log_probs, new_state

        return step_fn, initial_state


# ----------------------------------------------------------------------------
# Scheduled sampling and teacher-forcing inputs
# ----------------------------------------------------------------------------
def linear_decay(start: float = 1.0, end: float = 0.0, epochs: int = 10) -> Callable[[int], float]:
    """Schedule epoch → ratio falling linearly from ``start`` (epoch 0) to ``end`` (epoch ``epochs``), then flat."""
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    epochs = check_int("epochs", epochs)

    def schedule(epoch: int) -> float:
        fraction = min(epoch / epochs, 1.0)
        return float(start + (end - start) * fraction)

    return schedule


def exponential_decay(rate: float = 0.9, minimum: float = 0.0) -> Callable[[int], float]:
    """Schedule epoch → max(minimum, rate**epoch)."""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0.0 < rate <= 1.0:
        raise ValueError(f"rate must be a number in (0, 1], got {rate!r}")
    if isinstance(minimum, bool) or not isinstance(minimum, numbers.Real) or not 0.0 <= minimum <= 1.0:
        raise ValueError(f"minimum must be a number in [0, 1], got {minimum!r}")
    return lambda epoch: float(max(minimum, rate**epoch))


def inverse_sigmoid_decay(k: float = 5.0) -> Callable[[int], float]:
    """Schedule epoch → k / (k + exp(epoch / k)) (Bengio et al., 2015); k >= 1."""
    if isinstance(k, bool) or not isinstance(k, numbers.Real) or k < 1.0:
        raise ValueError(f"k must be a number >= 1, got {k!r}")
    return lambda epoch: float(k / (k + np.exp(epoch / k)))


class TeacherForcingSchedule(keras.callbacks.Callback):
    """Set a Seq2Seq's teacher-forcing ratio at the start of every epoch.

    ``schedule(epoch) -> ratio in [0, 1]``, e.g. :func:`linear_decay`. The
    ratio used is added to the epoch's logs as ``"teacher_forcing_ratio"``
    (so it appears in ``history.history``).
    """

    def __init__(self, schedule: Callable[[int], float]):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"schedule must be a callable epoch -> ratio, got {schedule!r}")
        self.schedule = schedule
        self._ratio = None

    def on_epoch_begin(self, epoch, logs=None):
        if not isinstance(self.model, Seq2Seq):
            raise ValueError(f"TeacherForcingSchedule works with a labsupport Seq2Seq, got {type(self.model).__name__}")
        self._ratio = Seq2Seq._check_ratio(self.schedule(epoch))
        self.model.teacher_forcing_ratio = self._ratio

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self._ratio is not None:
            logs["teacher_forcing_ratio"] = self._ratio


def shift_right(targets, start):
    """Decoder inputs for teacher forcing: ``start`` followed by ``targets[:, :-1]``.

    Parameters
    ----------
    targets:
        (batch, T_out) token ids or (batch, T_out, n_outputs) values.
    start:
        A start token id for token targets; for values the start frame
        (batch, n_outputs), (n_outputs,) or a number (see :func:`start_frame`).

    Returns
    -------
    np.ndarray of the same shape and dtype as ``targets``.

    Raises
    ------
    ValueError
        If ``targets`` has fewer than 2 dimensions or ``start`` does not fit.
    """
    targets = np.asarray(targets)
    if targets.ndim not in (2, 3):
        raise ValueError(f"targets must have shape (batch, T_out) or (batch, T_out, n_outputs), got {targets.shape}")
    start = np.asarray(start, dtype=targets.dtype)
    frame_shape = (targets.shape[0],) + targets.shape[2:]
    try:
        start = np.broadcast_to(start, frame_shape)
    except ValueError:
        raise ValueError(f"start of shape {start.shape} does not fit the frames of shape {frame_shape}") from None
    return np.concatenate([start[:, None], targets[:, :-1]], axis=1)


def start_frame(encoder_inputs, target_indices) -> np.ndarray:
    """The last observed value of the target variables: ``encoder_inputs[:, -1, target_indices]``.

    The natural start frame when the targets continue the source in time
    (forecasting). Returns (batch, len(target_indices)). Raises
    ``ValueError`` for inputs that are not (batch, T_in, n_features) or
    indices out of range.
    """
    encoder_inputs = np.asarray(encoder_inputs)
    if encoder_inputs.ndim != 3:
        raise ValueError(f"encoder_inputs must have shape (batch, T_in, n_features), got {encoder_inputs.shape}")
    indices = np.atleast_1d(np.asarray(target_indices))
    if indices.dtype.kind not in "iu" or np.any(indices < 0) or np.any(indices >= encoder_inputs.shape[-1]):
        raise ValueError(
            f"target_indices must be feature indices in [0, {encoder_inputs.shape[-1]}), got {target_indices!r}"
        )
    return encoder_inputs[:, -1, indices]

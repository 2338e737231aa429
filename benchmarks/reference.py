"""The slow references that benchmarks/bench_seq2seq.py measures labsupport against.

Kept here, not in labsupport: they are what the book tells readers *not* to
write, reproduced the way many tutorials write them.

- :class:`NaiveBahdanauSeq2Seq`: the same encoder–decoder with Bahdanau
  attention as ``labsupport.models.Seq2Seq(attention="bahdanau")`` (LSTM
  encoder, attention on the previous decoder state, context concatenated to
  the decoder input and to the output layer's input), but ``call`` loops over
  the decoder steps in Python and calls an LSTM layer on one-step slices.
  Trained with ``run_eagerly=True``, every step of every batch runs op by op.
- :func:`per_beam_search`: the same beam search as
  ``labsupport.decoding.beam_search`` (same candidates, same tie-breaking,
  same stopping rule), but it calls the step function once per beam per step
  with a single row instead of once per step for all beams.
"""
from __future__ import annotations

import keras
import numpy as np
from keras import ops

from labsupport.decoding import Hypothesis, map_state


class NaiveBahdanauSeq2Seq(keras.Model):
    """Tutorial-style Seq2Seq + Bahdanau attention with a Python loop over decoder steps."""

    def __init__(self, n_outputs: int, units: int, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.layers.LSTM(units, return_sequences=True, return_state=True)
        self.decoder_lstm = keras.layers.LSTM(units, return_state=True)
        self.query_dense = keras.layers.Dense(units, use_bias=False)
        self.values_dense = keras.layers.Dense(units)
        self.score_dense = keras.layers.Dense(1, use_bias=False)
        self.output_dense = keras.layers.Dense(n_outputs)

    def call(self, inputs):
        encoder_inputs, decoder_inputs = inputs
        encoder_outputs, h, c = self.encoder(encoder_inputs)  # (batch, T_in, units), (batch, units) ×2
        outputs = []
        for t in range(decoder_inputs.shape[1]):  # the Python loop over decoder steps
            energy = ops.tanh(self.query_dense(h)[:, None, :] + self.values_dense(encoder_outputs))  # (batch, T_in, units)
            weights = ops.softmax(self.score_dense(energy), axis=1)  # (batch, T_in, 1)
            context = ops.sum(weights * encoder_outputs, axis=1)  # (batch, units)
            step_input = ops.concatenate([decoder_inputs[:, t], context], axis=-1)[:, None, :]  # (batch, 1, d)
            hidden, h, c = self.decoder_lstm(step_input, initial_state=[h, c])  # one-step slice
            outputs.append(self.output_dense(ops.concatenate([hidden, context], axis=-1)))  # (batch, n_outputs)
        return ops.stack(outputs, axis=1)  # (batch, T_out, n_outputs)


def per_beam_search(step_fn, state, start_token, end_token, beam_width, max_len):
    """Beam search (length_penalty 0) with one ``step_fn`` call per live beam per step.

    Returns the same list of :class:`labsupport.decoding.Hypothesis` as
    ``beam_search(..., length_penalty=0.0)``.
    """
    # A live beam: (tokens, log_prob, state with leading dimension 1).
    beams = [((), 0.0, state)]
    finished = []
    for step in range(1, max_len + 1):
        candidates = []  # (log_prob, flat index, tokens, state)
        for index, (tokens, log_prob, beam_state) in enumerate(beams):
            previous = np.array([tokens[-1] if tokens else start_token])
            log_probs, new_state = step_fn(previous, beam_state)  # one call for one beam
            log_probs = np.asarray(log_probs, dtype=np.float64)[0]
            vocab = len(log_probs)
            for token in range(vocab):
                total = log_prob + log_probs[token]
                if np.isfinite(total):
                    candidates.append((total, index * vocab + token, tokens + (token,), new_state))
        candidates.sort(key=lambda c: (-c[0], c[1]))
        chosen = candidates[:beam_width]
        live = []
        for total, _, tokens, new_state in chosen:
            if end_token is not None and tokens[-1] == end_token:
                finished.append(Hypothesis(np.array(tokens, dtype=np.int64), float(total), float(total), True))
            else:
                live.append((tokens, total, new_state))
        if step == max_len or not live:
            for tokens, total, _ in live:
                finished.append(Hypothesis(np.array(tokens, dtype=np.int64), float(total), float(total), False))
            break
        if finished and max(h.score for h in finished) >= max(total for _, total, _ in live):
            break
        beams = live
    finished.sort(key=lambda h: -h.score)
    return finished[:beam_width]


def copy_state(state):
    """A deep copy of a state nest (so that two searches never share arrays)."""
    return map_state(lambda array: np.array(array, copy=True), state)

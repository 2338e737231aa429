"""On-line evaluation of per-step sequence models: at time t the model may only see x_1..x_t.

A per-step model (e.g. :func:`labsupport.models.sequence_labeler`) is usually
evaluated offline: it reads the whole record and its output at step t may
depend on later steps. That is fine for a bidirectional model labelling a
finished batch, and a leak when the same model is meant to run on-line, where
step t+1 has not been measured yet.

:func:`prefix_predictions` gives what the model would output on-line: for
every step t it runs the model on the prefix x_1..x_t alone (padded at the end
with the mask value, so the model needs ``masking=True``) and keeps the output
at t. For a unidirectional (causal) model this equals the offline output; for
a bidirectional model it does not, and the difference is the leak.

The prefixes of one record are built together as one batch (a lower-triangular
mask over time), so there is no Python loop over time steps.
"""
from __future__ import annotations

import numpy as np

from labsupport.checks import check_int

__all__ = ["prefix_predictions", "step_accuracy"]


def _check_inputs(inputs, lengths):
    inputs = np.asarray(inputs, dtype=np.float32)
    if inputs.ndim != 3 or inputs.shape[0] < 1 or inputs.shape[1] < 1:
        raise ValueError(f"inputs must have shape (n, T, features) with n, T >= 1, got {inputs.shape}")
    n, steps, _ = inputs.shape
    if lengths is None:
        return inputs, np.full(n, steps, dtype=np.int64)
    lengths = np.asarray(lengths)
    if lengths.shape != (n,) or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths must be {n} integers (one per sequence), got {lengths!r}")
    if lengths.min() < 1 or lengths.max() > steps:
        raise ValueError(f"lengths must lie in 1..{steps}, got {lengths.min()}..{lengths.max()}")
    return inputs, lengths.astype(np.int64)


def prefix_predictions(model, inputs, lengths=None, *, mask_value: float = 0.0, max_batch: int = 2048) -> np.ndarray:
    """The model's output at every step t when it sees only x_1..x_t.

    Parameters
    ----------
    model:
        A Keras model (batch, T, features) -> (batch, T, ...) that treats time
        steps whose features all equal ``mask_value`` as padding (built with
        ``masking=True``).
    inputs:
        (n, T, features) array; padded sequences are padded at the end.
    lengths:
        (n,) integer valid lengths, or None for all T.
    mask_value:
        The padding value the model masks.
    max_batch:
        Upper bound on the number of prefixes sent to ``model.predict`` at
        once (memory: max_batch x T x features floats).

    Returns
    -------
    (n, T, ...) float32: ``out[i, t]`` is the model's output at step t for
    the input ``inputs[i, :t+1]``; NaN at padded steps (t >= lengths[i]).

    Raises
    ------
    ValueError
        For inputs that are not 3-D, lengths of the wrong shape or outside
        1..T, or a ``max_batch`` < 1.
    """
    inputs, lengths = _check_inputs(inputs, lengths)
    max_batch = check_int("max_batch", max_batch)
    n, steps, _ = inputs.shape
    # row s of `visible` marks the steps that the prefix ending at step s may see
    visible = np.tril(np.ones((steps, steps), dtype=bool))           # (T prefixes, T steps)
    outputs = None
    per_chunk = max(1, max_batch // steps)                          # records per predict call
    for first in range(0, n, per_chunk):
        records = inputs[first:first + per_chunk]                    # (k, T, F)
        prefixes = np.where(visible[None, :, :, None], records[:, None], np.float32(mask_value))  # (k, T, T, F)
        prefixes = prefixes.reshape(-1, steps, inputs.shape[-1])
        predicted = np.asarray(model.predict(prefixes, batch_size=min(len(prefixes), 512), verbose=0))
        predicted = predicted.reshape(len(records), steps, steps, *predicted.shape[2:])  # (k, prefix, step, ...)
        last = predicted[:, np.arange(steps), np.arange(steps)]     # (k, T, ...): prefix s at its own last step
        if outputs is None:
            outputs = np.full((n, steps, *last.shape[2:]), np.nan, dtype=np.float32)
        outputs[first:first + len(records)] = last
    padded = np.arange(steps)[None, :] >= lengths[:, None]
    outputs[padded] = np.nan
    return outputs


def step_accuracy(probabilities, labels, lengths=None) -> float:
    """Share of valid steps whose most probable class is the label.

    ``probabilities`` (n, T, classes), ``labels`` (n, T) integer; steps at or
    beyond ``lengths[i]`` (and steps labelled < 0) do not count.

    Raises ``ValueError`` if the shapes do not match or no step is valid.
    """
    probabilities = np.asarray(probabilities)
    labels = np.asarray(labels)
    if probabilities.ndim != 3 or labels.shape != probabilities.shape[:2]:
        raise ValueError(f"probabilities (n, T, classes) and labels (n, T) must match, got "
                         f"{probabilities.shape} and {labels.shape}")
    valid = labels >= 0
    if lengths is not None:
        valid &= np.arange(labels.shape[1])[None, :] < np.asarray(lengths)[:, None]
    if not valid.any():
        raise ValueError("no valid step to score")
    predicted = np.argmax(np.nan_to_num(probabilities, nan=-1.0), axis=-1)
    return float(np.mean(predicted[valid] == labels[valid]))

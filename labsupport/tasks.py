"""A token task that needs alignment, and its length-band scoring.

Chapter 3 measures the fixed-context bottleneck on it: does a seq2seq model
without attention lose accuracy as the input gets longer, and does one with
attention keep it?

The task is the *rollback* of an operator's action log. A log is a sequence
of step changes on four devices (two valves, a pump, a heater); rolling it
back means undoing every action in reverse order, e.g.

    log:       V1開大  P1加速  H1升功率
    rollback:  H1降功率  P1減速  V1關小

Output step ``j`` depends on input step ``L - 1 - j`` only, so the right
alignment is known exactly (the anti-diagonal, :func:`rollback_alignment`)
and attention maps can be checked against it. The actions are drawn
independently and uniformly, so nothing can be guessed from context: a model
must carry every action from the encoder to the decoder.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from labsupport.checks import check_int

__all__ = [
    "ACTIONS", "SOURCE_VOCAB", "TARGET_VOCAB", "PAD", "START", "END",
    "LENGTH_BANDS", "RollbackData",
    "undo_action", "rollback_dataset", "rollback_alignment",
    "length_band", "token_accuracy", "accuracy_by_length_band",
]

ACTIONS = ("V1開大", "V1關小", "V2開大", "V2關小", "P1加速", "P1減速", "H1升功率", "H1降功率")
_UNDO = {a: b for a, b in zip(ACTIONS[0::2], ACTIONS[1::2])}
_UNDO.update({b: a for a, b in _UNDO.items()})

PAD, START, END = 0, 1, 2
SOURCE_VOCAB = ("<pad>",) + ACTIONS          # action i has source id i + 1
TARGET_VOCAB = ("<pad>", "<start>", "<end>") + ACTIONS  # action i has target id i + 3
LENGTH_BANDS = ((10, 20), (20, 30), (30, 40), (40, 50))


def undo_action(action: str) -> str:
    """The action that undoes ``action`` (``V1開大`` ↔ ``V1關小``). Raises ``ValueError`` if unknown."""
    if action not in _UNDO:
        raise ValueError(f"unknown action {action!r}; expected one of {ACTIONS}")
    return _UNDO[action]


@dataclasses.dataclass(frozen=True)
class RollbackData:
    """Action logs and their rollbacks.

    Attributes
    ----------
    source: (n, max_len) int — the log as :data:`SOURCE_VOCAB` ids, right-padded with 0.
    decoder_input: (n, max_len + 1) int — ``<start>`` + rollback, padded (teacher forcing input).
    target: (n, max_len + 1) int — rollback + ``<end>``, padded.
    lengths: (n,) int — actions per log (= rollback length).
    seed: the seed used.
    """

    source: np.ndarray
    decoder_input: np.ndarray
    target: np.ndarray
    lengths: np.ndarray
    seed: int


def rollback_dataset(n: int, *, min_len: int = 10, max_len: int = 50, seed: int = 0) -> RollbackData:
    """``n`` random action logs with lengths uniform in ``min_len..max_len`` (inclusive).

    Raises
    ------
    ValueError
        If ``n < 1``, ``min_len < 1`` or ``max_len < min_len``.
    """
    n = check_int("n", n)
    min_len = check_int("min_len", min_len)
    max_len = check_int("max_len", max_len)
    if max_len < min_len:
        raise ValueError(f"max_len ({max_len}) must be >= min_len ({min_len})")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len + 1, size=n).astype(np.int32)
    source = np.zeros((n, max_len), dtype=np.int32)
    decoder_input = np.zeros((n, max_len + 1), dtype=np.int32)
    target = np.zeros((n, max_len + 1), dtype=np.int32)
    undo_index = np.array([ACTIONS.index(_UNDO[a]) for a in ACTIONS])
    for row, length in enumerate(lengths):
        actions = rng.integers(len(ACTIONS), size=length)
        rollback = undo_index[actions[::-1]] + 3
        source[row, :length] = actions + 1
        decoder_input[row, 0] = START
        decoder_input[row, 1 : length + 1] = rollback
        target[row, :length] = rollback
        target[row, length] = END
    return RollbackData(source, decoder_input, target, lengths, int(seed))


def rollback_alignment(length: int) -> np.ndarray:
    """(length, length) 0/1 matrix: row = output step, column = the input step it undoes."""
    length = check_int("length", length)
    return np.fliplr(np.eye(length))


def length_band(lengths, bands=LENGTH_BANDS) -> np.ndarray:
    """Index of the band each length falls in: ``lo <= L < hi``, the last band also takes ``L == hi``.

    Returns (n,) int; -1 for a length outside every band.
    """
    lengths = np.asarray(lengths)
    index = np.full(lengths.shape, -1)
    for b, (lo, hi) in enumerate(bands):
        last = b == len(bands) - 1
        inside = (lengths >= lo) & ((lengths <= hi) if last else (lengths < hi))
        index[inside & (index < 0)] = b
    return index


def token_accuracy(predicted, target, lengths) -> np.ndarray:
    """Per-sequence fraction of the ``lengths[i]`` target tokens predicted at the right position.

    ``predicted`` (n, T_p) and ``target`` (n, T) are id arrays; a prediction
    shorter than the target counts the missing positions as wrong.

    Returns (n,) float in [0, 1].

    Raises
    ------
    ValueError
        If the row counts differ or a length exceeds the target width.
    """
    predicted = np.asarray(predicted)
    target = np.asarray(target)
    lengths = np.asarray(lengths)
    if (
        predicted.ndim != 2 or target.ndim != 2 or lengths.ndim != 1
        or not predicted.shape[0] == target.shape[0] == lengths.shape[0]
    ):
        raise ValueError(
            f"expected predicted (n, T_p), target (n, T) and lengths (n,), got "
            f"{predicted.shape}, {target.shape}, {lengths.shape}"
        )
    if (lengths > target.shape[1]).any() or (lengths < 0).any():
        raise ValueError(f"lengths must lie in 0..{target.shape[1]} (the target width)")
    width = target.shape[1]
    if predicted.shape[1] < width:
        pad = np.full((predicted.shape[0], width - predicted.shape[1]), -1)
        predicted = np.concatenate([predicted, pad], axis=1)
    positions = np.arange(width)[None, :] < lengths[:, None]
    hits = (predicted[:, :width] == target) & positions
    return hits.sum(axis=1) / np.maximum(lengths, 1)


def accuracy_by_length_band(per_sequence_accuracy, lengths, bands=LENGTH_BANDS) -> np.ndarray:
    """Mean token accuracy per band, weighting each sequence by its length.

    Returns (len(bands),) float; NaN for an empty band.
    """
    per_sequence_accuracy = np.asarray(per_sequence_accuracy, dtype=float)
    lengths = np.asarray(lengths)
    band = length_band(lengths, bands)
    result = np.full(len(bands), np.nan)
    for b in range(len(bands)):
        inside = band == b
        if inside.any():
            result[b] = np.sum(per_sequence_accuracy[inside] * lengths[inside]) / np.sum(lengths[inside])
    return result

"""Scores for detecting rare events per time step (e.g. sensor anomalies): precision, recall, average precision.

All functions take ``scores`` (any shape; higher = more likely an event) and
``truth`` of the same shape (bool or 0/1), flatten both and ignore nothing:
mask padded steps out before calling.

- :func:`precision_recall` at one threshold (a step is flagged when score > threshold);
- :func:`average_precision` the area under the precision–recall curve, as the
  mean of the precision at the rank of every true event (threshold-free;
  a random ranking scores about the share of events);
- :func:`best_f1_threshold` the threshold with the highest F1 on, say, a
  validation set, to be used unchanged on the test set.
"""
from __future__ import annotations

import numpy as np

__all__ = ["precision_recall", "average_precision", "best_f1_threshold"]


def _flatten(scores, truth):
    scores = np.asarray(scores, dtype=np.float64).ravel()
    truth = np.asarray(truth).ravel()
    if scores.shape != truth.shape:
        raise ValueError(f"scores and truth must have the same number of entries, got {scores.size} and {truth.size}")
    if not np.isin(truth, (0, 1)).all():
        raise ValueError("truth must be bool or 0/1")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite (mask padded steps out first)")
    truth = truth.astype(bool)
    if not truth.any():
        raise ValueError("truth has no positive entry, so recall is undefined")
    return scores, truth


def precision_recall(scores, truth, threshold: float) -> tuple[float, float]:
    """(precision, recall) when every entry with score > ``threshold`` is flagged.

    Precision is 0 when nothing is flagged. Raises ``ValueError`` for shapes
    that differ, non-0/1 truth, non-finite scores, or no positive entry.
    """
    scores, truth = _flatten(scores, truth)
    flagged = scores > threshold
    hits = np.count_nonzero(flagged & truth)
    return (hits / flagged.sum() if flagged.any() else 0.0), hits / truth.sum()


def average_precision(scores, truth) -> float:
    """Mean, over the true events, of the precision among all entries scored at least as high.

    Ties are counted pessimistically (every tied entry ranks together).
    Raises ``ValueError`` as :func:`precision_recall` does.
    """
    scores, truth = _flatten(scores, truth)
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_truth = scores[order], truth[order]
    # the rank of an entry is the number of entries with a score >= its own
    rank = np.searchsorted(-sorted_scores, -sorted_scores, side="right")
    hits_at_rank = np.cumsum(sorted_truth)[rank - 1]
    return float(np.mean(hits_at_rank[sorted_truth] / rank[sorted_truth]))


def best_f1_threshold(scores, truth, candidates=None) -> tuple[float, float]:
    """The threshold among ``candidates`` with the highest F1, and that F1.

    ``candidates`` defaults to every distinct score (flagging is score >
    threshold, so the lowest score flags all others). Ties go to the lower
    threshold. Raises ``ValueError`` as :func:`precision_recall` does.
    """
    scores, truth = _flatten(scores, truth)
    candidates = np.unique(scores) if candidates is None else np.sort(np.asarray(candidates, dtype=np.float64).ravel())
    flagged = scores[None, :] > candidates[:, None]                       # (thresholds, entries)
    hits = np.count_nonzero(flagged & truth[None, :], axis=1)
    f1 = 2 * hits / (flagged.sum(axis=1) + truth.sum())
    best = int(np.argmax(f1))
    return float(candidates[best]), float(f1[best])

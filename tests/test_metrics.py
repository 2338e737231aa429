"""labsupport.metrics: precision/recall, average precision and the F1 threshold against by-hand and exhaustive references."""
import numpy as np
import pytest

from labsupport.metrics import average_precision, best_f1_threshold, precision_recall


def test_precision_recall_by_hand():
    scores = np.array([[0.9, 0.2, 0.7], [0.4, 0.8, 0.1]])
    truth = np.array([[1, 0, 0], [1, 1, 0]])
    # flagged above 0.5: 0.9 (hit), 0.7 (miss), 0.8 (hit) -> precision 2/3, recall 2/3
    assert precision_recall(scores, truth, 0.5) == pytest.approx((2 / 3, 2 / 3))
    assert precision_recall(scores, truth, 0.95) == (0.0, 0.0)
    assert precision_recall(scores, truth.astype(bool), 0.0) == pytest.approx((0.5, 1.0))


def _average_precision_by_definition(scores, truth):
    """Mean over positives p of |{positives with score >= s_p}| / |{entries with score >= s_p}|."""
    values = [np.sum(truth & (scores >= scores[i])) / np.sum(scores >= scores[i]) for i in np.flatnonzero(truth)]
    return float(np.mean(values))


@pytest.mark.parametrize("seed", range(5))
def test_average_precision_matches_its_definition(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 6, size=40) / 5.0          # many ties
    truth = rng.random(40) < 0.3
    truth[0] = True
    assert average_precision(scores, truth) == pytest.approx(_average_precision_by_definition(scores, truth))


def test_average_precision_extremes():
    truth = np.array([0, 1, 0, 1, 0])
    assert average_precision(np.array([0.1, 0.9, 0.2, 0.8, 0.3]), truth) == 1.0    # perfect ranking
    assert average_precision(np.zeros(5), truth) == pytest.approx(2 / 5)             # no ranking: the base rate


@pytest.mark.parametrize("seed", range(3))
def test_best_threshold_is_the_exhaustive_optimum(seed):
    rng = np.random.default_rng(seed)
    scores = rng.random(30)
    truth = (scores + rng.normal(0, 0.3, 30)) > 0.7
    truth[np.argmax(scores)] = True
    threshold, f1 = best_f1_threshold(scores, truth)
    exhaustive = []
    for t in np.unique(scores):
        precision, recall = precision_recall(scores, truth, t)
        exhaustive.append(0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall))
    assert f1 == pytest.approx(max(exhaustive))
    precision, recall = precision_recall(scores, truth, threshold)
    assert 2 * precision * recall / (precision + recall) == pytest.approx(f1)


def test_best_threshold_among_given_candidates():
    scores = np.array([0.1, 0.4, 0.6, 0.9])
    truth = np.array([0, 0, 1, 1])
    assert best_f1_threshold(scores, truth, candidates=[0.05, 0.5, 0.95]) == (0.5, 1.0)


@pytest.mark.parametrize(
    "scores, truth, message",
    [
        (np.zeros(3), np.zeros(4), "same number"),
        (np.zeros(3), np.array([0, 2, 1]), "0/1"),
        (np.array([0.1, np.nan, 0.2]), np.array([0, 1, 0]), "finite"),
        (np.zeros(3), np.zeros(3), "no positive"),
    ],
)
def test_bad_inputs_raise(scores, truth, message):
    for call in (lambda: precision_recall(scores, truth, 0.5), lambda: average_precision(scores, truth),
                 lambda: best_f1_threshold(scores, truth)):
        with pytest.raises(ValueError, match=message):
            call()

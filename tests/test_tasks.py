import numpy as np
import pytest

from labsupport import tasks as T


def test_rollback_undoes_the_log_in_reverse_order():
    data = T.rollback_dataset(30, seed=1)
    for src, dec_in, tgt, length in zip(data.source, data.decoder_input, data.target, data.lengths):
        log = [T.SOURCE_VOCAB[i] for i in src[:length]]
        rollback = [T.TARGET_VOCAB[i] for i in tgt[:length]]
        # independent check: apply the log to device counters, then the rollback must bring them back to zero,
        # and undoing step by step from the end must be exactly the rollback
        assert rollback == [T.undo_action(a) for a in reversed(log)]
        level = {}
        for a in log + rollback:
            device, direction = a[:2], (1 if a.endswith(("開大", "加速", "升功率")) else -1)
            level[device] = level.get(device, 0) + direction
        assert all(v == 0 for v in level.values())
        assert tgt[length] == T.END and dec_in[0] == T.START
        np.testing.assert_array_equal(dec_in[1 : length + 1], tgt[:length])
        assert (src[length:] == T.PAD).all() and (tgt[length + 1 :] == T.PAD).all()


def test_lengths_cover_the_range_and_are_seeded():
    a = T.rollback_dataset(400, min_len=10, max_len=50, seed=3)
    b = T.rollback_dataset(400, min_len=10, max_len=50, seed=3)
    np.testing.assert_array_equal(a.source, b.source)
    assert a.lengths.min() == 10 and a.lengths.max() == 50
    assert a.source.shape == (400, 50) and a.target.shape == (400, 51)
    counts = np.bincount(T.length_band(a.lengths), minlength=4)
    assert counts.min() > 60  # every band is populated


def test_alignment_is_the_anti_diagonal():
    a = T.rollback_alignment(4)
    np.testing.assert_array_equal(a.argmax(axis=1), [3, 2, 1, 0])
    assert a.sum() == 4


def test_length_band_edges():
    np.testing.assert_array_equal(T.length_band([9, 10, 19, 20, 39, 40, 50, 51]), [-1, 0, 0, 1, 2, 3, 3, -1])


def test_token_accuracy_against_hand_counts():
    target = np.array([[5, 6, 7, 2], [3, 4, 2, 0]])
    predicted = np.array([[5, 0, 7], [3, 4, 9]])  # row 0: 2 of 3 right; row 1: 2 of 2 right
    np.testing.assert_allclose(T.token_accuracy(predicted, target, [3, 2]), [2 / 3, 1.0])
    # a too-short prediction counts the missing positions as wrong
    np.testing.assert_allclose(T.token_accuracy(predicted[:, :1], target, [3, 2]), [1 / 3, 1 / 2])


def test_band_accuracy_weights_by_length():
    acc = np.array([1.0, 0.0, 0.5])
    lengths = np.array([10, 30, 12])
    result = T.accuracy_by_length_band(acc, lengths)
    assert result[0] == pytest.approx((10 * 1.0 + 12 * 0.5) / 22)
    assert result[2] == 0.0
    assert np.isnan(result[1]) and np.isnan(result[3])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: T.rollback_dataset(0), "n must be"),
        (lambda: T.rollback_dataset(5, min_len=20, max_len=10), "max_len"),
        (lambda: T.undo_action("V9開大"), "unknown action"),
        (lambda: T.token_accuracy(np.zeros((2, 3)), np.zeros((3, 3)), [1, 1]), "expected predicted"),
        (lambda: T.token_accuracy(np.zeros((1, 3)), np.zeros((1, 3)), [4]), "lengths"),
        (lambda: T.rollback_alignment(0), "length"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()

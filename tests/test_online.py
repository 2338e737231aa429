import numpy as np
import pytest

from labsupport import models
from labsupport.online import prefix_predictions, step_accuracy


@pytest.fixture(scope="module")
def records():
    rng = np.random.default_rng(4)
    inputs = rng.normal(size=(3, 7, 2)).astype(np.float32)
    lengths = np.array([7, 4, 5])
    inputs[np.arange(7)[None, :] >= lengths[:, None]] = 0.0      # padding at the end
    return inputs, lengths


def test_causal_model_gives_the_same_outputs_on_line_and_offline(records):
    inputs, lengths = records
    model = models.sequence_labeler(2, 3, cell="gru", units=4, bidirectional=False, seed=1)
    offline = model.predict(inputs, verbose=0)
    online = prefix_predictions(model, inputs, lengths)
    for i, length in enumerate(lengths):
        np.testing.assert_allclose(online[i, :length], offline[i, :length], atol=1e-5)
        assert np.isnan(online[i, length:]).all()


def test_bidirectional_output_at_t_is_the_model_run_on_the_prefix_alone(records):
    inputs, lengths = records
    model = models.sequence_labeler(2, 3, cell="lstm", units=4, bidirectional=True, seed=2)
    online = prefix_predictions(model, inputs, lengths, max_batch=10)   # several chunks
    offline = model.predict(inputs, verbose=0)
    for i, t in [(0, 0), (0, 3), (0, 6), (1, 2), (2, 4)]:
        # independent computation: the unpadded prefix, no masking involved
        alone = model.predict(inputs[i:i + 1, :t + 1], verbose=0)[0, -1]
        np.testing.assert_allclose(online[i, t], alone, atol=1e-5)
    # the last valid step sees everything, earlier steps miss the future
    np.testing.assert_allclose(online[0, 6], offline[0, 6], atol=1e-5)
    assert np.abs(online[0, 0] - offline[0, 0]).max() > 1e-3


def test_step_accuracy_counts_only_valid_steps():
    probabilities = np.zeros((2, 3, 2))
    probabilities[..., 0] = [[0.9, 0.2, 0.6], [0.1, 0.7, 0.5]]
    probabilities[..., 1] = 1 - probabilities[..., 0]
    labels = np.array([[0, 1, 1], [1, 0, -1]])
    # predicted classes [[0, 1, 0], [1, 0, *]]: 4 right of the 5 labelled steps
    assert step_accuracy(probabilities, labels) == pytest.approx(4 / 5)
    assert step_accuracy(probabilities, labels, lengths=np.array([2, 2])) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(inputs=np.zeros((3, 4))), "shape"),
        (dict(inputs=np.zeros((2, 4, 1)), lengths=np.array([4, 5])), "1..4"),
        (dict(inputs=np.zeros((2, 4, 1)), lengths=np.array([4])), "lengths"),
        (dict(inputs=np.zeros((2, 4, 1)), max_batch=0), "max_batch"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        prefix_predictions(lambda x: x, **kwargs)


def test_step_accuracy_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="must match"):
        step_accuracy(np.zeros((2, 3, 2)), np.zeros((2, 4), dtype=int))
    with pytest.raises(ValueError, match="no valid step"):
        step_accuracy(np.zeros((1, 2, 2)), -np.ones((1, 2), dtype=int))

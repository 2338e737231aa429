"""labsupport.attention against the textbook formulas (NumPy) and Keras' own attention."""
import math

import keras
import numpy as np
import pytest

from labsupport.attention import check_temperature, scaled_dot_product_attention, softmax
from labsupport.layers import to_numpy


def textbook_softmax(row, temperature=1.0):
    """exp(x_i / T) / Σ_j exp(x_j / T), written out for one moderate row."""
    exps = [math.exp(x / temperature) for x in row]
    total = sum(exps)
    return np.array([e / total for e in exps])


def textbook_attention(q, k, v):
    """One query at a time: weights_j = softmax_j(q·k_j / √d_k), output = Σ_j weights_j v_j."""
    d_k = len(q)
    scores = [sum(q[i] * k_j[i] for i in range(d_k)) / math.sqrt(d_k) for k_j in k]
    weights = textbook_softmax(scores)
    output = sum(w * np.asarray(v_j, dtype=float) for w, v_j in zip(weights, v))
    return output, weights


@pytest.fixture
def rng():
    return np.random.default_rng(17)


# ---------------------------------------------------------------- softmax
@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
def test_softmax_matches_textbook_formula(rng, temperature):
    scores = rng.normal(size=(4, 6))
    expected = np.stack([textbook_softmax(row, temperature) for row in scores])
    np.testing.assert_allclose(softmax(scores, temperature=temperature), expected, rtol=1e-12)
    # Along another axis: the same as transposing.
    np.testing.assert_allclose(softmax(scores.T, temperature=temperature, axis=0), expected.T, rtol=1e-12)


def test_softmax_rows_sum_to_one_and_no_overflow_for_large_scores():
    scores = np.array([[1e4, 1e4 - 1.0, -1e4], [3e38, 0.0, -3e38], [-1e4, -1e4, -1e4]])
    weights = softmax(scores)
    assert np.all(np.isfinite(weights))
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0)
    # Shifting a row by a constant does not change softmax: compare with the shifted moderate row.
    np.testing.assert_allclose(weights[0], textbook_softmax([0.0, -1.0, -2e4]), atol=1e-15)
    np.testing.assert_allclose(weights[1], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(weights[2], [1 / 3] * 3)


def test_low_temperature_approaches_one_hot_and_high_temperature_uniform(rng):
    scores = rng.normal(size=(5, 7))
    one_hot = np.eye(7)[scores.argmax(axis=-1)]
    np.testing.assert_allclose(softmax(scores, temperature=1e-3), one_hot, atol=1e-12)
    # The gap to one-hot shrinks as T falls; the gap to uniform as T grows.
    gaps_one_hot = [np.abs(softmax(scores, temperature=t) - one_hot).max() for t in (1.0, 0.3, 0.1)]
    assert gaps_one_hot[0] > gaps_one_hot[1] > gaps_one_hot[2]
    np.testing.assert_allclose(softmax(scores, temperature=1e6), np.full((5, 7), 1 / 7), atol=1e-6)
    gaps_uniform = [np.abs(softmax(scores, temperature=t) - 1 / 7).max() for t in (1.0, 3.0, 10.0)]
    assert gaps_uniform[0] > gaps_uniform[1] > gaps_uniform[2]


def test_masked_positions_get_exactly_zero(rng):
    scores = rng.normal(size=(3, 5)) * 50.0
    mask = np.array([[1, 0, 1, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]], dtype=bool)
    weights = softmax(scores, mask=mask)
    assert np.all(weights[~mask] == 0.0)
    np.testing.assert_allclose(weights[0, mask[0]], softmax(scores[0, mask[0]]))
    np.testing.assert_array_equal(weights[1], [0, 0, 0, 0, 1.0])
    np.testing.assert_array_equal(weights[2], np.zeros(5))  # fully masked: zeros, not NaN


def test_numpy_in_numpy_out_and_backend_in_backend_out(rng):
    scores = rng.normal(size=(2, 4)).astype("float32")
    mask = np.array([[1, 1, 0, 1], [1, 1, 1, 1]], dtype=bool)
    from_numpy = softmax(scores, temperature=0.7, mask=mask)
    assert isinstance(from_numpy, np.ndarray)
    from_backend = softmax(keras.ops.convert_to_tensor(scores), temperature=0.7, mask=keras.ops.convert_to_tensor(mask))
    assert not isinstance(from_backend, np.ndarray)
    np.testing.assert_allclose(to_numpy(from_backend), from_numpy, rtol=1e-6)
    assert np.all(to_numpy(from_backend)[~mask] == 0.0)
    big = keras.ops.convert_to_tensor(np.array([[1e4, 0.0, -1e4]], dtype="float32"))
    np.testing.assert_allclose(to_numpy(softmax(big)), [[1.0, 0.0, 0.0]])
    assert isinstance(softmax([1.0, 2.0]), np.ndarray)  # nested lists count as NumPy


@pytest.mark.parametrize("temperature", [0, -1.0, 0.0, float("nan"), float("inf"), True, "1", None])
def test_bad_temperature_raises(temperature):
    with pytest.raises(ValueError, match="temperature"):
        softmax(np.ones(3), temperature=temperature)
    with pytest.raises(ValueError, match="temperature"):
        scaled_dot_product_attention(np.ones((1, 2)), np.ones((3, 2)), np.ones((3, 2)), temperature=temperature)
    with pytest.raises(ValueError, match="temperature"):
        check_temperature(temperature)


def test_softmax_bad_axis_or_mask_raises():
    with pytest.raises(ValueError, match="axis"):
        softmax(np.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match="mask"):
        softmax(np.ones((2, 3)), mask=np.ones((2, 2), dtype=bool))
    with pytest.raises(ValueError, match="scalar"):
        softmax(3.0)


# ------------------------------------------------- scaled dot-product attention
def test_attention_matches_textbook_formula_batched_and_unbatched(rng):
    q = rng.normal(size=(2, 3, 4))
    k = rng.normal(size=(2, 5, 4))
    v = rng.normal(size=(2, 5, 6))
    output, weights = scaled_dot_product_attention(q, k, v)
    assert output.shape == (2, 3, 6) and weights.shape == (2, 3, 5)
    for b in range(2):
        for i in range(3):
            expected_output, expected_weights = textbook_attention(q[b, i], k[b], v[b])
            np.testing.assert_allclose(weights[b, i], expected_weights, rtol=1e-12)
            np.testing.assert_allclose(output[b, i], expected_output, rtol=1e-12)
    # Unbatched input and a single query vector give the same numbers.
    output_2d, weights_2d = scaled_dot_product_attention(q[1], k[1], v[1])
    np.testing.assert_allclose(output_2d, output[1], rtol=1e-12)
    output_1d, weights_1d = scaled_dot_product_attention(q[1, 2], k[1], v[1])
    assert output_1d.shape == (6,) and weights_1d.shape == (5,)
    np.testing.assert_allclose(weights_1d, weights[1, 2], rtol=1e-12)


def test_attention_temperature_divides_the_scores(rng):
    q, k, v = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    output, weights = scaled_dot_product_attention(q, k, v, temperature=2.5)
    expected_output, expected_weights = scaled_dot_product_attention(q / 2.5, k, v)
    np.testing.assert_allclose(weights, expected_weights, rtol=1e-12)
    np.testing.assert_allclose(output, expected_output, rtol=1e-12)


def test_attention_matches_keras_attention_layer_with_mask(rng):
    q = rng.normal(size=(2, 3, 4)).astype("float32")
    k = rng.normal(size=(2, 5, 4)).astype("float32")
    v = rng.normal(size=(2, 5, 6)).astype("float32")
    value_mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], dtype=bool)
    output, weights = scaled_dot_product_attention(q, k, v, mask=value_mask[:, None, :])
    # keras.layers.Attention computes softmax(Q Kᵀ) V without the 1/√d_k: scale Q first.
    keras_layer = keras.layers.Attention(use_scale=False, score_mode="dot")
    keras_output, keras_weights = keras_layer(
        [q / np.sqrt(4.0), v, k], mask=[None, value_mask], return_attention_scores=True
    )
    np.testing.assert_allclose(weights, to_numpy(keras_weights), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(output, to_numpy(keras_output), rtol=1e-5, atol=1e-6)
    assert np.all(weights[~np.broadcast_to(value_mask[:, None, :], weights.shape)] == 0.0)


def test_attention_matches_keras_ops_dot_product_attention(rng):
    q = rng.normal(size=(2, 3, 4)).astype("float32")
    k = rng.normal(size=(2, 5, 4)).astype("float32")
    v = rng.normal(size=(2, 5, 4)).astype("float32")  # JAX's kernel wants d_v == d_k
    output, _ = scaled_dot_product_attention(q, k, v)
    # keras.ops.dot_product_attention takes (batch, length, heads, dim) and scales by 1/√d_k itself.
    keras_output = keras.ops.dot_product_attention(q[:, :, None], k[:, :, None], v[:, :, None])
    np.testing.assert_allclose(output, to_numpy(keras_output)[:, :, 0], rtol=1e-5, atol=1e-6)


def test_attention_on_backend_tensors(rng):
    q, k, v = (rng.normal(size=s).astype("float32") for s in [(2, 3, 4), (2, 5, 4), (2, 5, 6)])
    mask = rng.random((2, 3, 5)) > 0.3
    expected_output, expected_weights = scaled_dot_product_attention(q, k, v, mask=mask)
    output, weights = scaled_dot_product_attention(*(keras.ops.convert_to_tensor(x) for x in (q, k, v)), mask=mask)
    assert not isinstance(output, np.ndarray)
    np.testing.assert_allclose(to_numpy(weights), expected_weights, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(to_numpy(output), expected_output, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(weights).sum(-1), mask.any(-1).astype(float), rtol=1e-6)


@pytest.mark.parametrize(
    "shapes, match",
    [
        (((3, 4), (5, 3), (5, 2)), "d_k"),
        (((3, 4), (5, 4), (6, 2)), "n_keys"),
        (((2, 3, 4), (5, 4), (5, 2)), "same number of dimensions"),
        (((2, 3, 4), (3, 5, 4), (3, 5, 2)), "batch"),
        (((4,), (4,), (4,)), "keys and values must have shape"),
    ],
)
def test_attention_shape_errors(shapes, match):
    q, k, v = (np.ones(s) for s in shapes)
    with pytest.raises(ValueError, match=match):
        scaled_dot_product_attention(q, k, v)
    with pytest.raises(ValueError, match=match):
        scaled_dot_product_attention(*(keras.ops.convert_to_tensor(x.astype("float32")) for x in (q, k, v)))


def test_attention_mask_shape_error():
    with pytest.raises(ValueError, match="mask"):
        scaled_dot_product_attention(np.ones((3, 4)), np.ones((5, 4)), np.ones((5, 2)), mask=np.ones((3, 4), dtype=bool))

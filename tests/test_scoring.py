import numpy as np
import pytest
from scipy.spatial.distance import cosine as cosine_distance
from scipy.special import softmax

from labsupport import scoring


@pytest.fixture
def queries_keys():
    rng = np.random.default_rng(3)
    return rng.normal(size=(3, 4)), rng.normal(size=(5, 4))


def test_dot_and_scaled_dot_against_explicit_sums(queries_keys):
    queries, keys = queries_keys
    expected = np.array([[sum(q[d] * k[d] for d in range(4)) for k in keys] for q in queries])
    np.testing.assert_allclose(scoring.dot_score(queries, keys), expected)
    np.testing.assert_allclose(scoring.scaled_dot_score(queries, keys), expected / 2.0)
    # a single query gives one row
    np.testing.assert_allclose(scoring.dot_score(queries[1], keys), expected[1])


def test_bilinear_against_loop_and_identity(queries_keys):
    queries, keys = queries_keys
    weight = np.random.default_rng(4).normal(size=(4, 4))
    expected = np.array([[q @ weight @ k for k in keys] for q in queries])
    np.testing.assert_allclose(scoring.bilinear_score(queries, keys, weight), expected)
    np.testing.assert_allclose(scoring.bilinear_score(queries, keys, np.eye(4)), scoring.dot_score(queries, keys))


def test_cosine_against_scipy_and_length_invariance(queries_keys):
    queries, keys = queries_keys
    expected = np.array([[1.0 - cosine_distance(q, k) for k in keys] for q in queries])
    np.testing.assert_allclose(scoring.cosine_score(queries, keys), expected, atol=1e-12)
    np.testing.assert_allclose(scoring.cosine_score(7.0 * queries, 0.1 * keys), expected, atol=1e-12)


def test_additive_against_keras_additive_attention(queries_keys):
    # Keras' AdditiveAttention computes sum(scale * tanh(q + k)): our score with W_q = W_k = I, v = scale.
    import keras

    queries, keys = queries_keys
    layer = keras.layers.AdditiveAttention(use_scale=True)
    values = np.random.default_rng(5).normal(size=(5, 2))
    _, keras_weights = layer(
        [queries[None].astype("float32"), values[None].astype("float32"), keys[None].astype("float32")],
        return_attention_scores=True,
    )
    scale = layer.scale.numpy()
    ours = scoring.additive_score(queries, keys, np.eye(4), np.eye(4), scale)
    np.testing.assert_allclose(softmax(ours, axis=-1), keras.ops.convert_to_numpy(keras_weights)[0], atol=1e-6)


def test_additive_shapes_with_different_widths():
    rng = np.random.default_rng(6)
    scores = scoring.additive_score(rng.normal(size=(2, 3)), rng.normal(size=(6, 5)),
                                    rng.normal(size=(3, 8)), rng.normal(size=(5, 8)), rng.normal(size=8))
    assert scores.shape == (2, 6)
    with pytest.raises(ValueError, match="query_weight"):
        scoring.additive_score(rng.normal(size=(2, 3)), rng.normal(size=(6, 5)),
                               rng.normal(size=(5, 8)), rng.normal(size=(5, 8)), rng.normal(size=8))


def test_shape_errors():
    with pytest.raises(ValueError, match="same width"):
        scoring.dot_score(np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match="keys"):
        scoring.cosine_score(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="weight"):
        scoring.bilinear_score(np.ones((2, 3)), np.ones((4, 3)), np.ones((2, 2)))


def _xla_cost(function, *arrays):
    jax = pytest.importorskip("jax")
    analysis = jax.jit(function).lower(*arrays).compile().cost_analysis()
    if isinstance(analysis, (list, tuple)):
        analysis = analysis[0]
    return int(analysis.get("flops", 0)), int(analysis.get("transcendentals", 0))


def test_score_cost_matches_xla_cost_analysis():
    jnp = pytest.importorskip("jax.numpy")
    n_q, n_k, d, units = 3, 5, 8, 4
    q, k = jnp.ones((n_q, d)), jnp.ones((n_k, d))
    w_square, w_units, v = jnp.ones((d, d)), jnp.ones((d, units)), jnp.ones(units)
    cases = {
        "dot": (lambda q, k: q @ k.T, (q, k)),
        "scaled_dot": (lambda q, k: q @ k.T / 8.0 ** 0.5, (q, k)),
        "bilinear": (lambda q, k, w: q @ w @ k.T, (q, k, w_square)),
        "additive": (lambda q, k, wq, wk, v: jnp.tanh((q @ wq)[:, None, :] + k @ wk) @ v, (q, k, w_units, w_units, v)),
        "cosine": (lambda q, k: (q @ k.T) / jnp.linalg.norm(q, axis=-1)[:, None] / jnp.linalg.norm(k, axis=-1),
                   (q, k)),
    }
    for name, (function, arrays) in cases.items():
        cost = scoring.score_cost(name, n_q, n_k, d, units=units)
        assert (cost["flops"], cost["transcendentals"]) == _xla_cost(function, *arrays), name
    assert scoring.score_cost("additive", n_q, n_k, d, units=units)["parameters"] == 2 * d * units + units
    assert scoring.score_cost("bilinear", n_q, n_k, d)["parameters"] == d * d


def test_score_cost_errors():
    with pytest.raises(ValueError, match="unknown score"):
        scoring.score_cost("manhattan", 1, 1, 1)
    with pytest.raises(ValueError, match="n_keys"):
        scoring.score_cost("dot", 1, 0, 1)


def test_softmax_jacobian_against_finite_differences():
    scores = np.array([0.8, 0.3, 0.9, 0.2, 0.4])
    step = 1e-6
    numeric = np.stack(
        [(softmax(scores + step * e) - softmax(scores - step * e)) / (2 * step) for e in np.eye(5)], axis=1
    )
    np.testing.assert_allclose(scoring.softmax_jacobian(softmax(scores)), numeric, atol=1e-8)


def test_softmax_saturation_trends():
    d_k = [4, 64, 512]
    unscaled = scoring.softmax_saturation(d_k, n_draws=400, scaled=False, seed=1)
    scaled = scoring.softmax_saturation(d_k, n_draws=400, scaled=True, seed=1)
    np.testing.assert_allclose(unscaled["score_std"], np.sqrt(d_k), rtol=0.1)
    np.testing.assert_allclose(scaled["score_std"], 1.0, rtol=0.1)
    assert np.all(np.diff(unscaled["max_weight"]) > 0) and unscaled["max_weight"][-1] > 0.9
    assert np.all(np.diff(unscaled["jacobian_norm"]) < 0)
    assert np.ptp(scaled["max_weight"]) < 0.05  # scaling keeps the softmax equally peaked at every d_k
    # same seed, same numbers
    again = scoring.softmax_saturation(d_k, n_draws=400, scaled=False, seed=1)
    np.testing.assert_array_equal(again["max_weight"], unscaled["max_weight"])
    with pytest.raises(ValueError, match="d_k_values"):
        scoring.softmax_saturation([0, 4])

"""labsupport.layers against NumPy versions of the textbook formulas, using each layer's own weights."""
import keras
import numpy as np
import pytest

from labsupport.layers import AttentionPooling, BahdanauAttention, LuongAttention, WeightedMerge
from labsupport.layers import to_numpy as layers_to_numpy


def to_numpy(x):
    return np.asarray(layers_to_numpy(x), dtype=np.float64)


def weights_of(layer):
    return {w.path.split("/")[-1]: to_numpy(w) for w in layer.weights}


def numpy_softmax(scores, mask=None):
    scores = np.where(mask, scores, -np.inf) if mask is not None else scores
    exps = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return exps / exps.sum(axis=-1, keepdims=True)


def weighted_sum(weights, values):
    # context_b = Σ_t weights_bt · values_bt
    return np.stack([sum(weights[b, t] * values[b, t] for t in range(values.shape[1])) for b in range(values.shape[0])])


@pytest.fixture
def inputs():
    rng = np.random.default_rng(5)
    query = rng.normal(size=(3, 4)).astype("float32")  # (batch, d_q)
    values = rng.normal(size=(3, 6, 5)).astype("float32")  # (batch, T, d_v)
    mask = np.ones((3, 6), dtype=bool)
    mask[0, 4:] = False
    mask[2, 1] = False
    return query, values, mask


def test_bahdanau_matches_numpy(inputs):
    query, values, mask = inputs
    layer = BahdanauAttention(7, seed=1)
    context, weights = layer(query, values, mask=mask)
    w = weights_of(layer)
    assert w["query_kernel"].shape == (4, 7) and w["values_kernel"].shape == (5, 7)
    # Non-zero bias, so that the test sees it.
    layer.bias.assign(np.linspace(-0.5, 0.5, 7).astype("float32"))
    context, weights = layer(query, values, mask=mask)
    w = weights_of(layer)
    scores = np.empty((3, 6))
    for b in range(3):
        for t in range(6):
            energy = np.tanh(query[b] @ w["query_kernel"] + values[b, t] @ w["values_kernel"] + w["bias"])
            scores[b, t] = energy @ w["score_vector"]
    expected_weights = numpy_softmax(scores, mask)
    np.testing.assert_allclose(to_numpy(weights), expected_weights, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(to_numpy(context), weighted_sum(expected_weights, values), rtol=1e-5, atol=1e-6)
    assert np.all(to_numpy(weights)[~mask] == 0.0)
    np.testing.assert_allclose(layer.last_weights, to_numpy(weights))
    # The precomputed projection gives the same result.
    context_pre, weights_pre = layer(query, values, mask=mask, projected_values=layer.project_values(values))
    np.testing.assert_allclose(to_numpy(weights_pre), to_numpy(weights), rtol=1e-6)


@pytest.mark.parametrize("score", ["dot", "general", "concat"])
def test_luong_matches_numpy(inputs, score):
    query, values, mask = inputs
    if score == "dot":
        query = np.random.default_rng(2).normal(size=(3, 5)).astype("float32")
    layer = LuongAttention(score, units=3 if score == "concat" else None, seed=4)
    context, weights = layer(query, values, mask=mask)
    w = weights_of(layer)
    scores = np.empty((3, 6))
    for b in range(3):
        for t in range(6):
            q, h = query[b].astype(float), values[b, t].astype(float)
            if score == "dot":
                scores[b, t] = q @ h
            elif score == "general":
                scores[b, t] = q @ w["kernel"] @ h
            else:
                # vᵀ tanh(W [q; h]) with W assembled from the layer's two blocks.
                full_kernel = np.concatenate([w["query_kernel"], w["values_kernel"]], axis=0)  # (d_q + d_v, units)
                scores[b, t] = np.tanh(np.concatenate([q, h]) @ full_kernel) @ w["score_vector"]
    expected_weights = numpy_softmax(scores, mask)
    np.testing.assert_allclose(to_numpy(weights), expected_weights, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(to_numpy(context), weighted_sum(expected_weights, values), rtol=1e-5, atol=1e-6)
    assert len(layer.weights) == {"dot": 0, "general": 1, "concat": 3}[score]


def test_attention_pooling_matches_numpy_and_takes_the_mask_from_masking():
    rng = np.random.default_rng(8)
    sequences = rng.normal(size=(2, 5, 3)).astype("float32")
    sequences[0, 3:] = 0.0  # padding
    inputs = keras.Input(shape=(None, 3))
    pooled, weights = AttentionPooling(units=4, seed=0, name="pool")(keras.layers.Masking(0.0)(inputs))
    model = keras.Model(inputs, [pooled, weights])
    pooled_out, weights_out = (to_numpy(a) for a in model.predict(sequences, verbose=0))
    w = weights_of(model.get_layer("pool"))
    model.get_layer("pool").bias.assign(np.array([0.3, -0.2, 0.1, 0.0], dtype="float32"))
    pooled_out, weights_out = (to_numpy(a) for a in model.predict(sequences, verbose=0))
    w = weights_of(model.get_layer("pool"))
    mask = np.abs(sequences).sum(-1) > 0
    scores = np.tanh(sequences @ w["kernel"] + w["bias"]) @ w["score_vector"]
    expected_weights = numpy_softmax(scores, mask)
    np.testing.assert_allclose(weights_out, expected_weights, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(pooled_out, weighted_sum(expected_weights, sequences), rtol=1e-5, atol=1e-6)
    assert np.all(weights_out[0, 3:] == 0.0)


def test_weighted_merge_is_a_convex_combination_with_learned_alpha():
    rng = np.random.default_rng(3)
    forward, backward = rng.normal(size=(2, 2, 4, 3)).astype("float32")
    layer = WeightedMerge(initial_alpha=0.8)
    merged = to_numpy(layer([forward, backward]))
    assert layer.alpha == pytest.approx(0.8, rel=1e-6)
    np.testing.assert_allclose(merged, 0.8 * forward + 0.2 * backward, rtol=1e-5, atol=1e-6)
    layer.alpha_logit.assign(-1.0)
    alpha = 1 / (1 + np.exp(1.0))
    assert layer.alpha == pytest.approx(alpha)
    np.testing.assert_allclose(to_numpy(layer([forward, backward])), alpha * forward + (1 - alpha) * backward, rtol=1e-5, atol=1e-6)
    assert len(layer.trainable_weights) == 1


def test_layers_in_a_compiled_model_match_eager_calls(inputs):
    query, values, mask = inputs
    layer = BahdanauAttention(6, seed=2)
    eager_context, eager_weights = layer(query, values, mask=mask)
    q_in, v_in, m_in = keras.Input((4,)), keras.Input((6, 5)), keras.Input((6,), dtype="bool")
    model = keras.Model([q_in, v_in, m_in], layer(q_in, v_in, mask=m_in))
    context, weights = model.predict([query, values, mask], verbose=0)
    np.testing.assert_allclose(weights, to_numpy(eager_weights), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(context, to_numpy(eager_context), rtol=1e-5, atol=1e-6)
    # A compiled call leaves the kept weights of the last eager call alone.
    np.testing.assert_allclose(layer.last_weights, to_numpy(eager_weights))


def test_same_seed_same_weights_and_config_round_trip(inputs):
    query, values, _ = inputs
    for make in (lambda: BahdanauAttention(5, seed=9), lambda: LuongAttention("concat", units=4, seed=9), lambda: AttentionPooling(seed=9)):
        first, second = make(), make()
        if isinstance(first, AttentionPooling):
            first(values), second(values)
        else:
            first(query, values), second(query, values)
        for a, b in zip(first.weights, second.weights):
            np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
        clone = type(first).from_config(first.get_config())
        assert clone.get_config() == first.get_config()
    different = BahdanauAttention(5, seed=10)
    different(query, values)
    same_seed = BahdanauAttention(5, seed=9)
    same_seed(query, values)
    assert not np.allclose(to_numpy(different.query_kernel), to_numpy(same_seed.query_kernel))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: BahdanauAttention(0), "units"),
        (lambda: BahdanauAttention(2.5), "units"),
        (lambda: LuongAttention("cosine"), "score"),
        (lambda: LuongAttention("concat", units=-1), "units"),
        (lambda: AttentionPooling(units=0), "units"),
        (lambda: WeightedMerge(initial_alpha=1.0), "initial_alpha"),
        (lambda: WeightedMerge(initial_alpha=0.0), "initial_alpha"),
        (lambda: BahdanauAttention(3, seed="a"), "seed"),
    ],
)
def test_bad_constructor_arguments_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_call_shapes_raise(inputs):
    query, values, _ = inputs
    with pytest.raises(ValueError, match="d_q=4, d_v=5"):
        LuongAttention("dot")(query, values)
    with pytest.raises(ValueError, match=r"\(batch, T, d_v\)"):
        BahdanauAttention(3)(query, values[:, 0])
    with pytest.raises(ValueError, match=r"\(batch, d_q\)"):
        LuongAttention("general")(values, values)
    with pytest.raises(ValueError, match=r"\(batch, T, d\)"):
        AttentionPooling()(query)
    with pytest.raises(ValueError, match="same shape"):
        WeightedMerge()([values, values[:, :, :2]])

import matplotlib.pyplot as plt
import numpy as np
import pytest

from labsupport import plots
from labsupport.widgets import merge_mode as explorer


def _lstm_params(d_in, units):
    return 4 * (units * (d_in + units) + units)


@pytest.mark.parametrize("mode, width", [("concat", 32), ("sum", 16), ("mul", 16), ("ave", 16)])
def test_output_shape_and_next_layer_size_follow_the_formula(mode, width):
    result = explorer.compute_merge_mode(mode, units=16, n_features=5, timesteps=50, next_units=3)
    assert result["output_shape"] == (None, width)
    assert result["width"] == width
    # a Dense head on the merged vector: width x 3 weights + 3 biases
    assert result["next_layer_params"] == result["formula_params"] == width * 3 + 3
    assert result["next_layer_formula"] == f"{width}·3 + 3"
    # the merge does not change the bidirectional layer: two LSTMs of 16 units on 5 features
    assert result["bidirectional_params"] == 2 * _lstm_params(5, 16)


@pytest.mark.parametrize("mode, width", [("concat", 16), ("sum", 8), ("mul", 8), ("ave", 8)])
@pytest.mark.parametrize("next_layer", ["lstm", "gru"])
def test_stacked_recurrent_next_layer(mode, width, next_layer):
    result = explorer.compute_merge_mode(mode, units=8, n_features=4, timesteps=12, cell="gru",
                                         return_sequences=True, next_layer=next_layer, next_units=6)
    assert result["output_shape"] == (None, 12, width)
    expected = _lstm_params(width, 6) if next_layer == "lstm" else 3 * (6 * (width + 6) + 2 * 6)
    assert result["next_layer_params"] == result["formula_params"] == expected


@pytest.mark.parametrize("mode", ["concat", "sum", "mul", "ave"])
def test_numpy_merge_equals_keras_merge_with_the_same_weights(mode):
    import keras

    rng = np.random.default_rng(5)
    sequence = rng.normal(size=(2, 4, 3)).astype(np.float32)
    separate = keras.layers.Bidirectional(keras.layers.SimpleRNN(5, return_sequences=True), merge_mode=None)
    merged = keras.layers.Bidirectional(keras.layers.SimpleRNN(5, return_sequences=True), merge_mode=mode)
    forward, backward = (np.asarray(part) for part in separate(sequence))
    merged(sequence)
    merged.set_weights(separate.get_weights())
    np.testing.assert_allclose(explorer.merge_directions(forward, backward, mode), np.asarray(merged(sequence)),
                               rtol=1e-5, atol=1e-6)


def test_weighted_merge_matches_the_learned_alpha_layer():
    from labsupport.layers import WeightedMerge

    rng = np.random.default_rng(6)
    forward, backward = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    layer = WeightedMerge(initial_alpha=0.3)
    expected = np.asarray(layer([forward.astype(np.float32), backward.astype(np.float32)]))
    np.testing.assert_allclose(explorer.merge_directions(forward, backward, "weighted", alpha=layer.alpha), expected,
                               rtol=1e-5)


@pytest.mark.slow
def test_trained_results_table_figure_and_widget():
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(40, 6, 2)).astype(np.float32)
    targets = (inputs[:, 0, 0] > 0).astype(np.int64)
    results = explorer.train_merge_mode_models(inputs[:30], targets[:30], inputs[30:], targets[30:], units=4,
                                               epochs=1, batch_size=16, progress=False)
    assert list(results) == list(explorer.MERGE_MODES)
    for mode, result in results.items():
        assert 0.0 <= result["accuracy"] <= 1.0
        # whole model = two LSTMs + the head computed from the merged width
        assert result["params"] == 2 * _lstm_params(2, 4) + result["next_layer_params"]
    table = explorer.merge_mode_table(results)
    assert list(table.index) == list(explorer.MERGE_MODES)
    assert list(table["合併後寬度"]) == [8, 4, 4, 4]
    fig = explorer.static_merge_mode_figure(results)
    assert plots.check_figure_labels(fig) == []
    fig.canvas.draw()
    plt.close(fig)
    widget = explorer.live_merge_mode_explorer(results, merge_mode="sum")
    assert widget.children[0].value == "sum"
    with pytest.raises(ValueError, match="trained modes"):
        explorer.live_merge_mode_explorer(results, merge_mode="weighted")


def test_static_figure_without_training_shows_the_sizes_only():
    results = {mode: explorer.compute_merge_mode(mode, units=4, n_features=2, timesteps=6) for mode in explorer.MERGE_MODES}
    table = explorer.merge_mode_table(results)
    assert "測試準確率" not in table.columns and list(table["下一層參數量"]) == [27, 15, 15, 15]
    fig = explorer.static_merge_mode_figure(results)
    assert len(fig.axes) == 1 and plots.check_figure_labels(fig) == []
    plt.close(fig)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: explorer.compute_merge_mode("max"), "merge_mode"),
        (lambda: explorer.compute_merge_mode(None), "merge_mode"),
        (lambda: explorer.compute_merge_mode("sum", units=0), "units"),
        (lambda: explorer.compute_merge_mode("sum", cell="rnn"), "cell"),
        (lambda: explorer.compute_merge_mode("sum", next_layer="conv"), "next_layer"),
        (lambda: explorer.compute_merge_mode("sum", next_layer="lstm"), "return_sequences"),
        (lambda: explorer.merge_directions(np.zeros(3), np.zeros(4), "sum"), "same shape"),
        (lambda: explorer.merge_directions(np.zeros(3), np.zeros(3), "weighted", alpha=1.5), "alpha"),
        (lambda: explorer.merge_directions(np.zeros(3), np.zeros(3), "max"), "merge_mode"),
    ],
)
def test_bad_arguments_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy.special import softmax as scipy_softmax
from scipy.stats import entropy as scipy_entropy

from labsupport.plots import check_figure_labels
from labsupport.widgets import temperature as explorer


def test_weights_at_temperature_one_equal_plain_softmax():
    result = explorer.compute_temperature_attention(explorer.FIVE_SCORES, explorer.FIVE_VALUES, 1.0)
    expected = np.exp(explorer.FIVE_SCORES) / np.exp(explorer.FIVE_SCORES).sum()
    np.testing.assert_allclose(result["weights"], expected, rtol=1e-12)
    two_queries = explorer.compute_temperature_attention(explorer.example_scores(), explorer.EXAMPLE_V, 1.0)
    np.testing.assert_allclose(two_queries["weights"], scipy_softmax(explorer.example_scores(), axis=1), rtol=1e-12)


def test_weights_at_any_temperature_are_softmax_of_scores_over_t():
    for temperature in (0.1, 0.5, 2.0, 10.0):
        result = explorer.compute_temperature_attention(explorer.FIVE_SCORES, explorer.FIVE_VALUES, temperature)
        np.testing.assert_allclose(result["weights"], scipy_softmax(explorer.FIVE_SCORES / temperature), rtol=1e-10)


def test_entropy_rises_with_temperature_and_matches_scipy():
    grid = np.geomspace(0.1, 10, 25)
    for scores, values in ((explorer.FIVE_SCORES, explorer.FIVE_VALUES), (explorer.example_scores(), explorer.EXAMPLE_V)):
        entropies = []
        for temperature in grid:
            result = explorer.compute_temperature_attention(scores, values, temperature)
            np.testing.assert_allclose(result["entropy"], scipy_entropy(result["weights"], axis=-1), rtol=1e-10)
            entropies.append(np.atleast_1d(result["entropy"]))
        entropies = np.array(entropies)  # (temperatures, queries)
        assert np.all(np.diff(entropies, axis=0) > 0)
        assert np.all(entropies < result["max_entropy"])


def test_limits_one_hot_and_uniform():
    cold = explorer.compute_temperature_attention(explorer.FIVE_SCORES, explorer.FIVE_VALUES, 0.01)
    assert cold["weights"].argmax() == explorer.FIVE_SCORES.argmax() and cold["weights"].max() > 0.99
    np.testing.assert_allclose(cold["context"], explorer.FIVE_VALUES[explorer.FIVE_SCORES.argmax()], atol=0.05)
    hot = explorer.compute_temperature_attention(explorer.FIVE_SCORES, explorer.FIVE_VALUES, 1000.0)
    np.testing.assert_allclose(hot["weights"], 0.2, atol=1e-3)
    np.testing.assert_allclose(hot["entropy"], np.log(5), atol=1e-5)
    np.testing.assert_allclose(hot["context"], explorer.FIVE_VALUES.mean(axis=0), atol=1e-2)


def test_context_is_the_weighted_sum_of_values():
    result = explorer.compute_temperature_attention(explorer.example_scores(), explorer.EXAMPLE_V, 0.7)
    weights = result["weights"]
    for query in range(2):
        expected = sum(weights[query, key] * explorer.EXAMPLE_V[key] for key in range(3))
        np.testing.assert_allclose(result["context"][query], expected, rtol=1e-12)
    assert result["context"].shape == (2, 2)


def test_example_scores_are_q_k_transpose_over_sqrt_3():
    expected = np.array([[sum(q * k) for k in explorer.EXAMPLE_K] for q in explorer.EXAMPLE_Q]) / np.sqrt(3)
    np.testing.assert_allclose(explorer.example_scores(), expected)


@pytest.mark.parametrize("temperature", [0, -1.0, float("nan"), float("inf")])
def test_bad_temperature_raises(temperature):
    with pytest.raises(ValueError, match="temperature"):
        explorer.compute_temperature_attention(explorer.FIVE_SCORES, explorer.FIVE_VALUES, temperature)


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="values"):
        explorer.compute_temperature_attention(explorer.FIVE_SCORES, explorer.EXAMPLE_V, 1.0)
    with pytest.raises(ValueError, match="scores"):
        explorer.compute_temperature_attention(np.ones((2, 2, 2)), np.ones((2, 1)), 1.0)


def test_table_and_static_figure():
    table = explorer.temperature_table(explorer.example_scores(), explorer.EXAMPLE_V, [0.5, 1.0])
    assert len(table) == 4 and list(table["query"]) == ["q1", "q2", "q1", "q2"]
    np.testing.assert_allclose(table[["α1", "α2", "α3"]].sum(axis=1), 1.0)
    fig = explorer.static_temperature_figure(explorer.FIVE_SCORES, explorer.FIVE_VALUES)
    assert check_figure_labels(fig) == []
    assert len(fig.axes) == 6
    plt.close(fig)


def test_live_explorer_builds_a_slider_over_the_range():
    pytest.importorskip("ipywidgets")
    open_figures = plt.get_fignums()
    widget = explorer.live_temperature_explorer(explorer.FIVE_SCORES, explorer.FIVE_VALUES)
    slider = widget.children[0]
    values = [value for _, value in slider.options]
    assert values[0] == pytest.approx(0.1) and values[-1] == pytest.approx(10.0) and len(values) == 21
    assert slider.value == pytest.approx(1.0)
    assert plt.get_fignums() == open_figures  # frames are drawn into HTML, no figure is left open

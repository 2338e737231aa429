import matplotlib.pyplot as plt
import numpy as np
import pytest

from labsupport import recipes
from labsupport.decoding import greedy_decode
from labsupport.plots import check_figure_labels
from labsupport.widgets import sampling

MAX_LEN = recipes.MAX_RECIPE_LENGTH + 1
ORDER = ("產品Q", "標準級")


def run(temperatures, n_samples=40, seed=0, order=ORDER):
    step_fn, state = recipes.exact_step_fn(order)
    return sampling.compute_sampling(step_fn, state, start_token=recipes.START, end_token=recipes.END,
                                     max_len=MAX_LEN, temperatures=temperatures, n_samples=n_samples, seed=seed)


@pytest.mark.parametrize("order", recipes.ORDERS)
def test_very_low_temperature_equals_greedy(order):
    step_fn, state = recipes.exact_step_fn(order)
    greedy_tokens, greedy_log_prob = greedy_decode(step_fn, state, recipes.START, recipes.END, MAX_LEN)
    (result,) = run([1e-3], n_samples=15, order=order)
    assert result.distinct == 1 and result.greedy_share == 1.0
    for tokens, log_prob in result.samples:
        np.testing.assert_array_equal(tokens, greedy_tokens)
        assert log_prob == pytest.approx(greedy_log_prob)


def test_diversity_rises_and_probability_falls_with_temperature():
    low, mid, high = run([0.1, 1.0, 3.0])
    assert low.distinct < mid.distinct < high.distinct
    assert low.mean_log_prob > mid.mean_log_prob > high.mean_log_prob
    assert low.greedy_share > mid.greedy_share


def test_log_probs_are_the_models_at_temperature_one():
    (result,) = run([2.0], n_samples=10)
    for tokens, log_prob in result.samples:
        recipe = [int(t) for t in tokens[:-1]]
        assert tokens[-1] == recipes.END
        assert log_prob == pytest.approx(recipes.recipe_log_prob(ORDER, recipe))


def test_temperature_one_matches_the_exact_distribution():
    (result,) = run([1.0], n_samples=400, seed=123)
    counts = {seq: n for seq, n, _ in result.counts()}
    for recipe, p in recipes.enumerate_recipes(ORDER)[:3]:
        observed = counts.get(tuple(recipe) + (recipes.END,), 0) / 400
        assert abs(observed - p) < 4 * np.sqrt(p * (1 - p) / 400)


def test_seeded_and_common_random_numbers():
    a = run([0.5, 2.0], n_samples=8, seed=5)
    b = run([0.5, 2.0], n_samples=8, seed=5)
    for ra, rb in zip(a, b):
        for (ta, la), (tb, lb) in zip(ra.samples, rb.samples):
            np.testing.assert_array_equal(ta, tb)
            assert la == lb


def test_table_and_figure():
    results = run([0.1, 1.0, 3.0], n_samples=10)
    table = sampling.sampling_table(results, token_names=recipes.TARGET_VOCAB, end_token=recipes.END)
    assert list(table.index) == [0.1, 1.0, 3.0]
    assert table["相異序列數"].tolist() == [r.distinct for r in results]
    fig = sampling.static_sampling_figure(results, greedy_log_prob=-2.0)
    assert check_figure_labels(fig) == []
    plt.close(fig)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(temperatures=[0.0]), "temperature"),
        (dict(temperatures=[-1.0]), "temperature"),
        (dict(temperatures=[]), "temperatures"),
        (dict(temperatures=[1.0], n_samples=0), "n_samples"),
        (dict(temperatures=[1.0], seed=-1), "seed"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        run(**kwargs)

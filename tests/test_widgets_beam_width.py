import matplotlib.pyplot as plt
import numpy as np
import pytest

from labsupport import recipes
from labsupport.decoding import greedy_decode
from labsupport.plots import check_figure_labels
from labsupport.widgets import beam_width as bw

MAX_LEN = recipes.MAX_RECIPE_LENGTH + 1
CHAPTER_ORDER = ("產品P", "標準級")  # the chapter's example


def sweep_for(order, widths=range(1, 9)):
    step_fn, state = recipes.exact_step_fn(order)
    return bw.compute_beam_width(step_fn, state, start_token=recipes.START, end_token=recipes.END,
                                 max_len=MAX_LEN, widths=widths)


@pytest.mark.parametrize("order", recipes.ORDERS)
def test_width_one_equals_greedy(order):
    sweep = sweep_for(order, widths=[1])
    step_fn, state = recipes.exact_step_fn(order)
    tokens, log_prob = greedy_decode(step_fn, state, recipes.START, recipes.END, MAX_LEN)
    best = sweep.result(1).hypotheses[0]
    np.testing.assert_array_equal(best.tokens, tokens)
    np.testing.assert_array_equal(sweep.greedy_tokens, tokens)
    assert best.log_prob == pytest.approx(log_prob)


def test_wider_beam_beats_greedy_on_the_chapter_example():
    sweep = sweep_for(CHAPTER_ORDER)
    # independent reference: the exact probabilities by exhaustive enumeration
    best_recipe, best_p = recipes.enumerate_recipes(CHAPTER_ORDER)[0]
    greedy_recipe = [int(t) for t in sweep.greedy_tokens if t != recipes.END]
    assert sweep.greedy_log_prob == pytest.approx(recipes.recipe_log_prob(CHAPTER_ORDER, greedy_recipe))
    assert sweep.greedy_log_prob == pytest.approx(np.log(0.6 * 0.4 * 0.8))
    for result in sweep.results[1:]:
        assert result.best_log_prob > sweep.greedy_log_prob + 0.4
        assert result.best_log_prob == pytest.approx(np.log(best_p))
        assert tuple(int(t) for t in result.hypotheses[0].tokens[:-1]) == best_recipe


def test_hypotheses_are_ranked_and_scored_exactly():
    sweep = sweep_for(("產品Q", "高純級"), widths=[8])
    hypotheses = sweep.result(8).hypotheses
    log_probs = [h.log_prob for h in hypotheses]
    assert log_probs == sorted(log_probs, reverse=True)
    for h in hypotheses:
        assert h.ended and h.tokens[-1] == recipes.END
        assert h.log_prob == pytest.approx(recipes.recipe_log_prob(("產品Q", "高純級"), h.tokens[:-1]))


def test_widest_beam_lists_the_exhaustive_top_hypotheses():
    sweep = sweep_for(CHAPTER_ORDER, widths=[8])
    listed = [(tuple(int(t) for t in h.tokens[:-1]), h.log_prob) for h in sweep.result(8).hypotheses]
    exact = recipes.enumerate_recipes(CHAPTER_ORDER)
    assert len(listed) == 8
    # beam search is not exhaustive, but here its list matches the exact ranking (ties may swap places)
    np.testing.assert_allclose([lp for _, lp in listed[:5]], [np.log(p) for _, p in exact[:5]])
    assert [r for r, _ in listed[:2]] == [r for r, _ in exact[:2]]
    assert {r for r, _ in listed[:5]} == {r for r, _ in exact[:5]}


def test_cost_counts_calls_and_rows():
    sweep = sweep_for(CHAPTER_ORDER, widths=[1, 4])
    assert sweep.greedy_model_calls == len(sweep.greedy_tokens)  # one call per produced token
    for result in sweep.results:
        assert result.rows == result.model_calls * result.width  # every call evaluates `width` rows
        assert 1 <= result.model_calls <= MAX_LEN
        assert result.seconds >= 0.0


def test_table_and_figure():
    sweep = sweep_for(CHAPTER_ORDER, widths=[1, 2, 3])
    table = bw.beam_width_table(sweep, token_names=recipes.TARGET_VOCAB, end_token=recipes.END)
    assert list(table.index) == [1, 2, 3]
    assert table.loc[1, "比貪婪高 (nats)"] == pytest.approx(0.0)
    assert table.loc[2, "最佳序列"] == "加料A 加料B 加觸媒 升溫 取樣 降溫 卸料"
    fig = bw.static_beam_width_figure(sweep)
    assert check_figure_labels(fig) == []
    plt.close(fig)


@pytest.mark.parametrize("widths", [[0], [], [1, 2.5], [True]])
def test_bad_widths_raise(widths):
    with pytest.raises(ValueError, match="width"):
        sweep_for(CHAPTER_ORDER, widths=widths)


def test_unknown_width_lookup_raises():
    with pytest.raises(ValueError, match="not computed"):
        sweep_for(CHAPTER_ORDER, widths=[1]).result(3)

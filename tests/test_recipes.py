import itertools
from collections import Counter

import numpy as np
import pytest

from labsupport import recipes as R


@pytest.mark.parametrize("order", R.ORDERS)
def test_enumeration_is_a_proper_distribution(order):
    found = R.enumerate_recipes(order)
    total = sum(p for _, p in found)
    assert total == pytest.approx(1.0, abs=1e-12)
    assert max(len(r) for r, _ in found) <= R.MAX_RECIPE_LENGTH
    # each listed probability equals exp of the chained log-probability
    for recipe, p in found:
        assert np.exp(R.recipe_log_prob(order, recipe)) == pytest.approx(p)


def test_max_recipe_length_is_attained():
    longest = max(len(r) for order in R.ORDERS for r, _ in R.enumerate_recipes(order))
    assert longest == R.MAX_RECIPE_LENGTH


def test_grammar_rules_hold_for_every_recipe():
    for order in R.ORDERS:
        for recipe, _ in R.enumerate_recipes(order):
            names = R.decode_recipe(recipe)
            assert names[-2:] == ["降溫", "卸料"]
            assert names[-3] == "取樣"  # a passing sample before cooling
            assert names.count("保溫") <= R.MAX_HOLDS
            assert names.count("降溫") == 1 and names.count("卸料") == 1
            assert "加觸媒" in names and names.index("加觸媒") < names.index("升溫")


def test_greedy_path_is_not_the_most_probable_recipe():
    # Hand computation for (P, 標準級): greedy takes 保溫 (0.6) then 取樣 (0.4)
    # then 降溫 (0.8) = 0.192, while 取樣 straight after heating gives 0.4 * 0.8 = 0.32.
    order = ("產品P", "標準級")
    greedy, prefix = 0.0, []
    while True:
        probs = R.next_operation_probs(order, prefix)
        token = int(np.argmax(probs))
        greedy += np.log(probs[token])
        if token == R.END:
            break
        prefix.append(token)
    assert np.exp(greedy) == pytest.approx(0.6 * 0.4 * 0.8)
    best_recipe, best_p = R.enumerate_recipes(order)[0]
    assert best_p == pytest.approx(0.4 * 0.8)
    assert R.decode_recipe(best_recipe) == ["加料A", "加料B", "加觸媒", "升溫", "取樣", "降溫", "卸料"]


def test_sampling_matches_exact_probabilities():
    order = ("產品Q", "標準級")
    n = 4000
    data = R.sample_recipes(n, seed=3, orders=order)
    counts = Counter(tuple(row[:length]) for row, length in zip(data.target, data.lengths))
    for recipe, p in R.enumerate_recipes(order)[:5]:
        # within 4 binomial standard deviations
        assert abs(counts[recipe] / n - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_sample_layout_and_determinism():
    a = R.sample_recipes(50, seed=7)
    b = R.sample_recipes(50, seed=7)
    c = R.sample_recipes(50, seed=8)
    np.testing.assert_array_equal(a.target, b.target)
    assert not np.array_equal(a.target, c.target)
    width = R.MAX_RECIPE_LENGTH + 1
    assert a.target.shape == a.decoder_input.shape == (50, width)
    for src, dec_in, tgt, length, order in zip(a.source, a.decoder_input, a.target, a.lengths, a.orders):
        assert [R.SOURCE_VOCAB[i] for i in src] == list(order)
        assert dec_in[0] == R.START
        np.testing.assert_array_equal(dec_in[1 : length + 1], tgt[:length])  # shifted by one
        assert tgt[length] == R.END
        assert (tgt[length + 1 :] == R.PAD).all() and (dec_in[length + 1 :] == R.PAD).all()


def test_exact_step_fn_agrees_with_next_operation_probs():
    order = ("產品R", "高純級")
    step_fn, state = R.exact_step_fn(order)
    recipe = R.encode_recipe(["加料B", "加觸媒", "升溫", "保溫", "加料B", "保溫", "取樣", "降溫", "卸料"])
    tokens = [R.START] + recipe
    total = 0.0
    for t, token in enumerate(tokens):
        log_probs, state = step_fn(np.array([token]), state)
        expected = R.next_operation_probs(order, recipe[:t])
        np.testing.assert_allclose(np.exp(log_probs[0]), expected)
        nxt = recipe[t] if t < len(recipe) else R.END
        total += log_probs[0, nxt]
    assert total == pytest.approx(R.recipe_log_prob(order, recipe))
    # batched: rows are independent, and state can be regrouped with a gather
    step_fn, state = R.exact_step_fn(order)
    lp, state = step_fn(np.array([R.START, R.START]), np.repeat(state, 2, axis=0))
    lp, state = step_fn(np.array([R.encode_recipe(["加料B"])[0], R.encode_recipe(["加觸媒"])[0]]), state)
    assert lp[0, R.encode_recipe(["加觸媒"])[0]] == pytest.approx(0.0)
    assert lp[1, R.END] == pytest.approx(0.0)  # 加觸媒 first is not allowed for R: automaton stops


def test_disallowed_recipes_have_zero_probability():
    order = ("產品P", "標準級")
    assert R.recipe_log_prob(order, R.encode_recipe(["加料B", "加觸媒"])) == float("-inf")
    assert R.recipe_log_prob(order, R.encode_recipe(["加料A", "加料B", "加觸媒", "升溫", "降溫", "卸料"])) == float("-inf")


def test_encode_decode_round_trip():
    names = ["加料A", "升溫", "取樣"]
    ids = R.encode_recipe(names)
    assert R.decode_recipe([R.START] + ids + [R.END, R.PAD, 5]) == names


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: R.next_operation_probs(("產品X", "標準級"), []), "unknown product"),
        (lambda: R.next_operation_probs(("產品P", "特級"), []), "unknown grade"),
        (lambda: R.next_operation_probs("產品P", []), "pair"),
        (lambda: R.next_operation_probs(("產品P", "標準級"), [R.END]), "operation ids"),
        (lambda: R.sample_recipes(0), "positive integer"),
        (lambda: R.sample_recipes(3, orders=[("產品P", "標準級")]), "orders"),
        (lambda: R.encode_recipe(["攪拌"]), "unknown operation"),
        (lambda: R.decode_recipe([99]), "outside"),
    ],
)
def test_bad_arguments_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_every_order_is_listed_once():
    assert len(set(R.ORDERS)) == len(R.PRODUCTS) * len(R.GRADES)
    assert set(R.ORDERS) == set(itertools.product(R.PRODUCTS, R.GRADES))

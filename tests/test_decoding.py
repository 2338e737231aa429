"""labsupport.decoding against exhaustive search and exact probabilities of small random Markov chains."""
import collections
import itertools

import numpy as np
import pytest
from scipy import stats

from labsupport.decoding import (
    CountingStepFn,
    Hypothesis,
    beam_search,
    beam_search_batch,
    gather_state,
    greedy_decode,
    map_state,
    sample_decode,
    score_tokens,
)

START, END = 0, 1


class MarkovChain:
    """A random second-order Markov chain over ``vocab`` tokens whose probabilities also depend on the position.

    Token 0 is the start token (never produced: log-prob -inf), token 1 the
    end token. The state is a nest with leading dimension n:
    ``{"position": (n,), "last_two": [(n,), (n,)]}``, so a beam that is
    reordered without gathering its state gets the wrong probabilities.
    """

    def __init__(self, vocab=5, max_len=6, seed=0, sharpness=1.5, end_bias=-1.5):
        rng = np.random.default_rng(seed)
        logits = rng.normal(size=(max_len, vocab, vocab, vocab)) * sharpness
        logits[..., END] += end_bias  # longer sequences, so that beams branch and reorder
        logits[..., START] = -np.inf
        self.log_probs_table = logits - np.log(np.exp(logits).sum(-1, keepdims=True))  # (position, prev2, prev1, next)
        self.vocab = vocab
        self.max_len = max_len

    def initial_state(self):
        return {"position": np.zeros(1, dtype=int), "last_two": [np.full(1, START), np.full(1, START)]}

    def step_fn(self, tokens, state):
        tokens = np.asarray(tokens)
        position = state["position"]
        before_last = state["last_two"][1]
        log_probs = self.log_probs_table[np.minimum(position, self.max_len - 1), before_last, tokens]  # (n, vocab)
        return log_probs, {"position": position + 1, "last_two": [before_last, tokens]}

    def sequence_log_prob(self, tokens):
        state, previous, total = self.initial_state(), np.array([START]), 0.0
        for token in tokens:
            log_probs, state = self.step_fn(previous, state)
            total += log_probs[0, token]
            previous = np.array([token])
        return total


def exhaustive_best(chain, max_len, length_penalty=0.0, top=1):
    """Every sequence that ends with END within max_len, or is cut at max_len, scored and sorted."""
    candidates = []
    non_end = [t for t in range(chain.vocab) if t not in (START, END)]
    for length in range(1, max_len + 1):
        for body in itertools.product(non_end, repeat=length - 1):
            for last, ended in [(END, True)] + [(t, False) for t in non_end]:
                if not ended and length < max_len:
                    continue
                tokens = body + (last,)
                log_prob = chain.sequence_log_prob(tokens)
                score = log_prob / length**length_penalty
                candidates.append((score, log_prob, tokens, ended))
    candidates.sort(key=lambda c: -c[0])
    return candidates[:top]


# ------------------------------------------------------------------ beam search
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_wide_beam_equals_exhaustive_search(seed):
    chain = MarkovChain(vocab=5, max_len=4, seed=seed)
    max_len = 4
    # 3 non-end tokens: at most 3**3 live beams × 5 tokens extensions per step.
    width = 5 * 3**3
    best = exhaustive_best(chain, max_len)[0]
    result = beam_search(chain.step_fn, chain.initial_state(), START, END, beam_width=width, max_len=max_len)
    assert tuple(result[0].tokens) == best[2]
    assert result[0].log_prob == pytest.approx(best[1], abs=1e-12)
    assert result[0].ended == best[3]


@pytest.mark.parametrize("seed", [6, 7])
def test_without_early_stopping_a_wide_beam_lists_the_exhaustive_top_k(seed):
    chain = MarkovChain(vocab=5, max_len=4, seed=seed)
    expected = exhaustive_best(chain, 4, top=5)
    result = beam_search(chain.step_fn, chain.initial_state(), START, END, beam_width=5 * 27, max_len=4,
                         early_stopping=False)
    assert [tuple(h.tokens) for h in result[:5]] == [c[2] for c in expected]
    np.testing.assert_allclose([h.log_prob for h in result[:5]], [c[1] for c in expected], rtol=1e-12)
    # the best hypothesis does not depend on early stopping
    early = beam_search(chain.step_fn, chain.initial_state(), START, END, beam_width=5 * 27, max_len=4)
    assert tuple(early[0].tokens) == tuple(result[0].tokens)
    assert len(early) <= len(result)


@pytest.mark.parametrize("seed", [4, 5])
def test_wide_beam_with_length_penalty_equals_exhaustive_ranking(seed):
    chain = MarkovChain(vocab=5, max_len=4, seed=seed, sharpness=0.7)
    expected = exhaustive_best(chain, 4, length_penalty=0.8, top=3)
    result = beam_search(chain.step_fn, chain.initial_state(), START, END, beam_width=5 * 27, max_len=4, length_penalty=0.8)
    assert [tuple(h.tokens) for h in result[:3]] == [c[2] for c in expected]
    np.testing.assert_allclose([h.score for h in result[:3]], [c[0] for c in expected], rtol=1e-12)
    for h in result:
        assert h.score == pytest.approx(h.log_prob / len(h) ** 0.8)


@pytest.mark.parametrize("seed", range(6))
def test_beam_width_one_equals_greedy(seed):
    chain = MarkovChain(vocab=6, max_len=8, seed=seed)
    greedy_tokens, greedy_log_prob = greedy_decode(chain.step_fn, chain.initial_state(), START, END, max_len=8)
    beam = beam_search(chain.step_fn, chain.initial_state(), START, END, beam_width=1, max_len=8)
    assert len(beam) == 1
    np.testing.assert_array_equal(beam[0].tokens, greedy_tokens)
    assert beam[0].log_prob == pytest.approx(greedy_log_prob)
    # greedy's log-prob is the chain's probability of its tokens
    assert greedy_log_prob == pytest.approx(chain.sequence_log_prob(greedy_tokens))


def test_greedy_follows_the_argmax_at_every_step():
    chain = MarkovChain(vocab=6, max_len=8, seed=11)
    tokens, _ = greedy_decode(chain.step_fn, chain.initial_state(), START, END, max_len=8)
    state, previous = chain.initial_state(), np.array([START])
    for token in tokens:
        log_probs, state = chain.step_fn(previous, state)
        assert token == np.argmax(log_probs[0])
        previous = np.array([token])
    assert tokens[-1] == END or len(tokens) == 8


def test_beam_search_beats_greedy_when_the_likely_first_step_leads_nowhere():
    # After <start>: A (0.6) or B (0.4). After A: four continuations of 0.25 each then <end>.
    # After B: <end> with probability 1. Greedy takes A (p = 0.6 · 0.25 · 1 = 0.15); the best is B <end> (0.4).
    A, B, C = 2, 3, 4
    vocab = 8

    def step_fn(tokens, state):
        log_probs = np.full((len(tokens), vocab), -np.inf)
        for row, (token, depth) in enumerate(zip(tokens, state)):
            if token == START:
                log_probs[row, [A, B]] = np.log([0.6, 0.4])
            elif token == A:
                log_probs[row, [C, 5, 6, 7]] = np.log(0.25)
            else:
                log_probs[row, END] = 0.0
        return log_probs, state + 1

    greedy_tokens, greedy_log_prob = greedy_decode(step_fn, np.zeros(1), START, END, max_len=5)
    assert list(greedy_tokens) == [A, C, END] and greedy_log_prob == pytest.approx(np.log(0.15))
    best = beam_search(step_fn, np.zeros(1), START, END, beam_width=2, max_len=5)[0]
    assert list(best.tokens) == [B, END] and best.log_prob == pytest.approx(np.log(0.4))


def test_one_vectorized_call_per_step_and_results_consistent():
    chain = MarkovChain(vocab=6, max_len=7, seed=21, end_bias=-3.0)
    counting = CountingStepFn(chain.step_fn)
    result = beam_search(counting, chain.initial_state(), START, END, beam_width=4, max_len=7)
    assert 1 <= counting.calls <= 7
    assert counting.rows == 4 * counting.calls
    assert [h.score for h in result] == sorted((h.score for h in result), reverse=True)
    assert len(result) <= 4
    for h in result:
        assert isinstance(h, Hypothesis)
        assert h.log_prob == pytest.approx(chain.sequence_log_prob(h.tokens))
        assert START not in h.tokens
        assert (h.tokens[-1] == END) == h.ended
        assert END not in h.tokens[:-1]
    counting.reset()
    assert counting.calls == counting.rows == 0


def test_impossible_tokens_are_never_chosen():
    chain = MarkovChain(vocab=5, max_len=5, seed=8)
    for h in beam_search(chain.step_fn, chain.initial_state(), START, END, beam_width=50, max_len=5):
        assert np.isfinite(h.log_prob) and START not in h.tokens


def test_no_end_token_runs_to_max_len():
    chain = MarkovChain(vocab=4, max_len=3, seed=2)
    tokens, _ = greedy_decode(chain.step_fn, chain.initial_state(), START, None, max_len=3)
    assert len(tokens) == 3
    result = beam_search(chain.step_fn, chain.initial_state(), START, None, beam_width=3, max_len=3)
    assert all(len(h) == 3 and not h.ended for h in result)


# ------------------------------------------------------------------- sampling
@pytest.mark.parametrize("seed", range(5))
def test_sampling_at_very_low_temperature_equals_greedy(seed):
    chain = MarkovChain(vocab=6, max_len=8, seed=seed)
    greedy_tokens, greedy_log_prob = greedy_decode(chain.step_fn, chain.initial_state(), START, END, max_len=8)
    for sample_seed in range(3):
        tokens, log_prob = sample_decode(
            chain.step_fn, chain.initial_state(), START, END, max_len=8, temperature=1e-4, seed=sample_seed
        )
        np.testing.assert_array_equal(tokens, greedy_tokens)
        assert log_prob == pytest.approx(greedy_log_prob)


@pytest.mark.parametrize("temperature", [1.0, 2.0])
def test_sampled_frequencies_match_the_model_within_sampling_error(temperature):
    chain = MarkovChain(vocab=5, max_len=3, seed=13, sharpness=1.0, end_bias=0.0)
    n_samples = 3000
    pairs = collections.Counter()
    for seed in range(n_samples):
        tokens, log_prob = sample_decode(chain.step_fn, chain.initial_state(), START, END, max_len=2, temperature=temperature, seed=seed)
        assert log_prob == pytest.approx(chain.sequence_log_prob(tokens))
        pairs[tuple(tokens)] += 1
    # Exact probability of every outcome of at most two tokens under the tempered chain.
    def tempered(log_probs):
        p = np.exp(log_probs / temperature)
        return p / p.sum()

    first_log_probs, state = chain.step_fn(np.array([START]), chain.initial_state())
    first = tempered(first_log_probs[0])
    expected = {(END,): first[END]}
    for token in range(2, 5):
        second = tempered(chain.step_fn(np.array([token]), state)[0][0])
        for nxt in range(1, 5):
            expected[(token, nxt)] = first[token] * second[nxt]
    assert sum(pairs.values()) == n_samples and set(pairs) <= set(expected)
    outcomes = sorted(expected)
    observed = np.array([pairs[o] for o in outcomes])
    probabilities = np.array([expected[o] for o in outcomes])
    assert probabilities.sum() == pytest.approx(1.0)
    _, p_value = stats.chisquare(observed, probabilities * n_samples)
    assert p_value > 1e-3, (observed, probabilities * n_samples)
    # And a sharper check where it is easy: the first token alone, binomial 4-sigma bounds.
    first_counts = collections.Counter(o[0] for o in pairs.elements())
    for token in (END, 2, 3, 4):
        p = first[token]
        assert abs(first_counts[token] - n_samples * p) <= 4 * np.sqrt(n_samples * p * (1 - p)) + 1


def test_same_seed_same_sample_and_seeds_differ():
    chain = MarkovChain(vocab=6, max_len=10, seed=3, sharpness=0.5)
    draws = [tuple(sample_decode(chain.step_fn, chain.initial_state(), START, END, 10, seed=s)[0]) for s in range(20)]
    again = [tuple(sample_decode(chain.step_fn, chain.initial_state(), START, END, 10, seed=s)[0]) for s in range(20)]
    assert draws == again
    assert len(set(draws)) > 5


# ------------------------------------------------------------ states and errors
def test_state_helpers_keep_the_nest():
    Pair = collections.namedtuple("Pair", "left right")
    state = {"a": [np.arange(3), (np.arange(6).reshape(3, 2),)], "b": Pair(np.arange(3) * 10, None)}
    gathered = gather_state(state, [2, 2, 0])
    np.testing.assert_array_equal(gathered["a"][0], [2, 2, 0])
    np.testing.assert_array_equal(gathered["a"][1][0], [[4, 5], [4, 5], [0, 1]])
    assert isinstance(gathered["b"], Pair) and gathered["b"].right is None
    np.testing.assert_array_equal(gathered["b"].left, [20, 20, 0])
    assert map_state(lambda a: a.shape[0], state)["a"][0] == 3


@pytest.fixture
def chain():
    return MarkovChain(vocab=4, max_len=3, seed=1)


@pytest.mark.parametrize("width", [0, -1, 1.5, True, None])
def test_bad_beam_width_raises(chain, width):
    with pytest.raises(ValueError, match="beam_width"):
        beam_search(chain.step_fn, chain.initial_state(), START, END, beam_width=width, max_len=3)


@pytest.mark.parametrize("max_len", [0, -2, 2.0])
def test_bad_max_len_raises(chain, max_len):
    for decode in (greedy_decode, sample_decode):
        with pytest.raises(ValueError, match="max_len"):
            decode(chain.step_fn, chain.initial_state(), START, END, max_len)
    with pytest.raises(ValueError, match="max_len"):
        beam_search(chain.step_fn, chain.initial_state(), START, END, 2, max_len)


@pytest.mark.parametrize("temperature", [0.0, -0.5, float("nan")])
def test_bad_temperature_raises(chain, temperature):
    with pytest.raises(ValueError, match="temperature"):
        sample_decode(chain.step_fn, chain.initial_state(), START, END, 3, temperature=temperature)


def test_other_bad_arguments_raise(chain):
    state = chain.initial_state()
    with pytest.raises(ValueError, match="start_token"):
        greedy_decode(chain.step_fn, state, -1, END, 3)
    with pytest.raises(ValueError, match="end_token"):
        greedy_decode(chain.step_fn, state, START, "end", 3)
    with pytest.raises(ValueError, match="step_fn"):
        greedy_decode("not a function", state, START, END, 3)
    with pytest.raises(ValueError, match="length_penalty"):
        beam_search(chain.step_fn, state, START, END, 2, 3, length_penalty=-1.0)
    with pytest.raises(ValueError, match="leading dimension"):
        beam_search(chain.step_fn, {"position": np.zeros(2, dtype=int), "last_two": [np.zeros(2, int)] * 2}, START, END, 2, 3)
    with pytest.raises(ValueError, match="seed"):
        sample_decode(chain.step_fn, state, START, END, 3, seed=-4)
    with pytest.raises(ValueError, match=r"log_probs of shape \(1, vocab\)"):
        greedy_decode(lambda tokens, s: (np.zeros(4), s), state, START, END, 3)
    with pytest.raises(ValueError, match="log-probabilities"):
        greedy_decode(lambda tokens, s: (np.ones((1, 4)), s), state, START, END, 3)
    with pytest.raises(ValueError, match="pair"):
        greedy_decode(lambda tokens, s: np.zeros((1, 4)), state, START, END, 3)
    with pytest.raises(ValueError, match="vocabulary"):
        beam_search(chain.step_fn, state, START, 9, 2, 3)


def test_per_beam_reference_of_the_benchmark_gives_identical_results():
    """benchmarks/reference.py's one-call-per-beam search must match beam_search exactly (the benchmark relies on it)."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "reference.py"
    spec = importlib.util.spec_from_file_location("benchmark_reference", path)
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    for seed in range(4):
        chain = MarkovChain(vocab=6, max_len=7, seed=seed, end_bias=-2.0)
        counting = CountingStepFn(chain.step_fn)
        expected = beam_search(chain.step_fn, chain.initial_state(), START, END, beam_width=5, max_len=7)
        result = reference.per_beam_search(counting, chain.initial_state(), START, END, beam_width=5, max_len=7)
        assert [tuple(h.tokens) for h in result] == [tuple(h.tokens) for h in expected]
        np.testing.assert_allclose([h.log_prob for h in result], [h.log_prob for h in expected], rtol=1e-12)
        assert counting.rows == counting.calls  # one row per call


# ------------------------------------------------------------------ beam search over a batch of sources
class ChainBank:
    """Several MarkovChains as one step function: row i of the state says which chain it follows."""

    def __init__(self, chains):
        self.chains = chains
        self.tables = np.stack([chain.log_probs_table for chain in chains])  # (chain, position, prev2, prev1, next)
        self.max_len = chains[0].max_len

    def initial_states(self):
        n = len(self.chains)
        return {"chain": np.arange(n), "position": np.zeros(n, dtype=int), "last_two": [np.full(n, START), np.full(n, START)]}

    def step_fn(self, tokens, state):
        tokens = np.asarray(tokens)
        position, before_last = state["position"], state["last_two"][1]
        log_probs = self.tables[state["chain"], np.minimum(position, self.max_len - 1), before_last, tokens]
        return log_probs, dict(state, position=position + 1, last_two=[before_last, tokens])


@pytest.mark.parametrize("width, length_penalty, early_stopping", [(1, 0.0, True), (3, 0.0, True), (4, 0.0, False), (5, 0.7, True)])
def test_batch_beam_search_equals_searching_each_source_alone(width, length_penalty, early_stopping):
    # Sources whose searches end at different steps (different end biases), so some finish while others go on.
    bank = ChainBank([MarkovChain(vocab=6, max_len=7, seed=seed, end_bias=bias)
                      for seed, bias in zip(range(7), (-3.0, 0.5, -1.5, -2.0, 1.0, -1.0, -2.5))])
    counting = CountingStepFn(bank.step_fn)
    batched = beam_search_batch(counting, bank.initial_states(), START, END, width, 7, length_penalty, early_stopping)
    assert len(batched) == len(bank.chains)
    assert counting.rows == counting.calls * len(bank.chains) * width  # every call: all sources × beams
    longest_single_search = 0
    for index, result in enumerate(batched):
        alone = CountingStepFn(bank.chains[index].step_fn)
        expected = beam_search(alone, bank.chains[index].initial_state(), START, END, width, 7, length_penalty, early_stopping)
        longest_single_search = max(longest_single_search, alone.calls)
        assert [tuple(h.tokens) for h in result] == [tuple(h.tokens) for h in expected]
        assert [(h.log_prob, h.score, h.ended) for h in result] == [(h.log_prob, h.score, h.ended) for h in expected]
    assert counting.calls == longest_single_search  # one call per step, until the last source is done


def test_batch_beam_search_of_one_source_is_beam_search():
    chain = MarkovChain(vocab=5, max_len=6, seed=4)
    [batched] = beam_search_batch(chain.step_fn, chain.initial_state(), START, END, 3, 6)
    expected = beam_search(chain.step_fn, chain.initial_state(), START, END, 3, 6)
    assert [(tuple(h.tokens), h.log_prob, h.ended) for h in batched] == [(tuple(h.tokens), h.log_prob, h.ended) for h in expected]


def test_batch_beam_search_bad_states_raise():
    bank = ChainBank([MarkovChain(seed=0), MarkovChain(seed=1)])
    states = bank.initial_states()
    states["position"] = np.zeros(3, dtype=int)
    with pytest.raises(ValueError, match="same leading dimension"):
        beam_search_batch(bank.step_fn, states, START, END, 2, 4)
    empty = map_state(lambda a: a[:0], bank.initial_states())
    with pytest.raises(ValueError, match="at least one source"):
        beam_search_batch(bank.step_fn, empty, START, END, 2, 4)
    with pytest.raises(ValueError, match="beam_width"):
        beam_search_batch(bank.step_fn, bank.initial_states(), START, END, 0, 4)
    with pytest.raises(ValueError, match="length_penalty"):
        beam_search_batch(bank.step_fn, bank.initial_states(), START, END, 2, 4, length_penalty=-1.0)


# ------------------------------------------------------------------ scoring a given sequence

@pytest.mark.parametrize("seed", range(3))
def test_score_tokens_matches_the_chain_and_the_decoders(seed):
    chain = MarkovChain(vocab=5, max_len=6, seed=seed)
    rng = np.random.default_rng(seed)
    for length in (1, 3, 6):
        tokens = rng.integers(2, chain.vocab, size=length)   # any ids but START/END; no early stop at END
        assert score_tokens(chain.step_fn, chain.initial_state(), START, tokens) == pytest.approx(
            chain.sequence_log_prob(tokens))
    greedy_tokens, greedy_log_prob = greedy_decode(chain.step_fn, chain.initial_state(), START, END, 6)
    assert score_tokens(chain.step_fn, chain.initial_state(), START, greedy_tokens) == pytest.approx(greedy_log_prob)
    for hypothesis in beam_search(chain.step_fn, chain.initial_state(), START, END, beam_width=3, max_len=6):
        assert score_tokens(chain.step_fn, chain.initial_state(), START, hypothesis.tokens) == pytest.approx(
            hypothesis.log_prob)


def test_score_tokens_bad_arguments_raise(chain):
    state = chain.initial_state()
    for tokens in ([], [[2, 3]], [2.0, 3.0], "23"):
        with pytest.raises(ValueError, match="tokens"):
            score_tokens(chain.step_fn, state, START, tokens)
    with pytest.raises(ValueError, match="vocabulary"):
        score_tokens(chain.step_fn, state, START, [2, chain.vocab])
    with pytest.raises(ValueError, match="vocabulary"):
        score_tokens(chain.step_fn, state, START, [-1])
    with pytest.raises(ValueError, match="start_token"):
        score_tokens(chain.step_fn, state, -1, [2])

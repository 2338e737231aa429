"""Greedy decoding, beam search and sampling over one step function.

Every decoder works with any model through

    step_fn(tokens, state) -> (log_probs, new_state)

- ``tokens``: int array of shape (n,), the previous token of each of n
  hypotheses (the start token at the first step);
- ``state``: any nest (dict, list, tuple) of arrays whose leading dimension
  is n, so hypotheses can be reordered with a gather ``x[indices]``;
- ``log_probs``: (n, vocab) log-probabilities of the next token (``-inf``
  allowed for impossible tokens).

The decoders start from the state of *one* source (leading dimension 1);
:func:`beam_search_batch` starts from the states of a batch of sources
(leading dimension B) and advances all B × beam_width hypotheses with one
``step_fn`` call per step. They work on NumPy arrays; ``step_fn`` may call a Keras model (see
:meth:`labsupport.models.Seq2Seq.decoding_fn`). Wrap a step function in
:class:`CountingStepFn` to count model calls and rows, e.g. to show what a
wider beam costs.

Token sequences returned never include the start token; they end with the
end token when one was produced. :func:`score_tokens` gives the model's
log-probability of a sequence chosen elsewhere (e.g. the best one under an
exact model), to tell a search error from a model error.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable

import numpy as np

from labsupport.attention import check_temperature, softmax
from labsupport.checks import check_int, check_non_negative, check_seed

__all__ = [
    "Hypothesis",
    "CountingStepFn",
    "greedy_decode",
    "beam_search",
    "beam_search_batch",
    "sample_decode",
    "score_tokens",
    "map_state",
    "gather_state",
]


@dataclasses.dataclass(frozen=True)
class Hypothesis:
    """One decoded sequence.

    Attributes
    ----------
    tokens:
        Int array (length,), without the start token; the last token is the
        end token when ``ended``.
    log_prob:
        Sum of the model's log-probabilities of ``tokens``.
    score:
        ``log_prob / length ** length_penalty`` (equal to ``log_prob`` when
        ``length_penalty == 0``); hypotheses are ranked by it.
    ended:
        True if the sequence ended with the end token, False if it was cut
        at ``max_len``.
    """

    tokens: np.ndarray
    log_prob: float
    score: float
    ended: bool

    def __len__(self) -> int:
        return len(self.tokens)


class CountingStepFn:
    """A step function that counts how it is called.

    ``calls``: number of calls (model invocations); ``rows``: total number of
    hypotheses evaluated (sum of n over calls). ``reset()`` sets both to 0.
    """

    def __init__(self, step_fn: Callable):
        if not callable(step_fn):
            raise ValueError(f"step_fn must be callable, got {step_fn!r}")
        self.step_fn = step_fn
        self.calls = 0
        self.rows = 0

    def __call__(self, tokens, state):
        self.calls += 1
        self.rows += int(np.shape(tokens)[0])
        return self.step_fn(tokens, state)

    def reset(self) -> None:
        self.calls = 0
        self.rows = 0


# ----------------------------------------------------------------------------
# State nests
# ----------------------------------------------------------------------------
def map_state(fn: Callable, state):
    """Apply ``fn`` to every array of a nest (dict, list, tuple, namedtuple); None stays None."""
    if state is None:
        return None
    if isinstance(state, dict):
        return type(state)((key, map_state(fn, value)) for key, value in state.items())
    if isinstance(state, tuple) and hasattr(state, "_fields"):  # namedtuple
        return type(state)(*(map_state(fn, value) for value in state))
    if isinstance(state, (list, tuple)):
        return type(state)(map_state(fn, value) for value in state)
    return fn(state)


def _leading_dims(state) -> set[int]:
    dims: set[int] = set()

    def record(array):
        shape = np.shape(array)
        if len(shape) == 0:
            raise ValueError("every array in the state must have a leading dimension n (one row per hypothesis)")
        dims.add(int(shape[0]))
        return array

    map_state(record, state)
    return dims


def gather_state(state, indices):
    """Rows ``indices`` of every array in the nest (the beam reordering)."""
    indices = np.asarray(indices)
    return map_state(lambda array: np.asarray(array)[indices], state)


# ----------------------------------------------------------------------------
# Argument checks
# ----------------------------------------------------------------------------
def _check_token(value, name: str, allow_none: bool = False):
    return check_non_negative(name, value, allow_none=allow_none, noun="integer token id")


def _check_common(step_fn, state, start_token, end_token, max_len, batch: bool = False):
    if not callable(step_fn):
        raise ValueError(f"step_fn must be callable as step_fn(tokens, state) -> (log_probs, new_state), got {step_fn!r}")
    start_token = _check_token(start_token, "start_token")
    end_token = _check_token(end_token, "end_token", allow_none=True)
    max_len = check_int("max_len", max_len)
    dims = _leading_dims(state)
    if batch:
        if len(dims) != 1:
            raise ValueError(
                "the initial states must be for a batch of sources: every array with the same leading dimension B, "
                f"got leading dimensions {sorted(dims)}"
            )
        if dims == {0}:
            raise ValueError("the initial states must be for at least one source, got leading dimension 0")
    elif dims - {1}:
        raise ValueError(
            f"the initial state must be for one source: every array with leading dimension 1, got leading dimensions {sorted(dims)}"
        )
    return start_token, end_token, max_len


def _log_probs(result, n: int, vocab=None) -> tuple[np.ndarray, object]:
    try:
        log_probs, new_state = result
    except (TypeError, ValueError):
        raise ValueError("step_fn must return a pair (log_probs, new_state)") from None
    log_probs = np.asarray(log_probs, dtype=np.float64)
    if log_probs.ndim != 2 or log_probs.shape[0] != n or (vocab is not None and log_probs.shape[1] != vocab):
        expected = f"({n}, {'vocab' if vocab is None else vocab})"
        raise ValueError(f"step_fn must return log_probs of shape {expected}, got {log_probs.shape}")
    if np.isnan(log_probs).any() or (log_probs > 1e-6).any():
        raise ValueError("step_fn returned log_probs with NaN or positive values; expected log-probabilities (<= 0)")
    return log_probs, new_state


# ----------------------------------------------------------------------------
# Decoders
# ----------------------------------------------------------------------------
def _decode_one_token_at_a_time(step_fn, state, start_token, end_token, max_len, choose):
    """Feed ``start_token``, then each chosen token, for at most ``max_len`` steps (one source).

    ``choose`` maps the step's (vocab,) log-probabilities to the next token id. Returns the
    tokens (int64, ending with ``end_token`` if it was chosen) and the sum of the model's
    log-probabilities of them.
    """
    previous = np.array([start_token], dtype=np.int64)
    tokens: list[int] = []
    total = 0.0
    for _ in range(max_len):
        log_probs, state = _log_probs(step_fn(previous, state), 1)
        token = choose(log_probs[0])
        total += float(log_probs[0, token])
        tokens.append(token)
        if token == end_token:
            break
        previous = np.array([token], dtype=np.int64)
    return np.array(tokens, dtype=np.int64), total


def greedy_decode(step_fn, state, start_token: int, end_token, max_len: int):
    """Take the most probable next token at every step.

    Parameters
    ----------
    step_fn, state:
        See the module notes; ``state`` has leading dimension 1.
    start_token:
        Fed at the first step.
    end_token:
        Decoding stops after it (None: always run ``max_len`` steps).
    max_len:
        Largest number of tokens to produce (>= 1).

    Returns
    -------
    tokens, log_prob:
        ``tokens`` int array (length <= max_len); ``log_prob`` the sum of the
        model's log-probabilities of those tokens. Ties go to the lowest
        token id.

    Raises
    ------
    ValueError
        For bad arguments, or a ``step_fn`` whose output has the wrong shape.
    """
    start_token, end_token, max_len = _check_common(step_fn, state, start_token, end_token, max_len)
    return _decode_one_token_at_a_time(step_fn, state, start_token, end_token, max_len,
                                       lambda log_probs: int(np.argmax(log_probs)))


def _score(log_prob: float, length: int, length_penalty: float) -> float:
    return log_prob / (length**length_penalty) if length_penalty else log_prob


def beam_search(
    step_fn,
    state,
    start_token: int,
    end_token,
    beam_width: int,
    max_len: int,
    length_penalty: float = 0.0,
    early_stopping: bool = True,
) -> list[Hypothesis]:
    """Beam search, vectorized over beams: one ``step_fn`` call per step for all beams of one source.

    The state is repeated to ``beam_width`` rows and the beams' running
    log-probabilities start at ``[0, -inf, …, -inf]`` (so the first step
    expands only one copy). At each step every beam is extended by every
    token, the ``beam_width`` best extensions over beam × vocab are kept
    (beam = flat index // vocab, token = flat index % vocab), and the state
    rows are gathered from their parent beams. An extension that is the end
    token finishes a hypothesis (its slot stays empty after that); at
    ``max_len`` the live beams finish as cut hypotheses (``ended=False``).
    The number of rows passed to ``step_fn`` stays ``beam_width`` throughout
    (empty slots carry a copy of a live state), so a compiled model sees one
    shape.

    With ``length_penalty == 0`` and ``early_stopping`` the search stops as
    soon as the best finished hypothesis scores at least as high as every
    live beam (log-probabilities only fall): the best hypothesis is then
    final, though fewer than ``beam_width`` may be returned. With
    ``early_stopping=False`` the search runs on until every beam has ended
    (or ``max_len``), so up to ``beam_width`` hypotheses come back, e.g. to
    list the runners-up. A beam wide enough to keep every extension is
    an exhaustive search; ``beam_width=1`` is greedy decoding. For several
    sources, :func:`beam_search_batch` searches them all with one call per step.

    Parameters
    ----------
    beam_width:
        Number of beams (>= 1).
    length_penalty:
        α in score = log_prob / length**α (finite, >= 0). 0 ranks by total
        log-probability (which favours short sequences); larger values favour
        longer ones.
    early_stopping:
        Stop once no live beam can beat the best finished hypothesis (the
        default); False keeps searching to fill the list of hypotheses.

    Returns
    -------
    list[Hypothesis]
        Up to ``beam_width`` hypotheses, best score first.

    Raises
    ------
    ValueError
        For ``beam_width < 1``, ``max_len < 1``, a negative or non-finite
        ``length_penalty``, bad tokens, or a ``step_fn`` with outputs of the
        wrong shape.
    """
    start_token, end_token, max_len = _check_common(step_fn, state, start_token, end_token, max_len)
    return _beam_search(step_fn, state, 1, start_token, end_token, beam_width, max_len, length_penalty, early_stopping)[0]


def beam_search_batch(
    step_fn,
    states,
    start_token: int,
    end_token,
    beam_width: int,
    max_len: int,
    length_penalty: float = 0.0,
    early_stopping: bool = True,
) -> list[list[Hypothesis]]:
    """:func:`beam_search` for a batch of B sources at once: one ``step_fn`` call per step for all B × beam_width rows.

    ``states`` is a nest whose arrays all have leading dimension B (row b =
    source b), e.g. from :meth:`labsupport.models.Seq2Seq.batch_decoding_fn`.
    Row ``b * beam_width + k`` of every ``step_fn`` call is beam k of source
    b, so ``step_fn`` always sees B × beam_width rows (one shape for a
    compiled model); a source whose search has finished keeps its rows (their
    results are ignored) until every source is done.

    Each source is searched exactly as :func:`beam_search` would search it
    alone (same selection, ties, early stopping), so with a ``step_fn`` whose
    rows do not depend on one another the results are identical; with a
    Keras model they agree up to floating-point differences between batch
    sizes.

    Returns
    -------
    list[list[Hypothesis]]
        For each source, up to ``beam_width`` hypotheses, best score first.

    Raises
    ------
    ValueError
        As :func:`beam_search`, and for state arrays with different leading dimensions.
    """
    start_token, end_token, max_len = _check_common(step_fn, states, start_token, end_token, max_len, batch=True)
    n_sources = _leading_dims(states).pop()
    return _beam_search(step_fn, states, n_sources, start_token, end_token, beam_width, max_len, length_penalty,
                        early_stopping)


def _beam_search(step_fn, state, n_sources, start_token, end_token, beam_width, max_len, length_penalty, early_stopping):
    """The search behind beam_search (n_sources = 1) and beam_search_batch; arguments checked except the last three."""
    beam_width = check_int("beam_width", beam_width)
    if isinstance(length_penalty, bool) or not isinstance(length_penalty, numbers.Real) or not math.isfinite(length_penalty) or length_penalty < 0:
        raise ValueError(f"length_penalty must be a finite number >= 0, got {length_penalty!r}")
    length_penalty = float(length_penalty)
    rows = n_sources * beam_width

    # Source-major rows: row b * beam_width + k is beam k of source b.
    state = map_state(lambda array: np.repeat(np.asarray(array), beam_width, axis=0), state)  # (rows, ...)
    beam_log_probs = np.full((n_sources, beam_width), -np.inf)  # (source, beam)
    beam_log_probs[:, 0] = 0.0
    beam_tokens = [np.zeros((beam_width, 0), dtype=np.int64) for _ in range(n_sources)]  # each (beam, t)
    previous = np.full(rows, start_token, dtype=np.int64)  # (rows,)
    finished: list[list[Hypothesis]] = [[] for _ in range(n_sources)]
    done = np.zeros(n_sources, dtype=bool)
    vocab = None

    for step in range(1, max_len + 1):
        log_probs, state = _log_probs(step_fn(previous, state), rows, vocab)  # (rows, vocab)
        vocab = log_probs.shape[1]
        if end_token is not None and end_token >= vocab:
            raise ValueError(f"end_token {end_token} is not in the vocabulary of size {vocab}")
        log_probs = log_probs.reshape(n_sources, beam_width, vocab)  # (source, beam, vocab)
        slots = np.tile(np.arange(beam_width), (n_sources, 1))  # (source, beam): parent beam of each new row
        next_tokens = previous.reshape(n_sources, beam_width).copy()  # (source, beam)
        for source in np.flatnonzero(~done):
            candidates = (beam_log_probs[source][:, None] + log_probs[source]).ravel()  # (beam * vocab,)
            # Stable sort: ties go to the lower beam, then the lower token id.
            best = np.argsort(-candidates, kind="stable")[:beam_width]  # (beam,)
            best = best[np.isfinite(candidates[best])]
            parents, tokens = best // vocab, best % vocab
            new_log_probs = candidates[best]
            new_tokens = np.concatenate([beam_tokens[source][parents], tokens[:, None]], axis=1)  # (live, step)

            ends = tokens == end_token if end_token is not None else np.zeros(len(tokens), dtype=bool)
            for row in np.flatnonzero(ends):
                finished[source].append(
                    Hypothesis(new_tokens[row], float(new_log_probs[row]), _score(float(new_log_probs[row]), step, length_penalty), True)
                )
            live = ~ends
            parents, tokens, new_log_probs, new_tokens = parents[live], tokens[live], new_log_probs[live], new_tokens[live]
            if step == max_len or len(parents) == 0:
                for row in range(len(parents)):
                    finished[source].append(
                        Hypothesis(new_tokens[row], float(new_log_probs[row]), _score(float(new_log_probs[row]), step, length_penalty), False)
                    )
                done[source] = True
                continue
            if early_stopping and length_penalty == 0.0 and finished[source] and max(h.score for h in finished[source]) >= new_log_probs.max():
                done[source] = True
                continue

            # Refill to beam_width rows: empty slots copy the first live beam and score -inf.
            n_empty = beam_width - len(parents)
            slots[source] = np.concatenate([parents, np.full(n_empty, parents[0], dtype=parents.dtype)])
            beam_log_probs[source] = np.concatenate([new_log_probs, np.full(n_empty, -np.inf)])
            beam_tokens[source] = np.concatenate([new_tokens, np.repeat(new_tokens[:1], n_empty, axis=0)])
            next_tokens[source] = np.concatenate([tokens, np.full(n_empty, tokens[0], dtype=tokens.dtype)])
        if done.all():
            break
        state = gather_state(state, (slots + beam_width * np.arange(n_sources)[:, None]).ravel())
        previous = next_tokens.ravel()

    results = []
    for hypotheses in finished:
        hypotheses.sort(key=lambda h: -h.score)  # stable: earlier (shorter) first among equals
        results.append(hypotheses[:beam_width])
    return results


def sample_decode(step_fn, state, start_token: int, end_token, max_len: int, temperature: float = 1.0, seed=None):
    """Draw each next token from softmax(log_probs / temperature).

    ``temperature`` 1 samples from the model itself; below 1 sharpens
    towards greedy decoding, above 1 flattens. Same ``seed`` → same tokens
    (``seed=None`` draws fresh entropy).

    Returns
    -------
    tokens, log_prob:
        ``tokens`` int array (length <= max_len); ``log_prob`` the sum of the
        *model's* log-probabilities of those tokens (at temperature 1,
        whatever temperature was used to draw them).

    Raises
    ------
    ValueError
        For ``temperature <= 0``, a bad seed, or the errors of
        :func:`greedy_decode`.
    """
    start_token, end_token, max_len = _check_common(step_fn, state, start_token, end_token, max_len)
    temperature = check_temperature(temperature)
    rng = np.random.default_rng(check_seed(seed, allow_none=True))

    def draw(log_probs):
        mask = np.isfinite(log_probs)
        probs = softmax(np.where(mask, log_probs, 0.0), temperature=temperature, mask=mask)  # (vocab,)
        cumulative = np.cumsum(probs)
        token = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
        # Rounding can land past the last token with probability > 0; step back to it.
        return min(token, int(np.flatnonzero(probs > 0)[-1]))

    return _decode_one_token_at_a_time(step_fn, state, start_token, end_token, max_len, draw)


def score_tokens(step_fn, state, start_token: int, tokens) -> float:
    """The model's log-probability of ``tokens``, fed one at a time after ``start_token`` (teacher forced).

    ``tokens`` is a non-empty 1-D sequence of token ids (include the end token if the sequence
    ends with it; it is scored like any other token). Returns the sum of the model's
    log-probabilities, the same quantity the decoders return for the sequences they find, so
    ``score_tokens(..., greedy_tokens)`` equals greedy's ``log_prob``.

    Raises
    ------
    ValueError
        For bad arguments (as the decoders), ``tokens`` that is empty, not 1-D, or holds an id
        that is negative or not below the vocabulary size of ``step_fn``.
    """
    ids = np.asarray(tokens)
    if ids.ndim != 1 or ids.size == 0 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"tokens must be a non-empty 1-D sequence of integer token ids, got {tokens!r}")
    start_token, _, _ = _check_common(step_fn, state, start_token, None, int(ids.size))
    forced = iter(int(t) for t in ids)

    def next_forced(log_probs):
        token = next(forced)
        if not 0 <= token < log_probs.shape[-1]:
            raise ValueError(f"token ids must be in 0..{log_probs.shape[-1] - 1} (the vocabulary), got {token}")
        return token

    _, total = _decode_one_token_at_a_time(step_fn, state, start_token, None, int(ids.size), next_forced)
    return total

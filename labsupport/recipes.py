"""A small, exactly known language of batch-recipe operation sequences.

Chapter 3 uses it to compare decoding strategies (greedy, beam search,
sampling) on tokens. A *recipe* is the list of operations a batch reactor
runs through; an *order* (product, grade) says which recipe family applies:

- charging: a product-specific template, e.g. ``加料A 加料B 加觸媒``;
- heating: ``升溫``;
- reaction: a random walk over ``保溫`` (hold), ``取樣`` (sample), a
  top-up feed ``加料B`` and re-heating ``升溫``, with at most
  :data:`MAX_HOLDS` holds;
- finishing: ``降溫 卸料`` once a sample passes.

Every recipe ends with the ``<end>`` token. The model is a probabilistic
automaton whose next-operation probabilities are written out in
:func:`next_operation_probs`, so the exact log-probability of any recipe is
known (:func:`recipe_log_prob`) and every recipe of an order can be listed
(:func:`enumerate_recipes`). On purpose, the locally most likely move after
``升溫`` (``保溫``) opens a spread-out continuation, while the less likely
``取樣`` leads almost surely to the end: greedy decoding follows the first
and finds a less probable recipe than beam search does.

Token ids: ``<pad>`` = 0, ``<start>`` = 1, ``<end>`` = 2, then the
operations (:data:`TARGET_VOCAB`). Orders are encoded as two source tokens
(:data:`SOURCE_VOCAB`).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

__all__ = [
    "PAD", "START", "END",
    "OPERATIONS", "TARGET_VOCAB", "SOURCE_VOCAB", "PRODUCTS", "GRADES", "ORDERS",
    "MAX_HOLDS", "MAX_RECIPE_LENGTH",
    "RecipeData",
    "next_operation_probs", "recipe_log_prob", "enumerate_recipes",
    "sample_recipes", "encode_order", "encode_recipe", "decode_recipe",
    "exact_step_fn",
]

PAD, START, END = 0, 1, 2
OPERATIONS = ("加料A", "加料B", "加觸媒", "升溫", "保溫", "取樣", "降溫", "卸料")
TARGET_VOCAB = ("<pad>", "<start>", "<end>") + OPERATIONS
PRODUCTS = ("產品P", "產品Q", "產品R")
GRADES = ("標準級", "高純級")
SOURCE_VOCAB = ("<pad>",) + PRODUCTS + GRADES
ORDERS = tuple((product, grade) for product in PRODUCTS for grade in GRADES)

_ID = {token: i for i, token in enumerate(TARGET_VOCAB)}
FEED_A, FEED_B, CATALYST, HEAT, HOLD, SAMPLE, COOL, DISCHARGE = (_ID[op] for op in OPERATIONS)

MAX_HOLDS = 3
# Charging templates per product with their probabilities.
_CHARGING = {
    "產品P": (((FEED_A, FEED_B, CATALYST), 1.0),),
    "產品Q": (((FEED_A, CATALYST), 0.7), ((FEED_B, FEED_A, CATALYST), 0.3)),
    "產品R": (((FEED_B, CATALYST), 1.0),),
}
# P(hold | just heated) and P(sample passes) per grade.
_P_HOLD_AFTER_HEAT = {"標準級": 0.6, "高純級": 0.7}
_P_SAMPLE_PASSES = {"標準級": 0.8, "高純級": 0.6}
# What follows a hold (while holds remain): sample, re-heat or top-up feed.
_AFTER_HOLD = {SAMPLE: 0.4, HEAT: 0.3, FEED_B: 0.3}
# Longest possible recipe (operations, without <end>), e.g. 3 charging ops,
# 升溫, then 取樣 保溫 升溫 three times over, 取樣 降溫 卸料. A test checks it
# against the exhaustive enumeration.
MAX_RECIPE_LENGTH = 15


def _check_order(order) -> tuple[str, str]:
    try:
        product, grade = order
    except (TypeError, ValueError):
        raise ValueError(f"order must be a (product, grade) pair, got {order!r}") from None
    if product not in PRODUCTS:
        raise ValueError(f"unknown product {product!r}; expected one of {PRODUCTS}")
    if grade not in GRADES:
        raise ValueError(f"unknown grade {grade!r}; expected one of {GRADES}")
    return product, grade


def _check_ids(prefix: Sequence[int]) -> list[int]:
    ids = [int(t) for t in prefix]
    for t in ids:
        if not FEED_A <= t <= DISCHARGE:
            raise ValueError(
                f"a recipe holds operation ids {FEED_A}..{DISCHARGE} (no <pad>/<start>/<end>), got {t}"
            )
    return ids


def next_operation_probs(order, prefix: Sequence[int]) -> np.ndarray:
    """Probability of each next token given the order and the recipe so far.

    Parameters
    ----------
    order:
        ``(product, grade)``, e.g. ``("產品P", "標準級")``.
    prefix:
        Operation ids emitted after ``<start>`` (no special tokens).

    Returns
    -------
    np.ndarray, shape (len(TARGET_VOCAB),)
        Sums to 1. A prefix the grammar does not allow gets all its mass on
        ``<end>`` (the automaton stops), so the distribution is always proper.

    Raises
    ------
    ValueError
        For an unknown order or a prefix with ids outside the operations.
    """
    product, grade = _check_order(order)
    ids = _check_ids(prefix)
    probs = np.zeros(len(TARGET_VOCAB))

    # Charging phase: the templates still consistent with the prefix.
    templates = _CHARGING[product]
    consistent = [(tpl, p) for tpl, p in templates if tuple(ids[: len(tpl)]) == tpl[: len(ids)]]
    if not consistent:
        probs[END] = 1.0
        return probs
    still_charging = [(tpl, p) for tpl, p in consistent if len(ids) < len(tpl)]
    if still_charging:
        total = sum(p for _, p in still_charging)
        for tpl, p in still_charging:
            probs[tpl[len(ids)]] += p / total
        return probs
    (template, _), = consistent
    rest = ids[len(template):]
    if not rest:
        probs[HEAT] = 1.0
        return probs
    if rest[0] != HEAT:
        probs[END] = 1.0
        return probs

    # Reaction phase: replay the walk, checking each move was allowed.
    holds = 0
    for i, op in enumerate(rest):
        allowed = _reaction_moves(grade, op, holds)
        if op == HOLD:
            holds += 1
        if i + 1 < len(rest) and rest[i + 1] not in allowed:
            probs[END] = 1.0
            return probs
    for token, p in _reaction_moves(grade, rest[-1], holds).items():
        probs[token] += p
    return probs


def _reaction_moves(grade: str, last: int, holds: int) -> dict[int, float]:
    """Next-token probabilities after operation ``last`` with ``holds`` holds done (counting ``last``)."""
    can_hold = holds < MAX_HOLDS
    if last == HEAT:
        p_hold = _P_HOLD_AFTER_HEAT[grade] if can_hold else 0.0
        return {HOLD: p_hold, SAMPLE: 1.0 - p_hold} if p_hold else {SAMPLE: 1.0}
    if last == HOLD:
        return dict(_AFTER_HOLD) if can_hold else {SAMPLE: 1.0}
    if last == FEED_B:
        return {HOLD: 1.0} if can_hold else {SAMPLE: 1.0}
    if last == SAMPLE:
        p_pass = _P_SAMPLE_PASSES[grade] if can_hold else 1.0
        return {COOL: p_pass, HOLD: 1.0 - p_pass} if p_pass < 1.0 else {COOL: 1.0}
    if last == COOL:
        return {DISCHARGE: 1.0}
    if last == DISCHARGE:
        return {END: 1.0}
    return {END: 1.0}  # charging ops cannot appear in the reaction phase


def recipe_log_prob(order, recipe: Sequence[int]) -> float:
    """Exact natural-log probability of ``recipe`` followed by ``<end>``.

    ``recipe`` holds operation ids (no ``<start>``, ``<end>`` or padding).
    Returns ``-inf`` for a recipe the grammar does not allow.
    """
    ids = _check_ids(recipe)
    total = 0.0
    for t, token in enumerate(ids + [END]):
        p = next_operation_probs(order, ids[:t])[token]
        if p <= 0.0:
            return float("-inf")
        total += float(np.log(p))
    return total


def enumerate_recipes(order) -> list[tuple[tuple[int, ...], float]]:
    """Every recipe the order allows, with its probability, most probable first.

    Exhaustive depth-first search over the automaton; the probabilities sum
    to 1 (a test checks it).
    """
    _check_order(order)
    found: list[tuple[tuple[int, ...], float]] = []

    def visit(prefix: list[int], prob: float) -> None:
        probs = next_operation_probs(order, prefix)
        for token in np.flatnonzero(probs):
            if token == END:
                found.append((tuple(prefix), prob * probs[END]))
            else:
                visit(prefix + [int(token)], prob * probs[token])

    visit([], 1.0)
    found.sort(key=lambda item: -item[1])
    return found


@dataclasses.dataclass(frozen=True)
class RecipeData:
    """Sampled orders and recipes, ready for a token Seq2Seq.

    Attributes
    ----------
    source: (n, 2) int — order tokens (product, grade) as :data:`SOURCE_VOCAB` ids.
    decoder_input: (n, L) int — ``<start>`` + recipe, padded with ``<pad>``.
    target: (n, L) int — recipe + ``<end>``, padded with ``<pad>``;
        ``L = MAX_RECIPE_LENGTH + 1``.
    lengths: (n,) int — operations per recipe (without ``<end>``).
    orders: list of (product, grade).
    seed: the seed used.
    """

    source: np.ndarray
    decoder_input: np.ndarray
    target: np.ndarray
    lengths: np.ndarray
    orders: list
    seed: int


def encode_order(order) -> np.ndarray:
    """(2,) source ids of an order."""
    product, grade = _check_order(order)
    return np.array([SOURCE_VOCAB.index(product), SOURCE_VOCAB.index(grade)])


def encode_recipe(operations: Sequence[str]) -> list[int]:
    """Operation names → ids. Raises ``ValueError`` for an unknown operation."""
    ids = []
    for op in operations:
        if op not in OPERATIONS:
            raise ValueError(f"unknown operation {op!r}; expected one of {OPERATIONS}")
        ids.append(_ID[op])
    return ids


def decode_recipe(ids: Sequence[int], *, stop_at_end: bool = True) -> list[str]:
    """Token ids → names; ``<start>`` and ``<pad>`` are dropped, decoding stops at ``<end>``."""
    names = []
    for t in ids:
        t = int(t)
        if not 0 <= t < len(TARGET_VOCAB):
            raise ValueError(f"token id {t} is outside 0..{len(TARGET_VOCAB) - 1}")
        if t == END and stop_at_end:
            break
        if t in (PAD, START):
            continue
        names.append(TARGET_VOCAB[t])
    return names


def sample_recipes(n: int, seed: int = 0, orders=None) -> RecipeData:
    """Draw ``n`` (order, recipe) pairs from the exact model.

    Orders are drawn uniformly from :data:`ORDERS` unless ``orders`` (a list of
    ``n`` orders, or a single order) is given. Deterministic for a given seed.

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer or an order is unknown.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    rng = np.random.default_rng(seed)
    if orders is None:
        picks = rng.integers(len(ORDERS), size=n)
        orders = [ORDERS[i] for i in picks]
    elif isinstance(orders, tuple) and len(orders) == 2 and isinstance(orders[0], str):
        orders = [orders] * n
    else:
        orders = list(orders)
        if len(orders) != n:
            raise ValueError(f"got {len(orders)} orders for n={n}")
    width = MAX_RECIPE_LENGTH + 1
    source = np.zeros((n, 2), dtype=np.int32)
    decoder_input = np.full((n, width), PAD, dtype=np.int32)
    target = np.full((n, width), PAD, dtype=np.int32)
    lengths = np.zeros(n, dtype=np.int32)
    for row, order in enumerate(orders):
        source[row] = encode_order(order)
        recipe: list[int] = []
        while True:
            probs = next_operation_probs(order, recipe)
            token = int(rng.choice(len(probs), p=probs))
            if token == END:
                break
            recipe.append(token)
        lengths[row] = len(recipe)
        decoder_input[row, 0] = START
        decoder_input[row, 1 : len(recipe) + 1] = recipe
        target[row, : len(recipe)] = recipe
        target[row, len(recipe)] = END
    return RecipeData(source, decoder_input, target, lengths, orders, int(seed))


def exact_step_fn(order):
    """The exact model as a decoding step function.

    Returns ``(step_fn, initial_state)`` for :mod:`labsupport.decoding`:
    ``step_fn(tokens, state) -> (log_probs, new_state)`` with ``tokens`` (n,)
    int, ``state`` the (n, t) array of operations so far, ``log_probs`` (n,
    vocab) with ``-inf`` where the grammar gives probability 0, and
    ``initial_state`` of shape (1, 0). ``<start>``, ``<end>`` and ``<pad>``
    fed back are not appended to the recipe.
    """
    _check_order(order)

    def step_fn(tokens, state):
        tokens = np.asarray(tokens).reshape(-1)
        state = np.asarray(state, dtype=np.int64).reshape(len(tokens), -1)
        log_probs = np.empty((len(tokens), len(TARGET_VOCAB)))
        rows = []
        for i, token in enumerate(tokens):
            prefix = [int(t) for t in state[i] if t >= FEED_A]
            if int(token) >= FEED_A:
                prefix.append(int(token))
            with np.errstate(divide="ignore"):
                log_probs[i] = np.log(next_operation_probs(order, prefix))
            rows.append(prefix)
        # Pad the prefixes back into one array; PAD (0) marks unused slots.
        width = max((len(r) for r in rows), default=0)
        new_state = np.zeros((len(tokens), width), dtype=np.int64)
        for i, r in enumerate(rows):
            new_state[i, : len(r)] = r
        return log_probs, new_state

    return step_fn, np.zeros((1, 0), dtype=np.int64)

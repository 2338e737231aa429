"""Explorer: what the softmax temperature does to attention weights (chapter 2).

Attention turns scores into weights with a softmax; dividing the scores by a
temperature T before the softmax sharpens the weights (T < 1, towards the
single best key) or flattens them (T > 1, towards a plain average). The
scaled dot product's 1/sqrt(d_k) is such a division with T = sqrt(d_k).

- ``compute_temperature_attention(scores, values, temperature)``: weights,
  their entropy and the context vector at one temperature (pure NumPy);
- ``static_temperature_figure(...)``: small multiples over the slider's range,
  drawn when the book is built;
- ``live_temperature_explorer(...)``: the ipywidgets slider (log scale,
  0.1 to 10, 21 positions) that redraws the same panel; on the book's page
  the panels are precomputed and switched in the browser.

The chapter's two examples are module constants: ``FIVE_SCORES`` with
``FIVE_VALUES`` (section 2.2) and ``EXAMPLE_Q``, ``EXAMPLE_K``, ``EXAMPLE_V``
(section 2.3, whose scores are Q Kᵀ / sqrt(3)).
"""
from __future__ import annotations

import numpy as np

from labsupport.attention import check_temperature, softmax

__all__ = [
    "FIVE_SCORES",
    "FIVE_VALUES",
    "EXAMPLE_Q",
    "EXAMPLE_K",
    "EXAMPLE_V",
    "example_scores",
    "TEMPERATURE_RANGE",
    "SLIDER_TEMPERATURES",
    "compute_temperature_attention",
    "temperature_table",
    "static_temperature_figure",
    "live_temperature_explorer",
]

# Section 2.2: one query, five keys with these scores, and a 2-D value per key.
FIVE_SCORES = np.array([0.8, 0.3, 0.9, 0.2, 0.4])
FIVE_VALUES = np.array([[2.0, 0.5], [0.5, 1.5], [3.0, 1.0], [1.0, 3.0], [1.5, 2.0]])
# Section 2.3: two queries, three keys, d_k = 3, d_v = 2.
EXAMPLE_Q = np.array([[1.0, 0.5, 0.2], [0.3, 0.8, 0.6]])
EXAMPLE_K = np.array([[0.9, 0.4, 0.1], [0.2, 0.6, 0.3], [1.1, 0.5, 0.2]])
EXAMPLE_V = np.array([[2.0, 1.5], [1.0, 2.0], [3.0, 1.0]])

TEMPERATURE_RANGE = (0.1, 10.0)
# The explorer's slider positions: 10^-1, 10^-0.9, ..., 10^1 (log scale).
SLIDER_TEMPERATURES = tuple(float(f"{t:.3g}") for t in np.logspace(-1, 1, 21))


def example_scores() -> np.ndarray:
    """The 2.3 example's scaled scores Q Kᵀ / sqrt(d_k), shape (2, 3)."""
    return EXAMPLE_Q @ EXAMPLE_K.T / np.sqrt(EXAMPLE_K.shape[1])


def compute_temperature_attention(scores, values, temperature: float) -> dict:
    """Attention weights, their entropy and the context at one temperature.

    Parameters
    ----------
    scores:
        ``(n_keys,)`` for one query or ``(n_queries, n_keys)``.
    values:
        ``(n_keys, d_v)`` (or ``(n_keys,)`` for scalar values).
    temperature:
        Finite number > 0; the weights are ``softmax(scores / temperature)``.

    Returns
    -------
    dict with ``weights`` (same shape as ``scores``), ``entropy`` in nats
    (``()`` or ``(n_queries,)``; between 0 for one-hot and ``log(n_keys)``
    for uniform), ``max_entropy`` = log(n_keys), ``context`` = weights @
    values (``(d_v,)`` or ``(n_queries, d_v)``) and ``temperature``.

    Raises
    ------
    ValueError
        If ``temperature`` is not a finite number > 0, or the shapes do not
        fit (scores not 1-D/2-D, values with a different number of keys).
    """
    temperature = check_temperature(temperature)
    scores = np.asarray(scores, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if scores.ndim not in (1, 2) or scores.shape[-1] < 1:
        raise ValueError(f"scores must have shape (n_keys,) or (n_queries, n_keys), got {scores.shape}")
    if values.ndim not in (1, 2) or values.shape[0] != scores.shape[-1]:
        raise ValueError(
            f"values must have shape (n_keys, d_v) with n_keys = {scores.shape[-1]} like the scores, "
            f"got {values.shape}"
        )
    weights = softmax(scores, temperature=temperature, axis=-1)
    # 0 * log 0 = 0: a weight that underflowed to zero adds no entropy
    safe_log = np.log(np.where(weights > 0, weights, 1.0))
    entropy = -np.sum(weights * safe_log, axis=-1)
    return {
        "weights": weights,
        "entropy": entropy,
        "max_entropy": float(np.log(scores.shape[-1])),
        "context": weights @ values,
        "temperature": temperature,
    }


def temperature_table(scores, values, temperatures):
    """One row per (temperature, query): weights, entropy and context, as a DataFrame."""
    import pandas as pd

    rows = []
    for temperature in temperatures:
        result = compute_temperature_attention(scores, values, temperature)
        weights = np.atleast_2d(result["weights"])
        context = np.atleast_2d(result["context"]) if np.ndim(values) == 2 else result["context"].reshape(-1, 1)
        entropy = np.atleast_1d(result["entropy"])
        for query in range(weights.shape[0]):
            row = {"T": result["temperature"]}
            if weights.shape[0] > 1:
                row["query"] = f"q{query + 1}"
            row.update({f"α{key + 1}": weights[query, key] for key in range(weights.shape[1])})
            row["熵 H (nats)"] = entropy[query]
            row.update({f"c{dim + 1}": context[query, dim] for dim in range(context.shape[1])})
            rows.append(row)
    return pd.DataFrame(rows)


def _labels(scores: np.ndarray, key_labels, query_labels):
    """(n_keys, n_queries, key labels, query labels) for (n_keys,) or (n_queries, n_keys) scores;
    labels default to k1, k2, ... and q1, q2, ..."""
    n_keys = scores.shape[-1]
    n_queries = 1 if scores.ndim == 1 else scores.shape[0]
    key_labels = list(key_labels) if key_labels is not None else [f"k{i + 1}" for i in range(n_keys)]
    query_labels = list(query_labels) if query_labels is not None else [f"q{i + 1}" for i in range(n_queries)]
    return n_keys, n_queries, key_labels, query_labels


def _draw_panel(ax, result, key_labels, query_labels, legend: bool = False):
    """Bars of the weights of one temperature (one colour per query), labelled axes, the
    uniform level, and T, H and c in the title; a legend of the queries if ``legend``."""
    weights = np.atleast_2d(result["weights"])
    n_queries, n_keys = weights.shape
    width = 0.8 / n_queries
    positions = np.arange(n_keys)
    for query in range(n_queries):
        ax.bar(positions + (query - (n_queries - 1) / 2) * width, weights[query], width=width,
               label=query_labels[query] if n_queries > 1 else None)
    ax.axhline(1.0 / n_keys, color="gray", lw=0.8, ls="--")
    ax.set_xticks(positions, key_labels)
    ax.set_ylim(0, 1.05)
    entropy = np.atleast_1d(result["entropy"])
    context = np.atleast_2d(result["context"])
    lines = [f"T = {result['temperature']:g}"]
    for query in range(n_queries):
        prefix = f"{query_labels[query]}: " if n_queries > 1 else ""
        lines.append(f"{prefix}H = {entropy[query]:.2f}, c = ({', '.join(f'{c:.2f}' for c in context[query])})")
    ax.set_title("\n".join(lines), fontsize="small")
    ax.set_xlabel("鍵 (key)")
    ax.set_ylabel("注意力權重 α")
    if legend and n_queries > 1:
        ax.legend(fontsize="small", loc="upper left")


def static_temperature_figure(
    scores,
    values,
    *,
    temperatures=(0.1, 0.3, 1.0, 3.0, 10.0),
    key_labels=None,
    query_labels=None,
    title: str = "溫度如何改變注意力權重",
):
    """Small multiples (three per row): the weights at each of ``temperatures``, then entropy vs T.

    One bar panel per temperature (grouped bars for several queries, the
    uniform share 1/n_keys dashed, entropy H and context c in the panel
    title), and a last panel with the entropy over the whole range 0.1-10
    (log axis) against its maximum log(n_keys). Returns the figure.
    """
    import matplotlib.pyplot as plt

    from labsupport.plots import cjk_font_name

    cjk_font_name()
    scores = np.asarray(scores, dtype=np.float64)
    n_keys, n_queries, key_labels, query_labels = _labels(scores, key_labels, query_labels)
    # three panels per row: at the book's text width (about 790 px) the small
    # text stays >= 9 px on screen (one row of six made it 5 px)
    n_panels = len(temperatures) + 1
    n_cols = min(3, n_panels)
    n_rows = -(-n_panels // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.2 * n_cols, 3.3 * n_rows), constrained_layout=True,
                             squeeze=False)
    for ax in axes.flat[n_panels:]:
        ax.remove()
    axes = list(axes.flat[:n_panels])
    for panel, (ax, temperature) in enumerate(zip(axes[:-1], temperatures)):
        _draw_panel(ax, compute_temperature_attention(scores, values, temperature), key_labels, query_labels,
                    legend=panel == 0)
    grid = np.geomspace(*TEMPERATURE_RANGE, 81)
    entropy = np.array([np.atleast_1d(compute_temperature_attention(scores, values, t)["entropy"]) for t in grid])
    ax = axes[-1]
    for query in range(n_queries):
        ax.plot(grid, entropy[:, query], label=query_labels[query] if n_queries > 1 else "熵 H")
    ax.axhline(np.log(n_keys), color="gray", ls="--", lw=0.8, label=f"上限 ln {n_keys}")
    ax.set_xscale("log")
    ax.set_xlabel("溫度 T（無因次）")
    ax.set_ylabel("熵 H (nats)")
    ax.set_title("熵隨溫度上升", fontsize="small")
    ax.legend(fontsize="small")
    fig.suptitle(title)
    return fig


def live_temperature_explorer(scores, values, *, key_labels=None, query_labels=None, temperature: float = 1.0,
                              temperatures=None):
    """The explorer: a slider over ``temperatures`` (default :data:`SLIDER_TEMPERATURES`,
    21 log-spaced values from 0.1 to 10) above the weights panel at the chosen T.

    Returns the widget (:func:`labsupport.widgets.frames.frame_explorer`): in a
    kernel it redraws the panel when the slider moves; in the book every
    panel is drawn at build time and the slider switches them in the browser.
    """
    from labsupport.plots import cjk_font_name, figure_img_html
    from labsupport.widgets.frames import frame_explorer, selection_slider

    import matplotlib.pyplot as plt

    cjk_font_name()
    scores = np.asarray(scores, dtype=np.float64)
    compute_temperature_attention(scores, values, temperature)  # validate once, before any widget exists
    _, _, key_labels, query_labels = _labels(scores, key_labels, query_labels)
    temperatures = SLIDER_TEMPERATURES if temperatures is None else tuple(float(t) for t in temperatures)
    for t in temperatures:
        check_temperature(t)

    def render(temperature):
        fig, ax = plt.subplots(figsize=(5.6, 3.4), constrained_layout=True)
        _draw_panel(ax, compute_temperature_attention(scores, values, temperature), key_labels, query_labels,
                    legend=True)
        fig.suptitle(f"溫度 T = {temperature:.3g} 時的注意力權重", fontsize="medium")
        return figure_img_html(fig)

    slider = selection_slider(temperatures, value=temperature, description="溫度 T",
                              labels=[f"{t:.3g}" for t in temperatures])
    return frame_explorer(slider, render)

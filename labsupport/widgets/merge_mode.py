"""Explorer: what ``Bidirectional``'s ``merge_mode`` does to the output, the next layer and accuracy (chapter 1).

A bidirectional RNN has two states per step, forward →h_t and backward ←h_t
(``units`` numbers each). ``merge_mode`` says how they become one output:
"concat" [→h_t; ←h_t] (2·units wide), "sum" →h_t + ←h_t, "mul" →h_t ⊙ ←h_t,
"ave" (→h_t + ←h_t)/2 (units wide). The width decides the size of whatever
layer comes next.

- :func:`merge_directions` the four modes (and a weighted average) in NumPy;
- :func:`compute_merge_mode` output shape of the bidirectional layer and the
  parameter count of the next layer, taken from Keras and stated as a formula;
- :func:`train_merge_mode_models` one classifier per mode, trained once, whose
  results the static table/figure and the live explorer show;
- :func:`merge_mode_table`, :func:`static_merge_mode_figure` all four modes at
  once, computed when the book is built;
- :func:`live_merge_mode_explorer` the ipywidgets toggle (needs a kernel); it
  only looks results up, it never retrains.
"""
from __future__ import annotations

import numbers

import numpy as np

from labsupport.checks import check_int

__all__ = [
    "MERGE_MODES",
    "NEXT_LAYERS",
    "merge_directions",
    "compute_merge_mode",
    "train_merge_mode_models",
    "merge_mode_table",
    "static_merge_mode_figure",
    "live_merge_mode_explorer",
]

MERGE_MODES = ("concat", "sum", "mul", "ave")
NEXT_LAYERS = ("dense", "lstm", "gru")
_CELLS = ("simple", "lstm", "gru")


def _check_mode(merge_mode, allowed=MERGE_MODES) -> str:
    if merge_mode not in allowed:
        raise ValueError(f"merge_mode must be one of {allowed}, got {merge_mode!r}")
    return merge_mode


def merge_directions(forward, backward, merge_mode: str, alpha: float = 0.5) -> np.ndarray:
    """Combine forward and backward outputs of the same shape (..., units) as Keras does.

    ``merge_mode``: "concat" (last axis doubles), "sum", "mul", "ave", or
    "weighted" = alpha·forward + (1 − alpha)·backward with 0 <= alpha <= 1
    (what :class:`labsupport.layers.WeightedMerge` learns).

    Raises ``ValueError`` for an unknown mode, shapes that differ, or alpha
    outside [0, 1].
    """
    forward, backward = np.asarray(forward, dtype=np.float64), np.asarray(backward, dtype=np.float64)
    _check_mode(merge_mode, MERGE_MODES + ("weighted",))
    if forward.shape != backward.shape:
        raise ValueError(f"forward and backward must have the same shape, got {forward.shape} and {backward.shape}")
    if merge_mode == "concat":
        return np.concatenate([forward, backward], axis=-1)
    if merge_mode == "sum":
        return forward + backward
    if merge_mode == "mul":
        return forward * backward
    if merge_mode == "ave":
        return (forward + backward) / 2
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be a number in [0, 1], got {alpha!r}")
    return alpha * forward + (1.0 - alpha) * backward


def _next_layer_formula(next_layer: str, width: int, next_units: int) -> tuple[int, str]:
    """Parameter count of the next layer from its formula, and the formula written out."""
    n = next_units
    if next_layer == "dense":
        return width * n + n, f"{width}·{n} + {n}"
    if next_layer == "lstm":
        return 4 * (n * (width + n) + n), f"4·({n}·({width}+{n}) + {n})"
    return 3 * (n * (width + n) + 2 * n), f"3·({n}·({width}+{n}) + 2·{n})"


def compute_merge_mode(merge_mode: str, *, units: int = 16, n_features: int = 5, timesteps: int = 50,
                       cell: str = "lstm", return_sequences: bool = False, next_layer: str = "dense",
                       next_units: int = 3) -> dict:
    """Shapes and parameter counts for one merge mode, from a symbolic Keras model.

    The model is ``Input((timesteps, n_features))`` →
    ``Bidirectional(cell(units, return_sequences), merge_mode)`` → the next
    layer: ``Dense(next_units)`` (a classifier head) or, for stacking, an
    ``LSTM``/``GRU`` of ``next_units`` (which needs ``return_sequences=True``).
    Nothing is trained.

    Returns
    -------
    dict with ``merge_mode``; ``output_shape`` of the bidirectional layer,
    (None, width) or (None, timesteps, width); ``width`` (2·units for concat,
    else units); ``bidirectional_params`` (two RNNs); ``next_layer_params``
    (Keras' count); ``next_layer_formula`` (the same number as a formula,
    e.g. "32·3 + 3") and ``formula_params`` (its value).

    Raises
    ------
    ValueError
        For an unknown ``merge_mode``, ``cell`` or ``next_layer``, sizes < 1,
        or a recurrent next layer after ``return_sequences=False``.
    """
    import keras

    _check_mode(merge_mode)
    units, n_features = check_int("units", units), check_int("n_features", n_features)
    timesteps, next_units = check_int("timesteps", timesteps), check_int("next_units", next_units)
    if cell not in _CELLS:
        raise ValueError(f"cell must be one of {_CELLS}, got {cell!r}")
    if next_layer not in NEXT_LAYERS:
        raise ValueError(f"next_layer must be one of {NEXT_LAYERS}, got {next_layer!r}")
    if next_layer != "dense" and not return_sequences:
        raise ValueError("a recurrent next layer reads a sequence: use return_sequences=True to stack RNN layers")
    rnn_class = {"simple": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[cell]
    sequence = keras.Input(shape=(timesteps, n_features))                        # (batch, T, n_features)
    bidirectional = keras.layers.Bidirectional(rnn_class(units, return_sequences=return_sequences),
                                               merge_mode=merge_mode)
    merged = bidirectional(sequence)                                             # (batch, [T,] width)
    following = {"dense": keras.layers.Dense, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[next_layer](next_units)
    following(merged)
    width = int(merged.shape[-1])
    formula_params, formula = _next_layer_formula(next_layer, width, next_units)
    return {
        "merge_mode": merge_mode,
        "output_shape": tuple(merged.shape),
        "width": width,
        "bidirectional_params": int(bidirectional.count_params()),
        "next_layer": next_layer,
        "next_layer_params": int(following.count_params()),
        "next_layer_formula": formula,
        "formula_params": formula_params,
    }


def train_merge_mode_models(train_inputs, train_targets, test_inputs, test_targets, *, modes=MERGE_MODES,
                            cell: str = "lstm", units: int = 16, epochs: int = 20, batch_size: int = 64,
                            learning_rate: float = 5e-3, seed: int = 0, progress: bool = True) -> dict:
    """Train one bidirectional classifier per merge mode (same data, seed and settings) and score it.

    The classifier is :func:`labsupport.models.rnn_classifier` with one
    bidirectional ``cell`` layer of ``units`` and a softmax head over the
    classes in ``train_targets``; training as in
    :func:`labsupport.comparison.fit_and_score`.

    Returns ``{mode: result}`` where ``result`` is :func:`compute_merge_mode`'s
    dict (next layer = the head) plus ``accuracy``, ``train_seconds`` and
    ``params`` (whole model). This is the cache the explorer reads.

    Raises ``ValueError`` for an unknown mode or inputs that are not (n, T, features).
    """
    from labsupport import models
    from labsupport.comparison import fit_and_score

    modes = tuple(_check_mode(mode) for mode in modes)
    train_inputs = np.asarray(train_inputs, dtype=np.float32)
    if train_inputs.ndim != 3:
        raise ValueError(f"train_inputs must have shape (n, T, features), got {train_inputs.shape}")
    _, timesteps, n_features = train_inputs.shape
    n_classes = int(max(np.max(train_targets), np.max(test_targets))) + 1
    results = {}
    for mode in modes:
        model = models.rnn_classifier(n_features, n_classes, cell=cell, units=units, bidirectional=True,
                                      merge_mode=mode, seed=seed)
        scores = fit_and_score(model, train_inputs, train_targets, test_inputs, test_targets, epochs=epochs,
                               batch_size=batch_size, learning_rate=learning_rate, seed=seed)
        shapes = compute_merge_mode(mode, units=units, n_features=n_features, timesteps=timesteps, cell=cell,
                                    next_units=n_classes)
        results[mode] = {**shapes, **scores}
        if progress:
            print(f"merge_mode={mode!r:9s} width {shapes['width']:3d}: test accuracy {scores['accuracy']:.3f}, "
                  f"{scores['train_seconds']:.1f} s")
    return results


def merge_mode_table(results: dict):
    """The explorer's results for every mode as a DataFrame (rows: modes), for the static book."""
    import pandas as pd

    rows = {
        mode: {
            "輸出形狀": str(result["output_shape"]),
            "合併後寬度": result["width"],
            "下一層參數量": result["next_layer_params"],
            "公式": f"{result['next_layer_formula']} = {result['formula_params']}",
            "整個模型參數量": result.get("params"),
            "測試準確率": result.get("accuracy"),
        }
        for mode, result in results.items()
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "merge_mode"
    return table.dropna(axis=1, how="all")


def _draw_accuracy(ax, results: dict, highlight=None) -> None:
    modes = list(results)
    accuracy = [results[mode]["accuracy"] for mode in modes]
    colors = ["tab:orange" if mode == highlight else "tab:blue" for mode in modes]
    bars = ax.bar(modes, accuracy, color=colors)
    ax.bar_label(bars, labels=[f"{a:.3f}" for a in accuracy], fontsize="small")
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("merge_mode")
    ax.set_ylabel("測試準確率（比例）")


def static_merge_mode_figure(results: dict, title: str = "四種合併方式：輸出寬度、下一層參數量與準確率"):
    """Two panels over all modes: (a) merged width and next-layer parameters, (b) test accuracy. Returns the figure."""
    import matplotlib.pyplot as plt

    from labsupport.plots import cjk_font_name

    cjk_font_name()
    modes = list(results)
    fig, (ax_size, ax_accuracy) = plt.subplots(1, 2, figsize=(9.6, 3.8), constrained_layout=True)
    params = [results[mode]["next_layer_params"] for mode in modes]
    bars = ax_size.bar(modes, params, color="tab:gray")
    ax_size.bar_label(bars, labels=[f"寬 {results[m]['width']}\n{p} 個" for m, p in zip(modes, params)],
                      fontsize="small")
    ax_size.set_ylim(0, max(params) * 1.35)
    ax_size.set_xlabel("merge_mode")
    ax_size.set_ylabel("下一層參數量（個）")
    ax_size.set_title("(a) 合併後寬度決定下一層大小", fontsize="medium")
    if all("accuracy" in result for result in results.values()):
        _draw_accuracy(ax_accuracy, results)
        ax_accuracy.set_title("(b) 同樣設定下的測試準確率", fontsize="medium")
    else:
        ax_accuracy.remove()
    fig.suptitle(title)
    return fig


def live_merge_mode_explorer(results: dict, merge_mode: str = "concat"):
    """An ipywidgets toggle over the trained modes; shows shape, next-layer size and accuracy of the choice.

    Reads the precomputed ``results`` of :func:`train_merge_mode_models`
    (nothing is retrained on a click). Returns the widget
    (:func:`labsupport.widgets.frames.frame_explorer`): in a kernel each click
    draws its frame; in the book the four frames are drawn at build time and
    the buttons switch them in the browser.

    Raises ``ValueError`` if ``merge_mode`` is not one of the results.
    """
    import html

    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from labsupport.plots import cjk_font_name, figure_img_html
    from labsupport.widgets.frames import frame_explorer

    cjk_font_name()
    if merge_mode not in results:
        raise ValueError(f"merge_mode must be one of the trained modes {tuple(results)}, got {merge_mode!r}")

    def render(mode):
        result = results[mode]
        lines = [f"merge_mode = {mode!r}",
                 f"  雙向層輸出形狀 {result['output_shape']}（合併後寬度 {result['width']}）",
                 f"  下一層參數量 {result['next_layer_params']} = {result['next_layer_formula']}"]
        figure = ""
        if "accuracy" in result:
            lines.append(f"  整個模型 {result['params']:,} 個參數，測試準確率 {result['accuracy']:.3f}")
            fig, ax = plt.subplots(figsize=(5.6, 3.2), constrained_layout=True)
            _draw_accuracy(ax, results, highlight=mode)
            ax.set_title(f"目前選擇：{mode}（橘色）的測試準確率")
            figure = figure_img_html(fig)
        return f'<pre class="lab-frame-text">{html.escape(chr(10).join(lines))}</pre>{figure}'

    toggle = widgets.ToggleButtons(options=list(results), value=merge_mode, description="merge_mode")
    return frame_explorer(toggle, render)

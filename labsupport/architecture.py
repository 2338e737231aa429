"""Drawn architecture figures for chapter 3: the encoder–decoder, with and without attention.

``draw_encoder_decoder(ax, n_inputs=4, n_outputs=3, attention=False)`` draws
the unrolled model with matplotlib patches and arrows: input tokens, the
encoder RNN cells, the context vector (or, with attention, an attention block
that reads every encoder state at every decoder step), the decoder cells fed
with ``<start>`` and their own previous outputs, and the outputs. It returns
a dict with the centres of the drawn boxes, which the tests use.
"""
from __future__ import annotations

import numbers

__all__ = ["draw_encoder_decoder", "encoder_decoder_figure"]

_ENCODER_COLOR = "#cfe2f3"
_DECODER_COLOR = "#f9cb9c"
_CONTEXT_COLOR = "#d9ead3"
_ATTENTION_COLOR = "#fff2cc"


def _check_count(name: str, value, maximum: int = 8) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 1 <= value <= maximum:
        raise ValueError(f"{name} must be an integer between 1 and {maximum}, got {value!r}")
    return int(value)


def _box(ax, x, y, text, color, width=0.8, height=0.5, fontsize=10, family=None):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.03",
                                facecolor=color, edgecolor="black", lw=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, fontfamily=family)
    return (x, y)


def _arrow(ax, start, end, style="-|>", color="black", ls="-", lw=1.0, shrink=14, connection="arc3"):
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=10, color=color, ls=ls, lw=lw,
                                 shrinkA=shrink, shrinkB=shrink, connectionstyle=connection))


def draw_encoder_decoder(ax, n_inputs: int = 4, n_outputs: int = 3, attention: bool = False, title=None) -> dict:
    """Draw an unrolled encoder–decoder on ``ax``.

    Import :mod:`labsupport.plots` before making the figure (as the chapters
    do), so that its Chinese labels get the CJK font.

    Parameters
    ----------
    ax:
        A matplotlib Axes (its axis lines are switched off).
    n_inputs, n_outputs:
        Encoder and decoder steps to draw (1–8 each).
    attention:
        False: the last encoder state is the context vector c that starts the
        decoder. True: an attention block at every decoder step reads all
        encoder states h_1..h_n and gives that step its own context c_t.
    title:
        Axes title (default: a Chinese title that says which variant).

    Returns
    -------
    dict with lists of (x, y) box centres: ``"inputs"``, ``"encoder"``,
    ``"decoder"``, ``"outputs"``, ``"decoder_inputs"`` and ``"context"``
    (one entry without attention, one per decoder step with it).

    Raises
    ------
    ValueError
        If ``n_inputs`` or ``n_outputs`` is not an integer in 1..8.
    """
    from labsupport.plots import cjk_font_name

    family = None  # rcParams (set by labsupport.plots) choose the CJK font
    cjk_font_name()
    n_inputs = _check_count("n_inputs", n_inputs)
    n_outputs = _check_count("n_outputs", n_outputs)
    gap = 1.3
    decoder_x0 = n_inputs * gap + (0.9 if attention else 1.6)
    y_in, y_rnn = 0.0, 1.5
    y_att = 2.75                      # attention row (between decoder cells and outputs)
    y_out = 4.0 if attention else 3.0
    centres = {"inputs": [], "encoder": [], "decoder": [], "outputs": [], "decoder_inputs": [], "context": []}

    for i in range(n_inputs):
        x = i * gap
        centres["inputs"].append(_box(ax, x, y_in, f"$x_{{{i + 1}}}$", "white"))
        centres["encoder"].append(_box(ax, x, y_rnn, f"$h_{{{i + 1}}}$", _ENCODER_COLOR))
        _arrow(ax, (x, y_in), (x, y_rnn))
        if i:
            _arrow(ax, ((i - 1) * gap, y_rnn), (x, y_rnn))

    for j in range(n_outputs):
        x = decoder_x0 + j * gap
        previous = "<start>" if j == 0 else f"$y_{{{j}}}$"
        centres["decoder_inputs"].append(_box(ax, x, y_in, previous, "white", fontsize=9))
        centres["decoder"].append(_box(ax, x, y_rnn, f"$s_{{{j + 1}}}$", _DECODER_COLOR))
        centres["outputs"].append(_box(ax, x, y_out, f"$y_{{{j + 1}}}$", "white"))
        _arrow(ax, (x, y_in), (x, y_rnn))
        if not attention:
            _arrow(ax, (x, y_rnn), (x, y_out))
        if j:
            _arrow(ax, (x - gap, y_rnn), (x, y_rnn))
        if j + 1 < n_outputs:
            # this step's output is fed back as the next step's input
            _arrow(ax, (x + 0.4, y_out - 0.25), (x + gap - 0.4, y_in + 0.25), ls="--", color="tab:gray",
                   shrink=2)

    last_h = centres["encoder"][-1]
    if not attention:
        context_x = (last_h[0] + centres["decoder"][0][0]) / 2
        centres["context"].append(_box(ax, context_x, y_out, "$c$", _CONTEXT_COLOR, width=0.6))
        _arrow(ax, last_h, (context_x, y_out))
        _arrow(ax, (context_x, y_out), centres["decoder"][0])
    else:
        _arrow(ax, last_h, centres["decoder"][0])  # the final encoder state still starts the decoder
        for j, (x, _) in enumerate(centres["decoder"]):
            # Chinese and mathtext are drawn as separate texts: mathtext has no CJK glyphs.
            centres["context"].append(_box(ax, x, y_att + 0.12, "注意力", _ATTENTION_COLOR, width=0.9, height=0.7,
                                           fontsize=8, family=family))
            ax.text(x, y_att - 0.17, f"$c_{{{j + 1}}}$", ha="center", va="center", fontsize=9)
            _arrow(ax, (x, y_rnn), (x, y_att), shrink=16)
            _arrow(ax, (x, y_att), (x, y_out), shrink=18)
        # every decoder step's attention reads every encoder state
        for h in centres["encoder"]:
            for context in centres["context"]:
                _arrow(ax, h, context, style="-", color="tab:orange", lw=0.5, connection="arc3,rad=-0.12",
                       shrink=12)
    ax.text(((n_inputs - 1) * gap) / 2, -0.75, "編碼器 (encoder)", ha="center", fontsize=10, color="tab:blue",
            fontfamily=family)
    ax.text(decoder_x0 + (n_outputs - 1) * gap / 2, -0.75, "解碼器 (decoder)", ha="center", fontsize=10,
            color="tab:red", fontfamily=family)
    right = decoder_x0 + (n_outputs - 1) * gap + 0.8
    ax.set_xlim(-0.8, right)
    ax.set_ylim(-1.1, y_out + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or ("Seq2Seq + 注意力：每個解碼步有自己的上下文 c_t" if attention
                           else "編碼器-解碼器：整段輸入壓成一個上下文向量 c"), fontfamily=family)
    return centres


def encoder_decoder_figure(n_inputs: int = 4, n_outputs: int = 3):
    """Both variants side by side (fixed context | attention). Returns the figure."""
    import matplotlib.pyplot as plt

    from labsupport.plots import cjk_font_name

    cjk_font_name()
    fig, (ax_plain, ax_attention) = plt.subplots(1, 2, figsize=(13, 4.2), constrained_layout=True)
    draw_encoder_decoder(ax_plain, n_inputs, n_outputs, attention=False, title="(a) 固定的上下文向量 c")
    draw_encoder_decoder(ax_attention, n_inputs, n_outputs, attention=True,
                         title="(b) 加上注意力：每一步有自己的上下文 c_t")
    fig.suptitle("Seq2Seq 架構（展開在時間軸上；虛線：上一步的輸出餵回下一步）")
    return fig

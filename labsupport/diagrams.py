"""Drawn figures: reusable primitives for architecture diagrams and flowcharts, and the book's drawn figures.

Primitives, in data coordinates of any matplotlib Axes (one unit is about one
box width):

- :func:`new_diagram` a figure with one Axes, axis lines off, equal aspect, a title;
- :func:`box` a (rounded) box with a label, returns its centre;
- :func:`decision` a diamond for a yes/no question in a flowchart;
- :func:`arrow` an arrow between two centres (optionally curved, dashed, labelled);
- :func:`time_step_row` one box per time step in a row, returns the centres;
- :func:`connect_row` arrows between consecutive boxes of a row, left to right
  or right to left (a forward or a backward recurrence);
- :func:`finish` fits the Axes limits to what was drawn.

Figures built from them:

- :func:`bidirectional_architecture` the unrolled bidirectional RNN
  (inputs, forward row, backward row, merge, outputs);
- :func:`decision_flowchart` when to use a unidirectional or a bidirectional RNN;
- :func:`draw_encoder_decoder` the unrolled encoder–decoder (Seq2Seq) on a
  given Axes, with a fixed context vector or with attention, and
  :func:`encoder_decoder_figure` both variants side by side (chapters 2 and 3).

Chinese labels need the CJK font that :mod:`labsupport.plots` selects; every
function here selects it. Mathtext (``$...$``) has no CJK glyphs, so a label
is either Chinese text or mathtext, never both in one string.
"""
from __future__ import annotations

import numbers

__all__ = [
    "FORWARD_COLOR",
    "BACKWARD_COLOR",
    "MERGE_COLOR",
    "MERGE_LABELS",
    "new_diagram",
    "box",
    "decision",
    "arrow",
    "time_step_row",
    "connect_row",
    "finish",
    "bidirectional_architecture",
    "decision_flowchart",
    "draw_encoder_decoder",
    "encoder_decoder_figure",
]

FORWARD_COLOR = "#cfe2f3"
BACKWARD_COLOR = "#f9cb9c"
MERGE_COLOR = "#d9ead3"
DECISION_COLOR = "#fff2cc"
# the encoder-decoder figures reuse the same palette
_ENCODER_COLOR, _DECODER_COLOR, _CONTEXT_COLOR, _ATTENTION_COLOR = (FORWARD_COLOR, BACKWARD_COLOR, MERGE_COLOR,
                                                                    DECISION_COLOR)

#: How each Keras merge mode combines the two directions at step t (mathtext).
MERGE_LABELS = {
    "concat": r"$[\overrightarrow{h}_{%s};\overleftarrow{h}_{%s}]$",
    "sum": r"$\overrightarrow{h}_{%s}+\overleftarrow{h}_{%s}$",
    "mul": r"$\overrightarrow{h}_{%s}\odot\overleftarrow{h}_{%s}$",
    "ave": r"$(\overrightarrow{h}_{%s}+\overleftarrow{h}_{%s})/2$",
}

_MAX_STEPS = 8


def _check_text(name: str, text) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{name} must be a non-empty string, got {text!r}")
    return text


def _check_size(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _point(name: str, value) -> tuple[float, float]:
    try:
        x, y = value
        return float(x), float(y)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an (x, y) pair of numbers, got {value!r}") from None


def _select_cjk_font() -> None:
    from labsupport.plots import cjk_font_name

    cjk_font_name()


def _prepare_axes(ax, title: str) -> None:
    _check_text("title", title)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title)


def _check_count(name: str, value, minimum: int) -> int:
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or not minimum <= value <= _MAX_STEPS):
        raise ValueError(f"{name} must be an integer between {minimum} and {_MAX_STEPS}, got {value!r}")
    return int(value)


def new_diagram(width: float, height: float, title: str):
    """A figure of ``width`` x ``height`` inches with one Axes for drawing.

    The Axes has no axis lines, equal aspect and the (Chinese) ``title``.
    Returns ``(fig, ax)``. Raises ``ValueError`` for a non-positive size or
    an empty title.
    """
    import matplotlib.pyplot as plt

    _select_cjk_font()
    width, height = _check_size("width", width), _check_size("height", height)
    _check_text("title", title)
    fig, ax = plt.subplots(figsize=(width, height), constrained_layout=True)
    _prepare_axes(ax, title)
    return fig, ax


def box(ax, centre, text: str, *, width: float = 0.9, height: float = 0.55, color: str = "white",
        fontsize: float = 10, rounded: bool = True, text_color: str = "black") -> tuple[float, float]:
    """Draw a box centred at ``centre`` = (x, y) with ``text`` in it; returns the centre.

    Raises ``ValueError`` for an empty text, a non-positive size or a bad centre.
    """
    from matplotlib.patches import FancyBboxPatch

    x, y = _point("centre", centre)
    _check_text("text", text)
    width, height = _check_size("width", width), _check_size("height", height)
    style = "round,pad=0.03" if rounded else "square,pad=0.0"
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle=style,
                                facecolor=color, edgecolor="black", lw=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=text_color)
    ax.update_datalim([(x - width / 2, y - height / 2), (x + width / 2, y + height / 2)])
    return (x, y)


def decision(ax, centre, text: str, *, width: float = 3.2, height: float = 1.2, color: str = DECISION_COLOR,
             fontsize: float = 10) -> tuple[float, float]:
    """Draw a flowchart decision (a diamond) centred at ``centre`` with the question ``text``.

    Returns the centre. The diamond's corners are at centre ± width/2 and
    centre ± height/2. Raises ``ValueError`` as :func:`box` does.
    """
    from matplotlib.patches import Polygon

    x, y = _point("centre", centre)
    _check_text("text", text)
    width, height = _check_size("width", width), _check_size("height", height)
    corners = [(x - width / 2, y), (x, y + height / 2), (x + width / 2, y), (x, y - height / 2)]
    ax.add_patch(Polygon(corners, closed=True, facecolor=color, edgecolor="black", lw=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)
    ax.update_datalim(corners)
    return (x, y)


def arrow(ax, start, end, *, label: str | None = None, color: str = "black", linestyle: str = "-",
          linewidth: float = 1.0, curve: float = 0.0, gap: float = 12, head: bool = True, fontsize: float = 9,
          label_offset=(0.0, 0.0)):
    """Draw an arrow from ``start`` to ``end`` (x, y points, usually box centres).

    ``gap`` is how far (in points) the arrow stops short of each end, so that
    it starts and ends outside boxes drawn there; ``curve`` bends it (the
    ``rad`` of matplotlib's arc connection; 0 is straight); ``label`` is
    written at the arrow's middle shifted by ``label_offset`` (x, y). Returns the patch.
    """
    from matplotlib.patches import FancyArrowPatch

    start, end = _point("start", start), _point("end", end)
    patch = FancyArrowPatch(start, end, arrowstyle="-|>" if head else "-", mutation_scale=11, color=color,
                            ls=linestyle, lw=linewidth, shrinkA=gap, shrinkB=gap,
                            connectionstyle=f"arc3,rad={float(curve)}")
    ax.add_patch(patch)
    if label is not None:
        _check_text("label", label)
        shift_x, shift_y = _point("label_offset", label_offset)
        middle_x, middle_y = (start[0] + end[0]) / 2 + shift_x, (start[1] + end[1]) / 2 + shift_y
        ax.text(middle_x, middle_y, label, ha="center", va="center", fontsize=fontsize, color=color,
                bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none"))
    return patch


def time_step_row(ax, y: float, labels, *, x0: float = 0.0, spacing: float = 1.6, color: str = "white",
                  width: float = 0.9, height: float = 0.55, fontsize: float = 10) -> list[tuple[float, float]]:
    """One box per time step, left to right at height ``y``; returns their centres.

    ``labels`` is a sequence of strings (e.g. ``["$x_1$", "$x_2$", ...]``),
    box ``i`` is centred at (x0 + i·spacing, y). Raises ``ValueError`` for no
    labels, more than 8, or an empty label.
    """
    labels = list(labels) if not isinstance(labels, str) else [labels]
    if not 1 <= len(labels) <= _MAX_STEPS:
        raise ValueError(f"labels must hold 1 to {_MAX_STEPS} time steps, got {len(labels)}")
    spacing = _check_size("spacing", spacing)
    return [box(ax, (x0 + i * spacing, y), label, width=width, height=height, color=color, fontsize=fontsize)
            for i, label in enumerate(labels)]


def connect_row(ax, centres, *, reverse: bool = False, color: str = "black", gap: float = 14) -> list:
    """Arrows between consecutive centres: left to right, or right to left with ``reverse=True``.

    Returns the arrow patches (one fewer than the centres).
    """
    centres = [_point("centre", centre) for centre in centres]
    pairs = list(zip(centres[:-1], centres[1:]))
    return [arrow(ax, b, a, color=color, gap=gap) if reverse else arrow(ax, a, b, color=color, gap=gap)
            for a, b in pairs]


def finish(ax, margin: float = 0.4) -> None:
    """Set the Axes limits to the drawn boxes plus ``margin`` on every side."""
    ax.autoscale_view()
    (x_low, y_low), (x_high, y_high) = ax.dataLim.get_points()
    ax.set_xlim(x_low - margin, x_high + margin)
    ax.set_ylim(y_low - margin, y_high + margin)


def bidirectional_architecture(n_steps: int = 4, merge_mode: str = "concat", title: str | None = None):
    """The unrolled bidirectional RNN as a figure.

    Rows from bottom to top: the inputs x_t; the forward RNN (states
    →h_t, arrows left to right, starting from →h_0 = 0); the backward RNN
    (states ←h_t, arrows right to left, starting from ←h_{T+1} = 0); the
    merge of the two states at every step (``merge_mode`` "concat", "sum",
    "mul" or "ave"); and the outputs y_t. Forward and backward boxes are
    drawn slightly apart so that the input arrows to the backward row pass
    beside the forward boxes.

    Returns the figure. Raises ``ValueError`` for ``n_steps`` outside 2..8
    or an unknown ``merge_mode``.
    """
    n_steps = _check_count("n_steps", n_steps, minimum=2)
    if merge_mode not in MERGE_LABELS:
        raise ValueError(f"merge_mode must be one of {tuple(MERGE_LABELS)}, got {merge_mode!r}")
    spacing, offset = 2.0, 0.3
    y_input, y_forward, y_backward, y_merge, y_output = 0.0, 1.4, 2.8, 4.3, 5.6
    fig, ax = new_diagram(1.9 * n_steps + 3.0, 6.2,
                          title or "雙向 RNN 展開在時間軸上：正向由左往右讀，反向由右往左讀，每一步再合併")
    steps = range(1, n_steps + 1)
    inputs = time_step_row(ax, y_input, [f"$x_{{{t}}}$" for t in steps], spacing=spacing, width=0.7)
    forward = time_step_row(ax, y_forward, [rf"$\overrightarrow{{h}}_{{{t}}}$" for t in steps], x0=-offset,
                            spacing=spacing, color=FORWARD_COLOR, width=0.7)
    backward = time_step_row(ax, y_backward, [rf"$\overleftarrow{{h}}_{{{t}}}$" for t in steps], x0=offset,
                             spacing=spacing, color=BACKWARD_COLOR, width=0.7)
    merge_width = 1.75 if merge_mode == "ave" else 1.5
    merged = time_step_row(ax, y_merge, [MERGE_LABELS[merge_mode] % (t, t) for t in steps], spacing=spacing,
                           color=MERGE_COLOR, width=merge_width, fontsize=9)
    outputs = time_step_row(ax, y_output, [f"$y_{{{t}}}$" for t in steps], spacing=spacing, width=0.7)
    connect_row(ax, forward, color="tab:blue")
    connect_row(ax, backward, reverse=True, color="tab:orange")
    for x_t, f_t, b_t, m_t, y_t in zip(inputs, forward, backward, merged, outputs):
        arrow(ax, x_t, f_t, gap=10, color="tab:blue")
        arrow(ax, (x_t[0] + offset, x_t[1]), b_t, gap=10, color="tab:orange")
        arrow(ax, f_t, (m_t[0] - offset, m_t[1]), gap=10, color="tab:blue")
        arrow(ax, (b_t[0], b_t[1]), (m_t[0] + offset, m_t[1]), gap=10, color="tab:orange")
        arrow(ax, m_t, y_t, gap=10)
    # initial states: zero before the first forward step and after the last backward step
    ax.text(forward[0][0] - 1.0, y_forward, r"$\overrightarrow{h}_0=0$", ha="center", va="center", fontsize=9)
    ax.text(backward[-1][0] + 1.0, y_backward, rf"$\overleftarrow{{h}}_{{{n_steps + 1}}}=0$", ha="center",
            va="center", fontsize=9)
    label_x = -1.9
    for y, text, color in ((y_input, "輸入", "black"), (y_forward, "正向 RNN", "tab:blue"),
                           (y_backward, "反向 RNN", "tab:orange"), (y_merge, f"合併\n({merge_mode})", "black"),
                           (y_output, "輸出", "black")):
        ax.text(label_x, y, text, ha="right", va="center", fontsize=10, color=color)
    ax.update_datalim([(label_x - 1.4, y_input), (backward[-1][0] + 1.6, y_output)])
    finish(ax)
    return fig


def decision_flowchart(title: str | None = None):
    """When to use a unidirectional or a bidirectional RNN, as a drawn flowchart. Returns the figure."""
    fig, ax = new_diagram(11.0, 7.6, title or "該用單向還是雙向 RNN？")
    start = box(ax, (0.0, 7.2), "手上的時間序列任務", width=3.0, height=0.6)
    complete = decision(ax, (0.0, 5.5), "要做判斷的那一刻，\n整段序列都已經\n拿到了嗎？", width=4.0, height=1.9)
    online = box(ax, (5.6, 5.5), "單向 RNN／LSTM／GRU\n線上預測、即時控制、\n軟感測器", width=3.2, height=1.2,
                 color=FORWARD_COLOR)
    output = decision(ax, (0.0, 3.2), "輸出是整段一個，\n還是每一步一個？", width=4.0, height=1.6)
    one = box(ax, (-5.0, 3.2), "雙向，多對一\n批次品質分級、\n整批特徵擷取", width=3.0, height=1.2, color=MERGE_COLOR)
    many = box(ax, (5.0, 3.2), "雙向，多對多\n階段標註、\n逐步異常偵測", width=3.0, height=1.2, color=MERGE_COLOR)
    cell = decision(ax, (0.0, 1.0), "參數與計算\n預算寬裕嗎？", width=3.6, height=1.5)
    lstm = box(ax, (-4.2, -0.3), "Bi-LSTM 與 Bi-GRU\n都訓練，實測比較", width=3.0, height=0.9, color=BACKWARD_COLOR)
    gru = box(ax, (4.2, -0.3), "Bi-GRU\n參數較少，先試它", width=3.0, height=0.9, color=BACKWARD_COLOR)
    arrow(ax, (start[0], start[1] - 0.3), (complete[0], complete[1] + 0.95), gap=1)
    arrow(ax, (2.0, complete[1]), (online[0] - 1.6, online[1]), label="否", label_offset=(0, 0.25), gap=1,
          color="tab:red")
    arrow(ax, (0.0, complete[1] - 0.95), (0.0, output[1] + 0.8), label="是", label_offset=(0.3, 0), gap=1,
          color="tab:green")
    arrow(ax, (-2.0, output[1]), (one[0] + 1.5, one[1]), label="整段一個", label_offset=(0, 0.25), gap=1)
    arrow(ax, (2.0, output[1]), (many[0] - 1.5, many[1]), label="每一步一個", label_offset=(0, 0.25), gap=1)
    arrow(ax, (one[0], one[1] - 0.6), (cell[0] - 1.8, cell[1]), gap=1, curve=0.25)
    arrow(ax, (many[0], many[1] - 0.6), (cell[0] + 1.8, cell[1]), gap=1, curve=-0.25)
    arrow(ax, (cell[0] - 1.8, cell[1]), (lstm[0] + 1.5, lstm[1]), label="是", label_offset=(0, 0.25), gap=1,
          color="tab:green")
    arrow(ax, (cell[0] + 1.8, cell[1]), (gru[0] - 1.5, gru[1]), label="否", label_offset=(0, 0.25), gap=1,
          color="tab:red")
    ax.text(online[0], online[1] - 0.75, "未來還沒發生，不能用雙向", ha="center", va="top", fontsize=9, color="tab:red")
    finish(ax, margin=0.3)
    return fig


def draw_encoder_decoder(ax, n_inputs: int = 4, n_outputs: int = 3, attention: bool = False,
                         title: str | None = None) -> dict:
    """Draw an unrolled encoder–decoder (Seq2Seq) on ``ax``.

    Rows from bottom to top: the encoder inputs x_1..x_n and, to their right,
    the decoder inputs (``<start>`` and then the decoder's own previous
    outputs, fed back along the dashed arrows); the encoder states h_i and
    the decoder states s_j; with attention, one attention block per decoder
    step; the outputs y_j.

    Parameters
    ----------
    ax:
        A matplotlib Axes (its axis lines are switched off, its aspect made equal).
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
        If ``n_inputs`` or ``n_outputs`` is not an integer in 1..8, or the title is empty.
    """
    _select_cjk_font()
    n_inputs = _check_count("n_inputs", n_inputs, minimum=1)
    n_outputs = _check_count("n_outputs", n_outputs, minimum=1)
    _prepare_axes(ax, title or ("Seq2Seq + 注意力：每個解碼步有自己的上下文 c_t" if attention
                                else "編碼器-解碼器：整段輸入壓成一個上下文向量 c"))
    spacing, width, height = 1.3, 0.8, 0.5
    decoder_x0 = n_inputs * spacing + (0.9 if attention else 1.6)
    y_input, y_state = 0.0, 1.5
    y_attention = 2.75                     # attention row, between the decoder states and the outputs
    y_output = 4.0 if attention else 3.0
    row = dict(spacing=spacing, width=width, height=height)
    inputs = time_step_row(ax, y_input, [f"$x_{{{i}}}$" for i in range(1, n_inputs + 1)], **row)
    encoder = time_step_row(ax, y_state, [f"$h_{{{i}}}$" for i in range(1, n_inputs + 1)], color=_ENCODER_COLOR,
                            **row)
    # "<start>" is plain text and wider than the mathtext labels: one size smaller
    decoder_inputs = [box(ax, (decoder_x0, y_input), "<start>", width=width, height=height, fontsize=8)]
    if n_outputs > 1:
        decoder_inputs += time_step_row(ax, y_input, [f"$y_{{{j}}}$" for j in range(1, n_outputs)],
                                        x0=decoder_x0 + spacing, **row)
    decoder = time_step_row(ax, y_state, [f"$s_{{{j}}}$" for j in range(1, n_outputs + 1)], x0=decoder_x0,
                            color=_DECODER_COLOR, **row)
    outputs = time_step_row(ax, y_output, [f"$y_{{{j}}}$" for j in range(1, n_outputs + 1)], x0=decoder_x0, **row)
    for below, above in zip(inputs + decoder_inputs, encoder + decoder):
        arrow(ax, below, above, gap=14)
    connect_row(ax, encoder)
    connect_row(ax, decoder)
    for (x, _), next_input in zip(outputs[:-1], decoder_inputs[1:]):
        # this step's output is fed back as the next step's input
        arrow(ax, (x + width / 2, y_output - height / 2), (next_input[0] - width / 2, y_input + height / 2),
              linestyle="--", color="tab:gray", gap=2)

    context = []
    if not attention:
        context_x = (encoder[-1][0] + decoder[0][0]) / 2
        context.append(box(ax, (context_x, y_output), "$c$", width=0.6, height=height, color=_CONTEXT_COLOR))
        arrow(ax, encoder[-1], context[0], gap=14)
        arrow(ax, context[0], decoder[0], gap=14)
        for state, output in zip(decoder, outputs):
            arrow(ax, state, output, gap=14)
    else:
        arrow(ax, encoder[-1], decoder[0], gap=14)  # the final encoder state still starts the decoder
        for j, ((x, _), output) in enumerate(zip(decoder, outputs), start=1):
            context.append(box(ax, (x, y_attention), "注意力", width=0.9, height=0.6, fontsize=8,
                               color=_ATTENTION_COLOR))
            arrow(ax, decoder[j - 1], context[-1], gap=14)
            # the block's result is this step's own context c_j (mathtext: a label apart from the Chinese)
            arrow(ax, context[-1], output, gap=14, label=f"$c_{{{j}}}$", label_offset=(0.22, 0.0))
        # every decoder step's attention reads every encoder state: straight lines from the top of each
        # state to the lower left of each block, clear of the labels
        for state_x, _ in encoder:
            for block_x, block_y in context:
                arrow(ax, (state_x + 0.2, y_state + height / 2), (block_x - 0.25, block_y - 0.3), head=False,
                      color="tab:orange", linewidth=0.5, gap=1)

    label_y = -0.75
    ax.text((inputs[0][0] + inputs[-1][0]) / 2, label_y, "編碼器 (encoder)", ha="center", fontsize=10,
            color="tab:blue")
    ax.text((decoder[0][0] + decoder[-1][0]) / 2, label_y, "解碼器 (decoder)", ha="center", fontsize=10,
            color="tab:red")
    ax.update_datalim([(inputs[0][0], label_y - 0.1)])
    finish(ax, margin=0.35)
    return {"inputs": inputs, "encoder": encoder, "decoder": decoder, "outputs": outputs,
            "decoder_inputs": decoder_inputs, "context": context}


def encoder_decoder_figure(n_inputs: int = 4, n_outputs: int = 3):
    """Both encoder–decoder variants side by side: (a) fixed context vector, (b) with attention.

    ``n_inputs`` and ``n_outputs`` are as in :func:`draw_encoder_decoder`
    (1–8 each; ``ValueError`` otherwise). Returns the figure.
    """
    import matplotlib.pyplot as plt

    _select_cjk_font()
    n_inputs = _check_count("n_inputs", n_inputs, minimum=1)
    n_outputs = _check_count("n_outputs", n_outputs, minimum=1)
    # 13 inches hold 9 steps per panel; longer sequences get a wider figure at the same scale
    width = 13.0 * max(1.0, (n_inputs + n_outputs) / 9)
    fig, (ax_plain, ax_attention) = plt.subplots(1, 2, figsize=(width, 4.2), constrained_layout=True)
    draw_encoder_decoder(ax_plain, n_inputs, n_outputs, attention=False, title="(a) 固定的上下文向量 c")
    draw_encoder_decoder(ax_attention, n_inputs, n_outputs, attention=True,
                         title="(b) 加上注意力：每一步有自己的上下文 c_t")
    fig.suptitle("Seq2Seq 架構（展開在時間軸上；虛線：上一步的輸出餵回下一步）")
    return fig

import matplotlib.pyplot as plt
import numpy as np
import pytest

from labsupport import diagrams, plots


def _texts(fig):
    return [text.get_text() for ax in fig.axes for text in ax.texts]


def test_time_step_row_places_one_box_per_label_at_even_spacing():
    fig, ax = diagrams.new_diagram(6, 2, "測試")
    centres = diagrams.time_step_row(ax, 1.0, ["$x_1$", "$x_2$", "$x_3$"], x0=0.5, spacing=2.0)
    assert centres == [(0.5, 1.0), (2.5, 1.0), (4.5, 1.0)]
    assert [t.get_text() for t in ax.texts] == ["$x_1$", "$x_2$", "$x_3$"]
    assert len(ax.patches) == 3
    arrows = diagrams.connect_row(ax, centres, reverse=True)
    # right to left: each arrow starts at the right-hand box
    assert [tuple(map(tuple, a._posA_posB)) for a in arrows] == [((2.5, 1.0), (0.5, 1.0)), ((4.5, 1.0), (2.5, 1.0))]
    plt.close(fig)


def test_decision_is_a_diamond_and_finish_fits_everything():
    fig, ax = diagrams.new_diagram(6, 4, "流程")
    diagrams.decision(ax, (0.0, 0.0), "是否？", width=4.0, height=2.0)
    diagrams.box(ax, (5.0, 0.0), "右", width=1.0, height=1.0)
    diagrams.arrow(ax, (0.0, 0.0), (5.0, 0.0), label="否", label_offset=(0.0, 0.3))
    diamond = ax.patches[0].get_xy()[:4]
    np.testing.assert_allclose(diamond, [(-2, 0), (0, 1), (2, 0), (0, -1)])
    diagrams.finish(ax, margin=0.5)
    assert ax.get_xlim() == pytest.approx((-2.5, 6.0), abs=0.05)  # boxes have a small rounded pad
    label = next(t for t in ax.texts if t.get_text() == "否")
    assert label.get_position() == pytest.approx((2.5, 0.3))
    plt.close(fig)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
def test_bidirectional_architecture_draws_every_row_and_step(merge_mode):
    fig = diagrams.bidirectional_architecture(n_steps=5, merge_mode=merge_mode)
    ax = fig.axes[0]
    assert "雙向" in ax.get_title()
    texts = _texts(fig)
    for t in range(1, 6):
        assert f"$x_{{{t}}}$" in texts and f"$y_{{{t}}}$" in texts
        assert diagrams.MERGE_LABELS[merge_mode] % (t, t) in texts
    assert r"$\overleftarrow{h}_{6}=0$" in texts          # the backward RNN starts after the last step
    assert {"正向 RNN", "反向 RNN", "輸入", "輸出"} <= set(texts)
    # 5 boxes in each of 5 rows, plus 4 + 4 recurrent arrows and 5 x 5 vertical arrows
    boxes = [p for p in ax.patches if type(p).__name__ == "FancyBboxPatch"]
    arrows = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
    assert len(boxes) == 25 and len(arrows) == 4 + 4 + 25
    fig.canvas.draw()  # a missing glyph (CJK or mathtext) is an error under pytest's filter
    plt.close(fig)


def test_decision_flowchart_renders_with_its_questions():
    fig = diagrams.decision_flowchart()
    assert fig.axes[0].get_title() == "該用單向還是雙向 RNN？"
    texts = "".join(_texts(fig))
    for word in ("單向", "雙向，多對一", "雙向，多對多", "Bi-LSTM", "Bi-GRU", "是", "否"):
        assert word in texts
    fig.canvas.draw()
    plt.close(fig)


@pytest.mark.parametrize("attention", [False, True])
def test_encoder_decoder_draws_one_box_per_step_and_the_right_contexts(attention):
    fig, ax = plt.subplots()
    centres = diagrams.draw_encoder_decoder(ax, n_inputs=5, n_outputs=3, attention=attention)
    assert len(centres["inputs"]) == len(centres["encoder"]) == 5
    assert len(centres["decoder"]) == len(centres["outputs"]) == len(centres["decoder_inputs"]) == 3
    # one shared context without attention, one per decoder step with it
    assert len(centres["context"]) == (3 if attention else 1)
    # the decoder sits to the right of the encoder, outputs above the decoder cells
    assert min(x for x, _ in centres["decoder"]) > max(x for x, _ in centres["encoder"])
    assert all(y_out > y_dec for (_, y_out), (_, y_dec) in zip(centres["outputs"], centres["decoder"]))
    texts = [t.get_text() for t in ax.texts]
    assert "<start>" in texts and ax.get_title()
    assert [t for t in texts if t.startswith("$y_")] == ["$y_{1}$", "$y_{2}$"] + ["$y_{1}$", "$y_{2}$", "$y_{3}$"]
    arrows = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
    dashed = [a for a in arrows if a.get_linestyle() == "--"]
    assert len(dashed) == 2  # each output but the last is fed back as the next decoder input
    if attention:
        # every decoder step's attention reads every encoder state, and each step has its own c_j
        assert sum(a.get_linewidth() == 0.5 for a in arrows) == 5 * 3
        assert {"$c_{1}$", "$c_{2}$", "$c_{3}$", "注意力"} <= set(texts)
    else:
        assert "$c$" in texts and not any(a.get_linewidth() == 0.5 for a in arrows)
    # every box lies inside the visible area
    x_low, x_high = ax.get_xlim()
    y_low, y_high = ax.get_ylim()
    for x, y in sum(centres.values(), []):
        assert x_low < x < x_high and y_low < y < y_high
    fig.canvas.draw()  # a missing CJK glyph would raise (pytest turns the warning into an error)
    plt.close(fig)


def test_encoder_decoder_figure_has_both_variants_and_widens_for_long_sequences():
    fig = diagrams.encoder_decoder_figure()
    assert len(fig.axes) == 2 and fig._suptitle.get_text()
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["(a) 固定的上下文向量 c", "(b) 加上注意力：每一步有自己的上下文 c_t"]
    assert fig.get_figwidth() == pytest.approx(13.0)
    fig.canvas.draw()
    plt.close(fig)
    wide = diagrams.encoder_decoder_figure(n_inputs=8, n_outputs=7)
    assert wide.get_figwidth() == pytest.approx(13.0 * 15 / 9)
    plt.close(wide)


def test_chinese_labels_use_the_cjk_font():
    fig = diagrams.decision_flowchart()
    family = plots.cjk_font_name()
    chinese = [t for t in fig.axes[0].texts if any("\u4e00" <= ch <= "\u9fff" for ch in t.get_text())]
    assert chinese and {t.get_fontname() for t in chinese} == {family}, ({t.get_fontname() for t in chinese}, family)
    plt.close(fig)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: diagrams.bidirectional_architecture(n_steps=1), "n_steps"),
        (lambda: diagrams.bidirectional_architecture(n_steps=9), "n_steps"),
        (lambda: diagrams.bidirectional_architecture(merge_mode="weighted"), "merge_mode"),
        (lambda: diagrams.new_diagram(0, 3, "x"), "width"),
        (lambda: diagrams.new_diagram(3, 3, " "), "title"),
        (lambda: diagrams.encoder_decoder_figure(n_inputs=0), "n_inputs must be an integer between 1 and 8"),
        (lambda: diagrams.encoder_decoder_figure(n_outputs=9), "n_outputs must be an integer between 1 and 8"),
        (lambda: diagrams.draw_encoder_decoder(plt.gca(), n_inputs=2.5), "between 1 and 8"),
        (lambda: diagrams.draw_encoder_decoder(plt.gca(), n_outputs=True), "between 1 and 8"),
    ],
)
def test_bad_arguments_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()
    plt.close("all")


def test_bad_primitive_arguments_raise():
    fig, ax = diagrams.new_diagram(3, 3, "x")
    with pytest.raises(ValueError, match="text"):
        diagrams.box(ax, (0, 0), "")
    with pytest.raises(ValueError, match="centre"):
        diagrams.box(ax, (0,), "a")
    with pytest.raises(ValueError, match="1 to 8"):
        diagrams.time_step_row(ax, 0.0, [])
    with pytest.raises(ValueError, match="height"):
        diagrams.decision(ax, (0, 0), "?", height=-1)
    plt.close(fig)

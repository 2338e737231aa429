import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from labsupport import plots


def _render(fig):
    fig.canvas.draw()
    plt.close(fig)


def test_cjk_font_selected_and_renders_without_missing_glyphs():
    name = plots.use_cjk_font()
    assert name in plots.CJK_FONT_CANDIDATES
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, -1])
    ax.set_title("反應器溫度與夾套冷卻")
    ax.set_xlabel("時間 (min)")
    ax.set_ylabel("溫度 (K)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "Glyph ... missing" warning fails the test
        _render(fig)


def test_missing_glyph_warning_would_be_caught():
    # The check above is meaningful only if a font without CJK glyphs does warn.
    fig, ax = plt.subplots()
    ax.set_title("反應器", fontfamily="DejaVu Sans")
    with pytest.warns(UserWarning, match="Glyph"):
        _render(fig)


def test_shade_phases_and_trajectories():
    t = np.arange(10.0)
    phases = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2, 2])
    ax = plots.plot_trajectories(
        t, {"溫度": t * 2}, title="批次軌跡", xlabel="時間 (min)", ylabel="溫度 (K)",
        phases=phases, phase_names=["預熱", "加料", "反應"],
    )
    assert plots.check_figure_labels(ax.figure) == []
    spans = [p for p in ax.patches]
    assert len(spans) == 3  # one span per contiguous phase
    plt.close(ax.figure)


def test_attention_heatmap_labels_and_errors():
    w = np.full((2, 3), 1 / 3)
    ax = plots.attention_heatmap(w, title="注意力", xlabel="編碼器步 (step)", ylabel="解碼器步 (step)",
                                 x_ticklabels=["a", "b", "c"])
    assert plots.check_figure_labels(ax.figure) == []
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="2-D"):
        plots.attention_heatmap(np.ones(3), title="t", xlabel="x", ylabel="y")
    with pytest.raises(ValueError, match="x_ticklabels"):
        plots.attention_heatmap(w, title="t", xlabel="x", ylabel="y", x_ticklabels=["a"])
    with pytest.raises(ValueError, match="title"):
        plots.attention_heatmap(w, title="", xlabel="x", ylabel="y")


def test_check_figure_labels_reports_missing_labels():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 2])
    problems = plots.check_figure_labels(fig)
    assert "axes 0 has no title" in problems and "axes 0 has no x label" in problems
    plt.close(fig)


def test_font_installed_after_cache_is_found(monkeypatch):
    # A matplotlib font cache built before fonts-noto-cjk was installed has no
    # CJK entries; use_cjk_font must find the files and add them to the
    # manager that the rest of matplotlib uses.
    from matplotlib import font_manager

    manager = font_manager.fontManager
    monkeypatch.setattr(manager, "ttflist", [f for f in manager.ttflist if f.name not in plots.CJK_FONT_CANDIDATES])
    assert not {f.name for f in manager.ttflist} & set(plots.CJK_FONT_CANDIDATES)
    name = plots.use_cjk_font()
    assert font_manager.fontManager is manager
    assert name in {f.name for f in manager.ttflist}
    fig, ax = plt.subplots()
    ax.set_title("夾套溫度")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _render(fig)


# ---------------------------------------------------------------------------
# how the book shows a figure: alt text, readable width, smallest text


def test_alt_text_names_the_title_and_every_panels_axes():
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3))
    left.plot([0, 1], [0, 1])
    left.set(title="溫度", xlabel="時間 (min)", ylabel="溫度 (K)")
    right.plot([0, 1], [1, 0])
    right.set(title="壓力\n（測試批次）", xlabel="時間 (min)", ylabel="壓力 (bar)")
    fig.suptitle("反應器的兩條軌跡")
    alt = plots.figure_alt_text(fig)
    assert alt.startswith("圖：反應器的兩條軌跡。")
    assert "子圖 1「溫度」：橫軸 時間 (min)，縱軸 溫度 (K)。" in alt
    assert "子圖 2「壓力，（測試批次）」" in alt and "\n" not in alt
    plt.close(fig)


def test_alt_text_of_a_single_panel_and_of_an_untitled_figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set(title="損失曲線", xlabel="週期", ylabel="損失")
    assert plots.figure_alt_text(fig) == "圖：損失曲線。橫軸 週期，縱軸 損失。"
    plt.close(fig)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    assert plots.figure_alt_text(fig) == "圖：本格程式產生的圖表。"
    plt.close(fig)


def test_figure_png_narrows_wide_figures_and_stores_alt_and_smallest_text():
    import io

    from PIL import Image

    fig, axes = plt.subplots(1, 5, figsize=(15, 3.2), constrained_layout=True)
    for ax in axes:
        ax.plot([0, 1], [0, 1])
        ax.set(title="面板", xlabel="x (m)", ylabel="y (m)")
        ax.legend(["線"], fontsize="small")
    data, meta = plots.figure_png(fig)
    assert fig.get_size_inches()[0] == pytest.approx(plots.MAX_FIGURE_WIDTH_IN)
    image = Image.open(io.BytesIO(data))
    assert image.size == (meta["width"], meta["height"])
    assert image.width <= plots.MAX_FIGURE_WIDTH_IN * fig.dpi + 20
    assert image.text["Description"] == meta["alt"] == plots.figure_alt_text(fig)
    small = matplotlib.font_manager.FontProperties(size="small").get_size_in_points()
    assert float(image.text[plots.SMALLEST_TEXT_KEY]) == pytest.approx(small * fig.dpi / 72, abs=0.01)
    plt.close(fig)


def test_ipython_shows_figures_through_figure_png():
    ipython = pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    assert plots.install_figure_display(shell)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set(title="測試圖", xlabel="x", ylabel="y")
    data, metadata = shell.display_formatter.format(fig)
    assert "image/png" in data and metadata["image/png"]["alt"] == "圖：測試圖。橫軸 x，縱軸 y。"
    plt.close(fig)
    del ipython


def test_alt_text_of_small_multiples_states_shared_axes_once():
    fig, axes = plt.subplots(1, 3)
    for k, ax in enumerate(axes):
        ax.plot([0, 1], [0, 1])
        ax.set(title=f"T = {k}", xlabel="鍵", ylabel="權重")
    fig.suptitle("溫度")
    assert plots.figure_alt_text(fig) == "圖：溫度。3 個子圖：「T = 0」、「T = 1」、「T = 2」；橫軸皆為 鍵，縱軸皆為 權重。"
    plt.close(fig)


def test_alt_text_does_not_double_the_full_stop():
    fig, ax = plt.subplots()
    ax.set_axis_off()
    fig.suptitle("該用單向還是雙向 RNN？")
    assert plots.figure_alt_text(fig) == "圖：該用單向還是雙向 RNN？"
    plt.close(fig)


def test_figure_png_narrows_a_wide_heatmap_with_a_colorbar():
    """A 100-step heatmap (27 in wide) with a colorbar: constrained layout cannot
    place it (ZeroDivisionError in matplotlib 3.10+); it is still drawn at the
    book's width."""
    weights = np.random.default_rng(0).random((12, 100))
    ax = plots.attention_heatmap(weights, title="寬的熱圖", xlabel="時間步", ylabel="批次",
                                 y_ticklabels=[f"#{i}" for i in range(12)])
    _, meta = plots.figure_png(ax.figure)
    assert meta["width"] <= plots.MAX_FIGURE_WIDTH_IN * ax.figure.dpi + 1
    plt.close(ax.figure)

import warnings

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

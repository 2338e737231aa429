"""labsupport.widgets.frames: one explorer widget, recomputing in a kernel, precomputed for the book page."""
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

ipywidgets = pytest.importorskip("ipywidgets")

from labsupport import recipes  # noqa: E402
from labsupport.widgets import beam_width, frames, merge_mode, sampling, temperature  # noqa: E402

MAX_LEN = recipes.MAX_RECIPE_LENGTH + 1
ORDER = ("產品P", "標準級")


def _frame_value(frame_html: str) -> str:
    return re.search(r'data-value="([^"]*)"', frame_html).group(1)


def test_precomputed_explorer_links_the_control_to_a_stack_of_all_frames():
    calls = []

    def render(value):
        calls.append(value)
        return f"<b>{value * 2}</b>"

    slider = frames.selection_slider([1, 2, 3], value=2, description="x")
    box = frames.frame_explorer(slider, render, precompute=True)
    control, stack = box.children
    assert control is slider and isinstance(stack, ipywidgets.Stack)
    assert calls == [1, 2, 3]
    assert [_frame_value(child.value) for child in stack.children] == ["1", "2", "3"]
    assert stack.selected_index == 1 == slider.index
    link = box.frame_link  # a jslink: the browser switches the frames, no kernel needed
    assert link.source == (slider, "index") and link.target == (stack, "selected_index")
    assert type(link).__name__ == "Link"
    assert "lab-explorer" in box._dom_classes


def test_live_explorer_renders_on_demand_and_caches():
    calls = []

    def render(value):
        calls.append(value)
        return f"<i>{value}</i>"

    slider = frames.selection_slider([0.1, 1.0, 10.0], value=1.0, description="T")
    box = frames.frame_explorer(slider, render, precompute=False)
    control, output = box.children
    assert calls == [1.0] and _frame_value(output.value) == "1"
    slider.index = 2
    assert calls == [1.0, 10.0] and _frame_value(output.value) == "10" and "<i>10.0</i>" in output.value
    slider.index = 1
    assert calls == [1.0, 10.0]  # cached


def test_default_is_precomputed_only_in_a_book_build(monkeypatch):
    monkeypatch.setattr("labsupport.book.in_book_build", lambda: False)
    assert frames.precompute_frames_default() is False
    monkeypatch.setattr("labsupport.book.in_book_build", lambda: True)
    assert frames.precompute_frames_default() is True


def test_every_explorer_precomputes_one_frame_per_position():
    plt.close("all")  # figures other tests left open; this test checks the explorers leave none
    scores, values = temperature.FIVE_SCORES, temperature.FIVE_VALUES
    box = temperature.live_temperature_explorer(scores, values)
    # in a plain test run myst_nb may or may not be installed; force both modes explicitly below
    assert box.children[0].value == pytest.approx(1.0)

    step_fn, state = recipes.exact_step_fn(ORDER)
    kwargs = dict(start_token=recipes.START, end_token=recipes.END, max_len=MAX_LEN, token_names=recipes.TARGET_VOCAB)
    results = {mode: merge_mode.compute_merge_mode(mode, units=4) | {"accuracy": 0.5 + 0.1 * i, "params": 100}
               for i, mode in enumerate(merge_mode.MERGE_MODES)}
    for build, n_frames in (
        (lambda: temperature.live_temperature_explorer(scores, values), 21),
        (lambda: beam_width.live_beam_width(step_fn, state, **kwargs), 8),
        (lambda: sampling.live_sampling(step_fn, state, n_samples=5, **kwargs), len(sampling.DEFAULT_TEMPERATURES)),
        (lambda: merge_mode.live_merge_mode_explorer(results), 4),
    ):
        original = frames.precompute_frames_default
        try:
            frames.precompute_frames_default = lambda: True
            box = build()
        finally:
            frames.precompute_frames_default = original
        control, stack = box.children
        assert len(stack.children) == n_frames == len(control.options)
        shown = [_frame_value(child.value) for child in stack.children]
        assert shown == [label for label, _ in frames._pairs(control)]
        assert len(set(child.value for child in stack.children)) == n_frames  # every frame differs
    assert plt.get_fignums() == []


def test_figure_frames_carry_chinese_alt_text():
    box = temperature.live_temperature_explorer(temperature.FIVE_SCORES, temperature.FIVE_VALUES)
    html = box.children[1].value if isinstance(box.children[1], ipywidgets.HTML) else box.children[1].children[0].value
    alt = re.search(r'alt="([^"]+)"', html).group(1)
    assert "溫度" in alt and "注意力權重" in alt
    assert np.isfinite(float(re.search(r'data-smallest-text-px="([^"]+)"', html).group(1)))

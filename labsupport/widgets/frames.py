"""One control, one frame per position: the widget behind every explorer.

An explorer is a selection control (a ``SelectionSlider`` over a grid of
values, or ``ToggleButtons``) above a frame, the HTML that ``render(value)``
returns (a figure as ``<img>``, a table, a few lines of text).
:func:`frame_explorer` builds it in one of two ways, from the same code:

- **in a kernel** (Jupyter, Colab, Binder): one ``HTML`` frame; moving the
  control calls ``render`` for the new value (each value once, then cached),
  so the explorer recomputes live. Works with ipywidgets 7 and 8.
- **in a book build** (:func:`labsupport.book.in_book_build`): ``render``
  runs for *every* position when the cell executes, the frames go into a
  ``Stack``, and ``jslink`` ties the control's ``index`` to the stack's
  ``selected_index``. MyST-NB embeds the widget state in the page and the
  book's own copy of the ipywidgets HTML manager
  (``_ext/static/jupyter-widgets/embed.js``) draws it: the control switches
  the frames in the browser, without a kernel.

Each frame is wrapped in ``<div class="lab-frame" data-value="...">``, so the
site test can check that the frame shown is the one computed for the value.
"""
from __future__ import annotations

import html
from collections.abc import Callable, Sequence

__all__ = ["frame_explorer", "frame_html", "selection_slider", "precompute_frames_default"]


def precompute_frames_default() -> bool:
    """True in a book build (every frame is computed when the cell runs)."""
    from labsupport.book import in_book_build

    return in_book_build()


def frame_html(value_label: str, body: str) -> str:
    """``body`` wrapped in the frame ``<div>`` that names its value."""
    return f'<div class="lab-frame" data-value="{html.escape(str(value_label))}">{body}</div>'


def selection_slider(values: Sequence, *, value, description: str, labels: Sequence[str] | None = None):
    """A ``SelectionSlider`` over ``values`` (shown as ``labels``), starting at the
    value nearest to ``value``."""
    import ipywidgets as widgets

    values = list(values)
    labels = list(labels) if labels is not None else [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
    nearest = min(range(len(values)), key=lambda i: abs(float(values[i]) - float(value)))
    return widgets.SelectionSlider(options=list(zip(labels, values)), index=nearest, description=description,
                                   continuous_update=True, readout=True,
                                   style={"description_width": "initial"},
                                   layout=widgets.Layout(width="32rem", max_width="100%"))


def frame_explorer(control, render: Callable[[object], str], *, precompute: bool | None = None):
    """The explorer widget: ``control`` above the frame ``render(value)``.

    ``control`` is a selection widget (``options`` of (label, value) pairs and
    an ``index``); ``render(value)`` returns the frame's HTML. ``precompute``
    (default: only in a book build) renders every position now and switches
    frames in the browser (see the module docs). Returns a ``VBox``.
    """
    import ipywidgets as widgets

    if precompute is None:
        precompute = precompute_frames_default()
    labels = [label for label, _ in _pairs(control)]
    values = [value for _, value in _pairs(control)]
    if precompute:
        frames = [widgets.HTML(value=frame_html(label, render(value))) for label, value in zip(labels, values)]
        stack = widgets.Stack(children=frames, selected_index=control.index)
        link = widgets.jslink((control, "index"), (stack, "selected_index"))
        box = widgets.VBox([control, stack])
        box.frame_link = link  # keeps the link (a widget of its own) with the explorer
    else:
        cache: dict[int, str] = {}

        def frame(index: int) -> str:
            if index not in cache:
                cache[index] = frame_html(labels[index], render(values[index]))
            return cache[index]

        output = widgets.HTML(value=frame(control.index))

        def update(change):
            output.value = frame(change["new"])

        control.observe(update, names="index")
        box = widgets.VBox([control, output])
    box.add_class("lab-explorer")
    return box


def _pairs(control):
    options = list(control.options)
    pairs = []
    for option in options:
        if isinstance(option, tuple) and len(option) == 2:
            pairs.append((str(option[0]), option[1]))
        else:
            pairs.append((str(option), option))
    return pairs

"""The chapters' interactive explorers, one module each.

Every explorer has three parts, so that it is testable and still says
something in print, where no control can move:

- ``compute_*``: the pure computation behind the control (tested in ``tests/``);
- ``static_*``: a figure or table over the whole range, computed when the book
  is built; it is what the PDF shows;
- ``live_*``: the ipywidgets explorer, built by
  :func:`labsupport.widgets.frames.frame_explorer`: a control (a slider over a
  grid of values, or toggle buttons) above a frame drawn for the chosen value.

The same ``live_*`` code serves two places:

- **in Jupyter, Colab or Binder** the frame is recomputed when the control
  moves (in Python, each value once);
- **on the book's HTML page** every frame was computed when the cell ran at
  build time; the control is linked to a ``Stack`` of the frames in the
  browser (``jslink``), and the book's own copy of the ipywidgets HTML
  manager (``_static/jupyter-widgets/embed.js``, see ``_config.yml`` →
  ``nb_ipywidgets_js`` and ``_ext/widgets_local.py``) draws the embedded
  widget state. No kernel and no CDN are needed.

How a chapter shows an explorer:

1. A code cell calls ``static_*`` and shows the figure (small multiples, at
   most three panels per row, so the text stays readable).
2. One sentence says what the control does, that the page's frames were
   computed when the book was built, and that in Jupyter/Colab/Binder it
   recomputes live.
3. A cell calls ``live_*`` as its last expression (no ``remove-output``).

In print (``make pdf``) the explorers are hidden (``_ext/static/lab_site.css``)
and the static figure stands for them. ``tests/test_site.py`` moves every
explorer's control in Chromium with the keyboard and checks that the frame
shown is the one computed for the value, and that a page with its frames
stays under 6 MB.

A ``live_*`` function must not train a model when called: precompute in the
chapter and pass the results in. Every frame is computed during the book
build, so a frame should take well under a second, and the grid of values
should be small (about 4-21 positions): the frames are part of the page.
"""

"""The chapters' interactive explorers, one module each.

Every explorer has three parts, so that it is testable and still says
something in the static HTML book, where no kernel runs:

- ``compute_*``: the pure computation behind the slider (tested in ``tests/``);
- ``static_*``: a figure or table over the whole slider range, computed when
  the book is built;
- ``live_*``: the ipywidgets control that recomputes as the reader moves it
  (in Jupyter, Colab or Binder).

How a chapter shows an explorer (no page may show a dead widget or
"Loading widgets..." as its only output):

1. A code cell calls ``static_*`` and shows the figure (small multiples across
   the slider's range, or a table), executed at build time. This is what the
   HTML page shows.
2. One sentence tells the reader that running the next cell in Jupyter, Colab
   or Binder gives a slider (the launch buttons open the generated notebook).
3. The cell that calls ``live_*`` is tagged ``remove-output``::

       ```{code-cell} ipython3
       :tags: [remove-output]

       temperature_explorer.live_temperature_explorer(scores, values)
       ```

   The code stays visible on the page; its widget output is dropped from the
   HTML, and the book loads no widget JavaScript (``nb_ipywidgets_js: {}`` in
   ``_config.yml``). In a kernel the tag is ignored and the slider works.

The build enforces it: ``_ext/notebook_links.py`` warns, and ``-W`` fails the
build, when a page still contains a widget view; ``tests/test_site.py`` checks
the built pages for widget views, widget JavaScript and "Loading widgets".
A ``live_*`` function should return the widget (or display it) and must not
train a model when called: precompute in the chapter and pass the results in,
so the cell stays quick when the book is built.
"""

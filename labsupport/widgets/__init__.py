"""The chapters' interactive explorers, one module each.

Every explorer has three parts, so that it is testable and still says
something in the static HTML book, where no kernel runs:

- ``compute_*``: the pure computation behind the slider (tested in ``tests/``);
- ``static_*``: a figure or table over the whole slider range, computed when
  the book is built;
- ``live_*``: the ipywidgets control that recomputes as the reader moves it
  (in Jupyter, Colab or Binder).
"""

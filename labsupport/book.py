"""Hand computed numbers to the book's prose, without needing the book toolchain.

The chapters quote computed results in their Markdown text with MyST-NB's
``{glue:text}`` role. That needs the value to be *glued* in a code cell. MyST-NB's
own ``glue`` lives in the ``myst_nb`` package, which belongs to the book build
(Jupyter Book) and is not installed on Colab, Binder's slim images or a
student's laptop. A chapter that imported it would stop at its second cell
there.

:func:`glue` is the one helper every chapter uses instead:

- in a book build (``myst_nb`` importable), it calls ``myst_nb.glue(...,
  display=False)``: the value becomes available to ``{glue:text}`` and nothing
  is shown in the cell's output;
- anywhere else it does nothing visible.

It returns ``None``, so a cell that ends with a ``glue`` call shows no ``Out[]``.

Numbers and labels are glued: NumPy scalars become plain ``int`` or
``float`` (which MyST-NB's format specs such as ``:.2f`` and ``:.0%`` accept).
Sentences belong in the Markdown, not in code.

>>> glue("answer", np.float32(0.5))
>>> glue("verdict", "the setpoint was reached within twelve minutes")  # doctest: +ELLIPSIS
Traceback (most recent call last):
ValueError: glue 'verdict': expected a number or a short label (at most 16 characters), ...
"""
from __future__ import annotations

import importlib.util
import numbers

import numpy as np

__all__ = ["glue", "in_book_build"]

# Longest string that still counts as a label (a key name, "19,200", a table label).
MAX_LABEL_LENGTH = 16

def in_book_build() -> bool:
    """True when MyST-NB is importable, i.e. when glued values can reach a page."""
    return importlib.util.find_spec("myst_nb") is not None


def _plain(name: str, value):
    """Return ``value`` as a plain Python number or short string, or raise ValueError."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"glue {name!r}: expected a number or a short label, got a bool ({value}).")
    if isinstance(value, (numbers.Integral, np.integer)):
        return int(value)
    if isinstance(value, (numbers.Real, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return _plain(name, value.item())
    if isinstance(value, str):
        if len(value) > MAX_LABEL_LENGTH:
            raise ValueError(
                f"glue {name!r}: expected a number or a short label (at most "
                f"{MAX_LABEL_LENGTH} characters), got a {len(value)}-character string; "
                "write sentences in the Markdown, not in code."
            )
        return value
    raise ValueError(f"glue {name!r}: expected a number or a short label, got {type(value).__name__}.")


def glue(name: str, value) -> None:
    """Make ``value`` available to ``{glue:text}`name``` in the book; show nothing.

    Args:
        name: the key used in the Markdown, e.g. ``"p_lstm"``.
        value: a number (Python or NumPy scalar) or a short label string.

    Raises:
        ValueError: if ``name`` is empty or ``value`` is not a number or short label.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"glue: expected a name made of letters, digits and '_', got {name!r}.")
    plain = _plain(name, value)
    if in_book_build():
        from myst_nb import glue as myst_glue

        myst_glue(name, plain, display=False)

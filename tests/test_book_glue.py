"""labsupport.book.glue: numbers and short labels reach the book; nothing else, and no myst-nb needed."""
import doctest
import sys

import numpy as np
import pytest

from labsupport import book


def test_docstring_examples_run():
    assert doctest.testmod(book).failed == 0


def test_numpy_scalars_become_plain_python_numbers(monkeypatch):
    seen = {}
    monkeypatch.setattr(book, "in_book_build", lambda: True)
    monkeypatch.setitem(sys.modules, "myst_nb", type(sys)("myst_nb"))
    sys.modules["myst_nb"].glue = lambda name, value, display: seen.update({name: (value, display)})
    book.glue("n", np.int64(3))
    book.glue("x", np.float32(0.25))
    book.glue("label", "k3")
    assert seen == {"n": (3, False), "x": (0.25, False), "label": ("k3", False)}
    assert type(seen["n"][0]) is int and type(seen["x"][0]) is float


def test_outside_a_book_build_nothing_is_imported_or_shown(monkeypatch, capsys):
    monkeypatch.setattr(book, "in_book_build", lambda: False)
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # importing it would raise
    assert book.glue("share", 0.5) is None
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("value", [True, np.bool_(False), [1, 2], {"a": 1}, "這是一整句由程式產生的結論文字，不應該被黏進書裡"])
def test_sentences_and_non_numbers_are_refused(value):
    with pytest.raises(ValueError, match="expected a number or a short label"):
        book.glue("bad", value)


def test_names_must_be_identifiers():
    with pytest.raises(ValueError, match="letters, digits"):
        book.glue("not a name", 1)

"""Argument checks shared by the labsupport modules, so that the same mistake gets the same message.

- :func:`check_int` an integer count or size with a lower bound;
- :func:`check_non_negative` a non-negative integer such as an index or a token id (optionally None);
- :func:`check_seed` a random seed (a non-negative integer, optionally None).

All return the value as a Python ``int`` (or None) and raise ``ValueError``
naming the argument and what was expected. ``bool`` is refused although it is
an ``int`` subclass: ``units=True`` is a mistake, not 1.
"""
from __future__ import annotations

import numbers

__all__ = ["check_int", "check_non_negative", "check_seed"]


def check_int(name: str, value, minimum: int = 1) -> int:
    """``value`` as an ``int``; ``name`` is the argument's name for the message.

    Raises ``ValueError`` ("<name> must be an integer >= <minimum>, got ...")
    for a bool, a non-integer (also a float such as 3.0; its type is named) or
    a value below ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_non_negative(name: str, value, *, allow_none: bool = False, noun: str = "integer") -> int | None:
    """``value`` as an ``int`` >= 0 (None passes through when ``allow_none``).

    Raises ``ValueError`` ("<name> must be a non-negative <noun>[ or None], got ...")
    for a bool, a non-integer or a negative value.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        expected = f"a non-negative {noun}" + (" or None" if allow_none else "")
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return int(value)


def check_seed(seed, *, allow_none: bool = False) -> int | None:
    """``seed`` as an ``int`` (None passes through when ``allow_none``).

    Raises ``ValueError`` ("seed must be a non-negative integer[ or None], got ...")
    for a bool, a non-integer or a negative value.
    """
    return check_non_negative("seed", seed, allow_none=allow_none)

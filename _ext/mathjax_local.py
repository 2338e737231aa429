"""Serve MathJax 3 from the book itself instead of a CDN.

Readers on a slow or filtered network (a classroom, a plant's intranet) and the
offline browser test then see typeset formulas. The MathJax files come from
the PyPI package ``sphinx-mathjax-offline`` (MathJax 3.2, Apache 2.0); only the
parts a page loads are copied (about 2.5 MB instead of 24 MB): the combined
TeX→CommonHTML component, its web fonts, the TeX extensions it autoloads, the
menu and the assistive-MathML module the menu enables by default.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from sphinx.util.fileutil import copy_asset

PARTS = ("tex-chtml.js", "output", "input/tex/extensions", "ui", "a11y")
MATHJAX_PATH = "mathjax/tex-chtml.js"


def _source_dir() -> Path:
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise RuntimeError("the MathJax files come from the package sphinx-mathjax-offline: pip install it")
    return Path(spec.origin).parent / "static" / "mathjax"


def _copy(app, exc) -> None:
    if exc is not None or app.builder.format != "html":
        return
    source = _source_dir()
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in PARTS:
        src = source / part
        if src.is_dir():
            copy_asset(str(src), str(target / part))
        else:
            target.mkdir(parents=True, exist_ok=True)
            copy_asset(str(src), str(target))


def _use_local(app, config) -> None:
    _source_dir()  # fail early, with the message above, when the package is missing
    config.mathjax_path = MATHJAX_PATH


def setup(app):
    app.connect("config-inited", _use_local, priority=900)
    app.connect("build-finished", _copy)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

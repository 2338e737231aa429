"""Sphinx extension: the alt text of a notebook figure comes from the figure itself.

MyST-NB writes each image output of a cell to a file named after its hash and
gives the ``<img>`` no ``alt``, so the page's alt text was that hash. The
book's figures are drawn by ``labsupport.plots.figure_png`` (installed as
IPython's PNG formatter for matplotlib figures when ``labsupport.plots`` is
imported), which writes a Chinese description made from the figure's titles
and axis labels into the PNG's ``Description`` text chunk. After a page is
read, :func:`set_alt_from_png` copies that description into every image node
that has no alt of its own. No chapter cell needs image metadata for it.

An image without a description gets none invented: ``tests/test_site.py``
fails for any chapter figure whose alt is missing or not Chinese.
"""
from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

DESCRIPTION_KEYS = ("Description", "Title")


def png_description(path: Path) -> str | None:
    """The ``Description`` (or ``Title``) text chunk of a PNG file, or None."""
    try:
        from PIL import Image

        with Image.open(path) as image:
            text = getattr(image, "text", {}) or {}
    except (OSError, ValueError):
        return None
    for key in DESCRIPTION_KEYS:
        if text.get(key, "").strip():
            return text[key].strip()
    return None


def _image_path(app: Sphinx, uri: str) -> Path | None:
    srcdir = Path(app.srcdir)
    for candidate in (Path(uri), srcdir / uri.lstrip("/")):
        if candidate.suffix.lower() == ".png" and candidate.is_file():
            return candidate
    return None


def set_alt_from_png(app: Sphinx, doctree: nodes.document) -> None:
    for image in doctree.findall(nodes.image):
        if image.get("alt"):
            continue
        uri = image.get("uri", "")
        path = _image_path(app, uri)
        if path is None:
            continue
        description = png_description(path)
        if description:
            image["alt"] = description


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", set_alt_from_png)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

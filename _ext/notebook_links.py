"""Sphinx extension: launch and download buttons that open the generated notebooks.

The book's pages are MyST-markdown notebooks, but Colab opens only ``.ipynb``
files. ``scripts/make_notebooks.py`` writes one ``.ipynb`` per page under
``notebooks/`` (outside the Sphinx sources, and excluded from them). This
extension, for every page that has such a notebook:

- rewrites the launch buttons of sphinx-book-theme (Colab, Binder, JupyterHub,
  Deepnote) so they open ``notebooks/<page>.ipynb`` in the repository instead
  of the ``.md`` source;
- makes the ".ipynb" entry of the download menu download that notebook, which
  it copies into the site as ``_notebooks/<page>.ipynb``;
- warns (so ``-W`` fails the build) when a notebook page has no generated
  notebook (run ``scripts/make_notebooks.py``) or when a page shows an
  ipywidgets output while the site loads no widget JavaScript (see
  ``labsupport/widgets/__init__.py``).
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
# The repository root (this file is _ext/notebook_links.py). Not app.srcdir:
# `jupyter-book build book/page.md` builds a single page with srcdir = book/.
ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
SITE_DIR = "_notebooks"


def _generator(app: Sphinx):
    """The ``make_notebooks`` module of the book (path mapping shared with it)."""
    scripts = ROOT / "scripts"
    if str(scripts) not in sys.path:
        sys.path.insert(0, str(scripts))
    import make_notebooks  # noqa: PLC0415

    return make_notebooks


def generated_notebook(app: Sphinx, pagename: str) -> Path | None:
    """Path (relative to the book root) of the page's generated notebook, or None.

    Only MyST-markdown notebooks have one; ``.ipynb`` pages and plain pages do not.
    """
    source = Path(app.env.doc2path(pagename))
    make_notebooks = _generator(app)
    if not make_notebooks.is_myst_notebook(source):
        return None
    try:
        return make_notebooks.notebook_path_for(source, ROOT)
    except ValueError:  # a source outside the repository
        return None


def rewrite_buttons(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Point launch and download buttons at the generated notebook (after the theme built them)."""
    if doctree is None or "header_buttons" not in context:
        return
    notebook = generated_notebook(app, pagename)
    if notebook is None:
        return
    if not (ROOT / notebook).is_file():
        LOGGER.warning(
            f"no generated notebook {notebook} for this page; run `python scripts/make_notebooks.py`",
            location=pagename, type="notebook_links", subtype="missing")
        return
    options = app.config.html_theme_options or {}
    book_relpath = options.get("path_to_docs", "").strip("/")
    prefix = f"{book_relpath}/" if book_relpath else ""
    source_rel = f"{prefix}{context['sourcename']}"
    notebook_rel = f"{prefix}{notebook.as_posix()}"
    site_path = f"{SITE_DIR}/{notebook.relative_to(_generator(app).NOTEBOOK_DIR).as_posix()}"
    download_url = context["pathto"](site_path, 1)

    for group in context["header_buttons"]:
        if group.get("label") == "launch-buttons":
            for button in group.get("buttons", []):
                if button.get("type") == "link" and source_rel in button.get("url", ""):
                    button["url"] = button["url"].replace(source_rel, notebook_rel)
        if group.get("label") == "download-buttons":
            buttons = group.setdefault("buttons", [])
            ipynb = [b for b in buttons if b.get("label") == "download-notebook-button"]
            if ipynb:
                ipynb[0]["url"] = download_url
            else:
                buttons.insert(0, {
                    "type": "link", "url": download_url, "text": ".ipynb", "icon": "fas fa-code",
                    "tooltip": "下載筆記本檔案", "label": "download-notebook-button",
                })


def check_widgets(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Warn when a page shows an ipywidgets view but the site loads no widget JavaScript
    (``nb_ipywidgets_js`` empty): there the view would be dead."""
    if WIDGET_VIEW_MIME in context.get("body", "") and not getattr(app.config, "nb_ipywidgets_js", None):
        LOGGER.warning(
            "this page shows an ipywidgets output, but nb_ipywidgets_js loads no widget JavaScript; "
            "build the explorer with labsupport.widgets.frames.frame_explorer and keep the book's "
            "widget manager in nb_ipywidgets_js (see labsupport/widgets/__init__.py)",
            location=pagename, type="notebook_links", subtype="widget")


def copy_notebooks(app: Sphinx, exception) -> None:
    """Copy ``notebooks/**.ipynb`` into the site as ``_notebooks/`` (for the download link)."""
    if exception is not None or app.builder.format != "html":
        return
    source_dir = ROOT / _generator(app).NOTEBOOK_DIR
    target_dir = Path(app.outdir) / SITE_DIR
    if target_dir.exists():
        shutil.rmtree(target_dir)
    for notebook in sorted(source_dir.rglob("*.ipynb")) if source_dir.is_dir() else []:
        destination = target_dir / notebook.relative_to(source_dir)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(notebook, destination)


def setup(app: Sphinx) -> dict:
    # After sphinx-book-theme's add_launch_buttons / add_header_buttons (priority 501).
    app.connect("html-page-context", rewrite_buttons, priority=600)
    app.connect("html-page-context", check_widgets, priority=600)
    app.connect("build-finished", copy_notebooks)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

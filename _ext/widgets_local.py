"""Sphinx extension: the explorers work on the static pages, with the book's own widget JavaScript.

The explorers (``labsupport/widgets/``) are ipywidgets. When the book is
built, each one computes a frame for every position of its control and links
the control to a ``Stack`` of the frames in the browser (``jslink``; see
``labsupport/widgets/frames.py``). MyST-NB embeds the widget state of the
executed notebook in the page and loads the scripts listed in
``nb_ipywidgets_js`` (``_config.yml``); there it names the ipywidgets HTML
manager that the book serves itself, ``_static/jupyter-widgets/embed.js``
(copied from npm by ``scripts/vendor_widgets_js.sh``, committed under
``_ext/static/``), instead of MyST-NB's default CDN scripts.

This extension

- adds ``lab_site.css`` (explorer layout; in print the explorers are hidden,
  the static figure next to each stays, and long code lines wrap instead of
  being clipped at the margin);
- warns (``-W`` fails the build) when ``nb_ipywidgets_js`` names a script
  outside the site or one that is missing from the static folders.
"""
from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"


def local_widget_scripts(app: Sphinx) -> list[str]:
    """The ``nb_ipywidgets_js`` scripts, which must all be files under ``_ext/static``."""
    return list(getattr(app.config, "nb_ipywidgets_js", None) or {})


def check_widget_scripts(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    if str(STATIC) not in [str(path) for path in app.config.html_static_path]:
        app.config.html_static_path.append(str(STATIC))
    app.add_css_file("lab_site.css", priority=600)
    for script in local_widget_scripts(app):
        if "://" in script or script.startswith("//"):
            LOGGER.warning(f"nb_ipywidgets_js loads {script} from outside the site; serve it from _ext/static "
                           "(scripts/vendor_widgets_js.sh)", type="widgets_local")
        elif not (STATIC / script).is_file():
            LOGGER.warning(f"nb_ipywidgets_js names {script}, which is not in _ext/static; "
                           "run scripts/vendor_widgets_js.sh", type="widgets_local")


def setup(app: Sphinx) -> dict:
    # after zh_tw_ui.add_static, which puts _ext/static on html_static_path
    app.connect("builder-inited", check_widget_scripts, priority=600)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

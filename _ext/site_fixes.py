"""Sphinx extension: work-arounds that keep the site's own JavaScript error-free.

- Sphinx 7.4 adds every inline script that an extension registers after the
  builder started (``app.add_js_file(None, body=...)``) twice to each page:
  once as ``_JavaScript(None)``, once again from the registry as
  ``_JavaScript('')``, and the two do not compare equal. sphinx-thebe's
  ``const THEBE_JS_URL = ...`` then throws "Identifier 'THEBE_JS_URL' has
  already been declared" on every page. ``clean_scripts`` drops the second
  copy from the page's script list.
- MyST-NB embeds the ipywidgets state of a page's notebook even when the
  widget outputs are removed and no widget JavaScript is configured
  (``nb_ipywidgets_js: {}``), where nothing can use it: 15-50 kB of dead
  JSON per chapter. ``clean_scripts`` drops it in that case.
- pydata-sphinx-theme logs "Got invalid theme mode" as a console error on a
  first visit (no stored colour mode) unless the ``default_mode`` template
  variable is set; it is set to ``auto`` (follow the system) in
  ``html_context`` when ``_config.yml`` does not choose one.
"""
from __future__ import annotations

from sphinx.application import Sphinx


WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"


def clean_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Keep the first of scripts with the same file (``None`` = ``''``), priority and
    attributes; drop the widget state when no widget manager is loaded."""
    scripts = context.get("script_files")
    if not scripts:
        return
    drop_widget_state = not getattr(app.config, "nb_ipywidgets_js", None)
    seen = set()
    unique = []
    for script in scripts:
        filename = getattr(script, "filename", script) or ""
        if drop_widget_state and getattr(script, "attributes", {}).get("type") == WIDGET_STATE_MIME:
            continue
        attributes = tuple(sorted(getattr(script, "attributes", {}).items()))
        key = (filename, getattr(script, "priority", None), attributes)
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    # A new list: the builder's own list is restored after each page anyway.
    context["script_files"] = unique


def default_colour_mode(app: Sphinx, config) -> None:
    context = dict(config.html_context or {})
    if not context.get("default_mode"):
        context["default_mode"] = "auto"
        config.html_context = context


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", default_colour_mode, priority=400)
    # Last, after every extension that adds page-specific scripts.
    app.connect("html-page-context", clean_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

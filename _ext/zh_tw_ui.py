"""Sphinx extension: Traditional-Chinese (Taiwan) user interface and Chinese search.

With ``language: zh_TW`` the book's themes would show Simplified Chinese or
English in places: pydata-sphinx-theme ships only a Simplified ``zh`` catalog
(which Python's gettext picks as the fallback of ``zh_TW``), sphinx-book-theme's
``zh_TW`` catalog lacks the launch-button strings, and MyST-NB, sphinx-copybutton
and sphinx-togglebutton have English (or only ``zh-CN``) strings. This
extension, active only when ``language`` is ``zh_TW``:

- compiles the ``.po`` files in ``_ext/locale/zh_TW/LC_MESSAGES/`` (with Babel,
  which Sphinx already depends on) into ``_build/.zh_tw_locale`` and puts the
  ``sphinx``-domain catalog right after Sphinx's own ``zh_TW`` catalog, ahead of
  pydata-sphinx-theme's Simplified one; the ``booktheme`` catalog fills the gaps
  of sphinx-book-theme's;
- sets Traditional defaults for the search-box placeholder and the toggle hints
  (only where ``_config.yml`` does not set them);
- translates MyST-NB's default "Show/Hide code cell ..." prompts and the
  headers of ``{nb-exec-table}``;
- adds ``zh_tw_copybutton.js``, which gives sphinx-copybutton zh-TW labels;
- translates the few English tooltips, ``aria-label``s and image ``alt``s that
  the themes' templates hard-code (not translatable through gettext), in the
  rendered HTML of every page;
- points Sphinx's Chinese search (jieba) at ``search_terms.zh_TW.txt``, a user
  dictionary of the book's terms, so 資訊瓶頸 or 集束搜尋 are single index terms.
"""
from __future__ import annotations

import gettext
import re
from pathlib import Path

from docutils import nodes
from sphinx import locale
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

HERE = Path(__file__).resolve().parent
PO_DIR = HERE / "locale" / "zh_TW" / "LC_MESSAGES"
SEARCH_DICT = HERE / "search_terms.zh_TW.txt"
LOGGER = logging.getLogger(__name__)

SEARCH_BAR_TEXT = "搜尋本書…"
ENGLISH_SEARCH_BAR_TEXTS = {"Search this book...", "Search the docs ...", "Search..."}
TOGGLE_HINTS = {"togglebutton_hint": "點選以顯示", "togglebutton_hint_hide": "點選以隱藏"}

# MyST-NB's default prompts after it substitutes {type}; custom prompts are left alone.
MYST_NB_PROMPTS = {
    "Show code cell content": "顯示程式碼儲存格",
    "Hide code cell content": "隱藏程式碼儲存格",
    "Show code cell source": "顯示程式碼",
    "Hide code cell source": "隱藏程式碼",
    "Show code cell output": "顯示輸出",
    "Hide code cell output": "隱藏輸出",
    "Show code cell outputs": "顯示輸出",
    "Hide code cell outputs": "隱藏輸出",
}
EXEC_TABLE_HEADERS = {
    "Document": "頁面",
    "Modified": "修改時間",
    "Method": "執行方式",
    "Run Time (s)": "執行時間（秒）",
    "Status": "狀態",
}

# Hard-coded in theme templates or MyST-NB's HTML visitor (not in any catalog).
TEMPLATE_ATTRIBUTES = {
    'aria-label="Main"': 'aria-label="主要導覽"',
    'aria-label="Page"': 'aria-label="本頁導覽"',
    'title="Toggle primary sidebar"': 'title="顯示或隱藏左側目錄"',
    'title="Toggle secondary sidebar"': 'title="顯示或隱藏本頁目錄"',
    'aria-label="Toggle hidden content"': 'aria-label="顯示或隱藏內容"',
}
LOGO_ALT = re.compile(r'alt="([A-Za-z]+) logo"')


def localize_template_attributes(html: str) -> str:
    """Replace the themes' hard-coded English attribute texts in a rendered page."""
    for english, chinese in TEMPLATE_ATTRIBUTES.items():
        html = html.replace(english, chinese)
    return LOGO_ALT.sub(r'alt="\1 標誌"', html)


def _is_zh_tw(app: Sphinx) -> bool:
    return (app.config.language or "").replace("-", "_").lower() in ("zh_tw", "zh_hant_tw")


def compile_catalogs(target: Path) -> dict[str, Path]:
    """Compile every ``.po`` in ``PO_DIR`` to ``target/zh_TW/LC_MESSAGES/<domain>.mo``.

    Returns ``{domain: mo_path}``. A ``.mo`` newer than its ``.po`` is reused.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    out_dir = target / "zh_TW" / "LC_MESSAGES"
    out_dir.mkdir(parents=True, exist_ok=True)
    compiled = {}
    for po_path in sorted(PO_DIR.glob("*.po")):
        mo_path = out_dir / f"{po_path.stem}.mo"
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale="zh_TW", domain=po_path.stem)
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)
        compiled[po_path.stem] = mo_path
    return compiled


def _insert_after_head(domain: str, mo_path: Path) -> None:
    """Put ``mo_path``'s catalog second in the domain's gettext chain.

    The head of the chain is Sphinx's own catalog for the language (Jinja
    templates hold a reference to that object, so it must stay the head);
    anything after it, such as pydata-sphinx-theme's Simplified ``zh``
    catalog, becomes a fallback of ours.
    """
    head = locale.translators.get(("general", domain))
    with mo_path.open("rb") as mo_file:
        ours = gettext.GNUTranslations(mo_file)
    if head is None:
        locale.translators["general", domain] = ours
        return
    ours._fallback = head._fallback  # noqa: SLF001 - gettext's documented chain slot
    head._fallback = ours  # noqa: SLF001


def set_ui_defaults(app: Sphinx, config) -> None:
    """Traditional defaults for settings whose default text is English."""
    if not _is_zh_tw(app):
        return
    # What _config.yml set explicitly (jupyter-book passes it as overrides).
    user_set = set(config._raw_config) | set(config.overrides)  # noqa: SLF001
    for name, text in TOGGLE_HINTS.items():
        if name not in user_set:
            setattr(config, name, text)
    options = dict(config.html_theme_options or {})
    if options.get("search_bar_text", "Search this book...") in ENGLISH_SEARCH_BAR_TEXTS:
        options["search_bar_text"] = SEARCH_BAR_TEXT
        config.html_theme_options = options
    search_options = dict(config.html_search_options or {})
    if (config.html_search_language or "").startswith("zh") and "dict" not in search_options:
        search_options["dict"] = str(SEARCH_DICT)
        config.html_search_options = search_options


def add_static(app: Sphinx) -> None:
    """Add the copy-button labels and wrap page rendering (HTML builders, zh_TW only)."""
    if app.builder.format != "html" or not _is_zh_tw(app):
        return
    app.config.html_static_path.append(str(HERE / "static"))
    app.add_js_file("zh_tw_copybutton.js", priority=600)
    templates = app.builder.templates
    render = templates.render

    def render_localized(template_name: str, context: dict) -> str:
        return localize_template_attributes(render(template_name, context))

    templates.render = render_localized


class LocalizeMystNbPrompts(SphinxPostTransform):
    """Translate MyST-NB's default hide/show prompts (runs after MyST-NB's HideInputCells)."""

    default_priority = 200
    formats = ("html",)

    def run(self, **kwargs) -> None:
        if not _is_zh_tw(self.app):
            return
        for node in self.document.findall(nodes.Element):
            if "prompt_show" in node.attributes and "prompt_hide" in node.attributes:
                for key in ("prompt_show", "prompt_hide"):
                    node[key] = MYST_NB_PROMPTS.get(node[key], node[key])


class LocalizeExecTable(SphinxPostTransform):
    """Translate MyST-NB's ``{nb-exec-table}`` (built at priority 8, links resolved at 10).

    Header row in Chinese; each page named by its title rather than its path;
    the status as 成功/失敗 instead of emoji, which need an emoji font.
    """

    default_priority = 9

    def run(self, **kwargs) -> None:
        if not _is_zh_tw(self.app):
            return
        for table in self.document.findall(nodes.table):
            thead = next(iter(table.findall(nodes.thead)), None)
            if thead is None:
                continue
            headers = [p.astext() for p in thead.findall(nodes.paragraph)]
            if headers != list(EXEC_TABLE_HEADERS):
                continue
            for paragraph in thead.findall(nodes.paragraph):
                paragraph.children = [nodes.Text(EXEC_TABLE_HEADERS[paragraph.astext()])]
            for row in table.findall(nodes.row):
                if row.parent is thead:
                    continue
                self._localize_row(row)

    def _localize_row(self, row: nodes.row) -> None:
        entries = list(row.children)
        for inline in entries[0].findall(nodes.inline):
            title = self.env.titles.get(inline.astext())
            if title is not None:
                inline.children = [nodes.Text(title.astext())]
        status = entries[-1]
        for text in list(status.findall(nodes.Text)):
            if text.astext() in ("✅", "❌"):
                text.parent.replace(text, nodes.Text("成功" if text.astext() == "✅" else "失敗"))


def setup(app: Sphinx) -> dict:
    if _is_zh_tw(app):
        target = Path(app.doctreedir).parent / ".zh_tw_locale"
        for domain, mo_path in compile_catalogs(target).items():
            if domain == "sphinx":
                _insert_after_head(domain, mo_path)
            else:
                # Theme catalogs loaded earlier keep priority; ours fills their gaps.
                app.add_message_catalog(domain, str(target))
    app.connect("config-inited", set_ui_defaults, priority=400)
    app.connect("builder-inited", add_static)
    app.add_post_transform(LocalizeMystNbPrompts)
    app.add_post_transform(LocalizeExecTable)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

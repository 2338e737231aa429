"""The published site: Traditional-Chinese UI, Chinese search, links, launch buttons, and a real browser.

Reads the book that ``make book`` built into ``_build/html`` (``make test`` runs
``make book`` first); fails with a message when it is missing.

The static checks parse the HTML files. The ``browser`` tests serve
``_build/html`` on 127.0.0.1 and open every page of ``_toc.yml`` in headless
Chromium (Debian's ``chromium`` through Playwright); they skip, saying why,
only when no Chromium can be found. Requests to other hosts (a CDN's fonts or
scripts) are aborted on purpose: the test machine has no internet and
the published site's own files must work without them, so a missing CDN asset
never fails a test; errors from the site's own files always do.

Issue 17 added: every chapter figure has a Chinese alt text and is readable at
a 1440 x 900 window (shown at >= 0.8 of its width, or its smallest text >= 9 px
on screen); every explorer works without a kernel (moved with the keyboard, it
shows the frame precomputed for the value, with the site's own widget
JavaScript and no request outside the site); print wraps long code lines and
hides the explorers; a chapter page with its frames and images stays <= 6 MB.
"""
from __future__ import annotations

import functools
import html
import importlib.util
import json
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
sys.path.insert(0, str(ROOT / "scripts"))

import make_notebooks  # noqa: E402
import print_book  # noqa: E402

TOC_PAGES = make_notebooks.toc_docnames(make_notebooks.load_yaml(ROOT / "_toc.yml"))
CONFIG = make_notebooks.load_yaml(ROOT / "_config.yml")

# What must never appear in a cell's output on a page.
OUTPUT_NOISE = [
    "Traceback (most recent call last)", "cpu_feature_guard", "oneDNN", "absl::", "I0000", "W0000",
    "E0000", "cudart_stub", "Could not find cuda drivers", "Unable to register cuDNN",
    "WARNING: All log messages before absl",
]
# English UI strings of the themes and MyST-NB that the zh_TW build must translate.
ENGLISH_UI = [
    "Skip to main content", "Back to top", "Search this book", "Show code cell", "Hide code cell",
    "Launch interactive content", "Download this page", "Toggle primary sidebar", "Color mode",
    "On this page", "Click to show", "Section Navigation", "Open issue", "Print to PDF",
]
# Attributes whose text a reader sees (tooltips, placeholders) or hears (aria-label, alt).
VISIBLE_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder", "data-tooltip")


# ---------------------------------------------------------------------------
# helpers


def require_site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE / 'index.html'} is missing: run `make book` first (make test does).")
    return SITE


def page_file(docname: str) -> Path:
    return SITE / f"{docname}.html"


class _PageParser(HTMLParser):
    """Visible text, visible attribute texts, links, ids and cell outputs of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.attribute_text: list[str] = []
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, url)
        self.ids: set[str] = set()
        self.outputs: list[str] = []
        self._skip = 0
        self._output_depth = 0
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "style", "template"):
            self._skip += 1
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("name"):
            self.ids.add(attributes["name"])
        for name in VISIBLE_ATTRIBUTES:
            if attributes.get(name):
                self.attribute_text.append(attributes[name])
        for name in ("href", "src"):
            if attributes.get(name) and tag in ("a", "img", "link", "script", "source"):
                self.links.append((tag, name, attributes[name]))
        if tag not in ("br", "img", "meta", "link", "input", "hr", "source", "wbr", "area", "col"):
            classes = (attributes.get("class") or "").split()
            entering_output = "cell_output" in classes
            self._stack.append("output" if entering_output else tag)
            if entering_output:
                self._output_depth += 1
                self.outputs.append("")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._skip = max(0, self._skip - 1)
        if tag in ("br", "img", "meta", "link", "input", "hr", "source", "wbr", "area", "col"):
            return
        # pop to the matching tag (HTML in the wild may leave some open)
        while self._stack:
            top = self._stack.pop()
            if top == "output":
                self._output_depth -= 1
            if top == tag or (top == "output" and tag == "div"):
                break

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._output_depth > 0:
            self.outputs[-1] += data


@functools.lru_cache(maxsize=None)
def parse_page(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def site_pages() -> list[Path]:
    """Every page of the toc plus the search and index pages."""
    pages = [page_file(docname) for docname in TOC_PAGES]
    pages += [SITE / "search.html", SITE / "genindex.html"]
    return [page for page in pages if page.is_file()]


def simplified_table() -> tuple[dict[str, str], str]:
    """Simplified -> Traditional table of /work/shared/tools/zh_tw_check.py (or $ZH_TW_CHECK).

    Returns ({}, reason) when the tool is not there (a clone without the shared
    tools); the catalog-based checks below still run.
    """
    candidates = [os.environ.get("ZH_TW_CHECK", ""), ROOT.parent / "shared" / "tools" / "zh_tw_check.py",
                  "/work/shared/tools/zh_tw_check.py"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            spec = importlib.util.spec_from_file_location("zh_tw_check", candidate)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module.SIMPLIFIED_TO_TW, str(candidate)
    return {}, "zh_tw_check.py not found (set ZH_TW_CHECK to its path)"


def pydata_simplified_strings() -> list[str]:
    """The Simplified strings of pydata-sphinx-theme's zh catalog (what leaked before the fix)."""
    from babel.messages.pofile import read_po
    import pydata_sphinx_theme

    po_path = Path(pydata_sphinx_theme.__file__).parent / "locale" / "zh" / "LC_MESSAGES" / "sphinx.po"
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file)
    with (ROOT / "_ext" / "locale" / "zh_TW" / "LC_MESSAGES" / "sphinx.po").open("rb") as po_file:
        ours = {message.id: message.string for message in read_po(po_file) if message.id}
    strings = []
    for message in catalog:
        # skip strings written the same way in Traditional (公告, 版本警告)
        if message.id and message.string and message.string not in (message.id, ours.get(message.id)):
            strings.append(re.sub(r"<[^>]+>|%\([a-z_]+\)s", "", message.string).strip(" .。"))
    return [s for s in strings if re.search(r"[\u4e00-\u9fff]", s)]


def search_index() -> dict:
    text = (SITE / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1: text.rindex(")")])


# ---------------------------------------------------------------------------
# catalog (no build needed)


def test_our_catalog_translates_every_string_pydata_ships_in_simplified():
    """Every pydata-sphinx-theme message has a Traditional translation before its zh fallback."""
    import gettext

    import pydata_sphinx_theme
    import sphinx
    from babel.messages.pofile import read_po

    ours = {}
    with (ROOT / "_ext" / "locale" / "zh_TW" / "LC_MESSAGES" / "sphinx.po").open("rb") as po_file:
        for message in read_po(po_file):
            if message.id:
                ours[message.id] = message.string
    sphinx_tw = gettext.translation("sphinx", str(Path(sphinx.__file__).parent / "locale"), ["zh_TW"])
    po_path = Path(pydata_sphinx_theme.__file__).parent / "locale" / "zh" / "LC_MESSAGES" / "sphinx.po"
    with po_path.open("rb") as po_file:
        pydata = [m for m in read_po(po_file) if m.id]
    assert pydata, "pydata-sphinx-theme's zh catalog is empty: did its layout change?"
    untranslated = [m.id for m in pydata
                    if not ours.get(m.id) and sphinx_tw.gettext(m.id if isinstance(m.id, str) else m.id[0]) == m.id]
    assert untranslated == []
    table, _ = simplified_table()
    simplified = [(msgid, text) for msgid, text in ours.items() if any(ch in table for ch in text)]
    assert simplified == []


# ---------------------------------------------------------------------------
# static checks of the built HTML


def test_every_toc_page_was_built():
    require_site()
    missing = [docname for docname in TOC_PAGES if not page_file(docname).is_file()]
    assert missing == [], "pages of _toc.yml without HTML"


def test_ui_strings_are_traditional_chinese():
    require_site()
    table, source = simplified_table()
    leaked = pydata_simplified_strings()
    assert leaked, "found no Simplified strings in pydata's catalog to check against"
    problems = []
    for page in site_pages():
        parsed = parse_page(page)
        text = html.unescape(" ".join(parsed.text + parsed.attribute_text))
        rel = page.relative_to(SITE).as_posix()
        problems += [f"{rel}: Simplified UI string {s!r}" for s in leaked if s in text]
        problems += [f"{rel}: English UI string {s!r}" for s in ENGLISH_UI if s in text]
        for index, char in enumerate(text):
            if char in table:
                problems.append(f"{rel}: {char} -> {table[char]} in {text[max(0, index - 12):index + 12]!r}")
    assert problems == [], f"(character table: {source})"


def test_chinese_terms_are_in_the_search_index():
    require_site()
    index = search_index()
    docnames = index["docnames"]

    def pages_for(term):
        hits = []
        for key in ("terms", "titleterms"):
            found = index[key].get(term, [])
            hits += [docnames[i] for i in ([found] if isinstance(found, int) else found)]
        return set(hits)

    assert "book/02-attention" in pages_for("注意力")
    assert "book/01-bidirectional-rnn" in pages_for("雙向")
    # the book's user dictionary keeps multi-character terms whole (jieba alone splits 資訊瓶頸)
    assert pages_for("資訊瓶頸"), "資訊瓶頸 is not an index term: is jieba installed?"


def test_internal_links_resolve():
    require_site()
    broken = []
    for page in site_pages():
        parsed = parse_page(page)
        for tag, attribute, url in parsed.links:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith(("mailto:", "javascript:", "data:")):
                continue
            if not parts.path:  # same-page anchor
                if parts.fragment and parts.fragment not in parsed.ids and tag == "a":
                    broken.append(f"{page.relative_to(SITE)}: #{parts.fragment} has no target")
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(SITE)}: {tag}[{attribute}]={url} -> missing file")
            elif parts.fragment and target.suffix == ".html" and tag == "a":
                if parts.fragment not in parse_page(target).ids:
                    broken.append(f"{page.relative_to(SITE)}: {url} -> no id {parts.fragment!r}")
    assert broken == []


def test_cell_outputs_have_no_traceback_or_tensorflow_noise():
    require_site()
    found = []
    for docname in TOC_PAGES:
        for output in parse_page(page_file(docname)).outputs:
            found += [f"{docname}: {pattern!r} in output {output.strip()[:120]!r}"
                      for pattern in OUTPUT_NOISE if pattern in output]
    assert found == []


def test_launch_and_download_buttons_open_the_generated_notebooks():
    require_site()
    repo_url = CONFIG["repository"]["url"].rstrip("/")
    branch = CONFIG["repository"].get("branch", "main")
    org_repo = "/".join(repo_url.split("/")[-2:])
    checked = 0
    for docname in TOC_PAGES:
        source = make_notebooks.resolve_source(docname)
        if not make_notebooks.is_myst_notebook(source):
            continue
        notebook = make_notebooks.notebook_path_for(source).as_posix()
        assert (ROOT / notebook).is_file(), f"{notebook} missing: run scripts/make_notebooks.py"
        links = [url for tag, _, url in parse_page(page_file(docname)).links if tag == "a"]
        colab = f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/{notebook}"
        binder = f"https://mybinder.org/v2/gh/{org_repo}/{branch}?urlpath=lab/tree/{notebook}"
        assert colab in links, f"{docname}: no Colab link to {notebook}"
        assert binder in links, f"{docname}: no Binder link to {notebook}"
        downloads = [url for url in links if url.endswith(".ipynb") and "_notebooks/" in url]
        assert downloads, f"{docname}: no .ipynb download link"
        downloaded = (page_file(docname).parent / downloads[0]).resolve()
        assert downloaded.read_bytes() == (ROOT / notebook).read_bytes()
        assert not any(url.endswith(f"{docname}.md") and "colab" in url for url in links)
        checked += 1
    assert checked > 0, "no page of the toc is a MyST notebook"


def test_exercise_pages_open_their_student_notebook_on_colab():
    # The student versions (book/exercises/*.ipynb) are pages of the book, not
    # executed at build time; their Colab button opens the same notebook file.
    require_site()
    repo_url = CONFIG["repository"]["url"].rstrip("/")
    org_repo = "/".join(repo_url.split("/")[-2:])
    branch = CONFIG["repository"].get("branch", "main")
    pages = [d for d in TOC_PAGES if d.startswith("book/exercises/") and (ROOT / f"{d}.ipynb").is_file()]
    assert pages, "no exercise notebook page in the toc"
    for docname in pages:
        links = [url for tag, _, url in parse_page(page_file(docname)).links if tag == "a"]
        colab = f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/{docname}.ipynb"
        assert colab in links, f"{docname}: no Colab link to its notebook"
        text = page_file(docname).read_text(encoding="utf-8")
        assert "在此作答" in text, f"{docname}: the answer stubs are not shown"


# The explorers of each chapter (labsupport/widgets): the page, and how many.
EXPLORERS = {"book/01-bidirectional-rnn": 1, "book/02-attention": 2, "book/03-seq2seq-attention": 2}
WIDGET_JS = "_static/jupyter-widgets/embed.js"
# A chapter page with its images and embedded explorer frames must stay below this.
PAGE_WEIGHT_LIMIT = 6_000_000
CJK = re.compile(r"[\u4e00-\u9fff]")


def _widget_scripts(text: str) -> list[str]:
    return re.findall(r'<script[^>]*src="([^"]*(?:embed|html-manager|require)[^"]*\.js[^"]*)"', text)


def test_explorers_embed_their_state_and_load_the_sites_own_widget_javascript():
    require_site()
    for docname in TOC_PAGES:
        text = page_file(docname).read_text(encoding="utf-8")
        views = text.count('type="application/vnd.jupyter.widget-view+json"')
        assert views == EXPLORERS.get(docname, 0), f"{docname}: {views} widget views"
        scripts = _widget_scripts(text)
        if views:
            assert 'type="application/vnd.jupyter.widget-state+json"' in text, f"{docname}: no widget state"
            assert len(scripts) == 1 and scripts[0].split("?")[0].endswith(WIDGET_JS), \
                f"{docname}: widget JavaScript must come from the site itself: {scripts}"
        else:
            assert scripts == [] and "application/vnd.jupyter.widget-state+json" not in text, docname
        for cdn in ("@jupyter-widgets/html-manager", "require.min.js", "data-jupyter-widgets-cdn"):
            assert cdn not in text, f"{docname} refers to MyST-NB's CDN widget scripts ({cdn})"
    assert (SITE / WIDGET_JS).is_file()


def _page_images(docname: str) -> list[Path]:
    page = page_file(docname)
    text = page.read_text(encoding="utf-8")
    files = []
    for src in re.findall(r'<img[^>]*\ssrc="([^"]+)"', text):
        if src.startswith("data:") or "://" in src:
            continue
        path = (page.parent / unquote(src.split("#")[0].split("?")[0])).resolve()
        if path.is_file():
            files.append(path)
    return sorted(set(files))


def test_chapter_pages_with_their_frames_stay_under_6_mb():
    require_site()
    for docname in EXPLORERS:
        html_bytes = page_file(docname).stat().st_size
        image_bytes = sum(path.stat().st_size for path in _page_images(docname))
        total = html_bytes + image_bytes
        assert total <= PAGE_WEIGHT_LIMIT, \
            f"{docname}: {total / 1e6:.1f} MB (page {html_bytes / 1e6:.1f} MB with the explorer frames, " \
            f"images {image_bytes / 1e6:.1f} MB)"


def _output_images(docname: str) -> list[tuple[str, str]]:
    """(src, alt) of every image in a page's cell outputs (the figures)."""
    text = page_file(docname).read_text(encoding="utf-8")
    images = []
    for tag in re.findall(r"<img\b[^>]*>", text):
        src = re.search(r'\ssrc="([^"]+)"', tag)  # not the frames inside the widget state (JSON-escaped)
        alt = re.search(r'\salt="([^"]*)"', tag)
        if src is None or ("jupyter_execute" not in src.group(1) and "_images/" not in src.group(1)):
            continue
        images.append((src.group(1), html.unescape(alt.group(1)) if alt else ""))
    return images


def test_every_chapter_figure_has_a_chinese_alt_text():
    require_site()
    for docname in EXPLORERS:
        images = _output_images(docname)
        assert images, f"{docname}: no figures found"
        for src, alt in images:
            name = Path(src).stem
            assert alt and name not in alt, f"{docname}: {src} has no alt text of its own ({alt!r})"
            assert CJK.search(alt) and alt.startswith("圖："), f"{docname}: {src} alt is not Chinese: {alt!r}"
            assert len(alt) >= 8, f"{docname}: {src} alt says too little: {alt!r}"


# ---------------------------------------------------------------------------
# browser


@pytest.fixture(scope="module")
def server():
    require_site()
    with print_book.serve(SITE) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = print_book.find_chromium()
    with sync_api.sync_playwright() as playwright:
        if executable is None:
            bundled = Path(playwright.chromium.executable_path)
            if not bundled.is_file():
                pytest.skip("no Chromium found: install Debian's `chromium` (make sysdeps) "
                            "or set CHROMIUM_PATH")
            executable = str(bundled)
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # fresh user-data-dir
            executable_path=executable,
            headless=True,
            args=print_book.CHROMIUM_ARGS,
            viewport={"width": 1440, "height": 900},  # the window the figures are checked at
        )
        yield context
        context.close()


def _open(browser, server, path, outside: list | None = None):
    """Open ``path`` and collect the site's own errors; other hosts are aborted (no internet)
    and, when ``outside`` is a list, recorded in it."""
    page = browser.new_page()
    errors: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(server) or url.startswith("data:") or url.startswith("blob:"):
            request_route.continue_()
        else:  # CDN assets (MathJax, ...): unreachable offline, not the site's own files
            if outside is not None:
                outside.append(url)
            request_route.abort()

    def on_console(message):
        url = (message.location or {}).get("url", "")
        own = url.startswith(server) or not url
        # Chromium's automatic /favicon.ico request is not made by the site.
        if message.type == "error" and own and not url.endswith("/favicon.ico") \
                and "net::ERR_FAILED" not in message.text:
            errors.append(f"console error: {message.text} ({url})")

    def on_request_failed(request):
        if request.url.startswith(server):
            errors.append(f"failed to load own file {request.url}: {request.failure}")

    def on_response(response):
        if response.url.startswith(server) and response.status >= 400 \
                and not response.url.endswith("/favicon.ico"):
            errors.append(f"HTTP {response.status} for {response.url}")

    page.route("**/*", route)
    page.on("pageerror", lambda error: errors.append(f"uncaught JavaScript error: {error}"))
    page.on("console", on_console)
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    page.goto(f"{server}/{path}", wait_until="load", timeout=60_000)
    return page, errors


@pytest.mark.browser
@pytest.mark.parametrize("docname", TOC_PAGES)
def test_page_in_browser(browser, server, docname):
    page, errors = _open(browser, server, f"{docname}.html")
    try:
        page.wait_for_timeout(300)  # let DOMContentLoaded handlers run
        assert errors == [], f"{docname}: errors from the site's own files"

        images = page.evaluate("""async () => {
            const images = Array.from(document.images);
            images.forEach(img => { img.loading = "eager"; });
            await Promise.all(images.map(img => img.complete ? null
                : new Promise(done => { img.onload = img.onerror = done; })));
            return images.map(img => [img.getAttribute("src"), img.naturalWidth]);
        }""")
        assert [src for src, width in images if width == 0] == [], f"{docname}: images that did not load"

        outputs = page.locator(".cell_output").all_inner_texts()
        noise = [(pattern, text[:120]) for text in outputs for pattern in OUTPUT_NOISE if pattern in text]
        assert noise == [], f"{docname}: traceback or TensorFlow log in a cell output"

        # Math: MathJax is served from the book itself (_ext/mathjax_local.py),
        # so every formula must be typeset, offline too.
        math = page.evaluate("""async () => {
            const containers = document.querySelectorAll("span.math, div.math").length;
            if (typeof window.MathJax !== "object") return {mathjax: false, containers};
            if (window.MathJax.startup && window.MathJax.startup.promise) await window.MathJax.startup.promise;
            return {
                mathjax: typeof window.MathJax.typesetPromise === "function",
                containers,
                typeset: document.querySelectorAll("mjx-container").length,
                errors: document.querySelectorAll("mjx-merror").length,
            };
        }""")
        if math["containers"]:
            assert math["mathjax"], f"{docname}: MathJax did not load from _static/mathjax"
            assert math["typeset"] >= math["containers"], f"{docname}: math not typeset"
            assert math["errors"] == 0, f"{docname}: MathJax reported TeX errors"

        title = page.locator("article h1").first.inner_text()
        assert title.strip(), f"{docname}: no title"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{docname.replace('/', '__')}.png"))
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.parametrize("query, expected", [("注意力", "book/02-attention.html"),
                                             ("雙向", "book/01-bidirectional-rnn.html")])
def test_search_page_finds_chinese_terms(browser, server, query, expected):
    page, errors = _open(browser, server, f"search.html?q={query}")
    try:
        # Sphinx lists the results one by one (5 ms apart) and writes the status line
        # ("Search finished, found N page(s)…", or "did not match") only after the last one:
        # wait for that line, whatever its language, so the list is complete when it is read.
        page.wait_for_function(
            "() => { const s = document.querySelector('#search-results p.search-summary');"
            " return s !== null && s.innerText.trim().length > 0; }", timeout=30_000)
        hrefs = page.eval_on_selector_all("#search-results ul.search li a", "links => links.map(a => a.href)")
        assert any(expected in href for href in hrefs), f"search for {query} did not list {expected}: {hrefs}"
        status = page.inner_text("#search-results p.search-summary")
        assert "搜尋結束" in status and "Search finished" not in status, \
            f"the search status line is not in Traditional Chinese: {status!r}"
        assert errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_copy_button_has_traditional_labels(browser, server):
    notebooks = [d for d in TOC_PAGES
                 if make_notebooks.is_myst_notebook(make_notebooks.resolve_source(d) or Path("none"))]
    docname = notebooks[0] if notebooks else None
    if docname is None:
        pytest.skip("no notebook page with code in the toc")
    page, errors = _open(browser, server, f"{docname}.html")
    try:
        tooltips = page.eval_on_selector_all("button.copybtn", "bs => bs.map(b => b.dataset.tooltip)")
        assert tooltips, "no copy buttons on a notebook page"
        assert set(tooltips) == {"複製"}
    finally:
        page.close()


# ---------------------------------------------------------------------------
# figures a reader can read, explorers that work without a kernel

# At a 1440 x 900 window a figure must show at >= 0.8 of its natural width, or
# its smallest text (recorded in the PNG by labsupport.plots.figure_png) must
# be >= 9 px on screen.
MIN_SCALE = 0.8
MIN_TEXT_PX = 9.0


def _smallest_text_px(path: Path) -> float | None:
    from PIL import Image

    with Image.open(path) as image:
        value = (getattr(image, "text", {}) or {}).get("labsupport:smallest-text-px")
    return float(value) if value else None


def _wait_for_widgets(page, count: int) -> None:
    if count:
        page.wait_for_function(f"() => document.querySelectorAll('.lab-explorer').length >= {count}",
                               timeout=60_000)


@pytest.mark.browser
@pytest.mark.parametrize("docname", list(EXPLORERS))
def test_figures_are_readable_at_1440_px(browser, server, docname):
    page, errors = _open(browser, server, f"{docname}.html")
    try:
        _wait_for_widgets(page, EXPLORERS[docname])
        figures = page.evaluate("""async () => {
            const images = Array.from(document.querySelectorAll(".cell_output img"));
            images.forEach(img => { img.loading = "eager"; });
            await Promise.all(images.map(img => img.complete ? null
                : new Promise(done => { img.onload = img.onerror = done; })));
            return images.filter(img => img.getBoundingClientRect().width > 0).map(img => ({
                src: img.getAttribute("src").slice(0, 200), natural: img.naturalWidth,
                shown: img.getBoundingClientRect().width,
                smallest: img.dataset.smallestTextPx ? parseFloat(img.dataset.smallestTextPx) : null}));
        }""")
        assert figures, f"{docname}: no figures"
        unreadable = []
        for figure in figures:
            scale = figure["shown"] / figure["natural"]
            smallest = figure["smallest"]
            if smallest is None and not figure["src"].startswith("data:"):
                smallest = _smallest_text_px((SITE / docname).parent / unquote(figure["src"]))
            if scale >= MIN_SCALE or (smallest is not None and smallest * scale >= MIN_TEXT_PX):
                continue
            unreadable.append(f"{figure['src'][-30:]}: {figure['natural']} px shown at {figure['shown']:.0f} "
                              f"(scale {scale:.2f}, smallest text {smallest} px -> "
                              f"{(smallest or 0) * scale:.1f} px)")
        assert unreadable == [], f"{docname}: figures too small to read:\n" + "\n".join(unreadable)
        assert errors == []
    finally:
        page.close()


# explorer: (page, index on the page, keys that move its control, how many positions it has)
EXPLORER_CASES = [
    ("book/01-bidirectional-rnn", 0, 4),
    ("book/02-attention", 0, 21),
    ("book/02-attention", 1, 21),
    ("book/03-seq2seq-attention", 0, 8),
    ("book/03-seq2seq-attention", 1, 9),
]

_FRAME_STATE_JS = """() => {
    const script = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
    const state = JSON.parse(script.textContent).state;
    const frames = {};
    for (const [id, model] of Object.entries(state)) {
        const value = model.state && model.state.value;
        if (model.model_name === "HTMLModel" && typeof value === "string" && value.includes('class="lab-frame"')) {
            const template = document.createElement("template");  // serialised as the browser parses it
            template.innerHTML = value;
            frames[id] = template.content.firstElementChild.outerHTML;
        }
    }
    return frames;
}"""

_SHOWN_JS = """(index) => {
    const explorer = document.querySelectorAll('.lab-explorer')[index];
    const visible = Array.from(explorer.querySelectorAll('.lab-frame'))
        .filter(frame => frame.offsetParent !== null && frame.getBoundingClientRect().height > 0);
    const readout = explorer.querySelector('.widget-readout');
    const pressed = explorer.querySelector('.widget-toggle-button.mod-active, button.mod-active');
    return {
        count: visible.length,
        value: visible.length ? visible[0].dataset.value : null,
        html: visible.length ? visible[0].outerHTML : null,
        control: readout ? readout.textContent.trim() : (pressed ? pressed.textContent.trim() : null),
    };
}"""


def _normalise(markup: str) -> str:
    # the theme makes scrollable <pre> focusable (tabindex) once they are on the page
    markup = re.sub(r'\stabindex="-?\d+"', "", markup)
    return re.sub(r"\s+", " ", html.unescape(markup)).strip()


@pytest.mark.browser
@pytest.mark.parametrize("docname, index, positions", EXPLORER_CASES)
def test_explorer_works_without_a_kernel(browser, server, docname, index, positions):
    outside: list[str] = []
    page, errors = _open(browser, server, f"{docname}.html", outside)
    try:
        _wait_for_widgets(page, EXPLORERS[docname])
        explorer = page.locator(".lab-explorer").nth(index)
        explorer.scroll_into_view_if_needed()
        frames = page.evaluate(_FRAME_STATE_JS)
        precomputed: dict[str, list[str]] = {}
        for value in frames.values():
            label = html.unescape(re.search(r'data-value="([^"]*)"', value).group(1))
            precomputed.setdefault(label, []).append(_normalise(value))
        seen = []
        shown = page.evaluate(_SHOWN_JS, index)
        seen.append(shown)
        handle = explorer.locator(".noUi-handle")
        if handle.count():
            handle.first.focus()
            moves = ["End", "Home", "ArrowRight", "ArrowRight"]
            for key in moves:
                page.keyboard.press(key)
                page.wait_for_timeout(150)
                seen.append(page.evaluate(_SHOWN_JS, index))
        else:  # toggle buttons: focus one and press it with the keyboard
            buttons = explorer.locator("button")
            assert buttons.count() == positions
            for position in (positions - 1, 1):
                buttons.nth(position).focus()
                page.keyboard.press("Enter")
                page.wait_for_timeout(150)
                seen.append(page.evaluate(_SHOWN_JS, index))
        for state in seen:
            assert state["count"] == 1, f"{docname} explorer {index}: {state['count']} frames visible"
            assert state["value"] == state["control"], \
                f"{docname} explorer {index}: control shows {state['control']!r}, frame is for {state['value']!r}"
            expected = precomputed.get(state["value"])
            assert expected, f"no precomputed frame for {state['value']!r}"
            assert _normalise(state["html"]) in expected, \
                f"{docname} explorer {index}: the frame shown is not the one computed for {state['value']!r}"
        values = [state["value"] for state in seen]
        assert len(set(values)) >= 3, f"{docname} explorer {index}: the frame did not change: {values}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        explorer.screenshot(path=str(SCREENSHOTS / f"explorer-{docname.split('/')[-1]}-{index}.png"))
        assert errors == [], f"{docname}: JavaScript errors"
        assert outside == [], f"{docname}: requests outside the site: {outside[:5]}"
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.parametrize("docname", list(EXPLORERS))
def test_print_keeps_every_character_of_code_and_hides_the_explorers(browser, server, docname):
    """What ``make pdf`` prints: A4 text width (186 mm, about 703 px) with the print style."""
    page, errors = _open(browser, server, f"{docname}.html")
    try:
        _wait_for_widgets(page, EXPLORERS[docname])
        page.set_viewport_size({"width": 703, "height": 1000})
        page.emulate_media(media="print")
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        clipped = page.evaluate("""() => Array.from(document.querySelectorAll('.cell_input pre, .cell_output pre'))
            .filter(pre => pre.offsetParent !== null && pre.scrollWidth > pre.clientWidth + 1)
            .map(pre => pre.textContent.split('\\n').reduce((a, b) => a.length >= b.length ? a : b).slice(0, 100))""")
        assert clipped == [], f"{docname}: code lines clipped in print: {clipped[:3]}"
        visible_explorers = page.evaluate("""() => Array.from(document.querySelectorAll('.lab-explorer'))
            .filter(e => e.getBoundingClientRect().height > 0).length""")
        assert visible_explorers == 0, f"{docname}: explorers are printed"
        assert errors == []
    finally:
        page.close()

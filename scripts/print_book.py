"""Print the whole book to one PDF, without LaTeX: ``make pdf``.

1. ``scripts/build_book.py --builder singlehtml`` builds the book as a single
   HTML page into ``_build/singlehtml`` (same execution cache as ``make book``,
   so nothing is re-executed after a book build);
2. headless Chromium (Debian's ``chromium``, driven by Playwright) opens that
   page from a local server and prints it with the print style sheet of the
   theme (no sidebars, hidden cells expanded) to ``_build/pdf/book.pdf``.

Jupyter Book's own routes need what this machine does not have: ``--builder
pdflatex`` a TeX Live installation with CJK fonts (xeCJK), ``--builder
pdfhtml`` pyppeteer, which downloads its own Chromium at run time. Formulas are
typeset by the book's own copy of MathJax (``_static/mathjax``) before printing.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_book  # noqa: E402

SINGLE = ROOT / "_build" / "singlehtml"
PDF = ROOT / "_build" / "pdf" / "book.pdf"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def find_chromium() -> str | None:
    """The Chromium to drive: $CHROMIUM_PATH, else the first of chromium, chromium-browser and
    google-chrome on PATH, else /usr/bin/chromium; None when there is none."""
    for candidate in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), shutil.which("google-chrome"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """Serve ``directory`` over HTTP on 127.0.0.1 (a free port) from a background thread.

    Yields the base URL (``http://127.0.0.1:<port>``, no trailing slash); the server
    stops when the ``with`` block ends. Requests are not logged.
    """
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(_QuietHandler, directory=str(directory)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def single_page(site: Path = SINGLE) -> Path:
    """The single page of the book, copied to the top of ``site`` as ``book.html``.

    Sphinx writes it as ``<root document>.html`` (``book/intro.html``) but with
    links relative to the top folder, which only resolve from there.
    """
    root_doc = build_book.make_notebooks.load_yaml(ROOT / "_toc.yml")["root"]
    page = site / "book.html"
    shutil.copyfile(site / f"{root_doc}.html", page)
    return page


def print_pdf(site: Path = SINGLE, target: Path = PDF) -> Path:
    """Print the single-page book in ``site`` to ``target`` with headless Chromium; return ``target``.

    Raises
    ------
    RuntimeError
        When no Chromium is installed.
    """
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        raise RuntimeError("no Chromium found: install Debian's chromium (make sysdeps) or set CHROMIUM_PATH")
    page_name = single_page(site).name
    target.parent.mkdir(parents=True, exist_ok=True)
    with serve(site) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{base_url}/{page_name}", wait_until="load", timeout=180_000)
        # Wait for MathJax (served from the book's _static) to typeset every formula.
        page.evaluate("""async () => {
            if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
                await Promise.race([MathJax.startup.promise, new Promise(r => setTimeout(r, 20000))]);
            }
            document.querySelectorAll("details").forEach(d => { d.open = true; });
        }""")
        page.emulate_media(media="print")
        page.pdf(path=str(target), format="A4", print_background=True, outline=True,
                 margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
        browser.close()
    return target


def main() -> int:
    status = build_book.main(["--builder", "singlehtml"])
    if status != 0:
        return status
    pdf = print_pdf()
    print(f"PDF written: {pdf} ({pdf.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The prose of every book page uses the book's Taiwan-usage terms (book/terms.zh_TW.tsv) and full-width parentheses.

Prose is what a reader reads in a ``book/*.md``: code cells, fenced blocks,
inline code, math and MyST roles such as ``{glue:text}`...``` are removed
first. Two checks:

- no forbidden variant of a term (first column of the term list) appears;
- Chinese text uses full-width parentheses: a half-width ``(`` right after a
  Chinese character or punctuation mark (optionally after one space) is an
  error. English inside the parentheses is fine: 「週期（epoch）」.

A failure names the file, the line and the offending text.
"""
from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
TERMS = BOOK / "terms.zh_TW.tsv"

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff0c\uff1a\uff1b\uff01\uff1f"
_HALF_WIDTH_AFTER_CJK = re.compile(rf"[{_CJK}] ?\(")


def _terms() -> list[tuple[str, str]]:
    rows = []
    for line in TERMS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        forbidden, preferred, *_ = line.split("\t")
        rows.append((forbidden, preferred))
    return rows


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, prose) for every line of a MyST page that a reader sees as text."""
    lines = text.splitlines()
    out, fence, in_math, start = [], None, False, 0
    if lines and lines[0].strip() == "---":                        # front matter
        start = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0) + 1
    for number, line in enumerate(lines[start:], start=start + 1):
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence) and stripped.strip("`~") == "":
                fence = None
            continue
        match = re.match(r"(`{3,}|~{3,})", stripped)
        if match:
            fence = match.group(1)
            # directives with prose bodies ({note}, {warning}, {tip}) are read as text
            if re.match(r"[`~]{3,}\{(note|warning|tip|important|caution|admonition)\}", stripped):
                fence = None
            continue
        if stripped == "$$":
            in_math = not in_math
            continue
        if in_math or stripped.startswith(":"):                   # math blocks, directive options
            continue
        line = re.sub(r"\{[a-z:]+\}`[^`]*`", " ", line)             # roles: {glue:text}`x`, {cite}`y`
        line = re.sub(r"`[^`]*`", " ", line)                         # inline code
        line = re.sub(r"\$[^$]*\$", " ", line)                       # inline math
        line = re.sub(r"\]\([^)]*\)", "]", line)                     # link targets
        out.append((number, line))
    return out


PAGES = sorted(BOOK.glob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_prose_uses_the_book_terms(page):
    problems = [f"{page.name}:{number}: 「{forbidden}」→「{preferred}」"
                for number, line in prose_lines(page.read_text(encoding="utf-8"))
                for forbidden, preferred in _terms() if forbidden in line.replace(preferred, "")]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_chinese_prose_uses_full_width_parentheses(page):
    problems = [f"{page.name}:{number}: {line.strip()[:80]}"
                for number, line in prose_lines(page.read_text(encoding="utf-8"))
                if _HALF_WIDTH_AFTER_CJK.search(line)]
    assert not problems, "half-width ( after Chinese text, use （）:\n" + "\n".join(problems)


def test_prose_lines_skip_code_math_and_roles():
    page = "---\nx: 1\n---\n中文 (a)\n```{code-cell} ipython3\n中文 (b)\n```\n$$\n中文 (c)\n$$\n`中文 (d)` $中 (e)$ 好\n"
    texts = [line for _, line in prose_lines(page)]
    assert any("(a)" in t for t in texts)
    assert not any(mark in t for t in texts for mark in ("(b)", "(c)", "(d)", "(e)"))


def test_the_term_list_has_forbidden_and_preferred_columns():
    terms = _terms()
    assert terms and all(forbidden and preferred and forbidden != preferred for forbidden, preferred in terms)

"""The generated Colab/download notebooks (notebooks/*.ipynb) match their MyST sources.

They are committed so that Colab can open them from GitHub, and ``make book``
regenerates them; these tests catch a contributor who edited a chapter and
did not commit the regenerated notebook (or edited a notebook by hand).
"""
from __future__ import annotations

import json
import re
import shutil
import sys
import types
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import make_notebooks  # noqa: E402

CODE_CELL_FENCE = re.compile(r"^```\{code-cell\}", re.MULTILINE)


def _myst_pages():
    toc = make_notebooks.load_yaml(ROOT / "_toc.yml")
    pages = [make_notebooks.resolve_source(d) for d in make_notebooks.toc_docnames(toc)]
    return [p for p in pages if p is not None and make_notebooks.is_myst_notebook(p)]


def test_every_myst_chapter_of_the_toc_has_a_notebook():
    pages = _myst_pages()
    assert pages, "no page of _toc.yml is a MyST notebook"
    missing = [str(make_notebooks.notebook_path_for(p)) for p in pages
               if not (ROOT / make_notebooks.notebook_path_for(p)).is_file()]
    assert missing == [], "run `python scripts/make_notebooks.py` (or `make book`) and commit notebooks/"


def test_generated_notebooks_are_up_to_date_with_their_sources():
    out_of_date, orphans = make_notebooks.stale_files(ROOT)
    assert out_of_date == [], ("out of date with the MyST source: run `python scripts/make_notebooks.py` "
                               "(or `make book`) and commit notebooks/")
    assert orphans == [], "notebooks whose source is gone: run `python scripts/make_notebooks.py`"


@pytest.mark.parametrize("source", _myst_pages(), ids=lambda p: p.stem)
def test_notebook_holds_the_source_cells_after_the_setup_cell(source):
    notebook = nbformat.read(ROOT / make_notebooks.notebook_path_for(source), as_version=4)
    nbformat.validate(notebook)
    text = source.read_text(encoding="utf-8")
    setup, *cells = notebook.cells
    assert setup.cell_type == "code" and make_notebooks.SETUP_CELL_TAG in setup.metadata.get("tags", [])
    code_cells = [cell for cell in cells if cell.cell_type == "code"]
    # independent of jupytext: count the code-cell fences of the MyST file
    assert len(code_cells) == len(CODE_CELL_FENCE.findall(text))
    for cell in code_cells:
        assert cell.source in text
        assert cell.outputs == [] and cell.execution_count is None
    ids = [cell.id for cell in notebook.cells]
    assert len(set(ids)) == len(ids)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert notebook.metadata["book"]["source"] == source.relative_to(ROOT).as_posix()
    assert "jupytext" not in notebook.metadata


def _run_setup_cell(source_code: str, on_colab: bool):
    """Run the set-up cell's code as IPython would; return the magics and shell commands it ran."""
    calls = []

    class FakeShell:
        def run_line_magic(self, name, line):
            calls.append(("magic", name, line))

        def system(self, command):
            calls.append(("system", command))

    fake_colab = types.ModuleType("google.colab")
    fake_colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append(("widgets",)))
    saved = {name: sys.modules.get(name) for name in ("google", "google.colab")}
    try:
        if on_colab:
            sys.modules["google"] = sys.modules.get("google") or types.ModuleType("google")
            sys.modules["google.colab"] = fake_colab
        else:
            sys.modules.pop("google.colab", None)
        python = TransformerManager().transform_cell(source_code)
        exec(compile(python, "<setup cell>", "exec"), {"get_ipython": lambda: FakeShell()})
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return calls


def test_setup_cell_installs_labsupport_only_on_colab():
    source = _myst_pages()[0]
    notebook = json.loads((ROOT / make_notebooks.notebook_path_for(source)).read_text(encoding="utf-8"))
    code = "".join(notebook["cells"][0]["source"])
    repo_url, branch = make_notebooks.repository(ROOT)

    assert _run_setup_cell(code, on_colab=False) == []

    calls = _run_setup_cell(code, on_colab=True)
    pip = [c for c in calls if c[:2] == ("magic", "pip")]
    assert len(pip) == 1 and f"git+{repo_url}.git@{branch}" in pip[0][2] and "labsupport" in pip[0][2]
    assert any(c[0] == "system" and "apt-get install" in c[1] and "fonts-noto-cjk" in c[1] for c in calls)
    assert ("widgets",) in calls


def _mini_book(tmp_path: Path) -> Path:
    """A two-page book: one MyST notebook in the toc, one plain page."""
    (tmp_path / "book").mkdir()
    (tmp_path / "_config.yml").write_text(
        "repository:\n  url: https://github.com/example/fork-of-book\n  branch: dev\n", encoding="utf-8")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/ch1\n", encoding="utf-8")
    (tmp_path / "book" / "intro.md").write_text("# Intro\n\nplain page\n", encoding="utf-8")
    header = (ROOT / "book" / "01-bidirectional-rnn.md").read_text(encoding="utf-8").split("---\n")[1]
    (tmp_path / "book" / "ch1.md").write_text(
        f"---\n{header}---\n\n# 第一章\n\n```{{code-cell}} ipython3\nx = 1\n```\n", encoding="utf-8")
    return tmp_path


def test_check_catches_an_edited_source_and_an_orphan(tmp_path):
    book = _mini_book(tmp_path)
    written = make_notebooks.write_notebooks(book)
    assert Path("notebooks/ch1.ipynb") in written
    assert make_notebooks.stale_files(book) == ([], [])
    assert make_notebooks.write_notebooks(book) == []  # unchanged: nothing rewritten

    notebook = json.loads((book / "notebooks" / "ch1.ipynb").read_text(encoding="utf-8"))
    assert "git+https://github.com/example/fork-of-book.git@dev" in "".join(notebook["cells"][0]["source"])

    chapter = book / "book" / "ch1.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("x = 1", "x = 2"), encoding="utf-8")
    shutil.copy(book / "notebooks" / "ch1.ipynb", book / "notebooks" / "old-chapter.ipynb")
    out_of_date, orphans = make_notebooks.stale_files(book)
    assert out_of_date == [Path("notebooks/ch1.ipynb")]
    assert orphans == [Path("notebooks/old-chapter.ipynb")]

    make_notebooks.write_notebooks(book)
    assert make_notebooks.stale_files(book) == ([], [])
    assert not (book / "notebooks" / "intro.ipynb").exists()  # plain pages get no notebook


def test_generation_is_deterministic():
    source = _myst_pages()[0]
    assert make_notebooks.build_notebook(source) == make_notebooks.build_notebook(source)


def test_repository_url_must_be_https(tmp_path):
    book = _mini_book(tmp_path)
    (book / "_config.yml").write_text("repository:\n  url: git@github.com:x/y\n", encoding="utf-8")
    with pytest.raises(ValueError, match="https URL"):
        make_notebooks.repository(book)

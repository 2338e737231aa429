"""Generate the Colab/download notebooks (.ipynb) from the book's MyST-markdown notebooks.

Colab and a plain "download" need ``.ipynb`` files, while the book is written as
MyST-markdown notebooks (``.md`` with a jupytext header). This script converts
every such page with jupytext and writes it under ``notebooks/``, mirroring the
path below ``book/``::

    book/02-attention.md            ->  notebooks/02-attention.ipynb
    book/exercises/ex9-foo.md       ->  notebooks/exercises/ex9-foo.ipynb

Which pages: every page listed in ``_toc.yml`` whose source is a MyST notebook,
plus any other MyST notebook under ``book/`` (for example an exercise that is
linked for download but not listed in the table of contents). Plain markdown
pages (no ``kernelspec``) and pages that already are ``.ipynb`` are left alone.

Each generated notebook starts with a set-up cell that, only when it runs on
Google Colab, installs ``labsupport`` from the repository named in
``_config.yml`` (``repository.url`` and ``repository.branch``) and the CJK
font for the figures; run anywhere else it does nothing. The output has no
cell outputs and deterministic cell ids, so regenerating an unchanged source
gives a byte-identical file (``tests/test_notebooks_sync.py`` relies on it).

The notebooks are committed, so that Colab can open them from GitHub; ``make
book`` regenerates them. Never edit them by hand: edit the ``.md`` source.

Usage::

    python scripts/make_notebooks.py          # write what changed, list it
    python scripts/make_notebooks.py --check  # exit 1 if anything is out of date
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK_DIR = "book"
NOTEBOOK_DIR = "notebooks"
SETUP_CELL_TAG = "colab-setup"
NOTEBOOKS_README = """\
# Generated notebooks: do not edit

Every `.ipynb` here is generated from a MyST-markdown page under `book/` by
`scripts/make_notebooks.py` (run by `make book`). Colab's launch button and the
book's ".ipynb" download link open these files. Edit the `.md` source instead;
`tests/test_notebooks_sync.py` fails when a file here is out of date.
"""


def load_yaml(path: Path) -> dict:
    """Read a YAML file (``_config.yml``, ``_toc.yml``) into a dict."""
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def toc_docnames(toc: dict) -> list[str]:
    """All docnames (paths without suffix, relative to the book root) in a jb-book toc.

    Walks ``root`` and every ``file`` entry at any depth (parts, chapters,
    sections), in the order they appear.
    """
    names: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("root", "file") and isinstance(value, str):
                    names.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return names


def resolve_source(docname: str, root: Path = ROOT) -> Path | None:
    """The source file of a docname (``.md`` or ``.ipynb``), or None if there is none."""
    for suffix in (".md", ".ipynb"):
        candidate = root / f"{docname}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def front_matter(path: Path) -> dict:
    """The YAML front matter of a markdown file ({} when it has none)."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    if end < 0:
        return {}
    try:
        return yaml.safe_load(text[3:end]) or {}
    except yaml.YAMLError:
        return {}


def is_myst_notebook(path: Path) -> bool:
    """True for a ``.md`` file that jupytext reads as a MyST notebook with a kernel."""
    if path.suffix != ".md":
        return False
    meta = front_matter(path)
    fmt = (meta.get("jupytext") or {}).get("text_representation", {}).get("format_name")
    return fmt == "myst" and "kernelspec" in meta


def notebook_path_for(source: Path, root: Path = ROOT) -> Path:
    """Where the generated notebook of ``source`` lives (relative to ``root``).

    ``book/x/y.md`` maps to ``notebooks/x/y.ipynb``; a source outside ``book/``
    keeps its whole relative path under ``notebooks/``.
    """
    rel = source.resolve().relative_to(root.resolve())
    if rel.parts and rel.parts[0] == BOOK_DIR:
        rel = Path(*rel.parts[1:])
    return Path(NOTEBOOK_DIR) / rel.with_suffix(".ipynb")


def notebook_sources(root: Path = ROOT) -> list[Path]:
    """Every MyST notebook to convert: toc pages first (in toc order), then the rest under book/."""
    toc = load_yaml(root / "_toc.yml")
    sources: list[Path] = []
    for docname in toc_docnames(toc):
        path = resolve_source(docname, root)
        if path is not None and is_myst_notebook(path) and path not in sources:
            sources.append(path)
    for path in sorted((root / BOOK_DIR).rglob("*.md")):
        if any(part.startswith((".", "_")) for part in path.relative_to(root).parts):
            continue
        if is_myst_notebook(path) and path not in sources:
            sources.append(path)
    return sources


def repository(root: Path = ROOT) -> tuple[str, str]:
    """``(url, branch)`` of the book's public repository, from ``_config.yml``.

    Raises
    ------
    ValueError
        When ``repository.url`` is missing or not an https URL.
    """
    config = load_yaml(root / "_config.yml")
    repo = config.get("repository") or {}
    url = str(repo.get("url", "")).rstrip("/")
    branch = str(repo.get("branch", "main"))
    if not url.startswith("https://"):
        raise ValueError(f"_config.yml: repository.url must be an https URL, got {url!r}")
    return url, branch


def colab_setup_source(repo_url: str, branch: str) -> str:
    """The code of the first cell: install labsupport and a CJK font, on Colab only."""
    pip_spec = f"labsupport @ git+{repo_url}.git@{branch}"
    return "\n".join([
        "# Set-up for Google Colab only: install the book's helper package (labsupport)",
        "# from the repository and a font with Chinese glyphs for the figures.",
        "# Run anywhere else (JupyterLab, Binder, your own computer) this cell does nothing.",
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
        f'    %pip install --quiet "{pip_spec}"',
        "    !apt-get install -y -qq fonts-noto-cjk > /dev/null",
        "    from google.colab import output",
        "",
        "    output.enable_custom_widget_manager()  # ipywidgets 8 sliders",
    ])


def _cell_id(cell: dict, seen: dict[str, int]) -> str:
    digest = hashlib.sha1(f"{cell['cell_type']}\n{cell['source']}".encode("utf-8")).hexdigest()[:12]
    count = seen.get(digest, 0)
    seen[digest] = count + 1
    return digest if count == 0 else f"{digest}-{count}"


def build_notebook(source: Path, root: Path = ROOT) -> str:
    """The generated notebook of ``source`` as the exact text to write (JSON, trailing newline)."""
    notebook = jupytext.read(source, fmt="md:myst")
    notebook.metadata.pop("jupytext", None)
    rel_source = source.resolve().relative_to(root.resolve()).as_posix()
    notebook.metadata["book"] = {
        "source": rel_source,
        "generated_by": "scripts/make_notebooks.py (do not edit; edit the source)",
    }
    repo_url, branch = repository(root)
    setup = nbformat.v4.new_code_cell(
        colab_setup_source(repo_url, branch), metadata={"tags": [SETUP_CELL_TAG]})
    notebook.cells.insert(0, setup)
    seen: dict[str, int] = {}
    for cell in notebook.cells:
        cell["id"] = _cell_id(cell, seen)
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    nbformat.validate(notebook)
    return nbformat.writes(notebook, version=4) + "\n"


def expected_files(root: Path = ROOT) -> dict[Path, str]:
    """Every file under ``notebooks/`` that the generator owns, with its expected text."""
    files = {Path(NOTEBOOK_DIR) / "README.md": NOTEBOOKS_README}
    for source in notebook_sources(root):
        files[notebook_path_for(source, root)] = build_notebook(source, root)
    return files


def stale_files(root: Path = ROOT) -> tuple[list[Path], list[Path]]:
    """``(out_of_date_or_missing, orphans)``: generated files that differ from their
    source, and ``.ipynb`` files under ``notebooks/`` that no source generates."""
    expected = expected_files(root)
    out_of_date = [rel for rel, text in expected.items()
                   if not (root / rel).is_file() or (root / rel).read_text(encoding="utf-8") != text]
    existing = {p.relative_to(root) for p in (root / NOTEBOOK_DIR).rglob("*.ipynb")} \
        if (root / NOTEBOOK_DIR).is_dir() else set()
    orphans = sorted(existing - set(expected))
    return sorted(out_of_date), orphans


def write_notebooks(root: Path = ROOT) -> list[Path]:
    """Write every generated file whose content changed; delete orphan notebooks.

    Returns the paths (relative to ``root``) written or deleted. Unchanged
    files are not touched, so their modification times stay put.
    """
    changed: list[Path] = []
    expected = expected_files(root)
    for rel, text in expected.items():
        target = root / rel
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        changed.append(rel)
    for orphan in stale_files(root)[1]:
        (root / orphan).unlink()
        changed.append(orphan)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only report out-of-date notebooks; exit 1 if there are any")
    args = parser.parse_args(argv)
    if args.check:
        out_of_date, orphans = stale_files()
        for rel in out_of_date:
            print(f"out of date: {rel}")
        for rel in orphans:
            print(f"orphan (no source): {rel}")
        if out_of_date or orphans:
            print("Run `python scripts/make_notebooks.py` (or `make book`) and commit notebooks/.")
            return 1
        return 0
    changed = write_notebooks()
    total = len(notebook_sources())
    for rel in changed:
        print(f"notebooks: wrote {rel}" if (ROOT / rel).exists() else f"notebooks: removed {rel}")
    print(f"notebooks: {total} generated from MyST sources, {len(changed)} file(s) changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

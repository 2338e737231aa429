"""The book's table of contents and configuration are consistent."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _toc_files(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("file", "root"):
                yield value
            else:
                yield from _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            yield from _toc_files(item)


def _resolve(docname):
    for suffix in (".md", ".ipynb"):
        if (ROOT / f"{docname}{suffix}").exists():
            return ROOT / f"{docname}{suffix}"
    return None


def test_toc_lists_only_existing_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = list(_toc_files(toc))
    assert files, "the toc lists no files"
    missing = [f for f in files if _resolve(f) is None]
    assert missing == []


def test_toc_has_the_three_chapters_summary_and_exercises():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = list(_toc_files(toc))
    for expected in ("book/01-bidirectional-rnn", "book/02-attention", "book/03-seq2seq-attention",
                     "book/summary", "book/exercises/index"):
        assert expected in files


def test_config_fails_on_errors_and_uses_cache():
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert cfg["language"] == "zh_TW"
    assert cfg["execute"]["execute_notebooks"] == "cache"
    assert cfg["execute"]["allow_errors"] is False
    assert cfg["execute"]["timeout"] > 0
    assert cfg["sphinx"]["config"]["nb_execution_raise_on_error"] is True


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme
    assert [line for line in ci.splitlines() if line and not line.startswith("#")][-1].strip() == "make test"

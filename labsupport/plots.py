"""Figures for the book: a CJK font, trajectories with phase shading, heatmaps.

Importing this module selects a font that has Traditional-Chinese glyphs, so
Chinese titles and labels render instead of empty boxes. Every helper here
requires a title and axis labels with units, because the book's figures must
have them.
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager

__all__ = [
    "CJK_FONT_CANDIDATES",
    "use_cjk_font",
    "cjk_font_name",
    "shade_phases",
    "plot_trajectories",
    "attention_heatmap",
    "check_figure_labels",
]

# Fonts with Traditional-Chinese glyphs, best first. Debian/Ubuntu and Colab
# get the first from the package fonts-noto-cjk; the others are what macOS and
# Windows laptops already have.
CJK_FONT_CANDIDATES = (
    "Noto Sans CJK TC",
    "Noto Sans TC",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Source Han Sans TW",
    "PingFang TC",
    "Heiti TC",
    "Microsoft JhengHei",
    "WenQuanYi Zen Hei",
    "AR PL UMing TW",
)

_selected_font: str | None = None


def _installed_font_names() -> set[str]:
    return {f.name for f in font_manager.fontManager.ttflist}


def use_cjk_font(candidates: Sequence[str] = CJK_FONT_CANDIDATES) -> str:
    """Make matplotlib draw Chinese with the first installed font in ``candidates``.

    Returns the font's family name.

    Raises
    ------
    RuntimeError
        When none of the fonts is installed; the message says how to install one.
    """
    global _selected_font
    installed = _installed_font_names()
    for name in candidates:
        if name in installed:
            break
    else:
        # A font installed after matplotlib built its font cache is missing
        # from that cache. Add the system's CJK font files to the existing
        # manager (replacing the manager would leave other modules holding
        # the stale one), then look again.
        for path in font_manager.findSystemFonts():
            if "cjk" in path.lower() or "jhenghei" in path.lower() or "pingfang" in path.lower():
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # unreadable font file: skip it
                    continue
        installed = _installed_font_names()
        name = next((n for n in candidates if n in installed), None)
        if name is None:
            raise RuntimeError(
                "No font with Traditional-Chinese glyphs was found for matplotlib. "
                "On Debian/Ubuntu or Colab run: apt-get install -y fonts-noto-cjk "
                "(then restart the kernel); on macOS and Windows a system font "
                f"from {list(candidates)} is normally present."
            )
    matplotlib.rcParams["font.family"] = "sans-serif"
    sans = [name] + [f for f in matplotlib.rcParams["font.sans-serif"] if f != name]
    matplotlib.rcParams["font.sans-serif"] = sans
    # The CJK fonts have no U+2212 minus sign in some versions; use ASCII '-'.
    matplotlib.rcParams["axes.unicode_minus"] = False
    _selected_font = name
    return name


def cjk_font_name() -> str:
    """The family name selected by :func:`use_cjk_font` (selecting it if needed)."""
    return _selected_font or use_cjk_font()


def _require_text(**texts: str) -> None:
    for what, text in texts.items():
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{what} must be a non-empty string (figures in the book are labelled), got {text!r}")


def shade_phases(ax, time, phase_ids, phase_names, *, alpha=0.15, cmap="tab10", legend=True):
    """Shade the background of ``ax`` by phase.

    ``time`` (T,) and ``phase_ids`` (T,) integer labels into ``phase_names``.
    Consecutive steps with the same label form one shaded span.
    """
    time = np.asarray(time, dtype=float)
    phase_ids = np.asarray(phase_ids)
    if time.shape != phase_ids.shape or time.ndim != 1:
        raise ValueError(
            f"time and phase_ids must be 1-D arrays of the same length, got {time.shape} and {phase_ids.shape}"
        )
    colors = plt.get_cmap(cmap)
    step = np.median(np.diff(time)) if time.size > 1 else 1.0
    seen = set()
    start = 0
    for i in range(1, time.size + 1):
        if i == time.size or phase_ids[i] != phase_ids[start]:
            pid = int(phase_ids[start])
            if pid < 0 or pid >= len(phase_names):
                raise ValueError(f"phase id {pid} is outside 0..{len(phase_names) - 1}")
            label = phase_names[pid] if pid not in seen else None
            seen.add(pid)
            ax.axvspan(time[start], time[i - 1] + step, color=colors(pid % 10), alpha=alpha, lw=0, label=label)
            start = i
    if legend:
        ax.legend(loc="upper left", fontsize="small", ncols=min(4, len(seen)))
    return ax


def plot_trajectories(
    time,
    series: dict,
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    phases=None,
    phase_names=None,
    ax=None,
    styles: dict | None = None,
):
    """Plot named trajectories against time, optionally over phase shading.

    ``series`` maps a legend label to a (T,) array. ``styles`` maps a label to
    keyword arguments for ``ax.plot`` (e.g. ``{"預測": {"ls": "--"}}``).
    """
    _require_text(title=title, xlabel=xlabel, ylabel=ylabel)
    cjk_font_name()
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.2))
    time = np.asarray(time, dtype=float)
    if phases is not None:
        if phase_names is None:
            raise ValueError("phase_names is required when phases is given")
        shade_phases(ax, time, phases, phase_names, legend=False)
    for label, values in series.items():
        values = np.asarray(values, dtype=float)
        if values.shape != time.shape:
            raise ValueError(f"series {label!r} has shape {values.shape}, expected {time.shape} like time")
        ax.plot(time, values, label=label, **(styles or {}).get(label, {}))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="best", fontsize="small")
    return ax


def attention_heatmap(
    weights,
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    x_ticklabels=None,
    y_ticklabels=None,
    ax=None,
    cmap="viridis",
    colorbar_label: str = "注意力權重",
    annotate: bool = False,
    fmt: str = ".2f",
):
    """Draw a (rows, cols) matrix of attention weights with labelled axes.

    Rows are queries (e.g. decoder steps), columns are keys (e.g. encoder steps).
    """
    _require_text(title=title, xlabel=xlabel, ylabel=ylabel)
    cjk_font_name()
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2:
        raise ValueError(f"weights must be a 2-D (rows, cols) matrix, got shape {weights.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4, 0.25 * weights.shape[1] + 2), max(3, 0.25 * weights.shape[0] + 1.5)))
    image = ax.imshow(weights, aspect="auto", cmap=cmap, interpolation="nearest")
    colorbar = ax.figure.colorbar(image, ax=ax)
    colorbar.set_label(colorbar_label)
    if x_ticklabels is not None:
        if len(x_ticklabels) != weights.shape[1]:
            raise ValueError(f"{len(x_ticklabels)} x_ticklabels for {weights.shape[1]} columns")
        ax.set_xticks(range(weights.shape[1]), x_ticklabels)
    if y_ticklabels is not None:
        if len(y_ticklabels) != weights.shape[0]:
            raise ValueError(f"{len(y_ticklabels)} y_ticklabels for {weights.shape[0]} rows")
        ax.set_yticks(range(weights.shape[0]), y_ticklabels)
    if annotate:
        threshold = (weights.max() + weights.min()) / 2
        for (r, c), value in np.ndenumerate(weights):
            ax.text(c, r, format(value, fmt), ha="center", va="center", fontsize="small",
                    color="black" if value > threshold else "white")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def check_figure_labels(fig) -> list[str]:
    """Return the problems that keep ``fig`` from meeting the book's figure rules.

    Each axes that shows data needs a title (its own or the figure's
    suptitle) and both axis labels. An empty list means the figure passes.
    """
    problems = []
    has_suptitle = fig._suptitle is not None and fig._suptitle.get_text().strip()
    for i, ax in enumerate(fig.axes):
        if not ax.has_data() and not ax.images:
            continue  # colorbars and empty panels
        if ax.get_label() == "<colorbar>":
            continue
        if not (ax.get_title().strip() or has_suptitle):
            problems.append(f"axes {i} has no title")
        if not ax.get_xlabel().strip():
            problems.append(f"axes {i} has no x label")
        if not ax.get_ylabel().strip():
            problems.append(f"axes {i} has no y label")
    return problems


use_cjk_font()

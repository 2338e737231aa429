"""Figures for the book: a CJK font, trajectories with phase shading, heatmaps.

Importing this module selects a font that has Traditional-Chinese glyphs, so
Chinese titles and labels render instead of empty boxes. Every helper here
requires a title and axis labels with units, because the book's figures must
have them.

Importing it inside IPython (a book build, Jupyter, Colab) also installs
:func:`install_figure_display`: every matplotlib figure a cell shows is drawn
by :func:`figure_png`, which

- narrows a figure wider than :data:`MAX_FIGURE_WIDTH_IN` (its layout engine
  re-lays the panels, so the text stays readable where the book's text
  column shows the image at about 790 px);
- writes a Chinese alt text, made from the figure's titles and axis labels
  (:func:`figure_alt_text`), into the PNG (``Description``) and into the
  output's metadata (``image/png`` → ``alt``); ``_ext/figure_alt.py`` puts it
  into the page's ``<img alt>``;
- records the smallest text height in image pixels (PNG text
  ``labsupport:smallest-text-px``, :func:`smallest_text_px`), which the site
  test combines with the displayed size.
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
    "MAX_FIGURE_WIDTH_IN",
    "figure_alt_text",
    "smallest_text_px",
    "figure_png",
    "figure_img_html",
    "install_figure_display",
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


# The book's text column is about 790 px wide at a 1440 px window; a figure of
# at most this width (at 100 dpi, plus the tight bounding box) is shown at
# >= 0.8 of its pixels, so 8.3 pt text ("small") stays >= 9 px on screen.
MAX_FIGURE_WIDTH_IN = 9.6
SMALLEST_TEXT_KEY = "labsupport:smallest-text-px"


def _clean(text: str) -> str:
    return " ".join(text.replace("\n", "，").split()).strip("，； ")


def _sentence(text: str) -> str:
    return text if text.endswith(("。", "？", "！", "?", "!", ".")) else text + "。"


def _data_axes(fig):
    return [ax for ax in fig.axes
            if ax.get_label() != "<colorbar>" and ax.get_visible() and (ax.has_data() or ax.images or ax.get_title())]


def figure_alt_text(fig, max_chars: int = 400) -> str:
    """A Chinese description of ``fig`` for ``<img alt>``: its title, then each panel's
    title and what its axes show (axis labels), e.g.
    ``圖：溫度如何改變注意力權重。子圖 1「T = 0.1」：橫軸 鍵 (key)，縱軸 注意力權重 α。``"""
    suptitle = _clean(fig._suptitle.get_text()) if fig._suptitle is not None else ""
    parts = []
    panels = []
    seen = set()
    for ax in _data_axes(fig):
        title = _clean(ax.get_title() or ax.get_title("left") or ax.get_title("right"))
        xlabel, ylabel = _clean(ax.get_xlabel()), _clean(ax.get_ylabel())
        key = (title, xlabel, ylabel)
        if key in seen or not any(key):
            continue
        seen.add(key)
        panels.append(key)
    if suptitle:
        parts.append(_sentence(f"圖：{suptitle}"))
    elif len(panels) == 1 and panels[0][0]:
        parts.append(_sentence(f"圖：{panels[0][0]}"))
    else:
        parts.append(_sentence("圖：" + ("、".join(p[0] for p in panels if p[0]) or "本格程式產生的圖表")))
    shared = {(xlabel, ylabel) for _, xlabel, ylabel in panels}
    if len(panels) > 1 and len(shared) == 1 and all(title for title, _, _ in panels):
        # small multiples over the same axes: name the panels, then the axes once
        xlabel, ylabel = shared.pop()
        axes_text = "，".join(t for t in (f"橫軸皆為 {xlabel}" if xlabel else "",
                                          f"縱軸皆為 {ylabel}" if ylabel else "") if t)
        parts.append(f"{len(panels)} 個子圖：" + "、".join(f"「{title}」" for title, _, _ in panels)
                     + (f"；{axes_text}" if axes_text else "") + "。")
        panels = []
    for number, (title, xlabel, ylabel) in enumerate(panels, start=1):
        axes_text = "，".join(t for t in (f"橫軸 {xlabel}" if xlabel else "", f"縱軸 {ylabel}" if ylabel else "") if t)
        name = f"子圖 {number}" if len(panels) > 1 else ""
        if name and title:
            name += f"「{title}」"
        text = "：".join(t for t in (name, axes_text) if t)
        if text:
            parts.append(text + "。")
    alt = "".join(parts)
    return alt if len(alt) <= max_chars else alt[: max_chars - 1] + "…"


def smallest_text_px(fig, dpi: float | None = None) -> float:
    """Height in image pixels (font size at ``dpi``, default the figure's) of the
    smallest visible non-empty text in ``fig``."""
    dpi = fig.dpi if dpi is None else dpi
    sizes = [text.get_fontsize() for text in fig.findobj(matplotlib.text.Text)
             if text.get_visible() and text.get_text().strip()]
    return min(sizes) * dpi / 72 if sizes else float("inf")


def _narrow(fig, max_width: float) -> None:
    width, height = fig.get_size_inches()
    if width <= max_width:
        return
    fig.set_size_inches(max_width, height, forward=False)
    if fig.get_layout_engine() is not None:
        return
    # Re-lay the panels for the new width. Constrained layout cannot place some
    # figures (a very wide heatmap whose colorbar took space from its axes
    # raises ZeroDivisionError in matplotlib 3.10); those keep matplotlib's
    # default subplot margins at the new width.
    fig.set_layout_engine("constrained")
    try:
        fig.canvas.draw()
    except ZeroDivisionError:
        fig.set_layout_engine("none")


def figure_png(fig, *, max_width: float | None = MAX_FIGURE_WIDTH_IN, dpi: float | None = None):
    """Draw ``fig`` as the book shows it: PNG bytes, and the output metadata
    ``{"alt": ..., "width": ..., "height": ..., SMALLEST_TEXT_KEY: ...}``.

    A figure wider than ``max_width`` inches is narrowed first (None: never).
    The alt text and the smallest text size are also stored in the PNG's text
    chunks (``Description``, ``labsupport:smallest-text-px``).
    """
    import io

    if max_width is not None:
        _narrow(fig, max_width)
    dpi = dpi or fig.dpi
    fig.canvas.draw()  # lay out, so that hidden/empty texts and sizes are final
    alt = figure_alt_text(fig)
    smallest = smallest_text_px(fig, dpi)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white",
                metadata={"Description": alt, SMALLEST_TEXT_KEY: f"{smallest:.2f}"})
    data = buffer.getvalue()
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    return data, {"alt": alt, "width": width, "height": height, SMALLEST_TEXT_KEY: round(smallest, 2)}


def figure_img_html(fig, *, close: bool = True, **kwargs) -> str:
    """``<img>`` HTML (PNG as a data URI, with the alt text) of ``fig``, for widget frames."""
    import base64
    import html

    data, meta = figure_png(fig, **kwargs)
    if close:
        plt.close(fig)
    return (f'<img src="data:image/png;base64,{base64.b64encode(data).decode()}" alt="{html.escape(meta["alt"])}" '
            f'width="{meta["width"]}" style="max-width:100%;height:auto" '
            f'data-smallest-text-px="{meta[SMALLEST_TEXT_KEY]}">')


def _display_png(fig):
    import base64

    data, meta = figure_png(fig)
    # IPython shows the image at its natural size; only the alt travels on as metadata.
    return base64.b64encode(data).decode("ascii"), {"alt": meta["alt"], SMALLEST_TEXT_KEY: meta[SMALLEST_TEXT_KEY]}


def _activate_backend() -> None:
    """Load pyplot's backend now. matplotlib >= 3.9 loads it at the first figure,
    and the inline backend then re-registers IPython's figure formatters, which
    would replace ours."""
    get_backend_mod = getattr(plt, "_get_backend_mod", None)
    if get_backend_mod is not None:
        get_backend_mod()
    else:  # pragma: no cover - older matplotlib loads the backend with pyplot
        plt.switch_backend(matplotlib.get_backend())


def _register(shell) -> None:
    from matplotlib.figure import Figure

    formatters = shell.display_formatter.formatters
    for mime in ("image/svg+xml", "image/jpeg", "application/pdf"):
        if mime in formatters:
            formatters[mime].pop(Figure, None)
    formatters["image/png"].for_type(Figure, _display_png)


def install_figure_display(shell=None) -> bool:
    """Show matplotlib figures in IPython through :func:`figure_png` (see the module docs).

    Registers the PNG formatter for figures, and again before every cell (so
    that ``%matplotlib inline`` or ``%config InlineBackend...`` in a notebook
    cannot undo it). Returns False (and does nothing) outside IPython."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    _activate_backend()
    _register(shell)
    events = getattr(shell, "events", None)
    if events is not None and not getattr(shell, "_labsupport_figure_display", False):
        events.register("pre_run_cell", lambda *args: _register(shell))
        shell._labsupport_figure_display = True
    return True


use_cjk_font()
install_figure_display()

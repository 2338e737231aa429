"""Explorer: what a wider beam buys, and what it costs (chapter 3.5).

Beam search keeps the ``beam_width`` most probable partial sequences at every
step. Width 1 is greedy decoding; a wider beam can recover a sequence whose
first step looked worse but whose total log-probability is higher, at the
price of evaluating more rows per step.

- ``compute_beam_width(step_fn, state, ...)``: greedy decoding and beam
  search at every width in ``widths`` (default 1–8), each with its
  hypotheses, best log-probability, model calls, rows evaluated and time;
- ``beam_width_table(sweep, ...)``: one row per width, as a DataFrame;
- ``static_beam_width_figure(sweep, ...)``: best score and top hypotheses
  against the width, and the cost, drawn when the book is built;
- ``live_beam_width(step_fn, state, ...)``: an ipywidgets slider (1–8) that
  reruns the search and lists the hypotheses.

``step_fn`` and ``state`` follow :mod:`labsupport.decoding` (e.g.
:meth:`labsupport.models.Seq2Seq.decoding_fn` or
:func:`labsupport.recipes.exact_step_fn`).
"""
from __future__ import annotations

import dataclasses
import numbers
import time
from collections.abc import Sequence

import numpy as np

from labsupport.decoding import CountingStepFn, Hypothesis, beam_search, greedy_decode

__all__ = [
    "WIDTH_RANGE",
    "BeamWidthResult",
    "BeamSweep",
    "compute_beam_width",
    "beam_width_table",
    "static_beam_width_figure",
    "live_beam_width",
]

WIDTH_RANGE = (1, 8)


@dataclasses.dataclass(frozen=True)
class BeamWidthResult:
    """Beam search at one width.

    ``hypotheses``: finished hypotheses, best first (up to ``width``);
    ``best_log_prob``: log-probability of the best one (nats);
    ``model_calls``: ``step_fn`` calls; ``rows``: hypotheses evaluated in
    all calls together; ``seconds``: wall-clock time of the search.
    """

    width: int
    hypotheses: list
    best_log_prob: float
    model_calls: int
    rows: int
    seconds: float


@dataclasses.dataclass(frozen=True)
class BeamSweep:
    """Greedy decoding and beam search over several widths for one source."""

    greedy_tokens: np.ndarray
    greedy_log_prob: float
    greedy_model_calls: int
    results: list

    def result(self, width: int) -> BeamWidthResult:
        for result in self.results:
            if result.width == width:
                return result
        raise ValueError(f"width {width} was not computed; available: {[r.width for r in self.results]}")


def _check_widths(widths) -> list[int]:
    widths = list(widths)
    if not widths:
        raise ValueError("widths must contain at least one beam width")
    for width in widths:
        if isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < 1:
            raise ValueError(f"every beam width must be an integer >= 1, got {width!r}")
    return [int(w) for w in widths]


def compute_beam_width(
    step_fn,
    state,
    *,
    start_token: int,
    end_token: int,
    max_len: int,
    widths: Sequence[int] = range(WIDTH_RANGE[0], WIDTH_RANGE[1] + 1),
    length_penalty: float = 0.0,
    early_stopping: bool = False,
    warmup: bool = True,
) -> BeamSweep:
    """Run greedy decoding once and beam search at every width in ``widths``.

    Parameters
    ----------
    step_fn, state:
        As in :mod:`labsupport.decoding`: ``step_fn(tokens (n,), state) ->
        (log_probs (n, vocab), new_state)``; ``state`` for one source
        (leading dimension 1).
    start_token, end_token, max_len:
        As in :func:`labsupport.decoding.beam_search`.
    widths:
        Beam widths to try (integers >= 1).
    length_penalty, early_stopping:
        Passed to :func:`~labsupport.decoding.beam_search`. Early stopping is
        off by default here so that every width lists up to ``width``
        hypotheses (the runners-up), not only the best.
    warmup:
        Run each search once untimed before the timed run, so that the time
        excludes one-off costs such as a compiled model tracing a new batch
        size (the counts come from the timed run).

    Returns
    -------
    BeamSweep
        The greedy result and one :class:`BeamWidthResult` per width.

    Raises
    ------
    ValueError
        For an empty ``widths``, a width < 1, and whatever
        :func:`~labsupport.decoding.beam_search` raises (``max_len < 1``,
        bad tokens, a step function with outputs of the wrong shape).
    """
    widths = _check_widths(widths)
    counter = CountingStepFn(step_fn)
    greedy_tokens, greedy_log_prob = greedy_decode(counter, state, start_token, end_token, max_len)
    greedy_calls = counter.calls
    results = []
    for width in widths:
        if warmup:
            beam_search(step_fn, state, start_token, end_token, width, max_len, length_penalty,
                        early_stopping=early_stopping)
        counter.reset()
        started = time.perf_counter()
        hypotheses = beam_search(counter, state, start_token, end_token, width, max_len, length_penalty,
                                 early_stopping=early_stopping)
        seconds = time.perf_counter() - started
        best = hypotheses[0].log_prob if hypotheses else float("-inf")
        results.append(BeamWidthResult(width, list(hypotheses), float(best), counter.calls, counter.rows, seconds))
    return BeamSweep(np.asarray(greedy_tokens), float(greedy_log_prob), greedy_calls, results)


def _describe(tokens, token_names, end_token) -> str:
    if token_names is None:
        return " ".join(str(int(t)) for t in tokens)
    return " ".join(token_names[int(t)] for t in tokens if int(t) != end_token)


def beam_width_table(sweep: BeamSweep, *, token_names=None, end_token=None):
    """One row per width: the best sequence, its log P and P, the finished count and the cost.

    ``token_names[id]`` turns ids into words; ``end_token`` is left out of the text.
    """
    import pandas as pd

    rows = []
    for result in sweep.results:
        best: Hypothesis | None = result.hypotheses[0] if result.hypotheses else None
        rows.append({
            "集束寬度": result.width,
            "最佳序列": _describe(best.tokens, token_names, end_token) if best is not None else "",
            "log P": result.best_log_prob,
            "P": float(np.exp(result.best_log_prob)),
            "比貪婪高 (nats)": result.best_log_prob - sweep.greedy_log_prob,
            "完成的假設數": len(result.hypotheses),
            "模型呼叫次數": result.model_calls,
            "評估列數": result.rows,
            "時間 (ms)": 1000 * result.seconds,
        })
    return pd.DataFrame(rows).set_index("集束寬度")


def static_beam_width_figure(sweep: BeamSweep, *, n_top: int = 3, title: str = "集束寬度：分數與成本"):
    """Two panels over the widths: (a) best and next hypotheses' log P against greedy, (b) the cost.

    Returns the figure.
    """
    import matplotlib.pyplot as plt

    from labsupport.plots import cjk_font_name

    cjk_font_name()
    widths = [r.width for r in sweep.results]
    fig, (ax_score, ax_cost) = plt.subplots(1, 2, figsize=(9.6, 4.0), constrained_layout=True)
    for rank in range(n_top):
        xs = [r.width for r in sweep.results if len(r.hypotheses) > rank]
        ys = [r.hypotheses[rank].log_prob for r in sweep.results if len(r.hypotheses) > rank]
        style = dict(marker="o", lw=2) if rank == 0 else dict(marker=".", lw=0.8, alpha=0.7)
        ax_score.plot(xs, ys, label="最佳假設" if rank == 0 else f"第 {rank + 1} 名假設", **style)
    ax_score.axhline(sweep.greedy_log_prob, color="gray", ls="--", label="貪婪解碼")
    ax_score.set_xticks(widths)
    ax_score.set_xlabel("集束寬度（個）")
    ax_score.set_ylabel("序列的 log P (nats)")
    ax_score.set_title("(a) 找到的序列有多可能")
    ax_score.legend(fontsize="small")

    calls = [r.model_calls for r in sweep.results]
    rows = [r.rows for r in sweep.results]
    ax_cost.bar(np.array(widths) - 0.2, calls, width=0.4, label="模型呼叫次數")
    ax_cost.bar(np.array(widths) + 0.2, rows, width=0.4, label="評估列數（假設 × 步）")
    ax_cost.set_xticks(widths)
    ax_cost.set_xlabel("集束寬度（個）")
    ax_cost.set_ylabel("次數（次）")
    ax_cost.set_title("(b) 成本")
    ax_time = ax_cost.twinx()
    ax_time.plot(widths, [1000 * r.seconds for r in sweep.results], "k.-", label="時間")
    ax_time.set_ylabel("時間 (ms)")
    ax_time.set_xlabel(ax_cost.get_xlabel())  # the twin shares the x axis; same text, drawn in the same place
    ax_time.set_ylim(bottom=0)
    handles = ax_cost.get_legend_handles_labels()
    more = ax_time.get_legend_handles_labels()
    ax_cost.legend(handles[0] + more[0], handles[1] + more[1], fontsize="small", loc="upper left")
    fig.suptitle(title)
    return fig


def live_beam_width(step_fn, state, *, start_token: int, end_token: int, max_len: int,
                    token_names=None, width: int = 1, n_show: int = 5):
    """An ipywidgets slider (beam width 1–8) that reruns beam search and lists the hypotheses.

    Returns the widget (:func:`labsupport.widgets.frames.frame_explorer`): in
    a kernel each width is searched when the slider reaches it; in the book
    all eight are searched at build time and the slider switches them in the
    browser.
    """
    import html

    import ipywidgets as widgets

    from labsupport.widgets.frames import frame_explorer

    # validate the arguments once, before any widget exists
    compute_beam_width(step_fn, state, start_token=start_token, end_token=end_token, max_len=max_len, widths=[width])

    import pandas as pd

    def render(width):
        result = compute_beam_width(step_fn, state, start_token=start_token, end_token=end_token,
                                    max_len=max_len, widths=[width])

        entry = result.results[0]
        table = pd.DataFrame([
            {"名次": rank + 1, "序列": _describe(h.tokens, token_names, end_token), "log P": round(h.log_prob, 3),
             "P": round(float(np.exp(h.log_prob)), 4)}
            for rank, h in enumerate(entry.hypotheses[:n_show])
        ]).set_index("名次")
        # the time varies from run to run; the frame states only what is reproducible
        text = (f"貪婪解碼 log P = {result.greedy_log_prob:.3f}；集束寬度 {width}：最佳 log P = {entry.best_log_prob:.3f}，"
                f"模型呼叫 {entry.model_calls} 次、評估 {entry.rows} 列")
        return f'<p class="lab-frame-text">{html.escape(text)}</p>' + table.to_html(classes="dataframe lab-frame-table")

    slider = widgets.SelectionSlider(options=[(str(w), w) for w in range(WIDTH_RANGE[0], WIDTH_RANGE[1] + 1)],
                                     value=width, description="集束寬度", continuous_update=True,
                                     style={"description_width": "initial"},
                                     layout=widgets.Layout(width="32rem", max_width="100%"))
    return frame_explorer(slider, render)

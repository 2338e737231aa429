"""Explorer: sampling temperature over decoded sequences (chapter 3.5).

Temperature sampling draws each next token from softmax(log P / T). Near
T = 0 it always takes the most probable token (greedy decoding); at T = 1 it
samples from the model itself; above 1 it flattens the distribution, so the
samples get more varied and, on average, less probable under the model.

- ``compute_sampling(step_fn, state, ...)``: ``n_samples`` sequences at each
  temperature, the number of distinct sequences, their mean log-probability
  under the model (at T = 1) and the share equal to the greedy sequence;
- ``sampling_table(results, ...)``: one row per temperature, as a DataFrame;
- ``static_sampling_figure(results, ...)``: diversity and mean log P
  against T, drawn when the book is built;
- ``live_sampling(step_fn, state, ...)``: an ipywidgets slider (T from 0.1
  to 3, log scale) that draws samples and lists them.

Sample ``i`` at every temperature uses the seed ``seed + i`` (common random
numbers), so the curves over T are smooth and reproducible.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

import numpy as np

from labsupport.attention import check_temperature
from labsupport.checks import check_int, check_seed
from labsupport.decoding import greedy_decode, sample_decode

__all__ = [
    "TEMPERATURE_RANGE",
    "DEFAULT_TEMPERATURES",
    "SamplingResult",
    "compute_sampling",
    "sampling_table",
    "static_sampling_figure",
    "live_sampling",
]

TEMPERATURE_RANGE = (0.1, 3.0)
DEFAULT_TEMPERATURES = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0)


@dataclasses.dataclass(frozen=True)
class SamplingResult:
    """Samples at one temperature.

    ``samples``: list of (tokens, log_prob) with ``log_prob`` under the model
    at T = 1 (nats); ``distinct``: number of different sequences;
    ``mean_log_prob``: mean of the samples' log-probabilities;
    ``greedy_share``: fraction of samples equal to the greedy sequence.
    """

    temperature: float
    samples: list
    distinct: int
    mean_log_prob: float
    greedy_share: float

    def counts(self) -> list[tuple[tuple[int, ...], int, float]]:
        """(sequence, how many times drawn, its log P), most frequent first."""
        log_probs = {tuple(int(t) for t in tokens): lp for tokens, lp in self.samples}
        counter = Counter(tuple(int(t) for t in tokens) for tokens, _ in self.samples)
        return [(seq, n, log_probs[seq]) for seq, n in counter.most_common()]


def compute_sampling(
    step_fn,
    state,
    *,
    start_token: int,
    end_token: int,
    max_len: int,
    temperatures: Sequence[float] = DEFAULT_TEMPERATURES,
    n_samples: int = 20,
    seed: int = 0,
) -> list[SamplingResult]:
    """Draw ``n_samples`` sequences at each temperature and summarise their diversity.

    Parameters
    ----------
    step_fn, state:
        As in :mod:`labsupport.decoding` (state for one source).
    start_token, end_token, max_len:
        As in :func:`labsupport.decoding.sample_decode`.
    temperatures:
        Finite numbers > 0.
    n_samples:
        Sequences per temperature (>= 1).
    seed:
        Sample ``i`` uses ``seed + i`` at every temperature.

    Returns
    -------
    list[SamplingResult]
        One per temperature, in the given order.

    Raises
    ------
    ValueError
        For an empty ``temperatures``, a temperature <= 0 (or not finite),
        ``n_samples < 1``, a negative seed, and what
        :func:`~labsupport.decoding.sample_decode` raises.
    """
    temperatures = [check_temperature(t) for t in temperatures]
    if not temperatures:
        raise ValueError("temperatures must contain at least one temperature > 0")
    n_samples = check_int("n_samples", n_samples)
    seed = check_seed(seed)
    greedy_tokens, _ = greedy_decode(step_fn, state, start_token, end_token, max_len)
    greedy_key = tuple(int(t) for t in greedy_tokens)
    results = []
    for temperature in temperatures:
        samples = [
            sample_decode(step_fn, state, start_token, end_token, max_len, temperature=temperature, seed=int(seed) + i)
            for i in range(n_samples)
        ]
        keys = [tuple(int(t) for t in tokens) for tokens, _ in samples]
        results.append(SamplingResult(
            temperature=temperature,
            samples=samples,
            distinct=len(set(keys)),
            mean_log_prob=float(np.mean([lp for _, lp in samples])),
            greedy_share=float(np.mean([key == greedy_key for key in keys])),
        ))
    return results


def _describe(tokens, token_names, end_token) -> str:
    if token_names is None:
        return " ".join(str(int(t)) for t in tokens)
    return " ".join(token_names[int(t)] for t in tokens if int(t) != end_token)


def sampling_table(results: Sequence[SamplingResult], *, token_names=None, end_token=None):
    """One row per temperature: distinct sequences, mean log P, greedy share and the most frequent sample."""
    import pandas as pd

    rows = []
    for result in results:
        top_sequence, top_count, _ = result.counts()[0]
        rows.append({
            "溫度 T": result.temperature,
            "相異序列數": result.distinct,
            "平均 log P": result.mean_log_prob,
            "等於貪婪解的比例": result.greedy_share,
            "最常出現的序列": _describe(top_sequence, token_names, end_token),
            "次數": top_count,
        })
    return pd.DataFrame(rows).set_index("溫度 T")


def static_sampling_figure(results: Sequence[SamplingResult], *, greedy_log_prob=None,
                           title: str = "採樣溫度：多樣性與機率"):
    """Two panels against T (log axis): distinct sequences out of n, and mean log P (with greedy's).

    Returns the figure.
    """
    import matplotlib.pyplot as plt

    from labsupport.plots import cjk_font_name

    cjk_font_name()
    temperatures = [r.temperature for r in results]
    n_samples = len(results[0].samples)
    fig, (ax_div, ax_lp) = plt.subplots(1, 2, figsize=(9.6, 3.8), constrained_layout=True)
    ax_div.plot(temperatures, [r.distinct for r in results], "o-", label="相異序列數")
    ax_div.axhline(n_samples, color="gray", ls=":", label=f"樣本數 {n_samples}")
    ax_div.set_xscale("log")
    ax_div.set_xlabel("溫度 T（無因次）")
    ax_div.set_ylabel("相異序列數（個）")
    ax_div.set_title("(a) 多樣性")
    ax_div.legend(fontsize="small")
    ax_lp.plot(temperatures, [r.mean_log_prob for r in results], "o-", color="tab:orange", label="樣本平均 log P")
    if greedy_log_prob is not None:
        ax_lp.axhline(greedy_log_prob, color="gray", ls="--", label="貪婪解碼")
    ax_lp.set_xscale("log")
    ax_lp.set_xlabel("溫度 T（無因次）")
    ax_lp.set_ylabel("平均 log P (nats)")
    ax_lp.set_title("(b) 樣本在模型下的機率")
    ax_lp.legend(fontsize="small")
    fig.suptitle(title)
    return fig


def live_sampling(step_fn, state, *, start_token: int, end_token: int, max_len: int,
                  token_names=None, temperature: float = 1.0, n_samples: int = 10, seed: int = 0,
                  temperatures: Sequence[float] = DEFAULT_TEMPERATURES):
    """An ipywidgets slider over ``temperatures`` (0.1 to 3, log-spaced) that draws ``n_samples``
    sequences at the chosen T and lists them.

    Returns the widget (:func:`labsupport.widgets.frames.frame_explorer`): in
    a kernel each temperature is sampled when the slider reaches it; in the
    book every temperature is sampled at build time (same seed, so the same
    samples) and the slider switches them in the browser.
    """
    import html

    import pandas as pd

    from labsupport.widgets.frames import frame_explorer, selection_slider

    # validate the arguments once, before any widget exists
    compute_sampling(step_fn, state, start_token=start_token, end_token=end_token, max_len=max_len,
                     temperatures=[temperature, *temperatures], n_samples=1, seed=seed)
    n_samples = check_int("n_samples", n_samples)

    def render(temperature):
        result = compute_sampling(step_fn, state, start_token=start_token, end_token=end_token, max_len=max_len,
                                  temperatures=[temperature], n_samples=n_samples, seed=seed)[0]
        text = f"T = {temperature:.2f}：{n_samples} 個樣本中有 {result.distinct} 種序列，平均 log P = {result.mean_log_prob:.2f}"
        table = pd.DataFrame([
            {"序列": _describe(seq, token_names, end_token), "次數": n, "log P": round(lp, 3)}
            for seq, n, lp in result.counts()
        ])
        return f'<p class="lab-frame-text">{html.escape(text)}</p>' + table.to_html(classes="dataframe lab-frame-table")

    slider = selection_slider(list(temperatures), value=temperature, description="溫度 T",
                              labels=[f"{t:g}" for t in temperatures])
    return frame_explorer(slider, render)

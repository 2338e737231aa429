"""Benchmark: labsupport's compiled Seq2Seq and vectorized beam search against the slow ways.

Run from the repository root:

    python benchmarks/bench_seq2seq.py            # full sizes (a few minutes on 2 CPU cores)
    python benchmarks/bench_seq2seq.py --quick    # small sizes, a smoke run

It prints, from one run on the same data and model sizes:

1. training time per epoch of ``labsupport.models.Seq2Seq(attention="bahdanau")``
   (decoder loop compiled with ``keras.ops.scan`` inside ``fit``) against
   ``reference.NaiveBahdanauSeq2Seq`` (Python loop over decoder steps, LSTM on
   one-step slices, ``run_eagerly=True``). Target: at least 5× faster.
2. beam search at width 5 with ``labsupport.decoding.beam_search`` (one
   step-function call per step for all beams) against
   ``reference.per_beam_search`` (one call per beam per step), on a trained
   token Seq2Seq; the results must be identical. Target: at least 3× faster.

It says which backend and device it ran on; it uses a GPU when Keras sees
one. Figures measured so far are in benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from labsupport.device import setup  # noqa: E402


def seconds_per_epoch(model, inputs, targets, batch_size, epochs):
    """Mean wall time of ``epochs`` epochs, after one warm-up epoch (tracing, compilation)."""
    model.fit(inputs, targets, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    start = time.perf_counter()
    model.fit(inputs, targets, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
    return (time.perf_counter() - start) / epochs


def training_benchmark(sizes, seed):
    import keras

    from labsupport.models import Seq2Seq, shift_right, start_frame
    from reference import NaiveBahdanauSeq2Seq

    rng = np.random.default_rng(seed)
    n, t_in, t_out, n_features, n_outputs, units = (sizes[k] for k in ("n", "t_in", "t_out", "n_features", "n_outputs", "units"))
    # A smooth multivariate signal; targets are its next t_out values of the first n_outputs variables.
    time_axis = np.arange(t_in + t_out)[None, :, None]
    phases = rng.uniform(0, 2 * np.pi, size=(n, 1, n_features))
    series = np.sin(0.3 * time_axis + phases) + 0.05 * rng.normal(size=(n, t_in + t_out, n_features))
    encoder_inputs = series[:, :t_in].astype("float32")
    targets = series[:, t_in:, :n_outputs].astype("float32")
    decoder_inputs = shift_right(targets, start_frame(encoder_inputs, list(range(n_outputs))))
    inputs = [encoder_inputs, decoder_inputs]

    keras.utils.set_random_seed(seed)
    compiled = Seq2Seq(n_features=n_features, n_outputs=n_outputs, units=units, attention="bahdanau", seed=seed)
    compiled.compile(optimizer="adam", loss="mse")
    naive = NaiveBahdanauSeq2Seq(n_outputs, units)
    naive.compile(optimizer="adam", loss="mse", run_eagerly=True)
    naive(inputs)  # build

    print(
        f"\n[1] Seq2Seq + Bahdanau training: {n} sequences, T_in={t_in}, T_out={t_out}, "
        f"{n_features} features → {n_outputs} outputs, {units} units, batch {sizes['batch']}"
    )
    trainable = lambda m: sum(int(np.prod(w.shape)) for w in m.trainable_weights)  # noqa: E731
    print(f"    trainable parameters: labsupport {trainable(compiled):,} · naive {trainable(naive):,}")
    fast = seconds_per_epoch(compiled, inputs, targets, sizes["batch"], sizes["epochs_fast"])
    print(f"    labsupport Seq2Seq (keras.ops.scan, compiled fit): {fast:8.3f} s/epoch")
    n_batches = -(-n // sizes["batch"])
    naive_batches = sizes.get("naive_batches") or n_batches
    if naive_batches < n_batches:
        # Op-by-op JAX is so slow that a whole epoch would take minutes: time a few batches and scale.
        part = naive_batches * sizes["batch"]
        slow = seconds_per_epoch(naive, [a[:part] for a in inputs], targets[:part], sizes["batch"], sizes["epochs_slow"])
        slow *= n_batches / naive_batches
        note = f"  (timed on {naive_batches} of {n_batches} batches, scaled)"
    else:
        slow = seconds_per_epoch(naive, inputs, targets, sizes["batch"], sizes["epochs_slow"])
        note = ""
    print(f"    naive eager loop over decoder steps:              {slow:8.3f} s/epoch{note}")
    ratio = slow / fast
    print(f"    speed-up: {ratio:.1f}×  (target ≥ 5×: {'met' if ratio >= 5 else 'NOT met'})")
    return ratio


def beam_benchmark(sizes, seed):
    import keras

    from labsupport.decoding import CountingStepFn, beam_search
    from labsupport.models import Seq2Seq, shift_right
    from reference import copy_state, per_beam_search

    vocab, length, width = 12, sizes["beam_length"], 5
    start_token, end_token = 1, 2
    rng = np.random.default_rng(seed)
    # Reverse a sequence of ids 3..11, then <end>: a small model trained for a few epochs.
    source = rng.integers(3, vocab, size=(sizes["beam_train"], length))
    target = np.concatenate([source[:, ::-1], np.full((len(source), 1), end_token)], axis=1)
    model = Seq2Seq(source_vocab_size=vocab, target_vocab_size=vocab, units=sizes["beam_units"], attention="bahdanau", seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit([source, shift_right(target, start_token)], target, epochs=sizes["beam_epochs"], batch_size=64, verbose=0)

    sources = rng.integers(3, vocab, size=(sizes["beam_sources"], length))
    max_len = length + 3
    prepared = [model.decoding_fn(s) for s in sources]
    # Warm up both shapes of the compiled one-step decoder (5 rows and 1 row).
    step_fn, state = prepared[0]
    beam_search(step_fn, copy_state(state), start_token, end_token, width, 2)
    per_beam_search(step_fn, copy_state(state), start_token, end_token, width, 2)

    print(f"\n[2] beam search, width {width}: {len(sources)} sources of length {length}, vocab {vocab}, max_len {max_len}")
    vectorized_calls = per_beam_calls = 0
    vectorized_time = per_beam_time = 0.0
    identical = True
    for step_fn, state in prepared:
        counting = CountingStepFn(step_fn)
        start = time.perf_counter()
        fast = beam_search(counting, copy_state(state), start_token, end_token, width, max_len)
        vectorized_time += time.perf_counter() - start
        vectorized_calls += counting.calls
        counting = CountingStepFn(step_fn)
        start = time.perf_counter()
        slow = per_beam_search(counting, copy_state(state), start_token, end_token, width, max_len)
        per_beam_time += time.perf_counter() - start
        per_beam_calls += counting.calls
        same = len(fast) == len(slow) and all(
            np.array_equal(a.tokens, b.tokens) and np.isclose(a.log_prob, b.log_prob, rtol=1e-5, atol=1e-6) and a.ended == b.ended
            for a, b in zip(fast, slow)
        )
        identical &= same
    correct = np.mean([np.array_equal(beam_search(f, s, start_token, end_token, width, max_len)[0].tokens[:-1], src[::-1]) for (f, s), src in zip(prepared[:10], sources[:10])])
    print(f"    labsupport beam_search (vectorized): {vectorized_time:7.2f} s, {vectorized_calls} model calls")
    print(f"    per-beam loop:                       {per_beam_time:7.2f} s, {per_beam_calls} model calls")
    print(f"    identical hypotheses, tokens and log-probs: {identical}   (best = reversed source in {correct:.0%} of 10 checked)")
    ratio = per_beam_time / vectorized_time
    print(f"    speed-up: {ratio:.1f}×  (target ≥ 3×: {'met' if ratio >= 3 else 'NOT met'})")
    if not identical:
        raise SystemExit("beam search results differ between the vectorized and the per-beam version")
    return ratio


FULL = dict(n=1024, t_in=24, t_out=12, n_features=4, n_outputs=2, units=64, batch=64, epochs_fast=3, epochs_slow=1,
            beam_length=8, beam_units=32, beam_train=2000, beam_epochs=6, beam_sources=30)
QUICK = dict(n=128, t_in=12, t_out=6, n_features=3, n_outputs=2, units=16, batch=32, epochs_fast=1, epochs_slow=1,
             beam_length=5, beam_units=16, beam_train=300, beam_epochs=2, beam_sources=3)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["training", "beam"], help="run one of the two benchmarks")
    parser.add_argument(
        "--naive-batches", type=int, default=None,
        help="time the naive reference on this many batches and scale to an epoch "
        "(default: a whole epoch; 2 batches on JAX, where op-by-op execution takes minutes per epoch)",
    )
    args = parser.parse_args(argv)
    sizes = dict(QUICK if args.quick else FULL)
    import keras

    if args.naive_batches is not None:
        sizes["naive_batches"] = args.naive_batches
    elif keras.backend.backend() == "jax":
        sizes["naive_batches"] = 2
    info = setup(seed=args.seed, verbose=False)
    where = info.device_name if info.device_type == "GPU" else f"CPU ({info.cpu_cores} cores)"
    print(f"Keras {info.keras_version} · backend {info.backend} · device: {info.device_type} — {where}")
    ratios = {}
    if args.only in (None, "training"):
        ratios["training"] = training_benchmark(sizes, args.seed)
    if args.only in (None, "beam"):
        ratios["beam"] = beam_benchmark(sizes, args.seed)
    print("\nsummary: " + " · ".join(f"{name} {ratio:.1f}×" for name, ratio in ratios.items()))
    return ratios


if __name__ == "__main__":
    main()

"""Does the quality data set reward a bidirectional RNN? A measurement, not a unit test.

For each seed: make ``quality_dataset(n_batches=600, seed=seed)``, split it
400 / 100 / 100 (train / validation / test), standardise the inputs with
statistics of the training part, and train two small classifiers with the
same optimiser, epochs and initial seed:

    unidirectional  LSTM(16)                  -> Dense(3, softmax)
    bidirectional   Bidirectional(LSTM(16))   -> Dense(3, softmax)

Prints the test accuracy of both and the accuracy of two one-sided oracles
(the best a classifier can do that knows only the early event, or only the
late event, with the true simulated conversion or by-product): a model must
combine both ends of the batch to beat them.

Run:  python benchmarks/data_bidirectional_check.py [--seeds 0 1 2] [--epochs 15]
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402


def one_sided_oracle_accuracy(dataset, key: str) -> float:
    """Accuracy of predicting the grade from one simulated quantity alone, by the best
    threshold rule on it (majority grade per decile bin)."""
    value = dataset.extras[key]
    bins = np.quantile(value, np.linspace(0, 1, 11)[1:-1])
    which = np.digitize(value, bins)
    correct = 0
    for b in np.unique(which):
        grades = dataset.targets[which == b]
        correct += np.bincount(grades).max()
    return correct / len(dataset)


def build(bidirectional: bool, steps: int, features: int, classes: int):
    import keras

    inputs = keras.Input((steps, features))
    recurrent = keras.layers.LSTM(16)
    encoded = keras.layers.Bidirectional(recurrent)(inputs) if bidirectional else recurrent(inputs)
    outputs = keras.layers.Dense(classes, activation="softmax")(encoded)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()

    import keras

    from labsupport.data import Standardizer, quality_dataset

    print(f"keras {keras.__version__}, backend {keras.backend.backend()}, epochs {args.epochs}")
    print("seed  uni_test  bi_test  uni_val  bi_val  early_oracle  late_oracle  seconds")
    rows = []
    for seed in args.seeds:
        dataset = quality_dataset(n_batches=600, seed=seed)
        train, val, test = dataset.split((400 / 600, 100 / 600, 100 / 600), seed=seed)
        scaler = Standardizer.fit(train.inputs)
        x_train, x_val, x_test = (scaler.transform(part.inputs) for part in (train, val, test))
        scores = {}
        start = time.perf_counter()
        for bidirectional in (False, True):
            keras.utils.set_random_seed(seed)
            model = build(bidirectional, *x_train.shape[1:], len(dataset.class_names))
            model.fit(x_train, train.targets, epochs=args.epochs, batch_size=16, verbose=0,
                      validation_data=(x_val, val.targets))
            scores[bidirectional] = (model.evaluate(x_test, test.targets, verbose=0)[1],
                                     model.evaluate(x_val, val.targets, verbose=0)[1])
        early = one_sided_oracle_accuracy(dataset, "final_conversion")
        late = one_sided_oracle_accuracy(dataset, "byproduct_fraction")
        rows.append((scores[False][0], scores[True][0]))
        print(f"{seed:4d}  {scores[False][0]:8.3f}  {scores[True][0]:7.3f}  {scores[False][1]:7.3f}  "
              f"{scores[True][1]:6.3f}  {early:12.3f}  {late:11.3f}  {time.perf_counter() - start:7.1f}")
    uni, bi = np.mean(rows, axis=0)
    print(f"mean  {uni:8.3f}  {bi:7.3f}   (bidirectional - unidirectional = {bi - uni:+.3f})")


if __name__ == "__main__":
    main()

"""Train small classifiers side by side and report test accuracy, training time and size.

- :func:`fit_and_score` trains one compiled-here model and measures it;
- :func:`compare_models` does that for several model builders over several
  seeds and returns one row per (model, seed);
- :func:`summarize` turns those rows into the table a chapter shows: mean and
  spread of the accuracy over the seeds, training time relative to a reference
  model, and parameter counts.

Training time is wall-clock time of ``model.fit`` on whatever machine runs the
book (it includes Keras' one-off graph tracing); compare times within one run,
not across machines.
"""
from __future__ import annotations

import numbers
import time
from collections.abc import Callable, Sequence

import numpy as np

from labsupport.checks import check_int

__all__ = ["fit_and_score", "compare_models", "summarize"]


def _accuracy(probabilities: np.ndarray, targets: np.ndarray) -> float:
    """Share of targets (>= 0; negative ones are padding) matched by the most probable class."""
    valid = targets >= 0
    return float(np.mean(np.argmax(probabilities, axis=-1)[valid] == targets[valid]))


def fit_and_score(model, train_inputs, train_targets, test_inputs, test_targets, *, epochs: int = 20,
                  batch_size: int = 64, learning_rate: float = 5e-3, seed: int = 0, sample_weight=None,
                  validation=None, patience: int = 5) -> dict:
    """Compile ``model`` (Adam, sparse categorical cross-entropy), train it, and score it on the test set.

    ``train_targets``/``test_targets`` are integer class ids of the shape of
    the model's output without its last axis: (n,) for a sequence classifier,
    (n, T) for a per-step labeler (negative ids are padding and do not count
    in the accuracy). ``seed`` fixes Keras' global generator before training
    (the order of the mini-batches); the initial weights are the builder's.

    With ``validation=(inputs, targets)`` training stops early: after
    ``patience`` epochs without a lower validation loss it stops and keeps the
    weights of the epoch with the lowest validation loss (``epochs`` is then
    the most it may run). Without it, it runs exactly ``epochs`` epochs.

    Returns ``{"accuracy", "train_seconds", "params", "epochs_run",
    "best_epoch"}``: test accuracy (share of test targets whose most probable
    class is right), wall-clock seconds of ``fit``, ``model.count_params()``,
    the number of epochs trained and the (1-based) epoch whose weights were
    kept (the last one without ``validation``).

    Raises ``ValueError`` for sizes < 1, a learning rate <= 0, or targets
    whose shape does not match the inputs.
    """
    import keras

    epochs, batch_size = check_int("epochs", epochs), check_int("batch_size", batch_size)
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real) or not learning_rate > 0:
        raise ValueError(f"learning_rate must be a number > 0, got {learning_rate!r}")
    train_targets, test_targets = np.asarray(train_targets), np.asarray(test_targets)
    for part, inputs, targets in (("train", train_inputs, train_targets), ("test", test_inputs, test_targets)):
        if np.shape(inputs)[0] != targets.shape[0]:
            raise ValueError(f"{part} inputs have {np.shape(inputs)[0]} samples but {part} targets {targets.shape[0]}")
    fit_options = {}
    if validation is not None:
        patience = check_int("patience", patience)
        validation_inputs, validation_targets = validation
        validation_targets = np.asarray(validation_targets)
        if np.shape(validation_inputs)[0] != validation_targets.shape[0]:
            raise ValueError(f"validation inputs have {np.shape(validation_inputs)[0]} samples but validation "
                             f"targets {validation_targets.shape[0]}")
        fit_options["validation_data"] = (validation_inputs, np.maximum(validation_targets, 0))
        fit_options["callbacks"] = [keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)]
    keras.utils.set_random_seed(seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy")
    started = time.perf_counter()
    history = model.fit(train_inputs, np.maximum(train_targets, 0), sample_weight=sample_weight, epochs=epochs,
                        batch_size=batch_size, verbose=0, **fit_options)
    seconds = time.perf_counter() - started
    epochs_run = len(history.history["loss"])
    best_epoch = int(np.argmin(history.history["val_loss"])) + 1 if validation is not None else epochs_run
    probabilities = np.asarray(model.predict(test_inputs, batch_size=256, verbose=0))
    if probabilities.shape[:-1] != test_targets.shape:
        raise ValueError(f"the model outputs {probabilities.shape} but the test targets have shape {test_targets.shape}")
    return {"accuracy": _accuracy(probabilities, test_targets), "train_seconds": seconds,
            "params": int(model.count_params()), "epochs_run": epochs_run, "best_epoch": best_epoch}


def compare_models(builders: dict[str, Callable[[int], object]], train_inputs, train_targets, test_inputs,
                   test_targets, *, seeds: Sequence[int] = (0, 1, 2), progress: bool = True, **fit_options):
    """Train every model of ``builders`` once per seed and score it.

    ``builders`` maps a display name to a function ``seed -> Keras model``
    (uncompiled). ``fit_options`` go to :func:`fit_and_score` (epochs,
    batch_size, learning_rate, validation, patience). With ``progress`` one
    compact line per trained model is printed (in Chinese, as the book's pages
    show it).

    Returns a pandas DataFrame with one row per (model, seed) and columns
    ``model``, ``seed``, ``accuracy``, ``train_seconds``, ``params``,
    ``epochs_run``, ``best_epoch``.

    Raises ``ValueError`` for no builders or no seeds.
    """
    import pandas as pd

    if not builders:
        raise ValueError("builders must name at least one model")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    rows = []
    for seed in seeds:
        for name, build in builders.items():
            scores = fit_and_score(build(seed), train_inputs, train_targets, test_inputs, test_targets, seed=seed,
                                   **fit_options)
            rows.append({"model": name, "seed": seed, **scores})
            if progress:
                print(f"{name}，種子 {seed}：測試準確率 {scores['accuracy']:.3f}，{scores['params']:,} 個參數，"
                      f"訓練 {scores['epochs_run']} 個週期（保留第 {scores['best_epoch']} 個），"
                      f"{scores['train_seconds']:.1f} 秒")
    return pd.DataFrame(rows)


def summarize(results, reference: str):
    """One row per model: accuracy over the seeds, relative training time, parameter counts.

    ``results`` is :func:`compare_models`' output; ``reference`` the model the
    times and sizes are relative to. Columns (in the book's language):
    ``準確率平均``, ``標準差`` (sample standard deviation over the seeds, 0
    for one seed), ``最低``, ``最高``, ``相對訓練時間`` (mean seconds / the
    reference's mean seconds), ``參數量``, ``相對參數量``. Rows keep the
    order in which the models first appear.

    Raises ``ValueError`` if ``reference`` is not one of the models.
    """
    import pandas as pd

    names = list(dict.fromkeys(results["model"]))
    if reference not in names:
        raise ValueError(f"reference must be one of the models {names}, got {reference!r}")
    grouped = results.groupby("model", sort=False)
    accuracy = grouped["accuracy"]
    seconds = grouped["train_seconds"].mean()
    params = grouped["params"].first()
    table = pd.DataFrame({
        "準確率平均": accuracy.mean(),
        "標準差": accuracy.std(ddof=1).fillna(0.0),
        "最低": accuracy.min(),
        "最高": accuracy.max(),
        "相對訓練時間": seconds / seconds[reference],
        "參數量": params,
        "相對參數量": params / params[reference],
    }).loc[names]
    table.index.name = "模型"
    return table

import numpy as np
import pandas as pd
import pytest

from labsupport import models
from labsupport.comparison import compare_models, fit_and_score, summarize


@pytest.fixture(scope="module")
def sign_task():
    """Class = whether the first step's feature is positive: learnable in a few epochs."""
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(96, 6, 1)).astype(np.float32)
    targets = (inputs[:, 0, 0] > 0).astype(np.int64)
    return inputs[:64], targets[:64], inputs[64:], targets[64:]


def _builder(bidirectional):
    return lambda seed: models.rnn_classifier(1, 2, cell="gru", units=4, bidirectional=bidirectional, seed=seed)


@pytest.mark.slow
def test_fit_and_score_reports_the_test_accuracy_of_the_trained_model(sign_task):
    train_x, train_y, test_x, test_y = sign_task
    model = _builder(True)(0)
    scores = fit_and_score(model, train_x, train_y, test_x, test_y, epochs=3, batch_size=16, learning_rate=1e-2)
    # recomputed independently from the trained model
    expected = np.mean(np.argmax(model.predict(test_x, verbose=0), axis=-1) == test_y)
    assert scores["accuracy"] == pytest.approx(expected)
    assert scores["params"] == model.count_params() and scores["train_seconds"] > 0


@pytest.mark.slow
def test_fit_and_score_with_validation_stops_early_and_keeps_the_best_epoch(sign_task):
    train_x, train_y, test_x, test_y = sign_task
    # validation targets the model cannot fit (labels flipped): the validation loss rises, training stops
    validation = (train_x[:32], 1 - train_y[:32])
    scores = fit_and_score(_builder(False)(0), train_x, train_y, test_x, test_y, epochs=40, batch_size=16,
                           learning_rate=1e-2, validation=validation, patience=2)
    assert scores["epochs_run"] < 40
    assert scores["best_epoch"] == scores["epochs_run"] - 2        # patience epochs after the best one
    without = fit_and_score(_builder(False)(0), train_x, train_y, test_x, test_y, epochs=3, batch_size=16)
    assert without["epochs_run"] == without["best_epoch"] == 3
    with pytest.raises(ValueError, match="validation inputs"):
        fit_and_score(_builder(False)(0), train_x, train_y, test_x, test_y, epochs=1, validation=(train_x, train_y[:5]))


@pytest.mark.slow
def test_compare_models_same_seed_same_result(sign_task, capsys):
    builders = {"uni": _builder(False), "bi": _builder(True)}
    first = compare_models(builders, *sign_task, seeds=(3,), epochs=2, batch_size=16)
    second = compare_models(builders, *sign_task, seeds=(3,), epochs=2, batch_size=16, progress=False)
    assert list(first["model"]) == ["uni", "bi"] and set(first["seed"]) == {3}
    np.testing.assert_array_equal(first["accuracy"], second["accuracy"])
    assert len(capsys.readouterr().out.strip().splitlines()) == 2    # one line per model, only with progress


def test_summarize_matches_numpy_statistics():
    results = pd.DataFrame({
        "model": ["uni", "bi", "uni", "bi", "uni", "bi"],
        "seed": [0, 0, 1, 1, 2, 2],
        "accuracy": [0.70, 0.80, 0.72, 0.86, 0.68, 0.83],
        "train_seconds": [2.0, 3.0, 2.2, 3.4, 1.8, 3.2],
        "params": [100, 200, 100, 200, 100, 200],
    })
    table = summarize(results, reference="uni")
    assert list(table.index) == ["uni", "bi"]
    bi = np.array([0.80, 0.86, 0.83])
    assert table.loc["bi", "準確率平均"] == pytest.approx(bi.mean())
    assert table.loc["bi", "標準差"] == pytest.approx(bi.std(ddof=1))
    assert (table.loc["bi", "最低"], table.loc["bi", "最高"]) == (0.80, 0.86)
    assert table.loc["bi", "相對訓練時間"] == pytest.approx(3.2 / 2.0)
    assert table.loc["uni", "相對訓練時間"] == pytest.approx(1.0)
    assert table.loc["bi", "相對參數量"] == pytest.approx(2.0)


def test_bad_arguments_raise(sign_task):
    results = pd.DataFrame({"model": ["a"], "seed": [0], "accuracy": [1.0], "train_seconds": [1.0], "params": [1]})
    with pytest.raises(ValueError, match="reference"):
        summarize(results, reference="b")
    assert summarize(results, reference="a").loc["a", "標準差"] == 0.0
    with pytest.raises(ValueError, match="builders"):
        compare_models({}, *sign_task)
    with pytest.raises(ValueError, match="seeds"):
        compare_models({"a": _builder(False)}, *sign_task, seeds=())
    train_x, train_y, test_x, test_y = sign_task
    with pytest.raises(ValueError, match="learning_rate"):
        fit_and_score(None, train_x, train_y, test_x, test_y, learning_rate=0)
    with pytest.raises(ValueError, match="samples"):
        fit_and_score(None, train_x, train_y[:5], test_x, test_y)

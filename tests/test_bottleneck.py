import keras
import numpy as np
import pytest
from scipy.special import softmax

from labsupport.bottleneck import (
    PHASE_MINUTES,
    PHASE_NAMES,
    PositionEncoding,
    batch_temperature_records,
    code_model,
    pca_floor,
    reconstruction_model,
)
from labsupport.positional import sinusoidal_encoding


def test_records_are_deterministic_and_follow_the_recipe():
    first = batch_temperature_records(64, 105, seed=4)
    again = batch_temperature_records(64, 105, seed=4)
    other = batch_temperature_records(64, 105, seed=5)
    np.testing.assert_array_equal(first.temperature, again.temperature)
    assert not np.allclose(first.temperature, other.temperature)
    assert first.temperature.shape == first.setpoint.shape == (64, 105)
    # phases in recipe order with durations in the recipe's proportions (105 steps = 210 min / 2)
    counts = np.bincount(first.phase_ids, minlength=len(PHASE_NAMES))
    np.testing.assert_allclose(counts, np.asarray(PHASE_MINUTES) / 2, atol=1)
    assert np.all(np.diff(first.phase_ids) >= 0)
    np.testing.assert_allclose(first.time, (np.arange(105) + 0.5) * 2.0)
    # the reaction phase runs hotter than pre-heating; temperatures are plausible
    temperature = first.setpoint.mean(axis=0)
    assert temperature[first.phase_ids == 3].mean() > temperature[first.phase_ids == 0].mean() + 20
    assert 280 < first.temperature.min() and first.temperature.max() < 380


def test_disturbance_statistics():
    records = batch_temperature_records(4000, 30, seed=0, disturbance_std=2.0, correlation=0.6)
    disturbance = (records.temperature - records.setpoint).astype(np.float64)
    assert disturbance.std() == pytest.approx(2.0, rel=0.03)
    lag1 = np.corrcoef(disturbance[:, :-1].ravel(), disturbance[:, 1:].ravel())[0, 1]
    assert lag1 == pytest.approx(0.6, abs=0.03)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_batches=0, length=5), "n_batches"),
        (dict(n_batches=2, length=-1), "length"),
        (dict(n_batches=2, length=5, correlation=1.0), "correlation"),
        (dict(n_batches=2, length=5, disturbance_std=-1.0), "standard deviations"),
        (dict(n_batches=2, length=5, minutes_per_step=0), "minutes_per_step"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        batch_temperature_records(seed=0, **kwargs)


def test_position_encoding_layer_broadcasts_the_closed_form():
    layer = PositionEncoding(8)
    out = keras.ops.convert_to_numpy(layer(np.zeros((3, 10, 2), dtype="float32")))
    assert out.shape == (3, 10, 8)
    np.testing.assert_allclose(out[2], sinusoidal_encoding(10, 8, base=40.0), atol=1e-6)


def test_attention_weights_equal_numpy_formula_from_the_layer_weights():
    keras.utils.set_random_seed(0)
    length = 12
    model, attention_model = reconstruction_model(length, attention=True, units=8, position_dim=6)
    records = batch_temperature_records(2, length, seed=1)
    reconstruction, weights = attention_model.predict(records.temperature[..., None], verbose=0)
    np.testing.assert_allclose(reconstruction, model.predict(records.temperature[..., None], verbose=0))
    assert weights.shape == (2, length, length)
    projection = model.get_layer("position_projection").kernel.numpy()
    scale = float(model.get_layer("position_attention").scale.numpy())
    queries = sinusoidal_encoding(length, 6, base=4.0 * length) @ projection
    expected = softmax(scale * queries @ queries.T, axis=-1)
    np.testing.assert_allclose(weights[0], expected, atol=1e-5)
    np.testing.assert_allclose(weights[1], expected, atol=1e-5)


def test_fixed_vector_model_sees_only_the_final_state():
    keras.utils.set_random_seed(0)
    model, attention_model = reconstruction_model(10, attention=False, units=4)
    assert attention_model is None
    # the decoder's input is [final state repeated, position]: no layer sees the encoder sequence
    encoder = model.get_layer("encoder")
    assert encoder.return_state
    decoder_inputs = model.get_layer("decoder_hidden").input.shape
    assert decoder_inputs[-1] == 4 + 16


def test_attention_learns_to_copy_a_short_record():
    keras.utils.set_random_seed(1)
    length = 10
    train = batch_temperature_records(512, length, seed=10)
    test = batch_temperature_records(128, length, seed=11)
    model, _ = reconstruction_model(length, attention=True, units=16)
    model.fit(train.temperature[..., None], train.temperature[..., None], epochs=25, batch_size=64, verbose=0)
    prediction = model.predict(test.temperature[..., None], verbose=0)[..., 0]
    rmse = np.sqrt(np.mean((prediction - test.temperature) ** 2))
    setpoint_rmse = np.sqrt(np.mean((test.setpoint - test.temperature) ** 2))
    assert rmse < 0.5 * setpoint_rmse  # it rebuilds the disturbances, not just the recipe curve


def test_code_model_squeezes_the_record_through_code_size_numbers():
    model = code_model(12, code_size=3, units=8, hidden_units=16, seed=1)
    records = batch_temperature_records(5, 12, seed=0).temperature
    rebuilt = np.asarray(model(records[..., None]))
    assert rebuilt.shape == (5, 12)
    assert model.get_layer("code").output.shape == (None, 3)
    # the decoder sees only the code: a model cut at the code reproduces the output
    code = keras.Model(model.input, model.get_layer("code").output)(records[..., None])
    decoder_hidden = model.get_layer("decoder_hidden")(code)
    scaled = model.get_layer("decoder_output")(decoder_hidden)
    np.testing.assert_allclose(np.asarray(model.get_layer("reconstruction")(scaled)), rebuilt, rtol=1e-5, atol=1e-3)
    again = code_model(12, code_size=3, units=8, hidden_units=16, seed=1)
    np.testing.assert_allclose(np.asarray(again(records[..., None])), rebuilt, rtol=1e-6)
    with pytest.raises(ValueError, match="code_size"):
        code_model(12, code_size=0)


def test_pca_floor_matches_a_direct_projection_and_falls_with_the_code_size():
    train = batch_temperature_records(300, 20, seed=1).temperature
    test = batch_temperature_records(100, 20, seed=2).temperature
    floors = [pca_floor(train, test, k) for k in (1, 2, 4, 8, 20)]
    assert all(a > b for a, b in zip(floors, floors[1:]))
    assert floors[-1] == pytest.approx(0.0, abs=1e-3)            # every component: exact rebuild
    # independent computation through the covariance's eigenvectors
    centred = train - train.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)
    top = eigenvectors[:, np.argsort(eigenvalues)[::-1][:4]]
    rebuilt = (test - train.mean(axis=0)) @ top @ top.T + train.mean(axis=0)
    assert floors[2] == pytest.approx(np.sqrt(np.mean((rebuilt - test) ** 2)), rel=1e-6)
    with pytest.raises(ValueError, match="code_size"):
        pca_floor(train, test, 21)
    with pytest.raises(ValueError, match="same length"):
        pca_floor(train, test[:, :10], 2)

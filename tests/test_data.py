"""The lessons' data sets: shapes, physics, determinism, labels, the corruption mask, errors, snapshots."""
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labsupport import data
from labsupport.reactor import vapour_pressure_bar

ROOT = Path(__file__).resolve().parent.parent

SMALL = {
    "quality": lambda seed: data.quality_dataset(n_batches=24, n_steps=60, seed=seed),
    "phase": lambda seed: data.phase_dataset(n_batches=12, min_len=40, max_len=70, seed=seed),
    "forecast": lambda seed: data.forecast_dataset(n_samples=40, past=12, horizon=6, seed=seed),
    "conversion": lambda seed: data.conversion_dataset(n_batches=10, in_len=50, out_len=30, seed=seed),
    "repair": lambda seed: data.repair_dataset(n_batches=10, n_steps=50, seed=seed),
    "endtime": lambda seed: data.endtime_dataset(n_batches=12, seed=seed),
    "anomaly": lambda seed: data.anomaly_dataset(n_batches=10, n_steps=80, seed=seed),
}


@pytest.fixture(scope="module")
def quality():
    return data.quality_dataset()


@pytest.fixture(scope="module")
def endtime():
    return data.endtime_dataset()


# ----------------------------------------------------------------------------- common contract
@pytest.mark.parametrize("name", sorted(SMALL))
def test_same_seed_same_arrays_other_seed_other_arrays(name):
    first, again, other = SMALL[name](3), SMALL[name](3), SMALL[name](4)
    assert first.inputs.dtype == np.float32 and first.inputs.ndim == 3
    np.testing.assert_array_equal(first.inputs, again.inputs)
    np.testing.assert_array_equal(first.targets, again.targets)
    assert not np.array_equal(first.inputs, other.inputs)
    assert first.seed == 3
    assert len(first.input_names) == len(first.input_units) == first.inputs.shape[-1]
    assert all(isinstance(text, str) and text for text in first.input_names + first.target_names)
    assert isinstance(first.description, str) and first.info
    assert np.all(np.isfinite(first.inputs))


def test_split_partitions_the_samples_and_keeps_extras_aligned():
    dataset = SMALL["quality"](0)
    train, val, test = dataset.split((0.5, 0.25, 0.25), seed=2)
    assert (len(train), len(val), len(test)) == (12, 6, 6)
    rows = {tuple(row) for part in (train, val, test) for row in part.inputs[:, :, 0]}
    assert len(rows) == len(dataset)
    again = dataset.split((0.5, 0.25, 0.25), seed=2)[0]
    np.testing.assert_array_equal(again.inputs, train.inputs)
    # a sample's extras travel with it
    index = int(np.nonzero((dataset.inputs[:, :, 0] == train.inputs[0, :, 0]).all(axis=1))[0][0])
    assert train.extras["final_conversion"][0] == dataset.extras["final_conversion"][index]
    assert train.targets[0] == dataset.targets[index]
    with pytest.raises(ValueError, match="sum to 1"):
        dataset.split((0.5, 0.3, 0.3))
    with pytest.raises(ValueError, match="positive"):
        dataset.split((1.2, -0.2))


def test_standardizer_uses_train_statistics_and_keeps_padding():
    dataset = SMALL["phase"](0)
    train, rest = dataset.split((0.5, 0.5), seed=0)
    scaler = data.Standardizer.fit(train.inputs, lengths=train.lengths)
    valid = train.inputs[train.mask()]                                  # (valid steps, F)
    np.testing.assert_allclose(scaler.mean, valid.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(scaler.std, valid.std(axis=0), rtol=1e-4)
    scaled = scaler.transform(rest.inputs, lengths=rest.lengths)
    assert np.all(scaled[~rest.mask()] == 0.0)
    np.testing.assert_allclose(scaler.inverse_transform(scaled)[rest.mask()], rest.inputs[rest.mask()], rtol=1e-5, atol=1e-3)
    with pytest.raises(ValueError, match="features"):
        scaler.transform(rest.inputs[..., :2])


# ----------------------------------------------------------------------------- 1 quality
def test_quality_classes_are_balanced_and_follow_the_spec(quality):
    assert quality.inputs.shape == (600, 100, 5)
    assert quality.class_names == ("A", "B", "C")
    shares = np.bincount(quality.targets, minlength=3) / len(quality)
    assert np.all((shares >= 0.25) & (shares <= 0.45)), shares
    conversion, byproduct = quality.extras["final_conversion"], quality.extras["byproduct_fraction"]
    assert conversion.min() >= 0 and conversion.max() <= 1
    # the grade rule, recomputed from the spec
    expected = np.where((conversion >= 0.97) & (byproduct <= 0.015), 0,
                        np.where((conversion >= 0.93) & (byproduct <= 0.04), 1, 2))
    np.testing.assert_array_equal(quality.targets, expected)


def test_quality_depends_on_an_early_and_a_late_event(quality):
    steps = quality.inputs.shape[1]
    feed = quality.inputs[:, :, 2]
    early, late = int(0.2 * steps), int(0.7 * steps)
    # the B charge happens in the first ~20 % of the batch and the sensors see it:
    # integral of the feed flow x 4 mol/L = B fed = feed ratio x A charged (≈ 1000 mol)
    assert feed[:, early + 3:].max() == 0.0
    # (flows are interval means, so the sum times the sampling interval is the volume fed)
    fed = feed.sum(axis=1) * quality.extras["minutes_per_step"] * 4.0
    np.testing.assert_allclose(fed, quality.extras["fed_B_mol"], rtol=0.03)
    assert np.corrcoef(fed, quality.extras["feed_ratio"])[0, 1] > 0.95
    # under-fed batches miss the conversion spec
    assert np.all(quality.extras["final_conversion"][quality.extras["feed_ratio"] < 0.92] < 0.93)
    # the jacket fault comes late, heats the jacket far above the reaction and makes by-product
    fault = quality.extras["jacket_fault"]
    assert np.nanmin(quality.extras["fault_start_min"] / quality.extras["batch_minutes"]) >= 0.70 - 1e-9
    jacket, temperature = quality.inputs[:, :, 3], quality.inputs[:, :, 0]
    reaction_temperature = np.median(temperature[:, int(0.4 * steps): int(0.6 * steps)], axis=1)
    jacket_excess = jacket[:, late:].max(axis=1) - reaction_temperature
    assert np.all(jacket_excess[fault] > 10) and np.all(jacket_excess[~fault] < 3)
    assert np.median(quality.extras["byproduct_fraction"][fault]) > 3 * np.median(quality.extras["byproduct_fraction"][~fault])
    # both matter: the grade is not a function of either event alone
    for event in (quality.extras["feed_ratio"] >= 1.0, fault):
        assert len(np.unique(quality.targets[event])) == 3


def test_quality_physical_ranges(quality):
    temperature, pressure, feed, jacket, power = np.moveaxis(quality.inputs, -1, 0)
    assert 15 < temperature.min() and temperature.max() < 120
    assert 0.85 < pressure.min() and pressure.max() < 6.6          # the relief valve opens at 6 bar
    assert feed.min() >= 0 and feed.max() < 20
    assert 5 < jacket.min() and jacket.max() <= 160.5
    assert power.min() > -0.2 and power.max() < 4
    assert quality.input_units == ("°C", "bar", "L/min", "°C", "kW")


# ----------------------------------------------------------------------------- 2 phases
def test_phase_padding_lengths_and_labels():
    dataset = data.phase_dataset(n_batches=40, min_len=50, max_len=90, n_features=8, seed=1)
    assert dataset.inputs.shape == (40, 90, 8) and dataset.targets.shape == (40, 90)
    assert dataset.lengths.min() >= 50 and dataset.lengths.max() <= 90
    mask = dataset.mask()
    np.testing.assert_array_equal(mask, dataset.targets >= 0)
    assert np.all(dataset.inputs[~mask] == 0.0) and np.all(dataset.targets[~mask] == -1)
    assert dataset.class_names == data.ALL_PHASES
    for labels, length in zip(dataset.targets, dataset.lengths):
        valid = labels[:length]
        assert np.all(np.diff(valid) >= 0)                      # recipe order
        np.testing.assert_array_equal(np.unique(valid), np.arange(7))   # every phase present
    # physical signature: B flows only during 加料 (a flow reading is the mean over the interval
    # before it, so the first step after the charge still sees its end)
    feed = dataset.inputs[..., 3]
    after_charge = np.concatenate([np.zeros((40, 1), bool), dataset.targets[:, :-1] == 1], axis=1)
    assert feed[(dataset.targets != 1) & ~after_charge & mask].max() == 0.0
    assert feed[dataset.targets == 1].mean() > 5.0


def test_phase_subset_and_context():
    subset = ("升溫", "反應", "穩定", "降溫")
    dataset = data.phase_dataset(n_batches=20, phases=subset, seed=2)
    assert dataset.class_names == subset
    assert set(np.unique(dataset.targets)) == {-1, 0, 1, 2, 3}
    # without 加料, B is in the reactor from the start: no feed at all
    assert dataset.inputs[..., 3].max() == 0.0

    # 反應 vs 穩定: one step alone barely beats the base rate; a window of context separates them
    full = data.phase_dataset(n_batches=200, seed=0)
    reaction, hold = full.class_names.index("反應"), full.class_names.index("穩定")
    mask = full.mask()
    chosen = mask & ((full.targets == reaction) | (full.targets == hold))
    labels = (full.targets[chosen] == hold).astype(float) * 2 - 1
    base = max(np.mean(labels > 0), np.mean(labels < 0))

    def least_squares_accuracy(features):
        features = (features - features.mean(0)) / (features.std(0) + 1e-9)
        design = np.c_[features, np.ones(len(features))]
        weights = np.linalg.lstsq(design, labels, rcond=None)[0]
        return np.mean(np.sign(design @ weights) == labels)

    single = least_squares_accuracy(full.inputs[chosen])
    width = 10
    padded = np.pad(full.inputs, ((0, 0), (width, width), (0, 0)), mode="edge")
    steps = full.inputs.shape[1]
    window = np.concatenate([padded[:, width + shift: width + shift + steps] for shift in range(-width, width + 1, 5)], -1)
    context = least_squares_accuracy(window[chosen])
    assert single < base + 0.08
    assert context > single + 0.15


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(phases=("預熱", "聚合")), "valid names"),
        (dict(phases=("反應", "升溫")), "recipe order"),
        (dict(phases=("反應", "反應")), "distinct"),
        (dict(phases="反應"), "tuple or list"),
        (dict(phases=()), "at least one"),
        (dict(min_len=100, max_len=80), "max_len"),
        (dict(min_len=10), "3 steps per phase"),
        (dict(n_features=11), "n_features"),
        (dict(n_batches=0), "n_batches"),
        (dict(n_batches=2.5), "n_batches"),
    ],
)
def test_phase_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.phase_dataset(**kwargs)


# ----------------------------------------------------------------------------- 3 forecast
def test_forecast_windows():
    dataset = data.forecast_dataset(n_samples=300, past=24, horizon=12, seed=0)
    assert dataset.inputs.shape == (300, 24, 10) and dataset.targets.shape == (300, 12, 5)
    assert dataset.info["minutes_per_step"] == 2.0
    columns = list(dataset.info["target_columns_in_inputs"])
    assert [dataset.input_names[c] for c in columns] == list(dataset.target_names)
    # the future continues the past: within a batch, the first future step is one step after the
    # last past step (temperature moves < 4 °C in 2 min; concentrations < 0.15 mol/L)
    batch = dataset.extras["batch_id"]
    position = dataset.extras["step_in_batch"]
    same_batch = position + 36 <= 80            # every batch is at least 80 steps (160 min) long
    jump = np.abs(dataset.targets[:, 0, :] - dataset.inputs[:, -1, columns])
    assert np.median(jump[same_batch, 0]) < 1.0 and np.percentile(jump[same_batch, 0], 95) < 4.0
    assert np.percentile(jump[same_batch, 3], 95) < 0.15
    # windows are consecutive and do not overlap: campaign order
    assert np.all(np.diff(batch) >= 0)
    assert len(np.unique(batch)) > 50


# ----------------------------------------------------------------------------- 4 conversion
def test_conversion_alignment_and_physics():
    dataset = data.conversion_dataset(n_batches=30, in_len=100, out_len=80, seed=0)
    assert dataset.inputs.shape == (30, 100, 1) and dataset.targets.shape == (30, 80, 1)
    position = dataset.info["output_to_input_position"]
    assert position[0] == 0 and position[-1] == 99
    input_minutes, output_minutes = dataset.extras["input_minutes"], dataset.extras["output_minutes"]
    for row in range(30):
        np.testing.assert_allclose(np.interp(position, np.arange(100), input_minutes[row]), output_minutes[row])
    # the pressure is never below the water vapour pressure at the aligned temperature
    aligned_temperature = np.stack([np.interp(position, np.arange(100), row) for row in dataset.inputs[..., 0]])
    floor = vapour_pressure_bar(aligned_temperature + 273.15)
    assert np.all(dataset.targets[..., 0] > floor - 0.02)
    # starts at the nitrogen pad (1.2-1.4 bar), ends vented near 1 atm
    assert np.all((dataset.targets[:, 0, 0] > 1.18) & (dataset.targets[:, 0, 0] < 1.42))
    assert np.all(np.abs(dataset.targets[:, -1, 0] - 1.013) < 0.25)


# ----------------------------------------------------------------------------- 5 corruption and repair
def test_corrupt_mask_matches_the_changes():
    clean = data.repair_dataset(n_batches=30, n_steps=80, seed=5).targets.astype(np.float64)
    before = clean.copy()
    corrupted, mask, codes = data.corrupt(clean, rate=0.08, seed=1)
    np.testing.assert_array_equal(clean, before)                        # input untouched
    assert corrupted.shape == mask.shape == codes.shape == clean.shape
    changed = ~((corrupted == clean) | (np.isnan(corrupted) & np.isnan(clean)))
    assert not np.any(changed & ~mask)                                  # nothing changes outside the mask
    np.testing.assert_array_equal(mask, codes > 0)
    np.testing.assert_array_equal(np.isnan(corrupted), codes == 1)      # NaN exactly where missing
    for code in (1, 2, 3):                                              # these always change the value
        assert np.all(changed[codes == code])
    stuck = codes == 4
    previous = np.concatenate([np.zeros_like(corrupted[:, :1]), corrupted[:, :-1]], axis=1)
    np.testing.assert_array_equal(corrupted[stuck], previous[stuck])    # frozen at the value before
    assert 0.04 < mask.mean() < 0.1
    assert set(np.unique(codes)) == {0, 1, 2, 3, 4}
    only = data.corrupt(clean, kinds=("spike",), rate=0.02, seed=1)[2]
    assert set(np.unique(only)) == {0, 2}


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((np.zeros((4, 10)),), {}, "shape"),
        ((np.full((2, 10, 1), np.nan),), {}, "finite"),
        ((np.zeros((2, 10, 1)),), dict(kinds=("missing", "glitch")), "unknown fault kinds"),
        ((np.zeros((2, 10, 1)),), dict(kinds="spike"), "tuple"),
        ((np.zeros((2, 10, 1)),), dict(rate=0.0), "rate"),
        ((np.zeros((2, 10, 1)),), dict(seed=-1), "seed"),
    ],
)
def test_corrupt_bad_arguments(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.corrupt(*args, **kwargs)


def test_repair_inputs_are_filled_and_flagged():
    dataset = data.repair_dataset(n_batches=40, n_steps=100, seed=0)
    assert dataset.inputs.shape == (40, 100, 10) and dataset.targets.shape == (40, 100, 5)
    assert not np.isnan(dataset.inputs).any()
    corrupted = dataset.extras["corrupted"]
    missing = np.isnan(corrupted)
    assert missing.any()
    np.testing.assert_array_equal(dataset.inputs[..., 5:] == 1.0, missing)
    # outside the mask, inputs are the clean values
    mask = dataset.extras["mask"]
    np.testing.assert_array_equal(dataset.inputs[..., :5][~mask], dataset.targets[~mask])
    # each filled value is the last valid reading before it
    for sample, step, feature in zip(*np.nonzero(missing)):
        history = corrupted[sample, :step, feature]
        valid = history[~np.isnan(history)]
        if valid.size:
            assert dataset.inputs[sample, step, feature] == valid[-1]


# ----------------------------------------------------------------------------- 6 end time
def test_endtime_information_sits_in_the_window(endtime):
    assert endtime.inputs.shape == (600, 50, 10) and endtime.targets.shape == (600,)
    start, stop = endtime.info["informative_window"]
    assert (start, stop) == (20, 32)
    target = endtime.targets.astype(np.float64)
    assert 90 < target.min() and target.max() < 300
    # more catalyst, earlier end (Spearman rank correlation)
    ranks = lambda values: np.argsort(np.argsort(values))  # noqa: E731
    assert np.corrcoef(ranks(endtime.extras["catalyst_mol"]), ranks(target))[0, 1] < -0.85
    dose = endtime.inputs[:, :, 0]
    assert dose[:, :start].max() == 0.0 and dose[:, stop:].max() == 0.0
    dosed = dose[:, start:stop].sum(axis=1)                                    # L, 1 step = 1 min
    np.testing.assert_allclose(dosed, endtime.extras["catalyst_mol"], rtol=0.1, atol=0.05)
    assert np.corrcoef(1.0 / (0.3 + dosed), target)[0, 1] > 0.85
    # outside the window no feature says much: every per-step correlation is small
    def correlations(segment):
        values = endtime.inputs[:, segment].reshape(len(target), -1).astype(np.float64)
        values = values[:, values.std(axis=0) > 0]
        centred = (values - values.mean(0)) / values.std(0)
        return np.abs(centred.T @ ((target - target.mean()) / target.std())) / len(target)

    assert correlations(slice(start, stop)).max() > 0.5
    assert correlations(slice(0, start)).max() < 0.2
    assert correlations(slice(stop, 50)).max() < 0.2


def test_endtime_bad_arguments():
    with pytest.raises(ValueError, match="at most 50"):
        data.endtime_dataset(n_steps=60)
    with pytest.raises(ValueError, match="n_features"):
        data.endtime_dataset(n_features=0)
    small = data.endtime_dataset(n_batches=8, n_steps=30, n_features=3, seed=1)
    assert small.inputs.shape == (8, 30, 3)
    full = data.endtime_dataset(n_batches=8, seed=1)
    np.testing.assert_array_equal(small.inputs, full.inputs[:, :30, :3])    # a prefix of the same data
    np.testing.assert_array_equal(small.targets, full.targets)


# ----------------------------------------------------------------------------- 7 anomalies
def test_anomaly_labels_need_context():
    dataset = data.anomaly_dataset(n_batches=100, n_steps=200, seed=0)
    assert dataset.inputs.shape == (100, 200, 10) and dataset.targets.shape == (100, 200)
    clean, codes = dataset.extras["clean"], dataset.extras["kind_codes"]
    differs = dataset.inputs != clean
    np.testing.assert_array_equal(dataset.targets == 1, differs.any(axis=-1))
    np.testing.assert_array_equal(codes > 0, differs)
    assert 0.02 < dataset.targets.mean() < 0.09
    assert not differs[..., 9].any()                              # the set point is not a sensor
    # most anomalous readings stay inside the sensor's normal 1-99 % range: no global threshold finds them
    flat = clean.reshape(-1, 10)
    low, high = np.percentile(flat, 1, axis=0), np.percentile(flat, 99, axis=0)
    inside = (dataset.inputs >= low) & (dataset.inputs <= high)
    assert inside[differs].mean() > 0.75
    # ...but they stand out from their neighbours: spikes jump by several typical step changes
    scale = dataset.info["local_scale"]
    spikes = codes == 2
    jump = np.abs(dataset.inputs - np.roll(dataset.inputs, 1, axis=1)) / scale
    assert np.median(jump[spikes]) > 4.0
    with pytest.raises(ValueError, match="anomaly_rate"):
        data.anomaly_dataset(anomaly_rate=0.0)


def test_step_changes_match_a_direct_computation():
    rng = np.random.default_rng(3)
    readings = (rng.normal(size=(2, 6, 3)) * [1.0, 10.0, 0.1]).astype(np.float32)
    readings[0, 3, 1] += 400.0                                   # a jump far beyond the clip
    scale = np.array([0.5, 2.0, 0.05])
    changes = data.step_changes(readings, scale)
    assert changes.shape == (2, 6, 3) and changes.dtype == np.float32
    # element by element: 0 at the first step, then the difference over the scale, clipped to ±20, /5
    expected = np.zeros((2, 6, 3))
    for sample in range(2):
        for step in range(1, 6):
            for feature in range(3):
                change = (float(readings[sample, step, feature]) - float(readings[sample, step - 1, feature]))
                expected[sample, step, feature] = min(max(change / scale[feature], -20.0), 20.0) / 5.0
    np.testing.assert_allclose(changes, expected, rtol=1e-5, atol=1e-6)
    assert changes[0, 3, 1] == pytest.approx(4.0) and changes[0, 4, 1] == pytest.approx(-4.0)  # clipped both ways
    unclipped = data.step_changes(readings, scale, clip=1e6, divide_by=1.0)
    assert unclipped[0, 3, 1] == pytest.approx((readings[0, 3, 1] - readings[0, 2, 1]) / 2.0, rel=1e-5)


def test_step_changes_show_spikes_and_stuck_sensors_in_the_anomaly_data():
    dataset = data.anomaly_dataset(n_batches=40, n_steps=80, seed=2)
    changes = data.step_changes(dataset.inputs, dataset.info["local_scale"])
    codes = dataset.extras["kind_codes"]
    spike_start = (codes == 2) & (np.roll(codes, 1, axis=1) != 2)
    spike_start[:, 0] = False
    ordinary = codes == 0
    # a spike's first step jumps by several typical changes (> 0.8 after /5); ordinary steps are ~0.2
    assert np.median(np.abs(changes[spike_start])) > 0.8 > np.median(np.abs(changes[ordinary])) * 3
    stuck_inside = (codes == 4) & (np.roll(codes, 1, axis=1) == 4)
    assert np.all(changes[stuck_inside] == 0)                   # a frozen sensor does not change


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((np.zeros((4, 3)), np.ones(3)), {}, r"\(n, T, F\)"),
        ((np.zeros((2, 4, 3)), np.ones(2)), {}, r"scale must have shape \(3,\)"),
        ((np.zeros((2, 4, 3)), [1.0, 0.0, 1.0]), {}, "positive and finite"),
        ((np.zeros((2, 4, 3)), np.ones(3)), dict(clip=0), "clip"),
        ((np.zeros((2, 4, 3)), np.ones(3)), dict(divide_by=-5), "divide_by"),
    ],
)
def test_step_changes_bad_arguments(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.step_changes(*args, **kwargs)


# ----------------------------------------------------------------------------- errors for every generator
@pytest.mark.parametrize(
    "generator, kwargs, message",
    [
        (data.quality_dataset, dict(n_batches=-5), "n_batches"),
        (data.quality_dataset, dict(n_batches="600"), "n_batches"),
        (data.quality_dataset, dict(n_steps=True), "n_steps"),
        (data.quality_dataset, dict(seed=1.5), "seed"),
        (data.forecast_dataset, dict(past=0), "past"),
        (data.forecast_dataset, dict(horizon=-1), "horizon"),
        (data.conversion_dataset, dict(out_len=1), "out_len"),
        (data.repair_dataset, dict(kinds=("noise",)), "unknown fault kinds"),
        (data.repair_dataset, dict(rate=0.9), "rate"),
        (data.anomaly_dataset, dict(n_features=12), "n_features"),
    ],
)
def test_generators_reject_bad_arguments(generator, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generator(**kwargs)


# ----------------------------------------------------------------------------- snapshots
def test_snapshots_equal_what_the_generators_make_today(quality, endtime):
    spec = importlib.util.spec_from_file_location("make_snapshots", ROOT / "scripts" / "make_snapshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tables = module.build_tables({"quality.csv": quality, "endtime.csv": endtime})
    total_bytes = 0
    for name, table in tables.items():
        path = ROOT / "data" / name
        assert path.exists(), f"{path} is missing: run python scripts/make_snapshots.py"
        total_bytes += path.stat().st_size
        stored = pd.read_csv(path)
        assert list(stored.columns) == list(table.columns), name
        assert len(stored) == len(table), name
        for column in table.columns:
            if pd.api.types.is_numeric_dtype(table[column]):
                np.testing.assert_allclose(stored[column].to_numpy(np.float64), table[column].to_numpy(np.float64),
                                           rtol=1e-5, atol=1e-9, equal_nan=True, err_msg=f"{name}:{column}")
            else:
                assert stored[column].astype(str).tolist() == table[column].astype(str).tolist(), f"{name}:{column}"
    assert total_bytes < 500 * 1024
    card = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    for name, table in tables.items():
        assert name in card
        for column in table.columns:
            assert f"`{column}`" in card, f"data card does not describe {name}:{column}"

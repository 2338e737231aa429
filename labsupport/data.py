"""The lessons' data sets, all made by the batch-reactor simulator of ``labsupport.reactor``.

Every generator takes size arguments and a ``seed``, is deterministic (the same
seed gives identical arrays) and returns a :class:`SequenceDataset`: float32
``inputs`` in physical units, ``targets``, the names and units of both, class
names where there are classes, ``lengths`` for padded variable-length data,
per-sample ``extras`` (the simulated truth behind each sample) and ``info``
(metadata: sampling interval, the rule that made the labels, ...).

=====================  =============================  ===============================
generator              inputs                         targets
=====================  =============================  ===============================
quality_dataset        (n, 100, 5) whole batch         grade 0/1/2 = A/B/C
phase_dataset          (n, max_len, 6) padded          phase label per step, -1 = pad
forecast_dataset       (n, 24, 10) past                (n, 12, 5) future
conversion_dataset     (n, 100, 1) temperature         (n, 80, 1) pressure
repair_dataset         (n, 100, 10) corrupted + flags  (n, 100, 5) clean
endtime_dataset        (n, 50, 10) first 50 min        batch end time, min
anomaly_dataset        (n, 200, 10)                    (n, 200) 0/1 anomaly per step
=====================  =============================  ===============================

Temperatures are in °C here (the simulator works in K); pressures are absolute.
``Standardizer`` fits a per-feature mean and standard deviation on training
data only. ``corrupt`` injects missing values, spikes, drift and stuck sensors
with a known mask. ``step_changes`` turns readings into per-step changes in units of each
sensor's typical step change (the input of the anomaly detectors in chapters 1 and 2).

>>> from labsupport import data
>>> quality = data.quality_dataset(n_batches=60, seed=1)
>>> train, val, test = quality.split(seed=1)
>>> scaler = data.Standardizer.fit(train.inputs)
>>> scaler.transform(train.inputs).shape
(42, 100, 5)
"""
from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from labsupport import reactor
from labsupport.checks import check_int, check_seed
from labsupport.reactor import PHASE_KEYS, BatchConditions, simulate, standard_recipe

__all__ = [
    "ALL_PHASES",
    "PHASE_ENGLISH",
    "SENSORS",
    "FAULT_KINDS",
    "QUALITY_FEATURES",
    "PHASE_FEATURES",
    "PROCESS_FEATURES",
    "FORECAST_TARGETS",
    "ENDTIME_FEATURES",
    "REPAIR_FEATURES",
    "GRADE_SPECS",
    "Sensor",
    "SequenceDataset",
    "Standardizer",
    "measure",
    "local_scale",
    "step_changes",
    "quality_dataset",
    "phase_dataset",
    "forecast_dataset",
    "conversion_dataset",
    "corrupt",
    "repair_dataset",
    "endtime_dataset",
    "anomaly_dataset",
]

ALL_PHASES = ("預熱", "加料", "升溫", "反應", "穩定", "降溫", "卸料")
#: Chinese phase name -> the simulator's English key.
PHASE_ENGLISH = dict(zip(ALL_PHASES, PHASE_KEYS))


@dataclasses.dataclass(frozen=True)
class Sensor:
    """A measured variable: Chinese name, unit, noise (absolute + relative to the reading)
    and a low-flow cut-off (a reading below it is reported as 0; None for no cut-off)."""

    key: str
    name: str
    unit: str
    noise_abs: float
    noise_rel: float = 0.0
    cutoff: float | None = None


SENSORS = {
    sensor.key: sensor
    for sensor in (
        Sensor("reactor_temperature", "反應器溫度", "°C", 0.15),
        Sensor("jacket_temperature", "夾套溫度", "°C", 0.15),
        Sensor("pressure", "反應器壓力", "bar", 0.004),
        Sensor("feed_flow", "進料流量", "L/min", 0.08, 0.01, cutoff=0.6),
        Sensor("agitator_power", "攪拌功率", "kW", 0.03),
        Sensor("liquid_volume", "液體體積", "L", 2.0),
        Sensor("heat_duty", "夾套移熱量", "kW", 0.8),
        Sensor("concentration_A", "A 濃度", "mol/L", 0.01),
        Sensor("concentration_P", "P 濃度", "mol/L", 0.01),
        Sensor("temperature_setpoint", "溫度設定值", "°C", 0.0),
        Sensor("dose_flow", "觸媒加注流量", "L/min", 0.01, 0.01, cutoff=0.05),
        Sensor("outflow", "出料流量", "L/min", 0.3, 0.01, cutoff=2.0),
    )
}

QUALITY_FEATURES = ("reactor_temperature", "pressure", "feed_flow", "jacket_temperature", "agitator_power")
PHASE_FEATURES = ("reactor_temperature", "jacket_temperature", "pressure", "feed_flow", "agitator_power",
                  "liquid_volume", "heat_duty", "concentration_A", "concentration_P", "outflow")
PROCESS_FEATURES = ("reactor_temperature", "jacket_temperature", "pressure", "feed_flow", "agitator_power",
                    "liquid_volume", "heat_duty", "concentration_A", "concentration_P", "temperature_setpoint")
FORECAST_TARGETS = ("reactor_temperature", "jacket_temperature", "pressure", "concentration_A", "concentration_P")
ENDTIME_FEATURES = ("dose_flow", "reactor_temperature", "jacket_temperature", "pressure", "agitator_power",
                    "liquid_volume", "heat_duty", "concentration_A", "temperature_setpoint", "feed_flow")
REPAIR_FEATURES = QUALITY_FEATURES

#: Product specification: a grade needs conversion >= min_conversion AND
#: by-product <= max_byproduct (mol D per mol A charged); the best grade met wins.
GRADE_SPECS = (
    ("A", 0.970, 0.015),
    ("B", 0.930, 0.040),
)
FAULT_KINDS = ("missing", "spike", "drift", "stuck")

_LICENCE = "data: CC BY-NC-SA 4.0; generating code: MIT"


# ----------------------------------------------------------------------------- checks
def _check_fraction(name: str, value, low: float = 0.0, high: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (low <= value <= high):
        raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


# ----------------------------------------------------------------------------- containers
@dataclasses.dataclass(frozen=True, eq=False)
class SequenceDataset:
    """A lesson's data set.

    inputs:        (n, T, F) float32, physical units (see input_names / input_units)
    targets:       np.ndarray; (n,) class ids, (n, T) per-step labels, (n, T', F') values...
    input_names, input_units, target_names, target_units: tuples of str
    class_names:   tuple of class names for class targets, else None
    lengths:       (n,) int valid steps of padded sequences, or None (all full length)
    seed:          the seed that made it
    description:   one paragraph: what it is and how it was made
    info:          dict of data-set-wide metadata (sampling interval, label rule, ...)
    extras:        dict of per-sample arrays (first axis n): the simulated truth behind samples
    """

    inputs: np.ndarray
    targets: np.ndarray
    input_names: tuple
    input_units: tuple
    target_names: tuple
    target_units: tuple
    class_names: tuple | None
    lengths: np.ndarray | None
    seed: int
    description: str
    info: dict
    extras: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        n = self.inputs.shape[0]
        if self.targets.shape[0] != n:
            raise ValueError(f"inputs have {n} samples but targets {self.targets.shape[0]}")
        if len(self.input_names) != len(self.input_units):
            raise ValueError("input_names and input_units differ in length")
        if len(self.target_names) != len(self.target_units):
            raise ValueError("target_names and target_units differ in length")
        if self.lengths is not None and self.lengths.shape != (n,):
            raise ValueError(f"lengths must have shape ({n},)")
        for key, value in self.extras.items():
            if np.shape(value)[:1] != (n,):
                raise ValueError(f"extras[{key!r}] must have {n} rows")

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def subset(self, indices) -> "SequenceDataset":
        """The samples at ``indices`` (a 1-D integer array), everything else kept."""
        indices = np.asarray(indices)
        return dataclasses.replace(
            self,
            inputs=self.inputs[indices],
            targets=self.targets[indices],
            lengths=None if self.lengths is None else self.lengths[indices],
            extras={key: np.asarray(value)[indices] for key, value in self.extras.items()},
        )

    def split(self, fractions=(0.7, 0.15, 0.15), seed: int = 0) -> tuple:
        """Shuffle the samples with ``seed`` and cut them into parts of the given fractions.

        Returns a tuple of SequenceDatasets (train, val, test for the default). Every
        part gets at least one sample; the last takes the rounding remainder.

        Raises ValueError if a fraction is not positive, they do not sum to 1, or
        there are fewer samples than parts.
        """
        seed = check_seed(seed)
        fractions = tuple(fractions)
        if len(fractions) < 2 or any(
            isinstance(f, bool) or not isinstance(f, numbers.Real) or not f > 0 for f in fractions
        ):
            raise ValueError(f"fractions must be two or more positive numbers, got {fractions!r}")
        if abs(sum(fractions) - 1.0) > 1e-6:
            raise ValueError(f"fractions must sum to 1, got {sum(fractions)}")
        n = len(self)
        if n < len(fractions):
            raise ValueError(f"cannot split {n} samples into {len(fractions)} parts")
        order = np.random.default_rng(seed).permutation(n)
        sizes = [max(1, int(round(f * n))) for f in fractions[:-1]]
        while sum(sizes) > n - 1:
            sizes[int(np.argmax(sizes))] -= 1
        cuts = np.cumsum(sizes)
        return tuple(self.subset(np.sort(part)) for part in np.split(order, cuts))

    def mask(self) -> np.ndarray:
        """(n, T) bool: True at valid (not padded) steps."""
        steps = self.inputs.shape[1]
        if self.lengths is None:
            return np.ones((len(self), steps), dtype=bool)
        return np.arange(steps)[None, :] < self.lengths[:, None]


@dataclasses.dataclass(frozen=True, eq=False)
class Standardizer:
    """Per-feature standardisation, (x - mean) / std, fitted on training data only.

    mean, std: (F,) in the features' units. Padded steps (beyond ``lengths``) and
    NaN are ignored when fitting and stay 0 / NaN when transforming.
    """

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, values, lengths=None) -> "Standardizer":
        """Fit on (n, T, F) ``values`` (optionally with (n,) ``lengths``).

        Raises ValueError for a non-3-D array or a feature with no finite value.
        """
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 3:
            raise ValueError(f"values must have shape (n, T, F), got {values.shape}")
        if lengths is not None:
            valid = np.arange(values.shape[1])[None, :] < np.asarray(lengths)[:, None]
            values = np.where(valid[..., None], values, np.nan)
        flat = values.reshape(-1, values.shape[-1])
        finite = np.isfinite(flat)
        if not np.all(finite.any(axis=0)):
            raise ValueError("every feature needs at least one finite value to fit a Standardizer")
        mean = np.nanmean(flat, axis=0)
        std = np.nanstd(flat, axis=0)
        std = np.where(std > 1e-12, std, 1.0)
        return cls(mean=mean, std=std)

    def transform(self, values, lengths=None) -> np.ndarray:
        """(…, F) values -> float32 standardised values; padded steps set to 0."""
        values = np.asarray(values, dtype=np.float64)
        if values.shape[-1] != self.mean.shape[0]:
            raise ValueError(f"expected {self.mean.shape[0]} features, got {values.shape[-1]}")
        scaled = (values - self.mean) / self.std
        if lengths is not None:
            valid = np.arange(values.shape[1])[None, :] < np.asarray(lengths)[:, None]
            scaled = np.where(valid[..., None], scaled, 0.0)
        return scaled.astype(np.float32)

    def inverse_transform(self, values) -> np.ndarray:
        """Standardised (…, F) values back to physical units (float32)."""
        values = np.asarray(values, dtype=np.float64)
        if values.shape[-1] != self.mean.shape[0]:
            raise ValueError(f"expected {self.mean.shape[0]} features, got {values.shape[-1]}")
        return (values * self.std + self.mean).astype(np.float32)


# ----------------------------------------------------------------------------- measurement
def _interval_mean(run: reactor.BatchTrajectories, cumulative: np.ndarray) -> np.ndarray:
    """Flow (L/min) averaged over the sampling interval before each sample, from a cumulative
    volume (what a DCS historian gets from a flow totaliser); 0 at the first sample."""
    flow = np.zeros_like(cumulative)
    flow[:, 1:] = np.diff(cumulative, axis=1) / np.diff(run.time_min, axis=1)
    return flow


def _true_value(run: reactor.BatchTrajectories, key: str) -> np.ndarray:
    extract = {
        "reactor_temperature": lambda: run.reactor_temperature_K - 273.15,
        "jacket_temperature": lambda: run.jacket_temperature_K - 273.15,
        "pressure": lambda: run.pressure_bar,
        "feed_flow": lambda: _interval_mean(run, run.fed_volume_L),
        "agitator_power": lambda: run.agitator_power_kW,
        "liquid_volume": lambda: run.volume_L,
        "heat_duty": lambda: run.heat_duty_kW,
        "concentration_A": lambda: run.concentration("A"),
        "concentration_P": lambda: run.concentration("P"),
        "temperature_setpoint": lambda: run.setpoint_K - 273.15,
        "dose_flow": lambda: _interval_mean(run, run.dosed_volume_L),
        "outflow": lambda: _interval_mean(run, run.drained_volume_L),
    }
    return extract[key]()


def measure(run: reactor.BatchTrajectories, keys, rng: np.random.Generator) -> np.ndarray:
    """Sensor readings (n, m, len(keys)) float64 of the noise-free ``run``: Gaussian noise
    of standard deviation noise_abs + noise_rel * |value| per sensor, then the low-flow cut-off.
    Flows are averages over the sampling interval before each sample (totaliser differences), so
    summing a flow record times the sampling interval gives the volume that went through."""
    columns = []
    for key in keys:
        sensor = SENSORS[key]
        true = _true_value(run, key)
        sigma = sensor.noise_abs + sensor.noise_rel * np.abs(true)
        reading = true + sigma * rng.standard_normal(true.shape)
        if sensor.cutoff is not None:
            reading = np.where(reading < sensor.cutoff, 0.0, reading)
        columns.append(reading)
    return np.stack(columns, axis=-1)


def _names_units(keys):
    return tuple(SENSORS[key].name for key in keys), tuple(SENSORS[key].unit for key in keys)


def _nominal_conditions(n: int, rng: np.random.Generator, **overrides) -> BatchConditions:
    """Batch-to-batch variation of the raw materials and the vessel (the same for every data set)."""
    values = dict(
        amount_A_mol=1000.0 * rng.uniform(0.97, 1.03, n),
        volume_L=rng.uniform(450.0, 550.0, n),
        temperature_K=rng.uniform(293.15, 303.15, n),
        pad_pressure_bar=rng.uniform(1.2, 1.4, n),
        activity=rng.uniform(0.85, 1.15, n),
        fouling=rng.uniform(0.85, 1.05, n),
    )
    values.update(overrides)
    return BatchConditions.nominal(n, **values)


def _standard_batches(n: int, rng: np.random.Generator, feed_ratio=None):
    """Conditions and standard recipe of n ordinary batches (feed ratio B:A in 1.03-1.10)."""
    conditions = _nominal_conditions(n, rng)
    if feed_ratio is None:
        feed_ratio = rng.uniform(1.03, 1.10, n)
    recipe = standard_recipe(n, rng, amount_B_mol=feed_ratio * conditions.amount_A_mol)
    return conditions, recipe, feed_ratio


def _grade(conversion: np.ndarray, byproduct: np.ndarray) -> np.ndarray:
    grade = np.full(conversion.shape, len(GRADE_SPECS), dtype=np.int64)
    for index in reversed(range(len(GRADE_SPECS))):
        _, min_conversion, max_byproduct = GRADE_SPECS[index]
        grade[(conversion >= min_conversion) & (byproduct <= max_byproduct)] = index
    return grade


def _final_quality(run: reactor.BatchTrajectories, amount_A0: np.ndarray):
    """Conversion of A and by-product (mol D per mol A charged) of everything made, counting what
    was discharged."""
    remaining_A = run.amount_A_mol[:, -1] + run.drained_A_mol[:, -1]
    made_D = run.amount_D_mol[:, -1] + run.drained_D_mol[:, -1]
    return 1.0 - remaining_A / amount_A0, made_D / amount_A0


def _late_jacket_fault(recipe: reactor.Recipe, rng: np.random.Generator, probability: float):
    """Give each batch, with ``probability``, a jacket fault late in the batch.

    The jacket's set point sticks at 20-40 K above the reaction temperature, starting at 70-78 %
    of the batch, for 20-40 min but over at least 15 min before the discharge (nobody discharges
    a boiling batch). Returns the new recipe and the (n,) bool fault flags.
    """
    n = recipe.n_batches
    fault = rng.random(n) < probability
    start = recipe.duration_min * rng.uniform(0.70, 0.78, n)
    latest_end = recipe.phase_starts[:, PHASE_KEYS.index("discharge")] - 15.0
    duration = np.where(fault, np.clip(np.minimum(rng.uniform(20.0, 40.0, n), latest_end - start), 0.0, None), 0.0)
    jacket = recipe.setpoint_targets_K[:, PHASE_KEYS.index("reaction")] + rng.uniform(20.0, 40.0, n)
    recipe = dataclasses.replace(recipe, fault_start_min=start, fault_duration_min=duration, fault_jacket_K=jacket)
    return recipe, fault & (duration > 0)


# ----------------------------------------------------------------------------- 1 quality
def quality_dataset(n_batches: int = 600, n_steps: int = 100, seed: int = 0) -> SequenceDataset:
    """Whole-batch sensor records -> product grade A/B/C.

    inputs:  (n_batches, n_steps, 5) float32: 反應器溫度 °C, 反應器壓力 bar, 進料流量 L/min,
             夾套溫度 °C, 攪拌功率 kW, sampled at n_steps equally spaced times from the start to
             the end of each batch (batches last 160-230 min, so one step is 1.6-2.3 min;
             ``extras["minutes_per_step"]``).
    targets: (n_batches,) int64 grade, 0 = A, 1 = B, 2 = C (``GRADE_SPECS``: A needs conversion
             >= 0.97 and by-product <= 0.015 mol/mol A, B needs >= 0.93 and <= 0.040, else C).

    Two events decide the grade, at opposite ends of the batch:

    - early (charge phase, about the first 20 % of the batch): the amount of B fed, set by the feed
      flow and the charge duration; B:A ratios of 0.89-1.12 are drawn, and an under-fed batch
      cannot reach the conversion spec;
    - late (with probability 0.6, starting at 70-78 % of the batch, for up to 20-40 min, over 15 min
      before the discharge): a jacket fault holds the jacket at 20-40 K above the reaction
      temperature; the hot liquid turns product into by-product (P -> D + G, E = 200 kJ/mol).

    ``extras``: final_conversion, byproduct_fraction, feed_ratio, fed_B_mol, jacket_fault (bool),
    fault_start_min, fault_duration_min, batch_minutes, minutes_per_step, phase_index (n, n_steps).

    Raises ValueError for sizes that are not positive integers (n_steps >= 20) or a bad seed.
    """
    n_batches = check_int("n_batches", n_batches)
    n_steps = check_int("n_steps", n_steps, minimum=20)
    seed = check_seed(seed)
    rng = np.random.default_rng([seed, 1])
    feed_ratio = rng.uniform(0.89, 1.12, n_batches)
    conditions, recipe, _ = _standard_batches(n_batches, rng, feed_ratio=feed_ratio)
    duration = recipe.duration_min
    recipe, fault = _late_jacket_fault(recipe, rng, probability=0.6)
    fault_start = recipe.fault_start_min
    run = simulate(recipe, conditions, n_steps)
    inputs = measure(run, QUALITY_FEATURES, rng).astype(np.float32)
    conversion, byproduct = _final_quality(run, conditions.amount_A_mol)
    grade = _grade(conversion, byproduct)
    names, units = _names_units(QUALITY_FEATURES)
    return SequenceDataset(
        inputs=inputs,
        targets=grade,
        input_names=names,
        input_units=units,
        target_names=("產品等級",),
        target_units=("",),
        class_names=tuple(spec[0] for spec in GRADE_SPECS) + ("C",),
        lengths=None,
        seed=seed,
        description=(
            "Batch quality: whole-batch records of five sensors of a simulated jacketed fed-batch "
            "reactor (A + B -> P, P -> D + G) and the product grade from the simulated final "
            "conversion and by-product. The grade depends on the B charge early in the batch and on "
            "a jacket fault late in the batch."
        ),
        info=dict(
            feature_keys=QUALITY_FEATURES,
            grade_specs=GRADE_SPECS,
            grade_rule="best grade whose conversion >= min and by-product <= max; otherwise C",
            sampling="n_steps equally spaced samples from t = 0 to the batch end, per batch",
            early_event="B charge (feed ratio B:A 0.89-1.12) during 加料, about the first 20 % of steps",
            late_event="jacket fault with probability 0.6 starting at 70-78 % of the batch",
            phase_names=ALL_PHASES,
            licence=_LICENCE,
        ),
        extras=dict(
            final_conversion=conversion,
            byproduct_fraction=byproduct,
            feed_ratio=feed_ratio,
            fed_B_mol=run.fed_B_mol[:, -1],
            jacket_fault=fault,
            fault_start_min=np.where(fault, fault_start, np.nan),
            fault_duration_min=recipe.fault_duration_min,
            batch_minutes=duration,
            minutes_per_step=duration / (n_steps - 1),
            phase_index=run.phase_index,
        ),
    )


# ----------------------------------------------------------------------------- 2 phases
def _check_phases(phases) -> tuple:
    if isinstance(phases, str) or not isinstance(phases, (tuple, list)):
        raise ValueError(f"phases must be a tuple or list of phase names from {ALL_PHASES}, got {phases!r}")
    phases = tuple(phases)
    if not phases:
        raise ValueError(f"phases must name at least one phase from {ALL_PHASES}")
    unknown = [name for name in phases if name not in ALL_PHASES]
    if unknown:
        raise ValueError(f"unknown phase names {unknown}; valid names, in recipe order: {ALL_PHASES}")
    order = [ALL_PHASES.index(name) for name in phases]
    if order != sorted(set(order)):
        raise ValueError(f"phases must be distinct and in recipe order {ALL_PHASES}, got {phases}")
    return phases


def phase_dataset(
    n_batches: int = 300,
    min_len: int = 60,
    max_len: int = 120,
    phases=ALL_PHASES,
    n_features: int = 6,
    seed: int = 0,
) -> SequenceDataset:
    """Variable-length batch records with the operating phase at every step.

    Each batch runs the recipe ``phases`` (a subset of ALL_PHASES, in recipe order; without
    加料 the B is charged with A at the start, without 卸料 nothing is drained) and is sampled
    every 2 min for ``lengths[i]`` steps, drawn uniformly from [min_len, max_len]. Phase
    durations are the recipe's nominal proportions, each varied by ±30 %, scaled to the batch
    length, with at least 2 steps per phase.

    inputs:  (n_batches, max_len, n_features) float32, the first n_features of PHASE_FEATURES
             (反應器溫度 °C, 夾套溫度 °C, 反應器壓力 bar, 進料流量 L/min, 攪拌功率 kW, 液體體積 L,
             夾套移熱量 kW, A 濃度 mol/L, P 濃度 mol/L, 出料流量 L/min). Steps at and beyond
             ``lengths[i]`` are padding, filled with 0.0.
    targets: (n_batches, max_len) int64 index into ``class_names`` (= ``phases``) of the phase
             running at each step; padding is labelled -1.
    lengths: (n_batches,) int64.

    反應 and 穩定 are both held near the reaction temperature: a single step rarely tells them
    apart, the course of the heat release over the preceding steps does.

    Raises ValueError for unknown, repeated or out-of-order phase names (the message lists the
    valid names), non-integer or non-positive sizes, max_len < min_len, min_len < 3 steps per
    phase, or n_features outside 1..10.
    """
    n_batches = check_int("n_batches", n_batches)
    phases = _check_phases(phases)
    min_len = check_int("min_len", min_len)
    max_len = check_int("max_len", max_len)
    n_features = check_int("n_features", n_features)
    seed = check_seed(seed)
    if max_len < min_len:
        raise ValueError(f"max_len ({max_len}) must be >= min_len ({min_len})")
    if min_len < 3 * len(phases):
        raise ValueError(f"min_len must be at least 3 steps per phase ({3 * len(phases)} for {len(phases)} phases), got {min_len}")
    if n_features > len(PHASE_FEATURES):
        raise ValueError(f"n_features must be between 1 and {len(PHASE_FEATURES)}, got {n_features}")
    minutes_per_step = 2.0
    keys = tuple(PHASE_ENGLISH[name] for name in phases)
    rng = np.random.default_rng([seed, 2])
    lengths = rng.integers(min_len, max_len + 1, size=n_batches)
    nominal = np.array([10.0, 25.0, 20.0, 70.0, 30.0, 30.0, 10.0])[[PHASE_KEYS.index(key) for key in keys]]
    weights = nominal * rng.uniform(0.7, 1.3, size=(n_batches, len(keys)))
    weights /= weights.sum(axis=1, keepdims=True)
    total_min = lengths * minutes_per_step
    floor_min = 2.0 * minutes_per_step
    durations = floor_min + weights * (total_min - floor_min * len(keys))[:, None]
    feed_ratio = rng.uniform(1.03, 1.10, n_batches)
    conditions = _nominal_conditions(n_batches, rng)
    if "charge" not in keys:
        conditions = dataclasses.replace(conditions, amount_B_mol=feed_ratio * conditions.amount_A_mol)
    recipe = standard_recipe(n_batches, rng, keys, durations_min=durations,
                             amount_B_mol=feed_ratio * conditions.amount_A_mol)
    run = simulate(recipe, conditions, max_len, t_end_min=(max_len - 1) * minutes_per_step)
    feature_keys = PHASE_FEATURES[:n_features]
    valid = np.arange(max_len)[None, :] < lengths[:, None]
    inputs = np.where(valid[..., None], measure(run, feature_keys, rng), 0.0).astype(np.float32)
    targets = np.where(valid, run.phase_index, -1).astype(np.int64)
    names, units = _names_units(feature_keys)
    return SequenceDataset(
        inputs=inputs,
        targets=targets,
        input_names=names,
        input_units=units,
        target_names=("操作階段",),
        target_units=("",),
        class_names=phases,
        lengths=lengths.astype(np.int64),
        seed=seed,
        description=(
            "Phase labelling: variable-length records of a simulated fed-batch reactor, sampled every "
            "2 min, with the recipe phase running at every step. Padded with 0.0 to max_len; padded "
            "steps are labelled -1."
        ),
        info=dict(
            feature_keys=feature_keys,
            minutes_per_step=minutes_per_step,
            padding_value=0.0,
            padding_label=-1,
            phase_english={name: PHASE_ENGLISH[name] for name in phases},
            licence=_LICENCE,
        ),
        extras=dict(
            phase_starts_min=recipe.phase_starts,
            batch_minutes=total_min,
        ),
    )


# ----------------------------------------------------------------------------- 3 forecasting
def _campaign(n_steps_needed: int, rng: np.random.Generator, minutes_per_step: float,
              max_batches: int = 100_000):
    """Back-to-back batches of the standard recipe (with ordinary variation), sampled every
    ``minutes_per_step``, until the series has ``n_steps_needed`` steps.

    Returns (series (N, 10) float64 of PROCESS_FEATURES, batch id (N,), step within batch (N,),
    phase index (N,)).
    """
    pieces, batch_ids, within, phase_ids = [], [], [], []
    total, first_batch = 0, 0
    while total < n_steps_needed:
        if first_batch > max_batches:
            raise ValueError("the requested windows need too long a campaign")
        # Enough batches in one go for the steps still missing (a batch is 160-230 min long).
        chunk = max(8, int(np.ceil(1.15 * (n_steps_needed - total) * minutes_per_step / 195.0)))
        conditions, recipe, _ = _standard_batches(chunk, rng)
        steps = np.floor(recipe.duration_min / minutes_per_step).astype(int) + 1
        longest = int(steps.max())
        run = simulate(recipe, conditions, longest, t_end_min=(longest - 1) * minutes_per_step)
        readings = measure(run, PROCESS_FEATURES, rng)
        for b in range(chunk):
            pieces.append(readings[b, : steps[b]])
            batch_ids.append(np.full(steps[b], first_batch + b))
            within.append(np.arange(steps[b]))
            phase_ids.append(run.phase_index[b, : steps[b]])
        total += int(steps.sum())
        first_batch += chunk
    return (np.concatenate(pieces), np.concatenate(batch_ids), np.concatenate(within),
            np.concatenate(phase_ids))


def forecast_dataset(n_samples: int = 2000, past: int = 24, horizon: int = 12, seed: int = 0) -> SequenceDataset:
    """Multi-step forecasting windows cut from a campaign of back-to-back batches.

    The reactor runs the standard recipe batch after batch (each discharge is followed by the next
    batch's pre-heat) and the ten process variables are logged every 2 min. The log is cut into
    consecutive, non-overlapping windows of ``past + horizon`` steps (windows may span two
    batches, as a plant historian's do), and ``n_samples`` of them are kept in campaign order.

    inputs:  (n_samples, past, 10) float32, PROCESS_FEATURES (反應器溫度 °C, 夾套溫度 °C, 反應器壓力
             bar, 進料流量 L/min, 攪拌功率 kW, 液體體積 L, 夾套移熱量 kW, A 濃度 mol/L, P 濃度 mol/L,
             溫度設定值 °C).
    targets: (n_samples, horizon, 5) float32, the next ``horizon`` steps of FORECAST_TARGETS
             (反應器溫度 °C, 夾套溫度 °C, 反應器壓力 bar, A 濃度 mol/L, P 濃度 mol/L), measured
             (with sensor noise).

    ``extras``: batch_id and step_in_batch of each window's first step, phase_index (n, past +
    horizon). Neighbouring windows come from the same batch: split by ``extras["batch_id"]`` for
    a strictly independent test set.

    Raises ValueError for sizes that are not positive integers or a bad seed.
    """
    n_samples = check_int("n_samples", n_samples)
    past = check_int("past", past)
    horizon = check_int("horizon", horizon)
    seed = check_seed(seed)
    minutes_per_step = 2.0
    window = past + horizon
    rng = np.random.default_rng([seed, 3])
    series, batch_id, within, phase = _campaign(n_samples * window, rng, minutes_per_step)
    starts = np.arange(n_samples) * window
    index = starts[:, None] + np.arange(window)[None, :]                  # (n, past + horizon)
    target_columns = [PROCESS_FEATURES.index(key) for key in FORECAST_TARGETS]
    names, units = _names_units(PROCESS_FEATURES)
    target_names, target_units = _names_units(FORECAST_TARGETS)
    return SequenceDataset(
        inputs=series[index[:, :past]].astype(np.float32),
        targets=series[index[:, past:]][..., target_columns].astype(np.float32),
        input_names=names,
        input_units=units,
        target_names=target_names,
        target_units=target_units,
        class_names=None,
        lengths=None,
        seed=seed,
        description=(
            f"Forecasting: {past} past steps of 10 process variables -> the next {horizon} steps of 5 of "
            "them, logged every 2 min from a campaign of back-to-back simulated batches."
        ),
        info=dict(
            feature_keys=PROCESS_FEATURES,
            target_keys=FORECAST_TARGETS,
            target_columns_in_inputs=tuple(target_columns),
            minutes_per_step=minutes_per_step,
            past_minutes=past * minutes_per_step,
            horizon_minutes=horizon * minutes_per_step,
            licence=_LICENCE,
        ),
        extras=dict(
            batch_id=batch_id[starts],
            step_in_batch=within[starts],
            phase_index=phase[index],
        ),
    )


# ----------------------------------------------------------------------------- 4 conversion
def conversion_dataset(n_batches: int = 400, in_len: int = 100, out_len: int = 80, seed: int = 0) -> SequenceDataset:
    """Temperature record of a batch -> pressure record of the same batch, at another length.

    Batches vary as in quality_dataset (B:A 0.89-1.12, a late jacket fault in 30 % of batches) so
    the pressure curves differ in shape, not only in level.

    inputs:  (n_batches, in_len, 1) float32 反應器溫度 °C at t_i = i / (in_len - 1) * T_batch.
    targets: (n_batches, out_len, 1) float32 反應器壓力 bar at t_j = j / (out_len - 1) * T_batch,
             the same batch (both measured, with sensor noise).

    So output step j is aligned with input position j * (in_len - 1) / (out_len - 1) (fractional;
    ``info["output_to_input_position"]``). Pressure follows temperature through the vapour
    pressure and the gas law, the liquid level (the B charge compresses the headspace) and the gas
    made with by-product.

    Raises ValueError for lengths < 2, sizes that are not positive integers or a bad seed.
    """
    n_batches = check_int("n_batches", n_batches)
    in_len = check_int("in_len", in_len, minimum=2)
    out_len = check_int("out_len", out_len, minimum=2)
    seed = check_seed(seed)
    rng = np.random.default_rng([seed, 4])
    feed_ratio = rng.uniform(0.89, 1.12, n_batches)
    conditions, recipe, _ = _standard_batches(n_batches, rng, feed_ratio=feed_ratio)
    recipe, fault = _late_jacket_fault(recipe, rng, probability=0.3)
    fine = 4
    run = simulate(recipe, conditions, (in_len - 1) * fine + 1)
    fraction_fine = np.linspace(0.0, 1.0, (in_len - 1) * fine + 1)
    fraction_out = np.linspace(0.0, 1.0, out_len)
    temperature = run.reactor_temperature_K[:, ::fine] - 273.15
    pressure = np.stack([np.interp(fraction_out, fraction_fine, row) for row in run.pressure_bar])
    t_sensor, p_sensor = SENSORS["reactor_temperature"], SENSORS["pressure"]
    temperature = temperature + t_sensor.noise_abs * rng.standard_normal(temperature.shape)
    pressure = pressure + p_sensor.noise_abs * rng.standard_normal(pressure.shape)
    duration = recipe.duration_min
    return SequenceDataset(
        inputs=temperature[..., None].astype(np.float32),
        targets=pressure[..., None].astype(np.float32),
        input_names=(t_sensor.name,),
        input_units=(t_sensor.unit,),
        target_names=(p_sensor.name,),
        target_units=(p_sensor.unit,),
        class_names=None,
        lengths=None,
        seed=seed,
        description=(
            f"Trajectory conversion: the reactor temperature of a whole batch at {in_len} points -> "
            f"its pressure at {out_len} points, both spanning the batch from start to end."
        ),
        info=dict(
            input_times="t_i = i / (in_len - 1) * batch_minutes",
            output_times="t_j = j / (out_len - 1) * batch_minutes",
            output_to_input_position=np.arange(out_len) * (in_len - 1) / (out_len - 1),
            licence=_LICENCE,
        ),
        extras=dict(
            batch_minutes=duration,
            input_minutes=duration[:, None] * np.linspace(0.0, 1.0, in_len)[None, :],
            output_minutes=duration[:, None] * fraction_out[None, :],
            feed_ratio=feed_ratio,
            jacket_fault=fault,
        ),
    )


# ----------------------------------------------------------------------------- 5 corruption and repair
#: Segment lengths (steps, inclusive range) and amplitudes (multiples of the feature's local
#: scale) of each fault kind.
_FAULT_LENGTHS = {"missing": (1, 6), "spike": (1, 2), "drift": (10, 30), "stuck": (5, 20)}
_FAULT_AMPLITUDES = {"spike": (6.0, 12.0), "drift": (8.0, 20.0)}


def local_scale(values) -> np.ndarray:
    """(F,) the typical step-to-step change of each feature of (n, T, F) ``values``: 1.4826 x the
    median absolute first difference (a robust standard deviation), at least 1 % of the feature's
    1-99 % range and at least 1e-6. Faults are sized in this scale, so they stand out against their
    neighbours without leaving the feature's usual range."""
    values = np.asarray(values, dtype=np.float64)
    differences = np.abs(np.diff(values, axis=1)).reshape(-1, values.shape[-1])
    robust = 1.4826 * np.nanmedian(differences, axis=0)
    flat = values.reshape(-1, values.shape[-1])
    spread = np.nanpercentile(flat, 99, axis=0) - np.nanpercentile(flat, 1, axis=0)
    return np.maximum(np.maximum(robust, 0.01 * spread), 1e-6)


def step_changes(inputs, scale, *, clip: float = 20.0, divide_by: float = 5.0) -> np.ndarray:
    """Each feature's change from the previous step, in units of its typical step change.

    inputs: (n, T, F) readings in physical units (e.g. ``anomaly_dataset(...).inputs``).
    scale:  (F,) each feature's typical step-to-step change, in the same units (e.g.
            ``info["local_scale"]`` of the data set, or :func:`local_scale`).

    Returns (n, T, F) float32, dimensionless: ``(inputs[:, t] - inputs[:, t-1]) / scale`` (0 at
    t = 0, where there is no previous step), clipped to ±``clip`` and divided by ``divide_by``, so
    the defaults give values in [-4, 4] with an ordinary step change of about ±0.2. A spike shows
    as a large jump followed by one of the opposite sign, a stuck sensor as a run of zeros.

    Raises ValueError if inputs is not a numeric 3-D array, scale does not have shape (F,) or is
    not positive and finite, or clip / divide_by is not a positive number.
    """
    inputs = np.asarray(inputs)
    if inputs.ndim != 3 or not np.issubdtype(inputs.dtype, np.number):
        raise ValueError(f"inputs must be a numeric (n, T, F) array, got shape {inputs.shape} and dtype {inputs.dtype}")
    scale = np.asarray(scale, dtype=np.float64)
    if scale.shape != (inputs.shape[-1],):
        raise ValueError(f"scale must have shape ({inputs.shape[-1]},), one value per feature, got {scale.shape}")
    if not np.all(np.isfinite(scale) & (scale > 0)):
        raise ValueError(f"scale must be positive and finite, got {scale}")
    for name, value in (("clip", clip), ("divide_by", divide_by)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < np.inf:
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    # difference in the readings' own precision, then divide by the float64 scale
    changes = np.diff(inputs, axis=1, prepend=inputs[:, :1]) / scale
    return (np.clip(changes, -clip, clip) / divide_by).astype(np.float32)


def _check_kinds(kinds) -> tuple:
    if isinstance(kinds, str) or not isinstance(kinds, (tuple, list)) or not kinds:
        raise ValueError(f"kinds must be a non-empty tuple of names from {FAULT_KINDS}, got {kinds!r}")
    unknown = [kind for kind in kinds if kind not in FAULT_KINDS]
    if unknown:
        raise ValueError(f"unknown fault kinds {unknown}; valid: {FAULT_KINDS}")
    return tuple(dict.fromkeys(kinds))


def _apply_fault(channel: np.ndarray, kind: str, start: int, length: int, amplitude: float) -> None:
    """Write one fault into a 1-D ``channel`` in place (amplitude is signed, in the channel's unit)."""
    segment = slice(start, start + length)
    if kind == "missing":
        channel[segment] = np.nan
    elif kind == "spike":
        channel[segment] += amplitude
    elif kind == "drift":
        channel[segment] += amplitude * np.arange(1, length + 1) / length
    elif kind == "stuck":
        channel[segment] = channel[start - 1]


def _place_faults(corrupted, mask, codes, rng, sample, feature, kind, scale, tries: int = 5) -> bool:
    """Place one fault of ``kind`` at a random free position of (sample, feature); False if none found."""
    steps = corrupted.shape[1]
    low, high = _FAULT_LENGTHS[kind]
    length = int(rng.integers(low, high + 1))
    first = 1 if kind == "stuck" else 0
    if steps - length < first:
        return False
    for _ in range(tries):
        start = int(rng.integers(first, steps - length + 1))
        # Keep a clean step before a stuck segment (the value it sticks at) and no overlap.
        guard = slice(max(start - 1, 0), start + length)
        if mask[sample, guard, feature].any():
            continue
        amplitude = 0.0
        if kind in _FAULT_AMPLITUDES:
            amplitude = rng.choice([-1.0, 1.0]) * rng.uniform(*_FAULT_AMPLITUDES[kind]) * scale[feature]
        _apply_fault(corrupted[sample, :, feature], kind, start, length, amplitude)
        mask[sample, start:start + length, feature] = True
        codes[sample, start:start + length, feature] = FAULT_KINDS.index(kind) + 1
        return True
    return False


def corrupt(values, kinds=FAULT_KINDS, rate: float = 0.05, seed: int = 0, *, scale=None):
    """Inject sensor faults into a copy of ``values``.

    values: (n, T, F) finite float array (physical units). kinds: a subset of FAULT_KINDS:

    - "missing": 1-6 steps of NaN;
    - "spike":   1-2 steps offset by ±6-12 x scale;
    - "drift":   10-30 steps of an offset growing linearly to ±8-20 x scale;
    - "stuck":   5-20 steps frozen at the value of the step before.

    Faults are placed independently in every (sample, feature) channel, as many as needed for an
    expected fraction ``rate`` of corrupted entries, without overlapping (a fault that finds no
    free place after a few tries, or is longer than the record, is skipped, so short or densely
    corrupted records get somewhat less than ``rate``). ``scale`` is the (F,)
    unit of the amplitudes, by default ``local_scale(values)``.

    Returns ``(corrupted, mask, kind_codes)``: corrupted (n, T, F), same dtype as values (float),
    with NaN at missing entries; mask (n, T, F) bool, True exactly where a fault was injected
    (values outside the mask are untouched); kind_codes (n, T, F) int8, 0 = clean, k = FAULT_KINDS[k - 1].

    Raises ValueError if values is not a finite 3-D array with T >= 2, kinds contains an unknown
    name, rate is not in (0, 0.5], or scale has the wrong shape.
    """
    values = np.asarray(values)
    if values.ndim != 3 or values.shape[1] < 2 or not np.issubdtype(values.dtype, np.number):
        raise ValueError(f"values must be a numeric (n, T, F) array with T >= 2, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("values must be finite (no NaN or inf) before corruption")
    kinds = _check_kinds(kinds)
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 < rate <= 0.5:
        raise ValueError(f"rate must be a number in (0, 0.5], got {rate!r}")
    seed = check_seed(seed)
    scale = local_scale(values) if scale is None else np.asarray(scale, dtype=np.float64)
    if scale.shape != (values.shape[-1],):
        raise ValueError(f"scale must have shape ({values.shape[-1]},), got {scale.shape}")
    corrupted = values.astype(np.result_type(values.dtype, np.float32), copy=True)
    n, steps, features = values.shape
    mask = np.zeros(values.shape, dtype=bool)
    codes = np.zeros(values.shape, dtype=np.int8)
    rng = np.random.default_rng([seed, 5])
    mean_length = np.mean([np.mean(_FAULT_LENGTHS[kind]) for kind in kinds])
    counts = rng.poisson(rate * steps / mean_length, size=(n, features))
    for sample, feature in zip(*np.nonzero(counts)):
        for _ in range(counts[sample, feature]):
            kind = kinds[int(rng.integers(len(kinds)))]
            _place_faults(corrupted, mask, codes, rng, sample, feature, kind, scale)
    return corrupted, mask, codes


def _fill_missing(values: np.ndarray) -> np.ndarray:
    """Replace NaN in (n, T, F) by the last finite value before it (the first finite value after
    it at the start of a record)."""
    filled = values.copy()
    n, steps, features = values.shape
    finite = np.isfinite(filled)
    index = np.where(finite, np.arange(steps)[None, :, None], 0)
    np.maximum.accumulate(index, axis=1, out=index)
    filled = np.take_along_axis(filled, index, axis=1)
    # Leading gaps: take the first finite value of the channel.
    first = np.argmax(finite, axis=1)                                     # (n, F)
    first_value = np.take_along_axis(values, first[:, None, :], axis=1)   # (n, 1, F)
    leading = np.arange(steps)[None, :, None] < first[:, None, :]
    return np.where(leading, first_value, filled)


def repair_dataset(n_batches: int = 400, n_steps: int = 100, seed: int = 0, kinds=FAULT_KINDS,
                   rate: float = 0.05) -> SequenceDataset:
    """Corrupted sensor records -> the clean records, for a sequence-to-sequence repair lesson.

    Ordinary batches (standard recipe), five sensors (REPAIR_FEATURES: 反應器溫度 °C, 反應器壓力
    bar, 進料流量 L/min, 夾套溫度 °C, 攪拌功率 kW) at n_steps equally spaced times over each batch,
    corrupted by ``corrupt(clean, kinds, rate)``.

    inputs:  (n_batches, n_steps, 10) float32: columns 0-4 the corrupted readings with every NaN
             replaced by the last valid reading of that sensor (forward fill; a gap at the very
             start takes the first valid reading), columns 5-9 a missing-value indicator per sensor
             (1.0 where the reading was NaN, else 0.0). No NaN remains, so a model trains on it as is.
    targets: (n_batches, n_steps, 5) float32, the clean readings (with ordinary sensor noise).

    ``extras``: mask (n, T, 5) bool, kind_codes (n, T, 5) int8 (see ``corrupt``), corrupted
    (n, T, 5) float32 with the NaN kept.

    Raises ValueError for sizes that are not positive integers (n_steps >= 20), unknown kinds, a
    rate outside (0, 0.5] or a bad seed.
    """
    n_batches = check_int("n_batches", n_batches)
    n_steps = check_int("n_steps", n_steps, minimum=20)
    seed = check_seed(seed)
    kinds = _check_kinds(kinds)
    rng = np.random.default_rng([seed, 6])
    conditions, recipe, _ = _standard_batches(n_batches, rng)
    run = simulate(recipe, conditions, n_steps)
    clean = measure(run, REPAIR_FEATURES, rng)
    corrupted, mask, codes = corrupt(clean, kinds=kinds, rate=rate, seed=seed)
    missing = np.isnan(corrupted)
    inputs = np.concatenate([_fill_missing(corrupted), missing.astype(np.float64)], axis=-1)
    names, units = _names_units(REPAIR_FEATURES)
    return SequenceDataset(
        inputs=inputs.astype(np.float32),
        targets=clean.astype(np.float32),
        input_names=names + tuple(f"{name}缺值旗標" for name in names),
        input_units=units + ("",) * len(names),
        target_names=names,
        target_units=units,
        class_names=None,
        lengths=None,
        seed=seed,
        description=(
            "Repair: five sensor records of simulated batches with injected missing values, spikes, "
            "drift and stuck sensors (NaN forward-filled, plus a missing-value flag per sensor) -> the "
            "clean records."
        ),
        info=dict(
            feature_keys=REPAIR_FEATURES,
            kinds=kinds,
            rate=rate,
            fill="forward fill (first valid value for a leading gap); columns 5-9 flag the filled entries",
            kind_codes={0: "clean", **{i + 1: kind for i, kind in enumerate(FAULT_KINDS)}},
            licence=_LICENCE,
        ),
        extras=dict(mask=mask, kind_codes=codes, corrupted=corrupted.astype(np.float32)),
    )


# ----------------------------------------------------------------------------- 6 end time
def _endtime_batches(n: int, rng: np.random.Generator, horizon_min: float):
    """Conditions and recipe of the catalysed product: A charged and held at 38-42 °C, a catalyst
    shot at minute 20-23, heat-up from minute 52-56 to 63-67 °C, B fed at reaction temperature, react."""
    conditions = _nominal_conditions(n, rng, dose_concentration_mol_per_L=1.0, dose_temperature_K=293.15)
    keys = ("preheat", "hold", "heatup", "charge", "reaction")
    preheat = rng.uniform(16.0, 19.0, n)
    heatup_start = rng.uniform(52.0, 56.0, n)
    heatup = rng.uniform(18.0, 22.0, n)
    charge = rng.uniform(25.0, 30.0, n)
    starts = np.stack([np.zeros(n), preheat, heatup_start, heatup_start + heatup,
                       heatup_start + heatup + charge, np.full(n, horizon_min)], axis=1)
    dosing_K = rng.uniform(311.15, 315.15, n)
    reaction_K = rng.uniform(336.0, 340.0, n)
    setpoints = np.stack([dosing_K, dosing_K, reaction_K, reaction_K, reaction_K], axis=1)
    feed = np.zeros((n, len(keys)))
    feed[:, 3] = 1.05 * conditions.amount_A_mol / conditions.feed_concentration_mol_per_L / charge
    rpm = np.array([150.0, 150.0, 180.0, 180.0, 180.0])[None, :] * rng.uniform(0.95, 1.05, size=(n, 1))
    catalyst_mol = rng.uniform(0.25, 2.5, n)
    dose_start = rng.uniform(20.0, 23.0, n)
    dose_duration = rng.uniform(1.5, 3.0, n)
    recipe = reactor.Recipe(
        phase_keys=keys,
        phase_starts=starts,
        setpoint_start_K=conditions.temperature_K,
        setpoint_targets_K=setpoints,
        feed_flow_L_per_min=feed,
        agitator_rpm=rpm,
        dose_start_min=dose_start,
        dose_duration_min=dose_duration,
        dose_flow_L_per_min=catalyst_mol / conditions.dose_concentration_mol_per_L / dose_duration,
        fault_start_min=np.zeros(n),
        fault_duration_min=np.zeros(n),
        fault_jacket_K=np.full(n, 298.15),
    )
    return conditions, recipe, catalyst_mol


def endtime_dataset(n_batches: int = 600, n_steps: int = 50, n_features: int = 10, seed: int = 0,
                    endpoint_conversion: float = 0.95) -> SequenceDataset:
    """The first minutes of a catalysed batch -> the time the batch will reach its end point.

    The recipe (one step = 1 min): A is charged and held at 38-42 °C; at minute 20-23 a catalyst
    shot of 0.25-2.5 mol (a 1 mol/L solution, dosed for 1.5-3 min; it dissolves exothermically,
    400 kJ/mol, so the reactor warms by up to about 0.5 K and the jacket takes the heat away over
    the next few minutes) goes in; from minute 52-56 the batch heats to 63-67 °C, B is fed for
    25-30 min, and the reaction runs until the conversion of A reaches ``endpoint_conversion``.
    The rate constant grows with the catalyst concentration (factor 1 + C_cat / 1e-3 mol/L), so
    the shot decides the end time; before the heat-up there is no B and nothing reacts. The
    information about the end time in the first 50 min is therefore in steps
    ``info["informative_window"]`` = (20, 32), i.e. steps 20..31: the dose flow and the thermal
    response to it. Elsewhere there is only nuisance variation (charge amount and temperature, pad
    pressure, agitator speed); heat-up start, reaction temperature and raw-material activity
    (±15 %) also move the end time but cannot be seen in the first 50 min.

    inputs:  (n_batches, n_steps, n_features) float32, the first n_features of ENDTIME_FEATURES
             (觸媒加注流量 L/min, 反應器溫度 °C, 夾套溫度 °C, 反應器壓力 bar, 攪拌功率 kW, 液體體積 L,
             夾套移熱量 kW, A 濃度 mol/L, 溫度設定值 °C, 進料流量 L/min), steps at minutes 0..n_steps-1.
    targets: (n_batches,) float32, end time in min from the start of the batch (about 110-210).

    ``extras``: catalyst_mol, dose_start_min, dose_duration_min, heatup_start_min, activity.

    Raises ValueError for sizes that are not positive integers, n_steps outside 1..50 (the heat-up
    starts at minute 52), n_features outside 1..10, endpoint_conversion outside [0.5, 0.99] or a
    bad seed.
    """
    n_batches = check_int("n_batches", n_batches)
    n_steps = check_int("n_steps", n_steps)
    n_features = check_int("n_features", n_features)
    seed = check_seed(seed)
    endpoint_conversion = _check_fraction("endpoint_conversion", endpoint_conversion, 0.5, 0.99)
    if n_steps > 50:
        raise ValueError(f"n_steps must be at most 50 (one step = 1 min; the heat-up starts at minute 52), got {n_steps}")
    if n_features > len(ENDTIME_FEATURES):
        raise ValueError(f"n_features must be between 1 and {len(ENDTIME_FEATURES)}, got {n_features}")
    horizon_min = 300.0
    rng = np.random.default_rng([seed, 7])
    conditions, recipe, catalyst_mol = _endtime_batches(n_batches, rng, horizon_min)
    # One RK4 step per minute: nothing here is faster than the 2.5 min jacket lag (no discharge),
    # and the end times agree with 0.25 min steps to within 0.05 min.
    run = simulate(recipe, conditions, int(horizon_min) + 1, substeps=1)
    conversion = 1.0 - run.amount_A_mol / conditions.amount_A_mol[:, None]
    reached = conversion >= endpoint_conversion
    if not reached[:, -1].all():
        raise RuntimeError("a batch did not reach the end point within the simulated horizon")
    after = np.argmax(reached, axis=1)
    rows = np.arange(n_batches)
    x0, x1 = conversion[rows, after - 1], conversion[rows, after]
    end_time = run.time_min[rows, after - 1] + (endpoint_conversion - x0) / (x1 - x0) * (
        run.time_min[rows, after] - run.time_min[rows, after - 1])
    feature_keys = ENDTIME_FEATURES[:n_features]
    # Measure the whole record so that the noise of the first n_steps does not depend on n_steps.
    window = run.__class__(**{
        field.name: getattr(run, field.name)[:, :50] for field in dataclasses.fields(run)})
    inputs = measure(window, ENDTIME_FEATURES, rng)[:, :n_steps, :n_features]
    names, units = _names_units(feature_keys)
    return SequenceDataset(
        inputs=inputs.astype(np.float32),
        targets=end_time.astype(np.float32),
        input_names=names,
        input_units=units,
        target_names=("批次結束時間",),
        target_units=("min",),
        class_names=None,
        lengths=None,
        seed=seed,
        description=(
            "End-time prediction: the first minutes of a catalysed batch (one step = 1 min) -> the time "
            f"at which the conversion of A reaches {endpoint_conversion}. A catalyst shot at minute "
            "20-23 decides it."
        ),
        info=dict(
            feature_keys=feature_keys,
            minutes_per_step=1.0,
            informative_window=(20, 32),
            endpoint_conversion=endpoint_conversion,
            licence=_LICENCE,
        ),
        extras=dict(
            catalyst_mol=catalyst_mol,
            dose_start_min=recipe.dose_start_min,
            dose_duration_min=recipe.dose_duration_min,
            heatup_start_min=recipe.phase_starts[:, 2],
            activity=conditions.activity,
        ),
    )


# ----------------------------------------------------------------------------- 7 anomalies
_ANOMALY_KINDS = ("spike", "drift", "stuck")


def anomaly_dataset(n_batches: int = 400, n_steps: int = 200, n_features: int = 10,
                    anomaly_rate: float = 0.05, seed: int = 0) -> SequenceDataset:
    """Whole-batch records of ten process variables with injected sensor anomalies, labelled per step.

    Ordinary batches of the standard recipe, sampled at n_steps equally spaced times over each batch
    (about 1 min per step). In each batch, a Poisson number of anomalies (mean chosen so that about
    ``anomaly_rate`` of the steps are anomalous) is injected, each into one randomly chosen sensor
    (not the set point, which is not a measurement): a spike (1-2 steps, ±6-12 x the sensor's
    typical step-to-step change), a drift (10-30 steps growing to ±8-20 x) or a stuck sensor (5-20
    steps frozen). The sizes are relative to the sensor's own step-to-step variability, so an
    anomaly stands out against its neighbours but mostly stays inside the sensor's normal range: a
    global threshold on a value cannot find it, the context of neighbouring steps can.

    inputs:  (n_batches, n_steps, n_features) float32, the first n_features of PROCESS_FEATURES.
    targets: (n_batches, n_steps) int64, 1 where at least one sensor reads differently from the
             clean record because of an injected anomaly, else 0. (A stuck sensor that happens to
             freeze an already constant reading, e.g. a zero flow, changes nothing and is not labelled.)

    ``extras``: clean (n, T, F) float32 record, kind_codes (n, T, F) int8 (0 = none, 2 = spike,
    3 = drift, 4 = stuck, as in ``corrupt``).

    Raises ValueError for sizes that are not positive integers (n_steps >= 40), n_features outside
    1..10, anomaly_rate outside (0, 0.3] or a bad seed.
    """
    n_batches = check_int("n_batches", n_batches)
    n_steps = check_int("n_steps", n_steps, minimum=40)
    n_features = check_int("n_features", n_features)
    seed = check_seed(seed)
    if n_features > len(PROCESS_FEATURES):
        raise ValueError(f"n_features must be between 1 and {len(PROCESS_FEATURES)}, got {n_features}")
    if isinstance(anomaly_rate, bool) or not isinstance(anomaly_rate, numbers.Real) or not 0 < anomaly_rate <= 0.3:
        raise ValueError(f"anomaly_rate must be a number in (0, 0.3], got {anomaly_rate!r}")
    rng = np.random.default_rng([seed, 8])
    conditions, recipe, _ = _standard_batches(n_batches, rng)
    run = simulate(recipe, conditions, n_steps)
    feature_keys = PROCESS_FEATURES[:n_features]
    clean = measure(run, feature_keys, rng)
    scale = local_scale(clean)
    sensors = [i for i, key in enumerate(feature_keys) if SENSORS[key].noise_abs > 0]
    corrupted = clean.copy()
    mask = np.zeros(clean.shape, dtype=bool)
    codes = np.zeros(clean.shape, dtype=np.int8)
    if sensors:
        mean_length = np.mean([np.mean(_FAULT_LENGTHS[kind]) for kind in _ANOMALY_KINDS])
        counts = rng.poisson(anomaly_rate * n_steps / mean_length, size=n_batches)
        for sample in np.nonzero(counts)[0]:
            for _ in range(counts[sample]):
                kind = _ANOMALY_KINDS[int(rng.integers(len(_ANOMALY_KINDS)))]
                feature = sensors[int(rng.integers(len(sensors)))]
                _place_faults(corrupted, mask, codes, rng, sample, feature, kind, scale)
    changed = mask & (corrupted != clean)
    codes = np.where(changed, codes, 0).astype(np.int8)
    names, units = _names_units(feature_keys)
    return SequenceDataset(
        inputs=corrupted.astype(np.float32),
        targets=changed.any(axis=-1).astype(np.int64),
        input_names=names,
        input_units=units,
        target_names=("異常",),
        target_units=("",),
        class_names=("正常", "異常"),
        lengths=None,
        seed=seed,
        description=(
            "Anomaly detection: whole-batch records of ten process variables with injected spikes, "
            "drifts and stuck sensors sized to the sensors' step-to-step variability, labelled per step."
        ),
        info=dict(
            feature_keys=feature_keys,
            anomaly_rate=anomaly_rate,
            kinds=_ANOMALY_KINDS,
            local_scale=scale,
            sampling="n_steps equally spaced samples from t = 0 to the batch end, per batch",
            licence=_LICENCE,
        ),
        extras=dict(clean=clean.astype(np.float32), kind_codes=codes),
    )

"""Write small CSV snapshots of every lesson data set into data/.

Each snapshot holds the first few samples of a data set as the lessons make it
(default arguments, seed 0), in long format: one row per sample and step, a
column per variable whose name ends with its unit. ``data/README.md`` (the data
card) describes every file and column. tests/test_data.py rebuilds the tables
in memory with ``build_tables()`` and compares them with the files.

Run:  python scripts/make_snapshots.py [--out data]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from labsupport import data

FLOAT_FORMAT = "%.6g"          # six significant digits; the test compares with rtol 1e-5
UNIT_SUFFIX = {"°C": "degC", "bar": "bar", "L/min": "L_min", "kW": "kW", "L": "L", "mol/L": "mol_L", "min": "min"}
#: file name -> number of samples kept
SNAPSHOT_SIZES = {
    "quality.csv": 9,
    "phase.csv": 6,
    "forecast.csv": 12,
    "conversion.csv": 6,
    "repair.csv": 6,
    "endtime.csv": 12,
    "anomaly.csv": 4,
}


def column(key: str) -> str:
    """The CSV column of a sensor: its key and its unit, e.g. reactor_temperature_degC."""
    return f"{key}_{UNIT_SUFFIX[data.SENSORS[key].unit]}"


def _long(values: np.ndarray, keys, first_columns: dict) -> pd.DataFrame:
    """(k, T, F) values -> a long table with sample and step columns first."""
    k, steps, _ = values.shape
    table = {
        "sample": np.repeat(np.arange(k), steps),
        "step": np.tile(np.arange(steps), k),
        **{name: np.asarray(value).reshape(-1) for name, value in first_columns.items()},
    }
    for index, key in enumerate(keys):
        table[column(key)] = values[:, :, index].reshape(-1)
    return pd.DataFrame(table)


def quality_table(k: int, dataset) -> pd.DataFrame:
    steps = dataset.inputs.shape[1]
    time = dataset.extras["minutes_per_step"][:k, None] * np.arange(steps)[None, :]
    table = _long(dataset.inputs[:k], data.QUALITY_FEATURES, {"time_min": time})
    table["grade"] = np.repeat(dataset.targets[:k], steps)
    table["grade_name"] = np.asarray(dataset.class_names)[table["grade"]]
    return table


def phase_table(k: int, dataset) -> pd.DataFrame:
    keys = dataset.info["feature_keys"]
    steps = dataset.inputs.shape[1]
    time = np.broadcast_to(np.arange(steps) * dataset.info["minutes_per_step"], (k, steps))
    table = _long(dataset.inputs[:k], keys, {"time_min": time})
    table["phase"] = dataset.targets[:k].reshape(-1)
    valid = dataset.mask()[:k].reshape(-1)
    table = table[valid].reset_index(drop=True)         # padding rows are left out
    table["phase_name"] = np.asarray(dataset.class_names)[table["phase"]]
    table["phase_key"] = [data.PHASE_ENGLISH[name] for name in table["phase_name"]]
    return table


def forecast_table(k: int, dataset) -> pd.DataFrame:
    past, horizon = dataset.inputs.shape[1], dataset.targets.shape[1]
    values = np.full((k, past + horizon, len(data.PROCESS_FEATURES)), np.nan, dtype=np.float32)
    values[:, :past] = dataset.inputs[:k]
    values[:, past:, list(dataset.info["target_columns_in_inputs"])] = dataset.targets[:k]
    part = np.where(np.arange(past + horizon) < past, "past", "future")
    table = _long(values, data.PROCESS_FEATURES, {"part": np.broadcast_to(part, (k, past + horizon))})
    table.insert(2, "time_min", (table["step"] - past) * dataset.info["minutes_per_step"])
    return table


def conversion_table(k: int, dataset) -> pd.DataFrame:
    inputs = pd.DataFrame({
        "sample": np.repeat(np.arange(k), dataset.inputs.shape[1]),
        "sequence": "input",
        "step": np.tile(np.arange(dataset.inputs.shape[1]), k),
        "time_min": dataset.extras["input_minutes"][:k].reshape(-1),
        column("reactor_temperature"): dataset.inputs[:k, :, 0].reshape(-1),
        column("pressure"): np.nan,
    })
    targets = pd.DataFrame({
        "sample": np.repeat(np.arange(k), dataset.targets.shape[1]),
        "sequence": "target",
        "step": np.tile(np.arange(dataset.targets.shape[1]), k),
        "time_min": dataset.extras["output_minutes"][:k].reshape(-1),
        column("reactor_temperature"): np.nan,
        column("pressure"): dataset.targets[:k, :, 0].reshape(-1),
    })
    return pd.concat([inputs, targets]).sort_values(["sample", "sequence"], kind="stable").reset_index(drop=True)


def repair_table(k: int, dataset) -> pd.DataFrame:
    table = _long(dataset.extras["corrupted"][:k], data.REPAIR_FEATURES, {})
    table.columns = ["sample", "step"] + [f"corrupted_{name}" for name in table.columns[2:]]
    for index, key in enumerate(data.REPAIR_FEATURES):
        table[f"fault_{key}"] = dataset.extras["kind_codes"][:k, :, index].reshape(-1)
    for index, key in enumerate(data.REPAIR_FEATURES):
        table[f"clean_{column(key)}"] = dataset.targets[:k, :, index].reshape(-1)
    return table


def endtime_table(k: int, dataset) -> pd.DataFrame:
    steps = dataset.inputs.shape[1]
    table = _long(dataset.inputs[:k], dataset.info["feature_keys"], {"time_min": np.broadcast_to(np.arange(steps), (k, steps))})
    table["end_time_min"] = np.repeat(dataset.targets[:k], steps)
    return table


def anomaly_table(k: int, dataset) -> pd.DataFrame:
    table = _long(dataset.inputs[:k], dataset.info["feature_keys"], {})
    table["anomaly"] = dataset.targets[:k].reshape(-1)
    return table


BUILDERS = {
    "quality.csv": (quality_table, data.quality_dataset),
    "phase.csv": (phase_table, data.phase_dataset),
    "forecast.csv": (forecast_table, data.forecast_dataset),
    "conversion.csv": (conversion_table, data.conversion_dataset),
    "repair.csv": (repair_table, data.repair_dataset),
    "endtime.csv": (endtime_table, data.endtime_dataset),
    "anomaly.csv": (anomaly_table, data.anomaly_dataset),
}


def build_tables(datasets: dict | None = None) -> dict:
    """file name -> DataFrame, exactly what ``main`` writes.

    ``datasets`` may map a file name to its already generated default data set (seed 0),
    to save generating it again."""
    datasets = datasets or {}
    tables = {}
    for name, (builder, generator) in BUILDERS.items():
        dataset = datasets[name] if name in datasets else generator()
        tables[name] = builder(SNAPSHOT_SIZES[name], dataset)
    return tables


def main():
    parser = argparse.ArgumentParser(description="Write the data/ CSV snapshots.")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "data"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, table in build_tables().items():
        path = out / name
        table.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        print(f"{path}: {len(table)} rows, {path.stat().st_size / 1024:.0f} kB")


if __name__ == "__main__":
    main()

"""A first-principles, jacketed, fed-batch, exothermic reactor (many batches at once).

Chemistry (liquid phase, water as solvent)::

    A + B -> P          r1 = k1(T) * activity * (1 + C_cat / c_cat_ref) * C_A * C_B    mol/(L min)
    P     -> D + G(gas) r2 = k2(T) * C_P                                                mol/(L min)

with Arrhenius rate constants ``k(T) = k_ref * exp(-E/R * (1/T - 1/T_ref))``. The
side reaction has the larger activation energy, so a hot batch (a hot spot, a
jacket fault) turns product P into by-product D and releases a gas G into the
closed headspace.

Balances, per batch (V in L, amounts in mol, T in K, time in min)::

    dn_A/dt   = -r1 V                 - F_out C_A
    dn_B/dt   = -r1 V + F_feed C_B,f  - F_out C_B
    dn_P/dt   =  r1 V - r2 V          - F_out C_P
    dn_D/dt   =         r2 V          - F_out C_D
    dn_cat/dt =  F_dose C_cat,f       - F_out C_cat
    dV/dt     =  F_feed + F_dose - F_out                       (constant density)
    rho_cp V dT/dt = rho_cp [F_feed (T_feed - T) + F_dose (T_dose - T)]
                     + (-dH1) r1 V + (-dH2) r2 V + q_cat F_dose C_cat,f
                     - 60 UA(V) (T - T_j) - 60 UA_loss (T - T_amb) + 60 P_agitator
    dT_j/dt   = (T_j,set - T_j) / tau_j                        (first-order jacket lag)
    T_j,set   = clip(T_set + K_c (T_set - T), T_j,min, T_j,max)   unless a jacket fault holds it
    dn_N2/dt, dn_G/dt: gas G formed with D; a vent (open only while discharging)
                     exchanges headspace gas with a nitrogen header at 1 atm; a relief
                     valve releases gas above 6 bar.

Pressure (bar, absolute) = Antoine vapour pressure of water at T
+ (n_N2 + n_G) R T / V_headspace, with V_headspace = V_vessel - V.

q_cat is the heat released when the catalyst dissolves (kJ/mol). The 60 converts
kW (kJ/s) to kJ/min. ``UA(V) = U * fouling * (a0 + a1 V)`` grows with the wetted
area. The agitator draws ``Np rho N^3 D^5`` while the impeller is covered. While
discharging, a pump draws F_out until it loses suction at a small heel.

A batch follows a recipe: a sequence of distinct phases (the standard recipe
runs PHASE_KEYS in this order, or a subset of it), each with its own duration
per batch. The reactor-temperature set point ramps
linearly, within each phase, from where the previous phase ended to the phase's
target; B is fed during ``charge``; the vessel drains and vents during
``discharge``. Two optional events per batch: a catalyst dose (a flow of
catalyst solution for a few minutes) and a jacket fault (the jacket's set point
sticks at a fixed temperature for a while).

All batches are integrated together with a fixed-step classical Runge-Kutta
(RK4) method on an (n_states, n_batches) array (flows that switch on and off
enter as their average over each step, so the amounts fed are exact); each batch
has its own step (its duration / number of steps), so every batch is sampled at
the same number of points. No noise is added here: ``labsupport.data`` adds sensor noise.

>>> import numpy as np
>>> from labsupport.reactor import standard_recipe, BatchConditions, simulate
>>> rng = np.random.default_rng(0)
>>> recipe = standard_recipe(8, rng)
>>> conditions = BatchConditions.nominal(8)
>>> run = simulate(recipe, conditions, n_samples=100)
>>> run.reactor_temperature.shape
(8, 100)
"""
from __future__ import annotations

import dataclasses

import numpy as np

__all__ = [
    "PHASE_KEYS",
    "GAS_CONSTANT",
    "ReactorParameters",
    "BatchConditions",
    "Recipe",
    "BatchTrajectories",
    "standard_recipe",
    "simulate",
    "vapour_pressure_bar",
    "arrhenius",
]

PHASE_KEYS = ("preheat", "charge", "heatup", "reaction", "hold", "cooldown", "discharge")
GAS_CONSTANT = 8.314462618e-3       # kJ/(mol K)
GAS_CONSTANT_L_BAR = 0.0831446      # L bar/(mol K)

DISCHARGE_PUMP_L = 900.0   # volume the discharge pump moves in one discharge phase, L
HEEL_L = 20.0              # liquid the pump cannot reach, L

# State rows of the (n_states, n_batches) array.
_A, _B, _P, _D, _CAT, _V, _T, _TJ, _N2, _G = range(10)
N_STATES = 10
N_COUNTERS = 7


@dataclasses.dataclass(frozen=True)
class ReactorParameters:
    """Physical constants of the reactor (units in the names).

    Kinetics: ``k1_ref`` L/(mol min) and ``k2_ref`` 1/min at ``reference_temperature_K``;
    activation energies kJ/mol; reaction enthalpies kJ/mol (negative = exothermic).
    Vapour pressure: Antoine constants for water, log10(p/bar) = A - B/(T/K + C)
    (Bridgeman and Aldrich, 1964, as tabulated by the NIST WebBook for 344-373 K;
    within 1 % of steam-table values from 298 K to 393 K).
    """

    vessel_volume_L: float = 1600.0
    rho_cp_kJ_per_L_K: float = 4.0
    reference_temperature_K: float = 350.0
    k1_ref: float = 0.2
    activation_energy_1: float = 70.0
    k2_ref: float = 5.0e-5
    activation_energy_2: float = 200.0
    reaction_enthalpy_1: float = -55.0
    reaction_enthalpy_2: float = -40.0
    catalyst_reference_mol_per_L: float = 1.0e-3
    catalyst_dissolution_heat_kJ_per_mol: float = 400.0
    heat_transfer_coefficient_kW_per_m2_K: float = 0.8
    area_base_m2: float = 1.2
    area_per_m3: float = 3.0
    heat_loss_kW_per_K: float = 0.02
    ambient_temperature_K: float = 298.15
    jacket_time_constant_min: float = 2.5
    controller_gain: float = 4.0
    jacket_min_K: float = 283.15
    jacket_max_K: float = 433.15
    antoine_A: float = 5.08354
    antoine_B: float = 1663.125
    antoine_C: float = -45.622
    atmospheric_bar: float = 1.01325
    vent_conductance_mol_per_min_bar: float = 50.0
    relief_pressure_bar: float = 6.0
    gas_per_byproduct: float = 1.0
    power_number: float = 5.0
    impeller_diameter_m: float = 0.45
    liquid_density_kg_per_m3: float = 1000.0
    impeller_cover_volume_L: float = 120.0


DEFAULT_PARAMETERS = ReactorParameters()


def arrhenius(k_ref: float, activation_energy_kJ: float, temperature_K, reference_K: float = 350.0):
    """k(T) = k_ref exp(-E/R (1/T - 1/T_ref)); same unit as ``k_ref``."""
    return k_ref * np.exp(-activation_energy_kJ / GAS_CONSTANT * (1.0 / temperature_K - 1.0 / reference_K))


def vapour_pressure_bar(temperature_K, params: ReactorParameters = DEFAULT_PARAMETERS):
    """Vapour pressure of water (bar) at ``temperature_K`` by the Antoine equation."""
    return 10.0 ** (params.antoine_A - params.antoine_B / (np.asarray(temperature_K) + params.antoine_C))


def _as_batch_array(name: str, value, n: int) -> np.ndarray:
    array = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    return array


@dataclasses.dataclass(frozen=True)
class BatchConditions:
    """Per-batch initial charge and raw-material properties, each an (n_batches,) array.

    amount_A_mol, amount_B_mol: initial charge (B is usually fed, so 0);
    volume_L: initial liquid volume; temperature_K: initial liquid and jacket
    temperature; pad_pressure_bar: nitrogen blanket pressure at the start;
    activity: multiplies k1 (raw-material purity, about 1); fouling: multiplies U
    (about 1; < 1 is a fouled jacket); feed_concentration_mol_per_L and
    feed_temperature_K: the B feed; dose_concentration_mol_per_L and
    dose_temperature_K: the catalyst solution.
    """

    amount_A_mol: np.ndarray
    amount_B_mol: np.ndarray
    volume_L: np.ndarray
    temperature_K: np.ndarray
    pad_pressure_bar: np.ndarray
    activity: np.ndarray
    fouling: np.ndarray
    feed_concentration_mol_per_L: np.ndarray
    feed_temperature_K: np.ndarray
    dose_concentration_mol_per_L: np.ndarray
    dose_temperature_K: np.ndarray

    @property
    def n_batches(self) -> int:
        return self.amount_A_mol.shape[0]

    @classmethod
    def nominal(cls, n_batches: int, **overrides) -> "BatchConditions":
        """The nominal charge (1000 mol A in 500 L at 25 °C), with ``overrides`` (scalars or (n,) arrays)."""
        values = dict(
            amount_A_mol=1000.0,
            amount_B_mol=0.0,
            volume_L=500.0,
            temperature_K=298.15,
            pad_pressure_bar=1.3,
            activity=1.0,
            fouling=1.0,
            feed_concentration_mol_per_L=4.0,
            feed_temperature_K=298.15,
            dose_concentration_mol_per_L=0.05,
            dose_temperature_K=288.15,
        )
        unknown = set(overrides) - set(values)
        if unknown:
            raise ValueError(f"unknown batch conditions {sorted(unknown)}; valid: {sorted(values)}")
        values.update(overrides)
        return cls(**{name: _as_batch_array(name, value, n_batches) for name, value in values.items()})


@dataclasses.dataclass(frozen=True)
class Recipe:
    """The operating recipe of n batches with the same phase sequence.

    phase_keys:        tuple of distinct PHASE_KEYS entries, in the order they run
    phase_starts:      (n, n_phases + 1) min; column 0 is 0, the last column the batch's end
    setpoint_start_K:  (n,) reactor set point at t = 0
    setpoint_targets_K:(n, n_phases) set point reached at the end of each phase
    feed_flow_L_per_min:(n, n_phases) B feed flow during each phase
    agitator_rpm:      (n, n_phases) agitator speed in each phase
    dose_start_min, dose_duration_min, dose_flow_L_per_min: (n,) catalyst dose (duration 0 = none)
    fault_start_min, fault_duration_min, fault_jacket_K: (n,) jacket set point stuck at
                       fault_jacket_K during the fault (duration 0 = none)
    """

    phase_keys: tuple
    phase_starts: np.ndarray
    setpoint_start_K: np.ndarray
    setpoint_targets_K: np.ndarray
    feed_flow_L_per_min: np.ndarray
    agitator_rpm: np.ndarray
    dose_start_min: np.ndarray
    dose_duration_min: np.ndarray
    dose_flow_L_per_min: np.ndarray
    fault_start_min: np.ndarray
    fault_duration_min: np.ndarray
    fault_jacket_K: np.ndarray

    def __post_init__(self):
        keys = tuple(self.phase_keys)
        if not keys:
            raise ValueError("a recipe needs at least one phase")
        unknown = [key for key in keys if key not in PHASE_KEYS]
        if unknown:
            raise ValueError(f"unknown phase keys {unknown}; valid: {PHASE_KEYS}")
        if len(set(keys)) != len(keys):
            raise ValueError(f"a recipe lists each phase at most once, got {keys}")
        n, n_phases = self.phase_starts.shape[0], len(keys)
        if self.phase_starts.shape != (n, n_phases + 1):
            raise ValueError(f"phase_starts must have shape ({n}, {n_phases + 1}), got {self.phase_starts.shape}")
        if np.any(np.diff(self.phase_starts, axis=1) <= 0):
            raise ValueError("every phase must have a positive duration")
        for name in ("setpoint_targets_K", "feed_flow_L_per_min", "agitator_rpm"):
            if getattr(self, name).shape != (n, n_phases):
                raise ValueError(f"{name} must have shape ({n}, {n_phases})")
        for name in ("setpoint_start_K", "dose_start_min", "dose_duration_min", "dose_flow_L_per_min",
                     "fault_start_min", "fault_duration_min", "fault_jacket_K"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have shape ({n},)")

    @property
    def n_batches(self) -> int:
        return self.phase_starts.shape[0]

    @property
    def duration_min(self) -> np.ndarray:
        """(n,) batch duration, min."""
        return self.phase_starts[:, -1]

    def phase_index(self, time_min: np.ndarray) -> np.ndarray:
        """Index into ``phase_keys`` of the phase running at ``time_min`` ((n,) or (n, m)); the
        last phase continues after the batch's end."""
        time_min = np.asarray(time_min, dtype=np.float64)
        inner = self.phase_starts[:, 1:-1]                               # (n, P-1)
        if time_min.ndim == 1:
            return (time_min[:, None] >= inner).sum(axis=1)
        return (time_min[:, :, None] >= inner[:, None, :]).sum(axis=2)

    def mean_flows(self, start_min: np.ndarray, end_min: np.ndarray):
        """Feed, dose and discharge-pump flows (L/min) and vent opening, (n,) each,
        averaged over [start_min, end_min].

        They switch on and off inside integration steps; integrating their step
        averages makes the amounts fed exact whatever the step."""
        length = end_min - start_min
        phase_start, phase_end = self.phase_starts[:, :-1], self.phase_starts[:, 1:]
        overlap = np.clip(np.minimum(end_min[:, None], phase_end) - np.maximum(start_min[:, None], phase_start), 0.0, None)
        feed = (overlap * self.feed_flow_L_per_min).sum(axis=1) / length
        dose_end = self.dose_start_min + self.dose_duration_min
        dose_overlap = np.clip(np.minimum(end_min, dose_end) - np.maximum(start_min, self.dose_start_min), 0.0, None)
        discharging = np.asarray([key == "discharge" for key in self.phase_keys], dtype=np.float64)
        drain = (overlap * discharging * DISCHARGE_PUMP_L / (phase_end - phase_start)).sum(axis=1) / length
        return dict(
            feed_flow_L_per_min=feed,
            dose_flow_L_per_min=dose_overlap * self.dose_flow_L_per_min / length,
            drain_flow_L_per_min=drain,
            vent=(overlap * discharging).sum(axis=1) / length,
        )

    def operating_inputs(self, time_min: np.ndarray):
        """Set points and flows at ``time_min`` (n,): a dict of (n,) arrays.

        Keys: setpoint_K, feed_flow_L_per_min, drain_flow_L_per_min (the discharge pump's
        flow while it has suction), vent (0/1), agitator_rpm,
        dose_flow_L_per_min, jacket_override_K (NaN when the jacket controller is in charge).
        """
        rows = np.arange(self.n_batches)
        phase = self.phase_index(time_min)                              # (n,)
        start = self.phase_starts[rows, phase]
        length = self.phase_starts[rows, phase + 1] - start
        progress = np.clip((time_min - start) / length, 0.0, 1.0)
        previous_target = np.where(
            phase > 0, self.setpoint_targets_K[rows, np.maximum(phase - 1, 0)], self.setpoint_start_K
        )
        target = self.setpoint_targets_K[rows, phase]
        setpoint = previous_target + progress * (target - previous_target)
        discharging = np.asarray([key == "discharge" for key in self.phase_keys])[phase]
        in_batch = time_min < self.duration_min
        # The discharge pump could move DISCHARGE_PUMP_L within the phase: a full vessel
        # (about 760 L) is empty, but for its heel, well before the phase ends.
        drain_flow = np.where(discharging & in_batch, DISCHARGE_PUMP_L / length, 0.0)
        dosing = (time_min >= self.dose_start_min) & (time_min < self.dose_start_min + self.dose_duration_min)
        fault = (time_min >= self.fault_start_min) & (time_min < self.fault_start_min + self.fault_duration_min)
        return dict(
            setpoint_K=setpoint,
            feed_flow_L_per_min=np.where(in_batch, self.feed_flow_L_per_min[rows, phase], 0.0),
            drain_flow_L_per_min=drain_flow,
            vent=discharging.astype(np.float64),
            agitator_rpm=self.agitator_rpm[rows, phase],
            dose_flow_L_per_min=np.where(dosing, self.dose_flow_L_per_min, 0.0),
            jacket_override_K=np.where(fault, self.fault_jacket_K, np.nan),
        )


def standard_recipe(
    n_batches: int,
    rng: np.random.Generator,
    phase_keys=PHASE_KEYS,
    *,
    durations_min: np.ndarray | None = None,
    amount_B_mol: np.ndarray | float = 1050.0,
    feed_concentration_mol_per_L: float = 4.0,
) -> Recipe:
    """The plant's standard recipe, with batch-to-batch variation drawn from ``rng``.

    phase_keys: the phases to run, distinct, in any order (normally PHASE_KEYS or a
    subset of it in that order). Nominal durations (min): preheat 10, charge 25,
    heat-up 20, reaction 70, hold 30, cool-down 30, discharge 10, each varied by up
    to ±20 % (the timed charge ±5 %) unless ``durations_min`` ((n, n_phases), min)
    is given. Set-point targets (K): preheat and charge 322-328, heat-up and
    reaction 347-352, hold 0-2 K below the reaction, cool-down 310-316; the set
    point starts at 298.15 K and discharge keeps the previous target.
    ``amount_B_mol`` of B (mol, scalar or (n,)) is fed at a constant flow during
    ``charge`` as a ``feed_concentration_mol_per_L`` solution. Agitator 60-180 rpm
    by phase (±5 % per batch). No dose, no fault: set them with ``dataclasses.replace``.

    Raises ValueError for a non-positive n_batches, unknown or repeated phase keys,
    or durations of the wrong shape or not positive.
    """
    if isinstance(n_batches, bool) or not isinstance(n_batches, (int, np.integer)) or n_batches < 1:
        raise ValueError(f"n_batches must be a positive integer, got {n_batches!r}")
    keys = tuple(phase_keys)
    unknown = [key for key in keys if key not in PHASE_KEYS]
    if unknown or not keys:
        raise ValueError(f"unknown phase keys {unknown}; valid: {PHASE_KEYS}")
    n = int(n_batches)
    index = [PHASE_KEYS.index(key) for key in keys]
    nominal = np.array([10.0, 25.0, 20.0, 70.0, 30.0, 30.0, 10.0])[index]
    if durations_min is None:
        # The charge runs on a timer (±5 %); the other phases end on operator decisions (±20 %).
        spread = np.array([0.05 if key == "charge" else 0.2 for key in keys])
        durations_min = nominal * rng.uniform(1.0 - spread, 1.0 + spread, size=(n, len(keys)))
    durations_min = np.asarray(durations_min, dtype=np.float64)
    if durations_min.shape != (n, len(keys)) or not np.all(durations_min > 0):
        raise ValueError(f"durations_min must be positive with shape ({n}, {len(keys)})")
    reaction_K = rng.uniform(347.0, 352.0, size=n)
    charge_K = rng.uniform(322.0, 328.0, size=n)
    targets = {
        "preheat": charge_K,
        "charge": charge_K,
        "heatup": reaction_K,
        "reaction": reaction_K,
        "hold": reaction_K - rng.uniform(0.0, 2.0, size=n),
        "cooldown": rng.uniform(310.0, 316.0, size=n),
        "discharge": None,
    }
    setpoints = np.empty((n, len(keys)))
    current = np.full(n, 298.15)
    for column, key in enumerate(keys):
        current = current if targets[key] is None else targets[key]
        setpoints[:, column] = current
    feed = np.zeros((n, len(keys)))
    if "charge" in keys:
        column = keys.index("charge")
        feed[:, column] = np.asarray(amount_B_mol, dtype=np.float64) / feed_concentration_mol_per_L / durations_min[:, column]
    rpm_by_phase = {"preheat": 120.0, "charge": 180.0, "heatup": 180.0, "reaction": 180.0,
                    "hold": 180.0, "cooldown": 150.0, "discharge": 60.0}
    rpm = np.array([rpm_by_phase[key] for key in keys])[None, :] * rng.uniform(0.95, 1.05, size=(n, 1))
    zeros = np.zeros(n)
    starts = np.concatenate([np.zeros((n, 1)), np.cumsum(durations_min, axis=1)], axis=1)
    return Recipe(
        phase_keys=keys,
        phase_starts=starts,
        setpoint_start_K=np.full(n, 298.15),
        setpoint_targets_K=setpoints,
        feed_flow_L_per_min=feed,
        agitator_rpm=rpm,
        dose_start_min=zeros,
        dose_duration_min=zeros,
        dose_flow_L_per_min=zeros,
        fault_start_min=zeros,
        fault_duration_min=zeros,
        fault_jacket_K=np.full(n, 298.15),
    )


@dataclasses.dataclass(frozen=True)
class BatchTrajectories:
    """Noise-free trajectories of n batches at m sample times each ((n, m) arrays).

    time_min; states: amount_{A,B,P,D}_mol, catalyst_mol, volume_L, reactor_temperature_K,
    jacket_temperature_K, nitrogen_mol, gas_mol; derived: pressure_bar, heat_duty_kW
    (heat removed by the jacket), agitator_power_kW, setpoint_K, feed_flow_L_per_min,
    outflow_L_per_min, dose_flow_L_per_min, jacket_setpoint_K, phase_index (int);
    fed_B_mol: cumulative B fed (mol); drained_{A,P,D}_mol: cumulative amounts
    that left with the discharge; fed_volume_L, dosed_volume_L, drained_volume_L:
    cumulative volumes of feed, catalyst solution and discharge (what a flow
    totaliser counts).
    """

    time_min: np.ndarray
    amount_A_mol: np.ndarray
    amount_B_mol: np.ndarray
    amount_P_mol: np.ndarray
    amount_D_mol: np.ndarray
    catalyst_mol: np.ndarray
    volume_L: np.ndarray
    reactor_temperature_K: np.ndarray
    jacket_temperature_K: np.ndarray
    nitrogen_mol: np.ndarray
    gas_mol: np.ndarray
    pressure_bar: np.ndarray
    heat_duty_kW: np.ndarray
    agitator_power_kW: np.ndarray
    setpoint_K: np.ndarray
    feed_flow_L_per_min: np.ndarray
    outflow_L_per_min: np.ndarray
    dose_flow_L_per_min: np.ndarray
    jacket_setpoint_K: np.ndarray
    phase_index: np.ndarray
    fed_B_mol: np.ndarray
    drained_A_mol: np.ndarray
    drained_P_mol: np.ndarray
    drained_D_mol: np.ndarray
    fed_volume_L: np.ndarray
    dosed_volume_L: np.ndarray
    drained_volume_L: np.ndarray

    @property
    def reactor_temperature(self) -> np.ndarray:
        """Alias of reactor_temperature_K."""
        return self.reactor_temperature_K

    def concentration(self, species: str) -> np.ndarray:
        """C (mol/L) of 'A', 'B', 'P', 'D' or 'cat' (0 where the vessel is empty)."""
        amounts = {"A": self.amount_A_mol, "B": self.amount_B_mol, "P": self.amount_P_mol,
                   "D": self.amount_D_mol, "cat": self.catalyst_mol}
        if species not in amounts:
            raise ValueError(f"unknown species {species!r}; valid: {sorted(amounts)}")
        return amounts[species] / np.maximum(self.volume_L, 1.0)


def _heat_transfer_kW_per_K(volume_L, fouling, params):
    area_m2 = params.area_base_m2 + params.area_per_m3 * volume_L / 1000.0
    return params.heat_transfer_coefficient_kW_per_m2_K * fouling * area_m2


def _agitator_power_kW(rpm, volume_L, params):
    covered = np.clip(volume_L / params.impeller_cover_volume_L, 0.0, 1.0)
    speed_per_s = rpm / 60.0
    return (params.power_number * params.liquid_density_kg_per_m3 * speed_per_s**3
            * params.impeller_diameter_m**5 / 1000.0 * covered)


def _pressure_bar(state, params, vapour_bar=None):
    """Total pressure (bar) of a (N_STATES, n) state: water vapour + ideal-gas N2 and G."""
    if vapour_bar is None:
        vapour_bar = vapour_pressure_bar(state[_T], params)
    headspace_L = params.vessel_volume_L - state[_V]
    return vapour_bar + (state[_N2] + state[_G]) * GAS_CONSTANT_L_BAR * state[_T] / headspace_L


def _jacket_setpoint(inputs, reactor_K, params):
    control = inputs["setpoint_K"] + params.controller_gain * (inputs["setpoint_K"] - reactor_K)
    control = np.clip(control, params.jacket_min_K, params.jacket_max_K)
    override = inputs["jacket_override_K"]
    return np.where(np.isnan(override), control, override)


def _rates(state, conditions, params):
    volume = np.maximum(state[_V], 1.0)
    temperature = state[_T]
    c_a, c_b, c_p = state[_A] / volume, state[_B] / volume, state[_P] / volume
    c_cat = state[_CAT] / volume
    k1 = arrhenius(params.k1_ref, params.activation_energy_1, temperature, params.reference_temperature_K)
    k2 = arrhenius(params.k2_ref, params.activation_energy_2, temperature, params.reference_temperature_K)
    r1 = k1 * conditions.activity * (1.0 + c_cat / params.catalyst_reference_mol_per_L) * np.maximum(c_a, 0) * np.maximum(c_b, 0)
    r2 = k2 * np.maximum(c_p, 0)
    return r1, r2


def _outflow(inputs, volume_L):
    """Discharge flow (L/min): the pump's flow, fading out as it loses suction at a 20-80 L heel."""
    return inputs["drain_flow_L_per_min"] * np.clip((volume_L - HEEL_L) / 60.0, 0.0, 1.0)


def _derivatives(state, inputs, conditions, params):
    volume = np.maximum(state[_V], 1.0)
    temperature, jacket = state[_T], state[_TJ]
    r1, r2 = _rates(state, conditions, params)
    feed = inputs["feed_flow_L_per_min"]
    dose = inputs["dose_flow_L_per_min"]
    outflow = _outflow(inputs, state[_V])
    leaving = outflow / volume                                          # 1/min, fraction of hold-up per minute
    d = np.empty_like(state)
    d[_A] = -r1 * volume - leaving * state[_A]
    d[_B] = -r1 * volume + feed * conditions.feed_concentration_mol_per_L - leaving * state[_B]
    d[_P] = (r1 - r2) * volume - leaving * state[_P]
    d[_D] = r2 * volume - leaving * state[_D]
    d[_CAT] = dose * conditions.dose_concentration_mol_per_L - leaving * state[_CAT]
    d[_V] = feed + dose - outflow
    ua = _heat_transfer_kW_per_K(state[_V], conditions.fouling, params)
    power = _agitator_power_kW(inputs["agitator_rpm"], state[_V], params)
    heat_kJ_per_min = (
        params.rho_cp_kJ_per_L_K * (feed * (conditions.feed_temperature_K - temperature)
                                    + dose * (conditions.dose_temperature_K - temperature))
        - params.reaction_enthalpy_1 * r1 * volume
        - params.reaction_enthalpy_2 * r2 * volume
        + params.catalyst_dissolution_heat_kJ_per_mol * dose * conditions.dose_concentration_mol_per_L
        - 60.0 * ua * (temperature - jacket)
        - 60.0 * params.heat_loss_kW_per_K * (temperature - params.ambient_temperature_K)
        + 60.0 * power
    )
    d[_T] = heat_kJ_per_min / (params.rho_cp_kJ_per_L_K * volume)
    jacket_set = _jacket_setpoint(inputs, temperature, params)
    d[_TJ] = (jacket_set - jacket) / params.jacket_time_constant_min
    # Vent to a nitrogen header at 1 atm. Out-flow carries the headspace mixture: its
    # non-condensable part (N2 + G) in proportion to their partial pressure, so a hot
    # liquid whose vapour pressure exceeds 1 atm cannot vent more gas than there is
    # (the steam that leaves with it is not tracked). In-flow is nitrogen.
    vapour = vapour_pressure_bar(temperature, params)
    pressure = _pressure_bar(state, params, vapour)
    gas_total = np.maximum(state[_N2] + state[_G], 0.0)
    gas_pressure = pressure - vapour
    vent_drive = inputs["vent"] * params.vent_conductance_mol_per_min_bar * (pressure - params.atmospheric_bar)
    # A relief valve to the scrubber opens above relief_pressure_bar whatever the phase.
    vent_drive = vent_drive + params.vent_conductance_mol_per_min_bar * np.maximum(pressure - params.relief_pressure_bar, 0.0)
    out_fraction = np.clip(gas_pressure / np.maximum(pressure, 1e-6), 0.0, 1.0)
    vent_out = np.maximum(vent_drive, 0.0) * out_fraction                 # mol/min of N2 + G leaving
    vent_in = np.maximum(-vent_drive, 0.0)                               # mol/min of N2 entering
    share_G = np.where(gas_total > 1e-9, state[_G] / np.maximum(gas_total, 1e-9), 0.0)
    d[_G] = params.gas_per_byproduct * r2 * volume - vent_out * share_G
    d[_N2] = vent_in - vent_out * (1.0 - share_G)
    # Cumulative counters: B fed, A/P/D drained (mol/min); volumes fed, dosed, drained (L/min).
    extra = np.empty((N_COUNTERS, state.shape[1]))
    extra[0] = feed * conditions.feed_concentration_mol_per_L
    extra[1:4] = leaving * state[[_A, _P, _D]]
    extra[4], extra[5], extra[6] = feed, dose, outflow
    return d, extra


def simulate(
    recipe: Recipe,
    conditions: BatchConditions,
    n_samples: int,
    *,
    t_end_min: np.ndarray | float | None = None,
    substeps: int | None = None,
    max_step_min: float = 0.6,
    params: ReactorParameters = DEFAULT_PARAMETERS,
) -> BatchTrajectories:
    """Integrate every batch from t = 0 to ``t_end_min`` and sample it at ``n_samples`` times.

    Sample times are ``t_end * i / (n_samples - 1)``, i = 0..n_samples-1, per batch
    (``t_end_min`` defaults to each batch's recipe duration; a scalar or an (n,)
    array). RK4 takes ``substeps`` equal steps between samples; by default as few as
    keep every step at most ``max_step_min`` minutes (the fastest dynamics, the vent
    while discharging, have a time constant of about 1.2 min; RK4 is stable up to
    2.8 times it). Returns noise-free BatchTrajectories of shape (n, n_samples).

    Raises
    ------
    ValueError
        If the recipe and the conditions disagree on the number of batches,
        ``n_samples < 2``, ``substeps < 1`` or ``t_end_min`` is not positive.
    """
    n = recipe.n_batches
    if conditions.n_batches != n:
        raise ValueError(f"recipe has {n} batches but conditions have {conditions.n_batches}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got {n_samples!r}")
    t_end = recipe.duration_min if t_end_min is None else np.broadcast_to(
        np.asarray(t_end_min, dtype=np.float64), (n,)).copy()
    if not np.all(t_end > 0):
        raise ValueError("t_end_min must be positive")
    if not max_step_min > 0:
        raise ValueError(f"max_step_min must be positive, got {max_step_min!r}")
    if substeps is None:
        substeps = max(1, int(np.ceil(t_end.max() / (n_samples - 1) / max_step_min - 1e-9)))
    if isinstance(substeps, bool) or not isinstance(substeps, (int, np.integer)) or substeps < 1:
        raise ValueError(f"substeps must be a positive integer, got {substeps!r}")
    step = t_end / ((n_samples - 1) * substeps)                          # (n,) min

    # Internally states are rows, (N_STATES, n), so that each state is a contiguous array.
    state = np.zeros((N_STATES, n))
    state[_A] = conditions.amount_A_mol
    state[_B] = conditions.amount_B_mol
    state[_V] = conditions.volume_L
    state[_T] = conditions.temperature_K
    state[_TJ] = conditions.temperature_K
    headspace = params.vessel_volume_L - conditions.volume_L
    state[_N2] = ((conditions.pad_pressure_bar - vapour_pressure_bar(conditions.temperature_K, params))
                  * headspace / (GAS_CONSTANT_L_BAR * conditions.temperature_K))
    counters = np.zeros((N_COUNTERS, n))

    names = ("pressure", "duty", "power", "setpoint", "feed", "outflow", "dose", "jacket_set")
    records = {name: np.empty((n_samples, n)) for name in names}
    stored_states = np.empty((n_samples, N_STATES, n))
    stored_counters = np.empty((n_samples, N_COUNTERS, n))
    phase = np.empty((n_samples, n), dtype=np.int64)
    half = step / 2.0
    sixth = step / 6.0

    def record(index, time, inputs):
        stored_states[index] = state
        stored_counters[index] = counters
        records["pressure"][index] = _pressure_bar(state, params)
        ua = _heat_transfer_kW_per_K(state[_V], conditions.fouling, params)
        records["duty"][index] = ua * (state[_T] - state[_TJ])
        records["power"][index] = _agitator_power_kW(inputs["agitator_rpm"], state[_V], params)
        records["setpoint"][index] = inputs["setpoint_K"]
        records["feed"][index] = inputs["feed_flow_L_per_min"]
        records["outflow"][index] = _outflow(inputs, state[_V])
        records["dose"][index] = inputs["dose_flow_L_per_min"]
        records["jacket_set"][index] = _jacket_setpoint(inputs, state[_T], params)
        phase[index] = recipe.phase_index(time)

    time = np.zeros(n)
    inputs = recipe.operating_inputs(time)
    record(0, time, inputs)
    for sample in range(1, n_samples):  # data generation, vectorized over batches
        for _ in range(substeps):
            flows = recipe.mean_flows(time, time + step)
            inputs_mid = {**recipe.operating_inputs(time + half), **flows}
            inputs_end = recipe.operating_inputs(time + step)
            k1, e1 = _derivatives(state, {**inputs, **flows}, conditions, params)
            k2, e2 = _derivatives(state + half * k1, inputs_mid, conditions, params)
            k3, e3 = _derivatives(state + half * k2, inputs_mid, conditions, params)
            k4, e4 = _derivatives(state + step * k3, {**inputs_end, **flows}, conditions, params)
            state = state + sixth * (k1 + 2.0 * (k2 + k3) + k4)
            counters = counters + sixth * (e1 + 2.0 * (e2 + e3) + e4)
            time = time + step
            inputs = inputs_end
        time = t_end * sample / (n_samples - 1)       # remove round-off drift
        inputs = recipe.operating_inputs(time)
        record(sample, time, inputs)

    stored_states = np.ascontiguousarray(stored_states.transpose(1, 2, 0))    # (N_STATES, n, m)
    stored_counters = np.ascontiguousarray(stored_counters.transpose(1, 2, 0))
    records = {name: np.ascontiguousarray(value.T) for name, value in records.items()}
    phase = np.ascontiguousarray(phase.T)
    times = t_end[:, None] * np.linspace(0.0, 1.0, n_samples)[None, :]
    return BatchTrajectories(
        time_min=times,
        amount_A_mol=stored_states[_A],
        amount_B_mol=stored_states[_B],
        amount_P_mol=stored_states[_P],
        amount_D_mol=stored_states[_D],
        catalyst_mol=stored_states[_CAT],
        volume_L=stored_states[_V],
        reactor_temperature_K=stored_states[_T],
        jacket_temperature_K=stored_states[_TJ],
        nitrogen_mol=stored_states[_N2],
        gas_mol=stored_states[_G],
        pressure_bar=records["pressure"],
        heat_duty_kW=records["duty"],
        agitator_power_kW=records["power"],
        setpoint_K=records["setpoint"],
        feed_flow_L_per_min=records["feed"],
        outflow_L_per_min=records["outflow"],
        dose_flow_L_per_min=records["dose"],
        jacket_setpoint_K=records["jacket_set"],
        phase_index=phase,
        fed_B_mol=stored_counters[0],
        drained_A_mol=stored_counters[1],
        drained_P_mol=stored_counters[2],
        drained_D_mol=stored_counters[3],
        fed_volume_L=stored_counters[4],
        dosed_volume_L=stored_counters[5],
        drained_volume_L=stored_counters[6],
    )

"""The batch-reactor simulator against closed forms, conservation laws and physical sense."""
import dataclasses

import numpy as np
import pytest

from labsupport.reactor import (
    GAS_CONSTANT,
    PHASE_KEYS,
    BatchConditions,
    Recipe,
    ReactorParameters,
    arrhenius,
    simulate,
    standard_recipe,
    vapour_pressure_bar,
)


def _constant_recipe(n, minutes, setpoint_K, keys=("reaction",), **changes):
    """A one-phase recipe at a constant set point (no feed, no dose, no fault)."""
    zeros = np.zeros(n)
    recipe = Recipe(
        phase_keys=keys,
        phase_starts=np.tile(np.linspace(0.0, minutes, len(keys) + 1), (n, 1)),
        setpoint_start_K=np.full(n, setpoint_K),
        setpoint_targets_K=np.full((n, len(keys)), setpoint_K),
        feed_flow_L_per_min=np.zeros((n, len(keys))),
        agitator_rpm=np.zeros((n, len(keys))),
        dose_start_min=zeros,
        dose_duration_min=zeros,
        dose_flow_L_per_min=zeros,
        fault_start_min=zeros,
        fault_duration_min=zeros,
        fault_jacket_K=np.full(n, 298.15),
    )
    return dataclasses.replace(recipe, **changes)


@pytest.fixture(scope="module")
def standard_run():
    rng = np.random.default_rng(3)
    recipe = standard_recipe(16, rng)
    conditions = BatchConditions.nominal(16, amount_A_mol=rng.uniform(950, 1050, 16))
    return recipe, conditions, simulate(recipe, conditions, 120)


def test_vapour_pressure_and_arrhenius_closed_forms():
    # water boils at 100 °C under 1 atm; at 25 °C its vapour pressure is 0.0317 bar
    assert vapour_pressure_bar(373.15) == pytest.approx(1.01325, rel=0.01)
    assert vapour_pressure_bar(298.15) == pytest.approx(0.0317, rel=0.02)
    # k(T) / k(T_ref) = exp(-E/R (1/T - 1/T_ref))
    ratio = arrhenius(2.0, 70.0, 360.0, 350.0) / 2.0
    assert ratio == pytest.approx(np.exp(-70.0 / GAS_CONSTANT * (1 / 360.0 - 1 / 350.0)))
    assert arrhenius(2.0, 70.0, 350.0, 350.0) == pytest.approx(2.0)


def test_adiabatic_temperature_rise_closes_the_energy_balance():
    # No jacket, no losses, no agitator: the whole reaction heat stays in the liquid.
    params = ReactorParameters(heat_transfer_coefficient_kW_per_m2_K=0.0, heat_loss_kW_per_K=0.0)
    n = 3
    conditions = BatchConditions.nominal(n, amount_B_mol=[600.0, 900.0, 1200.0], temperature_K=320.0)
    recipe = _constant_recipe(n, 120.0, 320.0)
    run = simulate(recipe, conditions, 61, params=params)
    made_P = run.amount_P_mol[:, -1] + run.amount_D_mol[:, -1]
    made_D = run.amount_D_mol[:, -1]
    released_kJ = -params.reaction_enthalpy_1 * made_P - params.reaction_enthalpy_2 * made_D
    expected_rise = released_kJ / (params.rho_cp_kJ_per_L_K * conditions.volume_L)
    rise = run.reactor_temperature_K[:, -1] - run.reactor_temperature_K[:, 0]
    np.testing.assert_allclose(rise, expected_rise, rtol=1e-6)
    assert np.all(rise > 5.0)                      # the exothermic reaction heats the batch
    assert np.all(np.diff(run.reactor_temperature_K, axis=1) >= -1e-9)


def test_less_cooling_makes_a_hotter_batch():
    n = 2
    conditions = BatchConditions.nominal(n, amount_B_mol=1050.0, temperature_K=340.0, fouling=[1.0, 0.3])
    recipe = _constant_recipe(n, 60.0, 340.0)
    run = simulate(recipe, conditions, 31)
    good, fouled = run.reactor_temperature_K
    assert fouled.max() > good.max() + 2.0
    # and where the reaction runs, the jacket removes heat (duty > 0)
    assert run.heat_duty_kW[0, 1:10].min() > 0


def test_mole_balances_close(standard_run):
    recipe, conditions, run = standard_run
    A0 = conditions.amount_A_mol[:, None]
    # Every A that reacted is now P or D, in the vessel or discharged.
    in_vessel = run.amount_A_mol + run.amount_P_mol + run.amount_D_mol
    drained = run.drained_A_mol + run.drained_P_mol + run.drained_D_mol
    np.testing.assert_allclose(in_vessel + drained, np.broadcast_to(A0, in_vessel.shape), rtol=1e-6)
    # Before the discharge: B consumed = A consumed, and the gas made equals D (closed headspace).
    discharge = PHASE_KEYS.index("discharge")
    before = run.phase_index < discharge
    consumed_B = conditions.amount_B_mol[:, None] + run.fed_B_mol - run.amount_B_mol
    consumed_A = A0 - run.amount_A_mol
    np.testing.assert_allclose(consumed_B[before], consumed_A[before], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(run.gas_mol[before], run.amount_D_mol[before], rtol=1e-6, atol=1e-9)
    # The B fed equals the charge flow times the charge duration times 4 mol/L.
    charge = PHASE_KEYS.index("charge")
    charge_minutes = recipe.phase_starts[:, charge + 1] - recipe.phase_starts[:, charge]
    np.testing.assert_allclose(run.fed_B_mol[:, -1], recipe.feed_flow_L_per_min[:, charge] * charge_minutes * 4.0, rtol=1e-3)


def test_ranges_and_pressure_law(standard_run):
    recipe, conditions, run = standard_run
    conversion = 1.0 - (run.amount_A_mol + run.drained_A_mol) / conditions.amount_A_mol[:, None]
    assert conversion.min() >= -1e-12 and conversion.max() <= 1.0
    assert conversion[:, -1].min() > 0.9
    for name in ("amount_A_mol", "amount_B_mol", "amount_P_mol", "amount_D_mol", "volume_L", "gas_mol"):
        assert getattr(run, name).min() >= -1e-6, name
    assert 290 < run.reactor_temperature_K.min() and run.reactor_temperature_K.max() < 365
    # pressure = Antoine + ideal gas in the headspace, recomputed here; starts at the pad pressure
    params = ReactorParameters()
    gas = (run.nitrogen_mol + run.gas_mol) * 0.0831446 * run.reactor_temperature_K / (params.vessel_volume_L - run.volume_L)
    np.testing.assert_allclose(run.pressure_bar, vapour_pressure_bar(run.reactor_temperature_K) + gas, rtol=1e-9)
    np.testing.assert_allclose(run.pressure_bar[:, 0], conditions.pad_pressure_bar, rtol=1e-9)
    # the charge compresses the headspace; the discharge vents to about 1 atm
    assert np.all(run.pressure_bar.max(axis=1) > conditions.pad_pressure_bar + 0.5)
    assert np.all(np.abs(run.pressure_bar[:, -1] - 1.01325) < 0.2)
    # phases run in recipe order and the reactor follows its set point while reacting
    assert np.all(np.diff(run.phase_index, axis=1) >= 0)
    reacting = run.phase_index == PHASE_KEYS.index("reaction")
    assert np.abs(run.reactor_temperature_K - run.setpoint_K)[reacting].max() < 6.0


def test_hotter_batches_make_more_byproduct():
    n = 3
    conditions = BatchConditions.nominal(n, amount_B_mol=1050.0, temperature_K=[340.0, 350.0, 360.0])
    recipe = _constant_recipe(n, 150.0, 340.0)
    recipe = dataclasses.replace(recipe, setpoint_start_K=np.array([340.0, 350.0, 360.0]),
                                 setpoint_targets_K=np.array([[340.0], [350.0], [360.0]]))
    run = simulate(recipe, conditions, 51)
    byproduct = run.amount_D_mol[:, -1]
    assert byproduct[0] < byproduct[1] < byproduct[2]
    assert byproduct[2] > 3 * byproduct[0]


def test_jacket_follows_its_set_point_with_a_first_order_lag():
    # A jacket fault from t = 0 holds the jacket set point at 360 K: T_j(t) = 360 + (T0 - 360) exp(-t / tau).
    n = 1
    conditions = BatchConditions.nominal(n, temperature_K=300.0)
    recipe = _constant_recipe(n, 20.0, 300.0, fault_start_min=np.zeros(1), fault_duration_min=np.full(1, 100.0),
                              fault_jacket_K=np.full(1, 360.0))
    run = simulate(recipe, conditions, 41, substeps=8)
    tau = ReactorParameters().jacket_time_constant_min
    expected = 360.0 + (300.0 - 360.0) * np.exp(-run.time_min[0] / tau)
    np.testing.assert_allclose(run.jacket_temperature_K[0], expected, atol=1e-5)
    np.testing.assert_allclose(run.jacket_setpoint_K[0], 360.0)


def test_rk4_has_converged(standard_run):
    recipe, conditions, run = standard_run
    fine = simulate(recipe, conditions, 120, substeps=8)
    # Well below the temperature sensor's noise (0.15 K); the discharge's small hold-up is the hardest part.
    before = run.phase_index < PHASE_KEYS.index("discharge")
    np.testing.assert_allclose(run.reactor_temperature_K[before], fine.reactor_temperature_K[before], atol=0.05)
    np.testing.assert_allclose(run.reactor_temperature_K, fine.reactor_temperature_K, atol=0.2)
    np.testing.assert_allclose(run.amount_P_mol[before], fine.amount_P_mol[before], atol=0.5)
    np.testing.assert_allclose(run.amount_P_mol, fine.amount_P_mol, rtol=0.05, atol=0.5)
    np.testing.assert_allclose(run.pressure_bar[before], fine.pressure_bar[before], atol=2e-3)
    np.testing.assert_allclose(run.pressure_bar, fine.pressure_bar, atol=1e-2)


def test_catalyst_speeds_up_the_reaction():
    # Cold (285 K) so that conversion stays small: the initial rates then differ by the rate law's
    # factor 1 + C_cat / c_ref, with C_cat = 2 mol / 502 L.
    n = 2
    conditions = BatchConditions.nominal(n, amount_B_mol=1050.0, temperature_K=285.0, dose_concentration_mol_per_L=1.0)
    recipe = _constant_recipe(n, 10.0, 285.0, dose_start_min=np.zeros(n), dose_duration_min=np.full(n, 0.5),
                              dose_flow_L_per_min=np.array([0.0, 4.0]))
    run = simulate(recipe, conditions, 21)
    np.testing.assert_allclose(run.catalyst_mol[:, -1], [0.0, 2.0], atol=1e-9)
    assert run.amount_P_mol[:, -1].max() < 0.1 * 1000
    factor = 1.0 + 2.0 / 502.0 / ReactorParameters().catalyst_reference_mol_per_L
    assert run.amount_P_mol[1, -1] / run.amount_P_mol[0, -1] == pytest.approx(factor, rel=0.1)


def test_simulation_is_deterministic_and_vectorized():
    # a batch simulated alone equals the same batch simulated among others
    rng = np.random.default_rng(0)
    recipe = standard_recipe(5, rng)
    conditions = BatchConditions.nominal(5, activity=np.linspace(0.9, 1.1, 5))
    together = simulate(recipe, conditions, 50)
    pick = lambda obj, i: type(obj)(**{  # noqa: E731
        f.name: (getattr(obj, f.name) if f.name == "phase_keys" else getattr(obj, f.name)[i:i + 1])
        for f in dataclasses.fields(obj)})
    alone = simulate(pick(recipe, 2), pick(conditions, 2), 50)
    np.testing.assert_allclose(alone.reactor_temperature_K[0], together.reactor_temperature_K[2], rtol=1e-12)
    again = simulate(recipe, conditions, 50)
    np.testing.assert_array_equal(again.pressure_bar, together.pressure_bar)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda r, c: simulate(r, c, 1), "n_samples"),
        (lambda r, c: simulate(r, c, 10, substeps=0), "substeps"),
        (lambda r, c: simulate(r, c, 10, t_end_min=-1.0), "t_end_min"),
        (lambda r, c: simulate(r, BatchConditions.nominal(3), 10), "batches"),
        (lambda r, c: dataclasses.replace(r, phase_keys=("reaction", "stirring")), "unknown phase"),
        (lambda r, c: dataclasses.replace(r, phase_keys=("reaction",)), "phase_starts"),
        (lambda r, c: BatchConditions.nominal(2, colour=1.0), "unknown batch conditions"),
        (lambda r, c: standard_recipe(0, np.random.default_rng(0)), "n_batches"),
        (lambda r, c: standard_recipe(2, np.random.default_rng(0), ("preheat", "stir")), "unknown phase keys"),
        (lambda r, c: standard_recipe(2, np.random.default_rng(0), durations_min=np.ones((2, 3))), "durations_min"),
    ],
)
def test_bad_arguments_raise_clear_errors(make, message):
    recipe = standard_recipe(2, np.random.default_rng(0))
    conditions = BatchConditions.nominal(2)
    with pytest.raises(ValueError, match=message):
        make(recipe, conditions)

"""Invariants hold in every replicate: every bundled scenario and mini.yaml under each mechanism.

Each (scenario, variant) pair runs 20 replicates (500 under ``pytest -m slow``); every outcome row is checked with
:func:`negsim.montecarlo.invariants.check_row`, and the final world of every tenth replicate with
:func:`negsim.montecarlo.invariants.check_world`. A failure is an :class:`InvariantError` naming the seed
and replicate, and the ``negsim trace`` command that replays it.
"""

from __future__ import annotations

import csv
import io

import pytest
from conftest import FIXTURES, SCENARIOS

from negsim.api import load
from negsim.montecarlo.invariants import InvariantError, check_replicate, check_row, check_rows, check_world
from negsim.montecarlo.runner import run_many, run_replicate
from negsim.scenario.load import load_scenario

SEED = 11
RUNS = 20  # per case in the default run (70 cases); `pytest -m slow` runs RUNS_LONG
RUNS_LONG = 500
FILES = sorted(SCENARIOS.glob("*.yaml")) + [FIXTURES / "mini.yaml"]


def _variants(path) -> dict[str, list[str]]:
    """--set overrides switching on each mechanism, fitted to the scenario's parties."""
    sc = load_scenario(path).scenario
    parties = list(sc.pact.parties)
    counterpart = sc.talks.counterpart or ("RUS" if "RUS" in sc.actors else parties[0])
    if sc.talks.sequencing == "shuttle":
        shuttle = ["talks.sequencing=shuttle"]
    else:  # the counterpart's side first, then everyone else
        first = [p for p in parties if p == counterpart] or parties[:1]
        rest = [p for p in parties if p not in first]
        stages = [first + rest[:1], rest[1:] + first] if len(rest) > 1 else [parties]
        shuttle = ["talks.sequencing=shuttle", "talks.stages=[" + ", ".join("[" + ", ".join(s) + "]" for s in stages) + "]"]
    return {
        "default": [],
        "nash": ["talks.proposal=nash"],
        "baby_steps": ["talks.agenda=baby_steps", "talks.step_trust_gain=0.1"],
        "parallel": ["talks.sequencing=parallel", f"talks.counterpart={counterpart}"],
        "shuttle": shuttle,
        "ratifiers": ["pact.entry_into_force=ratifiers"],
        "cascade": ["talks.cascade={from: central, trust_gain: 0.1, softening: 0.05}"],
    }


CASES = [
    pytest.param(path, name, overrides, id=f"{path.stem}-{name}") for path in FILES for name, overrides in _variants(path).items()
]


@pytest.mark.parametrize("path, variant, overrides", CASES)
def test_invariants_hold(path, variant, overrides):
    _check(path, overrides, RUNS)


@pytest.mark.slow
@pytest.mark.parametrize("path, variant, overrides", CASES)
def test_invariants_hold_over_many_replicates(path, variant, overrides):
    _check(path, overrides, RUNS_LONG)


def _check(path, overrides, runs: int) -> None:
    comp = load(path, overrides)
    label = f"{path.name} " + " ".join(f"--set {o!r}" for o in overrides)
    for i in range(runs):
        if i % 10 == 0:
            row, model = run_replicate(comp, SEED, i, trace=True)
            check_replicate(comp, SEED, i, row, model, scenario=label)
        else:
            check_replicate(comp, SEED, i, run_replicate(comp, SEED, i), scenario=label)


def test_rows_read_back_from_csv_pass(mini):
    comp = load(mini)
    rows = run_many(comp, 40, 3)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    back = list(csv.DictReader(io.StringIO(buf.getvalue())))
    for r in back:
        assert check_row(r, comp) == [], r
    check_rows(back, comp)


# --- the checks catch what they should ----------------------------------------------------


@pytest.fixture(scope="module")
def good(request):
    """A consistent row in which the pact entered into force and broke down, with its model."""
    comp = load(FIXTURES / "mini.yaml")
    for i in range(500):
        row, model = run_replicate(comp, 5, i, trace=True)
        if row["in_force"] and not row["survived"]:
            return comp, row, model
    pytest.skip("no replicate of mini.yaml broke down")


BREAKAGES = [
    ("survived without force", {"survived": True, "in_force": False}, "survived but not in force"),
    ("force without agreement", {"reached": False}, "in force but no agreement reached"),
    ("ratified without agreement", {"reached": False, "in_force": False, "survived": False}, "ratified but no agreement"),
    ("complete without agreement", {"complete": True, "end_cause": "agreement", "reached": False}, "complete but no agreement"),
    ("complete but vetoed", {"complete": True, "end_cause": "veto"}, "complete is True but end_cause is 'veto'"),
    ("unknown end cause", {"end_cause": "fatigue"}, "end_cause 'fatigue'"),
    ("no rounds", {"rounds": 0}, "rounds is 0"),
    ("NaN trust", {"final_trust": float("nan")}, "final_trust is nan"),
    ("trust above one", {"final_trust": 1.5}, "outside [0, 1]"),
    ("entry at the horizon", {"entry_period": 10}, "not before the horizon"),
    ("breakdown fields missing", {"breakdown_cause": ""}, "breakdown_cause is ''"),
    ("breakdown before entry", {"breakdown_period": 0}, "not after entry into force"),
    ("bad breakdown reason", {"breakdown_reason": "boredom"}, "does not go with cause"),
    ("counts do not nest", {"pacts_in_force": 5}, "do not nest"),
    ("not a boolean", {"ratified": "maybe"}, "ratified should be a boolean"),
    ("unknown veto actor", {"veto_actor": "XYZ"}, "not an actor"),
]


@pytest.mark.parametrize("what, change, message", BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_broken_row_is_caught(good, what, change, message):
    comp, row, _ = good
    assert check_row(row, comp) == []
    bad = {**row, **change}
    if what == "unknown veto actor" and bad["end_cause"] == "agreement":
        bad["end_cause"], bad["complete"] = "veto", False
    problems = check_row(bad, comp)
    assert any(message in p for p in problems), problems


def test_broken_world_is_caught(good):
    comp, row, model = good
    assert check_world(model) == []
    model.world.trust[0, 0] = 0.9
    model.world.pos[1, 0] = float("nan")
    model.world.sal[2, 1] = 1.2
    problems = check_world(model)
    assert any("trust in oneself" in p for p in problems)
    assert any("positions has NaN" in p for p in problems)
    assert any("salience outside [0, 1]" in p for p in problems)


def test_invariant_error_names_seed_replicate_and_trace_command(good):
    comp, row, _ = good
    bad = {**row, "survived": True, "in_force": False}
    with pytest.raises(InvariantError) as info:
        check_replicate(comp, row["seed"], row["replicate"], bad, scenario="tests/fixtures/mini.yaml")
    e = info.value
    assert (e.seed, e.replicate) == (row["seed"], row["replicate"]) and e.problems
    assert f"negsim trace tests/fixtures/mini.yaml --seed {row['seed']} --replicate {row['replicate']}" in str(e)
    with pytest.raises(InvariantError, match=f"--replicate {row['replicate']}"):
        check_rows([row, bad], comp)

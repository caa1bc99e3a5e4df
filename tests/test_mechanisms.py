"""Mechanism tests on small scenarios: each can fail if the mechanism is wrong."""

import numpy as np
import pytest
from conftest import compile_file

from negsim.model.valuation import thresholds
from negsim.montecarlo.runner import run_many, run_replicate


def one(path, overrides=(), seed=1, i=0):
    comp = compile_file(path, overrides)
    row, model = run_replicate(comp, seed, i, trace=True)
    return row, model


QUIET = ["actors.AAA.spoiler=0", "actors.BBB.spoiler=0", "actors.CCC.spoiler=0", "actors.RUS.spoiler=0"]


def test_baseline_mini_reaches_agreement(mini):
    row, _ = one(mini, QUIET)
    assert row["reached"] and row["end_cause"] == "agreement"


def test_single_objection_under_consensus_kills_the_deal(mini):
    # CCC, a small member, draws a red line on the cap issue: consensus lets it veto alone
    ov = QUIET + ["actors.CCC.positions.cap=0", "actors.CCC.red_lines.cap=0.05", "actors.CCC.concession.shape=categorical"]
    row, model = one(mini, ov)
    assert not row["reached"]
    assert row["veto_actor"] == "CCC"
    assert row["veto_issue"] == "cap"
    assert row["veto_rule"] == "consensus"
    assert row["veto_reason"] == "red_line"
    # the same member under majority rule is outvoted
    row2, _ = one(mini, ov + ["bodies.NATO.rule=majority"])
    assert row2["reached"]


def test_silence_procedure_passes_an_indifferent_member(mini):
    # CCC cares about nothing but wants a small positive gain: indifferent, not objecting
    ov = QUIET + [
        "actors.CCC.salience.cap=0",
        "actors.CCC.salience.withdraw=0",
        "actors.CCC.salience.hotline=0",
        "actors.CCC.reservation=0.01",
        "talks.max_rounds=1",
    ]
    row, _ = one(mini, ov)
    assert row["reached"]
    row2, _ = one(mini, ov + ["bodies.NATO.silence=false"])
    assert not row2["reached"] and row2["veto_actor"] == "CCC" and row2["veto_reason"] == "not_positive"
    row3, _ = one(mini, ov + ["bodies.NATO.rule=unanimity"])
    assert not row3["reached"]


def test_categorical_actor_never_moves_on_its_red_line_issue(mini):
    ov = QUIET + [
        "actors.RUS.concession.shape=categorical",
        "actors.RUS.red_lines.withdraw=0.3",
        "actors.RUS.reservation=0.5",
        "talks.max_rounds=8",
    ]
    comp = compile_file(mini, ov)
    for i in range(20):
        _, model = run_replicate(comp, 3, i, trace=True)
        r = comp.idx["RUS"]
        assert np.array_equal(model.world.pos[r], model.pos0[r]), "a categorical actor moved"


def test_concessions_never_cross_a_red_line(mini):
    ov = QUIET + [
        "actors.RUS.concession.shape=conceder",
        "actors.RUS.concession.rate=1",
        "actors.RUS.red_lines.withdraw=0.3",
        "actors.RUS.reservation=0.9",
        "talks.max_rounds=10",
    ]
    comp = compile_file(mini, ov)
    for i in range(20):
        _, model = run_replicate(comp, 3, i, trace=True)
        r, k = comp.idx["RUS"], comp.kidx["withdraw"]
        assert model.world.pos[r, k] <= 0.3 + 1e-12
        assert model.world.pos[r, k] > model.pos0[r, k]  # it did concede, up to the line


def test_conceder_concedes_earlier_than_boulware(mini):
    from negsim.model.concession import time_fraction
    from negsim.scenario.schema import SHAPES

    T, rate = 10, np.array([0.8, 0.8])
    shape = np.array([SHAPES.index("conceder"), SHAPES.index("boulware")])
    first = time_fraction(shape, rate, 1, T)
    assert first[0] > 5 * first[1]
    # both reach the same total share of the gap by the deadline
    remaining = np.ones(2)
    for t in range(1, T + 1):
        remaining *= 1 - time_fraction(shape, rate, t, T)
    assert np.allclose(1 - remaining, 0.8)


def test_drawdown_lowers_thresholds_of_reliant_states_only(mini):
    comp = compile_file(mini, ["actors.CCC.us_reliance=0.7", "actors.CCC.drawdown_softening=0"])
    w = comp.draw(np.random.default_rng(0))
    before = thresholds(w, comp.region)
    w.us_presence[:] = 0.2
    after = thresholds(w, comp.region)
    a, c = comp.idx["AAA"], comp.idx["CCC"]
    assert after[a] < before[a]  # reliant and softening: more willing
    assert after[c] == before[c]  # drawdown_softening 0 (the UK's case): unmoved


def test_more_trust_never_lowers_survival(mini):
    comp_lo = compile_file(
        mini, ["actors.AAA.trust.RUS=0.2", "actors.BBB.trust.RUS=0.2", "actors.CCC.trust.RUS=0.2", "actors.RUS.trust.default=0.2"]
    )
    comp_hi = compile_file(
        mini, ["actors.AAA.trust.RUS=0.7", "actors.BBB.trust.RUS=0.7", "actors.CCC.trust.RUS=0.7", "actors.RUS.trust.default=0.7"]
    )
    n = 600
    lo = np.mean([r["survived"] for r in run_many(comp_lo, n, 11)])
    hi = np.mean([r["survived"] for r in run_many(comp_hi, n, 11)])
    se = np.sqrt(max(lo * (1 - lo), hi * (1 - hi), 0.01) / n)
    assert hi >= lo - 2 * se, (lo, hi)


def test_walkout_ends_talks_and_is_recorded(mini):
    ov = QUIET + [
        "actors.RUS.walkout.after=1",
        "actors.RUS.walkout.hazard=1",
        "actors.RUS.red_lines.cap=0.9",
        "actors.AAA.red_lines.cap=0.3",
        "actors.AAA.concession.shape=categorical",
    ]
    row, model = one(mini, ov)
    assert row["end_cause"] == "walkout" and row["walkout_actor"] in ("RUS", "AAA")
    assert any("walks out" in line for line in model.lines)


@pytest.mark.parametrize("rule", ["unanimity", "qmv", "majority", "capability", "bilateral"])
def test_every_rule_runs_end_to_end(mini, rule):
    comp = compile_file(mini, [f"bodies.NATO.rule={rule}"])
    rows = run_many(comp, 20, 5)
    assert len(rows) == 20 and all(r["end_cause"] in ("agreement", "veto", "deadlock", "walkout") for r in rows)


@pytest.mark.parametrize(
    "ov",
    [
        ["talks.proposal=nash"],
        ["talks.agenda=baby_steps"],
        ["talks.sequencing=parallel", "talks.counterpart=RUS"],
        ["talks.sequencing=shuttle", "talks.stages=[[BBB, RUS], [NATO]]"],
        ["pact.entry_into_force=ratifiers"],
        ["talks.cascade={from: central, trust_gain: 0.1, softening: 0.05}"],
    ],
)
def test_protocol_variants_run(mini, ov):
    comp = compile_file(mini, ov)
    rows = run_many(comp, 20, 5)
    assert len(rows) == 20
    assert all(0.0 <= float(r["final_trust"]) <= 1.0 for r in rows if r.get("final_trust") != "")


def test_ratification_failure_kills_pact_under_all_rule(mini):
    ov = QUIET + ["actors.BBB.ratification={required: true, threshold: 0.99, support: 0.1, sensitivity: 0}"]
    row, _ = one(mini, ov)
    assert row["reached"] and not row["ratified"] and row["ratification_failed_actor"] == "BBB"
    row2, _ = one(mini, ov + ["pact.entry_into_force=ratifiers"])
    assert row2["in_force"]


def test_baby_steps_raise_trust_with_each_step(mini):
    comp = compile_file(mini, QUIET + ["talks.agenda=baby_steps", "talks.step_trust_gain=0.2"])
    _, model = run_replicate(comp, 1, 0, trace=True)
    pkg_lines = [line for line in model.lines if line.startswith("Package")]
    assert len(pkg_lines) == 3
    assert pkg_lines[0].endswith("hotline.")  # the easiest issue first


def test_incident_before_the_talks_lowers_trust(mini):
    base = compile_file(mini, QUIET)
    hit = compile_file(
        mini, QUIET + ["events=[{at: 0, incident: {between: [AAA, RUS], severity: 1}}]", "compliance.incident_drop=0.5"]
    )
    _, m0 = run_replicate(base, 1, 0, trace=True)
    _, m1 = run_replicate(hit, 1, 0, trace=True)
    a, r = base.idx["AAA"], base.idx["RUS"]
    assert m1.world.trust[a, r] < m0.world.trust[a, r]


def test_pact_entering_force_after_the_horizon_does_not_survive(mini):
    ov = QUIET + ["actors.BBB.ratification={required: true, threshold: 0.1, support: 0.9, delay: 40}", "pact.horizon=3"]
    rows = run_many(compile_file(mini, ov), 30, 2)
    late = [r for r in rows if r["reached"] and r["ratified"] and not r["in_force"]]
    assert late, "expected some pacts to enter into force only after the horizon"
    assert all(not r["survived"] for r in late)


def test_categorical_on_one_issue_freezes_only_that_issue(mini):
    ov = QUIET + [
        "actors.RUS.concession={shape: linear, rate: 0.9, categorical_on: [withdraw]}",
        "actors.RUS.reservation=0.9",
        "talks.max_rounds=6",
    ]
    comp = compile_file(mini, ov)
    _, model = run_replicate(comp, 1, 0, trace=True)
    r = comp.idx["RUS"]
    assert model.world.pos[r, comp.kidx["withdraw"]] == model.pos0[r, comp.kidx["withdraw"]]
    assert model.world.pos[r, comp.kidx["cap"]] != model.pos0[r, comp.kidx["cap"]]


def test_bilateral_body_binds_only_members_who_accept(mini):
    ov = QUIET + [
        "bodies.NATO.rule=bilateral",
        "actors.CCC.red_lines.withdraw=0.1",
        "actors.CCC.positions.withdraw=0",
        "actors.CCC.concession.shape=categorical",
    ]
    from negsim.model.model import NegotiationModel
    from negsim.model.negotiation import negotiate
    from negsim.montecarlo.runner import replicate_rng

    comp = compile_file(mini, ov)
    m = NegotiationModel(comp, replicate_rng(1, 0))
    talks = negotiate(m)
    assert not talks.pairs[0, comp.idx["CCC"]] and talks.pairs[0, comp.idx["AAA"]]


def test_alliance_cohesion_keeps_members_out_of_separate_pacts(mini):
    ov = QUIET + ["talks.sequencing=parallel", "talks.counterpart=RUS"]
    loose = run_many(compile_file(mini, ov), 50, 3)
    tight = run_many(compile_file(mini, ov + ["actors.AAA.cohesion=1", "actors.BBB.cohesion=1", "actors.CCC.cohesion=1"]), 50, 3)
    assert sum(r["pacts_signed"] for r in tight) < sum(r["pacts_signed"] for r in loose)
    assert all(set(r["holdouts"].split(";")) == {"AAA", "BBB", "CCC"} for r in tight if not r["reached"])


def test_set_with_a_wildcard_changes_every_actor_and_adds_none(mini):
    comp = compile_file(mini, ["actors.*.spoiler=0.5"])
    assert "*" not in comp.codes and len(comp.codes) == 4
    w = comp.draw(np.random.default_rng(0))
    assert np.all(w.spoiler == 0.5)
    with pytest.raises(Exception, match="matches nothing"):
        compile_file(mini, ["nothing.*.x=1"])

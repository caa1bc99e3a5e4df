"""Mechanism tests on small scenarios: each can fail if the mechanism is wrong."""

import numpy as np
import pytest
from conftest import ROOT, compile_file

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


RED_CCC = ["actors.CCC.positions.cap=0", "actors.CCC.red_lines.cap=0.05", "actors.CCC.concession.shape=categorical"]


def test_single_objection_under_consensus_kills_the_deal(mini):
    # CCC, a small member, draws a red line on the cap issue: consensus lets it veto alone (the compromise is not moved)
    row, model = one(mini, QUIET + RED_CCC + ["talks.anticipate=false"])
    assert not row["reached"]
    assert row["veto_actor"] == "CCC"
    assert row["veto_issue"] == "cap"
    assert row["veto_rule"] == "consensus"
    assert row["veto_reason"] == "red_line"
    # the same member under majority rule is outvoted
    row2, _ = one(mini, QUIET + RED_CCC + ["talks.anticipate=false", "bodies.NATO.rule=majority"])
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


def test_silence_does_not_pass_a_text_short_of_a_members_no_deal_value(mini):
    """A member that gains little from a text but needs more than that stays silent no longer (docs/model.md 3.2).

    With AAA's reservation at 0.1, silence judged on the raw gain let AAA pass texts below its no-deal value in
    round 1 and withdraw in period 1 (P(agreement) 100%, P(survives) 0%). Judged against its no-deal value, AAA
    objects at the table, the text moves toward it, and the pact it signs is one it keeps.
    """
    rows = run_many(compile_file(mini, ["actors.AAA.reservation=0.1"]), 100, 0)
    assert sum(r["reached"] for r in rows) >= 95
    assert sum(r["survived"] for r in rows) >= 90
    assert not [r for r in rows if r["breakdown_actor"] == "AAA" and r["breakdown_period"] == 1]


def _aspirations(monkeypatch, comp, seed=3, i=0):
    """Run one replicate's talks and return, per round, what each state asked (N) and the model."""
    from negsim.model import negotiation

    seen = []
    votes = negotiation._votes

    def spy(t, x, asp, res, lag):
        seen.append(asp.copy())
        return votes(t, x, asp, res, lag)

    monkeypatch.setattr(negotiation, "_votes", spy)
    _, model = run_replicate(comp, seed, i, trace=True)
    return np.array(seen), model


def test_a_proposer_who_anticipates_acceptance_meets_the_red_line(mini):
    """The mediator moves its refused compromise toward the Nash text until CCC's red line holds, and the deal closes."""
    row, model = one(mini, QUIET + RED_CCC)
    assert row["reached"] and row["complete"]
    last = [line for line in model.lines if "proposes" in line][-1]
    assert float(last.split("cap=")[1].split(",")[0]) <= 0.05 + 0.005
    assert any("moves it" in line and "of the way to the Nash text" in line for line in model.lines)


def test_aspirations_decline_while_ideal_points_stay_fixed(mini, monkeypatch):
    ov = QUIET + ["actors.RUS.reservation=0.3", "actors.AAA.reservation=0.3", "talks.max_rounds=8", "talks.anticipate=false"]
    comp = compile_file(mini, ov)
    asp, model = _aspirations(monkeypatch, comp)
    assert len(asp) >= 3, "the deal should take some rounds"
    assert np.array_equal(model.world.pos, model.pos0), "a state's ideal points moved"
    assert np.all(np.diff(asp, axis=0) <= 1e-12) and np.all(asp[0] > asp[-1]), "aspirations must fall round by round"


def test_categorical_actor_refuses_any_text_past_its_ideal_on_a_red_line_issue(mini):
    from negsim.model import negotiation
    from negsim.model.model import NegotiationModel
    from negsim.montecarlo.runner import replicate_rng

    ov = QUIET + ["actors.RUS.concession.shape=categorical", "actors.RUS.red_lines.withdraw=0.3"]
    comp = compile_file(mini, ov)
    m = NegotiationModel(comp, replicate_rng(1, 0))
    t = negotiation._table(m, np.arange(comp.k), 0.0)
    r, k = comp.idx["RUS"], comp.kidx["withdraw"]
    assert t.upper[r, k] == m.world.pos[r, k]  # the line moved to its ideal (0.2), not 0.3
    assert np.isinf(t.upper[r, comp.kidx["cap"]])  # no red line there: it concedes on cap
    for i in range(10):
        mi = NegotiationModel(comp, replicate_rng(1, i))
        talks = mi.play(negotiation.negotiate(mi))
        assert not talks.reached or talks.x[0, k] <= m.world.pos[r, k] + 0.005


def test_no_agreed_package_crosses_a_red_line(mini):
    from negsim.model.model import NegotiationModel
    from negsim.model.negotiation import negotiate
    from negsim.montecarlo.runner import replicate_rng

    # the Nash proposer searches inside the red lines; the compromise text (0.6 here) would cross it every round
    ov = QUIET + ["actors.RUS.concession.shape=conceder", "actors.RUS.red_lines.withdraw=0.3", "talks.proposal=nash"]
    comp = compile_file(mini, ov)
    reached = 0
    for i in range(20):
        mi = NegotiationModel(comp, replicate_rng(3, i))
        talks = mi.play(negotiate(mi))
        reached += talks.reached
        assert not talks.reached or talks.x[0, comp.kidx["withdraw"]] <= 0.3 + 0.005
    assert reached, "the test needs agreements to check"


def test_conceder_concedes_earlier_than_boulware():
    from negsim.model.concession import conceded
    from negsim.scenario.schema import SHAPES

    T, rate = 10, np.array([0.2, 0.2])
    shape = np.array([SHAPES.index("conceder"), SHAPES.index("boulware")])
    f = np.array([conceded(shape, rate, r, T, np.ones(2), np.zeros(2), 0.0) for r in range(1, T + 1)])
    assert np.allclose(f[0], 0.2)  # both open having given up rate (Faratin's kappa)
    assert f[1, 0] > f[1, 1] + 0.3  # the conceder gives up most of the way early, the boulware little
    assert np.allclose(f[-1], 1.0)  # both reach their no-deal value in the last round
    assert np.all(np.diff(f, axis=0) >= 0)


def test_boulware_closes_the_deal_later_than_conceder(mini):
    """The same talks with the same draws: when a deal closes depends on how the states concede."""
    rounds = {}
    for shape in ("conceder", "boulware"):
        shapes = [f"actors.{c}.concession.shape={shape}" for c in ("AAA", "BBB", "CCC", "RUS")]
        comp = compile_file(mini, QUIET + shapes + ["talks.anticipate=false"])  # the text stands: the tactics decide when
        rows = run_many(comp, 20, 4)
        assert all(r["complete"] for r in rows)
        rounds[shape] = np.mean([r["rounds"] for r in rows])
    assert rounds["conceder"] < rounds["boulware"], rounds
    assert rounds["conceder"] > 1  # no one accepts the opening demands


def test_a_holdout_is_bought_off_by_the_mediator(mini):
    # RUS decides for itself (a veto player) and has no allies to press it: holding out costs it one round of delay
    row, model = one(mini, QUIET[:-1] + ["actors.RUS.spoiler=0.5"])
    assert row["complete"] and row["holdout_actor"] == "RUS"
    assert row["holdout_bought_off"] is True and row["holdout_how"] == "side_payment" and row["holdout_payer"] == "BBB"
    assert row["holdout_price"] > 0 and row["holdout_price"] == row["holdout_demand"]
    assert any("RUS hold(s) out" in line and "BBB offers it as a side payment" in line for line in model.lines)
    quiet, _ = one(mini, QUIET)
    assert quiet["holdout_actor"] == ""


def test_a_payer_pays_no_more_than_keeps_the_text_inside_its_legislatures_win_set(mini):
    """The mediator BBB has a legislature (simple majority, support 0.3 before the merits): a side payment counts in
    its margin, so BBB does not buy RUS off at a price its legislature would then reject (it did, signing a text it
    expected to carry 46% of the vote); RUS's demand stands until it gives way, and BBB's legislature ratifies."""
    rat = "actors.BBB.ratification={required: true, threshold: 0.5, support: 0.3, sensitivity: 0.5}"
    row, model = one(mini, QUIET[:-1] + ["actors.RUS.spoiler=0.5", rat])
    assert row["holdout_actor"] == "RUS" and row["holdout_payer"] != "BBB"
    assert not any("BBB offers it as a side payment" in line for line in model.lines)
    assert row["complete"] and row["ratified"]
    expected = [line for line in model.lines if "BBB's legislature" in line and "its executive expected" in line]
    assert expected and all(float(x.split("its executive expected ")[1].split("%")[0]) >= 50 for x in expected)
    # with support enough to spare, BBB buys RUS off as before
    rich, model = one(mini, QUIET[:-1] + ["actors.RUS.spoiler=0.5", rat.replace("support: 0.3", "support: 0.9")])
    assert rich["holdout_how"] == "side_payment" and rich["holdout_payer"] == "BBB" and rich["ratified"]


def test_a_spoiler_does_not_obstruct_a_package_that_serves_it(mini):
    # every state shares RUS's ideal points: the text is RUS's best, so it has nothing to hold out for
    same = [f"actors.{c}.positions={{cap: 1.0, withdraw: 0.2, hotline: 1.0}}" for c in ("AAA", "BBB", "CCC")]
    row, _ = one(mini, QUIET[:-1] + ["actors.RUS.spoiler=1"] + same)
    assert row["complete"] and row["holdout_actor"] == ""
    # the same spoiler facing a text that leaves it short of its best does hold out
    row2, _ = one(mini, QUIET[:-1] + ["actors.RUS.spoiler=1"])
    assert row2["holdout_actor"] == "RUS"


def test_allied_pressure_keeps_a_member_from_holding_out(mini):
    spoil = QUIET[:2] + ["actors.RUS.spoiler=0", "actors.CCC.spoiler=0.5"]
    loose, _ = one(mini, spoil + ["actors.CCC.cohesion=0"])
    assert loose["holdout_actor"] == "CCC"
    tight, _ = one(mini, spoil + ["actors.CCC.cohesion=1"])  # its allies (70% of the alliance's capability) accept
    assert tight["holdout_actor"] == ""


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
    """An election between signature and the vote turns BBB's legislature against the signed text (two-level game)."""
    ov = QUIET + [
        "actors.BBB.ratification={required: true, threshold: 0.5, support: 0.9, sensitivity: 0.2, delay: 3}",
        "events=[{at: 1, set: {actors.BBB.ratification.support: 0.1}, label: election}]",
    ]
    row, model = one(mini, ov)
    assert row["reached"] and not row["ratified"] and row["ratification_failed_actor"] == "BBB"
    assert not row["in_force"]
    failed = [line for line in model.lines if "BBB's legislature FAILS to ratify" in line]
    assert failed
    # what its executive expected when it signed, before the election: above the threshold
    assert float(failed[0].split("its executive expected ")[1].split("%")[0]) >= 50
    row2, _ = one(mini, ov + ["pact.entry_into_force=ratifiers"])
    assert row2["in_force"]
    calm, _ = one(
        mini, QUIET + ["actors.BBB.ratification={required: true, threshold: 0.5, support: 0.9, sensitivity: 0.2, delay: 3}"]
    )
    assert calm["ratified"] and calm["in_force"]


def test_executive_refuses_a_text_outside_its_legislatures_win_set(mini):
    """A legislature that can never reach its threshold leaves an empty win-set: the executive refuses at the table."""
    row, _ = one(mini, QUIET + ["actors.BBB.ratification={required: true, threshold: 0.99, support: 0.1, sensitivity: 0}"])
    assert not row["reached"]
    assert row["veto_reason"] == "outside_win_set" and row["veto_actor"] == "BBB"


RAT_AAA = "actors.AAA.ratification={required: true, threshold: 0.5, support: 0.5, sensitivity: 1%s}"


def _agreed_cap(mini, extra: str) -> float:
    row, model = one(mini, QUIET + ["talks.proposal=nash", RAT_AAA % extra])
    assert row["reached"], row
    last = [line for line in model.lines if "proposes" in line][-1]
    return float(last.split("cap=")[1].split(",")[0])


def test_a_hawkish_legislature_ties_its_executives_hands(mini):
    """AAA's legislature wants a lower cap on AAA than its executive (0.1 vs 0.2): the agreed cap moves toward it (Putnam)."""
    assert _agreed_cap(mini, ", positions: {cap: 0.1}") <= _agreed_cap(mini, "") - 0.05


def test_a_legislature_holds_the_signed_text_and_is_paid(mini):
    """A legislature with a thin surplus holds the signed text (the Sweden precedent): its vote comes later, and it is paid.

    The allies trust Russia more than in mini (0.7 for AAA, 1 for BBB and CCC), so the text leaves AAA a
    surplus to risk and the mediator BBB one to pay from (each commitment is worth the trust in its obligor).
    """
    trusting = ["actors.AAA.trust.RUS=0.7", "actors.BBB.trust.RUS=1", "actors.CCC.trust.RUS=1"]
    row, model = one(
        mini, QUIET + trusting + ["talks.proposal=nash", "actors.AAA.spoiler=0.3", "actors.AAA.cohesion=0", RAT_AAA % ""]
    )
    assert row["ratification_holdout_actor"] == "AAA" and row["ratification_holdout_paid"] is True
    held = float(row["ratification_holdout_periods"])
    assert held > 1.0
    assert float(row["ratification_times"].split("AAA=")[1]) >= held
    assert row["ratified"]
    assert any("AAA's legislature holds the signed text" in line and "BBB pays it" in line for line in model.lines)
    plain, _ = one(mini, QUIET + trusting + ["talks.proposal=nash", RAT_AAA % ""])
    assert plain["ratification_holdout_actor"] == ""


def _signed_then_failed(mini, foresight: float, runs: int = 200) -> tuple[float, float, list]:
    """P(agreement) and P(ratified | agreed) in mini when BBB's legislature's support is uncertain, read with ``foresight``."""
    rat = "actors.BBB.ratification={required: true, threshold: 0.5, support: {uniform: [0.2, 0.8]}, sensitivity: 0.5, foresight: %g}"
    rows = run_many(compile_file(mini, QUIET + [rat % foresight]), runs, 11)
    agreed = [r for r in rows if r["reached"]]
    failed = [r for r in agreed if not r["ratified"]]
    return len(agreed) / runs, 1 - len(failed) / max(len(agreed), 1), failed


def test_an_executive_that_misreads_its_legislature_signs_what_it_rejects(mini):
    """Putnam's involuntary defection: an executive unsure of its legislature signs a text the legislature then rejects.

    BBB's legislature's support is uniform on [0.2, 0.8] around a threshold of 0.5. An executive that knows the draw
    (foresight 1) shapes the text to what its legislature will pass; one that knows only the mean (foresight 0)
    signs texts its legislature then rejects, paired on the same replicates.
    """
    agree_blind, rat_blind, failed = _signed_then_failed(mini, 0.0)
    agree_sure, rat_sure, _ = _signed_then_failed(mini, 1.0)
    assert agree_blind >= agree_sure
    assert rat_blind < rat_sure - 0.05 and rat_sure > 0.95
    assert failed and all(r["ratification_failed_actor"] == "BBB" for r in failed)
    comp = compile_file(
        mini, QUIET + ["actors.BBB.ratification={required: true, threshold: 0.5, support: 0.3, sensitivity: 0.2}"]
    )
    assert comp.rat_prior[comp.idx["BBB"]] == 0.3 and comp.rat_prior_sd[comp.idx["BBB"]] == 0.0


def test_an_executive_reads_a_public_election_in_its_legislature(mini):
    """An event that sets a legislature's support is public: its executive's reading follows it exactly."""
    ov = QUIET + [
        "actors.BBB.ratification={required: true, threshold: 0.5, support: {uniform: [0.2, 0.8]}, foresight: 0}",
        "events=[{at: 0, set: {actors.BBB.ratification.support: 0.35}, label: election}]",
    ]
    row, model = one(mini, ov)
    b = model.comp.idx["BBB"]
    assert model.world.rat_seen[b] == pytest.approx(0.35) and model.world.rat_doubt[b] == 0.0
    assert model.world.rat_support[b] == pytest.approx(0.35)


def test_support_is_a_share_that_never_passes_the_whole():
    """The logit vote: support is its base at margin 0, rises by ``sens`` points per unit margin there, and stays in (0, 1)."""
    from negsim.model.ratification import support

    base, sens = np.full(5, 0.6), np.full(5, 1.0)
    margins = np.array([-2.0, -0.1, 0.0, 0.1, 2.0])
    s = support(base, sens, margins)
    assert s[2] == pytest.approx(0.6)
    assert np.all(np.diff(s) > 0) and 0 < s[0] and s[-1] < 1
    slope = (support(base[:1], sens[:1], np.array([1e-4])) - 0.6) / 1e-4
    assert slope[0] == pytest.approx(1.0, rel=1e-3)
    assert support(np.array([0.55]), np.array([1.0]), np.array([0.5]))[0] < 0.95  # 0.55 + 0.5 clipped at 1 before


def test_a_legislature_with_a_threshold_near_one_can_still_be_won(mini):
    """The vote's noise moves support's logit, so no threshold below 1 leaves the win-set empty (the old cliff).

    With the noise added to the share and clipped at 1, an executive wanting one sd above a 0.97 threshold
    needed support of 1.02 and never signed, however much its legislature liked the text.
    """
    from negsim.model.ratification import NOISE_LOGIT, support

    leg = "actors.AAA.ratification={required: true, threshold: %g, support: 0.9, sensitivity: 1}"
    rows = run_many(compile_file(mini, QUIET + [leg % 0.97]), 100, 1)
    assert all(r["complete"] for r in rows) and sum(r["ratified"] for r in rows) >= 90
    # noise of any size keeps support inside (0, 1), and it moves a vote near one half by about 0.05
    z = np.array([-10.0, -NOISE_LOGIT, 0.0, NOISE_LOGIT, 10.0])
    s = support(np.full(5, 0.5), np.ones(5), np.zeros(5), z)
    assert 0 < s[0] < s[1] < s[2] < s[3] < s[4] < 1
    assert s[3] - 0.5 == pytest.approx(0.05, abs=0.001)
    # a threshold of 1 itself is never met: the executive of such a legislature signs nothing
    never = run_many(compile_file(mini, QUIET + [leg % 1.0]), 20, 1)
    assert not any(r["reached"] for r in never)


def test_parallel_talks_anticipate_a_legislature_with_lights_of_its_own(mini):
    """In parallel talks an executive refuses a bilateral text its legislature, distrusting the counterpart, would reject."""
    ov = QUIET + ["talks.sequencing=parallel", "talks.counterpart=RUS"]
    leg = "actors.AAA.ratification={required: true, threshold: 0.5, support: 0.5, sensitivity: 1, trust: {RUS: %g}}"
    trusting, _ = one(mini, ov + [leg % 0.4])
    wary, model = one(mini, ov + [leg % 0.0])
    assert wary["pacts_signed"] == trusting["pacts_signed"] - 1
    signed = " ".join(line for line in model.lines if " signs with " in line)
    assert signed and "AAA" not in signed  # AAA's executive never signs, rather than sign what its legislature rejects
    assert not any("AAA's legislature FAILS" in line for line in model.lines)


def test_a_holdout_in_parallel_talks_delays_its_pact_and_is_paid_by_the_other_side(mini):
    """A counterpart that holds out in a bilateral talk is bought off by its partner once the partner can pay; else it waits."""
    ov = QUIET[:-1] + ["talks.sequencing=parallel", "talks.counterpart=RUS"]
    calm, _ = one(mini, ov + ["actors.RUS.spoiler=0"])
    paid, model = one(mini, ov + ["actors.RUS.spoiler=0.5"])
    assert calm["holdout_actor"] == "" and calm["complete"]
    assert paid["complete"] and paid["holdout_actor"] == "RUS" and paid["holdout_bought_off"] is True
    assert paid["holdout_how"] == "side_payment" and paid["holdout_payer"] == "AAA" and paid["holdout_price"] > 0
    assert paid["rounds"] > calm["rounds"]  # AAA could not pay the round its pact would otherwise have closed
    assert any("RUS holds out in the RUS-AAA talks, demanding" in line and "AAA cannot pay it" in line for line in model.lines)
    assert any(
        "RUS holds out in the RUS-AAA talks for" in line and "AAA offers it as a side payment" in line for line in model.lines
    )
    # asking twice as much, RUS is never paid in that talk: it holds out to the last round and gives way
    greedy, _ = one(mini, ov + ["actors.RUS.spoiler=1"])
    assert greedy["complete"] and greedy["rounds"] == 10 and greedy["holdout_how"] == "gave_way"
    assert greedy["holdout_bought_off"] is False


def test_walk_outs_end_parallel_talks_and_say_so(mini):
    """docs/model.md limitation 5 (a, b): a walk-out that closes every open talk is how the talks ended."""
    ov = QUIET + ["talks.sequencing=parallel", "talks.counterpart=RUS", "talks.agenda=baby_steps"]
    # the counterpart walks out of the second package's talks after every partner agreed the first
    hurt = ["actors.CCC.positions={cap: 0, withdraw: 1, hotline: 1}", "actors.CCC.salience={cap: 1, withdraw: 1, hotline: 0.3}",
            "actors.CCC.capability=1", "actors.RUS.walkout={after: 1, hazard: 1}"]  # fmt: skip
    row, model = one(mini, ov + hurt)
    assert row["end_cause"] == "walkout" and row["walkout_actor"] == "RUS"
    assert row["veto_actor"] == "RUS" and row["veto_rule"] == "walkout" and row["veto_reason"] == "walkout"
    assert row["reached"] and not row["complete"] and row["pacts_signed"] == 3  # the first package's pacts stand
    walked = next(i for i, line in enumerate(model.lines) if "RUS walks out of every open bilateral talk" in line)
    assert not any(line.startswith(("Round", "Package")) for line in model.lines[walked + 1 :])
    # every partner walks out: no pair is left, and the talks ended by walk-out, not in a deadlock
    leave = [f"actors.{c}.{k}" for c in ("AAA", "BBB", "CCC") for k in ("walkout={after: 1, hazard: 1}", "reservation=0.5")]
    row2, _ = one(mini, ov + leave)
    assert row2["end_cause"] == "walkout" and row2["walkout_actor"] == "AAA" and not row2["reached"]
    assert row2["veto_rule"] == "walkout" and row2["veto_reason"] == "walkout"


def test_a_cascade_from_a_front_with_no_issue_in_play_never_fires(mini):
    """docs/model.md limitation 12: all() of no issues was true, so such a cascade fired after the first package."""
    ov = QUIET + ["talks.cascade={from: arctic_baltic, trust_gain: 0.1, softening: 0.05}", "issues.hotline.front=central"]
    row, model = one(mini, ov)
    assert row["reached"] and not any("spreads" in line for line in model.lines)
    _, model2 = one(mini, QUIET + ["talks.cascade={from: central, trust_gain: 0.1, softening: 0.05}"])
    assert any("Success on the central front spreads" in line for line in model2.lines)  # a real source front still does


def test_members_of_a_pact_that_broke_by_withdrawal_stop_acting_in_it_that_period(mini, monkeypatch):
    """docs/model.md limitation 12: co-membership was not refreshed after a withdrawal, so subversion still hit the broken pact."""
    from negsim.model import compliance

    ov = QUIET[:2] + ["actors.CCC.spoiler=1", "actors.RUS.spoiler=0", "talks.sequencing=parallel", "talks.counterpart=RUS",
                      "events=[{at: 1, set: {actors.AAA.reservation: 1.0}}]"]  # fmt: skip
    seen = []
    spy = compliance._subversion

    def record(m, t, comembers, alive, res):
        seen.append((t, comembers.copy()))
        return spy(m, t, comembers, alive, res)

    monkeypatch.setattr(compliance, "_subversion", record)
    comp = compile_file(mini, ov)
    _, model = run_replicate(comp, 1, 0, trace=True)
    assert any(line.startswith("Period 1: AAA withdraws") for line in model.lines)
    a, r, c = comp.idx["AAA"], comp.idx["RUS"], comp.idx["CCC"]
    t, comembers = seen[0]
    assert t == 1 and not comembers[a, r] and comembers[c, r]  # CCC's pact with Russia is still live and subverted


def test_a_separate_pact_costs_its_partner_cohesion_at_ratification_and_in_compliance_too(mini):
    """docs/model.md limitation 17: the cost of breaking ranks was paid at the table only, so a separate pact looked
    better to its partner (and to its legislature) once signed than when it was negotiated."""
    from types import SimpleNamespace

    from negsim.model.model import NegotiationModel
    from negsim.model.ratification import _legislature_margins, pact_margins
    from negsim.montecarlo.runner import replicate_rng

    def margins(ov):
        comp = compile_file(mini, QUIET + ov + ["actors.AAA.cohesion=0.3", "actors.BBB.cohesion=0.1"])
        m = NegotiationModel(comp, replicate_rng(1, 0))
        partners = [comp.idx[c] for c in ("AAA", "BBB", "CCC")]
        pairs = np.zeros((3, comp.n), bool)
        pairs[np.arange(3), partners] = True
        pairs[:, comp.idx["RUS"]] = True
        x, agreed = np.ones((3, comp.k)), np.ones((3, comp.k), bool)
        talks = SimpleNamespace(x=x, agreed=agreed, transfers=np.zeros((3, comp.n)), delay=np.zeros(comp.n))
        got = pact_margins(m, x, pairs, agreed, talks.transfers), _legislature_margins(m, talks, pairs)
        m.world.cohesion[:] = 0.0
        free = pact_margins(m, x, pairs, agreed, talks.transfers), _legislature_margins(m, talks, pairs)
        return comp, got, free

    comp, got, free = margins(["talks.sequencing=parallel", "talks.counterpart=RUS"])
    a, b, r = comp.idx["AAA"], comp.idx["BBB"], comp.idx["RUS"]
    assert free[0][0, a] - got[0][0, a] == pytest.approx(0.3) and free[0][1, b] - got[0][1, b] == pytest.approx(0.1)
    assert free[0][0, r] == pytest.approx(got[0][0, r])  # the counterpart breaks no alliance's ranks
    # its legislature's gain is the same; its relative margin over the (higher) no-deal value falls by the cost
    (rel, gain, unit), (rel0, gain0, _) = got[1], free[1]
    assert np.allclose(gain, gain0) and rel0[a] - rel[a] == pytest.approx(0.3 / unit[a]) and rel0[r] == pytest.approx(rel[r])
    # in NATO's own talks nobody breaks ranks: no cost
    comp2, got2, free2 = margins([])
    assert np.allclose(got2[0][~np.isnan(got2[0])], free2[0][~np.isnan(free2[0])])


def test_in_parallel_talks_a_payer_keeps_its_pact_inside_its_legislatures_win_set(mini):
    """AAA buys RUS off in their pair only while the payment leaves AAA's legislature (support 0.4 before the merits,
    a simple majority) a text it expects to pass: before, AAA paid all its surplus, signed expecting 40% of the vote and
    its legislature rejected the pact; now RUS's demand stands until it gives way, and AAA's legislature ratifies."""
    ov = QUIET[:-1] + ["actors.RUS.spoiler=0.5", "talks.sequencing=parallel", "talks.counterpart=RUS"]
    rat = "actors.AAA.ratification={required: true, threshold: 0.5, support: %g, sensitivity: 1}"
    row, model = one(mini, ov + [rat % 0.4])
    assert not any("AAA offers it as a side payment" in line for line in model.lines)
    votes = [line for line in model.lines if "AAA's legislature" in line and "its executive expected" in line]
    assert votes and "ratifies" in votes[-1] and float(votes[-1].split("its executive expected ")[1].split("%")[0]) >= 50
    rich, model = one(mini, ov + [rat % 0.6])  # support to spare: AAA pays as before
    assert any("AAA offers it as a side payment" in line for line in model.lines)


def test_a_legislature_s_side_payment_in_parallel_talks_is_paid_within_its_own_pact(monkeypatch):
    """Found in review: Russia paid Germany's legislature out of its pact with France (the payer's first pact)."""
    from negsim.model import ratification

    seen = []
    hold = ratification._hold_signed_text

    def spy(m, talks, res, margins):
        hold(m, talks, res, margins)
        seen.append((res.pairs.copy(), talks.transfers.copy()))

    monkeypatch.setattr(ratification, "_hold_signed_text", spy)
    comp = compile_file(ROOT / "scenarios" / "parallel_pacts.yaml", ["actors.DEU.spoiler=0.9", "actors.FRA.spoiler=0.9"])
    _, model = run_replicate(comp, 1, 2, trace=True)
    assert any("DEU's legislature holds the signed text" in line and "RUS pays it" in line for line in model.lines)
    pairs, transfers = seen[0]
    assert (transfers != 0).any()
    assert np.allclose(transfers.sum(1), 0.0)  # what each pact's holdout got, a co-signatory of that pact gave
    assert not (transfers[~pairs] != 0).any()  # and nobody outside it


def test_a_counterpart_with_no_talk_open_does_not_walk_out(monkeypatch):
    """Found in review: the walk-out test counted pairs that had signed, so Russia 'walked out' of no open talk (a crash)."""
    comp = compile_file(
        ROOT / "scenarios" / "parallel_pacts.yaml",
        ["actors.RUS.walkout.after=1", "actors.RUS.walkout.hazard=0.3", "actors.RUS.reservation=0.85", "talks.delay_cost=0.05"],
    )
    row = run_replicate(comp, 1, 1)
    assert row["end_cause"] == "agreement" and row["walkout_actor"] == "" and row["pacts_signed"] == 2
    rows = run_many(comp, 60, 1)  # none crashes; a walk-out always names who walked and from which talk
    assert all(r["walkout_actor"] for r in rows if r["end_cause"] == "walkout")


def test_baby_steps_are_reciprocal_steps_that_raise_trust(mini):
    comp = compile_file(mini, QUIET + ["talks.agenda=baby_steps", "talks.step_trust_gain=0.2"])
    _, model = run_replicate(comp, 1, 0, trace=True)
    pkg_lines = [line for line in model.lines if line.startswith("Package")]
    # the mutual hotline alone first (the easiest); then AAA's cap paired with RUS's withdrawal (GRIT: both sides move)
    assert pkg_lines == ["Package 1/2: hotline.", "Package 2/2: cap, withdraw."]


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


def test_categorical_on_one_issue_pins_only_that_issue(mini):
    from negsim.model import negotiation
    from negsim.model.model import NegotiationModel
    from negsim.montecarlo.runner import replicate_rng

    comp = compile_file(mini, QUIET + ["actors.RUS.concession={shape: linear, rate: 0.9, categorical_on: [withdraw]}"])
    m = NegotiationModel(comp, replicate_rng(1, 0))
    t = negotiation._table(m, np.arange(comp.k), 0.0)
    r, k = comp.idx["RUS"], comp.kidx["withdraw"]
    assert t.lower[r, k] == t.upper[r, k] == m.world.pos[r, k]  # no concession at all on withdraw
    assert np.isinf(t.upper[r, comp.kidx["cap"]]) and np.isinf(t.lower[r, comp.kidx["cap"]])


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
    talks = m.play(negotiate(m))
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


def test_the_model_steps_through_its_calendar(mini):
    """step() advances one round of the talks or one period; running turns False at the end, with the same row as run()."""
    from negsim.model.model import NegotiationModel
    from negsim.montecarlo.runner import replicate_rng

    ov = QUIET + ["actors.BBB.ratification={required: true, threshold: 0.5, support: 0.9, sensitivity: 0.2, delay: 3}"]
    comp = compile_file(mini, ov)
    m = NegotiationModel(comp, replicate_rng(1, 0))
    seen = []
    while m.running:
        m.step()
        seen.append((m.rounds, m.period))
    row = NegotiationModel(comp, replicate_rng(1, 0)).run()
    assert m.outcome == row
    talks = [s for s in seen if s[1] == 0]
    assert [r for r, _ in talks] == list(range(1, row["rounds"] + 1))  # one step per round of the talks
    periods = [p for _, p in seen if p > 0]
    assert periods == list(range(1, len(periods) + 1)) and len(periods) >= 1  # then one step per period
    assert len(seen) == row["rounds"] + len(periods)
    m.step()  # a finished model stays finished
    assert not m.running and m.outcome == row


def test_talks_and_periods_share_one_calendar_in_months(mini):
    """Rounds last talks.round_months and periods pact.period_months, counted from signature."""
    ov = QUIET + ["actors.BBB.ratification={required: true, threshold: 0.5, support: 0.9, sensitivity: 0.2, delay: 3}"]
    row, _ = one(mini, ov)
    assert row["in_force"]
    assert row["talks_months"] == row["rounds"] * 1.0
    assert row["entry_month"] == row["talks_months"] + row["entry_period"] * 12.0
    slow, _ = one(mini, ov + ["talks.round_months=3", "pact.period_months=6"])
    assert slow["rounds"] == row["rounds"] and slow["talks_months"] == 3.0 * row["rounds"]
    assert slow["entry_month"] == slow["talks_months"] + slow["entry_period"] * 6.0


# -- issue 16, items 1-2: each commitment at the trust in who owes it; verification deters, it does not deliver


def test_a_commitment_is_valued_at_the_trust_in_its_obligor_not_in_the_allies():
    """Poland's weight on Russia's pledge is its trust in Russia (and Belarus, the same side), never its trust in its allies."""
    from negsim.model.valuation import trust_weights

    comp = compile_file(ROOT / "scenarios" / "us_drawdown.yaml")
    world = comp.draw(np.random.default_rng(0))
    w = trust_weights(world.trust, comp.obligor, comp.mutual, comp.same_side, world.cap)
    pol, rus, blr, usa = (comp.idx[c] for c in ("POL", "RUS", "BLR", "USA"))
    other = [rus, blr]
    expect = (world.cap[other] * world.trust[pol, other]).sum() / world.cap[other].sum()
    for k in np.flatnonzero(comp.mutual):
        assert w[pol, k] == pytest.approx(expect)
        assert w[rus, k] < 1  # Russia's weight is its trust in NATO's members, the US above all
    assert comp.same_side[pol, usa] and comp.same_side[rus, blr] and not comp.same_side[pol, rus]
    cap = comp.issues.index("poland_force_cap")
    assert w[pol, cap] == 1.0  # its own commitment is certain to it
    assert w[rus, cap] == pytest.approx(world.trust[rus, pol])


def test_verification_deters_it_does_not_deliver():
    """Without a sanction verification leaves every weight at trust; with one, each obligor's pledge counts at
    t + (1 - t) * d_jk, d_jk = 1 - exp(-v * sanction / (temptation + c_jk(1))): per obligor, lower where delivering costs more."""
    from negsim.model.valuation import commitment_cost, delivery_weights, deterred_share, trust_weights

    path = ROOT / "scenarios" / "us_drawdown.yaml"
    rng = np.random.default_rng(1)
    base = compile_file(path, ["compliance.sanction=0", "pact.verification=0.2"])
    seen = compile_file(path, ["compliance.sanction=0", "pact.verification=0.9"])
    k = np.arange(base.k)
    wa, wb = delivery_weights(base.draw(rng), base, k), delivery_weights(seen.draw(rng), seen, k)
    assert np.array_equal(wa, wb)
    comp = compile_file(path, ["compliance.sanction=0.2", "compliance.temptation=0.1", "pact.verification=0.9"])
    world = comp.draw(rng)
    d = deterred_share(world, comp)
    cost = commitment_cost(world.pos.T, world.sal.T, 1.0)
    assert np.allclose(d, 1 - np.exp(-0.9 * 0.2 / (0.1 + cost)))
    assert d.shape == (comp.k, comp.n) and (np.diff(d[0][np.argsort(cost[0])]) <= 1e-12).all()  # costlier: deterred less
    w = delivery_weights(world, comp, k)
    plain = trust_weights(world.trust, comp.obligor, comp.mutual, comp.same_side, world.cap)
    owed = plain < 1
    assert (w[owed] > plain[owed]).all() and (w <= 1).all()
    pol, rus, cap = comp.idx["POL"], comp.idx["RUS"], comp.issues.index("poland_force_cap")
    assert w[rus, cap] == pytest.approx(world.trust[rus, pol] + (1 - world.trust[rus, pol]) * d[cap, pol])


def _chooser(mini, over=()):
    from negsim.model.model import NegotiationModel
    from negsim.montecarlo.runner import replicate_rng

    comp = compile_file(mini, ["pact.verification=0", "issues.withdraw.verification=0.8", "issues.hotline.overt=true", *over])
    return comp, NegotiationModel(comp, replicate_rng(1, 0))


def test_a_breach_goes_where_it_pays_and_an_overt_act_is_seen_by_all(mini):
    """Per-issue verification (item 2): a state breaks the commitment least likely to be seen; an overt act is seen always."""
    from negsim.model.defection import breach_choice
    from negsim.model.valuation import issue_verification

    comp, m = _chooser(mini)
    vis = issue_verification(m.world, comp)
    w, h, c = (comp.issues.index(i) for i in ("withdraw", "hotline", "cap"))
    assert vis[w] == pytest.approx(0.8) and vis[h] == 1.0 and vis[c] == 0.0
    owed = np.zeros((comp.k, comp.n), bool)
    rus, aaa = comp.idx["RUS"], comp.idx["AAA"]
    owed[[w, h], rus] = True
    owed[[c, h], aaa] = True
    level = owed * 1.0
    margin, zero = np.full(comp.n, 0.5), np.zeros(comp.n)
    chosen, mistaken, issue, q = breach_choice(m, owed, level, vis, margin, zero, 5, zero)
    assert issue[aaa] == c and issue[rus] == w  # the unseen cap; the withdrawal, seen less than the overt hotline
    assert q[aaa] == pytest.approx(m.world.scal["base_hazard"])  # unseen: every occasion pays
    assert 0 < q[rus] < q[aaa]
    assert chosen[rus] == pytest.approx(q[rus] * m.world.opportunism[rus]) and mistaken[rus] == m.world.scal["mistake"]
    none = ~owed.any(0)
    assert (chosen[none] == 0).all() and (mistaken[none] == 0).all()


def test_the_shadow_of_the_future_and_a_power_shift_move_the_breach_choice(mini):
    """A breach pays less the more the pact is worth to the obligor and the longer it has to run; more when power shifts."""
    from negsim.model.defection import breach_choice, shadow
    from negsim.model.valuation import issue_verification

    assert shadow(0.9, 0) == 0 and shadow(0.9, 1) == pytest.approx(0.9) and shadow(1.0, 5) == 5
    assert shadow(0.9, 3) == pytest.approx(0.9 + 0.81 + 0.729)
    comp, m = _chooser(mini)
    vis = issue_verification(m.world, comp)
    owed = np.zeros((comp.k, comp.n), bool)
    rus = comp.idx["RUS"]
    owed[comp.issues.index("withdraw"), rus] = True
    zero = np.zeros(comp.n)

    def q(margin=0.5, left=5, shift=0.0):
        return breach_choice(m, owed, owed * 1.0, vis, np.full(comp.n, margin), np.full(comp.n, shift), left, zero)[3][rus]

    assert q(margin=1.0) < q(margin=0.5) < q(margin=0.0)
    assert q(left=10) < q(left=2) < q(left=0)
    assert q(shift=0.5) > q()
    _, strict = _chooser(mini, ["pact.response=breakdown"])
    _, soft = _chooser(mini, ["pact.response=consultation"])
    qs = [breach_choice(x, owed, owed * 1.0, vis, np.full(comp.n, 0.5), zero, 5, zero)[3][rus] for x in (strict, m, soft)]
    assert qs[0] < qs[1] < qs[2]  # the harsher the response, the more a breach risks


def test_trust_follows_what_is_seen_by_bayes():
    """Kydd's update: a seen breach lowers trust, seen compliance raises it; nothing is learnt where nothing is seen."""
    from negsim.model.defection import bayes_trust

    trust = np.full((2, 3), 0.5)
    obs = np.array([[True, True, True], [False, False, False]])
    j = np.arange(3)
    bayes_trust(trust, obs, j, np.array([True, False, False]), np.array([0.2, 0.2, 0.2]), 0.01, np.array([0.8, 0.8, 0.0]))
    assert trust[0, 0] == pytest.approx(0.5 * 0.01 / (0.5 * 0.01 + 0.5 * 0.21))
    assert trust[0, 1] == pytest.approx(0.5 * (1 - 0.008) / (0.5 * (1 - 0.008) + 0.5 * (1 - 0.21 * 0.8)))
    assert trust[0, 1] > 0.5 and trust[0, 2] == pytest.approx(0.5)  # verification 0: compliance teaches nothing
    assert (trust[1] == 0.5).all()  # not an observer
    calm = np.full((1, 1), 0.5)
    bayes_trust(calm, np.ones((1, 1), bool), np.arange(1), np.array([False]), np.array([0.0]), 0.01, np.array([0.9]))
    assert calm[0, 0] == pytest.approx(0.5, abs=1e-12)  # an obligor that would not cheat anyway: its compliance tells little


def test_the_pacts_response_rule_decides_what_follows_a_seen_breach(mini):
    """consultation never ends the pact on a breach; breakdown ends it at the first seen, chosen breach; rows say so."""
    from collections import Counter

    from negsim.model.compliance import BREACH_FIELDS

    hot = QUIET + ["actors.RUS.opportunism=1", "actors.RUS.reservation=0.2", "pact.verification=0.9"]
    follow = {}
    for rule in ("consultation", "graduated", "breakdown"):
        rows = run_many(compile_file(mini, hot + [f"pact.response={rule}"]), 200, 3)
        assert all(k in rows[0] for k in (*BREACH_FIELDS, "breaches_chosen"))
        follow[rule] = Counter(r["breach_followed"] for r in rows if r["breach_chosen"] is True)
        causes = Counter(r["breakdown_cause"] for r in rows)
        if rule == "consultation":
            assert causes["major_violation"] == 0 and follow[rule]["consultation"] > 0, follow
    assert follow["breakdown"]["strike"] == 0 and follow["breakdown"]["breakdown"] > follow["graduated"]["breakdown"] > 0, follow
    assert follow["graduated"]["strike"] > 0


def _survival(a, b):
    from negsim.montecarlo.stats import paired_difference

    return paired_difference([r["survived"] for r in a], [r["survived"] for r in b])


def test_more_trust_in_the_other_side_raises_agreement_on_common_random_numbers(tmp_path):
    """Comparative statics (issue 16, item 7): trust between the sides raises P(agreement) in parallel_pacts, paired.

    Each commitment is worth the trust in who owes it, so France's and Germany's pacts with Russia
    are worth more when each side trusts the other (22.5% -> 100% at 200 replicates, seed 0).
    """
    from negsim.api import run

    def p(t):
        over = [f"actors.*.trust.RUS={t}", f"actors.RUS.trust.default={t}"]
        r = run(ROOT / "scenarios" / "parallel_pacts.yaml", runs=60, seed=0, write=False, overrides=over)
        return r.summary["probabilities"]["complete"]

    low, high = p(0.3), p(0.6)
    assert high["lo"] > low["hi"], (low, high)


def _paired(path, a_over, b_over, runs=300, seed=0):
    """Rows of A and of B on the same replicate seeds (common random numbers)."""
    return run_many(compile_file(path, a_over), runs, seed), run_many(compile_file(path, b_over), runs, seed)


def test_more_verification_after_entry_into_force_makes_the_pact_last():
    """Comparative statics (issue 16, item 7): verification raised in period 1 deters breaches, so the pact lasts, paired.

    With every state at opportunism 0.6 (a stress setting, so that breaches are common enough to
    measure in 300 replicates; at the scenario's own traits breakdowns are rare and the same
    direction shows at +1.5 pp [-0.3, +3.3] over 400): chosen breaches 581 -> 299,
    P(survives) +10.7 pp [+5.7, +15.6], seed 0.
    """
    path = ROOT / "scenarios" / "new_start_linkage.yaml"
    stress = ["actors.*.opportunism=0.6"]
    later = "events=[{at: 1, set: {pact.verification: 0.95}, label: verification raised}]"
    a, b = _paired(path, stress, [*stress, later])
    d = _survival(a, b)
    assert d["lo"] > 0, d
    in_force = [i for i in range(len(a)) if a[i]["in_force"] and b[i]["in_force"]]
    assert sum(b[i]["survived"] for i in in_force) > sum(a[i]["survived"] for i in in_force)  # P(survives | in force)
    assert sum(r["breaches_chosen"] for r in b) < 0.7 * sum(r["breaches_chosen"] for r in a)  # deterred


def test_a_more_opportunistic_obligor_shortens_the_pact_and_breaks_it_most(mini):
    """Comparative statics (issue 16, item 7): Russia at opportunism 0.9 breaks the pact more and is its top breaker, paired.

    Where breaking pays: Russia's stake here is slim (reservation 0.2). Where the pact is worth much
    to it (new_start_linkage, margin near 1) the shadow of the future keeps even an opportunist in
    (-0.5 pp [-1.3, +0.3] at 400): the choice, not a hazard, decides. Here -2.2 pp [-3.5, -0.9], seed 0.
    """
    from collections import Counter

    slim = ["actors.RUS.reservation=0.2"]
    a, b = _paired(mini, slim, [*slim, "actors.RUS.opportunism=0.9"], runs=500)
    assert _survival(a, b)["hi"] < 0  # -4.4 pp [-6.2, -2.6]
    # who breaks it: the first chosen breach of each run (RUS 8 -> 67); the pacts it ends count the withdrawals of
    # the states whose trust in Russia its breaches collapse (AAA), so breakdowns are counted for Russia's seen breaches
    breakers = Counter(r["breach_actor"] for r in b if r["breach_chosen"] is True)
    assert breakers.most_common(1)[0][0] == "RUS", breakers
    assert breakers["RUS"] > 2 * Counter(r["breach_actor"] for r in a if r["breach_chosen"] is True)["RUS"]
    ended = [Counter(r["breakdown_actor"] for r in x if r["in_force"] and not r["survived"])["RUS"] for x in (a, b)]
    assert ended[1] > 2 * ended[0], ended


def test_a_us_withdrawal_during_compliance_tempts_the_obligor_of_the_states_it_leaves(mini):
    """Comparative statics (issue 16, item 7): the US leaving AAA's region in period 3 raises Russia's gain from breaking
    its pledge to AAA (the commitment problem), so Russia breaks it more and the pact lasts less, paired.

    AAA's drawdown softening is set to 0 to isolate that channel: with it (mini's default, 1) the same withdrawal
    also lowers AAA's no-deal value, so the pact is worth more to AAA, which breaks and leaves it less (002's
    softening), and the two channels cancel in mini's survival (+0.1 pp [-0.7, +0.8] at 1,500 runs).
    """
    from collections import Counter

    ev = "events=[{at: 3, set: {us_presence.CEE: 0.0}, label: US withdrawal}]"
    hard = ["actors.AAA.drawdown_softening=0"]
    a, b = _paired(mini, hard, [*hard, ev], runs=500)
    assert _survival(a, b)["hi"] < 0  # -5.0 pp [-6.9, -3.1]; Russia's chosen breaches 6 -> 28, breakdowns 3 -> 8
    chosen = [Counter(r["breach_actor"] for r in x if r["breach_chosen"] is True)["RUS"] for x in (a, b)]
    assert chosen[1] > 2 * chosen[0], chosen
    broke = [Counter(r["breakdown_actor"] for r in x if r["in_force"] and not r["survived"])["RUS"] for x in (a, b)]
    assert broke[1] > broke[0], broke


def test_longer_rounds_cost_more_delay_and_close_the_deal_sooner(mini):
    """The calendar is read by the delay cost: each month of talks lowers the no-deal values, so rounds of
    a year close the same talks in fewer rounds than rounds of a month (which end without a deal here)."""
    ov = QUIET + ["actors.RUS.reservation=0.3", "actors.AAA.reservation=0.3", "talks.max_rounds=8", "talks.anticipate=false"]
    rounds = {}
    for months in (1, 3, 12):
        row, _ = one(mini, ov + [f"talks.round_months={months}"])
        rounds[months] = (row["reached"], row["rounds"])
    assert rounds[1] == (False, 8) and rounds[12][0], rounds
    assert not rounds[3][0] or rounds[12][1] < rounds[3][1], rounds  # monthly: none; quarterly: later or none; yearly: a deal


def test_a_shift_in_support_moves_the_executives_reading_by_what_the_support_moved(mini):
    """An election that shifts a legislature's support is public: its executive's reading moves as far as the support did.

    Here the shift of +0.3 takes a support drawn on [0.9, 1.0] to 1 (clipped), so the reading (the mean, 0.95, at
    foresight 0) moves by what the support moved, not by the nominal 0.3.
    """
    from negsim.montecarlo.runner import replicate_rng

    ov = QUIET + [
        "actors.BBB.ratification={required: true, threshold: 0.5, support: {uniform: [0.9, 1.0]}, foresight: 0}",
        "events=[{at: 0, shift: {actors.BBB.ratification.support: 0.3}, label: landslide}]",
    ]
    comp = compile_file(mini, ov)
    b = comp.idx["BBB"]
    drawn = comp.draw(replicate_rng(1, 0)).rat_support[b]
    assert drawn > 0.95  # so that the nominal shift would take the reading to 1, and what the support moved does not
    _, model = one(mini, ov, seed=1, i=0)
    assert model.world.rat_support[b] == pytest.approx(1.0)
    assert model.world.rat_seen[b] == pytest.approx(0.95 + (1.0 - drawn))


KYOTO = ROOT / "scenarios" / "history" / "kyoto_protocol_us.yaml"


def test_a_weighted_entry_rule_puts_the_pact_in_force_without_a_state_it_does_not_need():
    """Kyoto's Art. 25: the others hold 63.9% of Annex I's 1990 CO2 without the US, 55% needed. The US executive's
    ratification is not needed, so it signs what serves it and its Senate (Byrd-Hagel) rejects; the pact enters into
    force among the others. At 70% needed the US is pivotal: its executive anticipates the Senate and refuses at the table."""
    row, model = one(KYOTO)
    assert row["complete"] and not row["ratified"] and row["ratification_failed_actor"] == "USA" and row["in_force"]
    assert any("enters into force (entry rule weighted)" in line for line in model.lines)
    assert any(
        "USA's legislature FAILS" in line and "the pact not needing it to enter into force" in line for line in model.lines
    )
    pivotal, _ = one(KYOTO, ["pact.entry_into_force.share=0.7"])
    assert not pivotal["reached"] and pivotal["veto_actor"] == "USA" and pivotal["veto_reason"] == "outside_win_set"


def test_a_weighted_entry_rule_fails_when_the_ratifiers_hold_too_little():
    """With Russia's and the other Annex I parties' weights on the US's side of the count, 55% cannot be met without
    the US: the US is pivotal again and refuses; with no legislature anywhere, every state ratifies and it enters."""
    heavy = ["pact.entry_into_force.weights={USA: 36.1, EUR: 24.2, RUS: 1, JPN: 8.5, ANX: 1}"]
    row, _ = one(KYOTO, heavy)
    assert not row["reached"] and row["veto_actor"] == "USA"
    free, model = one(KYOTO, heavy + ["actors.USA.ratification.required=false"])
    assert free["complete"] and free["ratified"] and free["in_force"]
    # at 90% the states sure to be bound (no vote to pass) cannot meet the rule without any one with a weight;
    # China and India weigh nothing and the count is met without them
    comp = compile_file(KYOTO, ["pact.entry_into_force.share=0.9"])
    assert [c for c in comp.codes if comp.entry_pivotal[comp.idx[c]]] == ["USA", "EUR", "JPN", "RUS", "ANX"]


def test_under_a_weighted_rule_a_pact_does_not_wait_for_a_vote_it_does_not_need_and_a_late_ratifier_joins():
    """The others meet Art. 25 at signature: the pact enters into force then, not when the US Senate votes (years
    later); a Senate that does ratify binds the US from its vote on."""
    slow, _ = one(KYOTO, ["actors.USA.ratification.delay=40"])
    assert slow["in_force"] and int(slow["entry_period"]) == 0 and not slow["ratified"]
    willing = [
        "actors.USA.ratification.positions={annex1_cuts: 1.0, developing_commitments: 0.0}",
        "actors.USA.ratification.delay=5",
    ]
    row, model = one(KYOTO, willing)
    assert row["in_force"] and int(row["entry_period"]) == 0 and row["ratified"]
    assert any("USA ratifies after the pact entered into force; it is bound from now on" in line for line in model.lines)


def test_a_signatory_that_refused_delivers_nothing_to_the_pact_in_force_without_it():
    """Kyoto in force without the US: the cuts the US owed are delivered by nobody, so each member's value of the
    Annex I cuts loses the US's share of those who owe them to it (a quarter for the EC, owed them by four obligors of
    equal capability; a fifth for China, owed them by all five), where the pact used to count them at trust."""
    from negsim.model.ratification import pact_margins

    row, model = one(KYOTO)
    assert row["in_force"] and not row["ratified"] and row["ratification_failed_actor"] == "USA"
    comp = model.comp
    x, agreed = np.ones((1, comp.k)), np.ones((1, comp.k), bool)
    members = np.ones((1, comp.n), bool)
    members[0, comp.idx["USA"]] = False
    refused = ~members
    counted = pact_margins(model, x, members, agreed)
    assert np.array_equal(counted, pact_margins(model, x, members, agreed, refused=np.zeros_like(refused)), equal_nan=True)
    without = pact_margins(model, x, members, agreed, refused=refused)
    loss = (counted - without)[0]
    eur, chn, jpn = (comp.idx[c] for c in ("EUR", "CHN", "JPN"))
    assert loss[eur] > 0 and loss[chn] > 0
    assert loss[eur] / loss[chn] == pytest.approx(5 / 4)
    assert loss[jpn] == pytest.approx(loss[eur])


def test_under_a_weighted_rule_a_state_is_pivotal_when_the_others_it_can_count_on_fall_short():
    """Only signatories with no vote to pass count as sure: with Russia's legislature to pass too, neither the US nor
    Russia can count on the other, the sure ones (EC, Japan, the others: 46.5%) fall short of 55%, so both anticipate."""
    comp = compile_file(KYOTO, ["actors.RUS.ratification.required=true"])
    assert comp.entry_pivotal[comp.idx["USA"]] and comp.entry_pivotal[comp.idx["RUS"]]
    assert not compile_file(KYOTO).entry_pivotal[comp.idx["USA"]]

"""Face validity against what the sources say and what happened."""

import collections

from conftest import SCENARIOS, compile_file

from negsim.montecarlo.runner import run_many


def test_draft_treaty_2021_is_rejected_mostly_by_consensus_veto():
    # NATO rejected Russia's December 2021 draft in January 2022 (003, 004): "dead on arrival"
    rows = run_many(compile_file(SCENARIOS / "draft_treaty_2021.yaml"), 300, 2022, jobs=2)
    rejected = [r for r in rows if not r["reached"]]
    assert len(rejected) >= 0.9 * len(rows)
    rules = collections.Counter(r["veto_rule"] for r in rejected)
    assert rules["consensus"] > 0.5 * len(rejected), rules
    # the structural articles are what kills it (003: rollback, open door, border strip)
    issues = collections.Counter(r["veto_issue"] for r in rejected if r["veto_rule"] == "consensus")
    hard = issues["posture_rollback_1997"] + issues["open_door_ukraine"] + issues["border_strip_activity"]
    assert hard > 0.8 * sum(issues.values()), issues


def test_deeper_drawdown_raises_european_acceptance_but_not_the_uks():
    from negsim.model.model import NegotiationModel
    from negsim.model.valuation import thresholds
    from negsim.montecarlo.runner import replicate_rng

    comp = compile_file(SCENARIOS / "polish_belarusian_limits.yaml")
    europeans = [c for c in comp.codes if c not in ("USA", "CAN", "GBR", "RUS", "BLR", "UKR", "TUR")]
    lower, same = 0, 0
    for i in range(20):
        m = NegotiationModel(comp, replicate_rng(5, i))
        before = thresholds(m.world, comp.region)
        m.world.us_presence[:] = 0.2
        after = thresholds(m.world, comp.region)
        lower += sum(after[comp.idx[c]] < before[comp.idx[c]] for c in europeans)
        same += after[comp.idx["GBR"]] == before[comp.idx["GBR"]]
    assert lower >= 0.8 * 20 * len(europeans)
    assert same == 20


def test_drawdown_raises_agreement_in_the_polish_belarusian_scenario():
    path = SCENARIOS / "polish_belarusian_limits.yaml"
    full = run_many(compile_file(path, ["events=[]", "us_presence.CEE=1.0", "us_presence.nordic_baltic=1.0"]), 300, 8, jobs=2)
    deep = run_many(compile_file(path, ["events=[]", "us_presence.CEE=0.2", "us_presence.nordic_baltic=0.2"]), 300, 8, jobs=2)
    p_full = sum(r["reached"] for r in full) / 300
    p_deep = sum(r["reached"] for r in deep) / 300
    assert p_deep >= p_full, (p_full, p_deep)


def test_more_trust_between_the_sides_never_lowers_survival_in_the_headline_scenario():
    path = SCENARIOS / "polish_belarusian_limits.yaml"
    levels = (0.1, 0.4, 0.7)
    surv = []
    for t in levels:
        ov = [f"actors.*.trust.RUS={t}", f"actors.*.trust.BLR={t}", f"actors.RUS.trust.*={t}", f"actors.BLR.trust.*={t}"]
        rows = run_many(compile_file(path, ov), 400, 5, jobs=2)
        surv.append(sum(r["survived"] for r in rows) / 400)
    for lo, hi in zip(surv, surv[1:], strict=False):
        se = (max(lo * (1 - lo), hi * (1 - hi), 0.01) / 400) ** 0.5
        assert hi >= lo - 2 * se, surv

"""Decision rules on hand-made votes: each rule's defining case and its failure case."""

import numpy as np
import pytest

from negsim.model import rules
from negsim.scenario.compile import Decider


class W:
    def __init__(self, pop, cap):
        self.pop = np.array(pop, float)
        self.cap = np.array(cap, float)


def body(rule, n, **kw):
    return Decider("B", np.arange(n), rule, **kw)


def votes(codes):
    """'a' accept, 'o' object, 'i' indifferent."""
    accept = np.array([c == "a" for c in codes])
    object_ = np.array([c == "o" for c in codes])
    return accept, object_


W4 = W([10, 10, 10, 10], [0.25, 0.25, 0.25, 0.25])


def test_consensus_one_objection_kills_the_deal():
    a, o = votes("aaao")
    assert not rules.decide(body("consensus", 4), a, o, W4)
    a, o = votes("aaaa")
    assert rules.decide(body("consensus", 4), a, o, W4)


def test_silence_procedure_lets_an_indifferent_member_pass():
    a, o = votes("aaai")
    assert rules.decide(body("consensus", 4, silence=True), a, o, W4)
    # without silence procedure, and under unanimity, indifference blocks
    assert not rules.decide(body("consensus", 4, silence=False), a, o, W4)
    assert not rules.decide(body("unanimity", 4), a, o, W4)


def test_qmv_needs_both_thresholds():
    # 3 of 4 states (75% >= 55%) but they hold 30/130 of the population
    w = W([10, 10, 10, 100], [0.25] * 4)
    a, o = votes("aaao")
    assert not rules.decide(body("qmv", 4), a, o, w)
    # 1 of 4 states holding 100/130 (77% of the population) fails the states threshold
    a, o = votes("oooa")
    assert not rules.decide(body("qmv", 4), a, o, w)
    # 3 of 4 including the big one passes both
    a, o = votes("aaoa")
    assert rules.decide(body("qmv", 4), a, o, w)


def test_majority_and_capability():
    a, o = votes("aaoo")
    assert not rules.decide(body("majority", 4), a, o, W4)
    a, o = votes("aaao")
    assert rules.decide(body("majority", 4), a, o, W4)
    w = W([1] * 4, [0.8, 0.1, 0.05, 0.05])
    a, o = votes("aooo")
    assert rules.decide(body("capability", 4, threshold=0.5), a, o, w)
    a, o = votes("oaaa")
    assert not rules.decide(body("capability", 4, threshold=0.5), a, o, w)


def test_bilateral_passes_if_any_member_signs():
    a, o = votes("oooa")
    assert rules.decide(body("bilateral", 4), a, o, W4)
    a, o = votes("oooo")
    assert not rules.decide(body("bilateral", 4), a, o, W4)


@pytest.mark.parametrize("rule", sorted(set(rules.RULES) - {"self"}))
def test_blockers_are_members_who_did_not_accept(rule):
    a, o = votes("aoia")
    blk = rules.blockers(body(rule, 4), a, o)
    assert set(blk.tolist()) <= {1, 2}
    assert 1 in blk.tolist()

"""Decision rules: how a party (one state, or a body of states) says yes to a package.

Each rule is a small function ``rule(d, accept, object_, world) -> bool`` over boolean vote
arrays for all actors; ``d`` is the :class:`~negsim.scenario.compile.Decider` (members, thresholds).
Votes: *accept* (the package beats the member's no-deal value), *object* (it does not, or it
crosses a red line), otherwise *indifferent* (the member barely cares either way).
"""

from __future__ import annotations

import numpy as np


def single(d, accept, object_, world) -> bool:
    """A state decides for itself: it must accept."""
    return bool(accept[d.members[0]])


def consensus(d, accept, object_, world) -> bool:
    """Consensus (NATO, 004): one objecting member negates the deal.

    With the silence procedure, indifferent members do not object and the deal passes;
    without it, consensus needs every member's positive agreement (as unanimity).
    """
    m = d.members
    if d.silence:
        return not object_[m].any()
    return bool(accept[m].all())


def unanimity(d, accept, object_, world) -> bool:
    """Unanimity: every member must positively agree (indifference blocks)."""
    return bool(accept[d.members].all())


def qmv(d, accept, object_, world) -> bool:
    """EU qualified majority: >= ``states`` of member states holding >= ``population`` of the population.

    Members with no population between them count one each (as the Nash search weighs a body with no capability).
    """
    m = d.members
    a = accept[m]
    pop = world.pop[m]
    total = pop.sum()
    share = pop[a].sum() / total if total > 0 else a.mean()
    return bool(a.mean() >= d.param(world, "states") and share >= d.param(world, "population"))


def majority(d, accept, object_, world) -> bool:
    """Simple majority of member states."""
    return bool(accept[d.members].mean() > 0.5)


def capability(d, accept, object_, world) -> bool:
    """Capability-weighted threshold: accepting members hold >= ``threshold`` of the body's capability.

    Members with no capability between them count one each (as the Nash search weighs them).
    """
    m = d.members
    a = accept[m]
    cap = world.cap[m]
    total = cap.sum()
    share = cap[a].sum() / total if total > 0 else a.mean()
    return bool(share >= d.param(world, "threshold"))


def bilateral(d, accept, object_, world) -> bool:
    """Bilateral/parallel (000): members sign for themselves; passes if any member accepts."""
    return bool(accept[d.members].any())


RULES = {
    "self": single,
    "consensus": consensus,
    "unanimity": unanimity,
    "qmv": qmv,
    "majority": majority,
    "capability": capability,
    "bilateral": bilateral,
}


def decide(d, accept: np.ndarray, object_: np.ndarray, world) -> bool:
    """Apply the decider's rule."""
    return RULES[d.rule](d, accept, object_, world)


def blockers(d, accept: np.ndarray, object_: np.ndarray) -> np.ndarray:
    """The members whose votes made the decider say no (objectors, or non-acceptors if none)."""
    m = d.members
    if d.rule == "self":
        return m
    out = m[object_[m]]
    return out if len(out) else m[~accept[m]]

"""Events: timed or random changes to the world, and incidents between two states.

An event either fires at a given period (``at``; 0 = before the talks) or with a hazard per
period. ``set`` and ``shift`` change any settable parameter (see :mod:`negsim.scenario.targets`);
an ``incident`` lowers trust both ways between two states and may end the pact.
"""

from __future__ import annotations

import numpy as np

#: value ranges the model keeps each array in when an event moves it
RANGES = {"reserve": (-1.0, 1.0), "softening": (-1.0, 2.0), "rat_sens": (0.0, 10.0)}


def apply_actions(m, ev) -> list[str]:
    """Apply an event's set/shift actions to ``m.world``; returns trace phrases."""
    comp, world = m.comp, m.world
    said = []
    for op, target, vi in ev.actions:
        attr, index = comp.index_of(target)
        if not attr:
            continue
        value = float(world.ev_value[vi])
        lo, hi = RANGES.get(attr, (0.0, 1.0))
        if attr == "scal":
            key = index[0]
            world.scal[key] = float(np.clip(value if op == "set" else world.scal[key] + value, lo, hi))
            said.append(f"{key} -> {world.scal[key]:.2f}")
            continue
        arr = getattr(world, attr)
        new = value if op == "set" else arr[index] + value
        old = np.array(arr[index], dtype=float)
        arr[index] = np.clip(new, lo, hi)
        if attr == "rat_support":  # an election is public: the executive reads its new legislature as it is
            moved = arr[index] - old  # what the support really moved, after clipping
            world.rat_seen[index] = arr[index] if op == "set" else np.clip(world.rat_seen[index] + moved, lo, hi)
            if op == "set":
                world.rat_doubt[index] = 0.0
        if attr == "trust":
            np.fill_diagonal(arr, 1.0)
        name = f"{target.array}{'.' + target.actor if target.actor else ''}{'.' + target.key if target.key else ''}"
        said.append(f"{name} = {value:.2f}" if op == "set" else f"{name} {value:+.2f}")
    return said


def fire_timed(m, period: int) -> list:
    """Fire the events scheduled at ``period``; returns the incidents among them."""
    incidents = []
    for ev in m.comp.events:
        if ev.at == period:
            incidents += _fire(m, ev, period)
    return incidents


def fire_round(m, rnd: int) -> bool:
    """Fire the events scheduled at negotiation round ``rnd``; True if any fired."""
    fired = False
    for ev in m.comp.events:
        if ev.round == rnd:
            fired = True
            for e, sev in _fire(m, ev, 0, f"Round {rnd}"):
                incident_trust(m, e, sev, f"Round {rnd}")
    return fired


def incident_trust(m, ev, sev: float, when: str = "Before the talks") -> float:
    """An incident's effect on trust: both sides lose ``incident_drop x severity`` of it."""
    a, b = ev.incident
    drop = m.world.scal["incident_drop"] * sev
    m.world.trust[a, b] *= 1 - drop
    m.world.trust[b, a] *= 1 - drop
    m.say(
        f"{when}: incident between {m.comp.codes[a]} and {m.comp.codes[b]} (severity {sev:.2f}); trust falls {drop:.0%} both ways."
    )
    return drop


def fire_hazards(m, period: int) -> list:
    """Draw each hazard event once for this period; returns the incidents that struck."""
    hz = [ev for ev in m.comp.events if ev.hazard_driven and (ev.repeat or ev.index not in m.fired)]
    if not hz:
        return []
    draws = m.rng.random(len(hz))
    incidents = []
    for ev, u in zip(hz, draws, strict=True):
        if u < m.world.ev_hazard[ev.index]:
            incidents += _fire(m, ev, period)
    return incidents


def _fire(m, ev, period: int, when: str = "") -> list:
    m.fired.add(ev.index)
    said = apply_actions(m, ev)
    m.log_event(period, ev.label)
    if said:
        m.say(f"{when or m.when(period)}: event '{ev.label}': {'; '.join(said)}.")
    if ev.incident is not None:
        return [(ev, float(m.world.ev_severity[ev.index]))]
    return []

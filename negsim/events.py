"""Events: timed or random changes to the world, and incidents between two states.

An event either fires at a given period (``at``; 0 = before the talks) or with a hazard per
period. ``set`` and ``shift`` change any settable parameter (see :mod:`negsim.targets`);
an ``incident`` lowers trust both ways between two states and may end the pact.
"""

from __future__ import annotations

import numpy as np

#: value ranges the model keeps each array in when an event moves it
RANGES = {"reserve": (-1.0, 1.0), "softening": (-1.0, 2.0)}


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
        arr[index] = np.clip(new, lo, hi)
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


def fire_hazards(m, period: int) -> list:
    """Draw each hazard event once for this period; returns the incidents that struck."""
    hz = [ev for ev in m.comp.events if ev.at is None and (ev.repeat or ev.index not in m.fired)]
    if not hz:
        return []
    draws = m.rng.random(len(hz))
    incidents = []
    for ev, u in zip(hz, draws, strict=True):
        if u < m.world.ev_hazard[ev.index]:
            incidents += _fire(m, ev, period)
    return incidents


def _fire(m, ev, period: int) -> list:
    m.fired.add(ev.index)
    said = apply_actions(m, ev)
    m.log_event(period, ev.label)
    if said:
        m.say(f"Period {period}: event '{ev.label}': {'; '.join(said)}.")
    if ev.incident is not None:
        return [(ev, float(m.world.ev_severity[ev.index]))]
    return []

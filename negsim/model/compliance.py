"""Compliance periods: defection, verification, spoilers, incidents, trust, breakdown.

Each period (after a pact's entry into force) every member either complies or defects.
Its defection hazard grows with its opportunism and its distrust of the others (the security
dilemma) and falls with its gain from the pact; a defection is detected with the pact's
verification probability. Detected violations cut the others' trust in the violator and are
major (ending the pact) with some chance; observed compliance builds trust. A member withdraws
when its trust in the others or its gain from the pact falls too low ("a pact applies until it
doesn't": 000). Spoilers subvert the pact (002); incidents strike between states (events).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from negsim.model.events import fire_hazards, fire_timed, incident_trust
from negsim.model.ratification import pact_margins, vote
from negsim.model.valuation import issue_verification


@dataclass
class Breakdown:
    """When and why a pact ended."""

    period: int = 0
    cause: str = ""  # withdrawal | major_violation | incident
    actor: str = ""
    issue: str = ""
    reason: str = ""  # gain_below_no_deal | trust_collapsed | detected_violation | incident_escalated


@dataclass
class ComplianceResult:
    """What happened after signature."""

    alive: np.ndarray  # P bool at the horizon
    breakdowns: list = field(default_factory=list)  # first breakdown per pact (or None)
    detected: int = 0
    undetected: int = 0
    incidents: int = 0
    subversions: int = 0


def comply(m, talks, rat):
    """Periods 1..horizon: events, the legislatures' votes that fall due, then compliance of the pacts in force.

    A generator: it yields ``("period", (t, broken_down))`` before period t, so the model drives the
    periods (its ``step()`` moves its calendar to t, then lets the period run); it returns the
    :class:`ComplianceResult`.
    """
    comp, world, rng = m.comp, m.world, m.rng
    scal = world.scal
    pairs = rat.members  # updated in place as pacts enter into force (ratifiers only, under that rule)
    alive = rat.in_force & (rat.entry < comp.horizon)
    res = ComplianceResult(alive=alive, breakdowns=[None] * len(pairs))
    x = talks.x * talks.agreed
    owes = np.zeros((len(pairs), comp.k, comp.n), bool)  # what each member owes under each pact
    for p in range(len(pairs)):
        ob = comp.obligor.copy()
        ob[comp.mutual] = pairs[p]
        owes[p] = ob & (x[p] > 0)[:, None]
    for t in range(1, comp.horizon + 1):
        if not alive.any() and not rat.pending:
            break
        yield "period", (t, not alive.any() and any(b is not None for b in res.breakdowns))
        incidents = fire_timed(m, t) + fire_hazards(m, t)
        if rat.pending:  # votes after this period's events: an election before the vote reaches it
            was = rat.in_force.copy()
            vote(m, talks, rat, t)
            alive |= rat.in_force & ~was & (rat.entry < comp.horizon)
        live = alive & (rat.entry < t)
        if live.any():
            _period(m, t, pairs, live, alive, owes, x, talks, res)
        for ev, sev in incidents:
            res.incidents += int(live.any())  # counted while a pact is in force (its trust effect applies always)
            a, b = ev.incident
            incident_trust(m, ev, sev, m.when(t))
            hit = alive & (rat.entry < t) & pairs[:, a] & pairs[:, b]
            if hit.any() and rng.random() < scal["incident_escalation"] * sev:
                for p in np.flatnonzero(hit):
                    _break(m, res, alive, p, t, "incident", comp.codes[a] + "-" + comp.codes[b], "", "incident_escalated")
    if rat.pending:
        vote(m, talks, rat, comp.horizon + 1)  # votes after the horizon still decide whether the pact was ratified
    return res


def _period(m, t, pairs, live, alive, owes, x, talks, res) -> None:
    """One compliance period of the live pacts: withdrawals, then defections, then subversion; trust stays in [0, 1]."""
    comp, world = m.comp, m.world
    trust = world.trust
    margins = pact_margins(m, x, pairs & live[:, None], talks.agreed, talks.transfers)  # P x N (nan off-pact)
    comembers = (pairs[live].T.astype(float) @ pairs[live].astype(float)) > 0
    np.fill_diagonal(comembers, False)
    # trust in the other side(s): co-members of other parties (allies in one's own body do not dilute it)
    others = comembers & (comp.party_of[:, None] != comp.party_of[None, :])
    trust_bar = (trust * others).sum(1) / np.maximum(others.sum(1), 1)
    member = pairs[live].any(0)
    fresh = member & np.isnan(m.trust_at_entry)
    m.trust_at_entry[fresh] = trust_bar[fresh]  # what each party believed when its pact took effect
    _withdrawals(m, t, pairs, live, alive, margins, trust_bar, x, res)
    live = live & alive
    if not live.any():
        return
    defect, detected = _defections(m, t, pairs, live, alive, margins, trust_bar, comembers, member, owes, x, res)
    _subversion(m, t, comembers, alive, res)
    np.minimum(np.maximum(trust, 0.0, out=trust), 1.0, out=trust)  # np.clip, without its overhead
    np.fill_diagonal(trust, 1.0)
    if m.tracing:
        cross = trust[others].mean() if others.any() else 1.0
        hidden = int((defect & ~detected).sum())
        m.say(
            f"Period {t}: {int((member & ~defect).sum())} of {int(member.sum())} parties comply"
            + (f", {hidden} cheat undetected" if hidden else "")
            + f"; mean trust across the pact {cross:.2f}."
        )


def _withdrawals(m, t, pairs, live, alive, margins, trust_bar, x, res) -> None:
    """A member quits a live pact when its gain falls below its no-deal value or its trust collapses."""
    comp, scal = m.comp, m.world.scal
    for p in np.flatnonzero(live):
        mem = np.flatnonzero(pairs[p])
        low_gain = margins[p, mem] < -scal["withdraw_margin"]
        low_trust = trust_bar[mem] < scal["withdraw_trust"] * m.trust_at_entry[mem]
        quit_ = low_gain | low_trust
        if quit_.any():
            i = int(mem[np.flatnonzero(quit_)[np.argmin(margins[p, mem][quit_])]])
            gain_low = margins[p, i] < -scal["withdraw_margin"]
            reason = "its gain fell below its no-deal value" if gain_low else "its trust in the others collapsed"
            m.say(f"Period {t}: {comp.codes[i]} withdraws ({reason}; trust in the other side {trust_bar[i]:.2f}).")
            why = "gain_below_no_deal" if gain_low else "trust_collapsed"
            _break(m, res, alive, p, t, "withdrawal", comp.codes[i], _worst_issue(m, i, x[p]), why)


def _defections(m, t, pairs, live, alive, margins, trust_bar, comembers, member, owes, x, res):
    """Obligors defect by their hazard; detected violations cut trust (major ones end the pact), unseen ones pass.

    Returns (defect, detected), N bool each.
    """
    comp, world, rng = m.comp, m.world, m.rng
    scal, trust = world.scal, world.trust
    margin_i = np.where(pairs & live[:, None], margins, -np.inf).max(0)  # margins are nan exactly off those pacts
    margin_i = np.where(np.isfinite(margin_i), margin_i, 0.0)
    owed = (owes & live[:, None, None]).any(0)  # K x N
    owing = owed.any(0) & member
    seen = breach_visibility(m, owed)
    deterred = 1 - scal["deterrence"] * seen  # the chance of being caught deters
    h = (
        scal["base_hazard"]
        * world.opportunism
        * (1 + scal["dilemma"] * (1 - trust_bar))
        * np.exp(-scal["gain_weight"] * np.maximum(margin_i, 0))
        * deterred
    )
    defect = owing & (rng.random(comp.n) < 1 - np.exp(-h))
    detected = defect & (rng.random(comp.n) < seen)
    major = detected & (rng.random(comp.n) < scal["major_share"])
    res.detected += int(detected.sum())
    res.undetected += int((defect & ~detected).sum())
    for i in np.flatnonzero(detected):
        obs = comembers[:, i]
        trust[obs, i] *= 1 - scal["violation_drop"]
        m.say(
            f"Period {t}: {comp.codes[i]} is caught violating the pact{' (major)' if major[i] else ''}; the others' trust in it falls."
        )
    looks_ok = member & ~detected
    if looks_ok.any():
        gain = scal["trust_learning"] * seen[looks_ok]  # compliance seen through verification builds trust
        obs = comembers[:, looks_ok]
        trust[:, looks_ok] += np.where(obs, gain[None, :] * (1 - trust[:, looks_ok]), 0.0)
    for i in np.flatnonzero(major):
        for p in np.flatnonzero(live & pairs[:, i] & alive):
            _break(m, res, alive, p, t, "major_violation", comp.codes[i], _owed_issue(m, i, x[p]), "detected_violation")
    return defect, detected


def breach_visibility(m, owed: np.ndarray) -> np.ndarray:
    """N: the chance each state's breach is seen: the least verified issue it owes (where it would cheat), else the pact's.

    Each issue's verification, 1 for an overt act (``issues.K.overt``): issue 16, item 2.
    """
    v = issue_verification(m.world, m.comp)[:, None]  # K x 1
    least = np.where(owed, v, np.inf).min(0)
    return np.where(np.isfinite(least), least, m.world.scal["verification"])


def _subversion(m, t, comembers, alive, res) -> None:
    """Spoilers subvert (002): trust across the pact falls with each subverting state."""
    comp, world = m.comp, m.world
    spoil = m.rng.random(comp.n) < world.spoiler
    if spoil.any() and alive.any():
        res.subversions += int(spoil.sum())
        drop = world.scal["subversion_drop"] * spoil.sum()
        cross = comembers & (comp.party_of[:, None] != comp.party_of[None, :])
        world.trust[cross] *= max(0.0, 1 - drop)
        m.say(
            f"Period {t}: {', '.join(comp.codes[i] for i in np.flatnonzero(spoil))} subvert(s) the pact; trust across it falls."
        )


def _break(m, res, alive, p, t, cause, actor, issue, reason="") -> None:
    if not alive[p]:
        return
    alive[p] = False
    res.breakdowns[p] = Breakdown(t, cause, actor, issue, reason)
    # told last among the period's lines (t + 0.25): what else happened in period t came with it
    pact = "the pact" if len(alive) == 1 else f"pact {p + 1}"
    on = f", on {issue}" if issue else ""
    end = "" if alive.any() else "; no pact is left in force"
    m.say(f"Period {t}: {pact} breaks down ({cause.replace('_', ' ')} by {actor}{on}){end}.", at=t + 0.25)


def _worst_issue(m, i, x) -> str:
    comp, world = m.comp, m.world
    contrib = world.sal[i] * (world.pos[i] - np.abs(x - world.pos[i]))
    return comp.issues[int(np.argmin(contrib))]


def _owed_issue(m, i, x) -> str:
    comp = m.comp
    owed = comp.obligor[:, i] * x
    return comp.issues[int(np.argmax(owed))]

"""Compliance periods: breaches as choices, what follows them, trust, withdrawal, spoilers, incidents.

Each period (after a pact's entry into force) every obligor keeps or breaks its commitments
by comparing what a breach gains with what it risks (model/defection.py); a breach is seen
with its issue's verification (always, for an overt act). What follows a seen breach is the
pact's ``response``: consultation, graduated reciprocity (each strike makes the next seen
breach likelier to end the pact) or breakdown. Every co-member updates its trust in each
obligor from what it saw (Bayes), and trust feeds back into the pact's value to each member;
a member withdraws when that value falls below its no-deal value ("a pact applies until it
doesn't": 000). Spoilers subvert the pact (002); incidents strike between states (events).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from negsim.model.defection import bayes_trust, breach_choice, end_chance, exposure
from negsim.model.events import fire_hazards, fire_timed, incident_trust
from negsim.model.ratification import pact_margins, vote
from negsim.model.valuation import issue_verification

#: the outcome columns of a replicate's first chosen breach (else its first breach): docs/results-format.md
BREACH_FIELDS = ("breach_period", "breach_actor", "breach_issue", "breach_seen", "breach_followed", "breach_chosen")


@dataclass
class Breakdown:
    """When and why a pact ended."""

    period: int = 0
    cause: str = ""  # withdrawal | major_violation | incident
    actor: str = ""
    issue: str = ""
    reason: str = ""  # gain_below_no_deal | trust_collapsed | seen_breach | incident_escalated


@dataclass
class Breach:
    """A breach of the pact: when, by whom, of what; whether it was seen, what followed, whether it was chosen."""

    period: int
    actor: str
    issue: str
    seen: bool
    followed: str  # unseen | minor | consultation | strike | breakdown
    chosen: bool


@dataclass
class ComplianceResult:
    """What happened after signature."""

    alive: np.ndarray  # P bool at the horizon
    breakdowns: list = field(default_factory=list)  # first breakdown per pact (or None)
    detected: int = 0
    undetected: int = 0
    incidents: int = 0
    subversions: int = 0
    chosen: int = 0  # breaches chosen (the rest were mistakes)
    breach: Breach | None = None  # the first chosen breach, else the first breach
    strikes: np.ndarray | None = None  # N seen, chosen breaches so far (graduated response)
    exposure_at_entry: np.ndarray | None = None  # N the victims' exposure when each obligor's pact took effect

    def row(self) -> dict:
        """The breach columns of the outcome row ("" where there was no breach)."""
        b = self.breach
        if b is None:
            return dict.fromkeys(BREACH_FIELDS, "")
        return dict(zip(BREACH_FIELDS, (b.period, b.actor, b.issue, b.seen, b.followed, b.chosen), strict=True))


def comply(m, talks, rat):
    """Periods 1..horizon: events, the legislatures' votes that fall due, then compliance of the pacts in force.

    A generator: it yields ``("period", (t, broken_down))`` before period t, so the model drives the
    periods (its ``step()`` moves its calendar to t, then lets the period run); it returns the
    :class:`ComplianceResult`.
    """
    comp, world, rng = m.comp, m.world, m.rng
    scal = world.scal
    pairs = rat.members  # updated in place as pacts enter into force and as late ratifiers join (ratifiers and weighted rules)
    alive = rat.in_force & (rat.entry < comp.horizon)
    res = ComplianceResult(alive=alive, breakdowns=[None] * len(pairs), strikes=np.zeros(comp.n))
    res.exposure_at_entry = np.full(comp.n, np.nan)
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
            refused = rat.pairs & (rat.voted & ~rat.ratified)[None, :]  # signed, refused at home, so not bound
            _period(m, t, pairs, live, alive, owes, x, talks, res, refused)
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


def _period(m, t, pairs, live, alive, owes, x, talks, res, refused) -> None:
    """One compliance period of the live pacts: withdrawals, then breaches, then subversion; trust stays in [0, 1].

    ``refused`` (P x N): the signatories whose legislature refused a pact in force without them; what they owed
    counts 0 in its value to its members (:func:`~negsim.model.ratification.pact_margins`).
    """
    comp, world = m.comp, m.world
    trust = world.trust
    margins = pact_margins(m, x, pairs & live[:, None], talks.agreed, talks.transfers, refused)  # P x N (nan off-pact)
    comembers, others, member = _membership(comp, pairs, live)
    trust_bar = (trust * others).sum(1) / np.maximum(others.sum(1), 1)
    fresh = member & np.isnan(m.trust_at_entry)
    m.trust_at_entry[fresh] = trust_bar[fresh]  # what each party believed when its pact took effect
    res.exposure_at_entry[fresh] = exposure(world, comp, others)[fresh]
    _withdrawals(m, t, pairs, live, alive, margins, trust_bar, x, res)
    if not (live & alive).any():
        return
    if (live & ~alive).any():  # a pact broke by withdrawal: its members no longer watch, trust or subvert each other in it
        live = live & alive
        comembers, others, member = _membership(comp, pairs, live)
    breach, seen = _breaches(m, t, pairs, live, alive, margins, comembers, others, member, owes, x, res)
    _subversion(m, t, comembers, alive, res)
    np.minimum(np.maximum(trust, 0.0, out=trust), 1.0, out=trust)  # np.clip, without its overhead
    np.fill_diagonal(trust, 1.0)
    if m.tracing:
        cross = trust[others].mean() if others.any() else 1.0
        hidden = int((breach & ~seen).sum())
        m.say(
            f"Period {t}: {int((member & ~breach).sum())} of {int(member.sum())} parties comply"
            + (f", {hidden} break it unseen" if hidden else "")
            + f"; mean trust across the pact {cross:.2f}."
        )


def _membership(comp, pairs, live) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(comembers, others, member) of the live pacts: N x N co-membership, the co-members of other parties, N members.

    Trust in the other side(s) is trust in co-members of other parties: allies in one's own body do not dilute it.
    """
    comembers = (pairs[live].T.astype(float) @ pairs[live].astype(float)) > 0
    np.fill_diagonal(comembers, False)
    others = comembers & (comp.party_of[:, None] != comp.party_of[None, :])
    return comembers, others, pairs[live].any(0)


def _withdrawals(m, t, pairs, live, alive, margins, trust_bar, x, res) -> None:
    """A member quits a live pact when the pact's value to it falls below its no-deal value.

    The value counts each commitment at the trust in its obligor, so a collapse of trust is one
    way there: the reason says ``trust_collapsed`` when the member's trust in the other side is
    below what it was at entry into force, else ``gain_below_no_deal``.
    """
    comp, scal = m.comp, m.world.scal
    for p in np.flatnonzero(live):
        mem = np.flatnonzero(pairs[p])
        quit_ = margins[p, mem] < -scal["withdraw_margin"]
        if quit_.any():
            i = int(mem[np.flatnonzero(quit_)[np.argmin(margins[p, mem][quit_])]])
            fell = trust_bar[i] < m.trust_at_entry[i]
            why = "trust_collapsed" if fell else "gain_below_no_deal"
            reason = (
                "its trust in the others fell and with it the pact's value" if fell else "its gain fell below its no-deal value"
            )
            m.say(f"Period {t}: {comp.codes[i]} withdraws ({reason}; trust in the other side {trust_bar[i]:.2f}).")
            _break(m, res, alive, p, t, "withdrawal", comp.codes[i], _worst_issue(m, i, x[p]), why)


def _breaches(m, t, pairs, live, alive, margins, comembers, others, member, owes, x, res):
    """Obligors keep or break their commitments (model/defection.py); what follows each breach; Bayes trust.

    Returns (breach, seen), N bool each.
    """
    comp, world = m.comp, m.world
    scal = world.scal
    margin_i = np.where(pairs & live[:, None], margins, -np.inf).max(0)  # margins are nan exactly off those pacts
    margin_i = np.where(np.isfinite(margin_i), margin_i, 0.0)
    held = owes & live[:, None, None]
    owed = held.any(0) & member[None, :]  # K x N
    level = (held * x[:, :, None]).max(0)  # the level each obligor owes of each issue
    vis = issue_verification(world, comp)
    shift = np.maximum(exposure(world, comp, others) - np.nan_to_num(res.exposure_at_entry), 0.0)
    p_chosen, p_mistake, issue, q = breach_choice(m, owed, level, vis, margin_i, shift, comp.horizon - t, res.strikes)
    u = m.rng.random((4, comp.n))
    chosen = u[0] < p_chosen
    breach = chosen | (u[1] < p_mistake)
    seen = breach & (u[2] < vis[issue])
    ends = seen & chosen & (u[3] < end_chance(comp.response, scal["major_share"], res.strikes))
    res.detected += int(seen.sum())
    res.undetected += int((breach & ~seen).sum())
    res.chosen += int(chosen.sum())
    owing = np.flatnonzero(owed.any(0))
    bayes_trust(world.trust, comembers[:, owing], owing, seen[owing], q[owing], scal["mistake"], vis[issue[owing]])
    for i in np.flatnonzero(breach):
        followed = _followed(comp.response, bool(seen[i]), bool(chosen[i]), bool(ends[i]))
        _tell_breach(m, res, t, i, comp.issues[issue[i]], bool(seen[i]), followed, bool(chosen[i]))
        if followed == "strike":
            res.strikes[i] += 1
        elif followed == "breakdown":
            for p in np.flatnonzero(live & pairs[:, i] & alive):
                _break(m, res, alive, p, t, "major_violation", comp.codes[i], comp.issues[issue[i]], "seen_breach")
    return breach, seen


def _followed(response: str, seen: bool, chosen: bool, ends: bool) -> str:
    """What followed a breach: unseen, minor (a mistake), consultation, strike (graduated) or breakdown."""
    if not seen:
        return "unseen"
    if not chosen:
        return "minor"
    if ends:
        return "breakdown"
    return "consultation" if response == "consultation" else "strike"


def _tell_breach(m, res, t, i, issue, seen, followed, chosen) -> None:
    """Keep the first chosen breach (else the first breach) for the outcome row; tell it in the trace."""
    b = res.breach
    if b is None or (chosen and not b.chosen):
        res.breach = Breach(t, m.comp.codes[i], issue, seen, followed, chosen)
    if seen:
        how = "breaks the pact" if chosen else "breaches the pact by mistake"
        then = {"minor": "a minor breach", "consultation": "the parties consult", "strike": "a strike against it"}
        after = then.get(followed, "the pact ends")
        m.say(f"Period {t}: {m.comp.codes[i]} {how} on {issue} and is seen ({after}); the others' trust in it falls.")


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

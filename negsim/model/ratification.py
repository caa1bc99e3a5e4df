"""Signature and ratification.

Each signatory whose legislature must approve draws its legislative support around its base
level, moved by its gain from the pact (support = base + sensitivity x margin + noise) and
ratifies when support reaches its threshold (national legislatures: 000; the US Senate's two
thirds: the DOMAIN brief, not the sources), after a random
delay (exponential with the actor's mean delay, in periods: the Sweden precedent). The
entry-into-force rule decides what a failure does: ``all`` kills the pact; ``ratifiers``
leaves it in force among those who ratified, as long as every party keeps a ratifying member.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from negsim.model.valuation import contributions, thresholds, trust_weights

NOISE_SD = 0.05


@dataclass
class RatificationResult:
    """Who ratified, when each pact enters into force, and who failed."""

    ratified: np.ndarray  # N bool (non-signatories False)
    in_force: np.ndarray  # P bool
    entry: np.ndarray  # P int period of entry into force
    failed_actor: str = ""
    members: np.ndarray = None  # P x N: who the pact binds once in force


def pact_margins(m, x: np.ndarray, pairs: np.ndarray, agreed: np.ndarray, transfers: np.ndarray | None = None) -> np.ndarray:
    """P x N margin of each member over its no-deal threshold for its pact's package (with the side payments of the deal)."""
    comp, world = m.comp, m.world
    thr = thresholds(world, comp.region)
    out = np.full(pairs.shape, np.nan)
    for p in range(len(pairs)):
        ob = comp.obligor.copy()
        ob[comp.mutual] = pairs[p]
        w = trust_weights(world.trust, ob, world.scal["verification"])
        gain = contributions(x[p] * agreed[p], world.pos, world.sal, w).sum(1)
        if transfers is not None:
            gain = gain + transfers
        out[p, pairs[p]] = (gain - thr)[pairs[p]]
    return out


def ratify(m, talks) -> RatificationResult:
    """Run signature and ratification for the pacts the talks produced."""
    comp, world, rng = m.comp, m.world, m.rng
    signed = talks.agreed.any(1)
    pairs = talks.pairs & signed[:, None]
    sig = pairs.any(0)
    margins = pact_margins(m, talks.x, pairs, talks.agreed, talks.transfers)
    cnt = pairs.sum(0)
    margin = np.where(pairs, margins, 0.0).sum(0) / np.maximum(cnt, 1)  # margins are nan exactly off the pacts
    support = np.clip(world.rat_support + world.rat_sens * margin + rng.normal(0, NOISE_SD, comp.n), 0, 1)
    required = comp.rat_required & sig
    yes = sig & (~required | (support >= world.rat_threshold))
    delay = np.where(required, rng.exponential(np.maximum(world.rat_delay, 1e-9)), 0.0)
    if m.tracing:
        _say_votes(m, np.flatnonzero(required), yes, support, delay)
    failed = sig & ~yes
    failed_actor = ""
    if failed.any():
        f = np.flatnonzero(failed)
        failed_actor = comp.codes[int(f[np.argmin(support[f] - world.rat_threshold[f])])]
    members = pairs & yes[None, :]
    if comp.entry_rule == "all":
        in_force = signed & ~(pairs & ~yes[None, :]).any(1)
        members = np.where(in_force[:, None], pairs, False)
    else:
        in_force = signed.copy()
        for p in np.flatnonzero(signed):
            for d in comp.parties:
                if pairs[p, d.members].any() and not members[p, d.members].any():
                    in_force[p] = False
            if members[p].sum() < 2:
                in_force[p] = False
    entry = np.zeros(len(pairs), int)
    for p in np.flatnonzero(in_force):
        entry[p] = int(np.ceil(delay[members[p]].max())) if members[p].any() else 0
    if m.tracing and signed.any():
        _say_entry(m, in_force, entry, failed_actor, np.ceil(delay[required]).max(initial=0))
    return RatificationResult(yes, in_force, entry, failed_actor, members)


def _vote_period(delay: float) -> int:
    """The period in which a vote taking ``delay`` periods after signature falls (0: at signature)."""
    return int(np.ceil(delay))


def _vote_time(delay: float) -> float:
    """Where a vote goes in the trace's time order.

    A vote at signature comes after the talks (time 0); a vote in period t after period t - 1's
    entries into force (t - 0.5) and before period t's events (t), earlier votes first.
    """
    t = _vote_period(delay)
    return 0.25 if t == 0 else t - 0.5 + 0.4 * (delay - t + 1)


def _say_votes(m, required: np.ndarray, yes: np.ndarray, support: np.ndarray, delay: np.ndarray) -> None:
    """Trace each legislature's vote in the period it falls in, before that period's events."""
    comp, world = m.comp, m.world
    for i in required:
        t = _vote_period(delay[i])
        verdict = "ratifies" if yes[i] else "FAILS to ratify"
        m.say(f"{'At signature' if t == 0 else f'Period {t}'}: {comp.codes[i]} {verdict} the pact "
              f"(support {support[i]:.0%} vs {world.rat_threshold[i]:.0%} needed; "
              f"{delay[i]:.1f} {comp.period}s after signature).", at=_vote_time(delay[i]))  # fmt: skip


def _say_entry(m, in_force: np.ndarray, entry: np.ndarray, failed_actor: str, last_vote: float) -> None:
    """Trace entry into force in the period it happens (after that period's events), or the pact's failure."""
    comp = m.comp
    rule = f"entry rule {comp.entry_rule}"
    if not in_force.any():
        m.say(f"Entry into force ({rule}): the pact fails; {failed_actor} did not ratify.", at=last_vote + 0.5)
        return
    for e in np.unique(entry[in_force]):
        k = int((in_force & (entry == e)).sum())
        what = "the pact enters" if len(in_force) == 1 else f"{k} pact{'s' if k > 1 else ''} enter"
        when = "At signature" if e == 0 else f"Period {e}"
        if e >= comp.horizon:
            then = f"after the horizon of {comp.horizon} {comp.period}s, so it is never tested"
        else:
            then = f"compliance is checked from period {e + 1}"
        m.say(f"{when}: {what} into force ({rule}); {then}.", at=e + 0.5)

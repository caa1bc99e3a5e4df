"""Signature and ratification: a two-level game (Putnam 1988).

Each ratifying state has a legislature with its own lights: its ideal points, salience and
trust (``ratification.positions``, ``salience``, ``trust``: a domestic median; its executive's
wherever the scenario gives none), judged against the same no-deal value as its executive (as the talks' delay left it: 3.6). Its
support for a text is its base support moved by its relative margin:

    margin_L = (gain_L(x) + transfer - threshold_i) / scale_L,   scale_L = sum_k s_Lk * p_Lk
    support_L = S(base_L, margin_L), its logit moved by the vote's noise (sd NOISE_LOGIT)

(``scale_L`` is what the legislature would get from its ideal point on every issue, so the
margin is a share of its best; ``S`` is a logit vote, :func:`support`: ``base_L`` at margin 0,
``sensitivity_L`` support points per unit of margin there, never past 0 or 1). It ratifies when support reaches its threshold (the US Senate's
two thirds; simple majorities: 000's national legislatures). Support falls below its base when
the text leaves the legislature short of its no-deal value.

**Win-sets.** Executives anticipate their legislatures at the table (:func:`winset_floor`): a
text is inside state i's win-set when the support its executive expects of its legislature reaches the
threshold plus one sd of what the executive cannot foresee (:func:`safety`, an *assumption*: an executive
does not sign what it expects to lose). The executive does not know its legislature exactly (Putnam's
uncertainty about the win-set): it expects ``mean + foresight * (support - mean)``, where ``mean`` is the
mean of the scenario's ``ratification.support`` distribution and ``support`` the replicate's draw, and an
event on ``support`` (an election) is public. A legislature whose support falls short of what its executive
expected can reject what its executive signed: Putnam's involuntary defection. The legislature is a member of its state's party in the Nash search, and the executive
refuses a text outside the win-set ("outside_win_set").

**Delay from politics.** A legislature's procedure takes an exponential time (mean
``ratification.delay``, in periods); a legislature that would ratify may also hold the signed
text to extract a concession (the Sweden precedent: Türkiye's and Hungary's parliaments, 000). Its
demand is its spoiler share of what the text leaves it short of its best, as at the table
(:mod:`negsim.model.holdout`); it holds while holding costs it less than it asks, i.e. for
``demand / cost`` periods, where ``cost`` is a period's pressure of its allies who signed (cohesion x
their capability share), the cost of delay, and the period's share of the pact's value it
forgoes (its margin over no deal spread evenly over the horizon: *assumption*); then the member with most to spare pays it as a side payment
(it gives way unpaid when nobody can). That is a war of attrition in reduced form (*assumption*).

**Votes fall in their period.** Each legislature votes in the period its time to ratify ends,
after that period's events, so an election between signature and ratification (an event on
``actors.X.ratification.support``, ``positions`` or ``trust``) reaches the vote. The
entry-into-force rule decides what a failure does: ``all`` kills the pact; ``ratifiers`` leaves
it in force among those who ratified, as long as every party keeps a ratifying member; the
weighted rule (``{share, weights, count}``) puts it in force among those who have ratified as soon
as they are at least ``count`` and hold ``share`` of the weights (the Kyoto Protocol's Art. 25),
without waiting for votes it does not need; a later ratifier is bound from its vote on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from negsim.model import holdout
from negsim.model.valuation import contributions, delivery_weights, pact_thresholds

#: sd of the vote's noise on the logit scale of support: 0.2 is about 0.05 of support where support is near one
#: half, and less near 0 or 1, so a threshold close to 1 can still be met (an *assumption*, as the old 0.05 was)
NOISE_LOGIT = 0.2
#: support shares are kept this far inside (0, 1) so that their logits stay finite
EDGE = 1e-3


@dataclass
class Legislatures:
    """N rows: each legislature's own ideal points, salience and trust (its executive's where the scenario gives none)."""

    pos: np.ndarray
    sal: np.ndarray
    trust: np.ndarray


def legislatures(world) -> Legislatures:
    """The legislatures' preferences in the world as it is now (events on the executive's reach them where shared)."""
    return Legislatures(
        np.where(np.isnan(world.leg_pos), world.pos, world.leg_pos),
        np.where(np.isnan(world.leg_sal), world.sal, world.leg_sal),
        np.where(np.isnan(world.leg_trust), world.trust, world.leg_trust),
    )


def scale(leg: Legislatures, issues: np.ndarray) -> np.ndarray:
    """N: the most each legislature could get from ``issues`` (its ideal point on each), the unit of its margin."""
    return np.maximum((leg.sal[:, issues] * leg.pos[:, issues]).sum(1), 1e-9)


def safety(world) -> np.ndarray:
    """N: how far above its legislature's threshold, in logits of support, each executive wants to expect before it signs.

    One sd of what it cannot foresee, on the vote's logit scale: the vote's own noise and the part of its
    legislature's support it does not know (``rat_doubt``, a share's sd from ``ratification.foresight``, in
    logits at the executive's reading by the delta method): an executive does not sign what it expects to lose.
    """
    b = np.clip(world.rat_seen, EDGE, 1 - EDGE)
    return np.hypot(NOISE_LOGIT, world.rat_doubt / (b * (1 - b)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EDGE, 1 - EDGE)
    return np.log(p / (1 - p))


def support(base: np.ndarray, sens: np.ndarray, margin: np.ndarray, noise=0.0) -> np.ndarray:
    """N: a legislature's support for a text with relative ``margin``: the share of its members for whom it beats no deal.

    A random-utility (logit) vote: each member weighs the text's margin plus a logistic taste of its own, so
    support is ``base`` at margin 0, moves by ``sens`` support points per unit of margin there, and approaches
    0 or 1 only as the margin grows without bound (it never adds up past 100%). ``noise`` moves the vote's
    logit (the vote's own noise, :data:`NOISE_LOGIT`), so it too never pushes support past 0 or 1.
    """
    b = np.clip(base, EDGE, 1 - EDGE)
    return 0.5 * (1 + np.tanh((_logit(b) + sens / (b * (1 - b)) * margin + noise) / 2))  # the logistic, without overflow


def needed_margin(world) -> np.ndarray:
    """N: the relative margin each legislature must see for the support its executive expects to clear threshold + safety.

    The inverse of :func:`support` at the executive's reading ``rat_seen`` (inf: no margin is enough).
    """
    b = np.clip(world.rat_seen, EDGE, 1 - EDGE)
    gap = _logit(world.rat_threshold) + safety(world) - _logit(b)
    slope = world.rat_sens / (b * (1 - b))
    need = np.where(slope > 0, gap / np.where(slope > 0, slope, 1.0), np.where(gap > 0, np.inf, -np.inf))
    return np.where(world.rat_threshold >= 1, np.inf, need)  # a share of 1 is never reached


def winset_floor(world, comp, issues: np.ndarray, thr: np.ndarray) -> np.ndarray:
    """N: the gain (on the legislature's own valuation) a text on ``issues`` must give it to be inside the win-set.

    ``thr`` is the no-deal threshold. -inf for states whose legislature need not ratify, and for those whose
    failure to ratify would not stop the pact (a weighted entry rule the others can meet without them): such an
    executive accepts what serves it on its own lights, since refusing at the table would stop the text for
    everyone, and leaves the vote to its legislature (the US signed the Kyoto Protocol in 1998 and never
    submitted it).
    """
    leg = legislatures(world)
    floor = thr + needed_margin(world) * scale(leg, issues)
    return np.where(comp.rat_required & comp.entry_pivotal, floor, -np.inf)


def legislature_gains(world, comp, x: np.ndarray, issues: np.ndarray, obligor: np.ndarray) -> np.ndarray:
    """N: each legislature's gain from levels ``x`` on ``issues`` (obligors ``obligor``, K' x N), on its own lights."""
    leg = legislatures(world)
    w = delivery_weights(world, comp, issues, trust=leg.trust, obligor=obligor)
    return contributions(x, leg.pos[:, issues], leg.sal[:, issues], w).sum(1)


@dataclass
class RatificationHoldout:
    """The longest hold-up of a signed text by a legislature: who, what it asked, how long, whether it was paid."""

    actor: str = ""
    demand: float = 0.0
    periods: float = 0.0
    paid: bool = False
    payer: str = ""


@dataclass
class RatificationResult:
    """Who ratified, when each pact enters into force, and who failed. Filled in as the votes fall (:meth:`vote`)."""

    signed: np.ndarray  # P bool
    pairs: np.ndarray  # P x N signatories of each signed pact
    required: np.ndarray  # N bool: signatories whose legislature must vote
    time: np.ndarray  # N periods from signature to each legislature's vote (procedure + hold-up)
    due: np.ndarray  # N period of each vote (0: at signature)
    voted: np.ndarray  # N bool
    ratified: np.ndarray  # N bool (non-signatories False; signatories without a vote True)
    support: np.ndarray  # N support at the vote (nan: no vote yet)
    in_force: np.ndarray  # P bool
    entry: np.ndarray  # P int period of entry into force (horizon when it never enters)
    members: np.ndarray  # P x N who each pact binds once in force
    decided: np.ndarray  # P bool: every vote the pact waits on has fallen
    failed_actor: str = ""
    holdout: RatificationHoldout = field(default_factory=RatificationHoldout)
    expected: np.ndarray | None = None  # N the support each executive expected of its legislature when it signed

    @property
    def pending(self) -> bool:
        """Some pact still waits on a vote, or a signatory of a pact in force still has one to hold (a late ratifier)."""
        if (self.signed & ~self.decided).any():
            return True
        due = self.required & ~self.voted
        return bool(due.any() and (self.in_force[:, None] & self.pairs & due[None, :]).any())


def pact_margins(
    m,
    x: np.ndarray,
    pairs: np.ndarray,
    agreed: np.ndarray,
    transfers: np.ndarray | None = None,
    refused: np.ndarray | None = None,
) -> np.ndarray:
    """P x N margin of each member over its no-deal threshold for its pact's package (with that pact's side payments, P x N).

    ``refused`` (P x N): signatories of each pact whose legislature refused it while it went into force without
    them (the ``ratifiers`` and weighted entry rules). They are not bound, so what they owed is delivered by
    nobody: it counts 0 for the members, on a mutual issue as on one they owed alone (docs/model.md 3.8).
    """
    comp, world = m.comp, m.world
    thr = pact_thresholds(world, comp)
    out = np.full(pairs.shape, np.nan)
    for p in range(len(pairs)):
        out_p = None if refused is None else refused[p]
        ob = comp.obligor.copy()
        ob[comp.mutual] = pairs[p] if out_p is None else pairs[p] | out_p
        w = delivery_weights(world, comp, np.arange(comp.k), obligor=ob, unbound=out_p)
        gain = contributions(x[p] * agreed[p], world.pos, world.sal, w).sum(1)
        if transfers is not None:
            gain = gain + transfers[p]
        out[p, pairs[p]] = (gain - thr)[pairs[p]]
    return out


def _legislature_margins(m, talks, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """N each signatory's legislature: (relative margin, gain, scale) for the pact it signed (its first, in parallel talks)."""
    comp, world = m.comp, m.world
    thr = pact_thresholds(world, comp) - talks.delay  # the no-deal value as the talks' delay left it
    issues = np.flatnonzero(talks.agreed.any(0))
    gain = np.zeros(comp.n)
    leg = legislatures(world)
    unit = scale(leg, issues) if len(issues) else np.ones(comp.n)
    for p in range(len(pairs))[::-1]:  # the first pact a state signed wins
        if not pairs[p].any():
            continue
        ob = comp.obligor.copy()
        ob[comp.mutual] = pairs[p]
        g = legislature_gains(world, comp, talks.x[p, issues] * talks.agreed[p, issues], issues, ob[issues]) + talks.transfers[p]
        gain = np.where(pairs[p], g, gain)
    return (gain - thr) / unit, gain, unit


def sign(m, talks) -> RatificationResult:
    """Signature: schedule each legislature's vote (its procedure time plus any hold-up of the signed text)."""
    comp, world, rng = m.comp, m.world, m.rng
    signed = talks.agreed.any(1)
    pairs = talks.pairs & signed[:, None]
    sig = pairs.any(0)
    required = comp.rat_required & sig
    time = np.where(required, rng.exponential(np.maximum(world.rat_delay, 1e-9)), 0.0)
    res = RatificationResult(
        signed, pairs, required, time, np.zeros(comp.n, int), ~required, sig & ~required, np.full(comp.n, np.nan),
        np.zeros(len(pairs), bool), np.full(len(pairs), comp.horizon), pairs.copy(), ~signed,
    )  # fmt: skip
    margins = _legislature_margins(m, talks, pairs)
    res.expected = support(world.rat_seen, world.rat_sens, margins[0])  # what each executive signed on
    _hold_signed_text(m, talks, res, margins)
    res.due = np.ceil(res.time).astype(int)
    if m.tracing:
        for i in np.flatnonzero(required):
            m.say(f"At signature: {comp.codes[i]}'s legislature will vote in {_when(res.due[i])} "
                  f"({res.time[i]:.1f} {comp.period}s after signature).", at=0.2)  # fmt: skip
    vote(m, talks, res, 0)
    return res


def _hold_signed_text(m, talks, res: RatificationResult, legislature_margins: tuple) -> None:
    """Legislatures that would ratify hold the signed text when their demand beats the cost of holding (Sweden precedent).

    ``legislature_margins`` is :func:`_legislature_margins` of the signed text (relative margin, gain, scale).
    """
    comp, world = m.comp, m.world
    rel, gain, unit = legislature_margins
    would = res.required & (support(world.rat_support, world.rat_sens, rel) >= world.rat_threshold)
    demand = holdout.demands(world.spoiler, unit, gain)
    margins = pact_margins(m, talks.x, res.pairs, talks.agreed, talks.transfers)
    surplus = np.where(res.pairs, margins, -np.inf).max(0)  # margins are nan exactly off the pacts
    # a period of holding costs the allies' pressure, the delay, and that period's share of the pact's value
    cost = (
        holdout.pressure(comp.allies, world.cap, world.cohesion, res.pairs.any(0))
        + world.scal["delay_cost"] * world.threat * comp.period_months  # a period's months of delay, on the talks' clock
        + np.maximum(np.where(np.isfinite(surplus), surplus, 0.0), 0.0) / comp.horizon
    )
    hold = would & (demand > cost)
    if not hold.any():
        return
    periods = np.where(hold, demand / np.maximum(cost, 1e-9), 0.0)
    periods = np.minimum(periods, comp.horizon)
    res.time += periods
    big = int(np.flatnonzero(hold)[np.argmax(periods[hold])])
    first = np.argmax(res.pairs, 0)  # each state's first pact, whose text its legislature votes on
    paid, payer_of = np.zeros(comp.n, bool), np.full(comp.n, -1)
    for q in np.unique(first[hold]):  # a holdout is bought off within the pact it holds, by a co-signatory of that pact
        in_q = hold & (first == q)
        spare = np.where(res.pairs[q] & ~hold, margins[q], -np.inf)  # a co-signatory gives up to its surplus over no deal
        med = comp.mediator if comp.mediator >= 0 and (len(res.pairs) == 1 or res.pairs[q, comp.mediator]) else -1
        who = holdout.payer(med, in_q, spare, res.pairs[q])
        if who < 0:
            continue
        budget = spare[who]  # the payer buys off the smallest demands first, as far as its surplus goes
        for i in np.flatnonzero(in_q)[np.argsort(demand[in_q], kind="stable")]:
            if demand[i] <= budget:
                paid[i], payer_of[i], budget = True, who, budget - demand[i]
        bought = paid & in_q
        talks.transfers[q, bought] += demand[bought]
        talks.transfers[q, who] -= demand[bought].sum()
    res.holdout = RatificationHoldout(comp.codes[big], round(float(demand[big]), 6), round(float(periods[big]), 3),
                                      bool(paid[big]), comp.codes[payer_of[big]] if paid[big] else "")  # fmt: skip
    for i in np.flatnonzero(hold):
        got = f"then {comp.codes[payer_of[i]]} pays it" if paid[i] else "then gives way unpaid"
        m.say(f"At signature: {comp.codes[i]}'s legislature holds the signed text for {periods[i]:.1f} {comp.period}s, "
              f"demanding {demand[i]:.3f}; {got}.", at=0.2)  # fmt: skip


def vote(m, talks, res: RatificationResult, t: int) -> None:
    """The votes due by period t (all remaining ones when t is past the horizon), then entry into force of decided pacts."""
    comp, world, rng = m.comp, m.world, m.rng
    due = res.required & ~res.voted & ((res.due <= t) | (t > comp.horizon))
    if due.any():
        rel, _, _ = _legislature_margins(m, talks, res.pairs)
        share = support(world.rat_support, world.rat_sens, rel, rng.normal(0, NOISE_LOGIT, comp.n))
        res.support[due] = share[due]
        res.ratified[due] = share[due] >= world.rat_threshold[due]
        res.voted |= due
        if m.tracing:
            for i in np.flatnonzero(due):
                verdict = "ratifies" if res.ratified[i] else "FAILS to ratify"
                m.say(f"{_when_vote(t, comp.horizon).capitalize()}: {comp.codes[i]}'s legislature {verdict} the pact "
                      f"(support {share[i]:.0%} vs {world.rat_threshold[i]:.0%} needed, its margin {rel[i]:+.2f}; "
                      f"its executive expected {res.expected[i]:.0%} when it signed"
                      + ("" if comp.entry_pivotal[i] else ", the pact not needing it to enter into force") + ").")  # fmt: skip
    failed = res.required & res.voted & ~res.ratified
    if failed.any() and not res.failed_actor:
        f = np.flatnonzero(failed)
        res.failed_actor = comp.codes[int(f[np.argmin(res.support[f] - world.rat_threshold[f])])]
    for p in np.flatnonzero(res.signed & ~res.decided):
        _decide(m, res, p, t)
    if comp.entry_rule == "weighted":  # a state that ratifies after entry into force is bound from then on
        late = res.in_force[:, None] & res.pairs & res.ratified[None, :] & ~res.members
        res.members |= late
        for p, i in zip(*np.nonzero(late), strict=True):
            m.say(
                f"{_when(t).capitalize()}: {comp.codes[i]} ratifies after {_pact(res, p)} entered into force; it is bound from now on."
            )


def _weighted_met(comp, yes: np.ndarray) -> bool:
    """Whether the states ``yes`` meet the weighted entry rule: at least ``count`` of them, with ``share`` of the weights."""
    w = comp.entry_weights
    return int(yes.sum()) >= comp.entry_count and float(w[yes].sum()) >= comp.entry_share * float(w.sum()) - 1e-12


def _decide(m, res: RatificationResult, p: int, t: int) -> None:
    """Pact p enters into force, or fails, once the votes it waits on have fallen (by the entry-into-force rule)."""
    comp = m.comp
    mem = res.pairs[p]
    waiting = mem & res.required & ~res.voted
    no = mem & res.required & res.voted & ~res.ratified
    why = "too few ratified"
    if comp.entry_rule == "all":
        if no.any():
            res.decided[p] = True
            m.say(f"{_when(t).capitalize()}: {_pact(res, p)} fails (entry rule all); {res.failed_actor} did not ratify.")
            return
        if waiting.any():
            return
        ok = True
    elif comp.entry_rule == "weighted":  # at least `count` ratifiers holding `share` of the weights (Kyoto's Art. 25)
        yes = mem & res.ratified
        res.members[p] = yes
        if not _weighted_met(comp, yes):
            if _weighted_met(comp, yes | waiting):
                return  # the votes still due could meet it
            w = comp.entry_weights
            why = (f"its {int(yes.sum())} ratifiers (of {comp.entry_count} needed) hold {w[yes].sum() / w.sum():.0%} "
                   f"of the weight, {comp.entry_share:.0%} needed")  # fmt: skip
        ok = _weighted_met(comp, yes)  # in force as soon as it is met: later ratifiers join it (vote)
    else:
        if waiting.any():
            return
        yes = mem & res.ratified
        ok = all(not mem[d.members].any() or yes[d.members].any() for d in comp.parties) and yes.sum() >= 2
        res.members[p] = yes
    res.decided[p] = True
    res.in_force[p] = ok
    res.entry[p] = min(t, comp.horizon) if ok else comp.horizon
    if not ok:
        m.say(f"{_when(t).capitalize()}: {_pact(res, p)} fails (entry rule {comp.entry_rule}); {why}.")
    elif t >= comp.horizon:
        m.say(f"{_pact(res, p).capitalize()} enters into force only after the horizon of {comp.horizon} {comp.period}s, "
              "so it is never tested.", at=comp.horizon + 0.5)  # fmt: skip
    else:
        m.say(f"{_when(t).capitalize()}: {_pact(res, p)} enters into force (entry rule {comp.entry_rule}); "
              f"compliance is checked from period {t + 1}.", at=t + 0.5)  # fmt: skip


def _pact(res: RatificationResult, p: int) -> str:
    return "the pact" if len(res.signed) == 1 else f"pact {p + 1}"


def _when(t: int) -> str:
    return "at signature" if t == 0 else f"period {t}"


def _when_vote(t: int, horizon: int) -> str:
    return "after the horizon" if t > horizon else _when(t)

"""The negotiation phase: agenda, rounds, votes, concessions, walk-outs.

The agenda is a list of packages (groups of issues). ``grand_bargain`` puts every issue in
one package (or one package per front, central first, when the central-front cascade is on);
``baby_steps`` (004) takes the issues one at a time, easiest first, and each agreed step raises
trust between the parties. A failed package ends the talks. Within a package, each round the
mediator proposes, the parties vote under their rules (multilateral: all at once; shuttle:
stage by stage, stopping at the first refusal), those who refused concede by their shape, and
actors past their patience may walk out. ``parallel`` sequencing runs one bilateral
negotiation between the counterpart and each other signatory state at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from negsim.model import holdout, proposals, rules
from negsim.model.concession import CATEGORICAL, aspiration, best_gain, conceded, reservation
from negsim.model.events import fire_round
from negsim.model.holdout import Holdout, veto_players
from negsim.model.ratification import legislatures, winset_floor
from negsim.model.valuation import (
    RED_LINE_TOL,
    contributions,
    delivery_weights,
    deterred_share,
    expected_delivery,
    pact_thresholds,
    pinned_issues,
    red_line_bounds,
)


@dataclass
class Veto:
    """Why a package was refused: who, on which issue, under which rule, for what reason."""

    actor: str = ""
    issue: str = ""
    rule: str = ""
    party: str = ""
    reason: str = ""  # red_line | below_threshold | below_aspiration | outside_win_set | holdout | not_positive


@dataclass
class TalksResult:
    """What the talks produced."""

    end_cause: str = "deadlock"  # agreement | veto | deadlock | walkout
    rounds: int = 0
    x: np.ndarray = None  # P x K agreed levels, one row per pact (1 row unless parallel)
    agreed: np.ndarray = None  # P x K which issues each pact settled
    pairs: np.ndarray = None  # P x N pact membership
    veto: Veto = field(default_factory=Veto)
    walkout_actor: str = ""
    walkout_cause: str = ""  # substance (no proposal reached its no-deal value) | ""
    counterpart_left: bool = False  # parallel talks: the counterpart walked out of every talk, so the agenda stops
    packages_agreed: int = 0
    packages: int = 0
    holdout: Holdout = field(default_factory=Holdout)
    transfers: np.ndarray = None  # P x N side payments received in each pact (paid: negative), part of its value
    delay: np.ndarray = None  # N how far delay had lowered each state's no-deal value when it last agreed a package

    @property
    def reached(self) -> bool:
        """True when at least one pact settled at least one issue."""
        return bool(self.agreed.any())


def agenda(comp, world) -> list[np.ndarray]:
    """The packages to negotiate, in order."""
    k = comp.k
    fronts = comp.fronts
    if comp.agenda == "baby_steps":
        central_first = [0 if (comp.cascade_from and fronts[j] in (comp.cascade_from, "all")) else 1 for j in range(k)]
        order = sorted(range(k), key=lambda j: (central_first[j] if comp.cascade_from else 0, world.difficulty[j], j))
        return reciprocal_steps(comp, order)
    if comp.cascade_from:
        first = np.array([j for j in range(k) if fronts[j] in (comp.cascade_from, "all")], dtype=int)
        rest = []
        for f in ("central", "arctic_baltic", "black_sea_caucasus"):
            if f == comp.cascade_from:
                continue
            idx = np.array([j for j in range(k) if fronts[j] == f], dtype=int)
            if len(idx):
                rest.append(idx)
        return ([first] if len(first) else []) + rest
    return [np.arange(k)]


def reciprocal_steps(comp, order: list[int]) -> list[np.ndarray]:
    """Baby steps as GRIT's reciprocated moves (Osgood 1962; 004's confidence building): each step pairs a move by each side.

    Taking the issues in ``order`` (easiest first), an issue that every party owes (mutual) is a step of its own;
    any other is paired with the next issue owed by other parties only, so neither side moves alone; an issue
    left without a partner stands alone.
    """
    owed_by = [frozenset(comp.party_of[comp.obligor[j]].tolist()) for j in range(comp.k)]
    left, steps = list(order), []
    while left:
        j = left.pop(0)
        mate = None
        if not comp.mutual[j]:
            mate = next((q for q in left if not comp.mutual[q] and not (owed_by[q] & owed_by[j])), None)
        if mate is not None:
            left.remove(mate)
            steps.append(np.array(sorted((j, mate), key=order.index)))
        else:
            steps.append(np.array([j]))
    return steps


def raise_trust(trust: np.ndarray, members: np.ndarray, gain: float) -> None:
    """Move trust among ``members`` a share ``gain`` of the way to 1 (confidence building)."""
    if gain <= 0 or len(members) < 2:
        return
    sub = np.ix_(members, members)
    trust[sub] += gain * (1.0 - trust[sub])
    np.fill_diagonal(trust, 1.0)


def negotiate(m):
    """The negotiation phase on model ``m`` (a :class:`~negsim.model.model.NegotiationModel`), as a generator.

    It yields ``("round", n)`` before round n of the talks (counted over every package), so the
    model drives the talks round by round (its ``step()`` counts the round, then lets it run);
    it returns the :class:`TalksResult`.
    """
    comp, world = m.comp, m.world
    packages = agenda(comp, world)
    if comp.sequencing == "parallel":
        partners = np.array([i for i in range(comp.n) if comp.signatory[i] and i != comp.counterpart], dtype=int)
        pairs = np.zeros((len(partners), comp.n), bool)
        pairs[np.arange(len(partners)), partners] = True
        pairs[:, comp.counterpart] = True
    else:
        pairs = comp.signatory[None, :].copy()
    res = TalksResult(
        x=np.zeros((len(pairs), comp.k)),
        agreed=np.zeros((len(pairs), comp.k), bool),
        pairs=pairs,
        packages=len(packages),
        transfers=np.zeros((len(pairs), comp.n)),
        delay=np.zeros(comp.n),
    )
    alive = np.ones(len(pairs), bool)
    bonus = 0.0  # cascade softening, applied to peripheral-front packages once the source front is settled
    source_front = np.array([f in (comp.cascade_from, "all") for f in comp.fronts]) if comp.cascade_from else None
    cascaded = False
    for n_pkg, pkg in enumerate(packages):
        labels = ", ".join(comp.issues[j] for j in pkg)
        m.say(f"Package {n_pkg + 1}/{len(packages)}: {labels}.")
        if m.tracing:
            _say_scales(m, pkg)
        peripheral = source_front is not None and not source_front[pkg].any()
        pkg_bonus = bonus if peripheral else 0.0
        if comp.sequencing == "parallel":
            ok = yield from _parallel_package(m, pkg, pkg_bonus, res, alive)
        else:
            ok = np.array([(yield from _multilateral_package(m, pkg, pkg_bonus, res))])
        alive &= ok
        if not alive.any():
            break
        res.packages_agreed += 1
        members = np.flatnonzero(pairs[alive].any(0))
        if comp.agenda == "baby_steps":
            raise_trust(world.trust, members, world.scal["step_trust_gain"])
        settled = source_front is not None and source_front.any() and res.agreed[alive][:, source_front].all()
        if settled and not cascaded:  # a source front with no issue in play never cascades
            cascaded = True
            raise_trust(world.trust, members, world.scal["cascade_trust_gain"])
            bonus = world.scal["cascade_softening"]
            m.say(f"Success on the {comp.cascade_from} front spreads: trust rises, peripheral fronts soften by {bonus:.2f}.")
        if res.counterpart_left:  # it walked out of every talk still open: the pacts agreed so far stand, nothing more is talked
            break
    if alive.any() and res.packages_agreed == len(packages) and not res.counterpart_left:
        res.end_cause = "agreement"
    return res


def _say_scales(m, pkg: np.ndarray) -> None:
    """Trace what the levels of a package's issues mean (the issue's ``meaning``, where given)."""
    declared = m.comp.scenario.issues
    for j in pkg:
        iid = m.comp.issues[j]
        scale = declared[iid].scale() if iid in declared else ""
        if scale:
            m.say(f"  {iid}: {scale}.")


def _party_bands(comp, world) -> np.ndarray:
    band = np.zeros(comp.n)
    for d in comp.deciders.values():
        if d.rule != "self":
            band[d.members] = np.maximum(band[d.members], d.param(world, "indifference"))
    return band


@dataclass
class _Table:
    """What the parties at the table of one package see: everything derived from the world, refreshed after an event."""

    pkg: np.ndarray
    stages: list
    participants: np.ndarray  # N bool
    w: np.ndarray  # N x K trust weights
    thr: np.ndarray  # N base no-deal thresholds (before delay costs)
    trust_bar: np.ndarray  # N mean trust in the other parties' states
    pos: np.ndarray  # N x K ideal points (fixed through the talks)
    sal: np.ndarray  # N x K
    lower: np.ndarray  # N x K red-line bounds
    upper: np.ndarray
    band: np.ndarray  # N indifference bands
    best: np.ndarray  # N the most each state could get from the package
    veto: np.ndarray  # N bool veto players
    parties: proposals.Parties
    penalty: np.ndarray | None
    floor: np.ndarray  # N the gain each legislature must see for the text to be inside its win-set (-inf: none)
    leg: _Legislature | None  # the legislatures with preferences of their own, as extra rows of the search
    start: np.ndarray | None = None  # the Nash search's first start, proposals.search_start (fixed while the table stands)


@dataclass
class _Legislature:
    """Legislatures with preferences of their own (``rows``, their states): extra members of their states' parties in the search.

    A legislature that shares its executive's preferences needs no row: its win-set is a floor on its executive's gain.
    """

    rows: np.ndarray  # L state indices
    pos: np.ndarray  # L x K
    sal: np.ndarray
    w: np.ndarray
    floor: np.ndarray  # L


def _own_legislatures(m, pkg: np.ndarray, floor: np.ndarray) -> _Legislature | None:
    """The ratifying legislatures at the table whose ideal points, salience or trust differ from their executive's."""
    world = m.world
    own = (~np.isnan(world.leg_pos[:, pkg])).any(1) | (~np.isnan(world.leg_sal[:, pkg])).any(1)
    own |= (~np.isnan(world.leg_trust)).any(1)
    rows = np.flatnonzero(own & np.isfinite(floor))
    if not len(rows):
        return None
    leg = legislatures(world)
    w = delivery_weights(world, m.comp, pkg, trust=leg.trust)
    return _Legislature(rows, leg.pos[np.ix_(rows, pkg)], leg.sal[np.ix_(rows, pkg)], w[rows], floor[rows])


def _extend(specs: list, rows: np.ndarray, n: int) -> list:
    """The parties' specs with each own-preference legislature added to the veto parties its state belongs to."""
    out = []
    for members, veto, wts, bd, silence in specs:
        extra = [n + li for li, i in enumerate(rows) if i in set(members.tolist())] if veto else []
        out.append((np.concatenate([members, np.array(extra, dtype=int)]) if extra else members, veto, wts, bd, silence))
    return out


def _table(m, pkg: np.ndarray, bonus: float) -> _Table:
    """Derive the table of one package from the model's world (trust, thresholds, red lines, bands, Nash weights)."""
    comp, world = m.comp, m.world
    stages = comp.stages if comp.sequencing == "shuttle" else [comp.parties]
    participants = comp.signatory.copy()
    for d in (d for st in stages for d in st):
        participants[d.members] = True
    w = delivery_weights(world, comp, pkg)
    thr = pact_thresholds(world, comp, bonus)
    other = (comp.party_of[None, :] != comp.party_of[:, None]) & participants[None, :]
    trust_bar = (world.trust * other).sum(1) / np.maximum(other.sum(1), 1)
    pos, sal = world.pos[:, pkg].copy(), world.sal[:, pkg]
    red = world.red[:, pkg]
    lower, upper = red_line_bounds(red, pos, pinned_issues(comp.frozen[:, pkg], red, comp.shape == CATEGORICAL))
    band = _party_bands(comp, world)
    specs = []
    for d in (d for st in stages for d in st):
        c = world.cap[d.members]
        wts = c / c.sum() if c.sum() > 0 else np.full(len(d.members), 1 / len(d.members))
        bd = band[d.members].max() if len(d.members) else 0.0
        specs.append((d.members, d.rule in ("self", "consensus", "unanimity"), wts, bd, d.rule == "consensus" and d.silence))
    best = best_gain(pos, sal, w, lower, upper, proposals.GRID)
    floor = np.where(participants, np.minimum(winset_floor(world, comp, pkg, thr), 1e3), -np.inf)  # two-level: Putnam
    leg = _own_legislatures(m, pkg, floor)
    if leg is not None:  # the search sees them as members of their states' parties; the votes check them apart
        floor[leg.rows] = -np.inf
        pos, sal, w = np.vstack([pos, leg.pos]), np.vstack([sal, leg.sal]), np.vstack([w, leg.w])
        lower, upper = np.vstack([lower, lower[leg.rows]]), np.vstack([upper, upper[leg.rows]])
        specs = _extend(specs, leg.rows, comp.n)
    penalty = proposals.red_line_penalty(lower, upper) if comp.proposal == "nash" else None
    return _Table(
        pkg, stages, participants, w, thr, trust_bar, pos, sal, lower, upper, band, best, veto_players(comp, stages),
        proposals.Parties(specs, len(pos)), penalty, floor, leg,
    )  # fmt: skip


@dataclass
class _Votes:
    """The votes on one proposal: gains, red-line crossings, who accepts, objects or holds out."""

    x: np.ndarray
    contrib: np.ndarray  # N x K
    gain: np.ndarray  # N
    asp: np.ndarray  # N what each asked for this round
    res: np.ndarray  # N its no-deal value this round
    viol_k: np.ndarray  # N x K
    viol: np.ndarray  # N
    hold: np.ndarray  # N holding out for a payment
    accept: np.ndarray
    object_: np.ndarray
    outside: np.ndarray  # N outside its legislature's win-set (it would accept on its own lights)
    slack: np.ndarray  # N how far the text clears its legislature's win-set (inf: no vote); a side payment it makes comes off it


def _votes(t: _Table, x: np.ndarray, asp: np.ndarray, res: np.ndarray, lag: np.ndarray) -> _Votes:
    """Each state's vote on package x.

    It accepts when x gives it what it asks for this round, crosses none of its red lines, and lies
    inside its legislature's win-set (two-level: the executive anticipates its legislature). ``lag``
    (N) is how far delay has lowered each state's no-deal value this round: its legislature's too.
    """
    n = len(asp)
    contrib = contributions(x, t.pos[:n], t.sal[:n], t.w[:n])
    gain = contrib.sum(1)
    viol_k = (x[None, :] < t.lower[:n] - RED_LINE_TOL) | (x[None, :] > t.upper[:n] + RED_LINE_TOL)
    viol = viol_k.any(1)
    own = gain >= asp - 1e-12
    slack = np.where(np.isfinite(t.floor), gain - (t.floor - lag), np.inf)
    if t.leg is not None:
        leg_gain = contributions(x, t.leg.pos, t.leg.sal, t.leg.w).sum(1)
        slack[t.leg.rows] = leg_gain - (t.leg.floor - lag[t.leg.rows])
    outside = slack < -1e-12
    accept = own & ~viol & ~outside
    # under a silence procedure a state whose gain is inside the indifference band stays silent, unless the text
    # leaves it more than the band short of its no-deal value; it stays silent even when its legislature would
    # reject the text: the search drops it too (docs/model.md, section 4, item 11), and the legislature may then
    # refuse to ratify what its executive let pass (an involuntary defection: Putnam)
    object_ = ~accept & (viol | (np.abs(gain) > t.band) | (gain < res - t.band))
    outside &= own & ~viol  # the reason only when the legislature alone stands in the way
    return _Votes(x, contrib, gain, asp, res, viol_k, viol, np.zeros(n, bool), accept, object_, outside, slack)


def _why(comp, i: int, t: _Table, v: _Votes) -> tuple[str, str]:
    """The reason state i refused and the issue it refused on."""
    if v.hold[i]:
        return "holdout", comp.issues[t.pkg[int(np.argmin(v.contrib[i]))]]
    if v.viol[i]:
        return "red_line", comp.issues[t.pkg[int(np.flatnonzero(v.viol_k[i])[0])]]
    j = int(np.argmin(v.contrib[i]))
    if v.outside[i]:
        return "outside_win_set", comp.issues[t.pkg[j]]
    if not v.object_[i]:
        return "not_positive", comp.issues[t.pkg[j]]
    return ("below_threshold" if v.gain[i] < v.res[i] else "below_aspiration"), comp.issues[t.pkg[j]]


@dataclass
class _Refusal:
    """A round's refusal: the decider that said no, the members whose votes made it, and the votes."""

    failed: object
    blockers: np.ndarray
    votes: _Votes


def _decisive(comp, t: _Table, refusal: _Refusal) -> tuple[int, str, str, Veto]:
    """The refusing member that decided a refusal (red lines first, holdouts last), its reason and issue."""
    v, blk, failed = refusal.votes, refusal.blockers, refusal.failed
    i = int(blk[np.argmin(v.gain[blk] - v.asp[blk] - 10 * v.viol[blk] + 20 * v.hold[blk])])
    reason, issue = _why(comp, i, t, v)
    return i, reason, issue, Veto(comp.codes[i], issue, failed.rule if failed.rule != "self" else "party", failed.name, reason)


def _multilateral_package(m, pkg: np.ndarray, bonus: float, res: TalksResult) -> bool:
    """Negotiate one package among all parties at once (or stage by stage under shuttle sequencing)."""
    comp = m.comp
    t = _table(m, pkg, bonus)
    played, outcome, votes, refusal, walker = yield from _rounds(m, t, bonus, res)
    if outcome == "agreed":
        if refusal is not None:  # the last refusal of this package is kept
            res.veto = _decisive(comp, t, refusal)[3]
        res.x[0, pkg] = votes.x
        res.agreed[0, pkg] = True
        # members of a bilateral body sign only for themselves: once the text is settled, bargaining is over
        # and each signs if it beats its no-deal value
        signs = (votes.gain >= votes.res) & ~votes.viol & ~votes.outside & (votes.gain >= t.floor - res.delay - 1e-12)
        for d in comp.parties:
            if d.rule == "bilateral":
                res.pairs[0, d.members[~signs[d.members]]] = False
        m.say(f"Round {played}: all parties accept; package agreed (month {m.month:g} of the talks).")
        return True
    if outcome == "walkout":
        res.end_cause = "walkout"
        res.walkout_actor = comp.codes[walker]
        res.walkout_cause = "substance"
        res.veto = Veto(comp.codes[walker], _decisive(comp, t, refusal)[2], "walkout", comp.codes[walker], "walkout")
        m.say(f"Round {played}: {comp.codes[walker]} walks out of the talks (no proposal reached its no-deal value).")
        return False
    res.veto = _decisive(comp, t, refusal)[3]
    m.say(f"No agreement after {comp.max_rounds} rounds; the last refusal stands (veto by {res.veto.actor}).")
    # a body's member blocking, a red line or a hold-up is a veto; a gap between states not closed in time is a deadlock
    hard = res.veto.reason in ("red_line", "holdout") or res.veto.rule not in ("party", "")
    res.end_cause = "veto" if hard else "deadlock"
    return False


class _Pace:
    """Each state's concession so far (the share F of the way from its best to its no-deal value) and its demands."""

    def __init__(self, n: int):
        self.f = np.zeros(n)
        self.others_last = np.zeros(n)  # the mean rise of the other participants' F last round
        self.floor = np.full(n, -np.inf)  # a holdout's demand the next proposal must meet (linked concession)
        self.fails = np.zeros(n, int)  # rounds each state found the proposal below its no-deal value

    def advance(self, m, t: _Table, r: int) -> None:
        """Concede for round r by each state's shape (reciprocal states answer the others' last moves)."""
        comp, world = m.comp, m.world
        f = conceded(m.shape, world.rate, r, comp.max_rounds, t.trust_bar, self.f, self.others_last)
        rise = np.where(t.participants, f - self.f, 0.0)
        n_others = np.maximum(t.participants.sum() - t.participants, 1)
        self.others_last = (rise.sum() - rise) / n_others
        self.f = f


def _rounds(m, t: _Table, bonus: float, res: TalksResult):
    """The rounds of one package: propose, vote, hold out or buy off, concede, walk out.

    Returns (rounds played, outcome, the last votes, the last refusal or None, the walker or -1);
    outcome "agreed", "walkout" or "exhausted". A generator: see :func:`negotiate`.
    """
    comp, world, rng = m.comp, m.world, m.rng
    pace = _Pace(comp.n)
    refusal, votes = None, None
    for r in range(1, comp.max_rounds + 1):
        yield "round", m.rounds + 1  # a step of the model's calendar: it counts the round, then the round runs
        res.rounds += 1
        if comp.round_events and fire_round(m, m.rounds):  # the world changed mid-talks: the table is derived again
            t = _table(m, t.pkg, bonus)
        pace.advance(m, t, r)
        res_r = reservation(t.thr, world.threat, world.scal["delay_cost"], r, comp.round_months)
        asp = aspiration(t.best, res_r, pace.f)
        if r < comp.max_rounds:  # holdouts' demands stand until the last round, when they give way or lose the deal
            asp = np.maximum(asp, pace.floor)
        lag = t.thr - res_r  # delay lowers the no-deal value of the state, its legislature's as well as its executive's
        x = _propose(m, t, np.maximum(asp, t.floor - lag), lag)
        if comp.mediator >= 0:  # the mediator's aspiration shapes its text; it then signs what beats its no-deal value
            asp = asp.copy()
            asp[comp.mediator] = res_r[comp.mediator]
        votes = _votes(t, x, asp, res_r, lag)
        if comp.anticipate and _first_refusal(comp, t.stages, votes, world) is not None:
            x, found, lam = _anticipate(m, t, x, np.maximum(asp, t.floor - lag), asp, res_r, lag)
            if found is not None:
                votes = found
                if m.tracing:
                    m.say(
                        f"Round {r}: every party would refuse the compromise; the mediator moves it {lam:.0%} of the way to the Nash text."
                    )
        if m.tracing:
            _say_round(m, t, r, votes)
        paid = _hold_up(m, t, votes, pace, res, r)
        failed = _first_refusal(comp, t.stages, votes, world)
        if failed is None:
            _settle(m, votes, pace, paid, res, r)
            res.delay = np.where(t.participants, lag, res.delay)
            return r, "agreed", votes, refusal, -1
        refusal = _Refusal(failed, rules.blockers(failed, votes.accept, votes.object_), votes)
        if m.tracing:
            i, reason, issue, _ = _decisive(comp, t, refusal)
            who = ", ".join(comp.codes[j] for j in refusal.blockers[:8]) + (" ..." if len(refusal.blockers) > 8 else "")
            m.say(f"Round {r}: {failed.name} refuses under its {failed.rule if failed.rule != 'self' else 'own'} rule; "
                  f"decisive: {comp.codes[i]} ({_refusal(reason, issue, votes.gain[i], votes.asp[i])}). Refusing: {who}.")  # fmt: skip
        pace.fails[t.participants & (votes.viol | (votes.gain < res_r))] += 1
        walk = t.participants & (pace.fails >= comp.walk_after) & (rng.random(comp.n) < world.walk_hazard)
        if walk.any():
            return r, "walkout", votes, refusal, int(np.flatnonzero(walk)[0])
    return comp.max_rounds, "exhausted", votes, refusal, -1


def _first_refusal(comp, stages, v: _Votes, world):
    """The first decider to refuse, stage by stage (None: every party accepts)."""
    for st in stages:
        failed = next((d for d in st if not rules.decide(d, v.accept, v.object_, world)), None)
        if failed is not None:
            return failed
    return None


def _hold_up(m, t: _Table, v: _Votes, pace: _Pace, res: TalksResult, r: int) -> tuple[int, np.ndarray | None]:
    """Veto players that would accept hold out when it pays; the payer buys off what it can (see :mod:`holdout`).

    The payer pays the smallest demands first, as far as its surplus goes. An unpaid holdout refuses, and the
    next text must meet its demand on the issues (its demand floor); in the last round, with no text to come,
    it gives way rather than lose the deal. Updates the votes. Returns (payer, N payments): (-1, None) if nobody is paid.
    """
    comp, world = m.comp, m.world
    demand = holdout.demands(world.spoiler, t.best, v.gain)
    delay = world.scal["delay_cost"] * world.threat * comp.round_months  # a round's months of delay
    veto = t.veto & t.participants
    if comp.mediator >= 0:
        veto[comp.mediator] = False  # the mediator writes the text: its interests are in it already
    if not holdout.holdouts(veto, v.accept, demand, delay).any():  # the allies' pressure only adds to the cost
        return -1, None
    cost = holdout.pressure(comp.allies, world.cap, world.cohesion, v.accept) + delay
    hold = holdout.holdouts(veto, v.accept, demand, cost)
    if not hold.any():
        return -1, None
    big = int(np.flatnonzero(hold)[np.argmax(demand[hold])])
    if res.holdout.actor == "" or demand[big] >= res.holdout.demand:
        res.holdout = Holdout(comp.codes[big], round(float(demand[big]), 6))
    # a payer gives up to its whole surplus over no deal, and no more than keeps the text inside its legislature's
    # win-set: a side payment counts in its legislature's margin (docs/model.md 3.8), so paying more would sign
    # what its legislature then rejects
    spare = np.where(v.accept, np.minimum(v.gain - v.res, v.slack), -np.inf)
    who = holdout.payer(comp.mediator, hold, spare, t.participants)
    paid = np.zeros(comp.n, bool)
    if who >= 0:
        budget = spare[who]
        for i in np.flatnonzero(hold)[np.argsort(demand[hold], kind="stable")]:
            if demand[i] <= budget:
                paid[i], budget = True, budget - demand[i]
    unpaid = hold & ~paid
    if paid.any():
        m.say(
            f"Round {r}: {_codes(comp, paid)} hold(s) out for {demand[paid].sum():.3f}; {comp.codes[who]} offers it as a side payment."
        )
    if unpaid.any() and r == comp.max_rounds:
        m.say(f"Round {r}: {_codes(comp, unpaid)} give(s) way: nobody can pay, and there is no round left to hold out for.")
        if big in np.flatnonzero(unpaid):
            res.holdout.how = "gave_way"
    elif unpaid.any():
        v.hold = unpaid
        v.accept = v.accept & ~unpaid
        v.object_ = v.object_ | unpaid
        pace.floor[unpaid] = v.gain[unpaid] + demand[unpaid]  # the next text must give them their demand on the issues
        m.say(f"Round {r}: {_codes(comp, unpaid)} hold(s) out, demanding {demand[unpaid].sum():.3f} more; nobody can pay it.")
    return (who, np.where(paid, demand, 0.0)) if paid.any() else (-1, None)


def _settle(m, v: _Votes, pace: _Pace, paid: tuple[int, np.ndarray], res: TalksResult, r: int) -> None:
    """Record how the package's holdouts were bought off: a side payment this round, or a linked concession met on the issues."""
    comp = m.comp
    who, pay = paid
    h = res.holdout
    if who >= 0:
        total = float(pay.sum())
        res.transfers[0] += pay  # one pact: the multilateral table
        res.transfers[0, who] -= total
        if pay[comp.idx[h.actor]] > 0:
            h.bought_off, h.how, h.price, h.payer = True, "side_payment", round(total, 6), comp.codes[who]
            return
    met = np.isfinite(pace.floor) & v.accept
    if met.any() and h.actor and not h.bought_off and h.how != "gave_way":
        h.bought_off, h.how, h.price = True, "linked_concession", h.demand
        m.say(f"Round {r}: the package now meets {_codes(comp, met)}'s demand on the issues (a linked concession).")


def _codes(comp, mask: np.ndarray) -> str:
    return ", ".join(comp.codes[i] for i in np.flatnonzero(mask))


def _say_round(m, t: _Table, r: int, v: _Votes) -> None:
    """Trace the proposal and what the parties asked for this round."""
    comp = m.comp
    who = "mediator " + comp.codes[comp.mediator] if comp.mediator >= 0 else "table"
    m.say(f"Round {r}: the {who} proposes {_fmt_x(comp, t.pkg, v.x)}.")


def _propose(m, t: _Table, asp: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """The mediator's (or the table's) text for this round, against each state's aspiration and its legislature's win-set."""
    comp, world = m.comp, m.world
    if comp.proposal == "nash":
        x = _nash_text(m, t, asp, lag)
    else:
        x = proposals.compromise(t.pos[: comp.n], t.sal[: comp.n], world.cap, t.participants)
    pos = t.pos
    b = world.scal["mediator_bias"]
    if comp.mediator >= 0 and b > 0:
        x = (1 - b) * x + b * pos[comp.mediator]
    return x


def _nash_text(m, t: _Table, asp: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """The Nash bargaining text at this round's aspirations (own-preference legislatures as members of the search)."""
    world = m.world
    cap, mask, thr, nodeal = world.cap, t.participants, asp, t.thr - lag  # nodeal: each state's no-deal value this round
    if t.leg is not None:  # legislatures with their own lights are members of the search, with no weight in its start
        extra = len(t.leg.rows)
        cap, mask = np.concatenate([cap, np.zeros(extra)]), np.concatenate([mask, np.zeros(extra, bool)])
        thr = np.concatenate([asp, t.leg.floor - lag[t.leg.rows]])
        nodeal = np.concatenate([nodeal, nodeal[t.leg.rows]])
    if t.start is None:
        t.start = proposals.search_start(t.pos, t.sal, mask)
    return proposals.nash_multistart(
        t.pos, t.sal, cap, mask, w=t.w, thr=thr, lower=t.lower, upper=t.upper, parties=t.parties, penalty=t.penalty,
        start=t.start, nodeal=nodeal,
    )  # fmt: skip


#: how far along the way from the compromise to the Nash text an anticipating proposer looks, in order
ANTICIPATION_STEPS = np.linspace(0.1, 1.0, 10)


def _anticipate(m, t: _Table, x0: np.ndarray, ask: np.ndarray, asp, res_r, lag) -> tuple[np.ndarray, _Votes | None, float]:
    """A proposer who anticipates acceptance: the refused compromise ``x0`` moves toward the Nash text just far enough.

    The mediator knows the positions, aspirations and win-sets at the table (a formulator, in
    Zartman and Touval's sense): it offers the first text on the way from its compromise to the
    Nash bargaining text (which weighs what each party accepts) that every party accepts at this
    round's aspirations and every executive's legislature would ratify (a text that passes only
    by a state's silence is not offered), and keeps its compromise when none does. Returns (text, its votes, the
    share of the way) or (x0, None, 0).
    """
    target = _nash_text(m, t, ask, lag)
    for lam in ANTICIPATION_STEPS:
        x = x0 + lam * (target - x0)
        v = _votes(t, x, asp, res_r, lag)
        ratifies = not (t.participants & (v.gain < t.floor - lag - 1e-12)).any()  # no silent pass of an unratifiable text
        if ratifies and _first_refusal(m.comp, t.stages, v, m.world) is None:
            return x, v, float(lam)
    return x0, None, 0.0


def _fmt_x(comp, pkg, x) -> str:
    return ", ".join(f"{comp.issues[j]}={v:.2f}" for j, v in zip(pkg, x, strict=True))


@dataclass
class _Bilateral:
    """The parallel bilateral talks on one package: the counterpart c (``_c``) and one row per partner (``_p``)."""

    partners: np.ndarray
    x: np.ndarray  # npairs x K: each pair's text, the compromise of the two (positions stay fixed)
    g_c: np.ndarray  # npairs: the counterpart's gain from each pair's text
    g_p: np.ndarray
    v_c: np.ndarray  # npairs: the text crosses the counterpart's (a partner's) red lines
    v_p: np.ndarray
    best_c: np.ndarray  # npairs: the most each side could get
    best_p: np.ndarray
    thr_c: float
    thr_p: np.ndarray
    trust_c: np.ndarray  # npairs: the counterpart's trust in each partner, and each partner's in it
    trust_p: np.ndarray
    contrib_c: np.ndarray  # npairs x K
    contrib_p: np.ndarray
    floor_c: float  # the gain the counterpart's (each partner's) legislature needs: its win-set (-inf: no vote)
    floor_p: np.ndarray
    leg_c: np.ndarray  # npairs: the counterpart's legislature's gain from each pair's text, on its own lights
    leg_p: np.ndarray  # npairs: each partner's legislature's gain, on its own lights


def _bilateral(m, pkg: np.ndarray, bonus: float, res: TalksResult) -> _Bilateral:
    """Derive one bilateral negotiation per (counterpart, partner) pair: each pair's text, gains, red lines and bests.

    A separate pact outside the alliance's common position costs a partner its cohesion (000).
    """
    comp, world = m.comp, m.world
    c = comp.counterpart
    partners = np.array([int(np.flatnonzero(row & (np.arange(comp.n) != c))[0]) for row in res.pairs])
    deter = deterred_share(world, comp)[pkg]  # K' x N: per obligor
    w_c, w_p = _pair_weights(world, comp, pkg, partners, world.trust, deter)
    thr_all = pact_thresholds(world, comp, bonus)  # a partner pays its cohesion
    floor = np.minimum(winset_floor(world, comp, pkg, thr_all), 1e3)  # two-level: Putnam
    pos_c = np.repeat(world.pos[c, pkg][None, :], len(partners), 0)
    pos_p = world.pos[np.ix_(partners, pkg)]
    sal_c, sal_p = np.repeat(world.sal[c, pkg][None, :], len(partners), 0), world.sal[np.ix_(partners, pkg)]
    red = world.red[:, pkg]
    lo_all, up_all = red_line_bounds(red, world.pos[:, pkg], pinned_issues(comp.frozen[:, pkg], red, comp.shape == CATEGORICAL))
    lo_c, up_c = np.repeat(lo_all[[c]], len(partners), 0), np.repeat(up_all[[c]], len(partners), 0)
    lo_p, up_p = lo_all[partners], up_all[partners]
    wc, wp = world.cap[c] * sal_c, world.cap[partners][:, None] * sal_p
    den = wc + wp
    x = np.where(den > 0, (wc * pos_c + wp * pos_p) / np.where(den > 0, den, 1), 0.0)
    bias = world.scal["mediator_bias"]
    if comp.mediator >= 0 and bias > 0:
        x = (1 - bias) * x + bias * world.pos[comp.mediator, pkg][None, :]
    contrib_c, contrib_p = contributions(x, pos_c, sal_c, w_c), contributions(x, pos_p, sal_p, w_p)
    return _Bilateral(
        partners, x, contrib_c.sum(1), contrib_p.sum(1),
        ((x < lo_c - RED_LINE_TOL) | (x > up_c + RED_LINE_TOL)).any(1), ((x < lo_p - RED_LINE_TOL) | (x > up_p + RED_LINE_TOL)).any(1),
        best_gain(pos_c, sal_c, w_c, lo_c, up_c, proposals.GRID), best_gain(pos_p, sal_p, w_p, lo_p, up_p, proposals.GRID),
        thr_all[c], thr_all[partners], world.trust[c, partners], world.trust[partners, c],
        contrib_c, contrib_p, floor[c], floor[partners], *_pair_legislature_gains(m, pkg, partners, x, deter),
    )  # fmt: skip


def _pair_weights(world, comp, pkg: np.ndarray, partners: np.ndarray, trust: np.ndarray, deter: np.ndarray):
    """(npairs x K', npairs x K'): what the counterpart and each partner expect delivered of each issue, by ``trust``.

    A pair's mutual pledge is owed by the other side of the pair alone; every other issue by its obligors.
    """
    c = comp.counterpart
    mutual = comp.mutual[pkg]
    wg = delivery_weights(world, comp, pkg, trust=trust)
    w_c = np.where(mutual[None, :], expected_delivery(trust[c, partners][:, None], deter[:, partners].T), wg[c][None, :])
    w_p = np.where(mutual[None, :], expected_delivery(trust[partners, c][:, None], deter[:, c][None, :]), wg[partners])
    return w_c, w_p


def _pair_legislature_gains(m, pkg: np.ndarray, partners: np.ndarray, x: np.ndarray, deter: np.ndarray):
    """(npairs, npairs): the counterpart's and each partner's legislature's gain from each pair's text, on its own lights.

    As :func:`_bilateral` values the text for the executives, with the legislatures' ideal points, salience and trust.
    """
    comp, world = m.comp, m.world
    c = comp.counterpart
    leg = legislatures(world)
    w_c, w_p = _pair_weights(world, comp, pkg, partners, leg.trust, deter)
    pos_c, sal_c = leg.pos[c, pkg][None, :], leg.sal[c, pkg][None, :]
    gain_c = contributions(x, pos_c, sal_c, w_c).sum(1)
    gain_p = contributions(x, leg.pos[np.ix_(partners, pkg)], leg.sal[np.ix_(partners, pkg)], w_p).sum(1)
    return gain_c, gain_p


class _PairPace:
    """Each side's concession so far in each pair's talks (the share F of the way to its no-deal value)."""

    def __init__(self, npairs: int):
        self.f_c, self.f_p = np.zeros(npairs), np.zeros(npairs)

    def advance(self, m, b: _Bilateral, r: int) -> None:
        """Concede for round r by each side's shape (a reciprocal side answers the other's last move in its pair)."""
        comp, world = m.comp, m.world
        c, p, T = comp.counterpart, b.partners, comp.max_rounds
        shape_c, rate_c = np.full(len(p), m.shape[c]), np.full(len(p), world.rate[c])
        f_c0 = conceded(shape_c, rate_c, r, T, b.trust_c, self.f_c, 0.0)
        f_p0 = conceded(m.shape[p], world.rate[p], r, T, b.trust_p, self.f_p, 0.0)
        last_c, last_p = f_c0 - self.f_c, f_p0 - self.f_p  # this round's pace, before answering the other side
        self.f_c = conceded(shape_c, rate_c, r, T, b.trust_c, self.f_c, last_p)
        self.f_p = conceded(m.shape[p], world.rate[p], r, T, b.trust_p, self.f_p, last_c)


def _parallel_package(m, pkg: np.ndarray, bonus: float, res: TalksResult, alive: np.ndarray) -> np.ndarray:
    """One bilateral negotiation per (counterpart, partner) pair, vectorised over pairs.

    Each pair's text is the compromise of its two states (capability- and salience-weighted); a pair
    signs in the first round its text gives both sides what they ask for (:mod:`negsim.model.concession`).
    """
    comp, world = m.comp, m.world
    c = comp.counterpart
    b = _bilateral(m, pkg, bonus, res)
    partners, npairs = b.partners, len(b.partners)
    open_ = alive.copy()
    ok = np.zeros(npairs, bool)
    fails_c, fails_p = np.zeros(npairs, int), np.zeros(npairs, int)
    walked = np.zeros(npairs, bool)  # pairs whose talk a walk-out closed (either side)
    first_walk = None  # (pair, its walker's worst issue) of the first walk-out in this package
    pace = _PairPace(npairs)
    for r in range(1, comp.max_rounds + 1):
        if not open_.any():
            break
        yield "round", m.rounds + 1
        res.rounds = max(res.rounds, r)
        if comp.round_events and fire_round(m, m.rounds):
            b = _bilateral(m, pkg, bonus, res)
        pace.advance(m, b, r)
        delay = world.scal["delay_cost"]
        res_c = reservation(b.thr_c, world.threat[c], delay, r, comp.round_months)
        res_p = reservation(b.thr_p, world.threat[partners], delay, r, comp.round_months)
        lag_c, lag_p = b.thr_c - res_c, b.thr_p - res_p  # delay lowers the legislatures' no-deal values too
        acc_c = (b.g_c >= aspiration(b.best_c, res_c, pace.f_c) - 1e-12) & ~b.v_c & (b.leg_c >= b.floor_c - lag_c - 1e-12)
        acc_p = (b.g_p >= aspiration(b.best_p, res_p, pace.f_p) - 1e-12) & ~b.v_p & (b.leg_p >= b.floor_p - lag_p - 1e-12)
        held_c, held_p = _pair_hold_ups(m, b, r, open_ & acc_c & acc_p, res_c, res_p, res)
        acc_c, acc_p = acc_c & ~held_c, acc_p & ~held_p
        done = open_ & acc_c & acc_p
        if done.any():
            res.delay[c] = b.thr_c - res_c
            res.delay[partners[done]] = (b.thr_p - res_p)[done]
            res.x[np.ix_(done, pkg)] = b.x[done]
            res.agreed[np.ix_(done, pkg)] = True
            ok |= done
            open_ &= ~done
            if m.tracing:
                m.say(f"Round {r}: {comp.codes[c]} signs with {', '.join(comp.codes[p] for p in partners[done])}.")
        refuse_c, refuse_p = open_ & ~acc_c, open_ & ~acc_p
        if m.tracing and not done.any() and open_.any():
            m.say(f"Round {r}: no pact agreed; of the {int(open_.sum())} pairs still talking, {comp.codes[c]} refuses "
                  f"{int(refuse_c.sum())} texts and its partners {int(refuse_p.sum())}.")  # fmt: skip
        if (refuse_c | refuse_p).any():
            j = int(np.flatnonzero(refuse_c | refuse_p)[0])
            res.veto = _bilateral_refusal(m, b, pkg, j, refuse_c, res_c, res_p, held_c | held_p)
        fails_c += open_ & (b.v_c | (b.g_c < res_c))
        fails_p += open_ & (b.v_p | (b.g_p < res_p))
        before = open_.copy()
        left = _bilateral_walkouts(m, b, r, open_, fails_c, fails_p, res)
        gone = before & ~open_
        if gone.any() and (first_walk is None or left):  # the counterpart's walk-out is the one that ends the talks
            j = int(np.flatnonzero(gone)[0])
            walker, worst = (c, b.contrib_c[j]) if left else (partners[j], b.contrib_p[j])
            first_walk = (
                comp.codes[walker],
                comp.issues[pkg[int(np.argmin(worst))]],
                f"{comp.codes[c]}-{comp.codes[partners[j]]}",
            )
        walked |= gone
        if left:
            res.counterpart_left = True
            break
    if res.counterpart_left or (not ok.any() and walked.any() and walked[alive].all()):  # every open talk ended in a walk-out
        res.end_cause = "walkout"
        actor, issue, pair = first_walk
        res.veto = Veto(actor, issue, "walkout", pair, "walkout")
        res.walkout_actor, res.walkout_cause = actor, "substance"
    elif not ok.any():
        res.end_cause = "veto" if res.veto.reason == "red_line" else "deadlock"
    m.say(f"Parallel talks on this package: {int(ok.sum())} of {npairs} bilateral pacts agreed.")
    return ok


def _pair_hold_ups(m, b: _Bilateral, r: int, both: np.ndarray, res_c, res_p, res: TalksResult) -> tuple[np.ndarray, np.ndarray]:
    """Hold-ups in parallel talks: a side that accepts its pair's text on the merits may hold out for a side payment.

    Each side of a pair is a veto player in it (:mod:`negsim.model.holdout`, as at a multilateral table): it asks
    its spoiler share of what the text leaves it short of its best, and holds out while that beats what holding
    costs it, a round of delay (a bilateral pact has no allies on its side to press it). The other side of the
    pair pays from its surplus over its no-deal value this round when that covers the demand, and the pair signs;
    else the holdout refuses this round (the pair's text is fixed: there is no linked concession to make) and,
    in the last round, gives way. A payer pays no more than keeps the text inside its own legislature's win-set.
    When both sides hold out neither pays. ``both`` marks the open pairs whose sides
    both accept on the merits. Returns (counterpart held out, partner held out) per pair, unpaid only.
    """
    comp, world = m.comp, m.world
    c, p = comp.counterpart, b.partners
    none = np.zeros(len(p), bool)
    if not both.any():
        return none, none
    months = world.scal["delay_cost"] * comp.round_months
    dem_c = holdout.demands(world.spoiler[c], b.best_c, b.g_c)
    dem_p = holdout.demands(world.spoiler[p], b.best_p, b.g_p)
    hold_c = both & (dem_c > months * world.threat[c]) & (c != comp.mediator)  # the mediator's text serves it already
    hold_p = both & (dem_p > months * world.threat[p]) & (p != comp.mediator)
    if not (hold_c | hold_p).any():
        return none, none
    # what each side can pay: its surplus over no deal, and no more than keeps the pair's text inside its
    # legislature's win-set (a side payment counts in its legislature's margin, as at the table)
    spare_c = np.minimum(b.g_c - res_c, b.leg_c - (b.floor_c - (b.thr_c - res_c)))
    spare_p = np.minimum(b.g_p - res_p, b.leg_p - (b.floor_p - (b.thr_p - res_p)))
    paid_c = hold_c & ~hold_p & (dem_c <= spare_p)  # the partner buys the counterpart off in that pair
    paid_p = hold_p & ~hold_c & (dem_p <= spare_c)  # the counterpart buys the partner off
    res.transfers[paid_c, c] += dem_c[paid_c]
    res.transfers[paid_c, p[paid_c]] -= dem_c[paid_c]
    res.transfers[paid_p, p[paid_p]] += dem_p[paid_p]
    res.transfers[paid_p, c] -= dem_p[paid_p]
    last = r == comp.max_rounds
    for j in np.flatnonzero(hold_c | hold_p):
        side_c = bool(hold_c[j]) and (not hold_p[j] or dem_c[j] >= dem_p[j])
        who, other, dem = (c, p[j], dem_c[j]) if side_c else (p[j], c, dem_p[j])
        paid = bool(paid_c[j] if side_c else paid_p[j])
        if res.holdout.actor == "" or round(float(dem), 6) >= res.holdout.demand:  # the largest (as recorded) hold-up
            res.holdout = Holdout(comp.codes[who], round(float(dem), 6))
            if paid:
                res.holdout.bought_off, res.holdout.how = True, "side_payment"
                res.holdout.price, res.holdout.payer = round(float(dem), 6), comp.codes[other]
            elif last:
                res.holdout.how = "gave_way"
        if not m.tracing:
            continue
        pair = f"{comp.codes[c]}-{comp.codes[p[j]]}"
        if paid:
            m.say(
                f"Round {r}: {comp.codes[who]} holds out in the {pair} talks for {dem:.3f}; {comp.codes[other]} offers it as a side payment."
            )
        elif last:
            m.say(
                f"Round {r}: {comp.codes[who]} gives way in the {pair} talks: unpaid, and there is no round left to hold out for."
            )
        else:
            m.say(
                f"Round {r}: {comp.codes[who]} holds out in the {pair} talks, demanding {dem:.3f}; {comp.codes[other]} cannot pay it."
            )
    if last:
        return none, none
    return hold_c & ~paid_c, hold_p & ~paid_p


def _bilateral_refusal(m, b: _Bilateral, pkg, j: int, refuse_c, res_c, res_p, held=None) -> Veto:
    """Why pair j's talks refused its text this round: who refused, on which issue, for what reason (``held``: a hold-up)."""
    comp = m.comp
    c = comp.counterpart
    side_c = bool(refuse_c[j])
    who = c if side_c else b.partners[j]
    viol, gain, res = (b.v_c[j], b.g_c[j], res_c) if side_c else (b.v_p[j], b.g_p[j], res_p[j])
    issue_j = int(np.argmin(b.contrib_c[j] if side_c else b.contrib_p[j]))
    floor, leg_gain = (b.floor_c, b.leg_c[j]) if side_c else (b.floor_p[j], b.leg_p[j])
    floor -= (b.thr_c - res_c) if side_c else (b.thr_p[j] - res_p[j])  # delay lowers the win-set's floor, as in acceptance
    reason = (
        "red_line"
        if viol
        else ("below_threshold" if gain < res else "outside_win_set" if leg_gain < floor else "below_aspiration")
    )
    if held is not None and held[j]:
        reason = "holdout"
    return Veto(comp.codes[who], comp.issues[pkg[issue_j]], "bilateral", f"{comp.codes[c]}-{comp.codes[b.partners[j]]}", reason)


def _bilateral_walkouts(m, b: _Bilateral, r: int, open_, fails_c, fails_p, res: TalksResult) -> bool:
    """Walk-outs after this round's refusals (``open_`` updated); True when the counterpart left every talk.

    The counterpart walks out of the talks still open once one of them has failed it ``walk_after`` times; with no
    talk left open there is nothing to walk out of.
    """
    comp, world, rng = m.comp, m.world, m.rng
    c, partners = comp.counterpart, b.partners
    if not open_.any():
        return False
    tired = (open_ & (fails_c >= comp.walk_after[c])).any()
    if world.walk_hazard[c] > 0 and tired and rng.random() < world.walk_hazard[c]:
        res.end_cause = "walkout"
        res.walkout_actor = comp.codes[c]
        res.walkout_cause = "substance"
        m.say(f"Round {r}: {comp.codes[c]} walks out of every open bilateral talk.")
        open_[:] = False
        return True
    walk_p = open_ & (fails_p >= comp.walk_after[partners]) & (rng.random(len(partners)) < world.walk_hazard[partners])
    if walk_p.any():
        if not res.walkout_actor:
            res.walkout_actor = comp.codes[partners[int(np.flatnonzero(walk_p)[0])]]
            res.walkout_cause = "substance"
        m.say(f"Round {r}: {', '.join(comp.codes[p] for p in partners[walk_p])} walk(s) out of the bilateral talks.")
    open_ &= ~walk_p
    return False


def _pct(frac: float) -> str:
    """A share of the way as text: whole per cent, one decimal below 10%, '<0.1%' for a trace of a step."""
    if frac >= 0.1:
        return f"{frac:.0%}"
    return f"{frac:.1%}" if frac >= 0.001 else "<0.1%"


def _refusal(reason: str, issue: str, gain: float, thr: float) -> str:
    """Why a state refuses, in words: a red line overrides any gain; otherwise the gain falls short of what it asks (``thr``)."""
    if reason == "red_line":
        verdict = "would otherwise clear" if gain >= thr else "is also below"
        return f"red line on {issue}: the package crosses it; its gain {gain:+.3f} {verdict} the {thr:+.3f} it needs"
    if reason == "holdout":
        return f"holding out on {issue} for a payment: the package's gain {gain:+.3f} would clear what it asked, {thr:+.3f}"
    if gain < thr:
        return f"{reason.replace('_', ' ')}, on {issue}: gain {gain:+.3f}, below the {thr:+.3f} it needs"
    return f"{reason.replace('_', ' ')}, on {issue}: gain {gain:+.3f} against the {thr:+.3f} it needs"

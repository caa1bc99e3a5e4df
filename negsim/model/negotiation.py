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

from negsim.model import proposals, rules
from negsim.model.concession import kernel_tables, step_fraction
from negsim.model.events import fire_round
from negsim.model.valuation import RED_LINE_TOL, contributions, credibility, red_line_bounds, thresholds, trust_weights


@dataclass
class Veto:
    """Why a package was refused: who, on which issue, under which rule, for what reason."""

    actor: str = ""
    issue: str = ""
    rule: str = ""
    party: str = ""
    reason: str = ""  # red_line | below_threshold | spoiler | not_positive


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
    walkout_cause: str = ""  # spoiler (the state obstructs the talks whatever they offer) | substance | ""
    packages_agreed: int = 0
    packages: int = 0

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
        return [np.array([j]) for j in order]
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


def raise_trust(trust: np.ndarray, members: np.ndarray, gain: float) -> None:
    """Move trust among ``members`` a share ``gain`` of the way to 1 (confidence building)."""
    if gain <= 0 or len(members) < 2:
        return
    sub = np.ix_(members, members)
    trust[sub] += gain * (1.0 - trust[sub])
    np.fill_diagonal(trust, 1.0)


def negotiate(m) -> TalksResult:
    """Run the whole negotiation phase on model ``m`` (a :class:`~negsim.model.model.NegotiationModel`)."""
    comp, world = m.comp, m.world
    packages = agenda(comp, world)
    # spoilers (002) decide once, before the talks, whether to obstruct them; an obstructing
    # state refuses every proposal of every package
    m.obstruct = m.rng.random(comp.n) < world.spoiler
    if m.tracing and m.obstruct.any():
        m.say(f"Spoilers set on obstructing the talks: {', '.join(comp.codes[i] for i in np.flatnonzero(m.obstruct))}.")
    if comp.sequencing == "parallel":
        partners = np.array([i for i in range(comp.n) if comp.signatory[i] and i != comp.counterpart], dtype=int)
        pairs = np.zeros((len(partners), comp.n), bool)
        pairs[np.arange(len(partners)), partners] = True
        pairs[:, comp.counterpart] = True
    else:
        pairs = comp.signatory[None, :].copy()
    res = TalksResult(
        x=np.zeros((len(pairs), comp.k)), agreed=np.zeros((len(pairs), comp.k), bool), pairs=pairs, packages=len(packages)
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
            ok = _parallel_package(m, pkg, pkg_bonus, res, alive)
        else:
            ok = np.array([_multilateral_package(m, pkg, pkg_bonus, res)])
        alive &= ok
        if not alive.any():
            break
        res.packages_agreed += 1
        members = np.flatnonzero(pairs[alive].any(0))
        if comp.agenda == "baby_steps":
            raise_trust(world.trust, members, world.scal["step_trust_gain"])
        if source_front is not None and not cascaded and res.agreed[alive][:, source_front].all():
            cascaded = True
            raise_trust(world.trust, members, world.scal["cascade_trust_gain"])
            bonus = world.scal["cascade_softening"]
            m.say(f"Success on the {comp.cascade_from} front spreads: trust rises, peripheral fronts soften by {bonus:.2f}.")
    if alive.any() and res.packages_agreed == len(packages):
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


def _votes(x, pos, sal, w, thr, lower, upper, band, spoil):
    """Each actor's vote on package x; ``lower``/``upper`` are the red-line bounds widened by the tolerance."""
    contrib = contributions(x, pos, sal, w)
    gain = contrib.sum(1)
    viol_k = (x[None, :] < lower) | (x[None, :] > upper)
    viol = viol_k.any(1)
    accept = (gain >= thr) & ~viol & ~spoil
    object_ = ~accept & (viol | spoil | (np.abs(gain) > band))
    return contrib, gain, viol_k, viol, spoil, accept, object_


def _why(comp, i, pkg, contrib, viol_k, viol, spoil, gain, thr, object_) -> tuple[str, str]:
    """The reason actor i refused and the issue it refused on."""
    if spoil[i]:
        j = int(np.argmin(contrib[i]))
        return "spoiler", comp.issues[pkg[j]]
    if viol[i]:
        j = int(np.flatnonzero(viol_k[i])[0])
        return "red_line", comp.issues[pkg[j]]
    j = int(np.argmin(contrib[i]))
    return ("below_threshold" if object_[i] else "not_positive"), comp.issues[pkg[j]]


def _decisive(comp, pkg, refusal) -> tuple[int, str, str, Veto]:
    """The refusing member that decided a refusal (red lines first, spoilers last), its reason and issue."""
    failed, blk, contrib, gain, thr, viol_k, viol, spoil, object_ = refusal
    i = int(blk[np.argmin(gain[blk] - thr[blk] - 10 * viol[blk] + 20 * spoil[blk])])
    reason, issue = _why(comp, i, pkg, contrib, viol_k, viol, spoil, gain, thr, object_)
    return i, reason, issue, Veto(comp.codes[i], issue, failed.rule if failed.rule != "self" else "party", failed.name, reason)


def _multilateral_package(m, pkg: np.ndarray, bonus: float, res: TalksResult) -> bool:
    comp, world = m.comp, m.world
    seq = comp.sequencing
    stages = comp.stages if seq == "shuttle" else [comp.parties]
    participants = np.zeros(comp.n, bool)
    for st in stages:
        for d in st:
            participants[d.members] = True
    participants |= comp.signatory
    ob = comp.obligor[pkg]
    w = trust_weights(world.trust, ob, world.scal["verification"])
    thr = thresholds(world, comp.region, bonus) + comp.bilateral_member * world.cohesion
    other = comp.party_of[None, :] != comp.party_of[:, None]
    denom = np.maximum((other & participants[None, :]).sum(1), 1)
    trust_bar = (world.trust * (other & participants[None, :])).sum(1) / denom
    pos = world.pos[:, pkg]  # a copy: written back after each concession
    sal = world.sal[:, pkg]
    lower, upper = red_line_bounds(world.red[:, pkg], m.pos0[:, pkg])
    frozen = comp.frozen[:, pkg]
    band = _party_bands(comp, world)
    nash_parties = []
    for d in (d for st in stages for d in st):
        c = world.cap[d.members]
        wts = c / c.sum() if c.sum() > 0 else np.full(len(d.members), 1 / len(d.members))
        veto = d.rule in ("self", "consensus", "unanimity")
        nash_parties.append(
            (d.members, veto, wts, band[d.members].max() if len(d.members) else 0.0, d.rule == "consensus" and d.silence)
        )
    nash_parties = proposals.Parties(nash_parties, comp.n)
    nash_penalty = proposals.red_line_penalty(lower, upper) if comp.proposal == "nash" else None
    spoil = participants & m.obstruct
    fails = np.zeros(comp.n, int)
    if proposals.KERNEL == "compiled" and not m.tracing and not comp.round_events:
        played, outcome, x, accept, refusal, walker = _rounds_kernel(
            m, pkg, stages, participants, w, thr, trust_bar, pos, sal, lower, upper, frozen, band, spoil, fails,
            nash_parties, nash_penalty,
        )  # fmt: skip
        m.rounds += played
        res.rounds += played
    else:
        played, outcome, x, accept, refusal, walker = _rounds_python(
            m, pkg, stages, participants, w, thr, trust_bar, denom, ob, other, bonus, pos, sal, lower, upper, frozen,
            band, spoil, fails, nash_parties, nash_penalty, res,
        )  # fmt: skip
    if refusal is not None:
        res.end_cause = "veto"
    if outcome == "agreed":
        if refusal is not None:  # the last refusal of this package is kept, as when it was reported each round
            res.veto = _decisive(comp, pkg, refusal)[3]
        res.x[0, pkg] = x
        res.agreed[0, pkg] = True
        for d in comp.parties:
            if d.rule == "bilateral":  # members of a bilateral body sign only for themselves
                res.pairs[0, d.members[~accept[d.members]]] = False
        m.say(f"Round {played}: all parties accept; package agreed.")
        return True
    if outcome == "walkout":
        res.end_cause = "walkout"
        res.walkout_actor = comp.codes[walker]
        res.walkout_cause = "spoiler" if m.obstruct[walker] else "substance"
        res.veto = Veto(comp.codes[walker], _decisive(comp, pkg, refusal)[2], "walkout", comp.codes[walker], "walkout")
        why = "a spoiler set on obstructing them" if res.walkout_cause == "spoiler" else "no proposal met its terms"
        m.say(f"Round {played}: {comp.codes[walker]} walks out of the talks ({why}; {int(fails[walker])} refusals).")
        return False
    if refusal is not None:
        res.veto = _decisive(comp, pkg, refusal)[3]
    m.say(f"No agreement after {comp.max_rounds} rounds; the last refusal stands (veto by {res.veto.actor}).")
    # a body's member blocking, or a red line, is a veto; a gap between states not closed in time is a deadlock
    hard = res.veto.reason in ("red_line", "spoiler") or res.veto.rule not in ("party", "")
    res.end_cause = "veto" if hard else "deadlock"
    return False


def _rounds_python(
    m, pkg, stages, participants, w, thr, trust_bar, denom, ob, other, bonus, pos, sal, lower, upper, frozen, band,
    spoil, fails, nash_parties, nash_penalty, res,
):  # fmt: skip
    """The rounds of one package, in Python and numpy.

    The reference of :func:`_rounds_kernel`, and the loop that traces and fires round events.
    Updates ``pos``, ``fails`` and the model's positions. Returns (rounds played, outcome, x,
    accept, refusal, walker): outcome "agreed", "walkout" or "exhausted"; the last package
    proposed and who accepted it; the last refusal (for :func:`_decisive`; None if none); who
    walked out (-1: nobody).
    """
    comp, world, rng = m.comp, m.world, m.rng
    lo_tol, up_tol = lower - RED_LINE_TOL, upper + RED_LINE_TOL
    last_x, last_pos, changed = None, None, False
    others_last = 0.0
    refusal = None
    for r in range(1, comp.max_rounds + 1):
        m.rounds += 1
        res.rounds += 1
        if comp.round_events and fire_round(m, m.rounds):  # the world changed mid-talks: revalue
            w = trust_weights(world.trust, ob, world.scal["verification"])
            thr = thresholds(world, comp.region, bonus) + comp.bilateral_member * world.cohesion
            trust_bar = (world.trust * (other & participants[None, :])).sum(1) / denom
            pos[:] = world.pos[:, pkg]
            sal = world.sal[:, pkg]
            changed = True
        # the Nash search is the costly step: reuse last round's package while positions have
        # barely moved (below the search grid's resolution) and nothing else changed
        if last_x is None or changed or np.abs(pos - last_pos).max() > 5e-3:
            x = last_x = _propose(m, pos, sal, participants, w, thr, lower, upper, nash_parties, nash_penalty)
            last_pos = pos.copy()
            changed = False
        else:
            x = last_x
        if m.tracing:
            who = "mediator " + comp.codes[comp.mediator] if comp.mediator >= 0 else "table"
            m.say(f"Round {r}: the {who} proposes {_fmt_x(comp, pkg, x)}.")
        contrib, gain, viol_k, viol, spoil, accept, object_ = _votes(x, pos, sal, w, thr, lo_tol, up_tol, band, spoil)
        failed, saw = None, np.zeros(comp.n, bool)
        for st in stages:
            for d in st:
                saw[d.members] = True
            failed = next((d for d in st if not rules.decide(d, accept, object_, world)), None)  # the first to refuse
            if failed is not None:
                break
        if failed is None:
            return r, "agreed", x, accept, refusal, -1
        blk = rules.blockers(failed, accept, object_)
        # who was decisive, and why, is worked out when it is reported: each round when tracing,
        # else once, for the refusal that stands (the last)
        refusal = (failed, blk, contrib, gain, thr, viol_k, viol, spoil, object_)
        if m.tracing:
            i, reason, issue, res.veto = _decisive(comp, pkg, refusal)
            who = ", ".join(comp.codes[j] for j in blk[:8]) + (" ..." if len(blk) > 8 else "")
            m.say(f"Round {r}: {failed.name} refuses under its {failed.rule if failed.rule != 'self' else 'own'} rule; "
                  f"decisive: {comp.codes[i]} ({_refusal(reason, issue, gain[i], thr[i])}). Refusing: {who}.")  # fmt: skip
        movers = saw & object_ & participants  # those who object concede; the indifferent stay put
        fails[movers] += 1
        step = step_fraction(m.shape, world.rate, r, comp.max_rounds, trust_bar, others_last)
        step = np.where(movers, step, 0.0)
        stepped = step[movers]
        others_last = float(stepped.sum() / stepped.size) if stepped.size else 0.0  # their mean step
        pos += np.where(frozen, 0.0, step[:, None] * (x[None, :] - pos))
        np.minimum(np.maximum(pos, lower, out=pos), upper, out=pos)  # np.clip, without its overhead
        world.pos[:, pkg] = pos
        if m.tracing and movers.any():
            moved = [f"{comp.codes[j]} {_pct(step[j])}" for j in np.flatnonzero(movers & (step > 0))[:10]]
            if moved:
                m.say(f"Round {r}: conceding toward the proposal: {', '.join(moved)}.")
        walk = participants & (fails >= comp.walk_after) & (rng.random(comp.n) < world.walk_hazard)
        if walk.any():
            return r, "walkout", x, accept, refusal, int(np.flatnonzero(walk)[0])
    return comp.max_rounds, "exhausted", x, accept, refusal, -1


def _deciders(comp, stages) -> tuple:
    """The deciders of a package's stages, flat, for the compiled round loop (fixed for a scenario: cached on it)."""
    ds = [d for st in stages for d in st]
    ids = tuple(map(id, ds))
    cached = comp.__dict__.get("_kernel_deciders")
    if cached is not None and cached[0] == ids:
        return cached[1]
    sizes = [len(d.members) for d in ds]
    stop = np.cumsum(sizes, dtype=np.int64)
    flat = (
        ds,
        np.array([proposals.RULE_CODES[d.rule] for d in ds], dtype=np.int64),
        stop - np.array(sizes, dtype=np.int64),
        stop,
        np.concatenate([np.asarray(d.members, dtype=np.int64) for d in ds]) if ds else np.zeros(0, np.int64),
        np.array([d.silence for d in ds], dtype=np.uint8),
        np.cumsum([len(st) for st in stages], dtype=np.int64),
    )
    comp.__dict__["_kernel_deciders"] = (ids, flat)
    return flat


def _rounds_kernel(
    m, pkg, stages, participants, w, thr, trust_bar, pos, sal, lower, upper, frozen, band, spoil, fails,
    nash_parties, nash_penalty,
):  # fmt: skip
    """The rounds of one package in the compiled loop (``negsim.model._nash.rounds``).

    The same results as :func:`_rounds_python` (and the same return), without tracing or round events.
    """
    comp, world = m.comp, m.world
    ds, rule, dstart, dstop, dmembers, silence, stage_stop = _deciders(comp, stages)
    dparam = np.array([[d.param(world, "states"), d.param(world, "population"), d.param(world, "threshold")] for d in ds])
    now_tab, before_tab, recip, categorical = kernel_tables(m.shape, comp.max_rounds)
    pos = np.ascontiguousarray(pos)  # world.pos[:, pkg] may come out column-major
    n, k = pos.shape
    x = np.empty(k)
    accept, object_ = np.empty(n, np.uint8), np.empty(n, np.uint8)
    r_contrib, r_gain, r_viol_k = np.empty((n, k)), np.empty(n), np.empty((n, k), np.uint8)
    r_viol, r_accept, r_object = np.empty(n, np.uint8), np.empty(n, np.uint8), np.empty(n, np.uint8)
    info = np.empty(4, np.int64)
    nash = comp.proposal == "nash"
    pa = nash_parties
    c, u8 = np.ascontiguousarray, (lambda a: np.ascontiguousarray(a).view(np.uint8))
    proposals.rounds_compiled(
        pos, fails, c(sal), c(w), c(thr, dtype=float), c(lower), c(upper), RED_LINE_TOL, c(band, dtype=float),
        u8(spoil), u8(participants), u8(frozen), c(world.cap, dtype=float), c(world.pop, dtype=float),
        comp.mediator, world.scal["mediator_bias"], nash, proposals.GRID,
        c(nash_penalty) if nash else np.zeros((0, 0, 0)), pa.kind, pa.start, pa.stop, pa.members, pa.wts, pa.band,
        proposals.SWEEPS, 1.0 / proposals.TAU, rule, dstart, dstop, dmembers, silence, dparam, stage_stop,
        now_tab, before_tab, c(world.rate, dtype=float), recip, categorical, c(trust_bar, dtype=float),
        c(comp.walk_after, dtype=np.int64), c(world.walk_hazard, dtype=float), m.rng.random, comp.max_rounds,
        x, accept, object_, r_contrib, r_gain, r_viol_k, r_viol, r_accept, r_object, info,
    )  # fmt: skip
    world.pos[:, pkg] = pos
    outcome, played, walker, failed = ("agreed", "walkout", "exhausted")[info[0]], int(info[1]), int(info[2]), int(info[3])
    refusal = None
    if failed >= 0:
        f = ds[failed]
        r_accept, r_object, r_viol_k, r_viol = r_accept.view(bool), r_object.view(bool), r_viol_k.view(bool), r_viol.view(bool)
        refusal = (f, rules.blockers(f, r_accept, r_object), r_contrib, r_gain, thr, r_viol_k, r_viol, spoil, r_object)
    return played, outcome, x, accept.view(bool), refusal, walker


def _propose(m, pos, sal, participants, w, thr, lower, upper, nash_parties, nash_penalty=None):
    comp, world = m.comp, m.world
    if comp.proposal == "nash":
        x = proposals.nash(
            pos, sal, world.cap, participants, w=w, thr=thr, lower=lower, upper=upper, parties=nash_parties, penalty=nash_penalty
        )
    else:
        x = proposals.compromise(pos, sal, world.cap, participants)
    b = world.scal["mediator_bias"]
    if comp.mediator >= 0 and b > 0:
        x = (1 - b) * x + b * pos[comp.mediator]
    return x


def _fmt_x(comp, pkg, x) -> str:
    return ", ".join(f"{comp.issues[j]}={v:.2f}" for j, v in zip(pkg, x, strict=True))


@dataclass
class _Bilateral:
    """The state of the parallel bilateral talks on one package: the counterpart c and one row per partner."""

    partners: np.ndarray
    w_c: np.ndarray
    w_p: np.ndarray
    thr_c: float
    thr_p: np.ndarray
    pos_c: np.ndarray
    pos_p: np.ndarray
    sal_c: np.ndarray
    sal_p: np.ndarray
    lo_c: np.ndarray
    up_c: np.ndarray
    lo_p: np.ndarray
    up_p: np.ndarray
    spoil_p: np.ndarray


def _bilateral_thresholds(m, partners, bonus: float) -> tuple:
    """The no-deal thresholds of the counterpart and of each partner (who pays its cohesion: a pact outside the alliance, 000)."""
    world = m.world
    thr_all = thresholds(world, m.comp.region, bonus)
    return thr_all[m.comp.counterpart], thr_all[partners] + world.cohesion[partners]


def _bilateral(m, pkg: np.ndarray, bonus: float, res: TalksResult) -> _Bilateral:
    """Set up one bilateral negotiation per (counterpart, partner) pair: weights, thresholds, positions, red lines."""
    comp, world = m.comp, m.world
    c = comp.counterpart
    partners = np.array([int(np.flatnonzero(row & (np.arange(comp.n) != c))[0]) for row in res.pairs])
    v = world.scal["verification"]
    wg = trust_weights(world.trust, comp.obligor[pkg], v)
    mutual = comp.mutual[pkg]
    w_c = np.where(mutual[None, :], credibility(world.trust[c, partners], v)[:, None], wg[c][None, :])
    w_p = np.where(mutual[None, :], credibility(world.trust[partners, c], v)[:, None], wg[partners])
    thr_c, thr_p = _bilateral_thresholds(m, partners, bonus)
    lo_all, up_all = red_line_bounds(world.red[:, pkg], m.pos0[:, pkg])
    return _Bilateral(
        partners, w_c, w_p, thr_c, thr_p,
        pos_c=np.repeat(world.pos[c, pkg][None, :], len(partners), 0), pos_p=world.pos[np.ix_(partners, pkg)],
        sal_c=world.sal[c, pkg][None, :], sal_p=world.sal[np.ix_(partners, pkg)],
        lo_c=lo_all[c], up_c=up_all[c], lo_p=lo_all[partners], up_p=up_all[partners],
        spoil_p=m.obstruct[partners],  # partners obstructing the talks
    )  # fmt: skip


def _parallel_package(m, pkg: np.ndarray, bonus: float, res: TalksResult, alive: np.ndarray) -> np.ndarray:
    """One bilateral negotiation per (counterpart, partner) pair, vectorised over pairs."""
    comp, world = m.comp, m.world
    c = comp.counterpart
    b = _bilateral(m, pkg, bonus, res)
    partners, npairs = b.partners, len(b.partners)
    cap_c, cap_p = world.cap[c], world.cap[partners][:, None]
    open_ = alive.copy()
    ok = np.zeros(npairs, bool)
    fails_c = np.zeros(npairs, int)
    fails_p = np.zeros(npairs, int)
    last = [0.0, 0.0]  # the counterpart's last step, the partners' mean last step
    for r in range(1, comp.max_rounds + 1):
        if not open_.any():
            break
        m.rounds += 1
        res.rounds = max(res.rounds, r)
        if comp.round_events and fire_round(m, m.rounds):
            b.thr_c, b.thr_p = _bilateral_thresholds(m, partners, bonus)
        wc, wp = cap_c * b.sal_c, cap_p * b.sal_p
        den = wc + wp
        x = np.where(den > 0, (wc * b.pos_c + wp * b.pos_p) / np.where(den > 0, den, 1), 0.0)
        bias = world.scal["mediator_bias"]
        if comp.mediator >= 0 and bias > 0:
            x = (1 - bias) * x + bias * world.pos[comp.mediator, pkg][None, :]
        g_c = (b.sal_c * (b.pos_c - np.abs(b.w_c * x - b.pos_c))).sum(1)
        g_p = (b.sal_p * (b.pos_p - np.abs(b.w_p * x - b.pos_p))).sum(1)
        v_c = ((x < b.lo_c - RED_LINE_TOL) | (x > b.up_c + RED_LINE_TOL)).any(1)
        v_p = ((x < b.lo_p - RED_LINE_TOL) | (x > b.up_p + RED_LINE_TOL)).any(1)
        acc_c = (g_c >= b.thr_c) & ~v_c
        acc_p = (g_p >= b.thr_p) & ~v_p & ~b.spoil_p
        done = open_ & acc_c & acc_p
        if done.any():
            res.x[np.ix_(done, pkg)] = x[done]
            res.agreed[np.ix_(done, pkg)] = True
            ok |= done
            open_ &= ~done
            if m.tracing:
                m.say(f"Round {r}: {comp.codes[c]} signs with {', '.join(comp.codes[p] for p in partners[done])}.")
        refuse_c = open_ & ~acc_c
        refuse_p = open_ & ~acc_p
        if (refuse_c | refuse_p).any():
            res.veto = _bilateral_refusal(m, b, pkg, x, int(np.flatnonzero(refuse_c | refuse_p)[0]), refuse_c, v_c, v_p)
        fails_c += refuse_c
        fails_p += refuse_p
        _bilateral_concede(m, b, pkg, x, r, refuse_c, refuse_p, last)
        if _bilateral_walkouts(m, b, r, open_, fails_c, fails_p, res):
            break
    world.pos[np.ix_(partners, pkg)] = b.pos_p
    world.pos[c, pkg] = b.pos_c.mean(0)
    if not ok.any() and res.end_cause != "walkout":
        res.end_cause = "veto" if res.veto.reason in ("red_line", "spoiler") else "deadlock"
    m.say(f"Parallel talks on this package: {int(ok.sum())} of {npairs} bilateral pacts agreed.")
    return ok


def _bilateral_refusal(m, b: _Bilateral, pkg, x, j: int, refuse_c, v_c, v_p) -> Veto:
    """Why pair j's talks refused x this round: who refused, on which issue, for what reason."""
    comp = m.comp
    c = comp.counterpart
    who = c if refuse_c[j] else b.partners[j]
    viol = v_c[j] if who == c else v_p[j]
    contrib_j = (
        b.sal_c[0] * (b.pos_c[j] - np.abs(b.w_c[j] * x[j] - b.pos_c[j]))
        if who == c
        else b.sal_p[j] * (b.pos_p[j] - np.abs(b.w_p[j] * x[j] - b.pos_p[j]))
    )
    issue_j = int(np.argmin(contrib_j))
    reason = "red_line" if viol else ("spoiler" if who != c and b.spoil_p[j] else "below_threshold")
    return Veto(comp.codes[who], comp.issues[pkg[issue_j]], "bilateral", f"{comp.codes[c]}-{comp.codes[b.partners[j]]}", reason)


def _bilateral_concede(m, b: _Bilateral, pkg, x, r: int, refuse_c, refuse_p, last: list) -> None:
    """Those who refused move toward the proposal by their shapes (``last``: the sides' last steps, updated)."""
    comp, world = m.comp, m.world
    c, partners = comp.counterpart, b.partners
    step_c = step_fraction(
        m.shape[[c]], world.rate[[c]], r, comp.max_rounds, world.trust[c, partners].mean(keepdims=True), last[1]
    )[0]
    step_p = step_fraction(m.shape[partners], world.rate[partners], r, comp.max_rounds, world.trust[partners, c], last[0])
    last[0], last[1] = step_c, float(step_p[refuse_p].mean()) if refuse_p.any() else 0.0
    b.pos_c += np.where(comp.frozen[c, pkg][None, :], 0.0, np.where(refuse_c, step_c, 0.0)[:, None] * (x - b.pos_c))
    b.pos_p += np.where(comp.frozen[np.ix_(partners, pkg)], 0.0, np.where(refuse_p, step_p, 0.0)[:, None] * (x - b.pos_p))
    np.clip(b.pos_c, b.lo_c, b.up_c, out=b.pos_c)
    np.clip(b.pos_p, b.lo_p, b.up_p, out=b.pos_p)


def _bilateral_walkouts(m, b: _Bilateral, r: int, open_, fails_c, fails_p, res: TalksResult) -> bool:
    """Walk-outs after this round's refusals (``open_`` updated); True when the counterpart left every talk."""
    comp, world, rng = m.comp, m.world, m.rng
    c, partners = comp.counterpart, b.partners
    if world.walk_hazard[c] > 0 and fails_c.max() >= comp.walk_after[c] and rng.random() < world.walk_hazard[c]:
        res.end_cause = "walkout"
        res.walkout_actor = comp.codes[c]
        res.walkout_cause = "substance"  # the counterpart never obstructs bilateral talks (spoilers are partners)
        m.say(f"Round {r}: {comp.codes[c]} walks out of every open bilateral talk.")
        open_[:] = False
        return True
    walk_p = open_ & (fails_p >= comp.walk_after[partners]) & (rng.random(len(partners)) < world.walk_hazard[partners])
    if walk_p.any():
        if not res.walkout_actor:
            first = int(np.flatnonzero(walk_p)[0])
            res.walkout_actor = comp.codes[partners[first]]
            res.walkout_cause = "spoiler" if b.spoil_p[first] else "substance"
        m.say(f"Round {r}: {', '.join(comp.codes[p] for p in partners[walk_p])} walk(s) out of the bilateral talks.")
    open_ &= ~walk_p
    return False


def _pct(frac: float) -> str:
    """A share of the way as text: whole per cent, one decimal below 10%, '<0.1%' for a trace of a step."""
    if frac >= 0.1:
        return f"{frac:.0%}"
    return f"{frac:.1%}" if frac >= 0.001 else "<0.1%"


def _refusal(reason: str, issue: str, gain: float, thr: float) -> str:
    """Why a state refuses, in words: a red line overrides any gain; otherwise the gain falls short."""
    if reason == "red_line":
        verdict = "would otherwise clear" if gain >= thr else "is also below"
        return f"red line on {issue}: the package crosses it; its gain {gain:+.3f} {verdict} the {thr:+.3f} it needs"
    if reason == "spoiler":
        return f"spoiler: it obstructs the talks whatever the package (drawn once per run); worst issue for it {issue}"
    if gain < thr:
        return f"{reason.replace('_', ' ')}, on {issue}: gain {gain:+.3f}, below the {thr:+.3f} it needs"
    return f"{reason.replace('_', ' ')}, on {issue}: gain {gain:+.3f} against the {thr:+.3f} it needs"

"""What a package is worth to each actor: salience-weighted gains, each commitment at the trust in who owes it.

Actor i values package x (one level per issue) at

    gain_i(x) = sum_k w_ik * s_ik * (p_ik - |x_k - p_ik|)

which is 0 at the status quo (x = 0). A commitment is worth what i expects to be delivered,
the rest at the status quo (DOMAIN.md): with u(y) = s (p - |y - p|) and u(0) = 0, the
expected value of issue k is w_ik u(x_k) + (1 - w_ik) u(0) = w_ik u(x_k), where w_ik is what
i expects the states that owe it k to deliver (issue 16, item 1):

    t_ik = sum_j cap_j * t_ij / sum_j cap_j    over the obligors j of k that owe it to i
    w_ik = t_ik + (1 - t_ik) * d_k              (d: the deterred share, below)
    w_ik = 1                                    when i alone owes k

The obligors of a listed issue owe it to everyone else; on a mutual issue (every signatory
pledges) what i gets is the pledge of the other side, so i's own side is left out: two states
are on one side when they are in the same pact party or share a bloc that not every signatory
holds (NATO for the US and the European allies of option B; CSTO or the Union State for Russia
and Belarus; OSCE, which every state holds, does not count). Several obligors of one issue are
weighted by capability (what each could withhold: 003 gives the US about 80% of NATO's
resources), an assumption. Verification is not delivery: an untrusted obligor still delivers
when cheating would be seen and would not pay, so each obligor j's pledge counts at

    e_ijk = t_ij + (1 - t_ij) * d_jk,    d_jk = 1 - exp(-v_k * sanction / (temptation + c_jk(1)))

d_jk the share of j's would-be breaches of k that the chance of being seen (v_k, 1 for an
overt act) deters: the breach choice of compliance (model/defection.py) with the sanction
alone as the cost (the pact's future value is not known at the table) and c_jk(1) what
delivering the whole of issue k costs j (:func:`commitment_cost`). w_ik is the
capability-weighted mean of e_ijk over the obligors j of k that owe it to i.
i accepts when gain_i exceeds its no-deal threshold

    threshold_i = reservation_i - drawdown_softening_i * vulnerability_i - bonus
    vulnerability_i = threat_i * us_reliance_i * (1 - us_presence[region_i])

so a US drawdown makes the no-deal option worse for those who rely on the US (002).
"""

from __future__ import annotations

import numpy as np

#: red lines are judged to the nearest 0.01: a package within this of the line does not cross it
RED_LINE_TOL = 0.005


def owed_to(obligor: np.ndarray, mutual: np.ndarray, same_side: np.ndarray) -> np.ndarray:
    """K x N x N: ``owed[k, i, j]``, state j owes issue k to state i.

    The obligors of k other than i; on a mutual issue only those on the other side of i, where
    there are any (a pact among one side's states keeps them all).
    """
    n = obligor.shape[1]
    owes = obligor[:, None, :] & ~np.eye(n, dtype=bool)[None]
    across = owes & ~same_side[None]
    keep_side = ~(mutual[:, None, None] & across.any(2, keepdims=True))
    return np.where(keep_side, owes, across)


def trust_weights(
    trust: np.ndarray,
    obligor: np.ndarray,
    mutual: np.ndarray,
    same_side: np.ndarray,
    cap: np.ndarray,
    deter: np.ndarray | None = None,
    unbound: np.ndarray | None = None,
) -> np.ndarray:
    """N x K matrix w_ik: what i expects delivered of issue k, 1 if none but i owes it.

    The capability-weighted mean over the states j that owe k to i of ``t_ij + (1 - t_ij) * d_jk``,
    ``deter`` (K x N) the share of j's would-be breaches of k that verification deters
    (:func:`deterred_share`); plain trust without it. An obligor in ``unbound`` (N bool: a signatory
    whose legislature refused, under an entry rule that puts the pact in force without it) delivers
    nothing: its share of the issue counts 0, so a pact in force without the state that owed most of
    an issue is worth that much less to those it binds.
    """
    owed = owed_to(obligor, mutual, same_side)  # K x N x N
    e = trust[None] if deter is None else expected_delivery(trust[None], deter[:, None, :])  # K x N x N or 1 x N x N
    if unbound is not None and unbound.any():
        e = np.where(unbound[None, None, :], 0.0, e)
    wt = owed * np.maximum(cap, 0.0)[None, None, :]
    den = wt.sum(2)
    cnt = owed.sum(2)
    num = (wt * e).sum(2)
    plain = (owed * e).sum(2) / np.maximum(cnt, 1)  # equal weights when every obligor's capability is 0
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.where(cnt > 0, plain, 1.0)).T


def expected_delivery(t, deter):
    """What is expected delivered by an obligor trusted ``t``: ``t + (1 - t) * deter``, the deterred share of the rest."""
    return t + (1.0 - t) * deter


def issue_verification(world, comp) -> np.ndarray:
    """K: the chance a breach of each issue is seen: 1 for an overt act, else the issue's own verification or the pact's."""
    v = np.where(np.isnan(world.ver_issue), world.scal["verification"], world.ver_issue)
    return np.where(comp.overt, 1.0, v)


def commitment_cost(pos: np.ndarray, sal: np.ndarray, x) -> np.ndarray:
    """What delivering level ``x`` of an issue costs its obligor against the status quo: ``sal * max(|x - p| - |p|, 0)``.

    u(y) = sal * (p - |y - p|), so u(0) - u(x) = sal * (|x - p| - |p|): positive where the level is
    a concession (Russia's withdrawal from Belarus), 0 where the obligor wants it anyway.
    """
    return sal * np.maximum(np.abs(x - pos) - np.abs(pos), 0.0)


def take_chance(seen, cost, gain) -> np.ndarray:
    """The chance a breach pays: ``exp(-seen * cost / gain)``.

    The obligor's gain from a breach this period is ``gain * e`` with e ~ Exp(1) (a shock to the
    occasion's value, a random-utility assumption); it breaches when that beats the expected cost
    ``seen * cost``, the chance of being seen times what follows. No gain: it never pays.
    """
    gain = np.asarray(gain, float)
    pos = gain > 0
    return np.where(pos, np.exp(-np.asarray(seen) * cost / np.where(pos, gain, 1.0)), 0.0)


def deterred_share(world, comp) -> np.ndarray:
    """K x N: the share of obligor j's would-be breaches of issue k that the chance of being seen deters.

    ``1 - take_chance(v_k, sanction, temptation + commitment_cost(1))``: the breach choice of
    compliance (model/defection.py) as the table sees it, with the sanction as the only cost.
    """
    scal = world.scal
    gain = scal["temptation"] + commitment_cost(world.pos.T, world.sal.T, 1.0)  # K x N
    return 1.0 - take_chance(issue_verification(world, comp)[:, None], scal["sanction"], gain)


def delivery_weights(
    world, comp, issues, trust: np.ndarray | None = None, obligor: np.ndarray | None = None, unbound: np.ndarray | None = None
) -> np.ndarray:
    """N x K': :func:`trust_weights` of ``issues`` with the world's capabilities and deterred shares (``obligor`` K' x N)."""
    ob = comp.obligor[issues] if obligor is None else obligor
    t = world.trust if trust is None else trust
    return trust_weights(t, ob, comp.mutual[issues], comp.same_side, world.cap, deterred_share(world, comp)[issues], unbound)


def contributions(x: np.ndarray, pos: np.ndarray, sal: np.ndarray, w: np.ndarray) -> np.ndarray:
    """N x K per-issue expected gain of package x (vs the status quo): w * u(x) with u(y) = sal * (pos - |y - pos|)."""
    return w * sal * (pos - np.abs(x - pos))


def vulnerability(world, region: np.ndarray) -> np.ndarray:
    """Vulnerability from US drawdown: threat x reliance x absence of US forces."""
    return world.threat * world.us_reliance * (1.0 - world.us_presence[region])


def thresholds(world, region: np.ndarray, bonus: float = 0.0) -> np.ndarray:
    """No-deal threshold each actor's gain must reach to accept."""
    return world.reserve - world.softening * vulnerability(world, region) - bonus


def separate_pact_cost(world, comp) -> np.ndarray:
    """N: what each state gives up in alliance standing for as long as it holds a pact outside its alliance's line.

    Its ``cohesion`` (000; 002: Washington may struggle to bring the Europeans along) for a partner in parallel
    talks (every signatory but the counterpart) and for a member of a ``bilateral`` body; 0 for everyone else. It
    adds to the no-deal threshold at the table, at ratification and in every compliance period alike, so a
    separate pact is judged by the same standard when it is signed, ratified and kept.
    """
    sep = comp.bilateral_member.copy()
    if comp.sequencing == "parallel":
        sep |= comp.signatory & (np.arange(len(sep)) != comp.counterpart)
    return np.where(sep, world.cohesion, 0.0)


def pact_thresholds(world, comp, bonus: float = 0.0) -> np.ndarray:
    """N: the no-deal threshold each state's gain from the pact must reach: :func:`thresholds` plus :func:`separate_pact_cost`."""
    return thresholds(world, comp.region, bonus) + separate_pact_cost(world, comp)


def red_line_bounds(red: np.ndarray, pos: np.ndarray, pinned: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) bounds on each issue's level that each actor's red lines allow.

    A red line r sits between the actor's ideal and the far side: an actor whose ideal is at
    or below r refuses x > r; one whose ideal is above r refuses x < r. Where ``pinned`` (N x K:
    an issue the actor makes no concession on) the line moves to its ideal point, and an issue
    with no red line gets one on both sides of the ideal.
    """
    has = ~np.isnan(red)
    upper = np.where(has & (pos <= red), red, np.inf)
    lower = np.where(has & (pos > red), red, -np.inf)
    if pinned is not None and pinned.any():
        upper = np.where(pinned & (~has | (pos <= red)), pos, upper)
        lower = np.where(pinned & (~has | (pos > red)), pos, lower)
    return lower, upper


def pinned_issues(frozen: np.ndarray, red: np.ndarray, categorical: np.ndarray) -> np.ndarray:
    """N x K: where each actor makes no concession.

    A categorical actor on its red-line issues; any actor on its ``categorical_on`` issues
    (``frozen`` marks every issue of a categorical actor, and those).
    """
    return frozen & (~np.isnan(red) | ~categorical[:, None])

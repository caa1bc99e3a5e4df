"""Compliance as a choice: each obligor weighs breaking its commitments against keeping them (issue 16, item 3).

"A treaty applies until it doesn't" (000). Each period an occasion to break a commitment
arises for an obligor j with chance ``base_hazard``. On issue k, which j owes at level x_k,
breaking gains

    g_jk = temptation + c_jk(x_k) + power_shift * shift_j

c_jk what delivering costs j (valuation.commitment_cost) and shift_j the rise since entry
into force of the exposure of the states j owes (the commitment problem: a US withdrawal
leaves the frontline states weaker, so a promise to them is worth less to keep; Fearon 1995).
A breach is seen with the issue's verification v_k (1 for an overt act), and a seen breach
costs

    C_j = sanction + end_j * F * max(m_j, 0),    F = sum_{s=1..R} discount^s

the sanction (retaliation, reputation) plus the chance end_j that the pact then ends (the
pact's ``response``) times the pact's value to j over the R periods left (its margin m_j
over no deal, discounted: the shadow of the future, Axelrod 1984; Oye 1985). With the
occasion's value ``g * e``, e ~ Exp(1), j breaks k when that beats ``v_k * C_j``: with chance
``exp(-v_k * C_j / g_jk)`` (valuation.take_chance), on the issue where it pays best. An
opportunistic state takes the occasions that pay (chance ``opportunism``); any state may
also breach by mistake (``mistake``: an involuntary defection, Downs & Rocke 1990), which
is minor: it never ends the pact.

Each co-member updates its trust in j from what it sees, by Bayes (Kydd 2005): j is
trustworthy (it breaches only by mistake) with prior t, or not (it takes every occasion that
pays, chance q_j = base_hazard * max_k take_jk, which the others can reckon as j can).
"""

from __future__ import annotations

import numpy as np

from negsim.model.valuation import commitment_cost, take_chance

#: what follows a breach that is seen, by the pact's ``response`` (what the trace and outcome rows say)
RESPONSES = ("consultation", "graduated", "breakdown")


def shadow(discount: float, left: int) -> float:
    """F = sum_{s=1..left} discount^s: the weight of the pact's remaining periods against this one."""
    if left <= 0:
        return 0.0
    if discount >= 1.0:
        return float(left)
    return float(discount * (1.0 - discount**left) / (1.0 - discount))


def exposure(world, comp, victims: np.ndarray) -> np.ndarray:
    """N: for each obligor, the largest exposure ``us_reliance * (1 - us_presence[region])`` among the states it owes.

    ``victims`` N x N: ``victims[i, j]``, j owes i (a co-member on another side).
    """
    vul = world.us_reliance * (1.0 - world.us_presence[comp.region])
    return np.where(victims, vul[:, None], 0.0).max(0) if len(vul) else vul


def end_chance(response: str, major_share: float, strikes: np.ndarray) -> np.ndarray:
    """N: the chance a seen, chosen breach ends the pact.

    consultation: never (trust falls; the parties talk); breakdown: always; graduated: each
    strike raises it by ``major_share`` (the first seen breach ends it with ``major_share``).
    """
    if response == "consultation":
        return np.zeros(len(strikes))
    if response == "breakdown":
        return np.ones(len(strikes))
    return np.minimum(major_share * (1.0 + strikes), 1.0)


def breach_choice(m, owed, level, vis, margin, shift, left, strikes):
    """Each obligor's chances this period: (chosen N, mistaken N, issue N, q N).

    ``owed`` K x N what each owes under the live pacts, ``level`` K x N at what level, ``vis``
    K each issue's chance of being seen, ``margin`` N the pact's value to each over no deal,
    ``shift`` N the rise of its victims' exposure since entry, ``left`` the periods left.
    ``q`` is the breach chance of an untrustworthy type (what the others reckon, :func:`bayes_trust`).
    """
    world, scal = m.world, m.world.scal
    gain = scal["temptation"] + commitment_cost(world.pos.T, world.sal.T, level) + scal["power_shift"] * shift[None, :]
    end = end_chance(m.comp.response, scal["major_share"], strikes)
    cost = scal["sanction"] + end * shadow(scal["discount"], left) * np.maximum(margin, 0.0)
    take = np.where(owed, take_chance(vis[:, None], cost[None, :], gain), 0.0)
    issue = take.argmax(0)
    q = scal["base_hazard"] * take.max(0) if len(take) else np.zeros(len(margin))
    owing = owed.any(0)
    return q * world.opportunism * owing, scal["mistake"] * owing, issue, q


def bayes_trust(trust: np.ndarray, observers: np.ndarray, j: np.ndarray, seen: np.ndarray, q, mistake: float, vis) -> None:
    """Kydd's update, in place: each observer i of obligor j (``observers`` N x len(j)) revises t_ij from what it saw.

    A trustworthy j breaches only by mistake (chance mu), an untrustworthy one also on every
    occasion that pays (q); a breach is seen with chance v. Seen a breach:
    ``t' = t mu / (t mu + (1 - t)(q + mu))``; seen none: ``t' = t (1 - mu v) / (t (1 - mu v) + (1 - t)(1 - (q + mu) v))``.
    """
    t = trust[:, j]
    bad = np.minimum(q + mistake, 1.0)
    a = np.where(seen, mistake, 1.0 - mistake * vis)[None, :]
    b = np.where(seen, bad, 1.0 - bad * vis)[None, :]
    den = t * a + (1.0 - t) * b
    post = np.where(den > 0, t * a / np.where(den > 0, den, 1.0), t)
    trust[:, j] = np.where(observers, post, t)

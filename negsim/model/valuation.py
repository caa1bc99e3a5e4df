"""What a package is worth to each actor: trust-weighted, salience-weighted gains.

Actor i values package x (one level per issue) at

    gain_i(x) = sum_k s_ik * (p_ik - |w_ik * x_k - p_ik|)

which is 0 at the status quo (x = 0). A concession owed by others (the issue's obligors) is
only worth what i expects them to deliver: w_ik = t + (1 - t) * v, where t is i's mean trust
in the obligors of k other than itself and v the pact's verification (a concession is
delivered if the obligor is trustworthy, or else because cheating would be caught); w_ik = 1
when i alone owes it. i accepts when gain_i exceeds its no-deal threshold

    threshold_i = reservation_i - drawdown_softening_i * vulnerability_i - bonus
    vulnerability_i = threat_i * us_reliance_i * (1 - us_presence[region_i])

so a US drawdown makes the no-deal option worse for those who rely on the US (002).
"""

from __future__ import annotations

import numpy as np

#: red lines are judged to the nearest 0.01: a package within this of the line does not cross it
RED_LINE_TOL = 0.005


def trust_weights(trust: np.ndarray, obligor: np.ndarray, verification: float = 0.0) -> np.ndarray:
    """N x K matrix w_ik: the credibility, for i, of issue k's obligors other than itself.

    Mean trust t in those obligors, raised by verification v: w = t + (1 - t) * v.
    """
    o = obligor.astype(float)  # K x N
    num = trust @ o.T - o.T  # drop the j = i term (trust in oneself is 1)
    cnt = o.sum(1)[None, :] - o.T
    t = np.where(cnt > 0, num / np.maximum(cnt, 1), 1.0)
    return t + (1.0 - t) * verification if verification else t


def credibility(t, verification: float):
    """Trust raised by verification: the weight of a concession owed by a partner trusted ``t``."""
    return t + (1.0 - t) * verification


def contributions(x: np.ndarray, pos: np.ndarray, sal: np.ndarray, w: np.ndarray) -> np.ndarray:
    """N x K per-issue gain of package x (vs the status quo)."""
    return sal * (pos - np.abs(w * x - pos))


def vulnerability(world, region: np.ndarray) -> np.ndarray:
    """Vulnerability from US drawdown: threat x reliance x absence of US forces."""
    return world.threat * world.us_reliance * (1.0 - world.us_presence[region])


def thresholds(world, region: np.ndarray, bonus: float = 0.0) -> np.ndarray:
    """No-deal threshold each actor's gain must reach to accept."""
    return world.reserve - world.softening * vulnerability(world, region) - bonus


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

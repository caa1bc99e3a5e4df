"""Proposal rules: the package a mediator puts on the table each round.

Each rule is a function of the current positions (sliced to the package's issues) that
returns one level per issue. Adding a rule is adding a function here and a name in ``RULES``.
"""

from __future__ import annotations

import numpy as np

from negsim.valuation import contributions

GRID = np.linspace(0.0, 1.0, 21)


def compromise(pos, sal, cap, mask, **_) -> np.ndarray:
    """The compromise model (Bueno de Mesquita; Stokman): capability- and salience-weighted
    mean of the participants' positions, issue by issue."""
    wts = (cap[mask, None] * sal[mask])
    den = wts.sum(0)
    return np.where(den > 0, (wts * pos[mask]).sum(0) / np.where(den > 0, den, 1), 0.0)


def party_utilities(margins: np.ndarray, gains: np.ndarray, parties) -> np.ndarray:
    """P x G utilities of each party for G candidate packages.

    A party that any single member can block (a state, consensus, unanimity) is as satisfied
    as its least satisfied member; under the silence procedure members whose gain is inside
    the indifference band are left out. Other bodies (QMV, majority, capability, bilateral)
    count their members' capability-weighted mean margin.
    """
    out = np.empty((len(parties), margins.shape[1]))
    for p, (members, veto, weights, band, silence) in enumerate(parties):
        mg = margins[members]
        if veto:
            if silence and band > 0:
                mg = np.where(np.abs(gains[members]) <= band, np.inf, mg)
            u = mg.min(0)
            out[p] = np.where(np.isfinite(u), u, 0.0)
        else:
            out[p] = weights @ mg
    return out


def nash(pos, sal, cap, mask, *, w, thr, lower, upper, parties, start=None, sweeps=2, **_) -> np.ndarray:
    """Nash bargaining solution over the parties that must consent.

    Maximises sum_p log(U_p(x)) where U_p is party p's margin over its no-deal threshold
    (see :func:`party_utilities`), by coordinate ascent over a grid of levels per issue, starting
    from the compromise. Packages that cross a member's red line count as a large loss for that
    member. Where no package gives every party a positive margin, the sum of margins breaks the
    tie, so the proposal still moves toward the feasible region.
    """
    x = compromise(pos, sal, cap, mask) if start is None else start.copy()
    contrib = contributions(x, pos, sal, w)
    total = contrib.sum(1)
    viol_now = ((x[None, :] < lower) | (x[None, :] > upper)).astype(float)
    for _ in range(sweeps):
        for k in range(len(x)):
            cand = GRID[None, :]
            ck = sal[:, k : k + 1] * (pos[:, k : k + 1] - np.abs(w[:, k : k + 1] * cand - pos[:, k : k + 1]))
            viol_k = (cand < lower[:, k : k + 1]) | (cand > upper[:, k : k + 1])
            other_viol = (viol_now.sum(1) - viol_now[:, k])[:, None]
            gains = (total - contrib[:, k])[:, None] + ck
            margins = gains - thr[:, None] - 10.0 * (viol_k + other_viol)
            u = party_utilities(margins, gains, parties)  # P x G
            obj = np.log(np.maximum(u, 1e-6)).sum(0) + 1e-3 * u.sum(0)
            g = int(np.argmax(obj))
            x[k] = GRID[g]
            total = total - contrib[:, k] + ck[:, g]
            contrib[:, k] = ck[:, g]
            viol_now[:, k] = viol_k[:, g]
    return x


RULES = {"compromise": compromise, "nash": nash}

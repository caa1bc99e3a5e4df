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


def nash(pos, sal, cap, mask, *, w, thr, lower, upper, party_weights, start=None, sweeps=2, **_) -> np.ndarray:
    """Nash bargaining solution over the parties that must consent.

    Maximises sum_p log(U_p(x)) where U_p is party p's (capability-weighted mean) margin over
    its members' no-deal thresholds, by coordinate ascent over a grid of levels per issue.
    Packages that cross a member's red line are heavily penalised. Where no package gives
    every party a positive margin, the sum of margins breaks the tie.
    """
    x = compromise(pos, sal, cap, mask) if start is None else start.copy()
    contrib = contributions(x, pos, sal, w)
    total = contrib.sum(1)
    for _ in range(sweeps):
        for k in range(len(x)):
            cand = GRID[None, :]
            ck = sal[:, k : k + 1] * (pos[:, k : k + 1] - np.abs(w[:, k : k + 1] * cand - pos[:, k : k + 1]))
            viol = (cand < lower[:, k : k + 1]) | (cand > upper[:, k : k + 1])
            margins = (total - contrib[:, k])[:, None] + ck - thr[:, None] - 10.0 * viol
            u = party_weights @ margins  # P x G
            obj = np.log(np.maximum(u, 1e-6)).sum(0) + 1e-3 * u.sum(0)
            g = int(np.argmax(obj))
            x[k] = GRID[g]
            total = total - contrib[:, k] + ck[:, g]
            contrib[:, k] = ck[:, g]
    return x


RULES = {"compromise": compromise, "nash": nash}

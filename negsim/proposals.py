"""Proposal rules: the package a mediator puts on the table each round.

Each rule is a function of the current positions (sliced to the package's issues) that
returns one level per issue. Adding a rule is adding a function here and a name in ``RULES``.
"""

from __future__ import annotations

import numpy as np

from negsim.valuation import contributions

GRID = np.linspace(0.0, 1.0, 21)
TAU = 0.02  # smoothing of the Nash product (in units of margin)


def compromise(pos, sal, cap, mask, **_) -> np.ndarray:
    """The compromise model (Bueno de Mesquita; Stokman).

    The capability- and salience-weighted mean of the participants' positions, issue by issue.
    """
    wts = cap[mask, None] * sal[mask]
    den = wts.sum(0)
    return np.where(den > 0, (wts * pos[mask]).sum(0) / np.where(den > 0, den, 1), 0.0)


class Parties:
    """The consenting parties in array form, for :func:`party_utilities`.

    ``members`` lists (members, veto, weights, band, silence) per party: veto parties (a state,
    consensus, unanimity) are as satisfied as their least satisfied member; under the silence
    procedure members whose gain is inside the indifference ``band`` are left out. Other bodies
    (QMV, majority, capability, bilateral) count their members' capability-weighted mean margin.
    """

    def __init__(self, specs, n: int):
        p = len(specs)
        self.veto = np.array([s[1] for s in specs], bool)
        self.mask = np.zeros((p, n), bool)
        self.weights = np.zeros((p, n))
        self.band = np.full((p, n), -1.0)  # -1: never indifferent
        for j, (members, veto, weights, band, silence) in enumerate(specs):
            self.mask[j, members] = True
            self.weights[j, members] = weights
            if veto and silence and band > 0:
                self.band[j, members] = band
        self.any_band = bool((self.band > 0).any())


def party_utilities(margins: np.ndarray, gains: np.ndarray, parties: Parties) -> np.ndarray:
    """P x G utilities of each party for G candidate packages (see :class:`Parties`)."""
    member = parties.mask[:, :, None]
    if parties.any_band:
        member = member & ~(np.abs(gains)[None, :, :] <= parties.band[:, :, None])
    low = np.where(member, margins[None, :, :], np.inf).min(1)
    low = np.where(np.isfinite(low), low, 0.0)
    return np.where(parties.veto[:, None], low, parties.weights @ margins)


def nash(pos, sal, cap, mask, *, w, thr, lower, upper, parties, start=None, sweeps=2, **_) -> np.ndarray:
    """Nash bargaining solution over the parties that must consent.

    Maximises sum_p log(U_p(x)) where U_p is party p's margin over its no-deal threshold
    (see :func:`party_utilities`), by coordinate ascent over a grid of levels per issue, from
    ``start`` if given, else the compromise (measured: a warm start from the previous round's
    package gets stuck in worse local optima, so the negotiation does not use one). Packages that cross a
    member's red line count as a large loss for that member. The product is smoothed
    (log(tau * softplus(u / tau))), so a party that no package satisfies still pulls the search
    toward it instead of being ignored.
    """
    x = compromise(pos, sal, cap, mask) if start is None else start.copy()
    contrib = contributions(x, pos, sal, w)
    total = contrib.sum(1)
    viol_now = ((x[None, :] < lower) | (x[None, :] > upper)).astype(float)
    nviol = viol_now.sum(1)
    cand = GRID[None, :]
    for _ in range(sweeps):
        for k in range(len(x)):
            pk, wk = pos[:, k : k + 1], w[:, k : k + 1]
            ck = sal[:, k : k + 1] * (pk - np.abs(wk * cand - pk))
            viol_k = (cand < lower[:, k : k + 1]) | (cand > upper[:, k : k + 1])
            gains = (total - contrib[:, k])[:, None] + ck
            margins = gains - thr[:, None] - 10.0 * (viol_k + (nviol - viol_now[:, k])[:, None])
            u = party_utilities(margins, gains, parties)  # P x G
            # smoothed Nash product: log(tau * softplus(u / tau)) is log(u) for u >> tau and
            # linear (slope 1/tau) for u < 0, so a party below its threshold still pulls the package
            z = u / TAU
            obj = np.where(z < -30.0, z, np.log(np.logaddexp(0.0, np.maximum(z, -30.0)))).sum(0)
            g = int(np.argmax(obj))
            x[k] = GRID[g]
            total += ck[:, g] - contrib[:, k]
            contrib[:, k] = ck[:, g]
            nviol += viol_k[:, g] - viol_now[:, k]
            viol_now[:, k] = viol_k[:, g]
    return x


RULES = {"compromise": compromise, "nash": nash}

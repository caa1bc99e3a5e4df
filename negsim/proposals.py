"""Proposal rules: the package a mediator puts on the table each round.

Each rule is a function of the current positions (sliced to the package's issues) that
returns one level per issue. Adding a rule is adding a function here and a name in ``RULES``.
"""

from __future__ import annotations

import numpy as np

from negsim.valuation import RED_LINE_TOL, contributions

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
    """The consenting parties, grouped for fast evaluation by :func:`party_utilities`.

    Built from (members, veto, weights, band, silence) per party: veto parties (a state,
    consensus, unanimity) are as satisfied as their least satisfied member; under the silence
    procedure members whose gain is inside the indifference ``band`` are left out. Other bodies
    (QMV, majority, capability, bilateral) count their members' capability-weighted mean margin.
    """

    def __init__(self, specs, n: int):
        self.n_parties = len(specs)
        singles = [(j, int(m[0])) for j, (m, veto, _, _, _) in enumerate(specs) if veto and len(m) == 1]
        self.single_rows = np.array([j for j, _ in singles], dtype=int)
        self.single_actors = np.array([a for _, a in singles], dtype=int)
        self.veto_bodies = [
            (j, np.asarray(m), band if (silence and band > 0) else 0.0)
            for j, (m, veto, _, band, silence) in enumerate(specs)
            if veto and len(m) > 1
        ]
        self.mean_bodies = [(j, np.asarray(m), np.asarray(wts)) for j, (m, veto, wts, _, _) in enumerate(specs) if not veto]


def party_utilities(margins: np.ndarray, gains_of, parties: Parties) -> np.ndarray:
    """P x G utilities of each party for G candidate packages (see :class:`Parties`).

    ``margins`` is N x G; ``gains_of(members)`` gives those members' gains (for the
    indifference band of the silence procedure), computed only when a body needs them.
    """
    out = np.empty((parties.n_parties, margins.shape[1]))
    if len(parties.single_rows):
        out[parties.single_rows] = margins[parties.single_actors]
    for j, members, band in parties.veto_bodies:
        mg = margins[members]
        if band > 0:
            mg = np.where(np.abs(gains_of(members)) <= band, np.inf, mg)
            low = mg.min(0)
            out[j] = np.where(low == np.inf, 0.0, low)
        else:
            out[j] = mg.min(0)
    for j, members, wts in parties.mean_bodies:
        out[j] = wts @ margins[members]
    return out


def red_line_penalty(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """N x K x G: 10 for each grid level that crosses a member's red line, else 0."""
    return 10.0 * ((GRID < lower[:, :, None] - RED_LINE_TOL) | (GRID > upper[:, :, None] + RED_LINE_TOL))


def nash(pos, sal, cap, mask, *, w, thr, lower, upper, parties, start=None, sweeps=2, penalty=None, **_) -> np.ndarray:
    """Nash bargaining solution over the parties that must consent.

    Maximises sum_p log(U_p(x)) where U_p is party p's margin over its no-deal threshold
    (see :func:`party_utilities`), by coordinate ascent over a grid of levels per issue, from
    ``start`` if given, else the compromise (measured: a warm start from the previous round's
    package gets stuck in worse local optima, so the negotiation does not use one). Packages
    that cross a member's red line count as a large loss for that member (``penalty``, from
    :func:`red_line_penalty`; computed here if not given). The product is smoothed
    (log(tau * softplus(u / tau))), so a party that no package satisfies still pulls the search
    toward it instead of being ignored.
    """
    x = compromise(pos, sal, cap, mask) if start is None else start.copy()
    if penalty is None:
        penalty = red_line_penalty(lower, upper)
    p3 = pos[:, :, None]
    cand = sal[:, :, None] * (p3 - np.abs(w[:, :, None] * GRID - p3))  # N x K x G gains per level
    cand_pen = cand - penalty
    contrib = contributions(x, pos, sal, w)
    pen_now = 10.0 * ((x[None, :] < lower - RED_LINE_TOL) | (x[None, :] > upper + RED_LINE_TOL))
    total, pen_total = contrib.sum(1), pen_now.sum(1)
    for _ in range(sweeps):
        for k in range(len(x)):
            base = total - contrib[:, k]
            row = base - thr - (pen_total - pen_now[:, k])
            margins = row[:, None] + cand_pen[:, k, :]
            u = party_utilities(margins, lambda m, k=k, base=base: base[m, None] + cand[m, k, :], parties)
            z = u * (1.0 / TAU)
            obj = np.where(z < -30.0, z, np.log(np.logaddexp(0.0, np.maximum(z, -30.0)))).sum(0)
            g = int(obj.argmax())
            x[k] = GRID[g]
            contrib[:, k] = cand[:, k, g]
            total = base + contrib[:, k]
            pen_total += penalty[:, k, g] - pen_now[:, k]
            pen_now[:, k] = penalty[:, k, g]
    return x


RULES = {"compromise": compromise, "nash": nash}

"""Proposal rules: the package a mediator puts on the table each round.

Each rule is a function of the current positions (sliced to the package's issues) that
returns one level per issue. Adding a rule is adding a function here and a name in ``RULES``.
"""

from __future__ import annotations

import functools
import os
import warnings

import numpy as np

from negsim.model.valuation import RED_LINE_TOL, contributions

GRID = np.linspace(0.0, 1.0, 21)
TAU = 0.02  # smoothing of the Nash product (in units of margin)
SWEEPS = 2  # coordinate-ascent passes over the issues per search
#: at most this many passes of pair moves after the sweeps (each pass tries every pair of issues; it stops
#: as soon as a pass moves nothing, which is almost always much sooner)
PAIR_PASSES = 50

#: the version of negsim/model/_nash.pyx's kernel (``ascent``) this package calls (the module's ``ABI``)
KERNEL_ABI = 8
#: why the compiled search is not in use ("" when it is)
KERNEL_NOTE = ""
try:  # the compiled coordinate ascent (Cython, built at install); numpy is the reference and fallback
    from negsim.model import _nash
except ImportError:  # a source tree run without installing, or no C compiler at install
    ascent_compiled = grid_best_compiled = None
    KERNEL_NOTE = "negsim.model._nash is not built (pip install -e . builds it, with a C compiler)"
else:
    _current = getattr(_nash, "ABI", None) == KERNEL_ABI
    ascent_compiled = _nash.ascent if _current else None
    grid_best_compiled = _nash.grid_best if _current else None
    if ascent_compiled is None:
        KERNEL_NOTE = "negsim.model._nash was built from an older negsim/model/_nash.pyx: rerun pip install -e ."
        warnings.warn(f"{KERNEL_NOTE}; using the slower numpy search meanwhile", RuntimeWarning, stacklevel=2)
if ascent_compiled is not None and os.environ.get("NEGSIM_KERNEL") == "numpy":
    KERNEL_NOTE = "NEGSIM_KERNEL=numpy is set"

#: which Nash search runs: "compiled" (negsim.model._nash), or "numpy" (the reference: the same results,
#: slower; see KERNEL_NOTE)
KERNEL = "numpy" if KERNEL_NOTE else "compiled"


def compromise(pos, sal, cap, mask, **_) -> np.ndarray:
    """The compromise model (Bueno de Mesquita; Stokman).

    The capability- and salience-weighted mean of the participants' positions, issue by issue.
    """
    wts = cap[mask, None] * sal[mask]
    den = wts.sum(0)
    return np.where(den > 0, (wts * pos[mask]).sum(0) / np.where(den > 0, den, 1), 0.0)


def search_start(pos, sal, mask) -> np.ndarray:
    """The Nash search's first start: the participants' salience-weighted mean position, every participant weighing the same.

    Not :func:`compromise`'s capability weights: capability has no part in the Nash product (but for the weights
    of capability-weighted bodies), so it must not decide where a local search starts either (issue 16: the US's
    capability moved us_drawdown's P(agreement) by +12.8 pp through the search's start alone).
    """
    return compromise(pos, sal, mask.astype(float), mask)


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
        # the same, flat, for the compiled search: party p's members are members[start[p]:stop[p]]
        # (kind 2: a mean body, with weights wts; else a veto party, with its silence band)
        self.kind = np.array([0 if veto else 2 for _, veto, _, _, _ in specs], dtype=np.int64)
        self.band = np.zeros(len(specs))
        for j, _, band in self.veto_bodies:
            self.band[j] = band
        sizes = [len(m) for m, *_ in specs]
        self.stop = np.cumsum(sizes, dtype=np.int64)
        self.start = self.stop - np.array(sizes, dtype=np.int64)
        self.members = np.concatenate([np.asarray(m, dtype=np.int64) for m, *_ in specs]) if specs else np.zeros(0, np.int64)
        self.wts = (
            np.concatenate([np.asarray(w, float) if not veto else np.ones(len(m)) for m, veto, w, _, _ in specs])
            if specs
            else np.zeros(0)
        )


def party_utilities(margins: np.ndarray, bodies: list, parties: Parties, out: np.ndarray, nodeal: np.ndarray) -> np.ndarray:
    """P x G utilities of each party for G candidate packages (see :class:`Parties`), into ``out``.

    ``margins`` is N x G. For each veto body in ``parties.veto_bodies`` with a silence band, ``bodies[j]`` is
    (gains, penalties) of its members for each candidate (M x G each; None for a body without a band). A member
    is silent, as in the vote, when the candidate crosses none of its red lines, its gain is within the band of
    0, and it is no more than the band short of its no-deal value ``nodeal`` (N).
    """
    if len(parties.single_rows):
        out[parties.single_rows] = margins[parties.single_actors]
    for (j, members, band), body in zip(parties.veto_bodies, bodies, strict=True):
        mg = margins[members]
        if band > 0:
            gains, pens = body
            quiet = (pens == 0) & (np.abs(gains) <= band) & (gains >= nodeal[members][:, None] - band)
            np.putmask(mg, quiet, np.inf)
            low = mg.min(0)
            out[j] = np.where(low == np.inf, 0.0, low)
        else:
            mg.min(0, out=out[j])
    for j, members, wts in parties.mean_bodies:
        (wts[:, None] * margins[members]).sum(0, out=out[j])  # summed member by member, as the compiled search
    return out


def red_line_penalty(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """N x K x G: 10 for each grid level that crosses a member's red line, else 0."""
    return 10.0 * ((GRID < lower[:, :, None] - RED_LINE_TOL) | (GRID > upper[:, :, None] + RED_LINE_TOL))


def nash(
    pos, sal, cap, mask, *, w, thr, lower, upper, parties, start=None, sweeps=SWEEPS, penalty=None, nodeal=None, **_
) -> np.ndarray:
    """Nash bargaining solution over the parties that must consent.

    Maximises sum_p log(U_p(x)) where U_p is party p's margin over its no-deal threshold
    (see :func:`party_utilities`), by coordinate ascent over a grid of levels per issue, from
    ``start`` if given, else the compromise (measured: a warm start from the previous round's
    package gets stuck in worse local optima, so the negotiation does not use one). Packages
    that cross a member's red line count as a large loss for that member (``penalty``, from
    :func:`red_line_penalty`; computed here if not given). The product is smoothed
    (log(tau * softplus(u / tau))), so a party that no package satisfies still pulls the search
    toward it instead of being ignored. ``nodeal`` (N) is each member's no-deal value, below which (by more
    than its band) a member of a silence body objects (-inf when not given: silence on the gain alone).

    The search itself is :func:`ascent_numpy`, or its compiled twin when installed (``KERNEL``).
    """
    x = compromise(pos, sal, cap, mask) if start is None else start.copy()
    if penalty is None:
        penalty = red_line_penalty(lower, upper)
    contrib = contributions(x, pos, sal, w)
    total = contrib.sum(1)  # summed N x K by numpy in both searches, so the floats agree to the bit
    thr = np.ascontiguousarray(thr, dtype=float)
    nodeal = _nodeal(nodeal, len(thr))
    if KERNEL == "compiled":
        c, pa = np.ascontiguousarray, parties
        ascent_compiled(
            x, GRID, c(pos), c(sal), c(w), contrib, total, c(penalty), c(lower), c(upper), RED_LINE_TOL, thr,
            pa.kind, pa.start, pa.stop, pa.members, pa.wts, pa.band, nodeal, sweeps, 1.0 / TAU, PAIR_PASSES,
        )  # fmt: skip
        return x
    # issue-major (K x N x G) for numpy: each coordinate step reads contiguous blocks
    p3 = pos.T[:, :, None]
    cand = np.ascontiguousarray((w.T * sal.T)[:, :, None] * (p3 - np.abs(GRID - p3)))  # gains per level
    pen = np.ascontiguousarray(penalty.transpose(1, 0, 2))
    pen_now = np.ascontiguousarray(10.0 * ((x[:, None] < lower.T - RED_LINE_TOL) | (x[:, None] > upper.T + RED_LINE_TOL)))
    return ascent_numpy(x, cand, pen, contrib.T.copy(), total, pen_now, pen_now.sum(0), thr, parties, sweeps, nodeal)


def _nodeal(nodeal, n: int) -> np.ndarray:
    """The members' no-deal values for the silence test, contiguous (-inf for every member when not given)."""
    return np.full(n, -np.inf) if nodeal is None else np.ascontiguousarray(nodeal, dtype=float)


def ascent_numpy(x, cand, pen, contrib, total, pen_now, pen_total, thr, parties: Parties, sweeps: int, nodeal) -> np.ndarray:
    """Coordinate ascent of :func:`nash`, in place on ``x`` (and the running sums), in numpy.

    ``cand`` and ``pen`` are K x N x G: each member's gain and red-line penalty per grid level of
    each issue; ``contrib`` and ``pen_now`` (K x N) those at the current ``x``, whose sums over
    the issues are ``total`` and ``pen_total``. Each of ``sweeps`` passes sets each issue in turn
    to the level that maximises the smoothed Nash product with the others held fixed. This is
    the reference for the compiled search (``negsim/model/_nash.pyx``), which must give the same result.
    """
    cand_pen = cand - pen
    silent = [members if band > 0 else None for _, members, band in parties.veto_bodies]
    u = np.empty((parties.n_parties, len(GRID)))
    for _ in range(sweeps):
        for k in range(len(x)):
            base = total - contrib[k]
            other_pen = pen_total - pen_now[k]
            margins = (base - thr - other_pen)[:, None] + cand_pen[k]
            bodies = [None if m is None else (base[m][:, None] + cand[k, m], other_pen[m][:, None] + pen[k, m]) for m in silent]
            party_utilities(margins, bodies, parties, u, nodeal)
            g = int(log_nash(u).argmax())
            x[k] = GRID[g]
            contrib[k] = cand[k, :, g]
            total[:] = base + contrib[k]
            pen_total += pen[k, :, g] - pen_now[k]
            pen_now[k] = pen[k, :, g]
    if sweeps > 0:  # every level is on the grid now
        pair_moves_numpy(x, cand, pen, cand_pen, contrib, total, pen_now, pen_total, thr, parties, nodeal)
    return x


def pair_moves_numpy(x, cand, pen, cand_pen, contrib, total, pen_now, pen_total, thr, parties: Parties, nodeal) -> None:
    """Pair moves after the sweeps of :func:`ascent_numpy`, in place: two issues at once, one grid step each.

    Coordinate ascent stops on a ridge where no single issue can move without hurting a party that
    binds, although moving two together (Poland's cap up as Russia's withdrawal goes up: the trade
    itself) helps every party: a min over members has such ridges wherever two members bind. For each
    pair of issues (a, b) in order, the 3 x 3 neighbourhood of their levels is scored (the current one
    included, a first) and the search moves to the best when it beats the current package strictly;
    passes repeat until one moves nothing (at most :data:`PAIR_PASSES`). On 60 random four-issue
    problems (tests/test_nash_kernel.py's generator) :func:`nash_multistart` misses the grid's best
    package in 3 with these moves, against 12 with the sweeps alone (a test checks both counts).
    """
    k, g = len(x), len(GRID)
    if k < 2:
        return
    idx = np.rint((x - GRID[0]) / (GRID[1] - GRID[0])).astype(int)
    silent = [members if band > 0 else None for _, members, band in parties.veto_bodies]
    for _ in range(PAIR_PASSES):
        moved = False
        for a in range(k - 1):
            for b in range(a + 1, k):
                la = np.arange(max(idx[a] - 1, 0), min(idx[a] + 1, g - 1) + 1)
                lb = np.arange(max(idx[b] - 1, 0), min(idx[b] + 1, g - 1) + 1)
                base = (total - contrib[a]) - contrib[b]
                other_pen = (pen_total - pen_now[a]) - pen_now[b]
                row = (base - thr) - other_pen
                margins = row[:, None] + (cand_pen[a][:, la][:, :, None] + cand_pen[b][:, lb][:, None, :]).reshape(len(row), -1)
                bodies = [
                    None
                    if m is None
                    else (
                        base[m][:, None] + (cand[a][m][:, la][:, :, None] + cand[b][m][:, lb][:, None, :]).reshape(len(m), -1),
                        other_pen[m][:, None] + (pen[a][m][:, la][:, :, None] + pen[b][m][:, lb][:, None, :]).reshape(len(m), -1),
                    )
                    for m in silent
                ]
                u = party_utilities(margins, bodies, parties, np.empty((parties.n_parties, margins.shape[1])), nodeal)
                obj = log_nash(u)
                here = int(np.flatnonzero(la == idx[a])[0]) * len(lb) + int(np.flatnonzero(lb == idx[b])[0])
                best = int(obj.argmax())
                if not obj[best] > obj[here]:
                    continue
                ga, gb = la[best // len(lb)], lb[best % len(lb)]
                moved = True
                for j, gj in ((a, ga), (b, gb)):
                    idx[j], x[j] = gj, GRID[gj]
                contrib[a] = cand[a, :, ga]
                contrib[b] = cand[b, :, gb]
                total[:] = (base + contrib[a]) + contrib[b]
                pen_total[:] = (other_pen + pen[a, :, ga]) + pen[b, :, gb]
                pen_now[a] = pen[a, :, ga]
                pen_now[b] = pen[b, :, gb]
        if not moved:
            return


def nash_objectives(xs: np.ndarray, pos, sal, w, thr, lower, upper, parties: Parties, nodeal=None) -> np.ndarray:
    """The smoothed log Nash product that :func:`nash` maximises, at each package (row) of ``xs``."""
    lv = xs[:, None, :]  # M x 1 x K against N x K: every package at once
    gains = (w * sal * (pos - np.abs(lv - pos))).sum(2).T  # N x M
    pen = 10.0 * ((lv < lower - RED_LINE_TOL) | (lv > upper + RED_LINE_TOL)).sum(2).T
    return _objectives(gains, pen, thr, parties, nodeal)


def _objectives(gains: np.ndarray, pen: np.ndarray, thr, parties: Parties, nodeal) -> np.ndarray:
    """The smoothed log Nash product of candidates from the members' gains and red-line penalties (N x M each)."""
    margins = gains - thr[:, None] - pen
    bodies = [(gains[members], pen[members]) if band > 0 else None for _, members, band in parties.veto_bodies]
    u = party_utilities(margins, bodies, parties, np.empty((parties.n_parties, gains.shape[1])), _nodeal(nodeal, len(thr)))
    return log_nash(u)


def log_nash(u: np.ndarray) -> np.ndarray:
    """Per candidate (column), the sum over parties of ``log(tau * softplus(u / tau))`` (up to a constant), as the search."""
    z = u * (1.0 / TAU)
    return np.where(z < -30.0, z, np.log(np.logaddexp(0.0, np.maximum(z, -30.0)))).sum(0)


#: a package with at most this many grid points is searched exhaustively (three issues: 21^3 = 9,261 packages)
EXACT_MAX = 10_000


@functools.cache
def _full_grid(k: int) -> np.ndarray:
    """Every package of k issues on the grid (G^k x k), in lexicographic order."""
    return np.stack(np.meshgrid(*([GRID] * k), indexing="ij"), -1).reshape(-1, k) if k else np.zeros((1, 0))


def _issue_tables(j: int, pos, sal, w, lower, upper) -> tuple[np.ndarray, np.ndarray]:
    """(N x G gains, N x G red-line hits) of issue j alone at each grid level, as :func:`nash_objectives` values them."""
    p = pos[:, j : j + 1]
    c = w[:, j : j + 1] * sal[:, j : j + 1] * (p - np.abs(GRID[None, :] - p))
    hit = (GRID[None, :] < lower[:, j : j + 1] - RED_LINE_TOL) | (GRID[None, :] > upper[:, j : j + 1] + RED_LINE_TOL)
    return c, hit


def grid_objectives(k: int, pos, sal, w, thr, lower, upper, parties: Parties, nodeal=None) -> np.ndarray:
    """:func:`nash_objectives` at every package of the k-issue grid (:func:`_full_grid`'s order), issue by issue.

    Gains and red-line penalties are sums over the issues, so each member's value of every package is built from
    its K tables of G levels by broadcasting (N x G^k additions) instead of N x G^k x K products: the same floats,
    summed in the same order, at a fraction of the cost.
    """
    n = pos.shape[0]
    gains, pen = np.zeros((n, 1)), np.zeros((n, 1))  # the empty package
    for j in range(k):
        c, hit = _issue_tables(j, pos, sal, w, lower, upper)
        gains = (gains[:, :, None] + c[:, None, :]).reshape(n, -1) if j else c
        pen = (pen[:, :, None] + hit[:, None, :]).reshape(n, -1) if j else hit.astype(float)
    return _objectives(gains, 10.0 * pen, thr, parties, nodeal)


def grid_best(k: int, pos, sal, w, thr, lower, upper, parties: Parties, nodeal=None) -> int:
    """The index of the first best package of the k-issue grid (1 <= k <= 3): ``argmax`` of :func:`grid_objectives`.

    Compiled (``negsim/model/_nash.pyx``'s ``grid_best``, the same sums in the same order, without the N x G^k
    arrays: several times faster) when ``KERNEL`` is "compiled", else numpy's argmax.
    """
    if KERNEL != "compiled" or grid_best_compiled is None or not 1 <= k <= 3:
        return int(np.argmax(grid_objectives(k, pos, sal, w, thr, lower, upper, parties, nodeal)))
    tables = [_issue_tables(j, pos, sal, w, lower, upper) for j in range(k)]
    c = np.ascontiguousarray(np.stack([t[0] for t in tables]), dtype=float)
    hit = np.ascontiguousarray(np.stack([t[1] for t in tables]), dtype=float)
    pa = parties
    return int(
        grid_best_compiled(
            c, hit, np.ascontiguousarray(thr, dtype=float), pa.kind, pa.start, pa.stop, pa.members, pa.wts, pa.band,
            _nodeal(nodeal, len(thr)), 1.0 / TAU,
        )
    )  # fmt: skip


def nash_multistart(
    pos, sal, cap, mask, *, w, thr, lower, upper, parties, penalty=None, start=None, nodeal=None, **_
) -> np.ndarray:
    """The Nash package: exhaustively for small packages, else :func:`nash` from two starts, keeping the better.

    A package of at most :data:`EXACT_MAX` grid points (up to three issues) is enumerated by
    :func:`grid_objectives`: the first best package in lexicographic order, whatever the start
    (issue 16, item 5; :func:`grid_best`, compiled where the kernel is). A larger one is searched by
    coordinate ascent with pair moves (:func:`pair_moves_numpy`) from :func:`search_start` (``start``,
    when the caller has it; never the capability-weighted compromise, so that capability reaches the
    text only through the objective) and from the status quo: from the first alone it misses a small
    package near the status quo that every party accepts. It is still local: on 60 random
    four-issue problems it misses the grid's best package in 3 (12 without the pair moves); all
    194,481 four-issue packages cost about 0.2 s a search, too much for every round
    (``python benchmarks/search_audit.py`` compares the two on a scenario's own searches).
    """
    thr = np.asarray(thr, dtype=float)
    k = pos.shape[1]
    if len(GRID) ** k <= EXACT_MAX:
        return _full_grid(k)[grid_best(k, pos, sal, w, thr, lower, upper, parties, nodeal)].copy()
    kw = dict(w=w, thr=thr, lower=lower, upper=upper, parties=parties, penalty=penalty, nodeal=nodeal)
    a = nash(pos, sal, cap, mask, start=search_start(pos, sal, mask) if start is None else start, **kw)
    b = nash(pos, sal, cap, mask, start=np.zeros(k), **kw)
    if np.array_equal(a, b):
        return a
    fa, fb = nash_objectives(np.stack([a, b]), pos, sal, w, thr, lower, upper, parties, nodeal)
    return b if fb > fa else a


RULES = {"compromise": compromise, "nash": nash}

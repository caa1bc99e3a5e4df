"""Does the local Nash search decide a verdict? Rerun with ``python benchmarks/search_audit.py``.

For packages of four issues or more the Nash text comes from a coordinate ascent from two starts
(``proposals.nash_multistart``; docs/model.md, limitation 10), which can miss the grid's best
package. This audit plays replicates of a scenario in this process and, at every Nash search of a
package of at most four issues (194,481 packages), also scores every package on the grid
(``proposals.grid_objectives``, about 0.2 s each). It reports:

- how often the ascent's package is not the grid's best (and by how much of the log Nash product);
- whether any package on the grid gives every party a non-negative utility at the thresholds the
  search used (each state's aspiration that round, raised to its legislature's floor where it
  anticipates one): if none does in any search of a replicate, no search could have found a text
  that every party accepts, and the ascent's misses do not decide that replicate's failure;
- the same at each state's no-deal value that round, with no floor for its legislature: in the
  last round every aspiration is down to the no-deal value, so a zone open here and closed at the
  search's thresholds is closed by the legislatures' floors (the win-sets of section 3.8).
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from negsim import api  # noqa: E402
from negsim.model import negotiation, proposals  # noqa: E402
from negsim.montecarlo.runner import run_replicate  # noqa: E402
from negsim.montecarlo.stats import wilson  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MAX_ISSUES = 4


def _utilities(k, pos, sal, w, thr, lower, upper, parties, nodeal) -> np.ndarray:
    """P x G^k: every party's utility at every package of the k-issue grid, as the search scores it."""
    n, grid = pos.shape[0], proposals.GRID
    gains = pen = None
    for j in range(k):
        p = pos[:, j : j + 1]
        c = w[:, j : j + 1] * sal[:, j : j + 1] * (p - np.abs(grid[None, :] - p))
        hit = (grid[None, :] < lower[:, j : j + 1] - proposals.RED_LINE_TOL) | (
            grid[None, :] > upper[:, j : j + 1] + proposals.RED_LINE_TOL
        )
        gains = (gains[:, :, None] + c[:, None, :]).reshape(n, -1) if j else c
        pen = (pen[:, :, None] + hit[:, None, :]).reshape(n, -1) if j else hit.astype(float)
    pen = 10.0 * pen
    bodies = [(gains[m], pen[m]) for _, m, _ in parties.veto_bodies]
    out = np.empty((parties.n_parties, gains.shape[1]))
    margins = gains - thr[:, None] - pen
    u = proposals.party_utilities(margins.copy(), bodies, parties, out, proposals._nodeal(nodeal, len(thr)))
    return u, margins


def _binding(u: np.ndarray, margins: np.ndarray, parties) -> int:
    """The member that binds at the package best for the least satisfied party: the row whose margin is that party's utility."""
    best = int(u.min(0).argmax())
    low = u[:, best].min()
    rows = np.flatnonzero(np.isclose(margins[:, best], low, atol=1e-12))
    return int(rows[0]) if len(rows) else -1


class Audit:
    """Wraps ``proposals.nash_multistart``: each search's outcome against the full grid."""

    def __init__(self):
        self.searches = []  # (replicate, missed, gap, any acceptable at the search's thresholds, at no-deal)
        self.replicate = -1
        self.codes = []
        self.last = {}  # replicate -> who binds in its last search (at the search's thresholds, at the no-deal values)
        self._inner = proposals.nash_multistart
        self._own = negotiation._own_legislatures
        self._leg_rows = np.zeros(0, int)

    def own_legislatures(self, m, pkg, floor):
        """Wraps ``negotiation._own_legislatures``: remembers which states' legislatures sit at the table as extra rows."""
        leg = self._own(m, pkg, floor)
        self._leg_rows = np.zeros(0, int) if leg is None else leg.rows
        return leg

    def label(self, row: int) -> str:
        n = len(self.codes)
        if row < 0:
            return "?"
        return self.codes[row] if row < n else f"{self.codes[self._leg_rows[row - n]]}'s legislature"

    def __call__(self, pos, sal, cap, mask, **kw):
        x = self._inner(pos, sal, cap, mask, **kw)
        k = pos.shape[1]
        if 4 <= k <= MAX_ISSUES:  # up to three issues the search is exact already
            args = (kw["w"], kw["thr"], kw["lower"], kw["upper"], kw["parties"], kw.get("nodeal"))
            u, mg = _utilities(k, pos, sal, *args)
            obj = proposals.log_nash(u)
            here = proposals.nash_objectives(x[None], pos, sal, *args)[0]
            nodeal = kw.get("nodeal")
            u0, mg0 = (u, mg) if nodeal is None else _utilities(k, pos, sal, kw["w"], nodeal, *args[2:])
            self.last[self.replicate] = (self.label(_binding(u, mg, kw["parties"])), self.label(_binding(u0, mg0, kw["parties"])))
            gap = float(obj.max() - here)
            self.searches.append((self.replicate, gap > 1e-9, gap, bool((u.min(0) >= 0).any()), bool((u0.min(0) >= 0).any())))
        return x


def audit(name: str, runs: int, seed: int, overrides: list[str]) -> None:
    sc = api.load(REPO / "scenarios" / f"{name}.yaml" if "/" not in name else name, overrides)
    a = Audit()
    a.codes = list(sc.codes)
    proposals.nash_multistart = a
    negotiation._own_legislatures = a.own_legislatures
    rows = []
    try:
        for r in range(runs):  # one replicate at a time, so each search knows its replicate
            a.replicate = r
            rows.append(run_replicate(sc, seed, r))
    finally:
        proposals.nash_multistart = a._inner
        negotiation._own_legislatures = a._own
    s = a.searches
    if not s:
        print(f"{name}: no Nash search of 4..{MAX_ISSUES} issues in {runs} replicates")
        return
    missed = [g for _, m, g, _, _ in s if m]
    print(f"{name}: {runs} replicates (seed {seed}), {len(s)} Nash searches of 4 issues")
    lo, hi = wilson(len(missed), len(s))
    print(f"  the ascent misses the grid's best package in {len(missed)} ({len(missed) / len(s):.1%} [{lo:.1%}, {hi:.1%}]),"
          f" by a median {np.median(missed) if missed else 0:.3f} of the log Nash product")  # fmt: skip
    reps = sorted({r for r, *_ in s})
    open_thr = {r for r, _, _, ok, _ in s if ok}
    open_nd = {r for r, _, _, _, ok in s if ok}
    agreed = {r for r in reps if rows[r]["complete"]}
    print(f"  replicates with a package every party accepts in some search, at the search's thresholds: "
          f"{len(open_thr)} of {len(reps)}; at the no-deal values without the legislatures' floors: {len(open_nd)} of {len(reps)}")  # fmt: skip
    print(f"  agreed in full: {len(agreed)} of {len(reps)}; failed although some search had such a package: "
          f"{len(open_thr - agreed)}")  # fmt: skip
    for j, what in ((0, "at the search's thresholds"), (1, "at the no-deal values without the floors")):
        who = collections.Counter(v[j] for v in a.last.values()).most_common(5)
        print(f"  who is least satisfied by the best package of each replicate's last search, {what}: "
              + ", ".join(f"{w} {c}" for w, c in who))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], dest="overrides", metavar="PATH=VALUE")
    ap.add_argument("scenarios", nargs="*", default=["polish_belarusian_limits"])
    a = ap.parse_args()
    for name in a.scenarios:
        audit(name, a.runs, a.seed, a.overrides)


if __name__ == "__main__":
    main()

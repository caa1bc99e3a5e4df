"""Summary statistics over an outcome table (pure functions over rows)."""

from __future__ import annotations

import math
import statistics
from collections import Counter

import numpy as np

from negsim.scenario.schema import FRONTS

Z95 = 1.959963984540054
#: the headline probabilities in the order printed: "P(agreement)" is the package agreed in full (every
#: issue, every pact); "P(any part agreed)" also counts partial agreement (some baby steps, some of many pacts)
HEADLINE = (
    ("complete", "P(agreement)"),
    ("reached", "P(any part agreed)"),
    ("ratified", "P(ratified)"),
    ("in_force", "P(in force)"),
    ("survived", "P(survives to horizon)"),
)
LABELS = dict(HEADLINE)
#: the same, short (tables and summaries of several outcomes: backtest, sensitivity, discover, the dashboard)
SHORT_LABELS = LABELS | {"survived": "P(survives)"}


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (95% by default).

    >>> [round(v, 3) for v in wilson(50, 100)]
    [0.404, 0.596]
    """
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    lo, hi = max(0.0, centre - half), min(1.0, centre + half)
    return (0.0 if k == 0 else min(lo, p), 1.0 if k == n else max(hi, p))


def needed_runs(ps, precision: float) -> int:
    """Replicates for every proportion in ``ps`` to reach a 95% half-width of ``precision``.

    Normal approximation on the least favourable proportion (p(1 - p) at least 0.0025).

    >>> needed_runs([0.5], 0.01)
    9604
    """
    worst = max(p * (1 - p) for p in ps)
    return int(Z95**2 * max(worst, 0.0025) / precision**2) + 1


def _truthy(v) -> bool:
    return v is True or v in ("True", "true", "1", 1)


def proportion(rows: list[dict], key: str) -> dict:
    """Estimate, 95% interval and counts for a boolean column."""
    n = len(rows)
    k = sum(_truthy(r.get(key)) for r in rows)
    lo, hi = wilson(k, n)
    return {"p": k / n if n else float("nan"), "lo": lo, "hi": hi, "k": k, "n": n}


def median(values: list[float]) -> float | None:
    """The median (the standard library's), or None for no values.

    >>> median([3, 1, 2]), median([1, 2, 3, 4]), median([])
    (2.0, 2.5, None)
    """
    return float(statistics.median(values)) if len(values) else None


def paired_difference(a: list[bool], b: list[bool], z: float = Z95) -> dict:
    """Difference of two proportions measured on the same replicates (common random numbers): B - A.

    ``a[i]`` and ``b[i]`` are one replicate's outcome under A and under B. The interval is
    Agresti and Min's for a paired difference (2005): half a pair is added to each cell of the
    2x2 table, so it stays honest when few or no pairs disagree; it is clipped to [-1, 1].
    Returns the two proportions, the difference, its interval and the number of discordant pairs.

    >>> d = paired_difference([False] * 90 + [True] * 10, [False] * 80 + [True] * 20)
    >>> round(d["diff"], 3), round(d["lo"], 3), round(d["hi"], 3), d["discordant"]
    (0.1, 0.039, 0.161, 10)
    >>> paired_difference([True] * 5, [True] * 5)["diff"]
    0.0
    """
    n = len(a)
    if n == 0 or len(b) != n:
        raise ValueError("paired_difference needs two equally long, non-empty lists of outcomes")
    up = sum(1 for x, y in zip(a, b, strict=True) if y and not x)  # pairs where only B has the outcome
    down = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    mean = (up - down) / n
    p10, p01 = (up + 0.5) / (n + 2), (down + 0.5) / (n + 2)
    half = z * math.sqrt(max(p10 + p01 - (p10 - p01) ** 2, 0.0) / (n + 2))
    pa, pb = sum(map(bool, a)) / n, sum(map(bool, b)) / n
    return {"a": pa, "b": pb, "diff": mean, "lo": max(mean - half, -1.0), "hi": min(mean + half, 1.0), "discordant": up + down}


class ValueCounts:
    """Exact counts of the values of one numeric column: its median in memory that does not grow with the rows.

    Values on the grid ``k / grid`` for ``0 <= k <= grid`` (a trust rounded to 6 decimals in
    [0, 1], with ``grid=10**6``) are counted in a fixed numpy array; any other value (the small
    integers of rounds and periods, with no grid) in a Counter, whose size is the number of
    distinct values. The median is the same float the sorted list of all values gives.

    >>> c = ValueCounts()
    >>> for v in (3, 1, 2, 2):
    ...     c.add(v)
    >>> c.median(), len(c)
    (2.0, 4)
    """

    def __init__(self, grid: int = 0):
        self.grid = grid
        self.on_grid = np.zeros(grid + 1, np.int64) if grid else None
        self.other: Counter = Counter()
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def add(self, v: float) -> None:
        """Count one value."""
        v = float(v)
        self.n += 1
        if self.grid and 0.0 <= v <= 1.0:
            k = round(v * self.grid)
            if k / self.grid == v:
                self.on_grid[k] += 1
                return
        self.other[v] += 1

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct values in increasing order, with their counts."""
        values = np.fromiter(self.other.keys(), float, len(self.other))
        counts = np.fromiter(self.other.values(), np.int64, len(self.other))
        if self.grid:
            k = np.flatnonzero(self.on_grid)
            values, counts = np.concatenate([values, k / self.grid]), np.concatenate([counts, self.on_grid[k]])
        order = np.argsort(values, kind="stable")
        return values[order], counts[order]

    def median(self) -> float | None:
        """The median (the mean of the middle two for an even count), or None for no values: as :func:`median`."""
        if not self.n:
            return None
        values, counts = self._table()
        ends = np.cumsum(counts)

        def nth(i: int) -> float:  # the i-th (from 0) value in sorted order
            return float(values[np.searchsorted(ends, i, side="right")])

        mid = self.n // 2
        return nth(mid) if self.n % 2 else (nth(mid - 1) + nth(mid)) / 2


TRUST_GRID = 10**6  # outcome rows round final_trust to 6 decimals (negsim.model.model)


class Summary:
    """Streaming summary: feed rows one at a time (in replicate order), read :meth:`result`.

    Holds counters and fixed-size arrays, never the rows nor lists of their values, so its memory
    does not grow with the number of replicates; its medians are exact (:class:`ValueCounts`).
    """

    def __init__(self):
        self.n = 0
        self.k = Counter()  # boolean column -> count of True
        self.front_n = Counter()
        self.front_k = Counter()
        self.periods = ValueCounts()
        self.rounds = ValueCounts()
        self.trust = ValueCounts(TRUST_GRID)
        self.signed = 0
        self.late = 0  # ratified, but entry into force falls after the horizon
        self.holdouts = Counter()
        self.c = {name: Counter() for name in (
            "cause", "reason", "b_actor", "b_issue", "end", "v_actor", "v_issue", "v_rule", "v_reason", "v_pair", "rat",
            "v_pair_reason",
        )}  # fmt: skip

    def add(self, r: dict) -> None:
        """Count one outcome row."""
        self.n += 1
        c = self.c
        for key in ("reached", "ratified", "in_force", "survived", "complete"):
            if _truthy(r.get(key)):
                self.k[key] += 1
        if _truthy(r.get("in_force")) and not _truthy(r.get("survived")) and r.get("breakdown_period") not in ("", None):
            self.periods.add(r["breakdown_period"])
            c["cause"][r["breakdown_cause"]] += 1
            if r.get("breakdown_reason"):
                c["reason"][r["breakdown_reason"]] += 1
            c["b_actor"][r["breakdown_actor"]] += 1
            if r["breakdown_issue"]:
                c["b_issue"][r["breakdown_issue"]] += 1
        c["end"][r["end_cause"]] += 1
        self.rounds.add(r["rounds"])
        if r.get("end_cause") != "agreement":
            if r["veto_actor"]:
                c["v_actor"][r["veto_actor"]] += 1
                c["v_pair"][f"{r['veto_actor']} on {r['veto_issue']}"] += 1
                c["v_pair_reason"][(f"{r['veto_actor']} on {r['veto_issue']}", r["veto_reason"] or "")] += 1
            if r["veto_issue"]:
                c["v_issue"][r["veto_issue"]] += 1
            if r["veto_rule"]:
                c["v_rule"][r["veto_rule"]] += 1
            if r["veto_reason"]:
                c["v_reason"][r["veto_reason"]] += 1
        if _truthy(r.get("reached")) and r.get("ratification_failed_actor"):
            c["rat"][r["ratification_failed_actor"]] += 1
        for f in FRONTS:
            if r.get(f"{f}_agreed") not in ("", None):
                self.front_n[f] += 1
                self.front_k[f + "_agreed"] += _truthy(r.get(f"{f}_agreed"))
                self.front_k[f + "_survived"] += _truthy(r.get(f"{f}_survived"))
        if r.get("final_trust") not in ("", None):
            self.trust.add(r["final_trust"])
        self.signed += int(r.get("pacts_signed") or 0)
        if _truthy(r.get("ratified")) and not _truthy(r.get("in_force")) and _truthy(r.get("reached")):
            self.late += 1
        if _truthy(r.get("reached")) and r.get("holdouts"):
            self.holdouts.update(r["holdouts"].split(";"))

    def add_many(self, rows) -> Summary:
        """Count many rows; returns self."""
        for r in rows:
            self.add(r)
        return self

    def _prop(self, k: int, n: int) -> dict:
        lo, hi = wilson(k, n)
        return {"p": k / n if n else float("nan"), "lo": lo, "hi": hi, "k": k, "n": n}

    def result(self) -> dict:
        """The summary dict (see :func:`summarise`)."""
        c, n = self.c, self.n
        out: dict = {"replicates": n}
        out["probabilities"] = {
            key: self._prop(self.k[key], n) for key in ("reached", "ratified", "in_force", "survived", "complete")
        }
        out["breakdown"] = {
            "count": len(self.periods),
            "median_period": self.periods.median(),
            "by_cause": dict(c["cause"].most_common()),
            "by_reason": dict(c["reason"].most_common()),
            "by_actor": dict(c["b_actor"].most_common(10)),
            "by_issue": dict(c["b_issue"].most_common(10)),
        }
        out["talks"] = {
            "end_cause": dict(c["end"].most_common()),
            "median_rounds": self.rounds.median(),
            "blocked_by_actor": dict(c["v_actor"].most_common(10)),
            "blocked_on_issue": dict(c["v_issue"].most_common(10)),
            "blocked_by_rule": dict(c["v_rule"].most_common()),
            "blocked_by_reason": dict(c["v_reason"].most_common()),
            "blocked_by_actor_issue": dict(c["v_pair"].most_common(10)),
            # why each of those blocked: {"POL on x": {"red_line": 120, "spoiler": 3}}
            "blocked_by_actor_issue_reason": {
                pair: dict(Counter({why: k for (p, why), k in c["v_pair_reason"].items() if p == pair}).most_common())
                for pair, _ in c["v_pair"].most_common(10)
            },
        }
        out["ratification"] = {"failed_by_actor": dict(c["rat"].most_common(10))}
        out["fronts"] = {
            f: {
                "agreed": self._prop(self.front_k[f + "_agreed"], self.front_n[f]),
                "survived": self._prop(self.front_k[f + "_survived"], self.front_n[f]),
            }
            for f in FRONTS
            if self.front_n[f]
        }
        out["final_trust_median"] = self.trust.median()
        out["pacts_signed_mean"] = self.signed / n if n else 0.0
        out["ratified_after_horizon"] = self.late
        out["holdouts_when_signed"] = dict(self.holdouts.most_common(10))
        return out


def summarise(rows: list[dict]) -> dict:
    """The run's summary: headline probabilities with 95% intervals, causes, per-front results."""
    return Summary().add_many(rows).result()

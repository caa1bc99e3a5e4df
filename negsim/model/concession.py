"""Concession shapes: how far an actor that rejected a proposal moves toward it this round.

Each shape is a function of the round ``t`` of ``T`` and the actor's ``rate`` (the share of the
gap it is willing to close by the deadline) returning the fraction of the *remaining* gap to
close now. Time-dependent shapes follow Faratin, Sierra & Jennings (1998):
F(t) = rate * (t/T)^(1/e), with e > 1 conceding early (conceder), e < 1 late (boulware).
"""

from __future__ import annotations

import numpy as np

from negsim.scenario.schema import SHAPES

#: exponent e of F(t) = rate * (t/T) ** (1/e) for the time-dependent shapes
EXPONENT = {"linear": 1.0, "conceder": 3.0, "boulware": 1 / 3, "reciprocal": 1.0, "categorical": 1.0}
_E = np.array([EXPONENT[s] for s in SHAPES])
RECIPROCAL = SHAPES.index("reciprocal")
CATEGORICAL = SHAPES.index("categorical")


class _Roster:
    """What the steps of one roster of shapes need, computed once.

    Who reciprocates, who never moves, and each round's elapsed-time ratios per actor (a run
    asks for the same few).
    """

    def __init__(self, shape: np.ndarray):
        self.shape = shape.copy()
        self.recip = np.flatnonzero(shape == RECIPROCAL)
        self.categorical = np.flatnonzero(shape == CATEGORICAL)
        self._ratios: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        self._tables: dict[int, tuple] = {}

    def ratios(self, t: int, T: int) -> tuple[np.ndarray, np.ndarray]:
        """(t/T)^(1/e) and ((t-1)/T)^(1/e) for each actor's shape exponent e."""
        r = self._ratios.get((t, T))
        if r is None:
            now, before = (min(t, T) / T) ** (1 / _E), (min(t - 1, T) / T) ** (1 / _E)
            r = self._ratios[(t, T)] = (now[self.shape], before[self.shape])
        return r

    def tables(self, T: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For the compiled round loop: the ratios of rounds 1..T as T x N tables, and who reciprocates or never moves."""
        tab = self._tables.get(T)
        if tab is None:
            now, before = zip(*(self.ratios(t, T) for t in range(1, T + 1)), strict=True)
            flags = [np.zeros(len(self.shape), np.uint8) for _ in range(2)]
            flags[0][self.recip] = 1
            flags[1][self.categorical] = 1
            tab = self._tables[T] = (np.array(now), np.array(before), *flags)
        return tab


_ROSTERS: dict[tuple[str, bytes], _Roster] = {}


def _roster(shape: np.ndarray) -> _Roster:
    key = (shape.dtype.str, shape.tobytes())
    r = _ROSTERS.get(key)
    if r is None:
        if len(_ROSTERS) >= 256:
            _ROSTERS.clear()
        r = _ROSTERS[key] = _Roster(shape)
    return r


def kernel_tables(shape: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(now, before, reciprocal, categorical) of a roster of shapes for the compiled round loop (see :meth:`_Roster.tables`)."""
    return _roster(shape).tables(T)


def time_fraction(shape: np.ndarray, rate: np.ndarray, t: int, T: int) -> np.ndarray:
    """Fraction of the remaining gap to close at round t (time-dependent part, all actors)."""
    return _time_fraction(_roster(shape), rate, t, T)


def _time_fraction(roster: _Roster, rate: np.ndarray, t: int, T: int) -> np.ndarray:
    now, before = roster.ratios(t, T)
    f_now = rate * now
    f_before = rate * before
    return np.minimum(np.maximum((f_now - f_before) / np.maximum(1 - f_before, 1e-9), 0.0), 1.0)


def step_fraction(shape: np.ndarray, rate: np.ndarray, t: int, T: int, trust_bar: np.ndarray, others_last: float) -> np.ndarray:
    """Per-actor step toward the proposal this round.

    - conceder / boulware / linear: :func:`time_fraction`.
    - reciprocal (tit for tat, scaled by trust): matches what the others conceded last round
      (at least the linear pace's half), times its mean trust in the other parties.
    - categorical (003: "no concessions"): never moves.
    """
    roster = _roster(shape)
    step = _time_fraction(roster, rate, t, T)
    recip = roster.recip
    if len(recip):
        base = np.maximum(others_last, rate[recip] / (2 * T))
        step[recip] = np.minimum(np.maximum(trust_bar[recip] * base, 0.0), 1.0)
    if len(roster.categorical):
        step[roster.categorical] = 0.0
    return step

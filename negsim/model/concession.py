"""Concession: how much of what it asked for an actor gives up, round by round.

Ideal points and saliences stay fixed through the talks; what moves is each actor's
*aspiration*, the gain a package must give it before it says yes (time-dependent tactics:
Faratin, Sierra & Jennings 1998; NegMAS's aspiration negotiators). Actor i opens asking for
``best_i``, the most the package's issues could give it, and by round r has given up a share
F_i(r) of the way down to its no-deal value ``res_i(r)``:

    aspiration_i(r) = res_i(r) + (1 - F_i(r)) * max(best_i - res_i(r), 0)

- conceder / linear / boulware: F(r) = rate + (1 - rate) * tau^(1/e), tau = (r - 1) / (T - 1)
  (0 in the first round, 1 in the last of T), e = 3, 1 and 1/3: early, steady or late
  concession. ``rate`` is Faratin's initial constant kappa: the share given up in the opening
  offer; every time-dependent state reaches its no-deal value in the last round.
- reciprocal (tit for tat, scaled by trust): opens at ``rate`` and gives up, each round, its mean
  trust in the other parties times what the others gave up last round (at least half the
  linear pace) until the last round, when, like every shape, it accepts any text above its
  no-deal value (a deal at the deadline beats no deal: Faratin et al.'s deadline rule).
- categorical (003: "no concessions"): concedes at the linear pace on issues without a red
  line, but never on an issue it has drawn one on (its red line sits at its ideal point:
  :func:`negsim.model.valuation.red_line_bounds`).

Delay costs (*assumption*, the DOMAIN brief's "delay costs"): the no-deal value worsens by
``delay_cost * threat_i`` for each month the talks have run (the calendar's ``round_months``
per round), so a threatened state's reservation falls as talks drag on, faster when rounds are long.
"""

from __future__ import annotations

import numpy as np

from negsim.scenario.schema import SHAPES

#: exponent e of F = rate * tau ** (1/e) for the time-dependent shapes (categorical concedes linearly off its red lines)
EXPONENT = {"linear": 1.0, "conceder": 3.0, "boulware": 1 / 3, "reciprocal": 1.0, "categorical": 1.0}
_E = np.array([EXPONENT[s] for s in SHAPES])
RECIPROCAL = SHAPES.index("reciprocal")
CATEGORICAL = SHAPES.index("categorical")


def elapsed(r: int, T: int) -> float:
    """The share of the talks' time gone by at the start of round r of T (0 in round 1, 1 in round T)."""
    return 1.0 if T <= 1 else min(r - 1, T - 1) / (T - 1)


def conceded(shape: np.ndarray, rate: np.ndarray, r: int, T: int, trust_bar: np.ndarray, before: np.ndarray,
             others_last: float) -> np.ndarray:  # fmt: skip
    """F_i(r): the share of the way from its best to its no-deal value each actor has given up by round r.

    ``before`` is F(r - 1) (zeros in round 1); ``others_last`` the mean rise of the other actors'
    F in the last round, for the reciprocal shape.
    """
    f = rate + (1.0 - rate) * elapsed(r, T) ** (1.0 / _E[shape])
    recip = shape == RECIPROCAL
    if recip.any():
        pace = np.maximum(others_last, (1.0 - rate) / (2 * max(T - 1, 1)))
        rise = np.clip(trust_bar * pace, 0.0, 1.0)
        f = np.where(recip, np.where(r > 1, np.minimum(before + rise, 1.0), rate), f)
        if r >= T:  # the last chance: a text above its no-deal value beats no deal (Faratin et al.'s deadline)
            f = np.where(recip, 1.0, f)
    return f


def reservation(base: np.ndarray, threat: np.ndarray, delay_cost: float, r: int, round_months: float = 1.0) -> np.ndarray:
    """The no-deal value in round r: the base threshold, lowered by the cost of the r - 1 rounds' months of delay."""
    return base - delay_cost * threat * ((r - 1) * round_months)


def aspiration(best: np.ndarray, res: np.ndarray, f: np.ndarray) -> np.ndarray:
    """What each actor asks of a package in a round: its no-deal value plus the part of its best it still holds out for."""
    return res + (1.0 - f) * np.maximum(best - res, 0.0)


def best_gain(pos: np.ndarray, sal: np.ndarray, w: np.ndarray, lower: np.ndarray, upper: np.ndarray,
              grid: np.ndarray) -> np.ndarray:  # fmt: skip
    """N: the most each actor could get from the package's issues, each set to the grid level best for it within its red lines."""
    g = (w * sal)[:, :, None] * (pos[:, :, None] - np.abs(grid - pos[:, :, None]))  # N x K x G
    allowed = (grid >= lower[:, :, None] - 0.005) & (grid <= upper[:, :, None] + 0.005)
    return np.where(allowed, g, -np.inf).max(2).clip(min=0.0).sum(1)

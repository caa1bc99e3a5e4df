"""Numeric parameters: a fixed value or a distribution drawn once per replicate.

A scenario may write any numeric parameter as a number or as a one-key mapping naming a
distribution (``uniform``, ``normal``, ``beta``, ``choice``) or ``value``. Each may carry
``source`` and ``assumption`` (provenance, never read by the model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from negsim.scenario.streams import BetaShapes, betas, name_hash, truncated_normals, uniforms

KINDS = ("value", "uniform", "normal", "beta", "choice")
PROVENANCE = ("source", "assumption")


@dataclass(frozen=True)
class Param:
    """A parsed numeric parameter with its admissible range [lo, hi]."""

    kind: str
    args: tuple
    lo: float
    hi: float
    source: tuple[str, ...] = ()
    assumption: str | None = None
    p: tuple[float, ...] | None = field(default=None, compare=False)

    @property
    def fixed(self) -> bool:
        """True when the parameter takes one value in every replicate."""
        return self.kind == "value"

    @property
    def mean(self) -> float:
        """The mean of the values drawn (its value when fixed; a normal's truncated to [lo, hi]): reports, executives' priors."""
        if self.kind == "value":
            return self.args[0]
        if self.kind == "uniform":
            return (self.args[0] + self.args[1]) / 2
        if self.kind == "normal":
            return _truncated_normal(*self.args, self.lo, self.hi)[0]
        if self.kind == "beta":
            return self.args[0]
        weights = self.p or tuple(1 / len(self.args) for _ in self.args)
        return float(sum(v * w for v, w in zip(self.args, weights, strict=True)))

    @property
    def sd(self) -> float:
        """The distribution's standard deviation (0 when fixed; a truncated normal's nominal sd)."""
        if self.kind == "value":
            return 0.0
        if self.kind == "uniform":
            return (self.args[1] - self.args[0]) / math.sqrt(12)
        if self.kind == "normal":
            return _truncated_normal(*self.args, self.lo, self.hi)[1]
        if self.kind == "beta":
            return self.args[1]
        weights = self.p or tuple(1 / len(self.args) for _ in self.args)
        return math.sqrt(sum(w * (v - self.mean) ** 2 for v, w in zip(self.args, weights, strict=True)))

    def describe(self) -> str:
        """Human-readable form, e.g. ``beta(mean=0.2, sd=0.05)``."""
        if self.kind == "value":
            return f"{self.args[0]:g}"
        if self.kind == "uniform":
            return f"uniform({self.args[0]:g}, {self.args[1]:g})"
        if self.kind in ("normal", "beta"):
            return f"{self.kind}(mean={self.args[0]:g}, sd={self.args[1]:g})"
        return f"choice({', '.join(f'{v:g}' for v in self.args)})"

    def to_plain(self):
        """The parameter as it would be written in YAML (for resolved scenarios)."""
        if self.kind == "value":
            return self.args[0]
        if self.kind == "uniform":
            return {"uniform": list(self.args)}
        if self.kind in ("normal", "beta"):
            return {self.kind: {"mean": self.args[0], "sd": self.args[1]}}
        out = {"choice": list(self.args)}
        if self.p:
            out["p"] = list(self.p)
        return out

    def sample(self, rng: np.random.Generator) -> float:
        """Draw one value (fixed parameters return their value); each call takes a new stream key from ``rng``."""
        return float(sample_many([self], rng)[0])


def _truncated_normal(m: float, s: float, lo: float, hi: float) -> tuple[float, float]:
    """Mean and sd of normal(m, s) truncated to [lo, hi], as :func:`~negsim.scenario.streams.truncated_normals` draws it."""
    a, b = (lo - m) / s, (hi - m) / s

    def pdf(z: float) -> float:
        return 0.0 if math.isinf(z) else math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    def cdf(z: float) -> float:
        return 0.5 * (1 + math.erf(z / math.sqrt(2)))

    mass = cdf(b) - cdf(a)
    if mass < 1e-12:  # a range far in a tail: the draws take the nearest bound
        bound = lo if m < lo else hi
        return bound, 0.0
    shift = (pdf(a) - pdf(b)) / mass
    spread = ((a * pdf(a) if math.isfinite(a) else 0.0) - (b * pdf(b) if math.isfinite(b) else 0.0)) / mass
    return m + s * shift, s * math.sqrt(max(1 + spread - shift * shift, 0.0))


def _num(x, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise ValueError(f"{what} must be a number, got {type(x).__name__} {x!r}")
    try:
        x = float(x)
    except OverflowError:  # a YAML integer with hundreds of digits
        raise ValueError(f"{what} is too large a number") from None
    if not math.isfinite(x):
        raise ValueError(f"{what} must be a finite number, got {x}")
    return x


def _check_range(x: float, lo: float, hi: float, what: str) -> None:
    if not lo <= x <= hi:
        raise ValueError(f"{what} {x:g} is outside the range [{lo:g}, {hi:g}]")


def parse_param(raw, lo: float = 0.0, hi: float = 1.0) -> Param:
    """Parse a YAML value into a :class:`Param`, raising ``ValueError`` with a clear message.

    >>> parse_param(0.3).mean
    0.3
    >>> parse_param({"beta": {"mean": 0.2, "sd": 0.05}}).describe()
    'beta(mean=0.2, sd=0.05)'
    """
    if isinstance(raw, Param):
        return raw
    if not isinstance(raw, dict):
        x = _num(raw, "value")
        _check_range(x, lo, hi, "value")
        return Param("value", (x,), lo, hi)
    kinds = [k for k in raw if k in KINDS]
    unknown = [k for k in raw if k not in KINDS and k not in PROVENANCE and k != "p"]
    if unknown:
        raise ValueError(
            f"unknown key {unknown[0]!r} in a parameter; expected one of {', '.join(KINDS)} (plus source, assumption)"
        )
    if len(kinds) != 1:
        raise ValueError("a parameter mapping needs exactly one of " + ", ".join(KINDS) + f", got {sorted(raw)}")
    kind = kinds[0]
    spec = raw[kind]
    prov = _provenance(raw)
    if "p" in raw and kind != "choice":
        raise ValueError("'p' is only allowed with 'choice'")
    if kind == "value":
        x = _num(spec, "value")
        _check_range(x, lo, hi, "value")
        return Param("value", (x,), lo, hi, **prov)
    if kind == "uniform":
        return _uniform(spec, lo, hi, prov)
    if kind in ("normal", "beta"):
        return _normal_or_beta(kind, spec, lo, hi, prov)
    return _choice(spec, raw.get("p"), lo, hi, prov)


def _provenance(raw: dict) -> dict:
    """A parameter mapping's ``source`` (claim ids) and ``assumption`` (a sentence), checked."""
    source = raw.get("source", ())
    if isinstance(source, str):
        source = (source,)
    if not isinstance(source, list | tuple) or not all(isinstance(s, str) for s in source):
        raise ValueError("source must be a list of claim ids")
    assumption = raw.get("assumption")
    if assumption is not None and not isinstance(assumption, str):
        raise ValueError("assumption must be a sentence (a string)")
    return {"source": tuple(source), "assumption": assumption}


def _uniform(spec, lo: float, hi: float, prov: dict) -> Param:
    """``uniform: [low, high]`` (a plain value when low == high)."""
    if not isinstance(spec, list | tuple) or len(spec) != 2:
        raise ValueError("uniform needs a list of two numbers: [low, high]")
    a, b = _num(spec[0], "uniform low"), _num(spec[1], "uniform high")
    if a > b:
        raise ValueError(f"uniform low {a:g} is above high {b:g}")
    if not math.isfinite(b - a):  # numpy's uniform refuses a span beyond the largest float
        raise ValueError(f"uniform [{a:g}, {b:g}] spans more than the largest number")
    _check_range(a, lo, hi, "uniform low")
    _check_range(b, lo, hi, "uniform high")
    return Param("uniform", (a, b), lo, hi, **prov) if a < b else Param("value", (a,), lo, hi, **prov)


def _normal_or_beta(kind: str, spec, lo: float, hi: float, prov: dict) -> Param:
    """``normal`` or ``beta`` with ``{mean, sd}`` (a plain value when sd == 0); a beta must be drawable."""
    if not isinstance(spec, dict) or set(spec) != {"mean", "sd"}:
        raise ValueError(f"{kind} needs a mapping with exactly 'mean' and 'sd'")
    m, s = _num(spec["mean"], f"{kind} mean"), _num(spec["sd"], f"{kind} sd")
    _check_range(m, lo, hi, f"{kind} mean")
    if s < 0:
        raise ValueError(f"{kind} sd must not be negative, got {s:g}")
    if s == 0:
        return Param("value", (m,), lo, hi, **prov)
    if kind == "beta":
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError("beta needs a bounded parameter; use normal")
        mu = (m - lo) / (hi - lo)
        sd = s / (hi - lo)
        if not 0 < mu < 1:
            raise ValueError(f"beta mean {m:g} must lie strictly inside ({lo:g}, {hi:g})")
        if sd**2 >= mu * (1 - mu):
            limit = math.sqrt(mu * (1 - mu)) * (hi - lo)
            raise ValueError(f"beta sd {s:g} is too large for mean {m:g} (must be below {limit:.3g})")
        a, b = _beta_ab(np.array([mu]), np.array([sd]))
        if not (0 < a[0] < math.inf and 0 < b[0] < math.inf):  # what numpy's beta needs; sd 1e-300 gave nan
            raise ValueError(f"beta sd {s:g} is too small to draw from for mean {m:g}; write the value as a plain number")
    return Param(kind, (m, s), lo, hi, **prov)


def _choice(spec, p, lo: float, hi: float, prov: dict) -> Param:
    """``choice: [values]`` with optional probabilities ``p``."""
    if not isinstance(spec, list | tuple) or not spec:
        raise ValueError("choice needs a non-empty list of numbers")
    vals = tuple(_num(v, "choice value") for v in spec)
    for v in vals:
        _check_range(v, lo, hi, "choice value")
    if p is not None:
        if not isinstance(p, list | tuple) or len(p) != len(vals):
            raise ValueError("choice 'p' must list one probability per value")
        p = _normalised(tuple(_num(x, "choice probability") for x in p))
    return Param("choice", vals, lo, hi, p=p, **prov)


def _normalised(p: tuple[float, ...]) -> tuple[float, ...]:
    """Choice probabilities that sum to 1 within 1e-6, rescaled to sum to 1 as numpy requires (within 1.5e-8).

    Probabilities that sum to 1 within 1e-9 are kept as written (the same draws as before).
    """
    total = math.fsum(p)
    if any(x < 0 for x in p) or abs(total - 1) > 1e-6:
        raise ValueError(f"choice probabilities must be non-negative and sum to 1 (these sum to {total:.9g})")
    return p if abs(total - 1) <= 1e-9 else tuple(x / total for x in p)  # idempotent: a rescaled p sums to 1 +- 1e-16


def _beta_ab(m: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The beta shapes (a, b) numpy draws from, for a mean and sd on [0, 1] (the validator checks them too)."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        k = m * (1 - m) / s**2 - 1
        return m * k, (1 - m) * k


def sample_many(params: list[Param], rng: np.random.Generator) -> np.ndarray:
    """Draw one value for each parameter (the key of their streams is two draws from ``rng``)."""
    key = tuple(int(w) for w in rng.integers(0, 2**32, size=2, dtype=np.uint64))
    return SamplePlan(params).draw(key)


class SamplePlan:
    """Pre-grouped parameters so a replicate draws all of them with a few numpy calls.

    Each random parameter draws from its own stream (:mod:`negsim.scenario.streams`), placed by
    its name (``names``; by default its position), so its value in a replicate depends on its
    own distribution, its name and the replicate's key only.
    """

    def __init__(self, params: list[Param], names: list[str] | None = None):
        names = names if names is not None else [f"param{i}" for i in range(len(params))]
        if len(names) != len(params) or len(set(names)) != len(names):
            raise ValueError("a sample plan needs one distinct name per parameter")
        self.n = len(params)
        self.names = list(names)  # each parameter's stream name: its path in the scenario (draws tables use it)
        self.fixed = np.array([p.args[0] if p.fixed else np.nan for p in params], dtype=float)
        self.random_idx = np.array([i for i, p in enumerate(params) if not p.fixed], dtype=int)
        hashes = np.array([name_hash(names[i]) for i in self.random_idx], dtype=np.uint64).reshape(-1, 2)
        self.h0, self.h1 = hashes[:, 0].copy(), hashes[:, 1].copy()
        pos = {int(i): r for r, i in enumerate(self.random_idx)}  # parameter index -> row of the block
        idx = {k: [i for i, p in enumerate(params) if p.kind == k] for k in KINDS}
        self.uniform_idx = np.array(idx["uniform"], dtype=int)
        self.uniform_row = np.array([pos[i] for i in idx["uniform"]], dtype=int)
        self.uniform_lo = np.array([params[i].args[0] for i in idx["uniform"]], dtype=float)
        self.uniform_hi = np.array([params[i].args[1] for i in idx["uniform"]], dtype=float)
        self.beta_idx = np.array(idx["beta"], dtype=int)
        self.beta_row = np.array([pos[i] for i in idx["beta"]], dtype=int)
        lo = np.array([params[i].lo for i in idx["beta"]], dtype=float)
        hi = np.array([params[i].hi for i in idx["beta"]], dtype=float)
        m = (np.array([params[i].args[0] for i in idx["beta"]], dtype=float) - lo) / np.where(hi > lo, hi - lo, 1)
        s = np.array([params[i].args[1] for i in idx["beta"]], dtype=float) / np.where(hi > lo, hi - lo, 1)
        self.beta_a, self.beta_b = _beta_ab(m, s) if len(m) else (m, s)
        self.beta_lo, self.beta_span = lo, hi - lo
        self.shapes = BetaShapes(self.beta_a, self.beta_b)
        self.beta_h0, self.beta_h1 = self.h0[self.beta_row], self.h1[self.beta_row]
        self.normal_idx = np.array(idx["normal"], dtype=int)
        self.normal_row = np.array([pos[i] for i in idx["normal"]], dtype=int)
        self.normal_m = np.array([params[i].args[0] for i in idx["normal"]], dtype=float)
        self.normal_s = np.array([params[i].args[1] for i in idx["normal"]], dtype=float)
        self.normal_lo = np.array([params[i].lo for i in idx["normal"]], dtype=float)
        self.normal_hi = np.array([params[i].hi for i in idx["normal"]], dtype=float)
        self.choices = [
            (i, pos[i], np.array(params[i].args), np.cumsum(params[i].p) if params[i].p else None) for i in idx["choice"]
        ]

    def draw(self, key: tuple[int, int]) -> np.ndarray:
        """Return an array of one draw per parameter, for the replicate whose streams have ``key``."""
        out = self.fixed.copy()
        if not len(self.random_idx):
            return out
        u = uniforms(self.h0, self.h1, 0, key)  # block 0 of every stream
        if len(self.uniform_idx):
            out[self.uniform_idx] = self.uniform_lo + (self.uniform_hi - self.uniform_lo) * u[self.uniform_row, 0]
        if len(self.beta_idx):
            rows = self.beta_row
            frac = betas(u[rows], self.shapes, self.beta_h0, self.beta_h1, key)
            out[self.beta_idx] = self.beta_lo + self.beta_span * frac
        if len(self.normal_idx):
            rows = self.normal_row
            out[self.normal_idx] = truncated_normals(
                self.h0[rows], self.h1[rows], key, self.normal_m, self.normal_s, self.normal_lo, self.normal_hi
            )
        for i, row, vals, cum in self.choices:
            j = int(u[row, 0] * len(vals)) if cum is None else int(np.searchsorted(cum, u[row, 0] * cum[-1], side="right"))
            out[i] = vals[min(j, len(vals) - 1)]
        return out

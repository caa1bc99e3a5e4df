"""One random stream per parameter: counter-based draws that stay paired across ``--set``.

Each random parameter of a replicate draws from its own stream, keyed by the parameter's
name (its path in the scenario, e.g. ``actors.POL.trust.RUS``) and by the replicate: block
``j`` of the stream of parameter ``p`` in the replicate with key ``k`` is

    Philox4x32-10(counter = (h0(p), h1(p), j, 0), key = k)

four 32-bit words, read as four uniforms in (0, 1). ``h0, h1`` are a 64-bit BLAKE2b hash of the
name; ``k`` comes from the replicate's ``SeedSequence`` (its child keyed :data:`PARAM_CHILD`),
so it depends on the run's seed and the replicate's index only. Fixing or changing one
parameter (``--set``, a sweep point) therefore leaves every other parameter's draw of every
replicate unchanged, and ``compare`` and sweeps are exactly paired (issue 16, item 4).

Philox is the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random
numbers: as easy as 1, 2, 3" (SC'11), which passes TestU01's BigCrush; this is its 4x32 form
with 10 rounds, checked against the Random123 known-answer vectors (tests/test_streams.py).
numpy's ``Philox`` takes one key per generator, so it cannot draw a stream per parameter in
one vectorised call; building a generator per parameter costs about 11 us each, and a bundled
scenario has about 1,300 random parameters.

Distributions from the uniforms: a uniform and a choice by their inverse CDF; a normal
truncated to its range by rejection (Box-Muller normals, block r for attempt r); a beta as
``X / (X + Y)`` of two gammas, each by Marsaglia and Tsang's (2000) rejection method (attempt 0
reads block 0, attempt r >= 1 block r + 1; a shape below 1 is boosted by ``U^(1/shape)`` with U
from block 1). Each is exact for its distribution up to the 2^-32 resolution of the uniforms.
"""

from __future__ import annotations

import hashlib

import numpy as np

try:  # the compiled Philox (pip install -e . builds it); the numpy reference gives the same bits
    from negsim.scenario import _philox

    _compiled = _philox.uniforms if getattr(_philox, "ABI", None) == 1 else None
except ImportError:  # pragma: no cover - a build without a C compiler
    _compiled = None

#: the child of a replicate's SeedSequence whose state keys the parameter streams ("para")
PARAM_CHILD = 0x70617261
_M0, _M1 = 0xD2511F53, 0xCD9E8D57
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_MASK = 0xFFFFFFFF
_TO_UNIT = 2.0**-32
_RETRY = 3  # attempts drawn at once for a rejected gamma


def philox4x32(c0, c1, c2, c3, k0: int, k1: int, rounds: int = 10) -> tuple[np.ndarray, ...]:
    """Philox4x32 of counters (c0, c1, c2, c3) (arrays of 32-bit values) under key (k0, k1): the numpy reference."""
    c0, c1, c2, c3 = np.broadcast_arrays(*(np.asarray(c, dtype=np.uint64) for c in (c0, c1, c2, c3)))
    k0, k1 = int(k0), int(k1)
    for _ in range(rounds):
        p0 = c0 * _M0
        p1 = c2 * _M1
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & _MASK, (p0 >> 32) ^ c3 ^ k1, p0 & _MASK
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return c0, c1, c2, c3


def name_hash(name: str) -> tuple[int, int]:
    """The two 32-bit words that place a parameter's stream (a 64-bit BLAKE2b hash of its name)."""
    h = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")
    return h & _MASK, h >> 32


def replicate_key(rng: np.random.Generator) -> tuple[int, int]:
    """The key of a replicate's parameter streams, derived from its generator's SeedSequence.

    The generator of replicate ``i`` (``SeedSequence(seed, spawn_key=(i,))``) gives the state of
    its child ``(i, PARAM_CHILD)``, without drawing from the generator: the model's own draws
    (noise, hazards) are untouched. A generator without a SeedSequence gives two of its draws.
    """
    ss = getattr(rng.bit_generator, "seed_seq", None)
    if isinstance(ss, np.random.SeedSequence):
        child = np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, PARAM_CHILD), pool_size=ss.pool_size)
        w = child.generate_state(2, np.uint32)
    else:
        w = rng.integers(0, 2**32, size=2, dtype=np.uint64)
    return int(w[0]), int(w[1])


def uniforms_numpy(h0: np.ndarray, h1: np.ndarray, block, key: tuple[int, int], stream: int = 0) -> np.ndarray:
    """(n, 4) uniforms in (0, 1): block ``block`` of each of the n streams (h0, h1); the numpy reference."""
    words = philox4x32(h0, h1, np.asarray(block, dtype=np.uint64), np.uint64(stream), *key)
    return (np.stack(words, axis=1).astype(float) + 0.5) * _TO_UNIT


def uniforms(h0: np.ndarray, h1: np.ndarray, block, key: tuple[int, int], stream: int = 0) -> np.ndarray:
    """(n, 4) uniforms in (0, 1): block ``block`` of each of the n streams (h0, h1).

    The compiled kernel (``negsim.scenario._philox``) when it is built, else the numpy reference: the same bits.
    """
    if _compiled is None:
        return uniforms_numpy(h0, h1, block, key, stream)
    blk = np.broadcast_to(np.asarray(block, dtype=np.uint64), h0.shape)
    return _compiled(h0, h1, blk, stream, key[0], key[1])


class BetaShapes:
    """Marsaglia-Tsang constants for the two gamma shapes (a, b) of each beta (n x 2; boosted by 1 below 1)."""

    def __init__(self, a: np.ndarray, b: np.ndarray):
        self.a, self.b = a, b
        self.shape = np.stack([a, b], axis=1)
        self.boost = self.shape < 1
        s = np.where(self.boost, self.shape + 1.0, self.shape)
        self.d = s - 1.0 / 3.0
        self.c = 1.0 / np.sqrt(9.0 * self.d)


def _mt_accept(z: np.ndarray, u: np.ndarray, d: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Marsaglia-Tsang: (accepted, value d*v) for normal z and uniform u."""
    v = (1.0 + c * z) ** 3
    pos = v > 0
    vs = np.where(pos, v, 1.0)
    ok = pos & (np.log(u) < 0.5 * z * z + d - d * vs + d * np.log(vs))
    return ok, d * vs


def box_muller(u0: np.ndarray, u1: np.ndarray) -> np.ndarray:
    """Two independent standard normals (..., 2) from two uniforms (Box and Muller, 1958)."""
    r = np.sqrt(-2.0 * np.log(u0))
    t = 2.0 * np.pi * u1
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=-1)


def betas(first: np.ndarray, sh: BetaShapes, h0: np.ndarray, h1: np.ndarray, key) -> np.ndarray:
    """Beta(a, b) draws on [0, 1], one per stream, as X / (X + Y) of two gammas.

    In each block, words 0-1 give two normals (Box-Muller), the first for X and the second for
    Y, and words 2 and 3 their acceptance uniforms. Attempt 0 reads ``first`` (block 0); a
    rejected gamma draws its next attempts (blocks 2, 3, 4, ...) three at a time, so a replicate
    rarely needs more than one further call.
    """
    ok, g = _mt_accept(box_muller(first[:, 0], first[:, 1]), first[:, 2:], sh.d, sh.c)
    rows, cols = np.nonzero(~ok)
    r = 2
    while rows.size:
        m = rows.size
        blocks = np.repeat(np.arange(r, r + _RETRY, dtype=np.uint64), m)
        un = uniforms(np.tile(h0[rows], _RETRY), np.tile(h1[rows], _RETRY), blocks, key).reshape(_RETRY, m, 4)
        lane = np.arange(m)
        z = np.take_along_axis(box_muller(un[:, :, 0], un[:, :, 1]), np.broadcast_to(cols[None, :, None], (_RETRY, m, 1)), 2)[
            ..., 0
        ]
        u = un[:, lane, 2 + cols]
        ok, val = _mt_accept(z, u, sh.d[rows, cols], sh.c[rows, cols])
        hit = ok.any(axis=0)
        g[rows[hit], cols[hit]] = val[ok.argmax(axis=0)[hit], lane[hit]]
        rows, cols = rows[~hit], cols[~hit]
        r += _RETRY
    if sh.boost.any():
        rows, cols = np.nonzero(sh.boost)
        ub = uniforms(h0[rows], h1[rows], 1, key)[np.arange(rows.size), cols]
        g[rows, cols] *= ub ** (1.0 / sh.shape[rows, cols])
    tot = g[:, 0] + g[:, 1]
    return np.where(tot > 0, g[:, 0] / np.where(tot > 0, tot, 1.0), sh.a / (sh.a + sh.b))


def truncated_normals(h0: np.ndarray, h1: np.ndarray, key, m, s, lo, hi, tries: int = 64) -> np.ndarray:
    """normal(m, s) draws truncated to [lo, hi], one per stream, by rejection.

    Attempt r reads block r's words 0-1 (Box-Muller, the first normal); a stream still outside
    its range after ``tries`` attempts (a range far in a tail) takes the nearest bound.
    """
    x = m + s * box_muller(*uniforms(h0, h1, 0, key)[:, :2].T)[:, 0]
    todo = np.flatnonzero((x < lo) | (x > hi))
    r = 1
    while todo.size and r < tries:
        un = uniforms(h0[todo], h1[todo], r, key)
        x[todo] = m[todo] + s[todo] * box_muller(un[:, 0], un[:, 1])[:, 0]
        todo = todo[(x[todo] < lo[todo]) | (x[todo] > hi[todo])]
        r += 1
    return np.clip(x, lo, hi)

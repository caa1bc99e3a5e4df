# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Compiled Philox4x32-10 for the parameter streams (see :mod:`negsim.scenario.streams`).

Integer arithmetic only, so it gives the same uniforms as the numpy reference
(:func:`negsim.scenario.streams.uniforms_numpy`) to the bit: ``tests/test_streams.py`` checks
it. A replicate draws its ~1,300 parameters with one call; numpy spends most of its time on
that in the dispatch of a hundred small array operations.
"""

from libc.stdint cimport uint32_t, uint64_t

import numpy as np

#: bumped with every change of the arguments (negsim.scenario.streams ignores an older build)
ABI = 1


def uniforms(const uint64_t[:] h0, const uint64_t[:] h1, const uint64_t[:] block, uint64_t stream,
             uint64_t k0, uint64_t k1, int rounds=10):
    """(n, 4) uniforms in (0, 1): Philox4x32 of counters (h0, h1, block, stream) under key (k0, k1)."""
    cdef Py_ssize_t n = h0.shape[0], i, r
    out = np.empty((n, 4), dtype=np.float64)
    cdef double[:, ::1] o = out
    cdef uint64_t c0, c1, c2, c3, p0, p1, a, b
    cdef uint32_t key0, key1
    cdef double scale = 1.0 / 4294967296.0
    cdef uint64_t mask = 0xFFFFFFFFu, m0 = 0xD2511F53u, m1 = 0xCD9E8D57u
    cdef uint32_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u
    with nogil:
        for i in range(n):
            c0 = h0[i] & mask
            c1 = h1[i] & mask
            c2 = block[i] & mask
            c3 = stream & mask
            key0 = <uint32_t>k0
            key1 = <uint32_t>k1
            for r in range(rounds):
                p0 = c0 * m0
                p1 = c2 * m1
                a = (p1 >> 32) ^ c1 ^ key0
                b = (p0 >> 32) ^ c3 ^ key1
                c1 = p1 & mask
                c3 = p0 & mask
                c0 = a
                c2 = b
                key0 = key0 + w0
                key1 = key1 + w1
            o[i, 0] = (<double>c0 + 0.5) * scale
            o[i, 1] = (<double>c1 + 0.5) * scale
            o[i, 2] = (<double>c2 + 0.5) * scale
            o[i, 3] = (<double>c3 + 0.5) * scale
    return out

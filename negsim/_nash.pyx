# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Compiled coordinate ascent of the Nash proposal rule (see :func:`negsim.proposals.nash`).

The same arithmetic, in the same order, as :func:`negsim.proposals.ascent_numpy`, which is
its reference: ``tests/test_mechanisms.py`` checks that both give the same package. A
replicate spends most of its time here, in a few hundred operations on 35 x 21 arrays per
proposal, each of which costs numpy more in dispatch than in arithmetic.
"""

from libc.math cimport INFINITY, exp, fabs, log, log1p

cdef double LOGE2 = 0.693147180559945309417232121458176568


cdef inline double logaddexp0(double z) noexcept nogil:
    """log(exp(0) + exp(z)), as numpy's ``logaddexp(0.0, z)`` computes it."""
    if z == 0.0:
        return LOGE2
    if z < 0.0:
        return log1p(exp(z))
    if z > 0.0:
        return z + log1p(exp(-z))
    return z  # nan


def ascent(
    double[::1] x,
    const double[::1] grid,
    const double[:, :, ::1] cand,
    const double[:, :, ::1] pen,
    double[:, ::1] contrib,
    double[::1] total,
    double[:, ::1] pen_now,
    double[::1] pen_total,
    const double[::1] thr,
    const long long[::1] kind,
    const long long[::1] start,
    const long long[::1] stop,
    const long long[::1] members,
    const double[::1] wts,
    const double[::1] band,
    int sweeps,
    double inv_tau,
):
    """Coordinate ascent in place on ``x``; arguments as :func:`negsim.proposals.ascent_numpy`."""
    cdef Py_ssize_t K = cand.shape[0], N = cand.shape[1], G = cand.shape[2], P = kind.shape[0]
    cdef Py_ssize_t s, k, i, g, p, q, bg
    cdef double u, mg, z, obj, best
    cdef double[::1] base = total.copy()
    cdef double[::1] row = total.copy()
    with nogil:
        for s in range(sweeps):
            for k in range(K):
                for i in range(N):
                    base[i] = total[i] - contrib[k, i]
                    row[i] = base[i] - thr[i] - (pen_total[i] - pen_now[k, i])
                best = -INFINITY
                bg = 0
                for g in range(G):
                    obj = 0.0
                    for p in range(P):
                        if kind[p] == 2:  # a body counting its members' capability-weighted mean margin
                            u = 0.0
                            for q in range(start[p], stop[p]):
                                i = members[q]
                                u = u + wts[q] * (row[i] + (cand[k, i, g] - pen[k, i, g]))
                        else:  # a veto party: as satisfied as its least satisfied member
                            u = INFINITY
                            for q in range(start[p], stop[p]):
                                i = members[q]
                                if band[p] > 0 and fabs(base[i] + cand[k, i, g]) <= band[p]:
                                    continue  # indifferent, under the silence procedure
                                mg = row[i] + (cand[k, i, g] - pen[k, i, g])
                                if mg < u:
                                    u = mg
                            if band[p] > 0 and u == INFINITY:
                                u = 0.0
                        z = u * inv_tau
                        if z < -30.0:
                            obj = obj + z
                        else:
                            obj = obj + log(logaddexp0(z))
                    if obj > best:
                        best = obj
                        bg = g
                x[k] = grid[bg]
                for i in range(N):
                    contrib[k, i] = cand[k, i, bg]
                    total[i] = base[i] + contrib[k, i]
                    pen_total[i] = pen_total[i] + (pen[k, i, bg] - pen_now[k, i])
                    pen_now[k, i] = pen[k, i, bg]
    return x

# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Compiled coordinate ascent of the Nash proposal rule (see :func:`negsim.proposals.nash`).

The same arithmetic, in the same order, as :func:`negsim.proposals.ascent_numpy`, which is
its reference: ``tests/test_mechanisms.py`` checks that both give the same package. A
replicate spends most of its time here, in a few hundred operations on 35 x 21 arrays per
proposal, each of which costs numpy more in dispatch than in arithmetic.
"""

from libc.math cimport INFINITY, exp, fabs, log, log1p

import numpy as np

#: bumped with every change of ``ascent``'s arguments: negsim.proposals ignores a module built from
#: an older negsim/_nash.pyx (an editable install not rebuilt after a pull) instead of crashing
ABI = 2

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
    const double[:, ::1] pos,
    const double[:, ::1] sal,
    const double[:, ::1] w,
    double[:, ::1] contrib,
    double[::1] total,
    const double[:, :, ::1] pen,
    const double[:, ::1] lower,
    const double[:, ::1] upper,
    double tol,
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
    """Coordinate ascent in place on ``x`` (see :func:`negsim.proposals.nash`).

    Arrays are actor-major as the negotiation holds them: ``pos``, ``sal``, ``w`` (trust
    weights), ``lower``/``upper`` (red-line bounds, widened here by ``tol``) and ``contrib``
    (each member's gain per issue at ``x``, updated in place) are N x K, ``pen`` (red-line
    penalty per grid level) N x K x G; ``total`` is ``contrib`` summed over the issues by numpy.
    Parties are flat: party p's members are ``members[start[p]:stop[p]]``; kind 2 is a body
    counting the capability-weighted (``wts``) mean margin, any other kind a veto party with
    the silence ``band`` (0: none).
    """
    cdef Py_ssize_t N = pos.shape[0], K = pos.shape[1], G = grid.shape[0], P = kind.shape[0]
    cdef Py_ssize_t s, k, i, g, p, q, bg
    cdef double u, mg, z, obj, best, pk
    cdef double[:, :, ::1] cand = np.empty((K, N, G))
    cdef double[:, ::1] pen_now = np.empty((K, N))
    cdef double[::1] pen_total = np.zeros(N)
    cdef double[::1] base = np.empty(N)
    cdef double[::1] row = np.empty(N)
    with nogil:
        for k in range(K):
            for i in range(N):
                for g in range(G):  # each member's gain per level (as valuation.contributions)
                    cand[k, i, g] = sal[i, k] * (pos[i, k] - fabs(w[i, k] * grid[g] - pos[i, k]))
                pk = 10.0 if (x[k] < lower[i, k] - tol or x[k] > upper[i, k] + tol) else 0.0
                pen_now[k, i] = pk
                pen_total[i] = pen_total[i] + pk
        for s in range(sweeps):
            for k in range(K):
                for i in range(N):
                    base[i] = total[i] - contrib[i, k]
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
                                u = u + wts[q] * (row[i] + (cand[k, i, g] - pen[i, k, g]))
                        else:  # a veto party: as satisfied as its least satisfied member
                            u = INFINITY
                            for q in range(start[p], stop[p]):
                                i = members[q]
                                if band[p] > 0 and fabs(base[i] + cand[k, i, g]) <= band[p]:
                                    continue  # indifferent, under the silence procedure
                                mg = row[i] + (cand[k, i, g] - pen[i, k, g])
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
                    contrib[i, k] = cand[k, i, bg]
                    total[i] = base[i] + contrib[i, k]
                    pen_total[i] = pen_total[i] + (pen[i, k, bg] - pen_now[k, i])
                    pen_now[k, i] = pen[i, k, bg]
    return x

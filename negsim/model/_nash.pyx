# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Compiled kernel of the negotiation phase: the Nash search.

``ascent`` is the coordinate ascent of the Nash proposal rule (see
:func:`negsim.model.proposals.nash`). It does the same arithmetic, in the same order, as its
numpy reference (:func:`negsim.model.proposals.ascent_numpy`), so results are identical to the
bit: ``tests/test_nash_kernel.py`` checks it. Sums are taken in numpy's order (its pairwise
summation; see :func:`_sum`). The proposer searches every round of the talks (aspirations move
each round), a few hundred operations on 35 x 21 arrays, each of which costs numpy more in
dispatch than in arithmetic.
"""

from libc.math cimport INFINITY, exp, fabs, log, log1p

import numpy as np

#: bumped with every change of the kernels' arguments: negsim.model.proposals ignores a module built from
#: an older negsim/model/_nash.pyx (an editable install not rebuilt after a pull) instead of crashing
ABI = 8

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


cdef inline double _log_soft(double u, double inv_tau) noexcept nogil:
    """One party's term of the smoothed log Nash product (proposals.log_nash): log(tau * softplus(u / tau)) + const."""
    cdef double z = u * inv_tau
    if z < -30.0:
        return z
    return log(logaddexp0(z))


cdef double _pairwise(const double* a, Py_ssize_t n, Py_ssize_t stride) noexcept nogil:
    """numpy's pairwise summation (``DOUBLE_pairwise_sum``), in its order."""
    cdef Py_ssize_t i, n2
    cdef double res, r0, r1, r2, r3, r4, r5, r6, r7
    if n < 8:
        res = -0.0
        for i in range(n):
            res = res + a[i * stride]
        return res
    if n <= 128:
        r0 = a[0]; r1 = a[stride]; r2 = a[2 * stride]; r3 = a[3 * stride]
        r4 = a[4 * stride]; r5 = a[5 * stride]; r6 = a[6 * stride]; r7 = a[7 * stride]
        i = 8
        while i < n - (n % 8):
            r0 = r0 + a[i * stride]; r1 = r1 + a[(i + 1) * stride]
            r2 = r2 + a[(i + 2) * stride]; r3 = r3 + a[(i + 3) * stride]
            r4 = r4 + a[(i + 4) * stride]; r5 = r5 + a[(i + 5) * stride]
            r6 = r6 + a[(i + 6) * stride]; r7 = r7 + a[(i + 7) * stride]
            i = i + 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res = res + a[i * stride]
            i = i + 1
        return res
    n2 = n // 2
    n2 = n2 - n2 % 8
    return _pairwise(a, n2, stride) + _pairwise(a + n2 * stride, n - n2, stride)


cdef inline double _sum(const double* a, Py_ssize_t n) noexcept nogil:
    """``a[:n].sum()`` of a contiguous vector (or a row of a C-ordered matrix), as numpy sums it."""
    return 0.0 + _pairwise(a, n, 1)


cdef void _ascent(
    double[::1] x, const double[::1] grid, const double[:, ::1] pos, const double[:, ::1] sal, const double[:, ::1] w,
    double[:, ::1] contrib, double[::1] total, const double[:, :, ::1] pen, const double[:, ::1] lower,
    const double[:, ::1] upper, double tol, const double[::1] thr, const long long[::1] kind,
    const long long[::1] start, const long long[::1] stop, const long long[::1] members, const double[::1] wts,
    const double[::1] band, const double[::1] nodeal, int sweeps, double inv_tau,
    double[:, :, ::1] cand, double[:, ::1] pen_now, double[::1] pen_total, double[::1] base, double[::1] row,
    double[::1] opn, int pair_passes,
) noexcept nogil:
    cdef Py_ssize_t N = pos.shape[0], K = pos.shape[1], G = grid.shape[0], P = kind.shape[0]
    cdef Py_ssize_t s, k, i, g, p, q, bg, a, b, ia, ib, ga, gb, a0, a1, b0, b1, here, bestc, c, ha, hb
    cdef double u, mg, obj, best, pk, gain
    cdef double objs[9]
    cdef int moved
    for i in range(N):
        pen_total[i] = 0.0
    for k in range(K):
        for i in range(N):
            for g in range(G):  # each member's gain per level (as valuation.contributions)
                cand[k, i, g] = (w[i, k] * sal[i, k]) * (pos[i, k] - fabs(grid[g] - pos[i, k]))
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
                            if band[p] > 0 and fabs(base[i] + cand[k, i, g]) <= band[p] and (
                                base[i] + cand[k, i, g] >= nodeal[i] - band[p]
                            ) and pen_total[i] - pen_now[k, i] + pen[i, k, g] == 0.0:
                                continue  # indifferent under the silence procedure: no red line crossed, not short of no deal
                            mg = row[i] + (cand[k, i, g] - pen[i, k, g])
                            if mg < u:
                                u = mg
                        if band[p] > 0 and u == INFINITY:
                            u = 0.0
                    obj = obj + _log_soft(u, inv_tau)
                if obj > best:
                    best = obj
                    bg = g
            x[k] = grid[bg]
            for i in range(N):
                contrib[i, k] = cand[k, i, bg]
                total[i] = base[i] + contrib[i, k]
                pen_total[i] = pen_total[i] + (pen[i, k, bg] - pen_now[k, i])
                pen_now[k, i] = pen[i, k, bg]
    if sweeps <= 0 or K < 2:
        return
    # pair moves (proposals.pair_moves_numpy): two issues at once, one grid step each, until a pass moves nothing
    for s in range(pair_passes):
        moved = 0
        for a in range(K - 1):
            for b in range(a + 1, K):
                ia = <Py_ssize_t>((x[a] - grid[0]) / (grid[1] - grid[0]) + 0.5)
                ib = <Py_ssize_t>((x[b] - grid[0]) / (grid[1] - grid[0]) + 0.5)
                a0 = ia - 1 if ia > 0 else 0
                a1 = ia + 1 if ia < G - 1 else G - 1
                b0 = ib - 1 if ib > 0 else 0
                b1 = ib + 1 if ib < G - 1 else G - 1
                for i in range(N):
                    base[i] = (total[i] - contrib[i, a]) - contrib[i, b]
                    opn[i] = (pen_total[i] - pen_now[a, i]) - pen_now[b, i]
                    row[i] = (base[i] - thr[i]) - opn[i]
                c = 0
                here = 0
                for ga in range(a0, a1 + 1):
                    for gb in range(b0, b1 + 1):
                        if ga == ia and gb == ib:
                            here = c
                        obj = 0.0
                        for p in range(P):
                            if kind[p] == 2:
                                u = 0.0
                                for q in range(start[p], stop[p]):
                                    i = members[q]
                                    u = u + wts[q] * (row[i] + ((cand[a, i, ga] - pen[i, a, ga]) + (cand[b, i, gb] - pen[i, b, gb])))
                            else:
                                u = INFINITY
                                for q in range(start[p], stop[p]):
                                    i = members[q]
                                    if band[p] > 0:
                                        gain = base[i] + (cand[a, i, ga] + cand[b, i, gb])
                                        if fabs(gain) <= band[p] and gain >= nodeal[i] - band[p] and (
                                            opn[i] + (pen[i, a, ga] + pen[i, b, gb]) == 0.0
                                        ):
                                            continue
                                    mg = row[i] + ((cand[a, i, ga] - pen[i, a, ga]) + (cand[b, i, gb] - pen[i, b, gb]))
                                    if mg < u:
                                        u = mg
                                if band[p] > 0 and u == INFINITY:
                                    u = 0.0
                            obj = obj + _log_soft(u, inv_tau)
                        objs[c] = obj
                        c = c + 1
                bestc = 0
                for g in range(1, c):
                    if objs[g] > objs[bestc]:
                        bestc = g
                if not objs[bestc] > objs[here]:
                    continue
                moved = 1
                ga = a0 + bestc // (b1 - b0 + 1)
                gb = b0 + bestc % (b1 - b0 + 1)
                x[a] = grid[ga]
                x[b] = grid[gb]
                for i in range(N):
                    contrib[i, a] = cand[a, i, ga]
                    contrib[i, b] = cand[b, i, gb]
                    total[i] = (base[i] + contrib[i, a]) + contrib[i, b]
                    pen_total[i] = (opn[i] + pen[i, a, ga]) + pen[i, b, gb]
                    pen_now[a, i] = pen[i, a, ga]
                    pen_now[b, i] = pen[i, b, gb]
        if not moved:
            return


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
    const double[::1] nodeal,
    int sweeps,
    double inv_tau,
    int pair_passes,
):
    """Coordinate ascent in place on ``x`` (see :func:`negsim.model.proposals.nash`).

    Arrays are actor-major as the negotiation holds them: ``pos``, ``sal``, ``w`` (trust
    weights), ``lower``/``upper`` (red-line bounds, widened here by ``tol``) and ``contrib``
    (each member's gain per issue at ``x``, updated in place) are N x K, ``pen`` (red-line
    penalty per grid level) N x K x G; ``total`` is ``contrib`` summed over the issues by numpy.
    Parties are flat: party p's members are ``members[start[p]:stop[p]]``; kind 2 is a body
    counting the capability-weighted (``wts``) mean margin, any other kind a veto party with
    the silence ``band`` (0: none); a member stays silent only when the package crosses none of its red
    lines, its gain is within the band of 0, and it is no more than the band below its no-deal value ``nodeal`` (N).
    """
    cdef Py_ssize_t N = pos.shape[0], K = pos.shape[1], G = grid.shape[0]
    cdef double[:, :, ::1] cand = np.empty((K, N, G))
    cdef double[:, ::1] pen_now = np.empty((K, N))
    cdef double[::1] pen_total = np.empty(N)
    cdef double[::1] base = np.empty(N)
    cdef double[::1] row = np.empty(N)
    cdef double[::1] opn = np.empty(N)
    with nogil:
        _ascent(x, grid, pos, sal, w, contrib, total, pen, lower, upper, tol, thr, kind, start, stop, members, wts,
                band, nodeal, sweeps, inv_tau, cand, pen_now, pen_total, base, row, opn, pair_passes)
    return x


cdef double _grid_term(
    Py_ssize_t p, const long long[::1] kind, const long long[::1] start, const long long[::1] stop,
    const long long[::1] members, const double[::1] wts, const double[::1] band, const double[::1] nodeal,
    const double[::1] gain, const double[::1] margin, const double[::1] pen, double inv_tau,
) noexcept nogil:
    """Party p's term of the smoothed log Nash product at one package, from its members' gains, margins, penalties."""
    cdef Py_ssize_t q, i
    cdef double u
    if kind[p] == 2:
        u = 0.0
        for q in range(start[p], stop[p]):
            u = u + wts[q] * margin[members[q]]
    else:
        u = INFINITY
        for q in range(start[p], stop[p]):
            i = members[q]
            if band[p] > 0 and pen[i] == 0.0 and fabs(gain[i]) <= band[p] and gain[i] >= nodeal[i] - band[p]:
                continue
            if margin[i] < u:
                u = margin[i]
        if band[p] > 0 and u == INFINITY:
            u = 0.0
    return _log_soft(u, inv_tau)


def grid_best(
    const double[:, :, ::1] c, const double[:, :, ::1] hit, const double[::1] thr, const long long[::1] kind,
    const long long[::1] start, const long long[::1] stop, const long long[::1] members, const double[::1] wts,
    const double[::1] band, const double[::1] nodeal, double inv_tau,
):
    """The index (lexicographic) of the first best package of a one- to three-issue grid (proposals.grid_objectives).

    ``c`` and ``hit`` are K x N x G: each member's gain and red-line hit (0 or 1) per level of each issue, as
    grid_objectives builds them; sums over the issues are taken in its order, so the best index is numpy's argmax.
    """
    cdef Py_ssize_t K = c.shape[0], N = c.shape[1], G = c.shape[2], P = kind.shape[0]
    cdef Py_ssize_t G1 = G if K >= 2 else 1, G2 = G if K >= 3 else 1
    cdef Py_ssize_t a, b, d, i, p, bi = 0, idx = 0
    cdef double obj, best = -INFINITY
    cdef double[::1] s01 = np.empty(N), h01 = np.empty(N), gain = np.empty(N), margin = np.empty(N), pen = np.empty(N)
    if K < 1 or K > 3:
        raise ValueError("grid_best searches one to three issues")
    with nogil:
        for a in range(G):
            for b in range(G1):
                for i in range(N):
                    if K >= 2:
                        s01[i] = c[0, i, a] + c[1, i, b]
                        h01[i] = hit[0, i, a] + hit[1, i, b]
                    else:
                        s01[i] = c[0, i, a]
                        h01[i] = hit[0, i, a]
                for d in range(G2):
                    for i in range(N):
                        if K >= 3:
                            gain[i] = s01[i] + c[2, i, d]
                            pen[i] = 10.0 * (h01[i] + hit[2, i, d])
                        else:
                            gain[i] = s01[i]
                            pen[i] = 10.0 * h01[i]
                        margin[i] = (gain[i] - thr[i]) - pen[i]
                    obj = 0.0
                    for p in range(P):
                        obj = obj + _grid_term(p, kind, start, stop, members, wts, band, nodeal, gain, margin, pen, inv_tau)
                    if obj > best:
                        best = obj
                        bi = idx
                    idx = idx + 1
    return bi


cdef void _compromise(
    double[::1] x, const double[:, ::1] pos, const double[:, ::1] sal, const double[::1] cap,
    const unsigned char[::1] mask, double[:, ::1] wbuf, double[:, ::1] nbuf,
) noexcept nogil:
    """:func:`negsim.model.proposals.compromise` into ``x``: the capability- and salience-weighted mean position."""
    cdef Py_ssize_t N = pos.shape[0], K = pos.shape[1], M = 0, i, k, r
    cdef double den, num
    for i in range(N):
        if mask[i]:
            for k in range(K):
                wbuf[M, k] = cap[i] * sal[i, k]
                nbuf[M, k] = wbuf[M, k] * pos[i, k]
            M = M + 1
    for k in range(K):
        if K == 1:  # numpy sums a single column as a vector, pairwise; wider ones row after row
            den = 0.0 + _pairwise(&wbuf[0, 0], M, 1)
            num = 0.0 + _pairwise(&nbuf[0, 0], M, 1)
        else:
            den = 0.0
            num = 0.0
            for r in range(M):
                den = den + wbuf[r, k]
                num = num + nbuf[r, k]
        x[k] = num / den if den > 0 else 0.0


def numpy_sum(const double[::1] a):
    """``a.sum()`` as the kernels take it (for the tests: it must equal numpy's to the bit)."""
    return _sum(&a[0], a.shape[0]) if a.shape[0] else 0.0


def compromise(const double[:, ::1] pos, const double[:, ::1] sal, const double[::1] cap, const unsigned char[::1] mask):
    """:func:`negsim.model.proposals.compromise` as the round loop computes it (for the tests)."""
    cdef double[::1] x = np.empty(pos.shape[1])
    _compromise(x, pos, sal, cap, mask, np.empty((pos.shape[0], pos.shape[1])), np.empty((pos.shape[0], pos.shape[1])))
    return np.asarray(x)

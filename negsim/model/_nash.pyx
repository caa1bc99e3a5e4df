# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Compiled kernels of the negotiation phase: the Nash search and the round loop.

``ascent`` is the coordinate ascent of the Nash proposal rule (see
:func:`negsim.model.proposals.nash`); ``rounds`` plays the rounds of one multilateral or shuttle
package (see :func:`negsim.model.negotiation._multilateral_package`): proposal, votes, decision
rules, concessions and walk-out draws. Both do the same arithmetic, in the same order, as
their numpy references (:func:`negsim.model.proposals.ascent_numpy` and the Python round loop), so
results are identical to the bit: ``tests/test_nash_kernel.py`` checks it. Sums are taken in
numpy's order (its pairwise summation; see :func:`_sum`). A replicate spends most of its time
here, in a few hundred operations on 35 x 21 arrays per round, each of which costs numpy more in
dispatch than in arithmetic.
"""

from libc.math cimport INFINITY, exp, fabs, log, log1p

import numpy as np

#: bumped with every change of the kernels' arguments: negsim.model.proposals ignores a module built from
#: an older negsim/model/_nash.pyx (an editable install not rebuilt after a pull) instead of crashing
ABI = 3

cdef double LOGE2 = 0.693147180559945309417232121458176568

# decision rules (negsim.model.rules), as ``rounds`` receives them
RULE_CODES = {"self": 0, "consensus": 1, "unanimity": 2, "qmv": 3, "majority": 4, "capability": 5, "bilateral": 6}


cdef inline double logaddexp0(double z) noexcept nogil:
    """log(exp(0) + exp(z)), as numpy's ``logaddexp(0.0, z)`` computes it."""
    if z == 0.0:
        return LOGE2
    if z < 0.0:
        return log1p(exp(z))
    if z > 0.0:
        return z + log1p(exp(-z))
    return z  # nan


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
    const double[::1] band, int sweeps, double inv_tau,
    double[:, :, ::1] cand, double[:, ::1] pen_now, double[::1] pen_total, double[::1] base, double[::1] row,
) noexcept nogil:
    cdef Py_ssize_t N = pos.shape[0], K = pos.shape[1], G = grid.shape[0], P = kind.shape[0]
    cdef Py_ssize_t s, k, i, g, p, q, bg
    cdef double u, mg, z, obj, best, pk
    for i in range(N):
        pen_total[i] = 0.0
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
    """Coordinate ascent in place on ``x`` (see :func:`negsim.model.proposals.nash`).

    Arrays are actor-major as the negotiation holds them: ``pos``, ``sal``, ``w`` (trust
    weights), ``lower``/``upper`` (red-line bounds, widened here by ``tol``) and ``contrib``
    (each member's gain per issue at ``x``, updated in place) are N x K, ``pen`` (red-line
    penalty per grid level) N x K x G; ``total`` is ``contrib`` summed over the issues by numpy.
    Parties are flat: party p's members are ``members[start[p]:stop[p]]``; kind 2 is a body
    counting the capability-weighted (``wts``) mean margin, any other kind a veto party with
    the silence ``band`` (0: none).
    """
    cdef Py_ssize_t N = pos.shape[0], K = pos.shape[1], G = grid.shape[0]
    cdef double[:, :, ::1] cand = np.empty((K, N, G))
    cdef double[:, ::1] pen_now = np.empty((K, N))
    cdef double[::1] pen_total = np.empty(N)
    cdef double[::1] base = np.empty(N)
    cdef double[::1] row = np.empty(N)
    with nogil:
        _ascent(x, grid, pos, sal, w, contrib, total, pen, lower, upper, tol, thr, kind, start, stop, members, wts,
                band, sweeps, inv_tau, cand, pen_now, pen_total, base, row)
    return x


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


cdef bint _decide(
    Py_ssize_t d, const long long[::1] rule, const long long[::1] dstart, const long long[::1] dstop,
    const long long[::1] dmembers, const unsigned char[::1] silence, const double[:, ::1] dparam,
    const unsigned char[::1] accept, const unsigned char[::1] object_, const double[::1] cap, const double[::1] pop,
    double[::1] buf,
) noexcept nogil:
    """:func:`negsim.model.rules.decide` for decider ``d`` (``dparam`` rows: states, population, threshold)."""
    cdef Py_ssize_t q, n = dstop[d] - dstart[d], yes = 0, sel = 0, i
    cdef long long code = rule[d]
    cdef double total, share
    if code == 0:  # self
        return accept[dmembers[dstart[d]]] != 0
    if code == 1 and silence[d]:  # consensus, silence procedure: no member objects
        for q in range(dstart[d], dstop[d]):
            if object_[dmembers[q]]:
                return False
        return True
    for q in range(dstart[d], dstop[d]):
        if accept[dmembers[q]]:
            yes = yes + 1
    if code == 1 or code == 2:  # consensus without silence, unanimity: every member accepts
        return yes == n
    if code == 4:  # majority
        return (<double>yes) / n > 0.5
    if code == 6:  # bilateral: any member
        return yes > 0
    # qmv and capability: shares of population or capability, summed as numpy sums them
    for q in range(dstart[d], dstop[d]):
        buf[q - dstart[d]] = pop[dmembers[q]] if code == 3 else cap[dmembers[q]]
    total = 0.0 + _pairwise(&buf[0], n, 1)
    for q in range(dstart[d], dstop[d]):
        i = dmembers[q]
        if accept[i]:
            buf[sel] = pop[i] if code == 3 else cap[i]
            sel = sel + 1
    share = 0.0 + _pairwise(&buf[0], sel, 1)
    share = share / total if total > 0 else (<double>yes) / n  # no population or capability at all: one member, one vote
    if code == 3:  # qmv: enough states holding enough of the population
        return (<double>yes) / n >= dparam[d, 0] and share >= dparam[d, 1]
    return share >= dparam[d, 2]  # capability


def rounds(
    double[:, ::1] pos,
    long long[::1] fails,
    const double[:, ::1] sal,
    const double[:, ::1] w,
    const double[::1] thr,
    const double[:, ::1] lower,
    const double[:, ::1] upper,
    double tol,
    const double[::1] band,
    const unsigned char[::1] spoil,
    const unsigned char[::1] participants,
    const unsigned char[:, ::1] frozen,
    const double[::1] cap,
    const double[::1] pop,
    long long mediator,
    double bias,
    bint nash,
    const double[::1] grid,
    const double[:, :, ::1] penalty,
    const long long[::1] kind,
    const long long[::1] start,
    const long long[::1] stop,
    const long long[::1] members,
    const double[::1] wts,
    const double[::1] nband,
    int sweeps,
    double inv_tau,
    const long long[::1] rule,
    const long long[::1] dstart,
    const long long[::1] dstop,
    const long long[::1] dmembers,
    const unsigned char[::1] silence,
    const double[:, ::1] dparam,
    const long long[::1] stage_stop,
    const double[:, ::1] now_tab,
    const double[:, ::1] before_tab,
    const double[::1] rate,
    const unsigned char[::1] recip,
    const unsigned char[::1] categorical,
    const double[::1] trust_bar,
    const long long[::1] walk_after,
    const double[::1] walk_hazard,
    object draw,
    int max_rounds,
    double[::1] x,
    unsigned char[::1] accept,
    unsigned char[::1] object_,
    double[:, ::1] r_contrib,
    double[::1] r_gain,
    unsigned char[:, ::1] r_viol_k,
    unsigned char[::1] r_viol,
    unsigned char[::1] r_accept,
    unsigned char[::1] r_object,
    long long[::1] info,
):
    """Play the rounds of one package (see :func:`negsim.model.negotiation._multilateral_package`).

    State updated in place: ``pos`` (N x K, the package's positions) and ``fails``. Fixed for
    the package: saliences, trust weights ``w``, thresholds, red-line bounds (widened by
    ``tol`` for the votes), silence bands, spoilers, participants, frozen issues, and the
    proposal rule (``nash`` with its penalty and flat parties, as :func:`ascent`; else the
    compromise), with the mediator's ``bias``. Deciders are flat (``rule`` codes from
    ``RULE_CODES``, members ``dmembers[dstart[d]:dstop[d]]``, ``dparam`` rows: states,
    population, threshold); stage ``s`` holds deciders ``stage_stop[s - 1]:stage_stop[s]``.
    Concessions: the elapsed-time ratios of round ``t`` are row ``t - 1`` of ``now_tab`` and
    ``before_tab``; ``recip`` and ``categorical`` mark those shapes. ``draw(n)`` is the
    replicate generator's ``random``, called once per refused round, as the Python loop does.

    Out: ``x``, ``accept`` and ``object_`` of the last round; the votes of the last refused
    round in the ``r_`` arrays; ``info``: outcome (0 agreed, 1 walk-out, 2 out of rounds),
    rounds played, the walker, and the decider that refused last (-1: none refused).
    """
    cdef Py_ssize_t N = pos.shape[0], K = pos.shape[1], G = grid.shape[0], S = stage_stop.shape[0]
    cdef Py_ssize_t i, k, r, st, d, d0, q, nmov, walker = -1, played = 0
    cdef long long failed, last_failed = -1
    cdef double g, dev, step, others_last = 0.0, f_now, f_before, base_r, v
    cdef bint propose, ok
    cdef double[:, ::1] last_pos = np.empty((N, K))
    cdef double[:, ::1] contrib = np.empty((N, K))
    cdef double[:, ::1] acontrib = np.empty((N, K))
    cdef double[::1] gain = np.empty(N)
    cdef double[::1] total = np.empty(N)
    cdef double[::1] steps = np.empty(N)
    cdef double[::1] stepped = np.empty(N)
    cdef unsigned char[:, ::1] viol_k = np.empty((N, K), np.uint8)
    cdef unsigned char[::1] viol = np.empty(N, np.uint8)
    cdef unsigned char[::1] saw = np.empty(N, np.uint8)
    cdef unsigned char[::1] movers = np.empty(N, np.uint8)
    cdef double[::1] dbuf = np.empty(max(N, max([dstop[d] - dstart[d] for d in range(dstop.shape[0])], default=1)))
    cdef double[:, ::1] wbuf = np.empty((N, K))
    cdef double[:, ::1] nbuf = np.empty((N, K))
    cdef double[:, :, ::1] cand = np.empty((K, N, G)) if nash else np.empty((0, 0, 0))
    cdef double[:, ::1] pen_now = np.empty((K, N))
    cdef double[::1] pen_total = np.empty(N)
    cdef double[::1] abase = np.empty(N)
    cdef double[::1] arow = np.empty(N)
    cdef const double[::1] draws
    info[0] = 2
    for r in range(1, max_rounds + 1):
        played = r
        # the proposal: searched again unless positions have barely moved since the last one
        propose = r == 1
        if not propose:
            dev = 0.0
            for i in range(N):
                for k in range(K):
                    v = fabs(pos[i, k] - last_pos[i, k])
                    if v > dev:
                        dev = v
            propose = dev > 5e-3
        if propose:
            with nogil:
                _compromise(x, pos, sal, cap, participants, wbuf, nbuf)
                if nash:
                    for i in range(N):
                        for k in range(K):
                            acontrib[i, k] = sal[i, k] * (pos[i, k] - fabs(w[i, k] * x[k] - pos[i, k]))
                        total[i] = _sum(&acontrib[i, 0], K)
                    _ascent(x, grid, pos, sal, w, acontrib, total, penalty, lower, upper, tol, thr, kind, start,
                            stop, members, wts, nband, sweeps, inv_tau, cand, pen_now, pen_total, abase, arow)
                if mediator >= 0 and bias > 0:
                    for k in range(K):
                        x[k] = (1 - bias) * x[k] + bias * pos[mediator, k]
                last_pos[:, :] = pos
        # the votes
        with nogil:
            for i in range(N):
                viol[i] = 0
                for k in range(K):
                    contrib[i, k] = sal[i, k] * (pos[i, k] - fabs(w[i, k] * x[k] - pos[i, k]))
                    viol_k[i, k] = x[k] < lower[i, k] - tol or x[k] > upper[i, k] + tol
                    if viol_k[i, k]:
                        viol[i] = 1
                g = _sum(&contrib[i, 0], K)
                gain[i] = g
                accept[i] = g >= thr[i] and not viol[i] and not spoil[i]
                object_[i] = not accept[i] and (viol[i] or spoil[i] or fabs(g) > band[i])
                saw[i] = 0
            # the parties decide, stage by stage; the first to refuse ends the round
            failed = -1
            d0 = 0
            for st in range(S):
                for d in range(d0, stage_stop[st]):
                    for q in range(dstart[d], dstop[d]):
                        saw[dmembers[q]] = 1
                for d in range(d0, stage_stop[st]):
                    if not _decide(d, rule, dstart, dstop, dmembers, silence, dparam, accept, object_, cap, pop, dbuf):
                        failed = d
                        break
                if failed >= 0:
                    break
                d0 = stage_stop[st]
        if failed < 0:
            info[0] = 0
            break
        # a refusal: remember its votes (the last one is reported), then those who object concede
        last_failed = failed
        r_contrib[:, :] = contrib
        r_viol_k[:, :] = viol_k
        r_gain[:] = gain
        r_viol[:] = viol
        r_accept[:] = accept
        r_object[:] = object_
        with nogil:
            nmov = 0
            for i in range(N):
                movers[i] = saw[i] and object_[i] and participants[i]
                if movers[i]:
                    fails[i] = fails[i] + 1
            base_r = 0.0
            for i in range(N):
                if not movers[i]:
                    steps[i] = 0.0
                    continue
                if categorical[i]:
                    step = 0.0
                elif recip[i]:
                    base_r = others_last if others_last >= rate[i] / (2 * max_rounds) else rate[i] / (2 * max_rounds)
                    step = trust_bar[i] * base_r
                    step = step if step >= 0.0 else 0.0
                    step = step if step <= 1.0 else 1.0
                else:  # concession.time_fraction
                    f_now = rate[i] * now_tab[r - 1, i]
                    f_before = rate[i] * before_tab[r - 1, i]
                    v = 1 - f_before
                    step = (f_now - f_before) / (v if v >= 1e-9 else 1e-9)
                    step = step if step >= 0.0 else 0.0
                    step = step if step <= 1.0 else 1.0
                steps[i] = step
                stepped[nmov] = step
                nmov = nmov + 1
            others_last = (0.0 + _pairwise(&stepped[0], nmov, 1)) / nmov if nmov else 0.0
            for i in range(N):
                for k in range(K):
                    v = pos[i, k] + (0.0 if frozen[i, k] else steps[i] * (x[k] - pos[i, k]))
                    v = v if v >= lower[i, k] else lower[i, k]
                    pos[i, k] = v if v <= upper[i, k] else upper[i, k]
        draws = draw(N)
        for i in range(N):
            if participants[i] and fails[i] >= walk_after[i] and draws[i] < walk_hazard[i]:
                walker = i
                break
        if walker >= 0:
            info[0] = 1
            break
    info[1] = played
    info[2] = walker
    info[3] = last_failed


def numpy_sum(const double[::1] a):
    """``a.sum()`` as the kernels take it (for the tests: it must equal numpy's to the bit)."""
    return _sum(&a[0], a.shape[0]) if a.shape[0] else 0.0


def compromise(const double[:, ::1] pos, const double[:, ::1] sal, const double[::1] cap, const unsigned char[::1] mask):
    """:func:`negsim.model.proposals.compromise` as the round loop computes it (for the tests)."""
    cdef double[::1] x = np.empty(pos.shape[1])
    _compromise(x, pos, sal, cap, mask, np.empty((pos.shape[0], pos.shape[1])), np.empty((pos.shape[0], pos.shape[1])))
    return np.asarray(x)

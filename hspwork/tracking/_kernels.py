"""Compiled kernels behind :func:`hspwork.tracking.dwell`: point in polygon and run building.

Everything here works on flat NumPy arrays; no shapely objects and no Python loop per ping.
Polygons are flattened to rings (exterior, holes, and every part of a multipolygon) and tested
by even-odd ray casting over all rings of a polygon, which is exact for valid polygons with
holes and for multipolygons whose parts do not overlap.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


@njit(cache=True, inline="always")
def _inside(px, py, poly, poly_ring_start, ring_start, cx, cy):
    inside = False
    for r in range(poly_ring_start[poly], poly_ring_start[poly + 1]):
        a = ring_start[r]
        b = ring_start[r + 1]
        # rings are closed (last vertex == first), so edges are (k, k + 1)
        for k in range(a, b - 1):
            x1 = cx[k]
            y1 = cy[k]
            x2 = cx[k + 1]
            y2 = cy[k + 1]
            if (y1 > py) != (y2 > py):
                xcross = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
                if px < xcross:
                    inside = not inside
    return inside


@njit(cache=True, inline="always")
def _cell_range(p, bx0, by0, bx1, by1, gx0, gy0, cell, nx, ny):
    i0 = max(int((bx0[p] - gx0) / cell), 0)
    i1 = min(int((bx1[p] - gx0) / cell), nx - 1)
    j0 = max(int((by0[p] - gy0) / cell), 0)
    j1 = min(int((by1[p] - gy0) / cell), ny - 1)
    return i0, i1, j0, j1


@njit(cache=True, inline="always")
def _hit(px, py, ti, si, p, bx0, by0, bx1, by1, vfrom, vto, smask, poly_ring_start, ring_start,
         cx, cy):  # fmt: skip
    """Whether polygon ``p`` (a fence version) holds the ping at (px, py) at time ``ti``.

    ``smask[p]`` has bit ``si`` set when the polygon applies to pings of source code ``si``
    (a catchment corrected for one kind of device applies to that device only).
    """
    if px < bx0[p] or px > bx1[p] or py < by0[p] or py > by1[p]:
        return False
    if ti < vfrom[p] or ti >= vto[p]:
        return False
    if (smask[p] >> si) & 1 == 0:
        return False
    return _inside(px, py, p, poly_ring_start, ring_start, cx, cy)


@njit(cache=True)
def build_grid(bx0, by0, bx1, by1, gx0, gy0, cell, nx, ny):
    """CSR lists of polygon ids per grid cell, from each polygon's bounding box."""
    n = bx0.shape[0]
    counts = np.zeros(nx * ny + 1, dtype=np.int64)
    for p in range(n):
        i0, i1, j0, j1 = _cell_range(p, bx0, by0, bx1, by1, gx0, gy0, cell, nx, ny)
        for j in range(j0, j1 + 1):
            for i in range(i0, i1 + 1):
                counts[j * nx + i + 1] += 1
    start = np.cumsum(counts)
    fill = start[:-1].copy()
    items = np.empty(start[-1], dtype=np.int32)
    for p in range(n):
        i0, i1, j0, j1 = _cell_range(p, bx0, by0, bx1, by1, gx0, gy0, cell, nx, ny)
        for j in range(j0, j1 + 1):
            for i in range(i0, i1 + 1):
                c = j * nx + i
                items[fill[c]] = p
                fill[c] += 1
    return start, items


@njit(cache=True, parallel=True)
def pip_count(x, y, t, src, gx0, gy0, cell, nx, ny, gstart, gitems, bx0, by0, bx1, by1,
              vfrom, vto, smask, poly_ring_start, ring_start, cx, cy):  # fmt: skip
    """Number of polygons containing each ping (valid at its time, for its source)."""
    n = x.shape[0]
    counts = np.zeros(n, dtype=np.int32)
    for i in prange(n):
        px = x[i]
        py = y[i]
        fi = (px - gx0) / cell
        fj = (py - gy0) / cell
        if fi < 0 or fj < 0 or fi >= nx or fj >= ny:
            continue
        c = int(fj) * nx + int(fi)
        k = 0
        for q in range(gstart[c], gstart[c + 1]):
            if _hit(px, py, t[i], src[i], gitems[q], bx0, by0, bx1, by1, vfrom, vto, smask,
                    poly_ring_start, ring_start, cx, cy):  # fmt: skip
                k += 1
        counts[i] = k
    return counts


@njit(cache=True, parallel=True)
def pip_fill(x, y, t, src, offsets, gx0, gy0, cell, nx, ny, gstart, gitems, bx0, by0, bx1,
             by1, vfrom, vto, smask, poly_ring_start, ring_start, cx, cy):  # fmt: skip
    """(ping, polygon) pairs, ping-major, in the slots that :func:`pip_count` sized."""
    n = x.shape[0]
    total = offsets[n]
    out_ping = np.empty(total, dtype=np.int64)
    out_poly = np.empty(total, dtype=np.int32)
    for i in prange(n):
        if offsets[i + 1] == offsets[i]:
            continue
        px = x[i]
        py = y[i]
        c = int((py - gy0) / cell) * nx + int((px - gx0) / cell)
        k = offsets[i]
        for q in range(gstart[c], gstart[c + 1]):
            p = gitems[q]
            if _hit(px, py, t[i], src[i], p, bx0, by0, bx1, by1, vfrom, vto, smask,
                    poly_ring_start, ring_start, cx, cy):  # fmt: skip
                out_ping[k] = i
                out_poly[k] = p
                k += 1
    return out_ping, out_poly


@njit(cache=True)
def exit_fraction(px, py, qx, qy, poly, poly_ring_start, ring_start, cx, cy):
    """Fraction of the segment P->Q travelled before first crossing the polygon's boundary.

    P is the inside ping. Returns -1.0 when the segment crosses no edge.
    """
    dx = qx - px
    dy = qy - py
    best = 2.0
    for r in range(poly_ring_start[poly], poly_ring_start[poly + 1]):
        for k in range(ring_start[r], ring_start[r + 1] - 1):
            ax = cx[k]
            ay = cy[k]
            ex = cx[k + 1] - ax
            ey = cy[k + 1] - ay
            den = dx * ey - dy * ex
            if den == 0.0:
                continue
            wx = ax - px
            wy = ay - py
            s = (wx * ey - wy * ex) / den
            u = (wx * dy - wy * dx) / den
            if s >= 0.0 and s <= 1.0 and u >= 0.0 and u <= 1.0 and s < best:
                best = s
    return best if best <= 1.0 else -1.0


@njit(cache=True)
def merge_visits(fence, officer, start, end, count, dist, merge_ns):
    """Merge runs (sorted by fence, officer, start) into visits.

    Consecutive runs of one officer in one fence join when the time between them is
    shorter than ``merge_ns`` (or zero). Visits with no credited time are left out. The last
    array gives, for each run (in the order given), the visit it joined (-1: left out).
    """
    m = start.shape[0]
    v_f = np.empty(m, dtype=fence.dtype)
    v_o = np.empty(m, dtype=officer.dtype)
    v_s = np.empty(m, dtype=np.int64)
    v_e = np.empty(m, dtype=np.int64)
    v_cred = np.empty(m, dtype=np.int64)
    v_n = np.empty(m, dtype=np.int64)
    v_d = np.empty(m, dtype=np.float64)
    run_visit = np.full(m, -1, dtype=np.int64)
    nv = 0
    k = 0
    while k < m:
        cf = fence[k]
        co = officer[k]
        cs = start[k]
        ce = end[k]
        cred = end[k] - start[k]
        cn = count[k]
        cd = dist[k]
        j = k + 1
        while j < m and fence[j] == cf and officer[j] == co:
            sep = start[j] - ce
            if sep > 0 and sep >= merge_ns:
                break
            if end[j] > ce:
                ce = end[j]
            cred += end[j] - start[j]
            cn += count[j]
            cd += dist[j]
            j += 1
        if cred > 0:
            run_visit[k:j] = nv
            v_f[nv] = cf
            v_o[nv] = co
            v_s[nv] = cs
            v_e[nv] = ce
            v_cred[nv] = cred
            v_n[nv] = cn
            v_d[nv] = cd
            nv += 1
        k = j
    return (v_f[:nv], v_o[:nv], v_s[:nv], v_e[:nv], v_cred[:nv], v_n[:nv], v_d[:nv],
            run_visit)  # fmt: skip


@njit(cache=True)
def union_by_group(group, start, end, n_groups):
    """Length of the union of intervals per group (intervals sorted by group, then start)."""
    out = np.zeros(n_groups, dtype=np.int64)
    m = start.shape[0]
    k = 0
    while k < m:
        g = group[k]
        cs = start[k]
        ce = end[k]
        k += 1
        while k < m and group[k] == g:
            if start[k] > ce:
                out[g] += ce - cs
                cs = start[k]
                ce = end[k]
            elif end[k] > ce:
                ce = end[k]
            k += 1
        out[g] += ce - cs
    return out


@njit(cache=True)
def is_sorted_pair(a, b):
    """True when rows are sorted by ``a`` then ``b`` (non-decreasing)."""
    for i in range(1, a.shape[0]):
        if a[i] < a[i - 1] or (a[i] == a[i - 1] and b[i] < b[i - 1]):
            return False
    return True


@njit(cache=True, inline="always")
def _after(p, q, x, y, src):
    """Row p sorts after row q by (x, y, source code)."""
    if x[p] != x[q]:
        return x[p] > x[q]
    if y[p] != y[q]:
        return y[p] > y[q]
    return src[p] > src[q]


@njit(cache=True)
def order_ties(perm, off, t, x, y, src):
    """Within runs of equal (officer, time), order rows by x, y, source (insertion sort).

    ``perm`` already sorts by officer and time; ties are rare, so this costs one pass.
    """
    n = perm.shape[0]
    i = 0
    while i < n:
        j = i + 1
        while j < n and off[perm[j]] == off[perm[i]] and t[perm[j]] == t[perm[i]]:
            j += 1
        if j - i > 1:
            for a in range(i + 1, j):
                v = perm[a]
                b = a - 1
                while b >= i and _after(perm[b], v, x, y, src):
                    perm[b + 1] = perm[b]
                    b -= 1
                perm[b + 1] = v
        i = j
    return perm


@njit(cache=True, parallel=True)
def sort_officer_time(off, t, n_off):
    """Permutation sorting rows by officer code, then time.

    A counting sort by officer (one pass) followed by a time sort within each officer, run in
    parallel over officers: faster than one global sort of n rows on a few cores.
    """
    n = off.shape[0]
    start = np.zeros(n_off + 1, dtype=np.int64)
    for i in range(n):
        start[off[i] + 1] += 1
    for g in range(n_off):
        start[g + 1] += start[g]
    fill = start[:-1].copy()
    perm = np.empty(n, dtype=np.int64)
    for i in range(n):
        g = off[i]
        perm[fill[g]] = i
        fill[g] += 1
    for g in prange(n_off):
        a = start[g]
        b = start[g + 1]
        if b - a > 1:
            seg = perm[a:b].copy()
            o = np.argsort(t[seg], kind="mergesort")
            perm[a:b] = seg[o]
    return perm


@njit(cache=True, inline="always")
def _has_fence(pair_fence, a, b, f):
    for q in range(a, b):
        if pair_fence[q] == f:
            return True
    return False


@njit(cache=True, inline="always")
def _emit(runs_i, runs_d, nr, f, o, state_i, state_d):
    runs_i[nr, 0] = f
    runs_i[nr, 1] = o
    runs_i[nr, 2] = state_i[f, 0]
    runs_i[nr, 3] = state_i[f, 1]
    runs_i[nr, 4] = state_i[f, 2]
    runs_d[nr] = state_d[f]
    return nr + 1


@njit(cache=True, inline="always")
def _credit(i, j, both_in, poly, interpolate, t, x, y, src, gap_ns_by_src,
            poly_ring_start, ring_start, cx, cy):  # fmt: skip
    """Credit (ns) and distance for inside ping i from the pair (i, j), by the gap rule."""
    g = abs(t[j] - t[i])
    if g > max(gap_ns_by_src[src[i]], gap_ns_by_src[src[j]]):
        return np.int64(0), 0.0  # unobserved
    step = np.hypot(x[j] - x[i], y[j] - y[i])
    if both_in:
        return g, step
    frac = 0.5
    if interpolate:
        fr = exit_fraction(x[i], y[i], x[j], y[j], poly, poly_ring_start, ring_start, cx, cy)
        if fr >= 0.0:
            frac = fr
    c = g // 2 if frac == 0.5 else np.int64(np.round(g * frac))
    return c, frac * step


@njit(cache=True)
def credited_runs(pair_start, pair_ping, pair_fence, pair_poly, off, t, x, y, src,
                  gap_ns_by_src, interpolate, n_fences, poly_ring_start, ring_start, cx, cy):  # fmt: skip
    """Credited time per (inside ping, fence), joined into runs of abutting credit.

    Pings are sorted by officer, then time; ``pair_*`` list, for each ping in that order, the
    fences containing it (``pair_start[i]:pair_start[i + 1]``), as :func:`pip_fill` writes
    them. Each inside ping credits ``[t - back, t + forward]`` by the rule documented in
    ``dwell``; consecutive credits of one officer in one fence that touch form a run. A run
    is emitted when its officer's next credit in that fence does not touch it, or when the
    officer's pings end. Returns, per run: fence, officer, start_ns, end_ns, inside pings,
    distance moved during the credited time (CRS units).
    """
    n = t.shape[0]
    m = pair_ping.shape[0]
    # runs: fence, officer, start, end, pings (int) and distance (float)
    runs_i = np.empty((m, 5), dtype=np.int64)
    runs_d = np.empty(m, dtype=np.float64)
    # the open run per fence for the current officer: start, end, pings; distance
    act = np.zeros(n_fences, dtype=np.bool_)
    state_i = np.zeros((n_fences, 3), dtype=np.int64)
    state_d = np.zeros(n_fences, dtype=np.float64)
    active = np.empty(n_fences, dtype=np.int32)
    n_active = 0
    nr = 0
    cur_off = -1
    for k in range(m):
        i = pair_ping[k]
        f = pair_fence[k]
        o = off[i]
        if o != cur_off:  # a new officer: close every open run of the previous one
            for q in range(n_active):
                g = active[q]
                nr = _emit(runs_i, runs_d, nr, g, cur_off, state_i, state_d)
                act[g] = False
            n_active = 0
            cur_off = o
        # a ping inside two versions of one fence counts once
        if _has_fence(pair_fence, pair_start[i], k, f):
            continue
        poly = pair_poly[k]
        prev_in = (
            i > 0
            and off[i - 1] == o
            and _has_fence(pair_fence, pair_start[i - 1], pair_start[i], f)
        )
        next_in = (
            i + 1 < n
            and off[i + 1] == o
            and _has_fence(pair_fence, pair_start[i + 1], pair_start[i + 2], f)
        )
        s0 = t[i]
        e0 = t[i]
        d0 = 0.0
        if i > 0 and off[i - 1] == o and not prev_in:
            c, d = _credit(i, i - 1, False, poly, interpolate, t, x, y, src, gap_ns_by_src,
                           poly_ring_start, ring_start, cx, cy)  # fmt: skip
            s0 -= c
            d0 += d
        if i + 1 < n and off[i + 1] == o:
            c, d = _credit(i, i + 1, next_in, poly, interpolate, t, x, y, src, gap_ns_by_src,
                           poly_ring_start, ring_start, cx, cy)  # fmt: skip
            e0 += c
            d0 += d
        if act[f] and s0 == state_i[f, 1] and prev_in:
            state_i[f, 1] = e0
            state_i[f, 2] += 1
            state_d[f] += d0
        else:
            if act[f]:
                nr = _emit(runs_i, runs_d, nr, f, o, state_i, state_d)
            else:
                act[f] = True
                active[n_active] = f
                n_active += 1
            state_i[f, 0] = s0
            state_i[f, 1] = e0
            state_i[f, 2] = 1
            state_d[f] = d0
    for q in range(n_active):
        nr = _emit(runs_i, runs_d, nr, active[q], cur_off, state_i, state_d)
    return (runs_i[:nr, 0].astype(np.int32), runs_i[:nr, 1].astype(np.int32), runs_i[:nr, 2].copy(),
            runs_i[:nr, 3].copy(), runs_i[:nr, 4].copy(), runs_d[:nr].copy())  # fmt: skip


@njit(cache=True)
def observed_ns(off, t, src, gap_ns_by_src, n_off):
    """Observed and unobserved nanoseconds per officer (pings sorted by officer, time)."""
    obs = np.zeros(n_off, dtype=np.int64)
    unobs = np.zeros(n_off, dtype=np.int64)
    for i in range(1, t.shape[0]):
        if off[i] == off[i - 1]:
            g = t[i] - t[i - 1]
            if g > max(gap_ns_by_src[src[i]], gap_ns_by_src[src[i - 1]]):
                unobs[off[i]] += g
            else:
                obs[off[i]] += g
    return obs, unobs


@njit(cache=True, parallel=True)
def gather(perm, off, t, x, y, src):
    """The five ping arrays reordered by ``perm``, in parallel."""
    n = perm.shape[0]
    o2 = np.empty(n, dtype=off.dtype)
    t2 = np.empty(n, dtype=t.dtype)
    x2 = np.empty(n, dtype=x.dtype)
    y2 = np.empty(n, dtype=y.dtype)
    s2 = np.empty(n, dtype=src.dtype)
    for i in prange(n):
        p = perm[i]
        o2[i] = off[p]
        t2[i] = t[p]
        x2[i] = x[p]
        y2[i] = y[p]
        s2[i] = src[p]
    return o2, t2, x2, y2, s2


# --------------------------------------------------------------- tasked windows (faults.py)


@njit(cache=True)
def window_ranges(off_start, t, w_off, w_t0, w_t1):
    """Per window (officer code, [t0, t1)), the range of that officer's pings inside it.

    Pings are sorted by officer, then time; ``off_start[o]:off_start[o + 1]`` are officer
    ``o``'s pings. A window of an officer with no pings (code -1) gets an empty range.
    """
    n = w_off.shape[0]
    i0 = np.zeros(n, dtype=np.int64)
    i1 = np.zeros(n, dtype=np.int64)
    for w in range(n):
        o = w_off[w]
        if o < 0:
            continue
        a = off_start[o]
        b = off_start[o + 1]
        i0[w] = a + np.searchsorted(t[a:b], w_t0[w], side="left")
        i1[w] = a + np.searchsorted(t[a:b], w_t1[w], side="left")
    return i0, i1


@njit(cache=True, inline="always")
def _gap_span(off_start, t, o, t0, t1):
    """The pings k of officer ``o`` whose gap to the next (k, k + 1) may overlap [t0, t1)."""
    a = off_start[o]
    b = off_start[o + 1]
    lo = max(a + np.searchsorted(t[a:b], t0, side="right") - 1, a)
    hi = min(a + np.searchsorted(t[a:b], t1, side="left"), b - 1)
    return lo, hi


@njit(cache=True)
def window_gaps(off_start, t, src, gap_ns_by_src, w_off, w_t0, w_t1):
    """Unobserved gaps that overlap each window: (window, index of the ping before the gap).

    A gap is a pair of consecutive pings of one officer further apart than the larger of their
    sources' limits (the gap rule of dwell); it overlaps ``[t0, t1)`` when it starts before
    ``t1`` and ends after ``t0``. Two passes: count, then fill.
    """
    n = w_off.shape[0]
    counts = np.zeros(n, dtype=np.int64)
    for w in range(n):
        if w_off[w] >= 0:
            lo, hi = _gap_span(off_start, t, w_off[w], w_t0[w], w_t1[w])
            for k in range(lo, hi):
                if t[k + 1] - t[k] > max(gap_ns_by_src[src[k]], gap_ns_by_src[src[k + 1]]):
                    counts[w] += 1
    out_w = np.repeat(np.arange(n), counts)
    out_k = np.empty(out_w.shape[0], dtype=np.int64)
    m = 0
    for w in range(n):
        if counts[w] > 0:
            lo, hi = _gap_span(off_start, t, w_off[w], w_t0[w], w_t1[w])
            for k in range(lo, hi):
                if t[k + 1] - t[k] > max(gap_ns_by_src[src[k]], gap_ns_by_src[src[k + 1]]):
                    out_k[m] = k
                    m += 1
    return out_w.astype(np.int64), out_k

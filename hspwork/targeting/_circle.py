"""Smallest enclosing circles of point sets, compiled (the radius test behind :func:`select`).

The smallest circle enclosing a set of polygons is the smallest circle enclosing their
vertices (the circle contains a polygon exactly when it contains the polygon's convex hull,
whose corners are vertices). So the radius of a place made of several units is found from
the units' vertices alone, with no geometry union: Welzl's incremental algorithm (Welzl 1991,
in the iterative form of de Berg et al. 2008, section 4.7), expected linear time.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, inline="always")
def _inside(px, py, cx, cy, r, tol):
    return (px - cx) ** 2 + (py - cy) ** 2 <= (r + tol) ** 2


@numba.njit(cache=True)
def _two(ax, ay, bx, by):
    cx, cy = (ax + bx) / 2.0, (ay + by) / 2.0
    return cx, cy, np.sqrt((ax - cx) ** 2 + (ay - cy) ** 2)


@numba.njit(cache=True)
def _three(ax, ay, bx, by, qx, qy):
    # circumcircle; for (nearly) collinear points the widest pair's circle encloses all three
    d = 2.0 * (ax * (by - qy) + bx * (qy - ay) + qx * (ay - by))
    scale = max(abs(ax - bx), abs(ay - by), abs(ax - qx), abs(ay - qy), 1e-300)
    if abs(d) <= 1e-12 * scale * scale:
        c1 = _two(ax, ay, bx, by)
        c2 = _two(ax, ay, qx, qy)
        c3 = _two(bx, by, qx, qy)
        best = c1
        if c2[2] > best[2]:
            best = c2
        if c3[2] > best[2]:
            best = c3
        return best
    a2 = ax * ax + ay * ay
    b2 = bx * bx + by * by
    q2 = qx * qx + qy * qy
    cx = (a2 * (by - qy) + b2 * (qy - ay) + q2 * (ay - by)) / d
    cy = (a2 * (qx - bx) + b2 * (ax - qx) + q2 * (bx - ax)) / d
    return cx, cy, np.sqrt((ax - cx) ** 2 + (ay - cy) ** 2)


@numba.njit(cache=True)
def enclosing_circle(x, y):
    """Centre x, centre y and radius of the smallest circle enclosing the points ``(x, y)``.

    Examples
    --------
    >>> import numpy as np
    >>> [round(float(v), 6) for v in enclosing_circle(np.array([0.0, 2, 0, 2]), np.array([0.0, 0, 2, 2]))]
    [1.0, 1.0, 1.414214]
    """
    n = x.size
    if n == 0:
        return np.nan, np.nan, np.nan
    span = max(x.max() - x.min(), y.max() - y.min())
    tol = 1e-12 * (span + 1.0)
    cx, cy, r = x[0], y[0], 0.0
    for i in range(1, n):
        if _inside(x[i], y[i], cx, cy, r, tol):
            continue
        cx, cy, r = x[i], y[i], 0.0
        for j in range(i):
            if _inside(x[j], y[j], cx, cy, r, tol):
                continue
            cx, cy, r = _two(x[i], y[i], x[j], y[j])
            for k in range(j):
                if not _inside(x[k], y[k], cx, cy, r, tol):
                    cx, cy, r = _three(x[i], y[i], x[j], y[j], x[k], y[k])
    return cx, cy, r


@numba.njit(cache=True)
def gather(members, pt_ptr, px, py):
    """The vertices of the given units, as two flat arrays."""
    total = 0
    for u in members:
        total += pt_ptr[u + 1] - pt_ptr[u]
    x = np.empty(total)
    y = np.empty(total)
    k = 0
    for u in members:
        for p in range(pt_ptr[u], pt_ptr[u + 1]):
            x[k] = px[p]
            y[k] = py[p]
            k += 1
    return x, y


@numba.njit(cache=True)
def circle_of(members, pt_ptr, px, py):
    """Smallest circle enclosing every vertex of the given units."""
    x, y = gather(members, pt_ptr, px, py)
    return enclosing_circle(x, y)

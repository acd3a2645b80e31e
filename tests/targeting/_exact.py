"""Exact conditional-randomisation tails for integer counts, by counting subsets.

Under conditional randomisation a unit keeps its own value and its ``k`` neighbours are a
random ``k``-subset of the other units, every subset equally likely. For Gi* (a sum of the
neighbours' counts) and Local Moran's I (their mean z, an increasing function of that sum)
the tail probabilities are then shares of subsets whose sum reaches the observed one. The
number of ``k``-subsets with each sum is the coefficient of ``t^k x^s`` in
``prod_j (1 + t x^{y_j})``, built up one unit at a time: exact, in integers, with no sampling.
"""

from __future__ import annotations

from math import comb

import numpy as np


def subset_sum_counts(values, k: int) -> np.ndarray:
    """Number of ``k``-subsets of ``values`` (non-negative integers) with each sum 0, 1, ...

    Examples
    --------
    >>> subset_sum_counts([0, 1, 2], 2).tolist()  # {0,1}: 1, {0,2}: 2, {1,2}: 3
    [0, 1, 1, 1]
    """
    v = np.asarray(values)
    if not np.array_equal(v, np.round(v)) or (v < 0).any():
        raise ValueError("values must be non-negative integers")
    v = v.astype(np.int64)
    top = int(np.sort(v)[::-1][:k].sum())
    ways = np.zeros((k + 1, top + 1), dtype=np.int64)
    ways[0, 0] = 1
    for x in v:  # each unit is in the subset or not
        new = ways.copy()
        if x <= top:
            new[1:, x:] += ways[:-1, : top + 1 - x]
        ways = new
    assert ways[k].sum() == comb(v.size, k)
    return ways[k]


def tail_probabilities(others, k: int, observed_sum: float) -> tuple[float, float]:
    """Exact P(sum >= observed) and P(sum <= observed) for a random ``k``-subset of ``others``."""
    counts = subset_sum_counts(others, k)
    sums = np.arange(counts.size)
    total = counts.sum()
    return (
        float(counts[sums >= observed_sum - 1e-9].sum() / total),
        float(counts[sums <= observed_sum + 1e-9].sum() / total),
    )


def two_sided_exact(y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact two-sided conditional-randomisation p of every unit, and its smaller tail.

    ``w`` is the boolean neighbour matrix (no self). Unit ``i``'s neighbours are redrawn from
    the other units: the two-sided p is ``min(1, 2 q)`` with ``q`` the smaller exact tail.
    """
    q = np.empty(len(y))
    for i in range(len(y)):
        p_ge, p_le = tail_probabilities(np.delete(y, i), int(w[i].sum()), y[w[i]].sum())
        q[i] = min(p_ge, p_le)
    return np.minimum(1.0, 2 * q), q


def monte_carlo_tolerance(q: np.ndarray, permutations: int) -> np.ndarray:
    """4 Monte Carlo sd of a two-sided pseudo p (2 sqrt(q (1 - q) / P)) plus its +1 offset."""
    return 4 * 2 * np.sqrt(q * (1 - q) / permutations) + 2 / (permutations + 1) + 1e-12

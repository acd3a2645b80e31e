"""Inference shared by the local statistics: normal p-values, Benjamini-Hochberg, ArcGIS bins,
and conditional randomisation streamed through a numba kernel.

Conditional randomisation (Anselin 1995): for each unit ``i`` its own value stays put and the
values at its neighbours are replaced by a random draw, without replacement, from the other
``n - 1`` units. The kernel draws for one unit at a time from its own random stream (derived from
``seed`` and ``i``), so results do not depend on thread scheduling or chunking, and only counts are
kept: memory is two integer arrays of length ``n`` whatever the number of permutations (esda keeps
an ``n x permutations`` array, about 8 GB for a million cells x 999).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from scipy import sparse, stats
from tqdm.auto import tqdm

from hspwork.errors import HspworkError

ALTERNATIVES = ("two-sided", "greater", "less", "folded")


def check_alternative(alternative: str) -> str:
    if alternative not in ALTERNATIVES:
        raise HspworkError(f"alternative={alternative!r} is not allowed; use one of {ALTERNATIVES}")
    return alternative


def normal_p(z: np.ndarray, alternative: str = "two-sided") -> np.ndarray:
    """p-values of z-scores under the standard normal.

    Examples
    --------
    >>> normal_p(np.array([1.959963984540054]), "two-sided").round(6).tolist()
    [0.05]
    >>> normal_p(np.array([-1.6448536269514722]), "less").round(6).tolist()
    [0.05]
    """
    check_alternative(alternative)
    z = np.asarray(z, dtype="float64")
    if alternative == "folded":  # one-sided in the direction the statistic went
        return stats.norm.sf(np.abs(z))
    if alternative == "greater":
        return stats.norm.sf(z)
    if alternative == "less":
        return stats.norm.cdf(z)
    return np.minimum(1.0, 2.0 * stats.norm.sf(np.abs(z)))


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (NaN stays NaN and is not counted).

    Equal to ``statsmodels.stats.multitest.multipletests(p, method="fdr_bh")[1]``.

    Examples
    --------
    >>> bh_adjust(np.array([0.01, 0.04, 0.03, 0.5])).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.5]
    """
    p = np.asarray(p, dtype="float64")
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="mergesort")
    ranked = q[order] * m / np.arange(1, m + 1)
    # step-up: the adjusted value is the smallest ratio at this rank or above
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adj = np.empty(m)
    adj[order] = np.minimum(ranked, 1.0)
    out[ok] = adj
    return out


def confidence_bins(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """ArcGIS-style bins: +-3, +-2, +-1 for 99, 95 and 90% confidence, signed by z; 0 otherwise.

    Examples
    --------
    >>> confidence_bins(np.array([3.0, -2.0, 1.7, 0.5]), np.array([0.005, 0.04, 0.09, 0.6])).tolist()
    [3, -2, 1, 0]
    """
    z = np.asarray(z, dtype="float64")
    p = np.asarray(p, dtype="float64")
    level = np.zeros(z.shape, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        level[p < 0.10] = 1
        level[p < 0.05] = 2
        level[p < 0.01] = 3
    return (np.sign(np.nan_to_num(z)) * level).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# The permutation kernel
# ---------------------------------------------------------------------------------------------

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


@numba.njit(inline="always")
def _splitmix64(x):
    # One step of SplitMix64 (Steele, Lea & Flood 2014): decorrelates nearby seeds.
    x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
    z = x
    z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
    z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
    return x, z ^ (z >> np.uint64(31))


@numba.njit(parallel=True, cache=True, fastmath=False)
def _crand_counts(y, indptr, indices, wdata, sign, observed, n_perm, seed, which, parts, ge, le):
    """For the units ``which`` count permutations with lag >= / <= the observed lag.

    ``lag_i = sum_j w_ij y_j`` over the unit's neighbours (no self term: it is fixed under
    conditional randomisation, so it cancels from the comparison). ``sign`` flips the comparison
    per unit (Local Moran's I multiplies the lag by z_i, which may be negative). Each unit's
    permutations are split into ``parts`` independent streams (so a few units with millions of
    permutations keep every core busy); ``ge``/``le`` hold one count per unit and part.
    """
    n = y.size
    for q in numba.prange(which.size * parts):
        i = which[q // parts]
        part = q % parts
        a = indptr[i]
        b = indptr[i + 1]
        k = b - a
        if k == 0 or n < 2:
            ge[q] = -1
            le[q] = -1
            continue
        obs = observed[i] * sign[i]
        tol = 1e-10 * (abs(obs) + 1e-300)
        state = np.uint64(seed) ^ ((np.uint64(i) + np.uint64(1)) * np.uint64(0xD1B54A32D192ED03))
        if part > 0:  # part 0 keeps the unit's own stream, so parts=1 is the plain kernel
            state ^= np.uint64(part) * np.uint64(0x8CB92BA72F3D8DD7)
        state, _ = _splitmix64(state)
        n_here = n_perm // parts + (1 if part < n_perm % parts else 0)
        picked = np.empty(k, dtype=np.int64)
        c_ge = 0
        c_le = 0
        pool = np.uint64(n - 1)
        spare = np.uint64(0)
        have_spare = False
        for _p in range(n_here):
            s = 0.0
            for t in range(k):
                while True:
                    # 32 random bits at a time, two per SplitMix64 output; Lemire's
                    # multiply-shift maps them to 0..n-2 without a division (n < 2**32)
                    if have_spare:
                        r32 = spare
                        have_spare = False
                    else:
                        state, r = _splitmix64(state)
                        r32 = r >> np.uint64(32)
                        spare = r & np.uint64(0xFFFFFFFF)
                        have_spare = True
                    j = np.int64((r32 * pool) >> np.uint64(32))
                    if j >= i:
                        j += 1  # skip the unit itself
                    dup = False
                    for u in range(t):
                        if picked[u] == j:
                            dup = True
                            break
                    if not dup:
                        break
                picked[t] = j
                s += wdata[a + t] * y[j]
            s *= sign[i]
            if s >= obs - tol:
                c_ge += 1
            if s <= obs + tol:
                c_le += 1
        ge[q] = c_ge
        le[q] = c_le


def permutation_counts(
    y: np.ndarray,
    w: sparse.csr_matrix,
    observed_lag: np.ndarray,
    permutations: int,
    seed: int | None,
    sign: np.ndarray | None = None,
    chunk: int = 65_536,
    progress: bool | None = None,
    which: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Counts of permuted lags at or above / at or below the observed lag, per unit.

    Only the units ``which`` (default: all) are permuted; the others get 0. Units without
    neighbours get -1 in both (no test possible).
    """
    permutations = int(permutations)
    if y.size >= 2**32:
        raise HspworkError(f"permutation inference supports up to 2**32 units, got {y.size:,}")
    if permutations < 1:
        raise HspworkError(f"permutations must be a positive integer, got {permutations}")
    if seed is None:
        seed = int(np.random.default_rng().integers(0, 2**63 - 1))
    seed = int(seed) & 0xFFFFFFFFFFFFFFFF
    y = np.ascontiguousarray(y, dtype=np.float64)
    w = w.tocsr()
    w.sort_indices()
    n = y.size
    if sign is None:
        sign = np.ones(n)
    sign = np.ascontiguousarray(sign, dtype=np.float64)
    observed_lag = np.ascontiguousarray(observed_lag, dtype=np.float64)
    indptr = w.indptr.astype(np.int64)
    indices = w.indices.astype(np.int64)
    wdata = w.data.astype(np.float64)
    ge = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    which = np.arange(n, dtype=np.int64) if which is None else np.asarray(which, np.int64)
    work = which.size * permutations * max(1.0, w.nnz / max(n, 1))
    if progress is None:
        progress = work > 5e8  # a few seconds or more
    # a few units with many permutations each: split each unit's permutations into streams
    parts = 1 if which.size >= 256 or permutations < 100_000 else max(1, min(64, 256 // which.size))
    step = max(1, chunk // parts)
    starts = range(0, which.size, step)
    for s in tqdm(starts, desc="permutations", unit="chunk", disable=not progress):
        part = which[s : s + step]
        g = np.zeros(part.size * parts, dtype=np.int64)
        c = np.zeros(part.size * parts, dtype=np.int64)
        _crand_counts(
            y, indptr, indices, wdata, sign, observed_lag, permutations, np.uint64(seed),
            part, parts, g, c,
        )  # fmt: skip
        g = g.reshape(part.size, parts)
        c = c.reshape(part.size, parts)
        none = (g < 0).any(axis=1)  # no neighbour: no test
        ge[part] = np.where(none, -1, g.sum(axis=1))
        le[part] = np.where(none, -1, c.sum(axis=1))
    return ge, le


def permutation_p(ge: np.ndarray, le: np.ndarray, permutations, alternative: str) -> np.ndarray:
    """Pseudo p-values ``(count + 1) / (permutations + 1)`` from :func:`permutation_counts`.

    ``"two-sided"`` doubles the smaller tail (capped at 1); ``"folded"`` is GeoDa's and
    esda's pseudo p-value: the smaller tail, not doubled. ``permutations`` may differ by unit.

    Examples
    --------
    >>> permutation_p(np.array([0, 99]), np.array([99, 0]), 99, "greater").tolist()
    [0.01, 1.0]
    >>> permutation_p(np.array([0, 50]), np.array([99, 49]), 99, "two-sided").tolist()
    [0.02, 1.0]
    >>> permutation_p(np.array([3, 97]), np.array([96, 2]), 99, "folded").tolist()
    [0.04, 0.03]
    """
    check_alternative(alternative)
    ge = np.asarray(ge, dtype="float64")
    le = np.asarray(le, dtype="float64")
    perms = np.asarray(permutations, dtype="float64")
    p_ge = (ge + 1.0) / (perms + 1.0)
    p_le = (le + 1.0) / (perms + 1.0)
    if alternative == "greater":
        p = p_ge
    elif alternative == "less":
        p = p_le
    elif alternative == "folded":
        # esda: larger = #(sim >= obs); if P - larger < larger, use P - larger
        p = (np.minimum(ge, perms - ge) + 1.0) / (perms + 1.0)
    else:
        p = np.minimum(1.0, 2.0 * np.minimum(p_ge, p_le))
    return np.where(ge < 0, np.nan, p)


def _tail_count(ge: np.ndarray, le: np.ndarray, perms: np.ndarray, alternative: str) -> np.ndarray:
    """The permutation count behind each p-value (0 means the p-value sits at its floor)."""
    if alternative == "greater":
        return ge
    if alternative == "less":
        return le
    if alternative == "folded":
        return np.minimum(ge, perms - ge)
    return np.minimum(ge, le)


# Units whose count in the tested tail is at most this get more permutations: their p-value is
# within three times the floor, so the floor, not the data, may be what keeps them out.
_NEAR_FLOOR = 2
# Screening: from 999 permutations on, with FDR, every unit gets 99 first and goes on only
# when at most 9 of them reach its statistic (a one-sided p-value of 0.1 or less).
_SCREEN_FROM = 999
_SCREEN_PERMUTATIONS = 99
_SCREEN_COUNT = 9


@dataclass(frozen=True)
class PermutationResult:
    """Pseudo p-values with what it took to get them (see :func:`permutation_inference`)."""

    p: np.ndarray
    permutations: np.ndarray  # per unit
    raised: int  # units given more permutations than asked
    note: str  # plain words for a summary; "" when there is nothing to say


def permutation_inference(
    y: np.ndarray,
    w: sparse.csr_matrix,
    observed_lag: np.ndarray,
    permutations: int,
    seed: int | None,
    alternative: str,
    fdr: float | None,
    *,
    sign: np.ndarray | None = None,
    max_permutations: int | None = None,
    progress: bool | None = None,
) -> PermutationResult:
    """Conditional-randomisation p-values, with permutations spent where BH needs them.

    Without ``fdr`` every unit gets exactly ``permutations``. With ``fdr`` set (the defaults)
    the permutations are drawn in rounds, each unit's p-value always computed from all the
    permutations it had, ``(count + 1) / (P + 1)``:

    1. Screening (when ``permutations >= 999``): every unit gets 99 first. A unit whose count
       in the tested tail is then above 9 (one-sided p above 0.1, two-sided above 0.2) stops
       there: no correction for testing many units could make it significant. The others go
       on to ``permutations``. On a map without clusters about four units in five stop, so
       the whole costs about a third of 999 for every unit.
    2. Top-ups: a unit whose count is at most 2 (its p-value within three times the floor
       ``1/(P + 1)``, twice that two-sided) gets more, until the floor is at most a quarter of
       what Benjamini-Hochberg needs of the units near it (if all ``R`` units that could pass
       did, BH would need each p at most ``R * fdr / n``), until those units pass anyway, or
       until ``max_permutations``. The top-ups in all are at most half of ``n x
       permutations`` or three rounds of ``4 n / fdr``, whichever is more (on a map without
       clusters the few most extreme units would otherwise be chased to tens of millions).

    Why the p-values stay valid (P(p <= a) <= a under the null). A unit goes on past round
    ``j`` (``P_j`` permutations) only when its count is at most ``h_j``, and the levels
    ``L_j = (h_j + 1) / (P_j + 1)`` fall from round to round (0.1, then 3/1000, then smaller).
    A unit that stops at round ``j`` has a count above ``h_j``, so p > L_j. Take a level ``a``
    with ``L_{j+1} <= a < L_j``: no unit stopping at round ``j`` or before can report p <= a,
    and a unit that reached round ``j + 1`` reports p <= a only if its pooled p-value after
    exactly ``P_{j+1}`` permutations is <= a (if it went on, that p-value was at most
    ``L_{j+1} <= a``). So P(p <= a) <= P(p_{P_{j+1}} <= a) <= a, the p-value of a fixed number
    of exchangeable permutations being valid. This is the argument of sequential Monte Carlo
    tests (Besag & Clifford 1991). The round sizes depend on how many units are near the
    floor, a property of the whole map rather than of any one unit.
    """
    permutations = int(permutations)
    screen = fdr is not None and permutations >= _SCREEN_FROM
    first = _SCREEN_PERMUTATIONS if screen else permutations
    ge, le = permutation_counts(y, w, observed_lag, first, seed, sign, progress=progress)
    if screen:
        held = _tail_count(ge, le, np.full(y.size, first), alternative)
        go_on = np.flatnonzero((ge >= 0) & (held <= _SCREEN_COUNT))
        if go_on.size:
            g2, l2 = permutation_counts(
                y, w, observed_lag, permutations - first,
                None if seed is None else _stage_seed(int(seed), 1_000), sign,
                progress=progress, which=go_on,
            )  # fmt: skip
            ge[go_on] += g2[go_on]
            le[go_on] += l2[go_on]
    valid = ge >= 0
    n_tests = int(valid.sum())
    perms = np.full(y.size, first, dtype=np.int64)
    if screen:
        perms[go_on] = permutations
    factor = 2.0 if alternative == "two-sided" else 1.0
    cap = None if max_permutations is None else max(int(max_permutations), permutations)
    # the extra permutations, in all: half the first pass's, or three rounds of top-ups
    rounds = 3 * 4.0 * factor * n_tests / float(fdr) if fdr is not None else 0.0
    budget = int(max(n_tests * permutations // 2, rounds))
    spent = 0
    stage = 0
    while fdr is not None and n_tests:
        near_floor = valid & (_tail_count(ge, le, perms, alternative) <= _NEAR_FLOOR)
        k = int(near_floor.sum())
        if k == 0:
            break
        p_now = permutation_p(ge, le, perms, alternative)
        if (bh_adjust(p_now)[near_floor] < fdr).all():
            break  # the floor keeps none of them out: more permutations would change nothing
        # at most r_max units can pass BH (all those near the floor, at p = 0)
        r_max = int((bh_adjust(np.where(near_floor, 0.0, p_now)) < fdr).sum())
        needed = int(np.ceil(4.0 * factor * n_tests / (float(fdr) * r_max))) - 1
        target = needed if cap is None else min(needed, cap)
        which = np.flatnonzero(near_floor & (perms < target))
        if which.size == 0:
            break
        extra = int((target - perms[which]).sum())
        if spent + extra > budget:
            target = int(perms[which].min() + (budget - spent) // which.size)
            which = which[perms[which] < target]
            if which.size == 0 or target <= perms[which].min():
                break
        stage += 1
        stage_seed = None if seed is None else _stage_seed(int(seed), stage)
        for top_up in np.unique(target - perms[which]):  # one call per distinct top-up
            part = which[target - perms[which] == top_up]
            g2, l2 = permutation_counts(
                y, w, observed_lag, int(top_up), stage_seed, sign, progress=progress, which=part
            )
            ge[part] += g2[part]
            le[part] += l2[part]
            spent += int(top_up) * part.size
        perms[which] = target
    p = permutation_p(ge, le, perms, alternative)
    raised = int((perms > permutations).sum())
    note = ""
    if fdr is not None and n_tests:
        p_adj = bh_adjust(p)
        floor = factor / (perms[valid].max() + 1.0)
        if not np.nanmin(p_adj) < fdr and np.nanmin(p) <= floor * (1 + 1e-12):
            # BH passes the smallest p when p * n < fdr, and p can be no smaller than
            # factor / (P + 1): so P > factor * n / fdr - 1, the least whole P being the
            # floor of factor * n / fdr (the 1e-9 guards a quotient rounded just below it)
            need = int(np.floor(factor * n_tests / float(fdr) + 1e-9))
            note = (
                f"no unit reached significance at FDR {fdr:g}: with {int(perms.max()):,} "
                f"permutations the smallest p-value possible is {floor:.2g}, and "
                f"Benjamini-Hochberg over {n_tests:,} tests needs at least one p-value "
                f"below fdr / n = {float(fdr) / n_tests:.2g}. Raise max_permutations to at "
                f"least {need:,} (or leave it None), or set fdr=None to read unadjusted p-values"
            )
    return PermutationResult(p=p, permutations=perms, raised=raised, note=note)


def _stage_seed(seed: int, stage: int) -> int:
    # a fresh, reproducible stream for each round of extra permutations
    x = (seed + 0x9E3779B97F4A7C15 * stage) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 27)

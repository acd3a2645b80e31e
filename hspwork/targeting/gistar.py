"""Getis-Ord Gi* hot spots (Getis & Ord 1992; Ord & Getis 1995).

Binary weights with the unit itself included. For unit ``i`` with ``c_i`` units in its
neighbourhood (itself counted), ``n`` units, mean ``ybar`` and population standard deviation
``s`` of the values::

    z_i = (sum_{j in N(i)} y_j - ybar * c_i) / (s * sqrt((n * c_i - c_i**2) / (n - 1)))

which is what ``esda.G_Local(y, w, transform="B", star=True).Zs`` and R's
``spdep::localG(y, include.self(nb))`` report. On a regular grid the neighbourhood sums are
computed by shifting a 2-D array, so a million cells take a fraction of a second.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
from scipy import sparse

from hspwork.errors import HspworkError, HspworkWarning, SchemaError
from hspwork.targeting._inference import (
    bh_adjust,
    check_alternative,
    confidence_bins,
    normal_p,
    permutation_inference,
)
from hspwork.targeting._weights import (
    NeighbourSpec,
    describe,
    describe_units,
    detect_lattice,
    lattice_neighbours,
    neighbours,
    plain_spec,
)

# Permutations per unit for Gi* and LISA alike: esda's and GeoDa's default.
PERMUTATIONS = 999

GI_COLUMNS = ("gi_z", "gi_p", "gi_p_sim", "gi_p_adj", "gi_bin", "gi_sig")


def values_of(units: gpd.GeoDataFrame, column: str) -> np.ndarray:
    """The numeric column ``column`` as float64, with errors that say what is wrong."""
    if column not in units.columns:
        raise SchemaError(
            f"units has no column {column!r}; it has {list(units.columns)}. "
            "Count crimes or harm into units first (hspwork.units.count)."
        )
    try:
        y = np.asarray(units[column], dtype="float64")
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"column {column!r} must be numeric, got {units[column].dtype}") from exc
    if not np.all(np.isfinite(y)):
        bad = int((~np.isfinite(y)).sum())
        raise SchemaError(f"column {column!r} has {bad} missing or infinite values; fill them (0?)")
    return y


def _lattice_sums(y: np.ndarray, lat, rook: bool) -> tuple[np.ndarray, np.ndarray]:
    """Neighbourhood sums (self included) and cardinalities by shifting 2-D arrays."""
    grid = np.zeros((lat.nrows + 2, lat.ncols + 2))
    mask = np.zeros((lat.nrows + 2, lat.ncols + 2))
    grid[lat.row + 1, lat.col + 1] = y
    mask[lat.row + 1, lat.col + 1] = 1.0
    offsets = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]
    if not rook:
        offsets += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    nr, nc = lat.nrows, lat.ncols
    s = np.zeros((nr, nc))
    c = np.zeros((nr, nc))
    for dr, dc in offsets:
        s += grid[1 + dr : 1 + dr + nr, 1 + dc : 1 + dc + nc]
        c += mask[1 + dr : 1 + dr + nr, 1 + dc : 1 + dc + nc]
    return s[lat.row, lat.col], c[lat.row, lat.col]


def gistar_z(y: np.ndarray, w: sparse.csr_matrix) -> np.ndarray:
    """Gi* z-values for values ``y`` and a binary neighbour matrix ``w`` (zero diagonal).

    The unit itself is added to its neighbourhood here.

    Examples
    --------
    A 1 x 3 strip with values 0, 0, 3 and rook neighbours; worked by hand: n = 3, mean 1,
    s = sqrt(2); the third cell's neighbourhood {2, 3} sums to 3 with c = 2, so
    z = (3 - 2) / (sqrt(2) * sqrt((6 - 4) / 2)) = 0.7071. The middle cell's neighbourhood is
    every unit, so its z is undefined (NaN).

    >>> w = sparse.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    >>> gistar_z(np.array([0.0, 0.0, 3.0]), w).round(4).tolist()
    [-1.4142, nan, 0.7071]
    """
    y = np.asarray(y, dtype="float64")
    lag = w @ y + y
    card = np.asarray(w.sum(axis=1)).ravel() + 1.0
    return _z_from_sums(y, lag, card)


def _z_from_sums(y: np.ndarray, lag: np.ndarray, card: np.ndarray) -> np.ndarray:
    n = y.size
    if n < 2:
        raise HspworkError(f"Gi* needs at least 2 units, got {n}")
    mean = y.mean()
    sd = np.sqrt(max((y * y).mean() - mean * mean, 0.0))
    # equal values can leave a rounding residue of ~1e-17 in mean(y^2) - mean^2 (0.3 does)
    if sd == 0 or (y == y[0]).all():
        raise HspworkError("every unit has the same value: Gi* is undefined (no variation)")
    with np.errstate(invalid="ignore", divide="ignore"):
        # A unit whose neighbourhood is everything has zero variance: z is undefined (NaN).
        denom = sd * np.sqrt(card * (n - card) / (n - 1))
        z = (lag - mean * card) / denom
    return np.where(denom > 0, z, np.nan)


def gistar(
    units: gpd.GeoDataFrame,
    column: str,
    *,
    neighbours: NeighbourSpec = "queen",
    permutations: int = PERMUTATIONS,
    alternative: str = "two-sided",
    fdr: float | None = 0.05,
    seed: int | None = None,
    max_permutations: int | None = None,
    progress: bool | None = None,
) -> gpd.GeoDataFrame:
    """Getis-Ord Gi* hot and cold spots of ``column`` over ``units``.

    Parameters
    ----------
    units : GeoDataFrame
        Grid cells, hexagons, street segments or the user's polygons (projected CRS).
    column : str
        Counts or harm per unit (e.g. ``"crimes"`` or ``"harm"``).
    neighbours : {"queen", "rook"}, float or int
        Contiguity, centroids within a distance in metres (``150.0``), or k nearest
        neighbours (an int, 1..30: ``150`` is refused as a distance missing its ``.0``).
        Binary weights; the unit itself is always included (the "star").
    permutations : int
        Conditional-randomisation permutations per unit (999, as esda and GeoDa, and the same
        default as :func:`hspwork.targeting.lisa`); significance then comes from ``gi_p_sim``.
        ``0`` uses the normal approximation only, as ArcGIS's Hot Spot Analysis does.
    alternative : {"two-sided", "greater", "less", "folded"}
        Direction of the test, for both the normal and the permutation p-values. ``"folded"``
        is GeoDa's and esda's pseudo p-value (the smaller tail, not doubled), to reproduce a
        GeoDa map; it is a one-sided test in whichever direction the unit went.
    fdr : float or None
        When set, bins use Benjamini-Hochberg adjusted p-values (as ArcGIS's FDR correction
        does: only the bin changes, never the stored p) and ``gi_sig`` marks units with
        ``gi_p_adj < fdr``; units near the permutation floor get more permutations (see
        Notes). ``None`` bins on the unadjusted p and ``gi_sig`` is ``p < 0.05``.
    seed : int, optional
        Seed for the permutations; the same seed gives the same p-values.
    max_permutations : int, optional
        Cap on the permutations any unit gets when raised for FDR (default: as many as the
        Benjamini-Hochberg threshold needs, at most about ``4 n / fdr`` in all).
    progress : bool, optional
        Show a progress bar over chunks of units (default: on for long runs).

    Returns
    -------
    GeoDataFrame
        A copy of ``units`` with ``gi_z``, ``gi_p`` (normal approximation), ``gi_p_sim`` (when
        ``permutations > 0``), ``gi_p_adj`` (BH-adjusted; from ``gi_p_sim`` when permutations were
        run, else ``gi_p``), ``gi_bin`` (-3..3) and ``gi_sig``. ``attrs["gistar"]`` records the
        column, neighbours, permutations, alternative, fdr and seed.

    Notes
    -----
    The z-value is always the analytical one (``gi_z``, what ArcGIS, esda's ``Zs`` and spdep
    report). The permutation p-value holds the unit's own value fixed and draws its
    neighbours from the other units (conditional randomisation, as esda and GeoDa do): it
    does not lean on the normal curve, which fits poorly for a neighbourhood of 9 cells of
    skewed counts or harm. A permutation p-value can be no smaller than
    ``1 / (permutations + 1)`` (twice that two-sided), while Benjamini-Hochberg over ``n``
    units needs the smallest at or below ``fdr / n``: 999 permutations could never pass BH on a
    city of thousands of cells. So, with ``fdr`` set, the units whose p-value is near that
    floor get more permutations, as many as BH needs, and units clearly not significant after
    99 (one-sided p above 0.1) stop there (see
    :func:`hspwork.targeting._inference.permutation_inference` for why the p-values stay
    valid); ``attrs["gistar"]["permutations_max"]`` says how many the most extreme units had.
    When nothing can reach significance (a cap set too low) a warning says so and gives the fix.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> cells = [box(x, y, x + 100, y + 100) for y in range(0, 500, 100) for x in range(0, 500, 100)]
    >>> units = gpd.GeoDataFrame({"crimes": [0] * 25}, geometry=cells, crs=27700)
    >>> units.loc[[6, 7, 8, 11, 12, 13, 16, 17, 18], "crimes"] = [5, 6, 5, 6, 9, 6, 5, 6, 5]
    >>> out = gistar(units, "crimes", seed=1)
    >>> round(float(out.loc[12, "gi_z"]), 4), int(out.loc[12, "gi_bin"]), bool(out.loc[12, "gi_sig"])
    (4.7482, 2, True)
    >>> int(gistar(units, "crimes", permutations=0).loc[12, "gi_bin"])  # normal approximation
    3
    """
    check_alternative(alternative)
    if fdr is not None and not (0 < float(fdr) < 1):
        raise HspworkError(f"fdr must be between 0 and 1 (or None), got {fdr!r}")
    y = values_of(units, column)
    lat = detect_lattice(units) if isinstance(neighbours, str) else None
    w = None
    if lat is not None and neighbours.lower() in ("queen", "rook"):
        lag, card = _lattice_sums(y, lat, rook=neighbours.lower() == "rook")
        z = _z_from_sums(y, lag, card)
        isolated = int((card == 1).sum())
    else:
        w = _neighbours(units, neighbours)
        z = gistar_z(y, w)
        isolated = int((np.diff(w.indptr) == 0).sum())
    if isolated:
        # With no neighbour, Gi* is just the unit's own standardised value: a lone busy unit
        # would be called a "hot spot" with no spatial clustering behind it.
        warnings.warn(
            f"{isolated:,} of {len(units):,} units have no neighbour with "
            f"neighbours={neighbours!r}; their Gi* is only their own standardised value, not "
            "a cluster. Give a distance in metres (or k nearest) that reaches a neighbour for each.",
            HspworkWarning,
            stacklevel=2,
        )
    # drop results of an earlier run so no stale column (e.g. gi_p_sim) survives
    out = units.drop(columns=[c for c in GI_COLUMNS if c in units.columns])
    out["gi_z"] = z
    out["gi_p"] = normal_p(z, alternative)
    p_for_adj = out["gi_p"].to_numpy()
    perms_min = perms_max = int(permutations)
    raised, note = 0, ""
    if permutations:
        if w is None:
            w = lattice_neighbours(lat, rook=neighbours.lower() == "rook")
        res = permutation_inference(
            y, w, w @ y, permutations, seed, alternative, fdr,
            max_permutations=max_permutations, progress=progress,
        )  # fmt: skip
        out["gi_p_sim"] = res.p
        p_for_adj = res.p
        perms_min, perms_max = int(res.permutations.min()), int(res.permutations.max())
        raised, note = res.raised, res.note
        if note:
            warnings.warn(note, HspworkWarning, stacklevel=2)
    out["gi_p_adj"] = bh_adjust(p_for_adj)
    p_bin = out["gi_p_adj"].to_numpy() if fdr is not None else p_for_adj
    out["gi_bin"] = confidence_bins(z, p_bin)
    out["gi_sig"] = p_bin < (fdr if fdr is not None else 0.05)
    out.attrs = dict(units.attrs)
    out.attrs["gistar"] = {
        "column": column,
        "neighbours": plain_spec(neighbours),
        "neighbours_text": describe(neighbours),
        "units_text": describe_units(units),
        "permutations": int(permutations),
        "permutations_min": perms_min,
        "permutations_max": perms_max,
        "permutations_raised": raised,
        "alternative": alternative,
        "fdr": None if fdr is None else float(fdr),
        "seed": None if seed is None else int(seed),
        "note": note,
    }
    return out


def _neighbours(units: gpd.GeoDataFrame, spec: NeighbourSpec) -> sparse.csr_matrix:
    w = neighbours(units, spec)
    isolated = int((np.diff(w.indptr) == 0).sum())
    if isolated == len(units):
        raise HspworkError(
            f"no unit has a neighbour with neighbours={spec!r}; use a larger distance or 'queen'"
        )
    return w

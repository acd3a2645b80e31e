"""Time each officer spent inside each fence, by one explicit rule, fast enough for a force.

See :func:`dwell` for the rule. The work is split into stages that other modules reuse:

* :func:`prepare_pings` checks the frame, converts times to UTC nanoseconds, puts coordinates
  into the fences' CRS and sorts by officer, time (ties by position, so row order never matters);
* :class:`FenceIndex` flattens polygons (all versions) into arrays with a coarse grid index;
* :func:`credited_runs` gives the runs of abutting credited time per officer and fence;
* :func:`visits_from_runs` merges runs into visits, each run keeping the visit it joined;
* :class:`DwellResult` holds the visits, their runs and the per-officer observed time, and
  computes every total (per fence, per officer) from the visits it holds, so a result narrowed
  to one day reports that day's minutes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from hspwork.compat import UNSET, renamed
from hspwork.crs import metres_to_crs_units, to_metric, unit_to_metres
from hspwork.errors import (
    CRSMismatchWarning,
    HspworkError,
    HspworkWarning,
    SchemaError,
)
from hspwork.io.crs_column import ping_crs
from hspwork.report import LoadReport, RowLedger
from hspwork.tracking import _kernels as K

NS_PER_MINUTE = 60_000_000_000

#: Default largest gap (minutes) between two pings that still counts as observed, per source.
#: Phone apps and vehicle trackers report every 30-60 s, so 3 minutes allows a couple of missed
#: fixes; Airwave radios (``radio``, ``handheld``) report every 2-5 minutes, so 10 minutes.
DEFAULT_MAX_GAP_MINUTES: dict[str, float] = {
    "app": 3.0,
    "vehicle": 3.0,
    "radio": 10.0,
    "handheld": 10.0,
}


def to_minutes(value, name: str) -> float:
    """Minutes from a number (minutes), a ``Timedelta`` or a string like ``"3min"``."""
    if isinstance(value, bool):
        raise HspworkError(f"{name}={value!r}: give minutes as a number or a pandas Timedelta")
    if isinstance(value, int | float | np.integer | np.floating):
        minutes = float(value)
    else:
        try:
            minutes = pd.Timedelta(value).total_seconds() / 60.0
        except (TypeError, ValueError) as exc:
            raise HspworkError(
                f"{name}={value!r}: give minutes as a number, a pandas Timedelta or a string "
                "such as '3min'"
            ) from exc
    if not np.isfinite(minutes) or minutes < 0:
        raise HspworkError(f"{name}={value!r}: must be a finite, non-negative duration")
    return minutes


def max_gap_table(sources, max_gap_minutes) -> np.ndarray:
    """Max gap in ns for each source in ``sources`` (list of names), from ``max_gap_minutes``.

    ``max_gap_minutes`` is None (the per-source defaults), one duration for every source, or a
    dict source -> duration that overrides the defaults.
    """
    if max_gap_minutes is None or isinstance(max_gap_minutes, dict):
        table = dict(DEFAULT_MAX_GAP_MINUTES)
        for k, v in (max_gap_minutes or {}).items():
            table[str(k)] = to_minutes(v, f"max_gap_minutes[{k!r}]")
        missing = [s for s in sources if s not in table]
        if missing:
            raise SchemaError(
                f"no max_gap_minutes for source(s) {missing}; defaults exist for "
                f"{sorted(DEFAULT_MAX_GAP_MINUTES)}: pass max_gap_minutes=<minutes> or "
                "max_gap_minutes={source: minutes}"
            )
        minutes = [table[s] for s in sources]
    else:
        minutes = [to_minutes(max_gap_minutes, "max_gap_minutes")] * len(sources)
    ns = np.minimum(np.round(np.asarray(minutes, dtype=float) * NS_PER_MINUTE), 2.0**62)
    return ns.astype(np.int64)


def time_ns(series: pd.Series, name: str = "time") -> np.ndarray:
    """UTC nanoseconds since the epoch from a tz-aware datetime column (any time zone)."""
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        raise SchemaError(
            f"column {name!r} has dtype {series.dtype}; a tz-aware datetime is required "
            "(for example `pd.to_datetime(col).dt.tz_localize('Europe/London')` or utc=True)"
        )
    return pd.DatetimeIndex(series).as_unit("ns").asi8


@dataclass
class PreparedPings:
    """Pings as sorted arrays (officer code, UTC ns, x, y in the fences' CRS, source code)."""

    officers: np.ndarray  # names, code order (sorted)
    sources: list[str]
    off: np.ndarray
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    src: np.ndarray
    gap_ns_by_src: np.ndarray
    order: np.ndarray  # sorted position -> row position in the input (after invalid rows removed)
    report: object


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int32), np.asarray(uniques, dtype=object)


def prepare_pings(pings: pd.DataFrame, target_crs, max_gap_minutes=None, crs=None) -> PreparedPings:
    """Check and sort pings for the kernels (see module docstring).

    Rows with a missing time or position, or no officer, cannot be placed; they are counted in
    the returned report (reasons ``"no time or position"``, ``"no officer"``) rather than
    silently ignored.
    """
    need = {"officer", "time", "x", "y"}
    missing = sorted(need - set(pings.columns))
    if missing:
        raise SchemaError(
            f"pings lack column(s) {missing}; have {list(pings.columns)}; need "
            "officer, time, x, y (and source for the per-source max_gap_minutes)"
        )
    src_crs = ping_crs(pings, crs)
    t = time_ns(pings["time"])
    x = pings["x"].to_numpy(dtype=np.float64)
    y = pings["y"].to_numpy(dtype=np.float64)
    if target_crs is not None and not src_crs.equals(CRS.from_user_input(target_crs)):
        target_crs = CRS.from_user_input(target_crs)
        warnings.warn(
            f"pings are in {src_crs.name} but fences are in {target_crs.name}; converted the "
            "pings to the fences' CRS",
            CRSMismatchWarning,
            stacklevel=3,
        )
        x, y = Transformer.from_crs(src_crs, target_crs, always_xy=True).transform(x, y)
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
    ledger = RowLedger(len(pings), "pings")
    no_pos = (t == np.iinfo(np.int64).min) | ~np.isfinite(x) | ~np.isfinite(y)
    no_officer = pings["officer"].isna().to_numpy()
    bad = no_pos | no_officer
    if bad.any():
        ledger.drop(no_pos, "no time or position")
        ledger.drop(no_officer, "no officer")
        keep = ~bad
        t, x, y = t[keep], x[keep], y[keep]
        officer_col = pings["officer"][keep]
        source_col = pings["source"][keep] if "source" in pings.columns else None
    else:
        officer_col = pings["officer"]
        source_col = pings["source"] if "source" in pings.columns else None
    off, officers = _codes(officer_col)
    if source_col is None:
        if max_gap_minutes is None or isinstance(max_gap_minutes, dict):
            raise SchemaError(
                "pings have no 'source' column, so the per-source max_gap_minutes defaults cannot "
                "apply: pass max_gap_minutes=<minutes>"
            )
        src = np.zeros(len(t), dtype=np.int32)
        sources = ["all"]
    else:
        src, uniq = _codes(source_col)
        sources = [str(s) for s in uniq]
        if (src < 0).any():  # missing source: its own label, so the defaults cannot apply
            src = np.where(src < 0, len(sources), src).astype(np.int32)
            sources.append("missing")
    gap_ns = max_gap_table(sources, max_gap_minutes)
    if K.is_sorted_pair(off, t):
        perm = np.arange(len(t), dtype=np.int64)
    else:
        perm = K.sort_officer_time(off, t, len(officers))
    perm = K.order_ties(perm, off, t, x, y, src)
    off, t, x, y, src = K.gather(
        perm, off, t, np.ascontiguousarray(x), np.ascontiguousarray(y), src
    )
    return PreparedPings(
        officers=officers,
        sources=sources,
        off=off,
        t=t,
        x=x,
        y=y,
        src=src,
        gap_ns_by_src=gap_ns,
        order=perm,
        report=ledger.report(),
    )


class FenceIndex:
    """Fence polygons (every version) as flat arrays, with a coarse grid for candidate lookup.

    Parameters
    ----------
    fences : GeoDataFrame
        ``fence_id`` and Polygon/MultiPolygon geometry; optional ``valid_from``/``valid_to``
        (tz-aware; NaT = open) for versioned sets, and ``source`` (see below).
    catchment : bool or float
        False: core fences. True: each fence buffered by its ``buffer_m`` column. A number:
        every fence buffered by that many metres (converted to the CRS's units).

    Notes
    -----
    A row with a ``source`` (for example ``"app"``) applies to pings of that source only, and
    for that source it replaces the fence's rows without a source: this is how a catchment
    corrected for one kind of device (:func:`hspwork.tracking.corrected_fences`) leaves the
    other devices' catchment as it was. Rows without a source (missing) apply to every other
    source.
    """

    def __init__(self, fences: gpd.GeoDataFrame, catchment: bool | float = False) -> None:
        if not isinstance(fences, gpd.GeoDataFrame):
            raise SchemaError(f"fences must be a GeoDataFrame, got {type(fences).__name__}")
        if "fence_id" not in fences.columns:
            raise SchemaError(f"fences lack 'fence_id'; have {list(fences.columns)}")
        ids = fences["fence_id"]
        no_id = (ids.isna() | (ids.astype(object).astype(str).str.strip() == "")).to_numpy()
        if no_id.any():
            rows = np.flatnonzero(no_id)
            shown = ", ".join(map(str, rows[:10])) + (" ..." if len(rows) > 10 else "")
            raise HspworkError(
                f"fences has {len(rows)} fence(s) without a fence_id (row {shown}): a visit "
                "must name its fence. Give each a fence_id, or drop them "
                "(fences[fences['fence_id'].notna()])"
            )
        fences = to_metric(fences, "fences")
        self.crs = CRS.from_user_input(fences.crs)
        geoms = fences.geometry.to_numpy()
        kinds = set(shapely.get_type_id(geoms).tolist())
        if not kinds <= {3, 6}:
            names = sorted(
                {
                    g.geom_type
                    for g in geoms
                    if g is not None and g.geom_type not in ("Polygon", "MultiPolygon")
                }
            )
            raise SchemaError(f"fence geometries must be Polygon or MultiPolygon; found {names}")
        if catchment is True:
            if "buffer_m" not in fences.columns:
                raise SchemaError("catchment=True needs a 'buffer_m' column in the fences")
            dist = fences["buffer_m"].fillna(0.0).to_numpy(dtype=float)
            geoms = shapely.buffer(geoms, dist / unit_to_metres(self.crs))
        elif catchment is not False and catchment is not None:
            geoms = shapely.buffer(geoms, metres_to_crs_units(float(catchment), self.crs))
        fid_codes, self.fence_ids = pd.factorize(fences["fence_id"].astype(str), sort=True)
        self.fence_ids = np.asarray(self.fence_ids, dtype=object)
        self.poly_fence = fid_codes.astype(np.int32)
        self.poly_source = None
        if "source" in fences.columns:
            s = fences["source"].astype(object)
            self.poly_source = s.where(s.notna(), None).to_numpy(dtype=object)
            self.poly_source = np.array(
                [None if v is None else str(v) for v in self.poly_source], dtype=object
            )  # one per fence row
        n = len(geoms)
        lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
        self.vfrom = np.full(n, lo, dtype=np.int64)
        self.vto = np.full(n, hi, dtype=np.int64)
        if "valid_from" in fences.columns:
            v = time_ns(fences["valid_from"], "valid_from")
            self.vfrom = np.where(v == lo, lo, v)
        if "valid_to" in fences.columns:
            v = time_ns(fences["valid_to"], "valid_to")
            self.vto = np.where(v == lo, hi, v)
        parts, part_idx = shapely.get_parts(geoms, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        ring_poly = part_idx[ring_part]
        self.cx = np.ascontiguousarray(coords[:, 0])
        self.cy = np.ascontiguousarray(coords[:, 1])
        self.ring_start = np.concatenate(
            [[0], np.cumsum(np.bincount(coord_ring, minlength=len(rings)))]
        ).astype(np.int64)
        self.poly_ring_start = np.concatenate(
            [[0], np.cumsum(np.bincount(ring_poly, minlength=n))]
        ).astype(np.int64)
        b = shapely.bounds(geoms)
        empty = ~np.isfinite(b).all(axis=1)
        b[empty] = [np.inf, np.inf, -np.inf, -np.inf]  # empty geometry: matches nothing
        self.bx0, self.by0, self.bx1, self.by1 = (np.ascontiguousarray(b[:, k]) for k in range(4))
        finite = ~empty
        if finite.any():
            gx0, gy0 = b[finite, 0].min(), b[finite, 1].min()
            gx1, gy1 = b[finite, 2].max(), b[finite, 3].max()
            sizes = np.maximum(b[finite, 2] - b[finite, 0], b[finite, 3] - b[finite, 1])
            extent = max(gx1 - gx0, gy1 - gy0, 1e-9)
            # cells about the size of a typical fence keep candidate lists short
            cell = max(float(np.median(sizes)), extent / 2048.0, 1e-9)
            nx = int((gx1 - gx0) / cell) + 1
            ny = int((gy1 - gy0) / cell) + 1
        else:
            gx0 = gy0 = 0.0
            cell = 1.0
            nx = ny = 1
        self.gx0, self.gy0, self.cell, self.nx, self.ny = float(gx0), float(gy0), cell, nx, ny
        self.gstart, self.gitems = K.build_grid(
            self.bx0, self.by0, self.bx1, self.by1, self.gx0, self.gy0, cell, nx, ny
        )

    @property
    def n_fences(self) -> int:
        return len(self.fence_ids)

    def source_mask(self, sources) -> np.ndarray:
        """Per polygon, a bit mask of the source codes (positions in ``sources``) it applies to."""
        n = len(self.poly_fence)
        if self.poly_source is None:
            return np.full(n, -1, dtype=np.int64)  # every bit: every source
        if len(sources) > 62:
            raise HspworkError(f"{len(sources)} ping sources; source-specific fences allow 62")
        code = {str(s): k for k, s in enumerate(sources)}
        specific = np.array([s is not None for s in self.poly_source], dtype=bool)
        bits = np.array(
            [(1 << code[s]) if s in code else 0 for s in self.poly_source[specific]],
            dtype=np.int64,
        )  # one per source-specific row
        taken = np.zeros(self.n_fences, dtype=np.int64)
        np.bitwise_or.at(taken, self.poly_fence[specific], bits)
        mask = ~taken[self.poly_fence]  # generic rows: every source without its own row
        mask[specific] = bits
        return mask

    def _geo_args(self, smask):
        return (self.gx0, self.gy0, self.cell, self.nx, self.ny, self.gstart, self.gitems,
                self.bx0, self.by0, self.bx1, self.by1, self.vfrom, self.vto, smask,
                self.poly_ring_start, self.ring_start, self.cx, self.cy)  # fmt: skip

    def contains(self, x: np.ndarray, y: np.ndarray, t: np.ndarray):
        """(ping index, polygon index) for every polygon containing a point at its time.

        Points here carry no source, so every row of a fence counts (rows of one fence for
        different sources may both list a point; callers keep one per fence).
        """
        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        t = np.ascontiguousarray(t, dtype=np.int64)
        src = np.zeros(len(x), dtype=np.int32)
        args = self._geo_args(np.full(len(self.poly_fence), -1, dtype=np.int64))
        counts = K.pip_count(x, y, t, src, *args)
        offsets = np.zeros(len(x) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return K.pip_fill(x, y, t, src, offsets, *args)


@dataclass
class Runs:
    """Runs of abutting credited time (one officer, one fence), as arrays in any order."""

    fence: np.ndarray
    officer: np.ndarray
    start: np.ndarray
    end: np.ndarray
    n: np.ndarray
    dist: np.ndarray


def credited_runs(pp: PreparedPings, index: FenceIndex, interpolate: bool) -> Runs:
    """Runs of credited time for prepared pings against a fence index (see :func:`dwell`)."""
    x = pp.x
    args = index._geo_args(index.source_mask(pp.sources))
    counts = K.pip_count(x, pp.y, pp.t, pp.src, *args)
    pair_start = np.zeros(len(x) + 1, dtype=np.int64)
    np.cumsum(counts, out=pair_start[1:])
    ping, poly = K.pip_fill(x, pp.y, pp.t, pp.src, pair_start, *args)
    fence = index.poly_fence[poly]
    f, o, s, e, n, d = K.credited_runs(
        pair_start, ping, fence, poly, pp.off, pp.t, pp.x, pp.y, pp.src, pp.gap_ns_by_src,
        bool(interpolate), index.n_fences, index.poly_ring_start, index.ring_start,
        index.cx, index.cy,
    )  # fmt: skip
    return Runs(fence=f, officer=o, start=s, end=e, n=n, dist=d)


def observed_by_officer(pp: PreparedPings) -> pd.DataFrame:
    """Observed and unobserved minutes per officer (gaps within / beyond max_gap_minutes)."""
    obs, unobs = K.observed_ns(pp.off, pp.t, pp.src, pp.gap_ns_by_src, len(pp.officers))
    return pd.DataFrame(
        {
            "officer": pd.array(pp.officers, dtype=object),
            "observed_minutes": obs / NS_PER_MINUTE,
            "unobserved_minutes": unobs / NS_PER_MINUTE,
        }
    )


def visits_from_runs(
    runs: Runs,
    officers: np.ndarray,
    fence_ids: np.ndarray,
    merge_within_minutes,
    unit_m: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merge credited runs into visits; returns (visits, runs), both keyed by ``visit_id``.

    Visits are numbered 0, 1, ... in the order officer, start, fence; every run that joined a
    visit carries that visit's ``visit_id`` (runs with no credited time that joined none are
    left out).
    """
    merge_ns = round(to_minutes(merge_within_minutes, "merge_within_minutes") * NS_PER_MINUTE)
    k = np.lexsort((runs.start, runs.officer, runs.fence))
    f, o, s, e = runs.fence[k], runs.officer[k], runs.start[k], runs.end[k]
    cnt, d = runs.n[k], runs.dist[k]
    vf, vo, vs, ve, vcred, vn, vd, run_visit = K.merge_visits(
        f, o, s, e, cnt, d, np.int64(merge_ns)
    )
    minutes = vcred / NS_PER_MINUTE
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(vcred > 0, vd * unit_m / (vcred / 1e9), np.nan)
    # visit order: officer, start, fence. Officer and fence codes follow their sorted names
    # (both are factorised with sort=True), so sorting the codes sorts the names.
    order = np.lexsort((vf, vs, vo))
    new_id = np.empty(len(order), dtype=np.int64)
    new_id[order] = np.arange(len(order))
    visits = pd.DataFrame(
        {
            "visit_id": np.arange(len(order), dtype=np.int64),
            "officer": pd.array(officers[vo[order]], dtype=object),
            "fence_id": pd.array(fence_ids[vf[order]], dtype=object),
            "start": pd.to_datetime(vs[order], utc=True, unit="ns"),
            "end": pd.to_datetime(ve[order], utc=True, unit="ns"),
            "minutes": minutes[order],
            "n_pings": vn[order].astype(np.int64),
            "mean_speed_mps": speed[order],
        }
    )
    joined = run_visit >= 0
    rid = new_id[run_visit[joined]]
    r_order = np.lexsort((s[joined], rid))
    run_frame = pd.DataFrame(
        {
            "visit_id": rid[r_order],
            # categories: the runs outnumber the visits, and names repeat
            "officer": pd.Categorical.from_codes(o[joined][r_order], categories=officers),
            "fence_id": pd.Categorical.from_codes(f[joined][r_order], categories=fence_ids),
            "start": pd.to_datetime(s[joined][r_order], utc=True, unit="ns"),
            "end": pd.to_datetime(e[joined][r_order], utc=True, unit="ns"),
            "minutes": (e[joined][r_order] - s[joined][r_order]) / NS_PER_MINUTE,
            "n_pings": cnt[joined][r_order].astype(np.int64),
        }
    )
    return visits, run_frame


VISIT_COLUMNS = ["officer", "fence_id", "start", "minutes"]


@dataclass(frozen=True, eq=False)
class DwellResult:
    """What :func:`dwell` measured: visits, the credited runs inside them, and observed time.

    Every total is computed from the visits the result holds, so a result narrowed with
    :meth:`select` (one day, one team) reports that selection's own minutes.

    Attributes
    ----------
    visits : DataFrame
        One row per visit: ``visit_id``, ``officer``, ``fence_id``, ``start``, ``end`` (UTC),
        ``minutes`` (credited time: officer-minutes), ``n_pings`` (pings inside the fence
        during the visit), ``mean_speed_mps`` (distance moved during the credited time /
        credited time).
    runs : DataFrame
        The runs of abutting credited time inside each visit: ``visit_id``, ``officer`` and
        ``fence_id`` (categorical), ``start``, ``end``, ``minutes``, ``n_pings``. A visit's minutes are the
        sum of its runs' minutes; patrol-minutes are the union of runs across officers.
    officers : DataFrame
        Per officer in the pings: ``observed_minutes`` (time between pings no further apart
        than ``max_gap_minutes``) and ``unobserved_minutes`` (longer gaps). These belong to
        the pings given to :func:`dwell`, not to the visits, so :meth:`select` keeps them.
    fence_ids : tuple of str
        Every fence measured (fences without a visit report zero minutes).
    rule : dict
        The parameters of the gap rule (JSON-native).
    report : LoadReport
        Pings read, used, and not used by reason.
    """

    visits: pd.DataFrame
    runs: pd.DataFrame
    officers: pd.DataFrame
    fence_ids: tuple = ()
    rule: dict = field(default_factory=dict)
    report: LoadReport | None = None

    @property
    def attrs(self) -> dict:
        """The report (JSON form) and rule, as library frames carry them in ``attrs``, so
        :func:`hspwork.report.report_of` works on a result as on a loader's frame."""
        out = {"rule": self.rule}
        if self.report is not None:
            out["load_report"] = self.report.to_dict()
        return out

    # ----------------------------------------------------------------- tables
    def to_frame(self) -> pd.DataFrame:
        """The visits, one row each (a copy)."""
        return self.visits.copy()

    def per_fence(self) -> pd.DataFrame:
        """Per fence: ``visits``, ``officer_minutes`` and ``patrol_minutes`` (docs/glossary.md).

        Officer-minutes add up every officer's credited time; patrol-minutes count the time
        with at least one officer present (the union of the runs across officers).
        """
        return _per_fence(self.visits, self.runs, self.fence_ids)

    def per_officer(self) -> pd.DataFrame:
        """Per officer: ``visits``, ``minutes`` in fences, and observed/unobserved minutes."""
        u = self.unobserved()
        counts = self.visits.groupby("officer", sort=True)["minutes"].agg(["size", "sum"])
        u.insert(1, "visits", u["officer"].map(counts["size"]).fillna(0).astype(np.int64))
        u.insert(2, "minutes", u["officer"].map(counts["sum"]).fillna(0.0).astype(float))
        return u

    def unobserved(self) -> pd.DataFrame:
        """Per officer: observed and unobserved minutes and the unobserved share."""
        out = self.officers[["officer", "observed_minutes", "unobserved_minutes"]].copy()
        total = out["observed_minutes"] + out["unobserved_minutes"]
        out["unobserved_share"] = np.where(total > 0, out["unobserved_minutes"] / total, np.nan)
        return out.reset_index(drop=True)

    def select(self, rows) -> DwellResult:
        """The result for some of the visits: a boolean mask over :attr:`visits`, or a frame
        of visits (its ``visit_id`` column says which).

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely.geometry import box
        >>> fences = gpd.GeoDataFrame({"fence_id": ["A"]}, geometry=[box(0, 0, 100, 100)],
        ...                           crs=27700)
        >>> t = pd.to_datetime(["2025-06-01 10:00", "2025-06-01 10:10",
        ...                     "2025-06-02 10:00", "2025-06-02 10:10"], utc=True)
        >>> pings = pd.DataFrame({"officer": "PC1", "time": t, "x": 50.0, "y": 50.0,
        ...                       "crs": "EPSG:27700"})
        >>> r = dwell(pings, fences, max_gap_minutes=15)
        >>> r.per_fence()[["visits", "officer_minutes"]].to_dict("records")
        [{'visits': 2, 'officer_minutes': 20.0}]
        >>> day = r.select(r.visits["start"] < pd.Timestamp("2025-06-02", tz="UTC"))
        >>> day.per_fence()[["visits", "officer_minutes"]].to_dict("records")
        [{'visits': 1, 'officer_minutes': 10.0}]
        """
        if isinstance(rows, pd.DataFrame):
            if "visit_id" not in rows.columns:
                raise SchemaError("select(frame) needs the frame's 'visit_id' column")
            keep = self.visits["visit_id"].isin(rows["visit_id"]).to_numpy()
        else:
            keep = np.asarray(rows, dtype=bool)
            if keep.shape != (len(self.visits),):
                raise HspworkError(
                    f"select() got a mask of shape {keep.shape}; it needs one value per visit "
                    f"({len(self.visits)})"
                )
        visits = self.visits[keep].reset_index(drop=True)
        runs = self.runs[self.runs["visit_id"].isin(visits["visit_id"])].reset_index(drop=True)
        return DwellResult(visits, runs, self.officers, self.fence_ids, self.rule, self.report)

    def summary(self) -> str:
        """Plain lines for people: visits, officer- and patrol-hours, unobserved time, rule."""
        pf = self.per_fence()
        gaps = ", ".join(f"{k} {v:g}" for k, v in self.rule.get("max_gap_minutes", {}).items())
        lines = [
            f"{len(self.visits):,} visits by {self.visits['officer'].nunique():,} officers to "
            f"{int((pf['visits'] > 0).sum()):,} of {len(pf):,} fences: "
            f"{pf['officer_minutes'].sum() / 60:,.1f} officer-hours, "
            f"{pf['patrol_minutes'].sum() / 60:,.1f} patrol-hours (at least one officer there).",
            f"{self.officers['unobserved_minutes'].sum() / 60:,.1f} officer-hours fell in gaps "
            f"between pings longer than the gap rule ({gaps} minutes) and count in no fence.",
        ]
        if self.report is not None:
            lines.append(self.report.summary())
        return "\n".join(lines)

    # --------------------------------------------------- one release of the old frame
    def __getattr__(self, name: str):
        # dwell() used to return the visits frame; its methods keep working for one release
        if name.startswith("_") or not hasattr(pd.DataFrame, name):
            raise AttributeError(name)
        _old_frame_warning(name)
        return getattr(object.__getattribute__(self, "visits"), name)

    def __getitem__(self, key):
        _old_frame_warning("[...]")
        return self.visits[key]

    def __len__(self) -> int:
        _old_frame_warning("len()")
        return len(self.visits)


def _old_frame_warning(what: str) -> None:
    warnings.warn(
        f"dwell() returns a DwellResult; using it as the visits frame ({what}) is deprecated "
        "and will be removed in the next release: use result.visits (or result.per_fence(), "
        "result.per_officer())",
        FutureWarning,
        stacklevel=3,
    )


def as_visits(visits) -> pd.DataFrame:
    """The visits frame of a :class:`DwellResult`, or the frame itself.

    Examples
    --------
    >>> as_visits(pd.DataFrame({"minutes": [1.0]}))["minutes"].tolist()
    [1.0]
    """
    if isinstance(visits, DwellResult):
        return visits.visits
    if isinstance(visits, pd.DataFrame):
        return visits
    raise SchemaError(
        f"visits must be a DwellResult (from dwell) or a DataFrame; got {type(visits).__name__}"
    )


def renumbered(visits: pd.DataFrame, runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Visits put back in dwell's order (officer, start, fence) and numbered 0, 1, ...; each
    run keeps its visit. For visits gathered from several results (their ``visit_id`` unique
    among them)."""
    order = np.lexsort((visits["fence_id"].astype(str).to_numpy(), time_ns(visits["start"]),
                        visits["officer"].astype(str).to_numpy()))  # fmt: skip
    visits = visits.iloc[order].reset_index(drop=True)
    new_id = dict(zip(visits["visit_id"], range(len(visits))))
    visits["visit_id"] = np.arange(len(visits), dtype=np.int64)
    runs = runs.assign(visit_id=runs["visit_id"].map(new_id).astype(np.int64))
    runs = runs.sort_values(["visit_id", "start"], kind="stable").reset_index(drop=True)
    return visits, runs


def _union_ns(group: np.ndarray, s: np.ndarray, e: np.ndarray, n_groups: int) -> np.ndarray:
    order = np.lexsort((s, group))
    return K.union_by_group(group[order].astype(np.int64), s[order], e[order], n_groups)


def _per_fence(visits: pd.DataFrame, runs: pd.DataFrame | None, fence_ids=()) -> pd.DataFrame:
    ids = list(dict.fromkeys([*map(str, fence_ids), *visits["fence_id"].astype(str)]))
    code = pd.Index(ids)
    vf = code.get_indexer(visits["fence_id"].astype(str))
    counts = np.bincount(vf, minlength=len(ids))
    officer = np.bincount(vf, weights=visits["minutes"].to_numpy(float), minlength=len(ids))
    if runs is not None:
        r = runs[runs["visit_id"].isin(visits["visit_id"])]
        rf = code.get_indexer(r["fence_id"].astype(str))
        patrol = _union_ns(rf, time_ns(r["start"], "start"), time_ns(r["end"], "end"), len(ids))
    else:  # a bare visits frame: the union of the visits' spans
        patrol = _union_ns(
            vf, time_ns(visits["start"], "start"), time_ns(visits["end"], "end"), len(ids)
        )
    return pd.DataFrame(
        {
            "fence_id": ids,
            "visits": counts.astype(np.int64),
            "officer_minutes": officer,
            "patrol_minutes": patrol / NS_PER_MINUTE,
        }
    )


def _rule(pp: PreparedPings, max_gap_minutes, merge_within_minutes, interpolate, catchment):
    return {
        "max_gap_minutes": dict(zip(pp.sources, (pp.gap_ns_by_src / NS_PER_MINUTE).tolist())),
        "merge_within_minutes": to_minutes(merge_within_minutes, "merge_within_minutes"),
        "interpolate": bool(interpolate),
        "catchment": catchment if not isinstance(catchment, np.floating) else float(catchment),
        "max_gap_minutes_argument": None if max_gap_minutes is None else str(max_gap_minutes),
    }


def dwell(
    pings: pd.DataFrame,
    fences: gpd.GeoDataFrame,
    *,
    max_gap_minutes=None,
    merge_within_minutes=2.0,
    interpolate: bool = False,
    catchment: bool | float = False,
    crs=None,
    max_gap=UNSET,
    merge_within=UNSET,
) -> DwellResult:
    """Visits: each officer's time inside each fence, by an explicit gap rule.

    The rule (no published convention fixes it, so it is stated here and applied exactly):

    1. Per officer, pings are sorted by time (ties by x, then y, so the order of input rows
       never matters; times in any time zone are compared as UTC instants).
    2. For each pair of consecutive pings with gap ``g``:

       * ``g > max_gap_minutes``: the time is *unobserved*. It is credited to no fence and
         reported separately per officer ("no data" is not "not there").
       * both pings inside fence F: ``g`` is credited to F;
       * one ping inside F: ``g / 2`` is credited to F (midpoint rule). With
         ``interpolate=True`` the officer is taken to move at constant speed along the straight
         line between the pings, and the time until the first boundary crossing (from the
         inside ping) is credited instead (midpoint if the line crosses no edge).
    3. A visit is a maximal run of credited time for one officer in one fence; runs separated
       by less than ``merge_within_minutes`` merge into one visit. ``start``/``end`` span the
       run and ``minutes`` is the credited time within it (time outside between merged runs is
       not credited). A ping inside a fence with no credited time either side (isolated by
       gaps longer than ``max_gap_minutes``) makes no visit.
    4. Overlapping fences each receive the credit: a ping inside two fences counts for both, so
       summing minutes over fences can exceed an officer's observed time.
    5. ``max_gap_minutes`` depends on the source (:data:`DEFAULT_MAX_GAP_MINUTES`: app and
       vehicle 3 min, radio and handheld 10 min); a pair of pings from different sources uses
       the larger of their two limits.
    6. Versioned fences: a ping counts against the version valid at its time
       (``valid_from <= time < valid_to``; NaT = open-ended). Time is credited to the
       ``fence_id``, whatever version each ping met. A fence row with a ``source`` applies to
       that source's pings only, in place of the fence's rows without one (a catchment
       corrected for one device, see :func:`hspwork.tracking.corrected_fences`).
    7. A ping exactly on a fence's edge follows the even-odd (crossing number) rule with
       half-open edges: on an axis-aligned square the west and south edges are inside, the
       east and north edges outside. Two fences that share an edge therefore never both claim
       a ping on it. A gap of exactly ``max_gap_minutes`` is observed; pings at the same
       instant (a zero-length gap) credit nothing between them and do not break a run.

    Parameters
    ----------
    pings : DataFrame
        ``officer``, ``time`` (tz-aware), ``x``, ``y`` and ``source``; CRS in the ``crs``
        column :func:`~hspwork.io.read_pings` adds (or ``crs=``; see
        :func:`hspwork.io.ping_crs`). Converted to the fences' CRS when different.
    fences : GeoDataFrame
        ``fence_id`` and polygon geometry; optional ``valid_from``, ``valid_to``, ``buffer_m``
        and ``source``.
    max_gap_minutes : float, Timedelta, dict or None
        Minutes (or a Timedelta) for every source, a dict source -> minutes overriding the
        defaults, or None for the defaults.
    merge_within_minutes : float or Timedelta
        Minutes; default 2.
    interpolate : bool
        Boundary interpolation instead of the midpoint rule for one-inside pairs.
    catchment : bool or float
        Use GPS catchment buffers: True buffers each fence by its ``buffer_m``; a number buffers
        every fence by that many metres.
    crs : CRS-like, optional
        CRS of the pings when they have no ``crs`` column (must agree with it otherwise).
    max_gap, merge_within
        Deprecated names of ``max_gap_minutes`` and ``merge_within_minutes`` (FutureWarning).

    Returns
    -------
    DwellResult
        ``visits`` (one row per visit), ``runs``, ``officers`` (observed and unobserved
        minutes), ``rule`` and ``report``; :meth:`DwellResult.per_fence` gives officer- and
        patrol-minutes per fence.

    Examples
    --------
    An officer walks east at 1 m/s along y = 50, pinging every minute, through a 100 m square:

    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> fences = gpd.GeoDataFrame({"fence_id": ["A"]}, geometry=[box(0, 0, 100, 100)], crs=27700)
    >>> t = pd.date_range("2025-06-01 10:00", periods=6, freq="1min", tz="UTC")
    >>> pings = pd.DataFrame({"officer": "PC1", "time": t, "x": [-90.0, -30, 30, 90, 150, 210],
    ...                       "y": 50.0, "source": "app", "crs": "EPSG:27700"})
    >>> r = dwell(pings, fences)
    >>> r.visits[["fence_id", "minutes", "n_pings"]].to_dict("records")
    [{'fence_id': 'A', 'minutes': 2.0, 'n_pings': 2}]
    >>> float(dwell(pings, fences, interpolate=True).visits["minutes"].iloc[0])  # 100 m at 1 m/s
    1.6666666666666667
    """
    max_gap_minutes = renamed("dwell", "max_gap", max_gap, "max_gap_minutes", max_gap_minutes,
                              None)  # fmt: skip
    merge_within_minutes = renamed("dwell", "merge_within", merge_within,
                                   "merge_within_minutes", merge_within_minutes, 2.0)  # fmt: skip
    index = FenceIndex(fences, catchment=catchment)
    pp = prepare_pings(pings, index.crs, max_gap_minutes=max_gap_minutes, crs=crs)
    warn_outside_validity(pp.t, index)
    runs = credited_runs(pp, index, interpolate)
    visits, run_frame = visits_from_runs(
        runs, pp.officers, index.fence_ids, merge_within_minutes, unit_to_metres(index.crs)
    )
    return DwellResult(
        visits=visits,
        runs=run_frame,
        officers=observed_by_officer(pp),
        fence_ids=tuple(str(f) for f in index.fence_ids),
        rule=_rule(pp, max_gap_minutes, merge_within_minutes, interpolate, catchment),
        report=pp.report,
    )


def credited_time(
    pings: pd.DataFrame,
    fences: gpd.GeoDataFrame,
    *,
    max_gap_minutes=None,
    interpolate: bool = False,
    catchment: bool | float = False,
    crs=None,
    max_gap=UNSET,
) -> pd.DataFrame:
    """The credited time behind :func:`dwell`, before runs are merged into visits.

    One row per run of abutting credited time of one officer in one fence (the same rule as
    ``dwell``; no merging): ``officer``, ``fence_id``, ``start``, ``end``, ``minutes``
    (= end - start), ``n_pings``. Patrol-minutes for any grouping (per day, per shift) are the
    length of the union of these runs across officers; see
    :func:`hspwork.tracking.dosage.patrol_minutes`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> fences = gpd.GeoDataFrame({"fence_id": ["A"]}, geometry=[box(0, 0, 100, 100)], crs=27700)
    >>> t = pd.date_range("2025-06-01 10:00", periods=3, freq="1min", tz="UTC")
    >>> pings = pd.DataFrame({"officer": "PC1", "time": t, "x": 50.0, "y": 50.0, "source": "app",
    ...                       "crs": "EPSG:27700"})
    >>> credited_time(pings, fences)[["fence_id", "minutes", "n_pings"]].to_dict("records")
    [{'fence_id': 'A', 'minutes': 2.0, 'n_pings': 3}]
    """
    max_gap_minutes = renamed("credited_time", "max_gap", max_gap, "max_gap_minutes",
                              max_gap_minutes, None)  # fmt: skip
    index = FenceIndex(fences, catchment=catchment)
    pp = prepare_pings(pings, index.crs, max_gap_minutes=max_gap_minutes, crs=crs)
    warn_outside_validity(pp.t, index)
    r = credited_runs(pp, index, interpolate)
    out = pd.DataFrame(
        {
            "officer": pd.array(pp.officers[r.officer], dtype=object),
            "fence_id": pd.array(index.fence_ids[r.fence], dtype=object),
            "start": pd.to_datetime(r.start, utc=True, unit="ns"),
            "end": pd.to_datetime(r.end, utc=True, unit="ns"),
            "minutes": (r.end - r.start) / NS_PER_MINUTE,
            "n_pings": r.n,
        }
    )
    out = out.sort_values(["officer", "fence_id", "start"], kind="stable").reset_index(drop=True)
    out.attrs["fence_ids"] = list(index.fence_ids)
    return out


def warn_outside_validity(t: np.ndarray, index: FenceIndex) -> None:
    """Warn when pings fall before every fence version starts or after every one ends.

    The usual cause is a fence set made today (``valid_from`` defaults to now) used on last
    month's pings; dwell then rightly credits nothing to those pings.
    """
    if len(t) == 0 or len(index.vfrom) == 0:
        return
    first, last = index.vfrom.min(), index.vto.max()
    outside = int(((t < first) | (t >= last)).sum())
    if outside:
        span = pd.to_datetime([first, min(last, np.iinfo(np.int64).max - 1)], utc=True)
        warnings.warn(
            f"{outside:,} of {len(t):,} pings are outside every fence version's validity "
            f"(earliest valid_from {span[0]}, latest valid_to "
            f"{'open' if last == np.iinfo(np.int64).max else span[1]}); they count in no fence. "
            "If the fences were meant to apply then, set valid_from (e.g. "
            "read_fences(path, valid_from='2025-09-01T00:00Z')).",
            HspworkWarning,
            stacklevel=3,
        )


def dwell_summary(visits, runs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per fence: visits, officer-minutes and patrol-minutes, from the visits given.

    Parameters
    ----------
    visits : DwellResult or DataFrame
        A :func:`dwell` result (or one narrowed with :meth:`DwellResult.select`), or a frame of
        visits (``officer``, ``fence_id``, ``start``, ``end``, ``minutes``) such as
        ``result.visits`` filtered to one day.
    runs : DataFrame, optional
        ``result.runs``, for a bare frame of visits that kept its ``visit_id``.

    Returns
    -------
    DataFrame
        ``fence_id``, ``visits``, ``officer_minutes`` (sum of the visits' minutes) and
        ``patrol_minutes`` (time with at least one officer present). From a result (or with
        ``runs``), patrol-minutes are the union of the credited runs across officers, exactly.
        From a bare frame they are the union of the visits' spans, which also counts the short
        stretches (under ``merge_within_minutes`` each) that joined two runs into one visit.
        Fences of a result with no visit show zeros; a bare frame lists the fences it holds.

    Examples
    --------
    Two officers in fence A, overlapping for 5 minutes; the frame filtered to one of them:

    >>> t = pd.Timestamp("2025-06-02 09:00", tz="UTC")
    >>> v = pd.DataFrame({"officer": ["a", "b"], "fence_id": ["A", "A"],
    ...     "start": [t, t + pd.Timedelta(minutes=5)],
    ...     "end": [t + pd.Timedelta(minutes=10), t + pd.Timedelta(minutes=20)],
    ...     "minutes": [10.0, 15.0]})
    >>> dwell_summary(v).to_dict("records")
    [{'fence_id': 'A', 'visits': 2, 'officer_minutes': 25.0, 'patrol_minutes': 20.0}]
    >>> dwell_summary(v[v["officer"] == "a"]).to_dict("records")
    [{'fence_id': 'A', 'visits': 1, 'officer_minutes': 10.0, 'patrol_minutes': 10.0}]
    """
    if isinstance(visits, DwellResult):
        return visits.per_fence()
    v = as_visits(visits)
    missing = [c for c in ("fence_id", "start", "end", "minutes") if c not in v.columns]
    if missing:
        raise SchemaError(f"visits lack column(s) {missing}; have {list(v.columns)}")
    if runs is not None and "visit_id" not in v.columns:
        raise SchemaError("runs= needs the visits' 'visit_id' column (as dwell gives it)")
    return _per_fence(v, runs)


def unobserved_table(result) -> pd.DataFrame:
    """Per officer: observed and unobserved minutes and the unobserved share.

    Unobserved minutes come from the pings (gaps longer than ``max_gap_minutes``), so they
    need the :class:`DwellResult`, not a frame of visits.
    """
    if not isinstance(result, DwellResult):
        raise HspworkError(
            "unobserved_table needs the DwellResult that dwell() returned: unobserved minutes "
            f"come from the pings, not the visits (got {type(result).__name__})"
        )
    return result.unobserved()

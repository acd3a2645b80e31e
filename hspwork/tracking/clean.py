"""Data-quality flags for officer pings, a report per officer and source, and chosen removal.

Nothing is removed by :func:`flag_pings`: it adds one boolean column per check and a quality
report. The analyst then picks which flags to act on with :func:`remove_flagged`, which counts
every removed row by reason in a :class:`~hspwork.report.LoadReport`.

The checks (source documents: radios ping every 2-5 minutes with dead spots, phones in
low-power mode stop recording, apps left running keep recording):

``flag_duplicate``
    Same officer, time and position as an earlier row (the first copy is not flagged).
``flag_out_of_order``
    Earlier than the previous row of the same officer *as received* (a feed that was merged or
    replayed); harmless for :func:`~hspwork.tracking.dwell`, which sorts, but worth knowing.
``flag_speed``
    A spike: the implied speed both into and out of the ping exceeds ``max_speed_mps``
    (a position fix that jumped away and back).
``flag_outside_area``
    Outside the force area polygon(s) given as ``area``.
``flag_stationary``
    Part of a stretch of at least ``stationary_hours`` in which the device stayed within
    ``stationary_m`` of where the stretch began (left in a locker or a parked vehicle).
``flag_off_shift``
    Recorded when the officer was not on duty by the ``duty_roster`` (a phone still recording
    after its shift ended, or before it began).
``flag_gap_before``
    The ping follows a gap longer than the source's ``max_gap_minutes`` (dead spot, low power); the
    gap itself is reported as minutes, and dwell treats it as unobserved.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numba import njit

from hspwork.compat import UNSET, renamed
from hspwork.crs import metres_to_crs_units, unit_to_metres
from hspwork.errors import DataDroppedWarning, HspworkError, SchemaError
from hspwork.io.crs_column import ping_crs
from hspwork.report import RowLedger, attach_report
from hspwork.tracking.dwell import (
    NS_PER_MINUTE,
    max_gap_table,
    time_ns,
)

FLAGS = (
    "flag_duplicate",
    "flag_out_of_order",
    "flag_speed",
    "flag_outside_area",
    "flag_stationary",
    "flag_off_shift",
    "flag_gap_before",
)

_REASONS = {
    "flag_duplicate": "duplicate",
    "flag_out_of_order": "out of order",
    "flag_speed": "impossible speed",
    "flag_outside_area": "outside force area",
    "flag_stationary": "stationary for hours",
    "flag_off_shift": "recorded off shift",
    "flag_gap_before": "after a gap",
}


@njit(cache=True)
def _stationary(off, t, x, y, radius, min_ns):
    """Flag stretches of one officer within ``radius`` of their first ping for >= min_ns."""
    n = t.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    i = 0
    r2 = radius * radius
    while i < n:
        j = i + 1
        while j < n and off[j] == off[i]:
            dx = x[j] - x[i]
            dy = y[j] - y[i]
            if dx * dx + dy * dy > r2:
                break
            j += 1
        if t[j - 1] - t[i] >= min_ns:
            out[i:j] = True
            i = j
        else:
            i += 1
    return out


def _area_geometry(area, crs):
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        if area.crs is None:
            raise HspworkError("area has no CRS; set one, for example area.set_crs(27700)")
        geoms = (
            area.to_crs(crs).geometry if isinstance(area, gpd.GeoDataFrame) else area.to_crs(crs)
        )
        return shapely.union_all(geoms.to_numpy())
    if isinstance(area, shapely.Geometry):
        return area  # taken to be in the pings' CRS, as documented
    raise HspworkError(
        f"area must be a GeoDataFrame, GeoSeries or shapely geometry; got {type(area).__name__}"
    )


def _off_shift(pings: pd.DataFrame, t: np.ndarray, roster: pd.DataFrame) -> np.ndarray:
    s = pd.DataFrame(
        {
            "officer": roster["officer"].astype(str).to_numpy(),
            "start": time_ns(roster["start"], "start"),
            "end": time_ns(roster["end"], "end"),
        }
    ).sort_values("start", kind="stable")
    p = pd.DataFrame({"officer": pings["officer"].astype(str).to_numpy(), "t": t})
    p["row"] = np.arange(len(p))
    m = pd.merge_asof(
        p.sort_values("t", kind="stable"), s, left_on="t", right_on="start", by="officer",
        direction="backward",
    )  # fmt: skip
    # the latest shift that started before the ping; off shift if none or it already ended.
    # Overlapping shifts of one officer are merged first so a long shift is not hidden.
    off = m["start"].isna().to_numpy() | (m["t"].to_numpy() > m["end"].to_numpy())
    out = np.zeros(len(p), dtype=bool)
    out[m["row"].to_numpy()] = off
    return out


def _merge_overlapping_shifts(roster: pd.DataFrame) -> pd.DataFrame:
    need = {"officer", "start", "end"}
    if not need <= set(roster.columns):
        raise SchemaError(
            f"duty_roster needs columns {sorted(need)} (one row per shift worked); have "
            f"{list(roster.columns)}"
        )
    s = roster[["officer", "start", "end"]].copy()
    s["officer"] = s["officer"].astype(str)
    s = s.sort_values(["officer", "start"], kind="stable").reset_index(drop=True)
    run_end = s.groupby("officer")["end"].cummax()
    new = (s["officer"] != s["officer"].shift()) | (s["start"] > run_end.shift())
    g = new.cumsum()
    return s.groupby(g).agg(officer=("officer", "first"), start=("start", "min"),
                            end=("end", "max")).reset_index(drop=True)  # fmt: skip


def flag_pings(
    pings: pd.DataFrame,
    *,
    area=None,
    duty_roster: pd.DataFrame | None = None,
    max_speed_mps: float = 45.0,
    stationary_m: float = 25.0,
    stationary_hours: float = 2.0,
    max_gap_minutes=None,
    crs=None,
    shifts=UNSET,
    max_gap=UNSET,
) -> pd.DataFrame:
    """Add quality flags to pings (nothing is removed); see the module docstring for each.

    Parameters
    ----------
    pings : DataFrame
        ``officer``, ``time`` (tz-aware), ``x``, ``y``, ``source``; CRS in the ``crs`` column
        (:func:`hspwork.io.ping_crs`) or ``crs=``.
    area : GeoDataFrame, GeoSeries or shapely geometry, optional
        The force area; a bare shapely geometry is taken to be in the pings' CRS.
    duty_roster : DataFrame, optional
        Who was on duty when (docs/glossary.md): ``officer``, ``start``, ``end`` (tz-aware),
        one row per shift worked.
    max_speed_mps : float
        Fastest believable movement (45 m/s is about 100 mph).
    stationary_m, stationary_hours : float
        A device within ``stationary_m`` metres for ``stationary_hours`` or more is flagged.
    max_gap_minutes : as for :func:`~hspwork.tracking.dwell`
        Gap per source beyond which ``flag_gap_before`` is set.
    shifts, max_gap
        Deprecated names of ``duty_roster`` and ``max_gap_minutes`` (FutureWarning).

    Returns
    -------
    DataFrame
        The pings in their input order with the ``flag_*`` columns, ``gap_before_minutes``
        and ``speed_in_mps``; :func:`quality_report` of it counts the flags per officer and
        source. ``attrs["flag_settings"]`` records the settings (plain values only).

    Examples
    --------
    >>> t = pd.to_datetime(["2025-06-01 10:00", "2025-06-01 10:01", "2025-06-01 10:01",
    ...                     "2025-06-01 10:02", "2025-06-01 10:03", "2025-06-01 10:30"], utc=True)
    >>> p = pd.DataFrame({"officer": "PC1", "time": t, "x": [0.0, 60, 60, 9000, 130, 130],
    ...                   "y": 0.0, "source": "app", "crs": "EPSG:27700"})
    >>> f = flag_pings(p)
    >>> f[["flag_duplicate", "flag_speed", "flag_gap_before"]].sum().to_dict()
    {'flag_duplicate': 1, 'flag_speed': 1, 'flag_gap_before': 1}
    """
    duty_roster = renamed("flag_pings", "shifts", shifts, "duty_roster", duty_roster, None)
    max_gap_minutes = renamed("flag_pings", "max_gap", max_gap, "max_gap_minutes",
                              max_gap_minutes, None)  # fmt: skip
    need = {"officer", "time", "x", "y"}
    if not need <= set(pings.columns):
        raise SchemaError(
            f"pings lack column(s) {sorted(need - set(pings.columns))}; have {list(pings.columns)}"
        )
    p_crs = ping_crs(pings, crs)
    n = len(pings)
    t = time_ns(pings["time"])
    x = pings["x"].to_numpy(np.float64)
    y = pings["y"].to_numpy(np.float64)
    off_codes, _ = pd.factorize(pings["officer"], sort=True)
    if "source" in pings.columns:
        src, sources = pd.factorize(pings["source"].astype(str), sort=True)
        gap_tab = max_gap_table([str(s) for s in sources], max_gap_minutes)
    else:
        src = np.zeros(n, dtype=np.int64)
        if max_gap_minutes is None or isinstance(max_gap_minutes, dict):
            raise SchemaError("pings have no 'source' column: pass max_gap_minutes=<minutes>")
        gap_tab = max_gap_table(["all"], max_gap_minutes)
    out = pings.copy()
    # as received: earlier than the previous row of the same officer
    prev_t = pd.Series(t).groupby(off_codes).shift().to_numpy()
    out["flag_out_of_order"] = np.nan_to_num(prev_t.astype(float), nan=-np.inf) > t
    order = np.lexsort((y, x, t, off_codes))
    o, ts, xs, ys, ss = off_codes[order], t[order], x[order], y[order], src[order]
    same_prev = np.r_[False, o[1:] == o[:-1]]
    dup = same_prev & np.r_[False, (ts[1:] == ts[:-1]) & (xs[1:] == xs[:-1]) & (ys[1:] == ys[:-1])]
    gap = np.r_[0, np.diff(ts)].astype(np.float64)
    step_m = np.r_[0.0, np.hypot(np.diff(xs), np.diff(ys))] * unit_to_metres(p_crs)
    with np.errstate(divide="ignore", invalid="ignore"):
        speed_in = np.where(same_prev & ~dup, step_m / (gap / 1e9), np.nan)
    speed_in = np.where(same_prev & ~dup & (gap == 0) & (step_m > 0), np.inf, speed_in)
    fast_in = np.nan_to_num(speed_in, nan=0.0) > max_speed_mps
    fast_out = np.r_[fast_in[1:], False] & np.r_[same_prev[1:], False]
    lim = np.maximum(gap_tab[ss], np.r_[gap_tab[ss[:1]], gap_tab[ss[:-1]]])
    gap_flag = same_prev & (gap > lim)
    stat = _stationary(o, ts, xs, ys, metres_to_crs_units(stationary_m, p_crs),
                       np.int64(stationary_hours * 3600e9))  # fmt: skip

    def back(a):
        res = np.empty_like(a)
        res[order] = a
        return res

    out["flag_duplicate"] = back(dup)
    out["flag_speed"] = back(fast_in & fast_out)
    if area is not None:
        geom = _area_geometry(area, p_crs)
        out["flag_outside_area"] = ~shapely.contains_xy(geom, x, y)
    else:
        out["flag_outside_area"] = False
    out["flag_stationary"] = back(stat)
    if duty_roster is not None:
        out["flag_off_shift"] = _off_shift(pings, t, _merge_overlapping_shifts(duty_roster))
    else:
        out["flag_off_shift"] = False
    out["flag_gap_before"] = back(gap_flag)
    out["gap_before_minutes"] = back(np.where(same_prev, gap / NS_PER_MINUTE, np.nan))
    out["speed_in_mps"] = back(speed_in)
    out.attrs["flag_settings"] = {
        "max_speed_mps": max_speed_mps,
        "stationary_m": stationary_m,
        "stationary_hours": stationary_hours,
        "area": area is not None,
        "duty_roster": duty_roster is not None,
    }
    return out


def quality_report(flagged: pd.DataFrame) -> pd.DataFrame:
    """Counts of every flag per officer and source, with the minutes lost to gaps.

    Columns: ``officer``, ``source``, ``pings``, one count per flag, ``any_flag`` (pings with at
    least one flag other than ``flag_gap_before``), ``gap_minutes`` (sum of gaps beyond
    ``max_gap_minutes``) and ``first``/``last`` ping times.
    """
    missing = [f for f in FLAGS if f not in flagged.columns]
    if missing:
        raise SchemaError(f"no flag column(s) {missing}: run flag_pings() first")
    keys = ["officer", "source"] if "source" in flagged.columns else ["officer"]
    df = flagged[[*keys, "time", *FLAGS, "gap_before_minutes"]].copy()
    removable = [f for f in FLAGS if f != "flag_gap_before"]
    df["any_flag"] = df[removable].any(axis=1)
    df["gap_minutes"] = df["gap_before_minutes"].where(df["flag_gap_before"], 0.0)
    agg = {f: (f, "sum") for f in [*FLAGS, "any_flag"]}
    rep = df.groupby(keys, observed=True, sort=True).agg(
        pings=("time", "size"), **agg, gap_minutes=("gap_minutes", "sum"),
        first=("time", "min"), last=("time", "max"),
    )  # fmt: skip
    rep = rep.reset_index()
    for f in [*FLAGS, "any_flag"]:
        rep[f] = rep[f].astype(np.int64)
    return rep


def remove_flagged(flagged: pd.DataFrame, flags=("flag_duplicate", "flag_speed")) -> pd.DataFrame:
    """Remove the rows carrying any of the chosen ``flags``, counting each by reason.

    A row with several chosen flags is counted once, under the first in ``flags``. The result
    carries its report (:func:`hspwork.report.report_of`) and a :class:`~hspwork.errors.DataDroppedWarning` is
    issued when rows go.

    Examples
    --------
    >>> df = pd.DataFrame({"flag_duplicate": [False, True, True], "flag_speed": [True, False, True]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     kept = remove_flagged(df)
    >>> caught[0].category.__name__
    'DataDroppedWarning'
    >>> from hspwork.report import report_of
    >>> report_of(kept).dropped, len(kept)
    ({'duplicate': 2, 'impossible speed': 1}, 0)
    """
    flags = [flags] if isinstance(flags, str) else list(flags)
    bad = [f for f in flags if f not in FLAGS]
    if bad:
        raise HspworkError(f"unknown flag(s) {bad}; allowed: {list(FLAGS)}")
    missing = [f for f in flags if f not in flagged.columns]
    if missing:
        raise SchemaError(f"no flag column(s) {missing}: run flag_pings() first")
    ledger = RowLedger(len(flagged), "pings (quality flags)")
    for f in flags:
        ledger.drop(flagged[f].to_numpy(bool), _REASONS[f])
    out = flagged[ledger.keep].copy()
    report = ledger.report()
    attach_report(out, report)
    if report.dropped:
        warnings.warn(report.summary(), DataDroppedWarning, stacklevel=2)
    return out

"""Dosage: how much patrol each fence received, in what lengths, and what was done there.

Koper (1995): stops of about 10 minutes beat drive-throughs, 11-15 minutes is best and returns
diminish after; so visit lengths are shown against a 10-15 minute band. Drive-throughs are told
apart by speed: a visit whose mean speed is above ``speed_mps`` was a pass, not a stop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hspwork.errors import SchemaError
from hspwork.io.crs_column import ping_crs
from hspwork.tracking import _kernels as K
from hspwork.tracking.dwell import NS_PER_MINUTE, FenceIndex, time_ns

#: Default shifts in local clock hours: name -> (start hour, end hour); end < start wraps midnight.
DEFAULT_SHIFTS: dict[str, tuple[int, int]] = {"early": (7, 15), "late": (15, 23), "night": (23, 7)}
KOPER_BAND_MINUTES = (10.0, 15.0)


def _need(frame: pd.DataFrame, cols, what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SchemaError(f"{what} lack column(s) {missing}; have {list(frame.columns)}")


def shift_of(times: pd.Series, tz: str = "Europe/London", shifts=None) -> pd.DataFrame:
    """Local ``date`` and ``shift`` name for UTC times by local clock hour.

    A night shift that starts before midnight belongs to the date on which it started.

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2025-06-01 21:30", "2025-06-01 23:30"], utc=True))
    >>> shift_of(t).astype(str).values.tolist()   # 22:30 BST; 00:30 BST on 2 June
    [['2025-06-01', 'late'], ['2025-06-01', 'night']]
    """
    shifts = DEFAULT_SHIFTS if shifts is None else shifts
    local = times.dt.tz_convert(tz)
    hour = local.dt.hour.to_numpy() + local.dt.minute.to_numpy() / 60.0
    date = local.dt.normalize().dt.tz_localize(None).dt.date.to_numpy()
    name = np.full(len(times), None, dtype=object)
    shift_date = date.copy()
    for sname, (h0, h1) in shifts.items():
        if h0 < h1:
            inside = (hour >= h0) & (hour < h1)
        else:
            inside = (hour >= h0) | (hour < h1)
            # the small hours belong to the shift that began the evening before
            early = inside & (hour < h1)
            shift_date = np.where(early, date - pd.Timedelta(days=1), shift_date)
        name = np.where(inside & (name == None), sname, name)  # noqa: E711
    return pd.DataFrame({"date": shift_date, "shift": name}, index=times.index)


def dosage(
    visits: pd.DataFrame, *, by: str = "day", tz: str = "Europe/London", shifts=None
) -> pd.DataFrame:
    """Minutes and visits per fence per local day (``by="day"``) or per shift (``"shift"``).

    A visit counts on the day (and shift) in which it started.

    Returns
    -------
    DataFrame
        ``fence_id``, ``date`` (and ``shift``), ``visits``, ``minutes``, ``officers``
        (distinct), ``mean_visit_minutes``, ``in_koper_band`` (visits of 10-15 minutes).

    Examples
    --------
    >>> v = pd.DataFrame({"officer": ["a", "b", "a"], "fence_id": ["F1", "F1", "F1"],
    ...     "start": pd.to_datetime(["2025-06-01 08:00", "2025-06-01 09:00",
    ...                              "2025-06-02 08:00"], utc=True),
    ...     "minutes": [12.0, 4.0, 20.0]})
    >>> dosage(v)[["date", "visits", "minutes", "in_koper_band"]].astype(str).values.tolist()
    [['2025-06-01', '2', '16.0', '1'], ['2025-06-02', '1', '20.0', '0']]
    """
    _need(visits, ["officer", "fence_id", "start", "minutes"], "visits")
    if by not in ("day", "shift"):
        raise SchemaError(f"by={by!r}; allowed 'day' or 'shift'")
    v = visits.copy()
    ds = shift_of(v["start"], tz=tz, shifts=shifts)
    v["date"] = ds["date"].to_numpy() if by == "shift" else (
        v["start"].dt.tz_convert(tz).dt.tz_localize(None).dt.date.to_numpy()
    )  # fmt: skip
    keys = ["fence_id", "date"]
    if by == "shift":
        v["shift"] = ds["shift"].to_numpy()
        keys.append("shift")
    lo, hi = KOPER_BAND_MINUTES
    v["_band"] = (v["minutes"] >= lo) & (v["minutes"] <= hi)
    out = v.groupby(keys, sort=True, dropna=False).agg(
        visits=("minutes", "size"), minutes=("minutes", "sum"),
        officers=("officer", "nunique"), in_koper_band=("_band", "sum"),
    )  # fmt: skip
    out["mean_visit_minutes"] = out["minutes"] / out["visits"]
    out["in_koper_band"] = out["in_koper_band"].astype(np.int64)
    return out.reset_index()


def patrol_minutes(
    runs: pd.DataFrame, *, by: str = "day", tz: str = "Europe/London", shifts=None
) -> pd.DataFrame:
    """Officer-minutes and patrol-minutes per fence per local day or shift.

    ``runs`` is :func:`~hspwork.tracking.dwell.credited_time`. Patrol-minutes count the time
    with at least one officer present (the union of all officers' credited runs), so two
    officers together for 10 minutes give 20 officer-minutes and 10 patrol-minutes. A run
    counts on the day (and shift) in which it started.

    Examples
    --------
    >>> t = pd.Timestamp("2025-06-02 09:00", tz="UTC")
    >>> runs = pd.DataFrame({"officer": ["a", "b"], "fence_id": ["F", "F"],
    ...     "start": [t, t + pd.Timedelta(minutes=5)], "end": [t + pd.Timedelta(minutes=10),
    ...     t + pd.Timedelta(minutes=20)], "minutes": [10.0, 15.0]})
    >>> patrol_minutes(runs)[["officer_minutes", "patrol_minutes"]].values.tolist()
    [[25.0, 20.0]]
    """
    _need(runs, ["officer", "fence_id", "start", "end"], "runs")
    if by not in ("day", "shift"):
        raise SchemaError(f"by={by!r}; allowed 'day' or 'shift'")
    ds = shift_of(runs["start"], tz=tz, shifts=shifts)
    keys = pd.DataFrame({"fence_id": runs["fence_id"].to_numpy()})
    if by == "shift":
        keys["date"] = ds["date"].to_numpy()
        keys["shift"] = ds["shift"].to_numpy()
    else:
        keys["date"] = runs["start"].dt.tz_convert(tz).dt.tz_localize(None).dt.date.to_numpy()
    cols = list(keys.columns)
    group, uniq = pd.factorize(pd.MultiIndex.from_frame(keys.astype(object)), sort=True)
    s = time_ns(runs["start"], "start")
    e = time_ns(runs["end"], "end")
    order = np.lexsort((s, group))
    union = K.union_by_group(group[order].astype(np.int64), s[order], e[order], len(uniq))
    out = pd.DataFrame(list(uniq), columns=cols)
    out["officer_minutes"] = np.bincount(
        group, weights=(e - s) / NS_PER_MINUTE, minlength=len(uniq)
    )
    out["patrol_minutes"] = union / NS_PER_MINUTE
    out["officers"] = pd.Series(runs["officer"].to_numpy()).groupby(group).nunique().to_numpy()
    return out


def visit_length_distribution(
    visits: pd.DataFrame, band=KOPER_BAND_MINUTES, bins=(0, 2, 5, 10, 15, 20, 30, 60, np.inf)
) -> pd.DataFrame:
    """Counts and shares of visit lengths, with the band (Koper's 10-15 minutes) marked.

    Examples
    --------
    >>> v = pd.DataFrame({"minutes": [1.0, 12.0, 14.0, 40.0]})
    >>> d = visit_length_distribution(v)
    >>> d.attrs["share_in_band"], d.attrs["share_shorter"], d.attrs["share_longer"]
    (0.5, 0.25, 0.25)
    """
    _need(visits, ["minutes"], "visits")
    m = visits["minutes"].to_numpy(float)
    cut = pd.cut(m, bins=list(bins), right=False)
    out = pd.Series(cut).value_counts(sort=False).rename_axis("minutes").reset_index(name="visits")
    out["share"] = out["visits"] / max(len(m), 1)
    lo, hi = band
    out["in_band"] = [(iv.left >= lo) and (iv.right <= hi) for iv in out["minutes"]]
    n = max(len(m), 1)
    out.attrs["share_in_band"] = float(((m >= lo) & (m <= hi)).sum() / n)
    out.attrs["share_shorter"] = float((m < lo).sum() / n)
    out.attrs["share_longer"] = float((m > hi).sum() / n)
    out.attrs["band_minutes"] = (float(lo), float(hi))
    return out


def plot_visit_lengths(visits: pd.DataFrame, band=KOPER_BAND_MINUTES, max_minutes: float = 60.0):
    """Histogram of visit lengths with the Koper band shaded; returns the Figure."""
    _need(visits, ["minutes"], "visits")
    m = np.clip(visits["minutes"].to_numpy(float), 0, max_minutes)
    fig = Figure(figsize=(7, 3.5))  # no pyplot: nothing global, nothing shown twice
    ax = fig.subplots()
    ax.axvspan(band[0], band[1], color="tab:green", alpha=0.2, label=f"{band[0]:g}-{band[1]:g} min")
    ax.hist(m, bins=np.arange(0, max_minutes + 1, 1), color="tab:blue")
    share = ((m >= band[0]) & (m <= band[1])).mean() if len(m) else 0.0
    ax.set(xlabel=f"visit length, minutes (longer shown at {max_minutes:g})", ylabel="visits",
           title=f"Visit lengths: {share:.0%} in the {band[0]:g}-{band[1]:g} minute band")  # fmt: skip
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def flag_drive_throughs(visits: pd.DataFrame, speed_mps: float = 3.0) -> pd.DataFrame:
    """Add ``drive_through``: the visit's mean speed was above ``speed_mps``.

    Walking patrol is about 1.4 m/s; 3 m/s (6.7 mph) is faster than anyone on foot stops.

    Examples
    --------
    >>> v = pd.DataFrame({"minutes": [12.0, 0.5], "mean_speed_mps": [0.4, 9.0]})
    >>> flag_drive_throughs(v)["drive_through"].tolist()
    [False, True]
    """
    _need(visits, ["mean_speed_mps"], "visits")
    out = visits.copy()
    out["drive_through"] = out["mean_speed_mps"].to_numpy(float) > speed_mps
    return out


def join_activities(
    activities: pd.DataFrame, fences, visits: pd.DataFrame | None = None, *, crs=None
) -> pd.DataFrame:
    """Place activity-log rows (stops, engagements, arrests, problem solving) in fences and visits.

    Parameters
    ----------
    activities : DataFrame
        ``time`` (tz-aware), ``x``, ``y`` and any columns such as ``officer``, ``activity``;
        CRS in a ``crs`` column (or ``crs=``; :func:`hspwork.io.ping_crs`).
    fences : GeoDataFrame
        As for :func:`~hspwork.tracking.dwell` (versions honoured at each activity's time).
    visits : DataFrame, optional
        A :func:`~hspwork.tracking.dwell` result; an activity by the same officer in the same
        fence during a visit gets that visit's row number in ``visit``.

    Returns
    -------
    DataFrame
        One row per (activity, containing fence); activities in no fence keep ``fence_id``
        missing, so every input row appears at least once (``activity_row`` refers back).
    """
    _need(activities, ["time", "x", "y"], "activities")
    index = FenceIndex(fences)
    a_crs = ping_crs(activities, crs)
    x = activities["x"].to_numpy(float)
    y = activities["y"].to_numpy(float)
    if not a_crs.equals(index.crs):
        from pyproj import Transformer

        x, y = Transformer.from_crs(a_crs, index.crs, always_xy=True).transform(x, y)
    t = time_ns(activities["time"])
    ping, poly = index.contains(np.asarray(x, float), np.asarray(y, float), t)
    pairs = pd.DataFrame(
        {"activity_row": ping, "fence_id": index.fence_ids[index.poly_fence[poly]]}
    )
    pairs = pairs.drop_duplicates()
    base = activities.reset_index(drop=True).rename_axis("activity_row").reset_index()
    out = base.merge(pairs, on="activity_row", how="left")
    if visits is not None and "officer" in out.columns:
        _need(visits, ["officer", "fence_id", "start", "end"], "visits")
        vv = visits.reset_index(drop=True).rename_axis("visit").reset_index()
        cand = out.reset_index().merge(
            vv[["visit", "officer", "fence_id", "start", "end"]], on=["officer", "fence_id"]
        )
        hit = cand[(cand["time"] >= cand["start"]) & (cand["time"] <= cand["end"])]
        hit = hit.drop_duplicates("index").set_index("index")["visit"]
        out["visit"] = hit.reindex(out.index).astype("Int64")
    return out


def activity_summary(joined: pd.DataFrame, column: str = "activity") -> pd.DataFrame:
    """Counts of each activity type per fence (rows in no fence under ``fence_id`` NaN)."""
    _need(joined, ["fence_id", column], "joined activities")
    return (
        joined.groupby(["fence_id", column], dropna=False)
        .size()
        .unstack(fill_value=0)
        .reset_index()
    )

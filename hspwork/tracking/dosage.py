"""Dosage: how much patrol each fence received, in what lengths, and what was done there.

Koper (1995): stops of about 10 minutes beat drive-throughs, 11-15 minutes is best and returns
diminish after; so visit lengths are shown against a 10-15 minute band. Drive-throughs are told
apart by speed: a visit whose mean speed is above ``speed_mps`` was a pass, not a stop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hspwork.compat import UNSET, renamed
from hspwork.errors import SchemaError
from hspwork.io.crs_column import ping_crs
from hspwork.tracking.dwell import (
    NS_PER_MINUTE,
    DwellResult,
    FenceIndex,
    _union_ns,
    as_visits,
    time_ns,
)

#: Default shifts in local clock hours: name -> (start hour, end hour); end < start wraps midnight.
DEFAULT_SHIFT_HOURS: dict[str, tuple[int, int]] = {
    "early": (7, 15),
    "late": (15, 23),
    "night": (23, 7),
}
DEFAULT_SHIFTS = DEFAULT_SHIFT_HOURS  # the older name, still imported by tasking's planning
KOPER_BAND_MINUTES = (10.0, 15.0)


def _need(frame: pd.DataFrame, cols, what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SchemaError(f"{what} lack column(s) {missing}; have {list(frame.columns)}")


def _check_shift_hours(shift_hours) -> dict[str, tuple[float, float]]:
    shift_hours = DEFAULT_SHIFT_HOURS if shift_hours is None else shift_hours
    if not isinstance(shift_hours, dict) or not shift_hours:
        raise SchemaError(
            f"shift_hours must be a dict name -> (start hour, end hour); got {shift_hours!r}"
        )
    out = {}
    for name, hours in shift_hours.items():
        try:
            h0, h1 = (float(h) for h in hours)
        except (TypeError, ValueError) as exc:
            raise SchemaError(
                f"shift_hours[{name!r}] = {hours!r}: give (start hour, end hour), e.g. (7, 15)"
            ) from exc
        if not (0 <= h0 < 24 and 0 <= h1 <= 24) or h0 == h1:
            raise SchemaError(
                f"shift_hours[{name!r}] = {hours!r}: hours must lie in 0..24 and differ"
            )
        out[str(name)] = (h0, h1)
    return out


def shift_of(
    times: pd.Series, tz: str = "Europe/London", shift_hours=None, *, shifts=UNSET
) -> pd.DataFrame:
    """Local ``date`` and ``shift`` name for UTC times by local clock hour.

    A night shift that starts before midnight belongs to the date on which it started.
    ``shifts`` is the deprecated name of ``shift_hours`` (FutureWarning).

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2025-06-01 21:30", "2025-06-01 23:30"], utc=True))
    >>> shift_of(t).astype(str).values.tolist()   # 22:30 BST; 00:30 BST on 2 June
    [['2025-06-01', 'late'], ['2025-06-01', 'night']]
    """
    shift_hours = _check_shift_hours(
        renamed("shift_of", "shifts", shifts, "shift_hours", shift_hours, None)
    )
    local = times.dt.tz_convert(tz)
    hour = local.dt.hour.to_numpy() + local.dt.minute.to_numpy() / 60.0
    date = local.dt.normalize().dt.tz_localize(None).dt.date.to_numpy()
    name = np.full(len(times), None, dtype=object)
    shift_date = date.copy()
    for sname, (h0, h1) in shift_hours.items():
        if h0 < h1:
            inside = (hour >= h0) & (hour < h1)
        else:
            inside = (hour >= h0) | (hour < h1)
            # the small hours belong to the shift that began the evening before
            early = inside & (hour < h1)
            shift_date = np.where(early, date - pd.Timedelta(days=1), shift_date)
        name = np.where(inside & (name == None), sname, name)  # noqa: E711
    return pd.DataFrame({"date": shift_date, "shift": name}, index=times.index)


def _wall_to_utc_ns(days: pd.DatetimeIndex, hours: float, tz: str) -> np.ndarray:
    """UTC ns of local wall time ``day + hours`` for each day (clock changes handled).

    A wall time that happens twice (the October hour) is taken at its first occurrence; one
    that never happens (the March hour) moves forward to the first valid instant.
    """
    wall = days + pd.to_timedelta(hours, unit="h")
    first = np.ones(len(wall), dtype=bool)
    local = wall.tz_localize(tz, ambiguous=first, nonexistent="shift_forward")
    return local.tz_convert("UTC").as_unit("ns").asi8


def period_boundaries(
    start_ns, end_ns, *, by: str = "day", tz: str = "Europe/London", shift_hours=None
):
    """Local-clock boundaries (UTC ns) covering ``start_ns..end_ns``, with each period's label.

    ``by="day"``: local midnights, each period labelled with its date (a local day lasts 23 or
    25 hours across the clock changes). ``by="shift"``: the start and end of every shift of
    every local day; a period inside a shift is labelled (date the shift began, shift name),
    time outside every shift (date, None), cut at local midnight.

    Returns
    -------
    (bounds, dates, shifts)
        ``bounds`` sorted UTC ns; period k is ``[bounds[k], bounds[k + 1])`` with label
        ``dates[k]``, ``shifts[k]``.
    """
    if by not in ("day", "shift"):
        raise SchemaError(f"by={by!r}; allowed 'day' or 'shift'")
    lo = pd.Timestamp(int(np.min(start_ns)), tz="UTC").tz_convert(tz).tz_localize(None)
    hi = pd.Timestamp(int(np.max(end_ns)), tz="UTC").tz_convert(tz).tz_localize(None)
    # a day either side, so the night shift of the day before and the last period are covered
    days = pd.date_range(lo.normalize() - pd.Timedelta(days=1), hi.normalize() + pd.Timedelta(
        days=1), freq="D")  # fmt: skip
    if by == "day":
        b = _wall_to_utc_ns(days, 0.0, tz)
        return b, np.asarray(days.date, dtype=object), np.full(len(b), None, dtype=object)
    shift_hours = _check_shift_hours(shift_hours)
    t_parts, date_parts, name_parts, rank_parts = [], [], [], []
    for name, (h0, h1) in shift_hours.items():
        t_parts.append(_wall_to_utc_ns(days, h0, tz))  # the shift begins: its own label
        date_parts.append(days.date)
        name_parts.append(np.full(len(days), name, dtype=object))
        rank_parts.append(np.ones(len(days), dtype=np.int8))
        end_day = days if h1 > h0 else days + pd.Timedelta(days=1)
        t_parts.append(_wall_to_utc_ns(end_day, h1, tz))  # it ends: outside any shift...
        date_parts.append((end_day + pd.Timedelta(days=int(h1 // 24))).date)
        name_parts.append(np.full(len(days), None, dtype=object))
        rank_parts.append(np.zeros(len(days), dtype=np.int8))  # ...unless another begins then
    t = np.concatenate(t_parts)
    dates = np.concatenate(date_parts).astype(object)
    names = np.concatenate(name_parts)
    rank = np.concatenate(rank_parts)
    order = np.lexsort((-rank, t))
    t, dates, names = t[order], dates[order], names[order]
    first = np.r_[True, t[1:] != t[:-1]]  # at one instant, a shift's start wins over an end
    t, dates, names = t[first], dates[first], names[first]
    # time outside every shift is cut at local midnight too, so it carries its own date
    mid = _wall_to_utc_ns(days, 0.0, tz)
    at = np.searchsorted(t, mid, side="right") - 1
    off_shift = (at < 0) | np.array([names[k] is None for k in np.maximum(at, 0)], dtype=bool)
    new = off_shift & ~np.isin(mid, t)
    t = np.concatenate([t, mid[new]])
    dates = np.concatenate([dates, np.asarray(days.date, dtype=object)[new]])
    names = np.concatenate([names, np.full(int(new.sum()), None, dtype=object)])
    order = np.argsort(t, kind="stable")
    return t[order], dates[order], names[order]


def split_at_boundaries(
    start_ns, end_ns, *, by: str = "day", tz: str = "Europe/London", shift_hours=None
):
    """Cut intervals at local day (or shift) boundaries: the pieces and their labels.

    Returns (row, piece_start_ns, piece_end_ns, date, shift): one entry per piece, ``row``
    being the interval it came from. A zero-length interval gives one zero-length piece.

    Examples
    --------
    A visit from 23:50 to 00:10 (London summer time) gives 10 minutes to each day:

    >>> s = pd.Timestamp("2025-06-01 23:50", tz="Europe/London").value
    >>> e = pd.Timestamp("2025-06-02 00:10", tz="Europe/London").value
    >>> row, ps, pe, date, _ = split_at_boundaries(np.array([s]), np.array([e]), by="day",
    ...                                            tz="Europe/London")
    >>> [str(d) for d in date], ((pe - ps) / 60e9).tolist()
    (['2025-06-01', '2025-06-02'], [10.0, 10.0])
    """
    start_ns = np.asarray(start_ns, dtype=np.int64)
    end_ns = np.asarray(end_ns, dtype=np.int64)
    if len(start_ns) == 0:
        e = np.empty(0, dtype=np.int64)
        return e, e, e, np.empty(0, dtype=object), np.empty(0, dtype=object)
    if (end_ns < start_ns).any():
        raise SchemaError("an interval ends before it starts; check start and end")
    bounds, dates, names = period_boundaries(
        start_ns, end_ns, by=by, tz=tz, shift_hours=shift_hours
    )
    k0 = np.searchsorted(bounds, start_ns, side="right") - 1
    k1 = np.searchsorted(bounds, end_ns, side="left")
    n = np.maximum(k1 - k0, 1)
    row = np.repeat(np.arange(len(start_ns)), n)
    k = np.repeat(k0, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    upper = np.r_[bounds[1:], np.iinfo(np.int64).max]
    ps = np.maximum(start_ns[row], bounds[k])
    pe = np.minimum(end_ns[row], upper[k])
    pe = np.maximum(pe, ps)
    return row, ps, pe, dates[k], names[k]


def _periods(start_ns, end_ns, minutes, by, tz, shift_hours) -> pd.DataFrame:
    """Pieces of intervals per period, with the interval's minutes shared in proportion."""
    row, ps, pe, date, shift = split_at_boundaries(
        start_ns, end_ns, by=by, tz=tz, shift_hours=shift_hours
    )
    span = (end_ns - start_ns)[row].astype(np.float64)
    piece = (pe - ps).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(span > 0, piece / span, 1.0)
    out = pd.DataFrame({"row": row, "start": ps, "end": pe, "date": date})
    if by == "shift":
        out["shift"] = shift
    out["minutes"] = np.asarray(minutes, dtype=np.float64)[row] * share
    return out


def _per_period(pieces: pd.DataFrame, src: pd.DataFrame, keys: list[str]):
    """Officer-minutes, patrol-minutes (union) and officers per fence and period, from pieces
    of ``src`` rows (visits or runs); also the period labels' index."""
    row = pieces["row"].to_numpy()
    pieces["fence_id"] = src["fence_id"].astype(str).to_numpy()[row]
    pieces["officer"] = src["officer"].to_numpy()[row]
    group, uniq = pd.factorize(pd.MultiIndex.from_frame(pieces[keys].astype(object)), sort=True)
    out = pd.DataFrame(list(uniq), columns=keys)
    out["officer_minutes"] = np.bincount(group, weights=pieces["minutes"], minlength=len(uniq))
    union = _union_ns(group, pieces["start"].to_numpy(), pieces["end"].to_numpy(), len(uniq))
    out["patrol_minutes"] = union / NS_PER_MINUTE
    out["officers"] = (
        pieces.groupby(group)["officer"].nunique().reindex(range(len(uniq))).to_numpy()
    )
    return out, uniq


def dosage(
    visits,
    *,
    by: str = "day",
    tz: str = "Europe/London",
    shift_hours=None,
    shifts=UNSET,
) -> pd.DataFrame:
    """Officer- and patrol-minutes and visits per fence per local day or shift.

    Time is split at the boundaries: a visit from 23:50 to 00:10 gives 10 minutes to each day,
    one from 14:50 to 15:10 gives 10 minutes to the early and 10 to the late shift, and across
    the clock changes a local day lasts 23 or 25 hours. From a :class:`DwellResult` the credited
    runs are split (exact); from a frame of visits each visit's minutes are shared between the
    periods in proportion to the part of its span (start to end) in each.

    Parameters
    ----------
    visits : DwellResult or DataFrame
        A :func:`~hspwork.tracking.dwell` result, or visits (``officer``, ``fence_id``,
        ``start``, ``end``, ``minutes``).
    by : {"day", "shift"}
    tz : str
        The programme's local time zone.
    shift_hours : dict, optional
        Shift name -> (start hour, end hour) in local time (default
        :data:`DEFAULT_SHIFT_HOURS`); a night shift belongs to the date it began.
    shifts
        Deprecated name of ``shift_hours`` (FutureWarning).

    Returns
    -------
    DataFrame
        ``fence_id``, ``date`` (and ``shift``), ``minutes`` (officer-minutes in the period),
        ``patrol_minutes`` (at least one officer present), ``officers`` (distinct officers
        with time in the period), ``visits`` (visits that began in the period, so they add up
        to the number of visits), ``mean_visit_minutes`` and ``in_koper_band`` (of those
        visits, by their whole length: 10-15 minutes).

    Examples
    --------
    >>> v = pd.DataFrame({"officer": ["a", "b", "a"], "fence_id": ["F1", "F1", "F1"],
    ...     "start": pd.to_datetime(["2025-06-01 08:00", "2025-06-01 09:00",
    ...                              "2025-06-01 22:50"], utc=True),
    ...     "minutes": [12.0, 4.0, 20.0]})
    >>> v["end"] = v["start"] + pd.to_timedelta(v["minutes"], unit="min")
    >>> d = dosage(v)  # the last visit runs 23:50-00:10 London time
    >>> d[["date", "visits", "minutes", "in_koper_band"]].astype(str).values.tolist()
    [['2025-06-01', '3', '26.0', '1'], ['2025-06-02', '0', '10.0', '0']]
    """
    shift_hours = renamed("dosage", "shifts", shifts, "shift_hours", shift_hours, None)
    result = visits if isinstance(visits, DwellResult) else None
    v = as_visits(visits)
    _need(v, ["officer", "fence_id", "start", "end", "minutes"], "visits")
    if by not in ("day", "shift"):
        raise SchemaError(f"by={by!r}; allowed 'day' or 'shift'")
    keys = ["fence_id", "date"] + (["shift"] if by == "shift" else [])
    if len(v) == 0:
        cols = [*keys, "minutes", "patrol_minutes", "officers", "visits", "mean_visit_minutes",
                "in_koper_band"]  # fmt: skip
        return pd.DataFrame(columns=cols)
    if result is not None:  # the credited runs, exactly
        r = result.runs[result.runs["visit_id"].isin(v["visit_id"])]
        rs, re = time_ns(r["start"], "start"), time_ns(r["end"], "end")
        pieces = _periods(rs, re, (re - rs) / NS_PER_MINUTE, by, tz, shift_hours)
        src = r.reset_index(drop=True)
    else:  # a bare frame: each visit's minutes in proportion to its span
        vs, ve = time_ns(v["start"], "start"), time_ns(v["end"], "end")
        pieces = _periods(vs, ve, v["minutes"].to_numpy(float), by, tz, shift_hours)
        src = v.reset_index(drop=True)
    out, uniq = _per_period(pieces, src, keys)
    out = out.rename(columns={"officer_minutes": "minutes"})
    # visits counted in the period in which they began, by their whole length
    first = _periods(
        time_ns(v["start"], "start"), time_ns(v["start"], "start"), np.zeros(len(v)), by, tz,
        shift_hours,
    )  # fmt: skip
    vk = pd.DataFrame({"fence_id": v["fence_id"].astype(str).to_numpy()})
    vk["date"] = first["date"].to_numpy()
    if by == "shift":
        vk["shift"] = first["shift"].to_numpy()
    lo, hi = KOPER_BAND_MINUTES
    m = v["minutes"].to_numpy(float)
    vk["_m"] = m
    vk["_band"] = (m >= lo) & (m <= hi)
    idx = pd.MultiIndex.from_frame(vk[keys].astype(object))
    vg = uniq.get_indexer(idx)
    vg_ok = vg >= 0  # every visit has credited time in the period it began in, or no time
    n_vis = np.bincount(vg[vg_ok], minlength=len(uniq))
    out["visits"] = n_vis.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["mean_visit_minutes"] = np.where(
            n_vis > 0, np.bincount(vg[vg_ok], weights=m[vg_ok], minlength=len(uniq)) / n_vis,
            np.nan,
        )  # fmt: skip
    out["in_koper_band"] = np.bincount(
        vg[vg_ok], weights=vk["_band"].to_numpy(float)[vg_ok], minlength=len(uniq)
    ).astype(np.int64)
    return out


def patrol_minutes(
    runs: pd.DataFrame,
    *,
    by: str = "day",
    tz: str = "Europe/London",
    shift_hours=None,
    shifts=UNSET,
) -> pd.DataFrame:
    """Officer-minutes and patrol-minutes per fence per local day or shift.

    ``runs`` is :func:`~hspwork.tracking.dwell.credited_time` (or ``DwellResult.runs``).
    Patrol-minutes count the time with at least one officer present (the union of all
    officers' credited runs), so two officers together for 10 minutes give 20 officer-minutes
    and 10 patrol-minutes. Runs are split at the local day (or shift) boundaries, as in
    :func:`dosage`. ``shifts`` is the deprecated name of ``shift_hours`` (FutureWarning).

    Examples
    --------
    >>> t = pd.Timestamp("2025-06-02 09:00", tz="UTC")
    >>> runs = pd.DataFrame({"officer": ["a", "b"], "fence_id": ["F", "F"],
    ...     "start": [t, t + pd.Timedelta(minutes=5)], "end": [t + pd.Timedelta(minutes=10),
    ...     t + pd.Timedelta(minutes=20)], "minutes": [10.0, 15.0]})
    >>> patrol_minutes(runs)[["officer_minutes", "patrol_minutes"]].values.tolist()
    [[25.0, 20.0]]
    """
    shift_hours = renamed("patrol_minutes", "shifts", shifts, "shift_hours", shift_hours, None)
    _need(runs, ["officer", "fence_id", "start", "end"], "runs")
    if by not in ("day", "shift"):
        raise SchemaError(f"by={by!r}; allowed 'day' or 'shift'")
    keys = ["fence_id", "date"] + (["shift"] if by == "shift" else [])
    if len(runs) == 0:
        return pd.DataFrame(columns=[*keys, "officer_minutes", "patrol_minutes", "officers"])
    s = time_ns(runs["start"], "start")
    e = time_ns(runs["end"], "end")
    pieces = _periods(s, e, (e - s) / NS_PER_MINUTE, by, tz, shift_hours)
    return _per_period(pieces, runs.reset_index(drop=True), keys)[0]


def visit_length_distribution(
    visits: pd.DataFrame, band=KOPER_BAND_MINUTES, bins=(0, 2, 5, 10, 15, 20, 30, 60, np.inf)
) -> pd.DataFrame:
    """Counts and shares of visit lengths, with the band (Koper's 10-15 minutes) marked.

    ``visits`` is a :class:`DwellResult` or a frame with ``minutes``.

    Examples
    --------
    >>> v = pd.DataFrame({"minutes": [1.0, 12.0, 14.0, 40.0]})
    >>> d = visit_length_distribution(v)
    >>> d.attrs["share_in_band"], d.attrs["share_shorter"], d.attrs["share_longer"]
    (0.5, 0.25, 0.25)
    """
    visits = as_visits(visits)
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
    visits = as_visits(visits)
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
    visits = as_visits(visits)
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
    visits : DwellResult or DataFrame, optional
        A :func:`~hspwork.tracking.dwell` result (or its visits); an activity by the same
        officer in the same fence during a visit gets that visit's row number in ``visit``.

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
        visits = as_visits(visits)
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

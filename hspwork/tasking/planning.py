"""Planning taskings: capacity, crime profiles, daily schedules and their journeys."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hspwork.errors import HspworkError, SchemaError
from hspwork.targeting.profile import aoristic_weights
from hspwork.tasking._common import _local_to_utc, _need
from hspwork.tasking.network import StreetNetwork, _places_xy, _speed, travel_minutes
from hspwork.tracking.dosage import DEFAULT_SHIFTS
from hspwork.tracking.dwell import time_ns

# --------------------------------------------------------------------------- capacity


def capacity(
    officers,
    fences: gpd.GeoDataFrame | None = None,
    network: StreetNetwork | None = None,
    **kwargs,
):
    """How many places the officers can give their dosage, journeys included.

    With ``fences`` this is :func:`hspwork.tasking.staffing.routed_capacity`: the most
    places, by rank, for which routes exist that give each its dosage (``dosage=``, default
    3 x 15 minutes a day, at least 2 hours apart) within the officers' shifts
    (``shift_hours``), and the routes that prove it. See that function for the arguments.

    Without ``fences`` it is the old back-of-envelope table, now :func:`capacity_estimate`
    (same arguments), with a ``FutureWarning``: that path will go.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> f = gpd.GeoDataFrame({"fence_id": ["A", "B"]}, crs=27700,
    ...                      geometry=[box(0, 0, 10, 10), box(300, 0, 310, 10)])
    >>> capacity(1, f, shift_hours={"late": (15, 23)}, time_limit_s=2).places_covered
    2
    """
    if fences is None:
        warnings.warn(
            "capacity() without fences is the old estimate that leaves journeys out; call "
            "capacity(officers, fences, network, shift_hours=..., dosage=...) for routed "
            "capacity, or capacity_estimate() for the old table",
            FutureWarning,
            stacklevel=2,
        )
        return capacity_estimate(officers, **kwargs)
    from hspwork.tasking.staffing import routed_capacity

    return routed_capacity(officers, fences, network, **kwargs)


def capacity_estimate(
    officers: dict[str, int] | int,
    *,
    shift_hours: float = 8.0,
    visits_per_place: dict[str, int] | int = 1,
    visit_minutes: float = 15.0,
    travel_minutes: float = 10.0,
    available_share: float = 0.5,
) -> pd.DataFrame:
    """How many places the officers on each shift can cover, by arithmetic (no routes).

    Each officer has ``shift_hours x 60 x available_share`` minutes for hot spot patrol (the rest
    goes to calls, briefings, custody, meal breaks). Each visit costs ``visit_minutes`` plus one
    journey of ``travel_minutes`` (for example the median of :func:`travel_minutes` to the
    nearest other place). Places = floor(officers x minutes available /
    (visits per place x (visit + journey))).

    Examples
    --------
    >>> capacity_estimate({"early": 4, "late": 4}, visits_per_place={"early": 1, "late": 2},
    ...          travel_minutes=9, available_share=0.5)[["shift", "visits_possible", "places"]]
       shift  visits_possible  places
    0  early               40      40
    1   late               40      20
    """
    if isinstance(officers, int):
        officers = {"shift": officers}
    if not 0 < available_share <= 1:
        raise HspworkError(f"available_share={available_share}: must be in (0, 1]")
    rows = []
    for shift, n in officers.items():
        per = visits_per_place[shift] if isinstance(visits_per_place, dict) else visits_per_place
        if per < 1:
            raise HspworkError(f"visits_per_place for {shift!r} is {per}; need at least 1")
        minutes = n * shift_hours * 60.0 * available_share
        cost = visit_minutes + travel_minutes
        visits = math.floor(minutes / cost + 1e-9)
        rows.append((shift, n, minutes, cost, visits, visits // per))
    return pd.DataFrame(
        rows,
        columns=["shift", "officers", "minutes_available", "minutes_per_visit", "visits_possible",
                 "places"],
    )  # fmt: skip


# --------------------------------------------------------------------------- schedules


def crime_profile(
    crimes: gpd.GeoDataFrame,
    fences: gpd.GeoDataFrame,
    tz: str = "Europe/London",
    prior: float = 1.0,
) -> pd.DataFrame:
    """Share of each place's crime by local hour of day (rows: fence_id, columns 0..23).

    A crime known only as a from-to window is spread over the hours it spans (aoristic, as
    :func:`hspwork.targeting.aoristic_weights`). ``prior`` crimes are
    spread evenly over the 24 hours of every place (so no hour is ruled out by a small count).
    The ``crimes`` column holds the raw count.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> f = gpd.GeoDataFrame({"fence_id": ["A"]}, geometry=[box(0, 0, 10, 10)], crs=27700)
    >>> t = pd.to_datetime(["2025-01-06 22:10", "2025-01-06 22:50"], utc=True)
    >>> c = gpd.GeoDataFrame({"occurred_from": t, "occurred_to": t},
    ...                      geometry=[Point(5, 5), Point(5, 5)], crs=27700)
    >>> p = crime_profile(c, f, prior=0)
    >>> float(p.loc["A", 22]), int(p.loc["A", "crimes"])
    (1.0, 2)
    """
    _need(crimes, ["occurred_from"], "crimes")
    pts = crimes.geometry.to_crs(fences.crs) if crimes.crs != fences.crs else crimes.geometry
    one = fences.drop_duplicates("fence_id", keep="last").reset_index(drop=True)
    tree = shapely.STRtree(one.geometry.to_numpy())
    ci, fi = tree.query(pts.to_numpy(), predicate="within")
    # hour-of-day shares of each window (aoristic: real minutes in local hours), only for the
    # crimes inside some place, so a force's crimes never make an n x 168 array
    inner, pos = np.unique(ci, return_inverse=True)
    sub = crimes.iloc[inner]
    end = sub["occurred_to"] if "occurred_to" in sub.columns else sub["occurred_from"]
    w_day = aoristic_weights(sub["occurred_from"], end, tz=tz).reshape(-1, 7, 24).sum(axis=1)
    counts = np.zeros((len(one), 24))
    np.add.at(counts, fi, w_day[pos])
    total = counts.sum(axis=1)
    share = (counts + prior / 24.0) / np.maximum(total + prior, 1e-12)[:, None]
    out = pd.DataFrame(share, index=one["fence_id"].astype(str), columns=list(range(24)))
    out["crimes"] = np.rint(total).astype(int)  # each crime's shares sum to 1
    return out


def _local_minute_weights(profile_row: np.ndarray, start_h: float, n_minutes: int) -> np.ndarray:
    minutes = np.arange(n_minutes)
    hour = ((start_h * 60 + minutes) // 60).astype(int) % 24
    return profile_row[hour]


def _sample_in(rng, weights: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """One minute per row from ``weights`` (rows: places) restricted to [lo, hi)."""
    m = np.arange(weights.shape[1])
    w = np.where((m[None, :] >= lo[:, None]) & (m[None, :] < hi[:, None]), weights, 0.0)
    tot = w.sum(axis=1)
    # an empty range (or all-zero weights) falls back to its first minute
    cdf = np.cumsum(w, axis=1) / np.where(tot > 0, tot, 1.0)[:, None]
    u = rng.random(len(lo))
    pick = (cdf < u[:, None]).sum(axis=1)
    return np.where(tot > 0, np.minimum(pick, weights.shape[1] - 1), lo)


def schedule(
    fences: gpd.GeoDataFrame,
    dates,
    *,
    visits_per_shift: dict[str, int] | None = None,
    shift_hours: dict[str, tuple[float, float]] | None = None,
    minutes: float = 15.0,
    profile: pd.DataFrame | None = None,
    min_every_hours: float | None = None,
    min_gap_minutes: float | None = None,
    window_minutes: float | None = None,
    teams: dict[str, str] | str | None = None,
    network: StreetNetwork | None = None,
    speed="walking",
    tz: str = "Europe/London",
    seed: int = 0,
    shifts: dict[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """A tasking plan: visits per place per day at random times matched to its crime profile.

    For every date, shift and place, visit start times are drawn at random, minute by minute,
    in proportion to the place's crime share in that local hour (``profile``, from
    :func:`crime_profile`; uniform when None). With ``visits_per_shift`` the shift is cut into
    that many equal parts and one visit drawn in each, so visits spread out and never overlap.
    With ``min_every_hours=k`` visits are drawn one after another instead: the first within k
    hours of the shift start, each next one after the previous visit ends and within k hours
    of its start, until the shift end is within k hours: no gap between visits to a place
    exceeds k hours. With ``min_gap_minutes`` no two visits to a place on one date start
    closer than that, across shifts too (shifts are drawn in the order of their start hours).
    The order of places is therefore random and differs every day.

    With ``window_minutes`` each visit gets a tasking window, ``window_start`` ..
    ``window_end`` (UTC, half-open), of that many minutes either side of its drawn start,
    inside the shift: :func:`optimise_routes` then reorders visits for shorter journeys only
    within those windows, so the crime-weighted, day-by-day randomness of the plan survives.

    With ``teams`` each team's visits in a shift are put in time order and the journey from
    each place to the next is timed along ``network`` at ``speed`` (straight line x 1.4
    without a network); a visit that could not be reached in time is moved later, and the
    move is reported in ``moved_minutes``.

    Parameters
    ----------
    fences : GeoDataFrame
        The places (``fence_id``; the latest version of each is used for journeys).
    dates : iterable of dates
        Local dates of the plan.
    visits_per_shift : dict
        Shift name -> visits per place (default ``{"early": 1, "late": 2}``).
    shift_hours : dict
        Shift name -> (start hour, end hour) local (default :data:`DEFAULT_SHIFTS`).
        ``shifts=`` is the old name, accepted with a ``FutureWarning``.
    minutes : float
        Planned length of each visit.
    min_gap_minutes : float, optional
        Least minutes between the starts of two visits to one place on one date; written to
        the plan's ``min_gap_minutes`` column, which :func:`optimise_routes` keeps.
    window_minutes : float, optional
        Half-width of each visit's tasking window around its drawn start.
    teams : dict, str or None
        fence_id -> team, the name of a column of ``fences``, or None (one team "Team 1").
    seed : int
        Random seed; the same seed gives the same plan.

    Returns
    -------
    DataFrame
        The tasking plan of ``docs/contracts.md`` (``tasking_id``, ``fence_id``, ``date``,
        ``shift``, ``planned_start`` UTC, ``minutes``, ``team``) plus ``order`` (within team and
        shift), ``travel_from``, ``travel_m``, ``travel_minutes``, ``moved_minutes`` and
        ``after_shift_end`` (the visit, moved for its journey, would end after the shift); with
        ``min_gap_minutes`` that column, with ``window_minutes`` ``window_start`` and
        ``window_end``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> f = gpd.GeoDataFrame({"fence_id": ["A", "B"]},
    ...     geometry=[box(0, 0, 50, 50), box(500, 0, 550, 50)], crs=27700)
    >>> plan = schedule(f, ["2025-09-01"], seed=1)
    >>> plan.groupby("shift").size().to_dict()
    {'early': 2, 'late': 4}
    """
    if shifts is not None:
        if shift_hours is not None:
            raise HspworkError("give shift_hours only (shifts= is its old name)")
        warnings.warn(
            "schedule(shifts=...) is now schedule(shift_hours=...); the old name will go",
            FutureWarning,
            stacklevel=2,
        )
        shift_hours = shifts
    visits_per_shift = {"early": 1, "late": 2} if visits_per_shift is None else visits_per_shift
    shifts = DEFAULT_SHIFTS if shift_hours is None else shift_hours
    unknown = [s for s in visits_per_shift if s not in shifts]
    if unknown:
        raise HspworkError(f"visits_per_shift names shift(s) {unknown}; known: {sorted(shifts)}")
    if min_every_hours is not None and min_every_hours * 60 < minutes:
        raise HspworkError(
            f"min_every_hours={min_every_hours} is shorter than one {minutes:g}-minute visit"
        )
    places = _places_xy(fences)
    ids = places.index.to_numpy()
    if profile is None:
        prof = np.ones((len(ids), 24)) / 24.0
    else:
        missing = sorted(set(ids) - set(profile.index.astype(str)))
        if missing:
            raise SchemaError(f"profile has no row for fence(s) {missing[:5]}")
        prof = profile.loc[ids, list(range(24))].to_numpy(float)
    gap = 0 if min_gap_minutes is None else math.ceil(float(min_gap_minutes))
    if gap < 0:
        raise HspworkError(f"min_gap_minutes={min_gap_minutes!r}: give minutes >= 0 or None")
    if window_minutes is not None and not float(window_minutes) >= 0:
        raise HspworkError(f"window_minutes={window_minutes!r}: give minutes >= 0 or None")
    team_of = _teams(fences, ids, teams)
    rng = np.random.default_rng(seed)
    rows = []
    in_order = sorted(visits_per_shift, key=lambda name: shifts[name][0])
    for date in pd.to_datetime(pd.Series(list(dates))).dt.date:
        last = np.full(len(ids), -(10**9))  # last start per place, minutes from midnight
        for shift in in_order:
            n_visits = visits_per_shift[shift]
            h0, h1 = shifts[shift]
            length = round(((h1 - h0) % 24 or 24) * 60)
            weights = np.stack([_local_minute_weights(p, h0, length) for p in prof])
            begin = round(h0 * 60)
            starts = _draw_starts(rng, weights, n_visits, length, minutes, min_every_hours,
                                  gap, last + gap - begin, shift)  # fmt: skip
            drawn = np.where(starts >= 0, starts + begin, -(10**9))
            last = np.maximum(last, drawn.max(axis=1)) if gap else last
            origin = pd.Timestamp(date).tz_localize(None) + pd.Timedelta(hours=h0)
            for k, col in enumerate(starts.T):
                ok = col >= 0
                local = origin + pd.to_timedelta(col[ok], unit="min")
                rows.append(pd.DataFrame({
                    "fence_id": ids[ok], "date": date, "shift": shift, "local": local,
                    "minutes": float(minutes), "team": team_of[ok], "visit_in_shift": k + 1,
                    "start_local": origin, "end_local": origin + pd.Timedelta(minutes=length),
                }))  # fmt: skip
    plan = pd.concat(rows, ignore_index=True)
    plan["planned_start"] = _local_to_utc(plan["local"], tz)
    shift_end = _local_to_utc(plan["end_local"], tz)
    if window_minutes is not None:
        # the window is set around the drawn start, before any move for a journey
        w = pd.Timedelta(minutes=float(window_minutes))
        shift_start = _local_to_utc(plan["start_local"], tz)
        plan["window_start"] = np.maximum(plan["planned_start"] - w, shift_start)
        plan["window_end"] = np.minimum(plan["planned_start"] + w, shift_end)
        plan.loc[plan["window_end"] <= plan["window_start"], "window_end"] = plan[
            "window_start"
        ] + pd.Timedelta(seconds=1)
    if gap:
        plan["min_gap_minutes"] = float(gap)
    plan = plan.drop(columns=["local", "start_local", "end_local"])
    plan["_row"] = np.arange(len(plan))
    plan = plan.sort_values(["date", "shift", "team", "planned_start"])
    plan = route(plan.reset_index(drop=True), fences, network=network, speed=speed)
    # a visit moved later for the journey may no longer fit in the shift: say so
    end = plan["planned_start"] + pd.to_timedelta(plan["minutes"], unit="min")
    plan["after_shift_end"] = (end > shift_end.loc[plan["_row"]].to_numpy()).to_numpy()
    plan = plan.drop(columns="_row")
    plan.insert(0, "tasking_id", [f"T{i + 1:05d}" for i in range(len(plan))])
    return plan


def _teams(fences, ids, teams) -> np.ndarray:
    if teams is None:
        return np.full(len(ids), "Team 1", dtype=object)
    if isinstance(teams, str):
        if teams not in fences.columns:
            raise SchemaError(f"fences have no column {teams!r} for teams")
        m = fences.drop_duplicates("fence_id", keep="last").set_index(
            fences["fence_id"].astype(str).drop_duplicates(keep="last")
        )[teams]
        return m.reindex(ids).to_numpy(object)
    missing = [i for i in ids if i not in teams]
    if missing:
        raise SchemaError(f"teams has no team for fence(s) {missing[:5]}")
    return np.array([teams[i] for i in ids], dtype=object)


def _draw_starts(rng, weights, n_visits, length, minutes, every_h, gap=0, earliest=None,
                 shift="shift"):  # fmt: skip
    """Start minutes (places x visits; -1 = none) within a shift of ``length`` minutes.

    ``earliest`` (minutes from the shift start, per place) is the first allowed start, from
    the gap after an earlier shift's visit; ``gap`` also separates visits within the shift.
    """
    n = weights.shape[0]
    dur = math.ceil(minutes)
    earliest = np.zeros(n, dtype=int) if earliest is None else np.maximum(earliest, 0)
    if every_h is None:
        width = length / n_visits
        if width < dur:
            raise HspworkError(
                f"{n_visits} visits of {minutes:g} minutes do not fit in a {length}-minute shift"
            )
        cols = []
        for k in range(n_visits):
            lo = np.maximum(math.ceil(k * width), earliest)
            hi = np.full(n, math.floor((k + 1) * width) - dur + 1)
            if (lo >= hi).any():
                raise HspworkError(
                    f"min_gap_minutes={gap} leaves no room for visit {k + 1} of {n_visits} in "
                    f"the {shift} shift ({length} minutes cut into {n_visits} parts): ask for "
                    "fewer visits or a shorter gap"
                )
            s = _sample_in(rng, weights, lo, hi)
            cols.append(s)
            if gap:
                earliest = s + gap
        return np.column_stack(cols)
    k = round(every_h * 60)
    cols = []
    lo = earliest.astype(int)
    hi = np.full(n, min(k, length - dur + 1))
    if (lo >= hi).any():
        raise HspworkError(
            f"min_gap_minutes={gap} after the previous shift's visits leaves no start within "
            f"min_every_hours={every_h} of the {shift} shift's start: shorten one of them"
        )
    active = np.ones(n, dtype=bool)
    while active.any():
        s = _sample_in(rng, weights, lo, hi)
        cols.append(np.where(active, s, -1))
        # the next visit starts after this one ends (and the gap) and within k minutes of
        # this one's start
        lo = s + max(dur, gap)
        hi = np.minimum(s + k, length - dur) + 1
        active &= (s + k < length) & (lo < hi)
    return np.column_stack(cols)


def route(
    plan: pd.DataFrame, fences: gpd.GeoDataFrame, network: StreetNetwork | None = None,
    speed="walking",
) -> pd.DataFrame:  # fmt: skip
    """Put each team's visits in a shift in time order and time the journeys between them.

    Adds ``order``, ``travel_from``, ``travel_m``, ``travel_minutes`` and ``moved_minutes``
    (a visit that cannot be reached by its planned start is moved to the earliest arrival).
    """
    _need(plan, ["fence_id", "date", "shift", "planned_start", "minutes", "team"], "plan")
    tm = travel_minutes(fences, network, speed)
    v = _speed(speed)
    p = plan.sort_values(["date", "shift", "team", "planned_start"], kind="stable").copy()
    grp = p.groupby(["date", "shift", "team"], sort=False)
    p["order"] = grp.cumcount() + 1
    p["travel_from"] = grp["fence_id"].shift()
    first = p["travel_from"].isna()
    ids = tm.index
    a = ids.get_indexer(p["travel_from"].fillna(p["fence_id"]).astype(str))
    b = ids.get_indexer(p["fence_id"].astype(str))
    if (b < 0).any():
        raise SchemaError(
            f"plan names fence(s) not in fences: {sorted(set(p['fence_id'][b < 0]))[:5]}"
        )
    minutes = np.where(first, 0.0, tm.to_numpy()[a, b])
    p["travel_minutes"] = minutes
    p["travel_m"] = minutes * 60.0 * v
    # one pass per position in the shift (a handful), vectorised over all team-shifts
    start = time_ns(p["planned_start"]).astype(np.int64)
    dur = (p["minutes"].to_numpy(float) * 60e9).astype(np.int64)
    trav = (minutes * 60e9).astype(np.int64)
    order = p["order"].to_numpy()
    moved = np.zeros(len(p), dtype=np.int64)
    pos = np.arange(len(p))
    for k in range(2, int(order.max()) + 1 if len(p) else 0):
        cur = pos[order == k]
        prev = cur - 1
        earliest = start[prev] + dur[prev] + trav[cur]
        late = earliest > start[cur]
        moved[cur[late]] = earliest[late] - start[cur[late]]
        start[cur[late]] = earliest[late]
    p["planned_start"] = pd.to_datetime(start, utc=True)
    p["moved_minutes"] = moved / 60e9
    return p.reset_index(drop=True)

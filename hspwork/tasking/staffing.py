"""How many hot spots the officers can give their dosage, journeys included.

Source document 000: a force planned 40 hot spots and had to cut them to 20 for want of
officers. Whether the officers on duty can give a place its dosage (for example three visits
of 15 minutes a day, at least two hours apart) depends on the walks between places as much as
on the minutes on the spot. :func:`routed_capacity` answers with routes: the most places, in
rank order, for which the solver finds a day of routes that gives every one of them its
dosage (a plan that proves it), and an upper bound that no plan can beat (so the answer is
exact when the two meet). :func:`capacity_curve` repeats it for more and more officers.

The day is a nominal one in local clock hours (no clock change).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hspwork.errors import HspworkError, SchemaError
from hspwork.tasking import _solver
from hspwork.tasking.network import StreetNetwork, _places_xy, travel_minutes
from hspwork.tasking.routing import _depot_minutes, _depot_points
from hspwork.tracking.dosage import DEFAULT_SHIFTS


@dataclass(frozen=True)
class Dosage:
    """A dosage rule: ``visits_per_day`` visits of ``minutes`` each, starts at least
    ``min_gap_minutes`` apart (the default is document 000's 3 x 15 minutes, 2 hours apart)."""

    visits_per_day: int = 3
    minutes: float = 15.0
    min_gap_minutes: float = 120.0

    def __post_init__(self) -> None:
        if not (isinstance(self.visits_per_day, int | np.integer) and self.visits_per_day >= 1):
            raise HspworkError(f"visits_per_day={self.visits_per_day!r}: need a whole number >= 1")
        if not self.minutes > 0:
            raise HspworkError(f"minutes={self.minutes!r}: need a positive length of visit")
        if not self.min_gap_minutes >= 0:
            raise HspworkError(f"min_gap_minutes={self.min_gap_minutes!r}: need minutes >= 0")


@dataclass
class Capacity:
    """The answer to "how many places get their dosage?" for one number of officers.

    ``places_covered`` places (``covered``, in rank order) get the dosage in ``plan``, a day
    of routes that proves it. No plan covers more than ``places_upper_bound``;
    ``places_without_travel`` is what the minutes alone would allow (the old arithmetic).
    """

    officers: dict[str, int]
    dosage: Dosage
    places_covered: int
    covered: list[str]
    not_covered: list[str]
    places_upper_bound: int
    places_without_travel: int
    travel_minutes: float
    plan: pd.DataFrame = field(repr=False)

    @property
    def proven(self) -> bool:
        """True when no plan can cover more places than found."""
        return self.places_covered >= self.places_upper_bound

    def table(self) -> pd.DataFrame:
        """One row per place in rank order: covered or not, its visits and their starts."""
        ranked = self.covered + self.not_covered
        starts = self.plan.groupby("fence_id")["start_local"].agg(", ".join)
        return pd.DataFrame(
            {
                "rank": np.arange(1, len(ranked) + 1),
                "fence_id": ranked,
                "covered": [i < self.places_covered for i in range(len(ranked))],
                "visits": [self.dosage.visits_per_day if i < self.places_covered else 0
                           for i in range(len(ranked))],
                "starts_local": [starts.get(f, "") for f in ranked],
            }
        )  # fmt: skip

    def summary(self) -> str:
        d = self.dosage
        on = ", ".join(f"{n} on {s}" for s, n in self.officers.items())
        exact = (
            "exactly"
            if self.proven
            else f"at least (no plan covers more than {self.places_upper_bound})"
        )
        return "\n".join(
            [
                f"Officers: {on}; dosage {d.visits_per_day} x {d.minutes:g} minutes a day, "
                f"at least {d.min_gap_minutes:g} minutes apart.",
                f"Places that get their dosage, journeys included: {exact} {self.places_covered}"
                f" of {len(self.covered) + len(self.not_covered)}, walking {self.travel_minutes:,.0f}"
                " minutes between them.",
                f"Without the journeys the minutes alone would allow {self.places_without_travel}.",
            ]
        )  # fmt: skip


def _officer_shifts(officers, shift_hours) -> tuple[dict[str, int], dict[str, tuple]]:
    hours = DEFAULT_SHIFTS if shift_hours is None else shift_hours
    if not isinstance(hours, Mapping):
        raise HspworkError(
            f"shift_hours={shift_hours!r}: give name -> (start hour, end hour), e.g. "
            '{"early": (7, 15), "late": (15, 23)}'
        )
    on = dict.fromkeys(hours, officers) if not isinstance(officers, Mapping) else dict(officers)
    unknown = sorted(set(on) - set(hours))
    if unknown:
        raise SchemaError(f"officers names shift(s) {unknown}; shift_hours knows {sorted(hours)}")
    bad = {s: k for s, k in on.items() if not (isinstance(k, int | np.integer) and k >= 0)}
    if bad:
        raise HspworkError(f"officers per shift must be whole numbers >= 0; got {bad}")
    return {s: int(k) for s, k in on.items()}, {s: hours[s] for s in on}


def _ranked(fences, rank_column) -> list[str]:
    one = fences.drop_duplicates("fence_id", keep="last")
    if rank_column is not None:
        if rank_column not in one.columns:
            raise SchemaError(f"fences have no column {rank_column!r} to rank by")
        one = one.sort_values(rank_column, kind="stable")
    return one["fence_id"].astype(str).tolist()


class _Day:
    """The routing problem of one day for the top ``m`` places, in seconds from midnight."""

    def __init__(self, on, hours, dosage, tm, order, depot_min, available_share):
        self.dosage = dosage
        self.tm, self.order = tm, order
        self.vehicles = [(s, k) for s, n in on.items() for k in range(n)]
        start = {s: round(h[0] * 3600) for s, h in hours.items()}
        length = {s: round((((h[1] - h[0]) % 24) or 24) * 3600) for s, h in hours.items()}
        self.v_start = np.array([start[s] for s, _ in self.vehicles], dtype=np.int64)
        self.v_end = np.array([start[s] + length[s] for s, _ in self.vehicles], dtype=np.int64)
        self.busy = np.floor(available_share * (self.v_end - self.v_start)).astype(np.int64)
        self.depot_min = depot_min

    def problem(self, m: int) -> tuple[_solver.Problem, np.ndarray]:
        d, nv = self.dosage, len(self.vehicles)
        places = np.repeat(np.arange(m), d.visits_per_day)
        pl = self.order[places]
        n = len(places)
        t = self.tm[np.ix_(pl, pl)]
        out = np.zeros((nv, n)) if self.depot_min is None else np.tile(self.depot_min[pl], (nv, 1))
        dur = math.ceil(d.minutes * 60 - 1e-6)
        gap = math.ceil(d.min_gap_minutes * 60 - 1e-6)
        gaps = [
            (int(k * d.visits_per_day + j), int(k * d.visits_per_day + j + 1), gap, True)
            for k in range(m)
            for j in range(d.visits_per_day - 1)
            if gap > 0
        ]  # a place's visits are alike: chained in order, which loses no plan
        pr = _solver.Problem(
            travel_s=np.ceil(t * 60 - 1e-6).astype(np.int64),
            cost_ms=np.round(t * 60000).astype(np.int64),
            dur_s=np.full(n, dur, dtype=np.int64),
            lo_s=np.full(n, int(self.v_start.min()) if nv else 0, dtype=np.int64),
            hi_s=np.full(n, int(self.v_end.max()) - dur if nv else 0, dtype=np.int64),
            target_s=np.full(n, int(self.v_start.min()) if nv else 0, dtype=np.int64),
            group=np.full(n, -1),
            v_group=np.zeros(nv, dtype=int),
            v_start_s=self.v_start,
            v_end_s=self.v_end,
            out_s=np.ceil(out * 60 - 1e-6).astype(np.int64),
            out_ms=np.round(out * 60000).astype(np.int64),
            back_s=np.ceil(out * 60 - 1e-6).astype(np.int64),
            back_ms=np.round(out * 60000).astype(np.int64),
            busy_s=self.busy,
            gaps=gaps,
        )
        return pr, places

    def upper_bound(self, m_max: int, with_travel: bool) -> int:
        """The most places any plan could cover (a necessary condition, checked for each m).

        An officer's ``k`` visits touch at least ``ceil(k / visits_per_day)`` places, so at
        least that many minus one walks of at least the shortest journey between two of the
        top ``m`` places; every other step back to the same place waits out the gap (a wait
        is not patrol time, a walk is). That caps each officer's visits in the shift and in
        the patrol share; the top ``m`` places need ``m x visits_per_day`` of them. Without
        travel, walks and waits count as nothing (the minutes alone).
        """
        d = self.dosage
        dur = d.minutes * 60
        span_needed = (d.visits_per_day - 1) * d.min_gap_minutes * 60 + dur
        if not len(self.v_start) or span_needed > self.v_end.max() - self.v_start.min():
            return 0
        wait = max(0.0, d.min_gap_minutes * 60 - dur) if d.visits_per_day > 1 else math.inf

        def fits(k: int, room_time: float, room_busy: float, tmin: float) -> bool:
            walks = math.ceil(k / d.visits_per_day) - 1
            if walks > 0 and math.isinf(tmin):
                return False
            walk = walks * tmin if walks > 0 else 0.0
            # the other steps: each a walk or a wait, whichever is shorter
            rest = (k - 1 - walks) * min(tmin, wait) if k > 1 + walks else 0.0
            return k * dur + walk + rest <= room_time + 1e-6 and k * dur + walk <= room_busy + 1e-6

        best, tmin = 0, math.inf
        top = int((self.v_end - self.v_start).max() // dur) + 1
        for m in range(1, m_max + 1):
            new = self.order[m - 1]
            if m > 1:
                prev = self.order[: m - 1]
                tmin = min(tmin, 60 * float(self.tm[prev, new].min()),
                           60 * float(self.tm[new, prev].min()))  # fmt: skip
            t, legs = (tmin, 0.0) if with_travel else (0.0, 0.0)
            if with_travel and self.depot_min is not None:
                legs = 120 * float(self.depot_min[self.order[:m]].min())
            if not with_travel:
                t = 0.0
            total = 0
            for a, b, busy in zip(self.v_start, self.v_end, self.busy):
                k = 0
                while k < top and fits(k + 1, b - a - legs, busy - legs, t):
                    k += 1
                total += k
            if total >= m * d.visits_per_day:
                best = m
        return best


def routed_capacity(
    officers: int | Mapping[str, int],
    fences: gpd.GeoDataFrame,
    network: StreetNetwork | None = None,
    *,
    shift_hours: Mapping[str, tuple[float, float]] | None = None,
    dosage: Dosage | Mapping | None = None,
    rank_column: str | None = None,
    speed="walking",
    depot=None,
    available_share: float = 0.5,
    time_limit_s: float = 5,
    seed: int = 0,
    _at_least: int = 0,
) -> Capacity:
    """The most places, by rank, that officers can give their dosage in a day, journeys included.

    Places are taken in rank order (``rank_column`` ascending, or the order of ``fences``:
    targeting lists places best first). For the top ``m`` places the day's visits (``dosage``)
    are routed over every officer on every shift (any visit may fall in any shift), each
    officer's visits and walks within ``available_share`` of the shift (the rest goes to calls,
    briefings and custody) and every visit inside the shift. The largest ``m`` for which the
    solver finds such routes is the answer; those routes are its proof. An upper bound (each
    officer's visits need their minutes and at least the shortest journey between two) says
    how far from exact it can be.

    Parameters
    ----------
    officers : int or dict
        Officers on each shift (shift -> number); an int puts that many on every shift of
        ``shift_hours``.
    fences, network, speed, depot
        As for :func:`hspwork.tasking.optimise_routes`.
    shift_hours : dict
        Shift name -> (start hour, end hour), local (default
        :data:`hspwork.tracking.dosage.DEFAULT_SHIFTS`).
    dosage : Dosage or dict
        Visits a day, minutes each, least gap between starts (default 3 x 15, 120 apart).
    time_limit_s : float
        Seconds for the solver to find routes for each number of places tried.

    Returns
    -------
    Capacity
        ``places_covered``, ``covered``, ``not_covered``, ``places_upper_bound``,
        ``places_without_travel``, the proving ``plan``; ``table()`` and ``summary()``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> f = gpd.GeoDataFrame({"fence_id": ["A", "B", "C"]}, crs=27700, geometry=[
    ...     box(0, 0, 10, 10), box(5000, 0, 5010, 10), box(0, 5000, 10, 5010)])
    >>> c = routed_capacity(1, f, shift_hours={"day": (8, 16)},
    ...                     dosage=Dosage(2, 15.0, 120.0), available_share=1.0, time_limit_s=2)
    >>> # 90 minutes' walk apart: A B A B fits in 8 hours, 6 visits need 6 x 15 + 5 x 90 > 480
    >>> c.places_covered, c.covered, c.places_upper_bound, c.places_without_travel
    (2, ['A', 'B'], 2, 3)
    """
    dosage = Dosage(**dosage) if isinstance(dosage, Mapping) else (dosage or Dosage())
    if not 0 < available_share <= 1:
        raise HspworkError(f"available_share={available_share}: must be in (0, 1]")
    on, hours = _officer_shifts(officers, shift_hours)
    tmf = travel_minutes(fences, network, speed)
    ranked = _ranked(fences, rank_column)
    order = tmf.index.get_indexer(ranked)
    places = _places_xy(fences)
    depot_min = None
    if depot is not None:
        pts = _depot_points(depot, np.array(["_"]), fences.crs)
        depot_min = _depot_minutes(pts, fences, network, speed, places)["_"]
    day = _Day(on, hours, dosage, tmf.to_numpy(float), order, depot_min, available_share)
    no_travel = day.upper_bound(len(ranked), with_travel=False)
    bound = day.upper_bound(len(ranked), with_travel=True)

    found: dict[int, _solver.Solution] = {}

    def fits(m: int) -> bool:
        if m == 0:
            return True
        pr, _ = day.problem(m)
        sol = _solver.solve(pr, time_limit_s, seed=seed, feasible_only=True)
        if not sol.dropped:
            found[m] = sol
        return not sol.dropped

    lo, hi = min(_at_least, bound), bound
    if lo and not fits(lo):
        lo = 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    plan, travel = _capacity_plan(day, lo, found.get(lo), ranked)
    return Capacity(
        officers=on,
        dosage=dosage,
        places_covered=lo,
        covered=ranked[:lo],
        not_covered=ranked[lo:],
        places_upper_bound=bound,
        places_without_travel=no_travel,
        travel_minutes=travel,
        plan=plan,
    )


def _capacity_plan(day: _Day, m: int, sol, ranked) -> tuple[pd.DataFrame, float]:
    cols = ["fence_id", "shift", "route", "order", "start_local", "start_minute", "minutes",
            "travel_minutes"]  # fmt: skip
    if m == 0 or sol is None:
        return pd.DataFrame(columns=cols), 0.0
    _, places = day.problem(m)
    rows = []
    travel = 0.0
    numbers: dict[str, int] = {}
    for v, r in enumerate(sol.routes):
        if not r:
            continue
        shift = day.vehicles[v][0]
        numbers[shift] = numbers.get(shift, 0) + 1
        prev = None
        for k, i in enumerate(r, start=1):
            pl = day.order[places[i]]
            t = 0.0 if prev is None else float(day.tm[prev, pl])
            if prev is None and day.depot_min is not None:
                t = float(day.depot_min[pl])
            travel += t
            minute = int(sol.start_s[i]) / 60
            clock = f"{int(minute // 60) % 24:02d}:{int(minute % 60):02d}"
            rows.append((ranked[places[i]], shift, numbers[shift], k, clock, minute,
                         day.dosage.minutes, t))  # fmt: skip
            prev = pl
        if day.depot_min is not None:
            travel += float(day.depot_min[prev])
    return pd.DataFrame(rows, columns=cols), travel


def capacity_curve(
    fences: gpd.GeoDataFrame,
    network: StreetNetwork | None = None,
    *,
    officers: Iterable[int] = range(1, 9),
    **kwargs,
) -> pd.DataFrame:
    """Places covered against officers per shift (the same number on every shift).

    Keyword arguments go to :func:`routed_capacity`. More officers never cover fewer places,
    so each count starts its search from the last answer.

    Returns
    -------
    DataFrame
        ``officers_per_shift``, ``officers_total``, ``places_covered``, ``places_upper_bound``,
        ``places_without_travel``, ``travel_minutes`` and ``covered`` (fence ids, rank order,
        comma-separated).
    """
    rows, last = [], 0
    for k in officers:
        c = routed_capacity(int(k), fences, network, _at_least=last, **kwargs)
        last = c.places_covered
        rows.append(
            (int(k), int(sum(c.officers.values())), c.places_covered, c.places_upper_bound,
             c.places_without_travel, c.travel_minutes, ", ".join(c.covered))
        )  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["officers_per_shift", "officers_total", "places_covered", "places_upper_bound",
                 "places_without_travel", "travel_minutes", "covered"],
    )  # fmt: skip


def plot_capacity_curve(curve: pd.DataFrame, places_wanted: int | None = None) -> Figure:
    """Places that get their dosage against officers per shift, with and without journeys.

    Parameters
    ----------
    curve : DataFrame
        From :func:`capacity_curve`.
    places_wanted : int, optional
        The programme's planned number of hot spots, drawn as a line (document 000: 40).
    """
    fig = Figure(figsize=(8.6, 3.6))  # room for the legend beside the lines
    ax = fig.add_subplot()
    x = curve["officers_per_shift"]
    ax.plot(x, curve["places_without_travel"], ":", color="#888888", marker=".",
            label="minutes on the spot only (no journeys)")  # fmt: skip
    ax.plot(x, curve["places_upper_bound"], "--", color="#2166ac", linewidth=1,
            label="no plan can cover more")  # fmt: skip
    ax.plot(x, curve["places_covered"], "-o", color="#b2182b", label="covered, journeys included")
    if places_wanted is not None:
        ax.axhline(places_wanted, color="black", linewidth=0.8)
        ax.text(x.iloc[0], places_wanted, f" {places_wanted} places planned", va="bottom",
                fontsize=8)  # fmt: skip
    ax.set_xlabel("officers on each shift")
    ax.set_ylabel("places given their dosage")
    ax.set_xticks(list(x))
    # Headroom over the planned line, so its label stays clear of the title.
    top = max(float(curve["places_without_travel"].max()), float(places_wanted or 0))
    ax.set_ylim(0, top * 1.15 + 1)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title("How many hot spots the officers can cover", fontsize=10)
    fig.tight_layout()
    return fig

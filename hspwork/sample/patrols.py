"""Tasking plan, the patrols officers really walked, and the location pings their devices sent.

The plan asks for 3 x 15-minute visits a day to every treatment spot (one on the early shift,
two on the late shift), as in the Peterborough trial. Officers work in six crews of four on a
rota; each officer covers one sector of five treatment spots. Delivery falls short of the plan:
some visits are not made, some are cut short, and the shortfall grows as the weeks go by.

Each officer-shift is a piecewise-linear track of knots (time, x, y). Devices sample the track:
the phone app every 30-60 s, Airwave radios every 2-5 min. True visit minutes are measured on
the noise-free track at 1 s resolution, so they include walking in and out of the fence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from hspwork.sample._write import bng_to_lonlat
from hspwork.sample.crimes import LOCAL_TZ, _local_text
from hspwork.sample.town import CENTRE, Town
from hspwork.sample.trial import Spots

N_CREWS = 6
CREW_SIZE = 4  # members 0 and 1 carry the phone app, members 2 and 3 only an Airwave radio
SPOTS_PER_SECTOR = 5
SHIFTS = {
    "early": ("07:00", "15:00", ["08:00", "09:20", "10:40", "12:00", "13:20"]),
    "late": (
        "15:00",
        "23:00",
        ["15:40", "16:20", "17:00", "17:40", "18:20", "19:00", "19:40", "20:20", "21:00", "21:40"],
    ),
}
PLANNED_MINUTES = 15
WALK_MPS = 1.4
DRIVE_MPS = 7.0  # a patrol car in town, about 25 km/h
DRIVE_ABOVE_M = 900.0  # longer legs are driven
TRACK_SPAN_S = 10**6  # tracks are placed on one axis, 10^6 s apart, for a single np.interp


@dataclass
class PatrolConfig:
    """Delivery and device settings (each number is recorded in ground_truth.json)."""

    p_not_done_start: float = 0.20  # share of visits not made in the first week ...
    p_not_done_end: float = 0.28  # ... and in the last
    p_short: float = 0.25  # share of made visits cut short
    short_dwell_min: tuple[float, float] = (3.0, 9.0)
    full_dwell_mean_min: float = 15.0
    full_dwell_sd_min: float = 2.0
    start_jitter_min: tuple[float, float] = (-5.0, 15.0)
    app_interval_s: tuple[float, float] = (30.0, 60.0)
    radio_interval_s: tuple[float, float] = (120.0, 300.0)
    low_power_gap_p: float = 0.06  # chance that a low-power phone's next ping comes late ...
    low_power_gap_s: tuple[float, float] = (300.0, 1500.0)  # ... and how late
    gps_accuracy_median_m: float = 7.0
    radio_noise_sd_m: float = 12.0
    multipath_p: float = 0.004
    offset_m: tuple[float, float] = (-140.0, 143.0)  # app positions in the offset beat
    dead_spot_radius_m: float = 180.0
    left_running_date: str = "2025-10-25"  # late shift; the phone runs on past the clock change
    left_running_until_local: str = "2025-10-26 04:30"


@dataclass
class Patrols:
    """Everything the patrol simulation produced."""

    plan: pd.DataFrame
    truth_visits: pd.DataFrame
    pings_app: pd.DataFrame
    pings_radio: pd.DataFrame
    officers: pd.DataFrame  # collar_no, crew, member, device, issi, sector
    activity: pd.DataFrame  # officer, time (UTC ISO), type, x, y
    truth: dict = field(default_factory=dict)


def _local_to_utc_s(text: list[str] | np.ndarray) -> np.ndarray:
    ts = pd.DatetimeIndex(pd.to_datetime(np.asarray(text))).tz_localize(LOCAL_TZ)
    return ts.tz_convert("UTC").as_unit("s").asi8


def _utc_iso(t_s: np.ndarray) -> np.ndarray:
    ts = pd.to_datetime(np.asarray(t_s, dtype=np.int64), unit="s", utc=True)
    return np.asarray(ts.strftime("%Y-%m-%dT%H:%M:%SZ"), dtype=object)


class _Track:
    """Knots of one officer-shift, appended in time order."""

    def __init__(self, t: float, x: float, y: float):
        self.t, self.x, self.y = [t], [x], [y]

    def to(self, t: float, x: float, y: float) -> None:
        t = max(t, self.t[-1] + 1.0)  # strictly increasing knot times
        self.t.append(t)
        self.x.append(x)
        self.y.append(y)

    def wait(self, until: float, rng: np.random.Generator, radius_m: float, step_s: float):
        """Stay about here until ``until``, drifting within ``radius_m`` of the spot."""
        x0, y0 = self.x[-1], self.y[-1]
        n = int((until - self.t[-1]) // step_s)
        if n > 0:
            ang = rng.uniform(0, 2 * np.pi, n)
            r = radius_m * np.sqrt(rng.uniform(0, 1, n))
            ts = self.t[-1] + step_s * np.arange(1, n + 1)  # strictly increasing already
            self.t.extend(ts.tolist())
            self.x.extend((x0 + r * np.cos(ang)).tolist())
            self.y.extend((y0 + r * np.sin(ang)).tolist())
        self.to(until, x0, y0)

    def travel(self, x1: float, y1: float, rng: np.random.Generator) -> float:
        """Go along the street grid (one turn) to (x1, y1); returns the arrival time."""
        x0, y0, t = self.x[-1], self.y[-1], self.t[-1]
        d = abs(x1 - x0) + abs(y1 - y0)
        v = DRIVE_MPS if d > DRIVE_ABOVE_M else WALK_MPS
        if rng.random() < 0.5:
            cx, cy = x1, y0
        else:
            cx, cy = x0, y1
        d1 = abs(cx - x0) + abs(cy - y0)
        if d1 > 1:
            self.to(t + d1 / v, cx, cy)
        self.to(t + d / v, x1, y1)
        return self.t[-1]


def travel_time_s(x0: float, y0: float, x1: float, y1: float) -> float:
    """Time to go between two points along the grid, walking or driving as the officers do.

    Examples
    --------
    >>> round(travel_time_s(0, 0, 300, 400), 6)  # 700 m on foot
    500.0
    """
    d = abs(x1 - x0) + abs(y1 - y0)
    return d / (DRIVE_MPS if d > DRIVE_ABOVE_M else WALK_MPS)


def simulate_patrols(
    town: Town,
    spots: Spots,
    rng: np.random.Generator,
    *,
    trial_start_local: str,
    n_days: int,
    cfg: PatrolConfig,
    offset_beat: str,
    spot_start_day: np.ndarray | None = None,
) -> Patrols:
    """Plan the taskings, walk the patrols and sample the devices.

    ``spot_start_day`` (one entry per spot, for the roll-out variant) tasks each spot only
    from that day of the trial on; None (the sample) tasks every treatment spot throughout.

    Examples
    --------
    >>> from hspwork.sample.town import build_town
    >>> from hspwork.sample.crimes import draw_crimes
    >>> from hspwork.sample.trial import select_spots
    >>> rng = np.random.default_rng(8)
    >>> town = build_town(rng)
    >>> crimes = draw_crimes(town, rng, start_local="2024-09-01", end_local="2025-09-01",
    ...                      crimes_per_year=6000)
    >>> spots = select_spots(town, crimes, int(crimes.t_true.max()) + 1, rng)
    >>> p = simulate_patrols(town, spots, rng, trial_start_local="2025-09-01", n_days=56,
    ...                      cfg=PatrolConfig(), offset_beat="B2")
    >>> len(p.plan) == 20 * 3 * 56, list(p.pings_radio.columns)
    (True, ['issi', 'collar_no', 'timestamp', 'easting', 'northing'])
    >>> tv = p.truth_visits
    >>> bool(0.6 <= tv["minutes"].sum() / p.plan["minutes"].sum() <= 0.8)
    True
    """
    tab = spots.table
    treat = np.flatnonzero(tab["role"].to_numpy() == "treatment")
    tx, ty = tab["cx"].to_numpy()[treat], tab["cy"].to_numpy()[treat]
    # sectors: treatment spots by bearing from the town centre, five to a sector
    bearing = np.arctan2(ty - CENTRE[1], tx - CENTRE[0])
    by_angle = treat[np.argsort(bearing, kind="stable")]
    sectors = by_angle.reshape(CREW_SIZE, SPOTS_PER_SECTOR)

    # places away from every fence where officers wait between visits, and the station
    st = town.streets
    used = np.unique(np.concatenate([st["node0"].to_numpy(), st["node1"].to_numpy()]))
    nxy = town.nodes_xy[used]
    d_fence = cKDTree(np.column_stack([tab["cx"], tab["cy"]])).query(nxy)[0]
    free = nxy[d_fence > 260.0]
    station = free[np.argmin(np.hypot(free[:, 0] - CENTRE[0], free[:, 1] - CENTRE[1]))]
    free_tree = cKDTree(free)

    n_off = N_CREWS * CREW_SIZE
    collars = rng.choice(np.arange(1001, 9999), size=n_off, replace=False)
    issi = rng.choice(np.arange(2_300_000, 2_400_000), size=n_off, replace=False)
    crew = np.repeat(np.arange(N_CREWS), CREW_SIZE)
    member = np.tile(np.arange(CREW_SIZE), N_CREWS)
    device = np.where(member < 2, "app", "radio")
    officers = pd.DataFrame(
        {
            "collar_no": collars.astype(str),
            "crew": crew + 1,
            "member": member,
            "device": device,
            "issi": np.where(device == "radio", issi.astype(str), ""),
            "sector": member + 1,
        }
    )
    low_power = int(np.flatnonzero((crew == 0) & (member == 1))[0])

    days = pd.date_range(trial_start_local, periods=n_days, freq="D")
    lr_day = int(np.flatnonzero(days == pd.Timestamp(cfg.left_running_date))[0])
    lr_crew = (2 * lr_day + 1) % N_CREWS
    left_running = int(np.flatnonzero((crew == lr_crew) & (member == 0))[0])

    # ---- the plan: one row per planned visit
    rows = []
    for d, day in enumerate(days):
        date = day.strftime("%Y-%m-%d")
        for s_idx, (shift, (_s0, _s1, slots)) in enumerate(SHIFTS.items()):
            c = (2 * d + s_idx) % N_CREWS
            for k in range(CREW_SIZE):
                order = rng.permutation(SPOTS_PER_SECTOR)
                if len(slots) > SPOTS_PER_SECTOR:
                    second = rng.permutation(SPOTS_PER_SECTOR)
                    if second[0] == order[-1]:  # no spot twice in a row
                        second[[0, 1]] = second[[1, 0]]
                    order = np.concatenate([order, second])
                for slot, o in zip(slots, order):
                    rows.append(
                        (date, d, shift, f"{date} {slot}", sectors[k, o], c, k, c * CREW_SIZE + k)
                    )
    plan = pd.DataFrame(
        rows,
        columns=["date", "day", "shift", "planned_local", "spot", "crew", "sector", "officer"],
    )
    plan = plan.sort_values(["planned_local", "spot"], kind="stable").reset_index(drop=True)
    plan["tasking_id"] = [f"T{k:05d}" for k in range(1, len(plan) + 1)]
    plan["fence_id"] = tab["fence_id"].to_numpy()[plan["spot"].to_numpy()]
    plan["planned_utc"] = _local_to_utc_s(plan["planned_local"].to_numpy())
    if spot_start_day is not None:
        # a roll-out: a spot is tasked from its own start day on (hspwork.sample.staggered)
        first_day = np.asarray(spot_start_day)[plan["spot"].to_numpy()]
        plan = plan[plan["day"].to_numpy() >= first_day].reset_index(drop=True)
        plan["tasking_id"] = [f"T{k:05d}" for k in range(1, len(plan) + 1)]

    # ---- what was delivered
    n = len(plan)
    frac = plan["day"].to_numpy() / max(n_days - 1, 1)
    p_nd = cfg.p_not_done_start + (cfg.p_not_done_end - cfg.p_not_done_start) * frac
    done = rng.random(n) >= p_nd
    short = rng.random(n) < cfg.p_short
    dwell_min = np.where(
        short,
        rng.uniform(*cfg.short_dwell_min, n),
        np.clip(rng.normal(cfg.full_dwell_mean_min, cfg.full_dwell_sd_min, n), 10.0, 20.0),
    )
    jitter_s = rng.uniform(*cfg.start_jitter_min, n) * 60

    # ---- tracks: one per officer-shift, in the plan's order
    plan["track"] = plan.groupby(["day", "shift", "sector"], sort=False).ngroup()
    knots_t, knots_x, knots_y, knots_track = [], [], [], []
    track_rows = []  # track, officer, start_s, end_s
    dwell = np.full((n, 2), np.nan)
    # plain arrays for the loop below (one pass per officer-shift, not per ping)
    shift_arr = plan["shift"].to_numpy()
    shift_start = _local_to_utc_s(plan["date"] + " " + [SHIFTS[s][0] for s in shift_arr])
    shift_end = _local_to_utc_s(plan["date"] + " " + [SHIFTS[s][1] for s in shift_arr])
    spot_arr, planned = plan["spot"].to_numpy(), plan["planned_utc"].to_numpy()
    officer_arr = plan["officer"].to_numpy()
    cx_arr, cy_arr = tab["cx"].to_numpy(), tab["cy"].to_numpy()
    track_arr = plan["track"].to_numpy()
    by_track = np.argsort(track_arr, kind="stable")
    bounds = np.flatnonzero(np.diff(track_arr[by_track])) + 1
    for idx in np.split(by_track, bounds):
        tr = int(track_arr[idx[0]])
        t_start, t_end = shift_start[idx[0]], shift_end[idx[0]]
        track = _Track(float(t_start), float(station[0]), float(station[1]))
        track.wait(t_start + rng.uniform(5, 15) * 60, rng, 15.0, 240.0)
        for i in idx:
            if not done[i]:
                continue
            sx, sy = float(cx_arr[spot_arr[i]]), float(cy_arr[spot_arr[i]])
            target = planned[i] + jitter_s[i]
            leave = target - travel_time_s(track.x[-1], track.y[-1], sx, sy)
            if leave > track.t[-1]:
                track.wait(leave, rng, 25.0, 240.0)
            arrive = track.travel(sx, sy, rng)
            dwell[i] = arrive, arrive + dwell_min[i] * 60
            track.wait(dwell[i, 1], rng, 15.0, 150.0)  # 15 m stays inside the fence
            # move off to a waiting place 260+ m from any fence, near this spot
            near = free_tree.query_ball_point([sx, sy], r=650.0, return_sorted=True)
            px, py = free[rng.choice(near)] if near else free[free_tree.query([sx, sy])[1]]
            track.travel(float(px), float(py), rng)
        track.travel(float(station[0]), float(station[1]), rng)
        t_stop = max(float(t_end), track.t[-1] + 60)
        track.wait(t_stop, rng, 15.0, 240.0)
        knots_t.append(np.asarray(track.t) - t_start)
        knots_x.append(track.x)
        knots_y.append(track.y)
        knots_track.append(np.full(len(track.t), tr))
        track_rows.append((tr, int(officer_arr[idx[0]]), int(t_start), int(track.t[-1])))
    tracks = pd.DataFrame(track_rows, columns=["track", "officer", "start_s", "end_s"])
    key_knots = np.concatenate(knots_track) * float(TRACK_SPAN_S) + np.concatenate(knots_t)
    kx, ky = np.concatenate(knots_x), np.concatenate(knots_y)

    def true_xy(track_id: np.ndarray, t_s: np.ndarray):
        start = tracks["start_s"].to_numpy()[track_id]
        key = track_id * float(TRACK_SPAN_S) + (t_s - start)
        return np.interp(key, key_knots, kx), np.interp(key, key_knots, ky)

    truth_visits = _truth_visits(plan, done, dwell, spots, officers, true_xy)

    # ---- devices
    app, radio, dev_truth = _pings(
        tracks, officers, true_xy, rng, cfg, town, spots, offset_beat, low_power, left_running,
        lr_day, days, station,
    )  # fmt: skip
    activity = _activity_log(plan, done, dwell, tracks, officers, true_xy, rng)
    plan_out = pd.DataFrame(
        {
            "tasking_id": plan["tasking_id"],
            "fence_id": plan["fence_id"],
            "date": plan["date"],
            "shift": plan["shift"],
            "planned_start": plan["planned_local"],
            "minutes": PLANNED_MINUTES,
            "team": "Crew " + (plan["crew"] + 1).astype(str),
        }
    )
    truth = {
        "station_xy": [float(station[0]), float(station[1])],
        "sectors": {
            f"sector {k + 1}": tab["fence_id"].to_numpy()[sectors[k]].tolist()
            for k in range(CREW_SIZE)
        },
        **dev_truth,
    }
    truth["activity_counts"] = activity["type"].value_counts().sort_index().to_dict()
    return Patrols(plan_out, truth_visits, app, radio, officers, activity, truth)


ACTIVITY_TYPES = ("engagement", "stop", "problem-solving", "arrest")
_ACTIVITY_P = (0.6, 0.2, 0.15, 0.05)


def _activity_log(plan, done, dwell, tracks, officers, true_xy, rng) -> pd.DataFrame:
    """What officers logged: events during visits (about 0.6 a visit) and on patrol elsewhere
    (about 1.5 a shift), at the officer's true position to 1 m, times in UTC."""
    di = np.flatnonzero(done)
    n_v = rng.poisson(0.6, len(di))
    vi = np.repeat(di, n_v)
    t_v = dwell[vi, 0] + rng.uniform(0, 1, len(vi)) * (dwell[vi, 1] - dwell[vi, 0])
    tr_v = plan["track"].to_numpy()[vi]
    n_p = rng.poisson(1.5, len(tracks))
    tr_p = np.repeat(tracks["track"].to_numpy(), n_p)
    start, end = tracks["start_s"].to_numpy()[tr_p], tracks["end_s"].to_numpy()[tr_p]
    t_p = start + rng.uniform(0, 1, len(tr_p)) * (end - start)
    tr = np.concatenate([tr_v, tr_p])
    t = np.floor(np.concatenate([t_v, t_p]))
    x, y = true_xy(tr, t)
    kind = np.array(ACTIVITY_TYPES, dtype=object)[
        rng.choice(len(ACTIVITY_TYPES), size=len(t), p=_ACTIVITY_P)
    ]
    collar = officers["collar_no"].to_numpy()[tracks["officer"].to_numpy()[tr]]
    order = np.lexsort((collar, t))
    return pd.DataFrame(
        {
            "officer": collar[order],
            "time": _utc_iso(t[order]),
            "type": kind[order],
            "x": np.round(x[order]).astype(np.int64),
            "y": np.round(y[order]).astype(np.int64),
        }
    )


def _truth_visits(plan, done, dwell, spots, officers, true_xy) -> pd.DataFrame:
    """Measure each delivered visit on the noise-free track: the unbroken stretch of time the
    officer was inside the fence around the dwell (1 s resolution)."""
    di = np.flatnonzero(done)
    pad = 600
    start = np.full(len(plan), -1, dtype=np.int64)
    end = np.full(len(plan), -1, dtype=np.int64)
    spot = plan["spot"].to_numpy()
    for fence in np.unique(spot[di]):
        vi = di[spot[di] == fence]
        d0 = np.floor(dwell[vi, 0]).astype(np.int64)
        d1 = np.ceil(dwell[vi, 1]).astype(np.int64)
        width = int((d1 - d0).max()) + 2 * pad
        t = (d0 - pad)[:, None] + np.arange(width)[None, :]
        valid = t <= (d1 + pad)[:, None]
        tr = np.broadcast_to(plan["track"].to_numpy()[vi][:, None], t.shape)
        x, y = true_xy(tr.ravel(), t.ravel().astype(float))
        inside = shapely.contains_xy(spots.geoms[fence], x, y).reshape(t.shape) & valid
        # the stretch of "inside" that contains the dwell's start (column `pad`)
        col = np.arange(width)[None, :]
        outside_before = np.where(~inside & (col < pad), col, -1).max(axis=1)
        outside_after = np.where(~inside & (col > pad), col, width).min(axis=1)
        start[vi] = d0 - pad + outside_before + 1
        end[vi] = d0 - pad + outside_after
    officer = officers["collar_no"].to_numpy()[plan["officer"].to_numpy()]
    minutes = np.where(done, (end - start) / 60.0, 0.0)
    return pd.DataFrame(
        {
            "tasking_id": plan["tasking_id"],
            "collar_no": officer,
            "fence_id": plan["fence_id"],
            "status": np.where(done, "delivered", "not delivered"),
            "start": np.where(done, _utc_iso(np.maximum(start, 0)), ""),
            "end": np.where(done, _utc_iso(np.maximum(end, 0)), ""),
            "minutes": minutes,
        }
    )


def _pings(tracks, officers, true_xy, rng, cfg, town, spots, offset_beat, low_power,
           left_running, lr_day, days, station):  # fmt: skip
    device = officers["device"].to_numpy()[tracks["officer"].to_numpy()]
    tr_app = tracks[device == "app"]
    tr_radio = tracks[device == "radio"]

    # ---- phone app
    dur = (tr_app["end_s"] - tr_app["start_s"]).to_numpy()
    officer = tr_app["officer"].to_numpy()
    lr_track = int(
        tracks.index[
            (tracks["officer"] == left_running)
            & (tracks["start_s"] == _local_to_utc_s([f"{days[lr_day]:%Y-%m-%d} 15:00"])[0])
        ][0]
    )
    lr_until = int(_local_to_utc_s([cfg.left_running_until_local])[0])
    lr_from = int(tracks.loc[lr_track, "end_s"])
    max_n = int(dur.max() / cfg.app_interval_s[0]) + 2
    gaps = rng.uniform(*cfg.app_interval_s, (len(tr_app), max_n))
    lp = officer == low_power
    late = (rng.random(gaps.shape) < cfg.low_power_gap_p) & lp[:, None]
    gaps[late] = rng.uniform(*cfg.low_power_gap_s, late.sum())
    offs = np.cumsum(gaps, axis=1) - gaps[:, :1] * rng.uniform(0, 1, (len(tr_app), 1))
    keep = offs <= dur[:, None]
    rows, cols = np.nonzero(keep)
    t = np.floor(tr_app["start_s"].to_numpy()[rows] + offs[rows, cols])
    tid = tr_app["track"].to_numpy()[rows]
    x, y = true_xy(tid, t)
    xa, ya = true_xy(tid, t + 1.0)
    xb, yb = true_xy(tid, t - 1.0)
    vx, vy = (xa - xb) / 2.0, (ya - yb) / 2.0
    collar_idx = officer[rows]
    # the phone left running: stationary at the station from the end of the shift
    n_lr = int((lr_until - lr_from) // 45)
    t_lr = lr_from + np.floor(np.cumsum(rng.uniform(*cfg.app_interval_s, n_lr)))
    t_lr = t_lr[t_lr <= lr_until]
    t = np.concatenate([t, t_lr])
    x = np.concatenate([x, np.full(len(t_lr), station[0])])
    y = np.concatenate([y, np.full(len(t_lr), station[1])])
    vx = np.concatenate([vx, np.zeros(len(t_lr))])
    vy = np.concatenate([vy, np.zeros(len(t_lr))])
    collar_idx = np.concatenate([collar_idx, np.full(len(t_lr), left_running)])

    m = len(t)
    speed = np.hypot(vx, vy)
    central = np.hypot(x - CENTRE[0], y - CENTRE[1]) < 800
    acc = np.exp(rng.normal(np.log(cfg.gps_accuracy_median_m), 0.45, m)) * np.where(central, 1.6, 1)
    acc = np.clip(acc, 3.0, 60.0)
    ex = rng.normal(0, 1, m) * acc / 1.5
    ey = rng.normal(0, 1, m) * acc / 1.5
    mp = rng.random(m) < cfg.multipath_p  # reflections off buildings: a jump, poorly flagged
    ang = rng.uniform(0, 2 * np.pi, m)
    jump = rng.uniform(80, 250, m)
    ex = np.where(mp, jump * np.cos(ang), ex)
    ey = np.where(mp, jump * np.sin(ang), ey)
    acc = np.where(mp, rng.uniform(25, 80, m), acc)
    beat_geom = town.beat_geoms[list(town.beats["beat_id"]).index(offset_beat)]
    in_off = shapely.contains_xy(beat_geom, x, y)
    ox = x + ex + np.where(in_off, cfg.offset_m[0], 0.0)
    oy = y + ey + np.where(in_off, cfg.offset_m[1], 0.0)
    lon, lat = bng_to_lonlat(ox, oy)
    speed_kmh = np.maximum(speed * 3.6 + rng.normal(0, 0.6, m), 0.0)
    heading = np.where(speed > 0.3, np.degrees(np.arctan2(vx, vy)) % 360.0, np.nan)
    collar = officers["collar_no"].to_numpy()[collar_idx]
    order = np.lexsort((collar, t))
    app = pd.DataFrame(
        {
            "collar_no": collar[order],
            "recorded_at": _local_text(t[order], "%Y-%m-%d %H:%M:%S"),
            "latitude": np.round(lat[order], 6),
            "longitude": np.round(lon[order], 6),
            "speed_kmh": np.round(speed_kmh[order], 1),
            "heading": np.round(heading[order], 1),
            "accuracy_m": np.round(acc[order], 1),
        }
    )
    app_t_utc = t[order].astype(np.int64)

    # ---- Airwave radio
    dur = (tr_radio["end_s"] - tr_radio["start_s"]).to_numpy()
    max_n = int(dur.max() / cfg.radio_interval_s[0]) + 2
    gaps = rng.uniform(*cfg.radio_interval_s, (len(tr_radio), max_n))
    offs = np.cumsum(gaps, axis=1) - gaps[:, :1] * rng.uniform(0, 1, (len(tr_radio), 1))
    rows, cols = np.nonzero(offs <= dur[:, None])
    t = np.floor(tr_radio["start_s"].to_numpy()[rows] + offs[rows, cols])
    tid = tr_radio["track"].to_numpy()[rows]
    x, y = true_xy(tid, t)
    tab = spots.table
    treat = np.flatnonzero(tab["role"].to_numpy() == "treatment")
    dead_fence = int(rng.choice(treat))
    st = town.streets
    dead_xy = [(float(tab["cx"].iat[dead_fence]), float(tab["cy"].iat[dead_fence]))]
    for _ in range(2):
        k = int(rng.integers(len(st)))
        dead_xy.append(
            (
                float((st["x0"].iat[k] + st["x1"].iat[k]) / 2),
                float((st["y0"].iat[k] + st["y1"].iat[k]) / 2),
            )
        )
    dead = np.zeros(len(t), bool)
    for dx_, dy_ in dead_xy:
        dead |= np.hypot(x - dx_, y - dy_) <= cfg.dead_spot_radius_m
    ridx = tracks["officer"].to_numpy()[tid]
    keep = ~dead
    t, x, y, ridx = t[keep], x[keep], y[keep], ridx[keep]
    ex = rng.normal(0, cfg.radio_noise_sd_m, len(t))
    ey = rng.normal(0, cfg.radio_noise_sd_m, len(t))
    order = np.lexsort((officers["issi"].to_numpy()[ridx], t))
    radio = pd.DataFrame(
        {
            "issi": officers["issi"].to_numpy()[ridx][order],
            "collar_no": officers["collar_no"].to_numpy()[ridx][order],
            "timestamp": _utc_iso(t[order]),
            "easting": np.round(x + ex)[order].astype(np.int64),
            "northing": np.round(y + ey)[order].astype(np.int64),
        }
    )
    truth = {
        "app_t_utc": app_t_utc,  # removed before writing; used for the weekly extract
        "radio_pings_removed_in_dead_spots": int(dead.sum()),
        "dead_spots": [
            {"x": round(a, 1), "y": round(b, 1), "radius_m": cfg.dead_spot_radius_m}
            for a, b in dead_xy
        ],
        "dead_spot_over_fence": str(tab["fence_id"].iat[dead_fence]),
        "left_running": {
            "collar_no": str(officers["collar_no"].iat[left_running]),
            "shift_end_utc": str(_utc_iso(np.array([lr_from]))[0]),
            "until_utc": str(_utc_iso(np.array([lr_until]))[0]),
            "x": float(station[0]),
            "y": float(station[1]),
            "n_pings": len(t_lr),
            "note": "phone left at the station after the late shift of 2025-10-25; it keeps "
            "pinging while stationary through the repeated 01:00-02:00 hour of 26 Oct",
        },
        "low_power": {
            "collar_no": str(officers["collar_no"].iat[low_power]),
            "late_ping_probability": cfg.low_power_gap_p,
            "late_ping_gap_s": list(cfg.low_power_gap_s),
        },
        "app_pings_in_offset_beat": int(in_off.sum()),
        "app_multipath_jumps": int(mp.sum()),
    }
    return app, radio, truth

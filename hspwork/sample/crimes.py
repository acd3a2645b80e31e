"""Crimes for the sample town: where (street segments), when (offence-specific clocks), what.

Places: each street segment gets a latent crime rate drawn from a heavy-tailed distribution
(many segments get none), higher on the high street and main roads and near the centre, so
that about 1% of segments hold a quarter of the crime and 5% hold half, as Weisburd's law of
crime concentration describes (50% of crime on 2.1-6.0% of segments, 25% on 0.4-1.6%).

Times: every offence group has its own hour-by-weekday profile and seasonal cycle, applied on
the local (Europe/London) clock. Burglary, vehicle crime and criminal damage are known only as a
from-to window, as victims find them after the event.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hspwork.sample._write import bng_to_lonlat, fmt_float
from hspwork.sample.town import CENTRE, TOWN_NAME, Town, lsoa_of

LOCAL_TZ = "Europe/London"
FORCE_NAME = f"{TOWN_NAME} Police"

# (offence group, share of all records, illustrative Home Office style code, police.uk type,
#  clock profile, from-to window length in hours or None for an exact time,
#  multipliers for segment kinds (high street, main road, residential), seasonal peak month)
_OFFENCES = [
    ("Violence with injury", 0.085, "5D", "Violence and sexual offences", "nte", None, (3.0, 1.5, 0.7), 7),
    ("Violence without injury", 0.12, "8L", "Violence and sexual offences", "nte", None, (2.5, 1.4, 0.9), 7),
    ("Robbery", 0.015, "34B", "Robbery", "evening", None, (3.0, 1.5, 0.5), 11),
    ("Residential burglary", 0.06, "28E", "Burglary", "day", (1, 9), (0.1, 0.6, 1.5), 12),
    ("Non-residential burglary", 0.03, "30C", "Burglary", "overnight", (6, 13), (2.0, 1.5, 0.6), 12),
    ("Theft from the person", 0.02, "39", "Theft from the person", "shop", None, (4.0, 1.2, 0.3), 12),
    ("Shoplifting", 0.09, "46", "Shoplifting", "shop", None, (6.0, 1.2, 0.1), 12),
    ("Other theft", 0.08, "49", "Other theft", "daylong", None, (2.0, 1.2, 0.8), 8),
    ("Bicycle theft", 0.025, "44", "Bicycle theft", "daylong", None, (2.5, 1.3, 0.6), 8),
    ("Vehicle crime", 0.12, "45", "Vehicle crime", "overnight", (2, 11), (0.8, 1.2, 1.1), 11),
    ("Criminal damage", 0.12, "58A", "Criminal damage and arson", "overnight", (1, 8), (1.2, 1.1, 1.0), 10),
    ("Arson", 0.01, "56A", "Criminal damage and arson", "evening", None, (0.5, 0.8, 1.2), 11),
    ("Public order", 0.06, "9A", "Public order", "nte", None, (3.0, 1.3, 0.7), 7),
    ("Drugs", 0.03, "92A", "Drugs", "evening", None, (2.5, 1.3, 0.7), 6),
    ("Possession of weapons", 0.01, "10A", "Possession of weapons", "nte", None, (3.0, 1.3, 0.6), 7),
    ("Sexual offences", 0.02, "17A", "Violence and sexual offences", "evening", None, (1.5, 1.0, 1.0), 7),
    ("Anti-social behaviour", 0.105, "ASB", "Anti-social behaviour", "evening", None, (2.0, 1.2, 0.9), 7),
]  # fmt: skip

OFFENCE_GROUPS: tuple[str, ...] = tuple(o[0] for o in _OFFENCES)
"""The 17 offence groups of the force export (names the harm table maps)."""

POLICE_UK_TYPE: dict[str, str] = {o[0]: o[3] for o in _OFFENCES}
"""Offence group -> police.uk "Crime type" (one of the 14 open-data categories)."""

OFFENCE_CODE: dict[str, str] = {o[0]: o[2] for o in _OFFENCES}
WINDOW_OFFENCES: tuple[str, ...] = tuple(o[0] for o in _OFFENCES if o[5] is not None)

_OUTCOMES = np.array(
    [
        "Investigation complete; no suspect identified",
        "Unable to prosecute suspect",
        "Under investigation",
        "Local resolution",
        "Offender given a caution",
        "Awaiting court outcome",
        "Status update unavailable",
    ],
    dtype=object,
)
_OUTCOME_P = np.array([0.42, 0.25, 0.08, 0.07, 0.04, 0.06, 0.08])


def _hour_profile(kind: str) -> np.ndarray:
    """Relative rate for (weekday 0=Mon..6=Sun, local hour 0..23) for a clock profile."""
    h = np.arange(24)
    if kind == "nte":  # night-time economy: late evenings, Friday and Saturday nights
        base = 0.3 + np.exp(-0.5 * ((h - 23.0 + 24 * (h < 12)) / 2.2) ** 2) * 3.0
        base += 0.6 * np.exp(-0.5 * ((h - 16) / 3.0) ** 2)
    elif kind == "day":  # when houses stand empty
        base = 0.15 + 1.5 * np.exp(-0.5 * ((h - 13) / 3.2) ** 2) + 0.5 * (h >= 17) * (h <= 21)
    elif kind == "shop":  # shop hours
        base = np.where((h >= 9) & (h <= 18), 1.0 + np.exp(-0.5 * ((h - 15) / 2.0) ** 2), 0.04)
    elif kind == "overnight":
        base = 0.2 + 1.6 * np.exp(-0.5 * ((h - 1.0 + 24 * (h > 12)) / 3.5) ** 2)
    elif kind == "evening":
        base = 0.2 + 1.8 * np.exp(-0.5 * ((h - 20) / 3.0) ** 2)
    else:  # "daylong"
        base = 0.2 + 1.5 * np.exp(-0.5 * ((h - 14) / 4.0) ** 2)
    prof = np.tile(base, (7, 1)).astype(float)
    if kind in ("nte", "evening"):
        # Friday 20:00 to Saturday 04:00 and Saturday 20:00 to Sunday 04:00
        for d_eve, d_morn in ((4, 5), (5, 6)):
            prof[d_eve, 20:] *= 3.0 if kind == "nte" else 1.6
            prof[d_morn, :5] *= 3.0 if kind == "nte" else 1.6
    elif kind == "shop":
        prof[6] *= np.where((h >= 10) & (h <= 16), 0.7, 0.0)  # Sunday trading hours
        prof[5] *= 1.3
    elif kind == "day":
        prof[5:] *= 0.6  # people are home at weekends
    return prof


@dataclass
class CrimeDraw:
    """Crimes as arrays, before the trial effect is applied."""

    offence: np.ndarray  # object array of offence group names
    segment: np.ndarray  # int index into town.streets
    x: np.ndarray
    y: np.ndarray
    t_true: np.ndarray  # int64 seconds since the Unix epoch, UTC
    t_from: np.ndarray  # int64 UTC seconds (= t_true for exact times)
    t_to: np.ndarray  # int64 UTC seconds, -1 for exact times


def segment_rates(town: Town, rng: np.random.Generator) -> np.ndarray:
    """Latent relative crime rate of each street segment (sums to 1).

    Examples
    --------
    >>> from hspwork.sample.town import build_town
    >>> rng = np.random.default_rng(2)
    >>> w = segment_rates(build_town(rng), rng)
    >>> round(float(w.sum()), 9)
    1.0
    >>> top = np.sort(w)[::-1]
    >>> bool(0.15 < top[: len(w) // 100].sum() < 0.45)  # about a quarter on 1% of segments
    True
    """
    st = town.streets
    mx = (st["x0"].to_numpy() + st["x1"].to_numpy()) / 2
    my = (st["y0"].to_numpy() + st["y1"].to_numpy()) / 2
    d = np.hypot(mx - CENTRE[0], my - CENTRE[1])
    kind = st["kind"].to_numpy()
    kind_mult = np.where(kind == "high street", 4.0, np.where(kind == "main road", 1.8, 1.0))
    w = rng.lognormal(0.0, 1.35, len(st)) * kind_mult * np.exp(-d / 2200.0)
    # many back streets see (almost) no recorded crime in two years
    w[rng.random(len(st)) < 0.30] *= 0.01
    return w / w.sum()


def draw_crimes(
    town: Town,
    rng: np.random.Generator,
    *,
    start_local: str,
    end_local: str,
    crimes_per_year: float,
) -> CrimeDraw:
    """Draw crimes between two local dates (end exclusive), before any trial effect.

    Examples
    --------
    >>> from hspwork.sample.town import build_town
    >>> rng = np.random.default_rng(3)
    >>> town = build_town(rng)
    >>> c = draw_crimes(town, rng, start_local="2024-01-01", end_local="2024-02-01",
    ...                 crimes_per_year=12000)
    >>> 800 < len(c.offence) < 1250
    True
    """
    t0 = pd.Timestamp(start_local).tz_localize(LOCAL_TZ).tz_convert("UTC")
    t1 = pd.Timestamp(end_local).tz_localize(LOCAL_TZ).tz_convert("UTC")
    hours_utc = pd.date_range(t0, t1, freq="h", inclusive="left")
    local = hours_utc.tz_convert(LOCAL_TZ)
    dow, hour = local.day_of_week.to_numpy(), local.hour.to_numpy()
    month_pos = (local.day_of_year.to_numpy() - 1) / 365.25 * 12  # months since 1 January
    n_years = len(hours_utc) / (24 * 365.25)
    hour0 = hours_utc[0].value // 10**9

    base_rate = segment_rates(town, rng)
    st = town.streets
    kind = st["kind"].to_numpy()
    x0, y0 = st["x0"].to_numpy(), st["y0"].to_numpy()
    dx, dy = st["x1"].to_numpy() - x0, st["y1"].to_numpy() - y0
    length = np.hypot(dx, dy)

    parts = []
    for name, share, _code, _puk, clock, window, mult, peak in _OFFENCES:
        n = rng.poisson(share * crimes_per_year * n_years)
        kind_mult = np.select(
            [kind == "high street", kind == "main road"], [mult[0], mult[1]], mult[2]
        )
        p_seg = base_rate * kind_mult
        seg = rng.choice(len(st), size=n, p=p_seg / p_seg.sum())
        season = 1 + 0.18 * np.cos(2 * np.pi * (month_pos - (peak - 0.5)) / 12)
        w_t = _hour_profile(clock)[dow, hour] * season
        hidx = rng.choice(len(w_t), size=n, p=w_t / w_t.sum())
        t_true = hour0 + hidx.astype(np.int64) * 3600 + rng.integers(0, 60, n) * 60
        # place the crime along its segment, a few metres to either side
        u = rng.uniform(0.03, 0.97, n)
        off = np.clip(rng.normal(0, 3.0, n), -8, 8)
        x = x0[seg] + u * dx[seg] - off * dy[seg] / length[seg]
        y = y0[seg] + u * dy[seg] + off * dx[seg] / length[seg]
        if window is None:
            t_from, t_to = t_true, np.full(n, -1, dtype=np.int64)
        else:
            span = rng.integers(window[0] * 12, window[1] * 12 + 1, n) * 300  # 5-min steps
            before = (rng.uniform(0, 1, n) * span // 300).astype(np.int64) * 300
            t_from = (t_true - before) // 300 * 300
            t_from = np.maximum(t_from, t0.value // 10**9)
            t_to = np.maximum(t_from + span, t_true)
        parts.append(
            (np.full(n, name, dtype=object), seg, np.round(x), np.round(y), t_true, t_from, t_to)
        )
    off_, seg_, x_, y_, tt, tf, tto = (np.concatenate(c) for c in zip(*parts))
    order = np.lexsort((y_, x_, tf))  # by reported start time, then place: a stable order
    return CrimeDraw(
        off_[order], seg_[order], x_[order], y_[order], tt[order], tf[order], tto[order]
    )


def _local_text(t_utc_s: np.ndarray, fmt: str) -> np.ndarray:
    ts = pd.to_datetime(np.asarray(t_utc_s, dtype=np.int64), unit="s", utc=True)
    ts = ts.tz_convert(LOCAL_TZ)
    return np.asarray(ts.strftime(fmt), dtype=object)


def force_export(c: CrimeDraw) -> pd.DataFrame:
    """The force's crime export: local clock text, a from-to window where not exact.

    Examples
    --------
    >>> t = int(pd.Timestamp("2025-10-26 00:30", tz="UTC").value // 10**9)
    >>> c = CrimeDraw(np.array(["Robbery", "Vehicle crime"], dtype=object), np.array([0, 1]),
    ...               np.array([518000.0, 518100.0]), np.array([298500.0, 298600.0]),
    ...               np.array([t, t]), np.array([t, t - 3600]), np.array([-1, t + 7200]))
    >>> out = force_export(c)  # 00:30 UTC on 26 Oct 2025 is 01:30 BST, before the change
    >>> out["crime_ref"].tolist(), out["offence_code"].tolist()
    (['SP/25/000001', 'SP/25/000002'], ['34B', '45'])
    >>> out["committed_from"].tolist(), out["committed_to"].tolist()
    (['2025-10-26 01:30', '2025-10-26 00:30'], ['', '2025-10-26 02:30'])
    """
    year = pd.to_datetime(c.t_from, unit="s", utc=True).tz_convert(LOCAL_TZ).year.to_numpy()
    seq = np.arange(1, len(c.offence) + 1)
    ref = [f"SP/{y % 100:02d}/{k:06d}" for y, k in zip(year, seq)]
    to_text = np.where(c.t_to >= 0, _local_text(np.maximum(c.t_to, 0), "%Y-%m-%d %H:%M"), "")
    return pd.DataFrame(
        {
            "crime_ref": ref,
            "offence": c.offence,
            "offence_code": [OFFENCE_CODE[o] for o in c.offence],
            "committed_from": _local_text(c.t_from, "%Y-%m-%d %H:%M"),
            "committed_to": to_text,
            "easting": c.x.astype(np.int64),
            "northing": c.y.astype(np.int64),
        }
    )


def police_uk_export(
    c: CrimeDraw, refs: list[str], town: Town, rng: np.random.Generator, seed: int
) -> tuple[pd.DataFrame, dict]:
    """The same crimes in the open street-level format of data.police.uk.

    Points are snapped to the midpoint of the crime's street segment (the anonymised point),
    about 2% of rows lose their location, anti-social behaviour rows have no Crime ID, and
    the month comes from the local date of the start of the window.

    Examples
    --------
    >>> from hspwork.sample.town import build_town
    >>> rng = np.random.default_rng(4)
    >>> town = build_town(rng)
    >>> c = draw_crimes(town, rng, start_local="2024-03-01", end_local="2024-04-01",
    ...                 crimes_per_year=6000)
    >>> refs = force_export(c)["crime_ref"].tolist()
    >>> puk, info = police_uk_export(c, refs, town, rng, seed=4)
    >>> puk["Month"].unique().tolist()
    ['2024-03']
    >>> bool((puk["Crime ID"] == "").sum() == info["rows_without_crime_id"])
    True
    """
    n = len(c.offence)
    st = town.streets
    mx = ((st["x0"].to_numpy() + st["x1"].to_numpy()) / 2)[c.segment]
    my = ((st["y0"].to_numpy() + st["y1"].to_numpy()) / 2)[c.segment]
    lon, lat = bng_to_lonlat(mx, my)
    code, lname = lsoa_of(mx, my)
    no_loc = rng.random(n) < 0.02
    crime_type = np.array([POLICE_UK_TYPE[o] for o in c.offence], dtype=object)
    is_asb = crime_type == "Anti-social behaviour"
    crime_id = np.array(
        [hashlib.sha256(f"{seed}:{r}".encode()).hexdigest() for r in refs], dtype=object
    )
    crime_id[is_asb] = ""
    outcome = _OUTCOMES[rng.choice(len(_OUTCOMES), size=n, p=_OUTCOME_P)]
    outcome[is_asb] = ""
    location = np.char.add("On or near ", st["name"].to_numpy().astype(str)[c.segment])
    location = location.astype(object)
    lon_s, lat_s = fmt_float(lon, 6), fmt_float(lat, 6)
    for arr in (lon_s, lat_s, code, lname):
        arr[no_loc] = ""
    location[no_loc] = "No location"
    frame = pd.DataFrame(
        {
            "Crime ID": crime_id,
            "Month": _local_text(c.t_from, "%Y-%m"),
            "Reported by": FORCE_NAME,
            "Falls within": FORCE_NAME,
            "Longitude": lon_s,
            "Latitude": lat_s,
            "Location": location,
            "LSOA code": code,
            "LSOA name": lname,
            "Crime type": crime_type,
            "Last outcome category": outcome,
            "Context": "",
        }
    )
    # police.uk files come month by month; keep the crime order within a month
    frame = frame.iloc[np.argsort(frame["Month"].to_numpy(), kind="stable")]
    info = {"rows_without_location": int(no_loc.sum()), "rows_without_crime_id": int(is_asb.sum())}
    return frame.reset_index(drop=True), info

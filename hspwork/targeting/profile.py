"""Profiles of a place: when (hour of day x day of week), what (offence mix) and the monthly
trend, for crime counts or harm.

Times recorded as a from-to window are apportioned across the hours they span (aoristic
analysis, Ratcliffe 2000): a burglary between 10:30 and 11:15 puts 0.67 of itself in the
10 o'clock hour and 0.33 in the 11 o'clock hour. Hours are local wall-clock hours in ``tz``;
the time between is real elapsed time, so clock changes neither add nor remove an hour.

A window says nothing about the hour once it is a day or longer, nor about the weekday once
it is a week or longer: a police.uk record is known only to its month. The hour profile uses
the crimes whose window is at most ``hour_window_minutes`` (a day), the weekday profile those
within ``weekday_window_minutes`` (a week); when fewer than ``min_share`` of the crimes have
such windows the profile is left out and :attr:`PlaceProfile.when_note` says why, so
month-only data never yields a claim such as "peak Sun 00:00-01:00".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from hspwork.crs import align_crs, metres_to_crs_units, require_crs
from hspwork.errors import HspworkError, SchemaError
from hspwork.units import harm_values

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEK_H = 168
_MONDAY = pd.Timestamp("1970-01-05")  # a Monday, for counting hours of the week


def _utc_hours(t: pd.Series) -> np.ndarray:
    """Real elapsed hours since ``_MONDAY`` (UTC) for tz-aware times."""
    utc = pd.DatetimeIndex(t).tz_convert("UTC").tz_localize(None)
    return np.asarray((utc - _MONDAY) / pd.Timedelta(hours=1), dtype=float)


def _offset_hours(u: np.ndarray, tz: str) -> np.ndarray:
    """The UTC offset of ``tz`` (hours) at real hours ``u`` since ``_MONDAY``."""
    utc = _MONDAY + pd.to_timedelta(u, unit="h")
    local = pd.DatetimeIndex(utc).tz_localize("UTC").tz_convert(tz).tz_localize(None)
    return np.asarray((local - utc) / pd.Timedelta(hours=1), dtype=float)


def _transitions(u0: float, u1: float, tz: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clock changes of ``tz`` between real hours u0 and u1: instants, offsets before/after.

    Every zone changes its clock on a quarter hour, so sampling every 15 minutes finds each
    change at its exact instant (a few thousand samples a year).
    """
    if not np.isfinite(u0) or not np.isfinite(u1) or u1 <= u0:
        return np.empty(0), np.empty(0), np.empty(0)
    q = np.arange(np.floor(u0 * 4), np.ceil(u1 * 4) + 1) / 4.0
    off = _offset_hours(q, tz)
    k = np.flatnonzero(off[1:] != off[:-1]) + 1
    return q[k], off[k - 1], off[k]


def aoristic_weights(start, end, tz: str = "Europe/London", chunk: int = 20_000) -> np.ndarray:
    """Share of each crime's window in each of the 168 hours of the week.

    Each real minute of the window is equally likely and counts in the local wall-clock hour
    it fell in: across the spring clock change the hour that never happened gets nothing, and
    in autumn the hour that happened twice gets both.

    Parameters
    ----------
    start, end : Series of tz-aware datetimes
        The window; where ``end`` is missing or not after ``start`` the time is exact and the
        crime counts wholly in its hour.
    tz : str
        Time zone for wall-clock hours.

    Returns
    -------
    ndarray, shape (n, 168)
        Rows sum to 1; column ``24 * day + hour`` with Monday = 0.

    Examples
    --------
    >>> s = pd.Series(pd.to_datetime(["2024-01-01 10:30"], utc=True))   # a Monday
    >>> e = pd.Series(pd.to_datetime(["2024-01-01 11:15"], utc=True))
    >>> w = aoristic_weights(s, e)
    >>> w[0, [10, 11]].round(4).tolist(), float(w.sum())
    ([0.6667, 0.3333], 1.0)

    Across the spring change in London (01:00 GMT -> 02:00 BST on 31 March 2024), 00:30 GMT to
    02:30 BST is one real hour: half in the 00 hour, half in the 02 hour, none in the 01 hour.

    >>> s = pd.Series(pd.to_datetime(["2024-03-31 00:30"], utc=True))
    >>> e = pd.Series(pd.to_datetime(["2024-03-31 01:30"], utc=True))
    >>> aoristic_weights(s, e, tz="Europe/London")[0, [6 * 24, 6 * 24 + 1, 6 * 24 + 2]].tolist()
    [0.5, 0.0, 0.5]
    """
    s_u = _utc_hours(pd.Series(start))
    e_u = _utc_hours(pd.Series(end).fillna(pd.Series(start)))
    s_off = _offset_hours(s_u, tz)
    n = s_u.size
    out = np.zeros((n, _WEEK_H))
    exact = ~(e_u > s_u)  # compared in real time, so a window over the autumn change is not
    idx = np.flatnonzero(exact)
    out[idx, np.floor(s_u[idx] + s_off[idx]).astype(np.int64) % _WEEK_H] = 1.0
    win = np.flatnonzero(~exact)
    if win.size == 0:
        return out
    e_off = _offset_hours(e_u, tz)
    t_at, t_before, t_after = _transitions(s_u[win].min(), e_u[win].max(), tz)
    bins = np.arange(_WEEK_H)[None, :]

    def covered(t):
        # hours of each weekly bin b within [0, t) of local time: whole weeks plus this one
        return np.floor(t / _WEEK_H) + np.clip(np.mod(t, _WEEK_H) - bins, 0.0, 1.0)

    for a in range(0, win.size, chunk):  # bounded memory: chunk x 168 floats at a time
        rows = win[a : a + chunk]
        s = s_u[rows][:, None]
        e = e_u[rows][:, None]
        # the local clock is u + offset; piece by piece between clock changes the real and
        # local hours advance together, so each change inside a window adds the local hour
        # between its two readings back (autumn) or takes it away (spring)
        acc = covered(e + e_off[rows][:, None]) - covered(s + s_off[rows][:, None])
        for t, o1, o2 in zip(t_at, t_before, t_after):  # clock changes: two a year
            inside = ((s < t) & (t <= e)).ravel()  # at e itself the offset is already o2
            if inside.any():
                acc[inside] += covered(np.array([[t + o1]])) - covered(np.array([[t + o2]]))
        out[rows] = acc / (e - s)
    return out


@dataclass
class PlaceProfile:
    """When and what at one place.

    Attributes
    ----------
    heat : DataFrame or None
        7 x 24 (rows Mon..Sun, columns hours 0..23) of aoristic counts or harm, from the crimes
        whose window is at most a day; None when too few are (see ``when_note``).
    weekday : Series or None
        Value per day of the week (Mon..Sun), from the crimes whose window is at most a week;
        None when too few are.
    offence_mix : DataFrame
        ``offence``, ``crimes``, ``harm`` (when available), ``share`` (of the chosen value).
    monthly : Series
        Value per calendar month (local time), months without crime included.
    value : str
    n_crimes : int
    when_note : str
        Why the hour or weekday profile is absent, or which crimes they leave out; "" when
        every crime's time is known to the hour.
    """

    heat: pd.DataFrame | None
    offence_mix: pd.DataFrame
    monthly: pd.Series
    value: str
    n_crimes: int
    name: str = ""
    settings: dict = field(default_factory=dict)
    weekday: pd.Series | None = None
    when_note: str = ""

    def summary(self) -> str:
        """One line: crimes, the peak hour (or busiest day) when the data can tell, the top offence."""
        top = self.offence_mix.iloc[0] if len(self.offence_mix) else None
        text = f"{self.name + ': ' if self.name else ''}{self.n_crimes} crimes"
        if self.n_crimes:
            if self.heat is not None and self.heat.to_numpy().sum() > 0:
                day, hour = np.unravel_index(int(np.argmax(self.heat.to_numpy())), self.heat.shape)
                text += f"; peak {DAYS[day]} {hour:02d}:00-{hour + 1:02d}:00"
            elif self.weekday is not None and self.weekday.sum() > 0:
                text += f"; busiest day {self.weekday.idxmax()}"
            text += f"; most {self.value} from {top['offence']} ({top['share']:.0%})"
            if self.heat is None:
                text += f". {self.when_note}"
        return text

    def plot(self):
        """Heat map (or weekday bars), offence mix and monthly trend as one static Figure.

        The hour-and-day heat map is drawn only when the crimes' times are known to within a
        day, the weekday bars only within a week; otherwise the panel is left out and the
        figure's title says why.
        """
        import matplotlib.pyplot as plt
        import seaborn as sns

        top_panel = self.heat is not None or self.weekday is not None
        fig = plt.figure(figsize=(11, 6 if top_panel else 3.6))
        gs = fig.add_gridspec(
            2 if top_panel else 1, 2, height_ratios=[1.2, 1] if top_panel else [1]
        )
        if self.heat is not None:
            ax0 = fig.add_subplot(gs[0, :])
            sns.heatmap(self.heat, ax=ax0, cmap="Reds", cbar_kws={"label": self.value})
            ax0.set_xlabel("hour of day")
            ax0.set_ylabel("")
            ax0.set_title(f"{self.name} {self.value} by hour and day (aoristic)".strip())
        elif self.weekday is not None:
            ax0 = fig.add_subplot(gs[0, :])
            ax0.bar(list(self.weekday.index), self.weekday.to_numpy(), color="#b2182b")
            ax0.set_ylabel(self.value)
            ax0.set_title(f"{self.name} {self.value} by day of the week (aoristic)".strip())
        if self.heat is None:
            fig.suptitle(_wrap(self.when_note), fontsize=8, y=0.995)
        row = 1 if top_panel else 0
        ax1 = fig.add_subplot(gs[row, 0])
        mix = self.offence_mix.head(8)
        ax1.barh(mix["offence"][::-1], mix["share"][::-1] * 100, color="#b2182b")
        ax1.set_xlabel(f"% of {self.value}")
        ax2 = fig.add_subplot(gs[row, 1])
        ax2.plot(
            self.monthly.index.astype(str), self.monthly.to_numpy(), marker="o", color="#2166ac"
        )
        ax2.set_ylabel(self.value)
        ax2.tick_params(axis="x", rotation=90, labelsize=7)
        fig.tight_layout()
        return fig


def _wrap(text: str, width: int = 120) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def place_profile(
    crimes: gpd.GeoDataFrame,
    place=None,
    *,
    buffer_m: float = 0.0,
    value: str = "crimes",
    tz: str = "Europe/London",
    name: str = "",
    hour_window_minutes: float = 24 * 60,
    weekday_window_minutes: float = 7 * 24 * 60,
    min_share: float = 0.5,
) -> PlaceProfile:
    """Profile the crimes at a place (or all crimes when ``place`` is None).

    Parameters
    ----------
    crimes : GeoDataFrame
        With ``occurred_from``, optional ``occurred_to``, ``offence`` and ``harm``.
    place : GeoDataFrame, GeoSeries or shapely geometry, optional
        The place (a selected place, a fence); a bare geometry is taken in the crimes' CRS.
    buffer_m : float
        Widen the place by this many metres before selecting crimes.
    value : {"crimes", "harm"}
    tz : str
        Local time zone for hours, days and months (e.g. "Europe/London").
    name : str
        Label for titles and the summary.
    hour_window_minutes, weekday_window_minutes : float
        The longest window that still says something about the hour (a day) or the weekday
        (a week). Crimes with longer windows are left out of that profile.
    min_share : float
        The hour (weekday) profile is drawn only when at least this share of the crimes have
        windows that short; otherwise it is None and ``when_note`` says why.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> t0 = pd.to_datetime(["2024-01-01 22:00", "2024-01-06 22:30", "2024-02-03 09:00"], utc=True)
    >>> c = gpd.GeoDataFrame({"occurred_from": t0, "occurred_to": t0 + pd.Timedelta(hours=1),
    ...                       "offence": ["Robbery", "Robbery", "Shoplifting"]},
    ...                      geometry=[Point(1, 1), Point(2, 2), Point(3, 3)], crs=27700)
    >>> p = place_profile(c, box(0, 0, 10, 10))
    >>> float(p.heat.loc["Mon", 22]), float(p.heat.loc["Sat", 22]), float(p.heat.loc["Sat", 23])
    (1.0, 0.5, 0.5)
    >>> p.monthly.tolist(), p.offence_mix["offence"].tolist()
    ([2.0, 1.0], ['Robbery', 'Shoplifting'])

    Known only to the month (as police.uk records are), there is no hour or weekday to show:

    >>> month = pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01"], utc=True)
    >>> m = c.assign(occurred_from=month, occurred_to=month + pd.offsets.MonthBegin(1))
    >>> pm = place_profile(m, box(0, 0, 10, 10))
    >>> pm.heat is None, pm.weekday is None, "peak" in pm.summary()
    (True, True, False)
    >>> pm.when_note
    'No hour-of-day or day-of-week profile: 3 of 3 crimes are known only to a window of a week or more (median 31 days; police.uk records give the month only).'
    """
    if value not in ("crimes", "harm"):
        raise HspworkError(f"value={value!r} is not allowed; use 'crimes' or 'harm'")
    needed = ["occurred_from"] + (["harm"] if value == "harm" else [])
    missing = [c for c in needed if c not in crimes.columns]
    if missing:
        raise SchemaError(f"crimes lacks {missing}; columns are {list(crimes.columns)}")
    crs = require_crs(crimes, "crimes")
    if place is not None:
        if isinstance(place, gpd.GeoDataFrame | gpd.GeoSeries):
            place = align_crs(crimes, place, names=("crimes", "place"))
            geom = (
                place.geometry.union_all()
                if isinstance(place, gpd.GeoDataFrame)
                else place.union_all()
            )
        else:
            geom = place
        if buffer_m:
            geom = geom.buffer(metres_to_crs_units(buffer_m, crs))
        crimes = crimes[crimes.geometry.intersects(geom)]
    weight = np.ones(len(crimes)) if value == "crimes" else harm_values(crimes)
    end = crimes["occurred_to"] if "occurred_to" in crimes.columns else crimes["occurred_from"]
    end = end.fillna(crimes["occurred_from"])
    span_min = np.asarray(
        (pd.DatetimeIndex(end) - pd.DatetimeIndex(crimes["occurred_from"]))
        / pd.Timedelta(minutes=1),
        dtype=float,
    )
    for_hours = span_min <= float(hour_window_minutes)
    for_days = span_min <= float(weekday_window_minutes)
    w = (
        aoristic_weights(crimes["occurred_from"], end, tz=tz)
        if len(crimes)
        else np.zeros((0, _WEEK_H))
    )
    n = len(crimes)
    hours_ok = n == 0 or for_hours.mean() >= min_share
    days_ok = n == 0 or for_days.mean() >= min_share
    heat = weekday = None
    if hours_ok:
        cells = (np.where(for_hours, weight, 0.0)[:, None] * w).sum(axis=0).reshape(7, 24)
        heat = pd.DataFrame(cells, index=list(DAYS), columns=range(24))
    if days_ok:
        days = (np.where(for_days, weight, 0.0)[:, None] * w).sum(axis=0).reshape(7, 24)
        weekday = pd.Series(days.sum(axis=1), index=list(DAYS))
    when_note = _when_note(n, for_hours, for_days, span_min, hours_ok, days_ok)
    offence = (
        crimes["offence"] if "offence" in crimes.columns else pd.Series("all", index=crimes.index)
    )
    mix = pd.DataFrame({"offence": offence.to_numpy(), "crimes": 1, "v": weight})
    agg = {"crimes": ("crimes", "sum"), "v": ("v", "sum")}
    mix = mix.groupby("offence", as_index=False).agg(**agg)
    if "harm" in crimes.columns:
        hm = pd.DataFrame({"offence": offence.to_numpy(), "harm": crimes["harm"].to_numpy(float)})
        mix = mix.merge(hm.groupby("offence", as_index=False)["harm"].sum(), on="offence")
    mix["share"] = mix["v"] / mix["v"].sum() if mix["v"].sum() > 0 else 0.0
    mix = (
        mix.drop(columns="v")
        .sort_values(["share", "offence"], ascending=[False, True])
        .reset_index(drop=True)
    )
    if len(crimes):
        month = (
            pd.DatetimeIndex(crimes["occurred_from"])
            .tz_convert(tz)
            .tz_localize(None)
            .to_period("M")
        )
        monthly = pd.Series(weight, index=month).groupby(level=0).sum()
        monthly = monthly.reindex(
            pd.period_range(month.min(), month.max(), freq="M"), fill_value=0.0
        )
    else:
        monthly = pd.Series(dtype=float)
    return PlaceProfile(
        heat=heat,
        offence_mix=mix,
        monthly=monthly.astype(float),
        value=value,
        n_crimes=len(crimes),
        name=name,
        settings={
            "tz": tz,
            "buffer_m": float(buffer_m),
            "hour_window_minutes": float(hour_window_minutes),
            "weekday_window_minutes": float(weekday_window_minutes),
            "min_share": float(min_share),
            "crimes_in_hours": int(for_hours.sum()),
            "crimes_in_weekdays": int(for_days.sum()),
        },
        weekday=weekday,
        when_note=when_note,
    )


def _when_note(n, for_hours, for_days, span_min, hours_ok, days_ok) -> str:
    """Plain words for what the crimes' time windows allow the profile to show."""
    if n == 0 or (for_hours.all()):
        return ""
    long_h = int((~for_hours).sum())
    long_d = int((~for_days).sum())
    median_days = float(np.median(span_min[~for_hours])) / (24 * 60)
    month_like = median_days >= 27
    source = "; police.uk records give the month only" if month_like else ""
    if not days_ok:
        return (
            f"No hour-of-day or day-of-week profile: {long_d:,} of {n:,} crimes are known only "
            f"to a window of a week or more (median {median_days:.0f} days{source})."
        )
    if not hours_ok:
        text = (
            f"No hour-of-day profile: {long_h:,} of {n:,} crimes are known only to a window of "
            f"a day or more (median {median_days:.1f} days{source})"
        )
        if long_d:
            return (
                text
                + f"; the day-of-week bars leave out the {long_d:,} known only to a week or more."
            )
        return text + "; the day-of-week bars use them all."
    return (
        f"The hour-of-day profile leaves out {long_h:,} of {n:,} crimes known only to a window "
        f"of a day or more{source}."
    )

"""Study windows as local days: given by the programme, or derived from the data and said so.

Every window is half-open, ``[start, end)``, with ``end`` the local day *after* the last day
counted (so a window of 1 Sep 2023 to 31 Aug 2025 is written ``2023-09-01`` .. ``2025-09-01``).
Pages state windows as the local days they cover (:attr:`Window.text`).

Examples
--------
>>> w = Window.from_dates("2023-09-01", "2025-09-01", tz="Europe/London")
>>> w.text
'1 Sep 2023 to 31 Aug 2025'
>>> w.start_utc
Timestamp('2023-08-31 23:00:00+0000', tz='UTC')
>>> w.days
731
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from hspwork.errors import HspworkError

__all__ = ["Window", "last_whole_week", "local_day", "window_text"]


def local_day(when: pd.Timestamp | str, tz: str) -> pd.Timestamp:
    """Local midnight of the day ``when`` falls on (tz-aware, in ``tz``).

    Examples
    --------
    >>> local_day(pd.Timestamp("2025-10-26 00:30", tz="UTC"), "Europe/London")
    Timestamp('2025-10-26 00:00:00+0100', tz='Europe/London')
    """
    stamp = pd.Timestamp(when)
    if stamp.tzinfo is None:
        return stamp.normalize().tz_localize(tz)
    local = stamp.tz_convert(tz)
    return pd.Timestamp(local.date()).tz_localize(tz)


def window_text(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """A half-open window of local days in plain words (the end day is not included).

    Examples
    --------
    >>> window_text(pd.Timestamp("2025-09-01"), pd.Timestamp("2025-11-30"))
    '1 Sep 2025 to 29 Nov 2025'
    >>> window_text(pd.Timestamp("2025-03-30"), pd.Timestamp("2025-03-31"))  # one day
    '30 Mar 2025'
    """
    first, last = pd.Timestamp(start), pd.Timestamp(end) - pd.Timedelta(days=1)
    if first.date() >= last.date():
        return f"{first:%-d %b %Y}"
    return f"{first:%-d %b %Y} to {last:%-d %b %Y}"


@dataclass(frozen=True)
class Window:
    """A window of local days, ``[start, end)``.

    Attributes
    ----------
    start, end : Timestamp
        Local midnights (tz-aware in ``tz``); ``end`` is the day after the last day.
    tz : str
        The programme's time zone.
    note : str
        How it was found: empty when the programme gave it, else the rule that derived it.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    tz: str
    note: str = ""

    @classmethod
    def from_dates(
        cls, start: str | dt.date, end: str | dt.date, *, tz: str, note: str = ""
    ) -> Window:
        """A window from two local dates (``end`` exclusive)."""
        first = pd.Timestamp(str(start)).tz_localize(tz)
        after = pd.Timestamp(str(end)).tz_localize(tz)
        if not first < after:
            raise HspworkError(
                f"a window must end after it starts; got {first:%Y-%m-%d} to {after:%Y-%m-%d} "
                "(the end is the day after the last day counted)"
            )
        return cls(first, after, tz, note)

    @property
    def start_utc(self) -> pd.Timestamp:
        """The start in UTC (nanoseconds), for comparing with the data's times."""
        return self.start.tz_convert("UTC").as_unit("ns")

    @property
    def end_utc(self) -> pd.Timestamp:
        """The end in UTC (nanoseconds)."""
        return self.end.tz_convert("UTC").as_unit("ns")

    @property
    def days(self) -> int:
        """Local days covered."""
        return (self.end.date() - self.start.date()).days

    @property
    def text(self) -> str:
        """The local days covered in plain words: '1 Sep 2023 to 31 Aug 2025'."""
        return window_text(self.start.tz_localize(None), self.end.tz_localize(None))

    def contains(self, times: pd.Series) -> pd.Series:
        """Which tz-aware times fall inside the window (a boolean Series)."""
        return (times >= self.start_utc) & (times < self.end_utc)

    def keep(self, frame: pd.DataFrame, column: str, *, what: str, fix: str) -> pd.DataFrame:
        """The rows of ``frame`` whose ``column`` falls in the window; refuses when none do.

        ``what`` names the rows ("crimes") and ``fix`` what to change, for the error.

        Examples
        --------
        >>> w = Window.from_dates("2025-01-01", "2025-02-01", tz="Europe/London")
        >>> f = pd.DataFrame({"t": pd.to_datetime(["2025-01-05", "2025-03-01"], utc=True)})
        >>> len(w.keep(f, "t", what="crimes", fix="set targeting_start"))
        1
        """
        inside = frame[self.contains(frame[column]).to_numpy()].copy()
        if inside.empty:
            raise HspworkError(f"no {what} in the window ({self.text}); {fix}")
        return inside

    @classmethod
    def derive(
        cls,
        times: pd.Series,
        *,
        tz: str,
        start: str | None = None,
        end: str | None = None,
        what: str = "the data",
        ends: pd.Series | None = None,
    ) -> Window:
        """A window from the dates given, the missing ends taken from the data's span.

        Parameters
        ----------
        times : Series
            tz-aware times of the data (e.g. crimes' ``occurred_from``).
        tz : str
            The programme's time zone.
        start, end : str, optional
            Local dates (``end`` exclusive); missing ones come from the data: the first local
            day with data, and the day after the last.
        what : str
            What the data are, for the note.
        ends : Series, optional
            The exclusive ends of each row's time window (crimes' ``occurred_to``): a
            police.uk month runs to the next month's start, so the data end with that month.

        Examples
        --------
        >>> t = pd.Series(pd.to_datetime(["2024-01-03 10:00", "2024-03-30 23:30"], utc=True))
        >>> w = Window.derive(t, tz="Europe/London", what="the crimes")
        >>> w.text, w.note
        ('3 Jan 2024 to 30 Mar 2024', "derived: the crimes' span")
        >>> months = pd.Series(pd.to_datetime(["2024-01-01", "2024-03-01"]).tz_localize("Europe/London"))
        >>> Window.derive(months, tz="Europe/London", ends=months + pd.DateOffset(months=1)).text
        '1 Jan 2024 to 31 Mar 2024'
        """
        valid = times.dropna()
        missing = [name for name, value in (("start", start), ("end", end)) if value is None]
        if missing and valid.empty:
            raise HspworkError(
                f"the window's {' and '.join(missing)} must be given: {what} hold no dated rows "
                "to derive it from"
            )
        first = start if start is not None else local_day(valid.min(), tz).date()
        last = valid.max() if len(valid) else None
        if ends is not None and len(valid):
            # A window [from, to) with to > from last covers the instant just before ``to``.
            stop = ends.reindex(valid.index)
            inner = stop.where(stop > valid) - pd.Timedelta(1, "ns")
            if inner.notna().any():
                last = max(last, inner.max())
        # The next calendar day (24 hours after local midnight is still the same day when the
        # clocks go back).
        after = end if end is not None else local_day(last, tz).date() + dt.timedelta(days=1)
        note = ""
        if missing:
            parts = {"start": "start", "end": "end"}
            which = " and ".join(parts[m] for m in missing)
            note = f"derived: {what}' span" if len(missing) == 2 else f"{which} derived from {what}"
        return cls.from_dates(first, after, tz=tz, note=note)


def last_whole_week(times: pd.Series, tz: str) -> dt.date:
    """The Monday of the last whole local week (Monday to Sunday) the times cover.

    Examples
    --------
    >>> t = pd.Series(pd.date_range("2025-10-01", "2025-10-29", freq="h", tz="UTC"))
    >>> last_whole_week(t, "Europe/London")
    datetime.date(2025, 10, 20)
    """
    valid = times.dropna()
    if valid.empty:
        raise HspworkError("no dated rows to find a whole week in; give week_start")
    first = local_day(valid.min(), tz).date()
    after = local_day(valid.max(), tz).date() + dt.timedelta(days=1)
    # The last Monday whose week (7 days) ends on or before the day after the data end.
    monday = after - dt.timedelta(days=7)
    monday -= dt.timedelta(days=monday.weekday())
    if monday < first:
        raise HspworkError(
            f"the data ({first} to {after - dt.timedelta(days=1)}) hold no whole Monday-to-Sunday "
            "week; give week_start"
        )
    return monday

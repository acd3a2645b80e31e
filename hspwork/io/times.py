"""Times from the text forces write, to tz-aware UTC; one impossible value costs its row alone.

Each value is judged on its own: text ending in a zone (``Z``, ``+01``, ``+01:00``, ``-0500``)
is that instant; other text is a local clock time in ``tz=``. A value that cannot be read, or
lies before 1900 or from 2200 on (placeholders such as ``9999-12-31``, which pandas cannot hold
in nanoseconds), is dropped with its own reason instead of failing the file.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from hspwork.errors import SchemaError
from hspwork.report import RowLedger

#: Times outside [EARLIEST, LATEST) are taken as placeholders, not as when something happened.
EARLIEST = pd.Timestamp("1900-01-01")
LATEST = pd.Timestamp("2200-01-01")
OUT_OF_RANGE = "date/time out of range (before 1900 or from 2200)"
UNREADABLE = "unreadable date/time"

# A zone after a clock time: Z, +01, +0100, +01:00 (never the "-01" that ends a bare date).
_ZONE_RE = re.compile(r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)\s*$", re.I)

_DAY_FIRST = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
)


def to_datetime_safe(values: pd.Series, fmt: str, utc: bool) -> pd.Series:
    """``pd.to_datetime`` that never raises: a value it cannot place becomes NaT.

    The vectorised call handles almost every file; when it raises (a value out of pandas'
    range, a stray zone among naive times) the values are parsed one by one.
    """
    try:
        return pd.to_datetime(values, format=fmt, errors="coerce", utc=utc)
    except (ValueError, TypeError, OverflowError):
        out = []
        for v in values:
            try:
                t = pd.to_datetime(v, format=fmt, errors="coerce", utc=utc)
            except (ValueError, TypeError, OverflowError):
                t = pd.NaT
            if not utc and getattr(t, "tzinfo", None) is not None:
                t = t.tz_convert("UTC").tz_localize(None)
            out.append(t)
        return pd.Series(pd.DatetimeIndex(out, tz="UTC" if utc else None), index=values.index)


def _naive_utc(times: pd.Series) -> pd.Series:
    if getattr(times.dt, "tz", None) is not None:
        return times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times


def in_range(times: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Times as datetime64[ns]; values outside [EARLIEST, LATEST) become NaT and are marked."""
    t = times.astype("datetime64[us]") if times.dtype != "datetime64[ns]" else times
    out = t.notna().to_numpy() & ~((t >= EARLIEST) & (t < LATEST)).to_numpy()
    t = t.where(~out)
    return t.astype("datetime64[ns]"), out


def parse_times(
    values: pd.Series, *, dayfirst: bool = True
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Parse times to naive datetimes; unreadable or out-of-range values become NaT.

    Returns ``(times, zoned, out_of_range)``. ``zoned`` marks rows whose value carried a zone:
    their time is already UTC wall time. Other rows are clock time in an unknown zone, for
    :func:`to_utc` to place with ``tz=``. A tz-aware datetime column is zoned throughout; a
    naive datetime column is local clock time.

    Examples
    --------
    >>> t, zoned, out = parse_times(pd.Series(["2025-03-01 10:00+01", "2025-03-01 10:00",
    ...                                        "9999-12-31", "soon", ""]))
    >>> [str(v) for v in t], zoned.tolist(), out.tolist()
    (['2025-03-01 09:00:00', '2025-03-01 10:00:00', 'NaT', 'NaT', 'NaT'], [True, False, False, False, False], [False, False, True, False, False])
    """
    n = len(values)
    if pd.api.types.is_datetime64_any_dtype(values):
        zoned = np.full(n, getattr(values.dt, "tz", None) is not None)
        t, out = in_range(_naive_utc(values))
        return t, zoned, out
    s = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    codes, uniq = pd.factorize(s, sort=False)
    u = pd.Series(np.asarray(uniq, dtype=object), dtype=object)
    nonempty = (u != "").to_numpy()
    u_zoned = nonempty & u.str.contains(_ZONE_RE).to_numpy()
    u_naive = nonempty & ~u_zoned
    parsed = pd.Series(pd.NaT, index=u.index, dtype="datetime64[us]")
    if u_zoned.any():
        z = _naive_utc(to_datetime_safe(u[u_zoned], "ISO8601", utc=True))
        parsed[u_zoned] = z.astype("datetime64[us]")
    if u_naive.any():
        got = to_datetime_safe(u[u_naive], "ISO8601", utc=False)
        if getattr(got.dt, "tz", None) is not None:  # a zone the pattern did not catch
            got = _naive_utc(got)
            u_zoned, u_naive = u_zoned | u_naive, np.zeros_like(u_naive)
        parsed[got.index] = got.astype("datetime64[us]")
    todo = parsed.isna().to_numpy() & u_naive
    for fmt in _DAY_FIRST if dayfirst else ():
        if not todo.any():
            break
        # UK exports often write day first: 26/10/2025 01:30:00.
        parsed[todo] = to_datetime_safe(u[todo], fmt, utc=False).astype("datetime64[us]")
        todo = parsed.isna().to_numpy() & u_naive
    t_u, out_u = in_range(parsed)
    times = pd.Series(t_u.to_numpy()[codes], index=values.index)
    return times, u_zoned[codes], out_u[codes]


def is_empty(values: pd.Series) -> np.ndarray:
    """Rows with no time at all (blank text, or NaT in a datetime column)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.isna().to_numpy()
    return (
        values.astype(object).where(values.notna(), "").astype(str).str.strip() == ""
    ).to_numpy()


def ambiguous_as_dst(local: pd.Series, tz: str, groups: pd.Series | None) -> np.ndarray:
    """For each row, whether an ambiguous local time is read as summer time (the first pass).

    In the October change the hour 01:00-02:00 happens twice. A device records it twice in
    order, so within each device (``groups``) and day, the rows before the clock runs backwards
    are summer time and the rows after it are winter time. Rows that cannot be ordered (no
    device, or a single pass) are read as summer time.
    """
    idx = pd.DatetimeIndex(local)
    as_dst = idx.tz_localize(tz, ambiguous=np.ones(len(idx), bool), nonexistent="NaT")
    as_std = idx.tz_localize(tz, ambiguous=np.zeros(len(idx), bool), nonexistent="NaT")
    amb = np.asarray((as_dst != as_std) & ~pd.isna(as_dst))
    flags = np.ones(len(idx), dtype=bool)
    if not amb.any():
        return flags
    sub = pd.DataFrame(
        {
            "g": (groups.to_numpy()[amb] if groups is not None else np.zeros(amb.sum())),
            "d": idx[amb].normalize(),
            "t": idx[amb],
        }
    )
    prev = sub.groupby(["g", "d"], sort=False)["t"].shift()
    went_back = (sub["t"] < prev).fillna(False)
    after = went_back.groupby([sub["g"], sub["d"]], sort=False).cummax()
    flags[np.flatnonzero(amb)] = ~after.to_numpy()
    return flags


def to_utc(
    times: pd.Series,
    tz: str | None,
    ledger: RowLedger,
    what: str,
    groups: pd.Series | None = None,
    zoned: np.ndarray | None = None,
) -> pd.Series:
    """Return UTC times. Rows marked ``zoned`` are UTC already; the rest are local clock
    times that need ``tz``. Nonexistent local times are dropped."""
    if getattr(times.dt, "tz", None) is not None:
        return times.dt.tz_convert("UTC")
    valid = times.notna().to_numpy()
    zoned = np.zeros(len(times), dtype=bool) if zoned is None else np.asarray(zoned, dtype=bool)
    local = valid & ~zoned
    out = pd.Series(pd.NaT, index=times.index, dtype="datetime64[ns, UTC]")
    if (valid & zoned).any():
        out[valid & zoned] = times[valid & zoned].dt.tz_localize("UTC")
    if not local.any():
        return out
    if tz is None:
        raise SchemaError(
            f"{ledger.source}: {what} times have no time zone (e.g. {times[local].iloc[0]}). "
            "UK exports are usually local clock time: pass tz='Europe/London' (or tz='UTC' if "
            "the export is in UTC)."
        )
    sub = times[local]
    dst = ambiguous_as_dst(sub, tz, None if groups is None else groups[local])
    localised = pd.DatetimeIndex(sub).tz_localize(tz, ambiguous=dst, nonexistent="NaT")
    skipped = np.zeros(len(times), dtype=bool)
    skipped[np.flatnonzero(local)[pd.isna(localised)]] = True
    if skipped.any():
        ledger.drop(skipped, f"{what} time that does not exist locally (spring clock change)")
    out[local] = localised.tz_convert("UTC")
    return out

"""Read crimes and officer pings from the files analysts actually have; lose no row silently.

Every loader returns a frame whose ``attrs["load_report"]`` is a
:class:`~hspwork.report.LoadReport`: rows read = rows kept + rows dropped, by reason. A
:class:`~hspwork.errors.DataDroppedWarning` summarises any drops. A file that cannot be read at
all raises an :class:`~hspwork.errors.HspworkError` that names what is wrong and how to fix it.

Formats
-------
* Crimes: the open police.uk street-level CSV (month only, anonymised points, rows without a
  location, anti-social behaviour rows without a Crime ID), force exports (a timestamp or a
  from-to window, an offence, easting/northing or longitude/latitude), GeoParquet, and any
  vector file pyogrio reads.
* Pings: phone app, Airwave radio, vehicle (AVL) and handheld GPS exports as CSV or Parquet,
  with column names recognised from common spellings or mapped with ``columns=``.

Time windows are half-open: a crime in ``[occurred_from, occurred_to)``, with
``occurred_from == occurred_to`` for an exact time. Times are tz-aware UTC. Local clock times
need ``tz=`` (UK exports: ``tz="Europe/London"``); across the October clock change a repeated
local hour is resolved from each device's order of records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from hspwork import crs as crs_policy
from hspwork.errors import CRSError, HspworkError, SchemaError
from hspwork.harm import harm_weights
from hspwork.report import RowLedger

__all__ = ["PING_SOURCES", "read_crimes", "read_pings", "read_table"]

PING_SOURCES = ("app", "radio", "vehicle", "handheld")

POLICE_UK_COLUMNS = ("Crime ID", "Month", "Longitude", "Latitude", "Crime type")

_CRIME_ALIASES: dict[str, tuple[str, ...]] = {
    "crime_id": (
        "crime_id",
        "crime_ref",
        "crime_reference",
        "reference",
        "ref",
        "urn",
        "crime_no",
        "crime_number",
        "occurrence_id",
        "incident_id",
        "id",
    ),
    "offence": (
        "offence",
        "offence_group",
        "offence_type",
        "crime_type",
        "offence_description",
        "offence_desc",
        "category",
        "crime_category",
    ),
    "occurred_from": (
        "occurred_from",
        "committed_from",
        "date_from",
        "from_date",
        "from",
        "start",
        "first_committed",
        "occurred_start",
        "from_datetime",
    ),
    "occurred_to": (
        "occurred_to",
        "committed_to",
        "date_to",
        "to_date",
        "to",
        "end",
        "last_committed",
        "occurred_end",
        "to_datetime",
    ),
    "occurred": (
        "occurred",
        "occurred_at",
        "datetime",
        "date_time",
        "timestamp",
        "committed",
        "offence_date",
        "date",
    ),
    "x": ("easting", "eastings", "x", "x_coordinate", "grid_x", "x_coord"),
    "y": ("northing", "northings", "y", "y_coordinate", "grid_y", "y_coord"),
    "lon": ("longitude", "lon", "lng", "long"),
    "lat": ("latitude", "lat"),
}

_PING_ALIASES: dict[str, tuple[str, ...]] = {
    "officer": (
        "officer",
        "collar_no",
        "collar_number",
        "collar",
        "officer_id",
        "user",
        "user_id",
        "staff_id",
        "warrant_no",
        "callsign",
        "device_id",
        "issi",
    ),
    "time": (
        "time",
        "timestamp",
        "recorded_at",
        "datetime",
        "date_time",
        "gps_time",
        "fix_time",
        "time_utc",
        "timestamp_utc",
    ),
    "date": ("date",),
    "clock": ("clock", "time_of_day", "hhmmss"),
    "x": ("easting", "eastings", "x", "x_coordinate"),
    "y": ("northing", "northings", "y", "y_coordinate"),
    "lon": ("longitude", "lon", "lng", "long"),
    "lat": ("latitude", "lat"),
    "speed_mps": ("speed_mps", "speed_ms", "speed_m_s"),
    "speed_kmh": ("speed_kmh", "speed_kph", "speed_km_h"),
    "speed_mph": ("speed_mph",),
    "speed": ("speed",),
    "heading_deg": ("heading_deg", "heading", "direction", "bearing", "course"),
    "accuracy_m": ("accuracy_m", "accuracy", "horizontal_accuracy", "h_accuracy", "hacc"),
}

# A generous extent of the British National Grid's valid area, metres.
_BNG_EXTENT = (-100_000.0, -100_000.0, 800_000.0, 1_400_000.0)

_AWARE_RE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})\s*$")


# --------------------------------------------------------------------------------------------
# Reading a file into a table of text
# --------------------------------------------------------------------------------------------


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (or Parquet) file as text columns, tolerating the encodings forces use.

    UTF-8 (with or without a byte-order mark) is tried first, then Windows-1252. Quoted fields
    may hold commas and line breaks. Every value is kept as text (Parquet columns keep their
    types) so that the loaders can count what they cannot parse instead of guessing.

    Raises
    ------
    HspworkError
        When the file is missing, empty (no header), or not a table.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w", encoding="utf-8-sig").write('a,b\\n1,"x, y"\\n')
    >>> read_table(p).to_dict("records")
    [{'a': '1', 'b': 'x, y'}]
    """
    path = Path(path)
    if not path.exists():
        raise HspworkError(f"{path} does not exist")
    if path.is_dir():
        raise HspworkError(f"{path} is a folder; give the path of one file")
    if path.stat().st_size == 0:
        raise HspworkError(f"{path} is empty (0 bytes): there is no header row to read")
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except Exception as err:  # pyarrow raises several error classes for a bad file
            raise HspworkError(f"{path} could not be read as Parquet: {err}") from err
    last_error: Exception | None = None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding=encoding, skipinitialspace=True
            )
        except UnicodeDecodeError as err:
            last_error = err
            continue
        except pd.errors.EmptyDataError as err:
            raise HspworkError(f"{path} has no header row: is it a CSV export?") from err
        except pd.errors.ParserError as err:
            raise HspworkError(
                f"{path} is not a well-formed CSV ({err}); check the delimiter and the quoting"
            ) from err
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame
    raise HspworkError(f"{path} is neither UTF-8 nor Windows-1252 text: {last_error}")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _resolve(
    columns: list[str],
    aliases: dict[str, tuple[str, ...]],
    mapping: Mapping[str, str] | None,
) -> dict[str, str]:
    """Map canonical names to the input's columns: the user's mapping first, then aliases."""
    found: dict[str, str] = {}
    if mapping:
        for theirs, ours in mapping.items():
            if theirs not in columns:
                raise SchemaError(
                    f"columns= maps {theirs!r}, which is not in the file; found {columns}"
                )
            found[ours] = theirs
    by_norm = {}
    for c in columns:
        by_norm.setdefault(_norm(c), c)
    used = set(found.values())
    for canonical, names in aliases.items():
        if canonical in found:
            continue
        for n in names:
            actual = by_norm.get(n)
            if actual is not None and actual not in used:
                found[canonical] = actual
                used.add(actual)
                break
    return found


def _text(frame: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    s = frame[column]
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        return s.fillna("").astype(str).str.strip()
    return s.astype(str).where(s.notna(), "")


# --------------------------------------------------------------------------------------------
# Times
# --------------------------------------------------------------------------------------------


def _parse_times(text: pd.Series, *, dayfirst: bool = True) -> tuple[pd.Series, np.ndarray]:
    """Parse text to naive datetimes; unreadable values become NaT.

    Returns ``(times, zoned)``. ``zoned`` marks rows whose text carried a zone (``Z`` or an
    offset): their time is already UTC wall time. Other rows are clock time in an unknown
    zone, for :func:`_to_utc` to place with ``tz=``. Each row is judged on its own, so a file
    mixing zoned and local times reads both correctly. A datetime column is returned as it is.
    """
    if pd.api.types.is_datetime64_any_dtype(text):
        return text, np.zeros(len(text), dtype=bool)
    s = text.astype(str).str.strip()
    nonempty = s != ""
    zoned = (nonempty & s.str.contains(_AWARE_RE)).to_numpy()
    naive = nonempty.to_numpy() & ~zoned
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if zoned.any():
        utc = pd.to_datetime(s[zoned], format="ISO8601", errors="coerce", utc=True)
        out[zoned] = utc.dt.tz_localize(None).astype("datetime64[ns]")
    if naive.any():
        out[naive] = pd.to_datetime(s[naive], format="ISO8601", errors="coerce").astype(
            "datetime64[ns]"
        )
    todo = out.isna().to_numpy() & naive
    if todo.any():
        # UK exports often write day first: 26/10/2025 01:30:00.
        for fmt in (
            "%d/%m/%Y %H:%M:%S",
            "%d/%m/%Y %H:%M",
            "%d/%m/%Y",
            "%d-%m-%Y %H:%M:%S",
            "%d-%m-%Y %H:%M",
        ):
            if not dayfirst or not todo.any():
                break
            out[todo] = pd.to_datetime(s[todo], format=fmt, errors="coerce").astype(
                "datetime64[ns]"
            )
            todo = out.isna().to_numpy() & naive
    return out, zoned


def _ambiguous_as_dst(local: pd.Series, tz: str, groups: pd.Series | None) -> np.ndarray:
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


def _to_utc(
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
    dst = _ambiguous_as_dst(sub, tz, None if groups is None else groups[local])
    localised = pd.DatetimeIndex(sub).tz_localize(tz, ambiguous=dst, nonexistent="NaT")
    skipped = np.zeros(len(times), dtype=bool)
    skipped[np.flatnonzero(local)[pd.isna(localised)]] = True
    if skipped.any():
        ledger.drop(skipped, f"{what} time that does not exist locally (spring clock change)")
    out[local] = localised.tz_convert("UTC")
    return out


# --------------------------------------------------------------------------------------------
# Coordinates
# --------------------------------------------------------------------------------------------


def _blank(values: pd.Series) -> pd.Series:
    """Missing or empty cells (numeric columns: NaN)."""
    if pd.api.types.is_numeric_dtype(values):
        return values.isna()
    text = values.fillna("").astype(str).str.strip()
    return (text == "") | (text.str.lower() == "nan")


def _numbers(text: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(text):
        return text.astype(float)
    return pd.to_numeric(
        text.astype(str).str.strip().str.replace(",", "", regex=False), errors="coerce"
    )


def _coordinates(
    frame: pd.DataFrame,
    cols: dict[str, str],
    ledger: RowLedger,
    crs: CRS | str | int | None,
    target_crs: CRS | str | int | None,
):
    """Parse x/y or lon/lat columns to metric arrays, dropping unusable rows with a reason."""
    use_ll = "lon" in cols and "lat" in cols
    # Grid columns need a declared CRS; without one, longitude/latitude (which say what they
    # are) are used when the file has them too.
    use_xy = "x" in cols and "y" in cols and (crs is not None or not use_ll)
    if not (use_xy or use_ll):
        raise SchemaError(
            f"{ledger.source}: no location columns (easting/northing or longitude/latitude); "
            f"found {list(frame.columns)}. Map yours with columns={{'Your X': 'x', 'Your Y': 'y'}}"
        )
    if use_xy and not use_ll and crs is None:
        raise CRSError(
            f"{ledger.source}: coordinates in columns {cols['x']!r}/{cols['y']!r} have no declared "
            "CRS. Pass crs='EPSG:27700' for British National Grid eastings/northings (or the "
            "EPSG code of your export)."
        )
    kx, ky = ("x", "y") if use_xy else ("lon", "lat")
    vx, vy = _numbers(frame[cols[kx]]), _numbers(frame[cols[ky]])
    empty = _blank(frame[cols[kx]]) | _blank(frame[cols[ky]])
    ledger.drop(empty.to_numpy(), "no location")
    ledger.drop((vx.isna() | vy.isna()).to_numpy(), "non-numeric coordinates")
    ledger.drop(((vx == 0) & (vy == 0)).to_numpy(), "zero coordinates (0, 0)")
    if use_xy:
        src = CRS.from_user_input(crs)
        if src.is_geographic:
            bad = ~vx.between(-180, 180) | ~vy.between(-90, 90)
        elif src.equals(crs_policy.BNG):
            x0, y0, x1, y1 = _BNG_EXTENT
            bad = ~vx.between(x0, x1) | ~vy.between(y0, y1)
        else:
            bad = ~np.isfinite(vx) | ~np.isfinite(vy)
    else:
        src = crs_policy.WGS84
        bad = ~vx.between(-180, 180) | ~vy.between(-90, 90)
    ledger.drop(bad.to_numpy(), "coordinates out of range")
    keep = ledger.keep
    x = vx.to_numpy(dtype=float)
    y = vy.to_numpy(dtype=float)
    if src.is_geographic:
        if target_crs is None and not keep.any():
            # Nothing located: no place to choose a metric CRS from; the empty result stays
            # in longitude/latitude.
            return x, y, src
        px, py, out_crs = crs_policy.lonlat_to_metric(
            np.where(keep, x, np.nan), np.where(keep, y, np.nan), target_crs
        )
        return px, py, out_crs
    if target_crs is not None and not CRS.from_user_input(target_crs).equals(src):
        from pyproj import Transformer

        tr = Transformer.from_crs(src, CRS.from_user_input(target_crs), always_xy=True)
        px, py = tr.transform(x, y)
        return np.asarray(px), np.asarray(py), CRS.from_user_input(target_crs)
    return x, y, src


def _drop_outside(x, y, area, crs, ledger: RowLedger, reason: str) -> None:
    """Drop kept rows whose point lies outside ``area`` (a polygon frame or geometry)."""
    if area is None:
        return
    import shapely

    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        area = crs_policy.to_metric(area, "area")
        if not CRS.from_user_input(area.crs).equals(crs):
            area = area.to_crs(crs)
        geom = shapely.union_all(np.asarray(area.geometry))
    else:
        geom = area
    inside = np.zeros(len(x), dtype=bool)
    k = ledger.keep
    inside[k] = shapely.contains_xy(geom, x[k], y[k])
    ledger.drop(~inside, reason)


def _finish(frame: pd.DataFrame, ledger: RowLedger, warn: bool) -> pd.DataFrame:
    report = ledger.report()
    frame.attrs["load_report"] = report
    if warn:
        report.warn(stacklevel=4)
    return frame


def _check_zone_and_crs(tz, crs, to_crs):
    """Check the ``tz``, ``crs`` and ``to_crs`` arguments before any work, naming a bad one."""
    if tz is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError):
            raise HspworkError(
                f"tz={tz!r} is not a time zone; give an IANA name such as 'Europe/London' or 'UTC'"
            ) from None
    checked = []
    for name, value in (("crs", crs), ("to_crs", to_crs)):
        if value is None:
            checked.append(None)
            continue
        try:
            checked.append(CRS.from_user_input(value))
        except Exception:  # pyproj raises its own CRSError
            raise CRSError(
                f"{name}={value!r} is not a CRS pyproj knows; give an EPSG code such as "
                "'EPSG:27700' (British National Grid) or 'EPSG:4326' (longitude/latitude)"
            ) from None
    return tz, checked[0], checked[1]


# --------------------------------------------------------------------------------------------
# Crimes
# --------------------------------------------------------------------------------------------


def read_crimes(
    path: str | Path | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    tz: str | None = None,
    crs: CRS | str | int | None = None,
    to_crs: CRS | str | int | None = None,
    harm: str | Path | pd.DataFrame | None = None,
    harm_default: float | None = None,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    layer: str | None = None,
    warn: bool = True,
) -> gpd.GeoDataFrame:
    """Read recorded crimes into a GeoDataFrame of points in metres, accounting for every row.

    Parameters
    ----------
    path : str, Path or DataFrame
        A police.uk street-level CSV, a force export (CSV or Parquet), GeoParquet, or any vector
        file pyogrio reads (GeoPackage, GeoJSON, shapefile). A DataFrame is read like a CSV.
    columns : mapping, optional
        ``{"Their column": "our name"}`` where our names are ``crime_id``, ``offence``,
        ``occurred`` (one timestamp), ``occurred_from``, ``occurred_to``, ``x``, ``y``, ``lon``,
        ``lat``. Common spellings (Easting, Committed From, Crime Ref...) are recognised.
    tz : str, optional
        Time zone of local clock times in the file, e.g. ``"Europe/London"``. Required when the
        times carry no offset; police.uk months are read in Europe/London unless given.
    crs : CRS-like, optional
        CRS of easting/northing columns (``"EPSG:27700"`` for British National Grid); needed for
        x/y columns, not for longitude/latitude.
    to_crs : CRS-like, optional
        Output CRS; default: projected input stays, lon/lat goes to the hspwork metric policy.
    harm : str, path or DataFrame, optional
        A harm table (see :func:`hspwork.harm.harm_table`); adds a ``harm`` column in days.
    harm_default : float, optional
        Weight for offences missing from the harm table (otherwise an error lists them).
    area : GeoDataFrame, optional
        Study area; crimes outside it are dropped as "outside the study area".
    layer : str, optional
        Layer of a multi-layer vector file.
    warn : bool
        Issue a DataDroppedWarning summarising drops.

    Returns
    -------
    geopandas.GeoDataFrame
        ``crime_id``, ``offence``, ``occurred_from``, ``occurred_to`` (UTC, half-open window),
        optional ``harm``, other input columns, point ``geometry``; ``attrs["load_report"]``.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({
    ...     "Crime Ref": ["A1", "A2", "A3"],
    ...     "Offence": ["Robbery", "Shoplifting", "Robbery"],
    ...     "Committed From": ["2025-03-01 10:00", "2025-03-01 11:00", "bad"],
    ...     "Easting": ["530000", "530100", "530200"],
    ...     "Northing": ["180000", "180100", ""],
    ... })
    >>> crimes = read_crimes(raw, tz="Europe/London", crs="EPSG:27700", harm="cambridge", warn=False)
    >>> crimes.attrs["load_report"].summary()
    'table: read 3 rows, kept 2, dropped 1 (unreadable date/time: 1)'
    >>> crimes["harm"].tolist(), str(crimes["occurred_from"].iloc[0])
    ([365.0, 1.0], '2025-03-01 10:00:00+00:00')
    """
    tz, crs, to_crs = _check_zone_and_crs(tz, crs, to_crs)
    source = "table" if isinstance(path, pd.DataFrame) else str(path)
    if isinstance(path, pd.DataFrame):
        raw = path.reset_index(drop=True)
        geo = isinstance(path, gpd.GeoDataFrame)
    else:
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix in (".csv", ".txt", ".tsv"):
            raw, geo = read_table(p), False
        elif suffix in (".parquet", ".pq"):
            raw = _read_parquet_maybe_geo(p)
            geo = isinstance(raw, gpd.GeoDataFrame)
        else:
            raw, geo = _read_vector(p, layer), True
    ledger = RowLedger(len(raw), source)
    if not geo and set(POLICE_UK_COLUMNS) <= set(raw.columns):
        out = _police_uk(raw, ledger, tz or "Europe/London", to_crs)
    else:
        out = _force_export(raw, ledger, columns, tz, crs, to_crs, geo)
    out_crs = CRS.from_user_input(out.crs)
    x = out.geometry.x.to_numpy() if len(out) else np.array([])
    y = out.geometry.y.to_numpy() if len(out) else np.array([])
    _drop_outside(x, y, area, out_crs, ledger, "outside the study area")
    out = out.loc[ledger.keep].reset_index(drop=True)
    if harm is not None:
        out.insert(4, "harm", harm_weights(out["offence"], harm, default=harm_default))
    return _finish(out, ledger, warn)


def _read_vector(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """A GeoParquet file or any vector file pyogrio reads, with a clear error when it cannot."""
    if not path.exists():
        raise HspworkError(f"{path} does not exist")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return gpd.read_parquet(path)
        return gpd.read_file(path, layer=layer)
    except Exception as err:  # pyogrio and pyarrow raise their own error classes
        raise HspworkError(f"{path} could not be read as a vector file: {err}") from err


def _read_parquet_maybe_geo(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise HspworkError(f"{path} does not exist")
    try:
        return gpd.read_parquet(path)
    except (ValueError, KeyError):
        # A plain Parquet table (no "geo" metadata) is read like a CSV export.
        return read_table(path)
    except Exception as err:  # pyarrow raises several error classes for a bad file
        raise HspworkError(f"{path} could not be read as Parquet: {err}") from err


def _repeated(crime_id: pd.Series, keep: np.ndarray) -> np.ndarray:
    """Kept rows whose non-empty id already appeared on an earlier kept row.

    Only kept rows compete: when the first listing of a crime was dropped (say, no location),
    a later usable listing is the crime's record and stays.
    """
    ids = crime_id.where(keep & (crime_id != "").to_numpy())
    return (ids.duplicated() & ids.notna()).to_numpy()


def _police_uk(raw: pd.DataFrame, ledger: RowLedger, tz: str, to_crs) -> gpd.GeoDataFrame:
    crime_id = _text(raw, "Crime ID")
    offence = _text(raw, "Crime type")
    month_text = _text(raw, "Month")
    ledger.drop((offence == "").to_numpy(), "no crime type")
    ledger.drop((month_text == "").to_numpy(), "no month")
    month = pd.to_datetime(month_text.where(month_text != ""), format="%Y-%m", errors="coerce")
    ledger.drop(month.isna().to_numpy(), "unreadable month")
    cols = {"lon": "Longitude", "lat": "Latitude"}
    x, y, out_crs = _coordinates(raw, cols, ledger, None, to_crs)
    # Repeated non-empty Crime IDs are the same crime listed twice; empty IDs (anti-social
    # behaviour) are legitimately many at one anonymised point.
    ledger.drop(_repeated(crime_id, ledger.keep), "duplicate Crime ID")
    start_local = month.fillna(pd.Timestamp("2000-01-01"))
    start = pd.DatetimeIndex(start_local).tz_localize(tz).tz_convert("UTC").as_unit("ns")
    end = (
        pd.DatetimeIndex(start_local + pd.offsets.MonthBegin(1))
        .tz_localize(tz)
        .tz_convert("UTC")
        .as_unit("ns")
    )
    extra = [c for c in raw.columns if c not in ("Crime ID", "Crime type", "Month")]
    frame = gpd.GeoDataFrame(
        {
            "crime_id": np.where(crime_id != "", crime_id, None).astype(object),
            "offence": offence.to_numpy(dtype=object),
            "occurred_from": start,
            "occurred_to": end,
            **{c: raw[c].to_numpy() for c in extra},
        },
        geometry=gpd.points_from_xy(x, y),
        crs=out_crs,
    )
    ledger.note(f"police.uk months read as whole-month windows in {tz}")
    return frame


def _force_export(
    raw: pd.DataFrame, ledger: RowLedger, columns, tz, crs, to_crs, geo: bool
) -> gpd.GeoDataFrame:
    table_cols = [c for c in raw.columns if not (geo and c == raw.geometry.name)]
    cols = _resolve(table_cols, _CRIME_ALIASES, columns)
    missing = []
    if "offence" not in cols:
        missing.append("offence (e.g. 'Offence', 'Crime type')")
    if not ({"occurred", "occurred_from", "occurred_to"} & set(cols)):
        missing.append(
            "when (a timestamp column such as 'Date' or a window 'Committed From'/'Committed To')"
        )
    if not geo and not ({"x", "y"} <= set(cols) or {"lon", "lat"} <= set(cols)):
        missing.append("where (easting/northing or longitude/latitude)")
    if missing:
        raise SchemaError(
            f"{ledger.source} lacks columns for: {'; '.join(missing)}. Found: {table_cols}. "
            "Map yours with columns={'Your column': 'offence' | 'occurred' | 'occurred_from' | "
            "'occurred_to' | 'x' | 'y' | 'lon' | 'lat' | 'crime_id'}."
        )
    offence = _text(raw, cols["offence"])
    ledger.drop((offence == "").to_numpy(), "no offence")
    t_from = _text(raw, cols.get("occurred_from") or cols.get("occurred"))
    t_to = _text(raw, cols.get("occurred_to"))
    ledger.drop(((t_from == "") & (t_to == "")).to_numpy(), "no date/time")
    f, f_zoned = _parse_times(
        raw[cols["occurred_from"]]
        if "occurred_from" in cols
        else raw[cols["occurred"]]
        if "occurred" in cols
        else t_from
    )
    t, t_zoned = _parse_times(raw[cols["occurred_to"]]) if "occurred_to" in cols else (f, f_zoned)
    ledger.drop(((t_from != "") & f.isna()).to_numpy(), "unreadable date/time")
    ledger.drop(((t_to != "") & t.isna()).to_numpy(), "unreadable date/time")
    # An exact time fills both ends; a window with one end known is that instant.
    f_known, t_known = f.notna().to_numpy(), t.notna().to_numpy()
    f, f_zoned = f.where(f_known, t), np.where(f_known, f_zoned, t_zoned)
    t, t_zoned = t.where(t_known, f), np.where(t_known, t_zoned, f_zoned)
    f_utc = _to_utc(f, tz, ledger, "occurred", zoned=f_zoned)
    t_utc = _to_utc(t, tz, ledger, "occurred", zoned=t_zoned)
    ledger.drop((t_utc < f_utc).to_numpy(), "window ends before it starts")
    if geo:
        gcrs = crs_policy.require_crs(raw, ledger.source)
        geom = raw.geometry
        ledger.drop((geom.is_empty | geom.isna()).to_numpy(), "no location")
        non_point = ~geom.geom_type.isin(["Point"]) & ~(geom.is_empty | geom.isna())
        if non_point.any():
            # Polygons or lines for a crime: its representative point stands for it.
            geom = geom.where(~non_point, geom.representative_point())
            ledger.note(
                f"{int(non_point.sum())} non-point geometries replaced by a representative point"
            )
        gs = gpd.GeoSeries(geom.where(ledger.keep, None), crs=gcrs)
        if to_crs is not None:
            gs = gs.to_crs(to_crs)
        elif not gcrs.is_projected:
            gs = crs_policy.to_metric(gs[ledger.keep], ledger.source).reindex(gs.index)
        out_geom, out_crs = gs.to_numpy(), gs.crs
    else:
        x, y, out_crs = _coordinates(raw, cols, ledger, crs, to_crs)
        out_geom = gpd.points_from_xy(x, y)
    crime_id = _text(raw, cols.get("crime_id"))
    ledger.drop(_repeated(crime_id, ledger.keep), "duplicate crime reference")
    if "crime_id" not in cols:
        dup_row = raw[table_cols].astype(str).duplicated().to_numpy()
        ledger.drop(dup_row & ledger.keep, "duplicate row")
    used = set(cols.values())
    extra = [c for c in table_cols if c not in used]
    return gpd.GeoDataFrame(
        {
            "crime_id": np.where(crime_id != "", crime_id, None).astype(object),
            "offence": offence.to_numpy(dtype=object),
            # .array keeps the zone even when every time is missing (to_numpy would not)
            "occurred_from": f_utc.array,
            "occurred_to": t_utc.array,
            **{c: raw[c].to_numpy() for c in extra},
        },
        geometry=out_geom,
        crs=out_crs,
    ).astype({"occurred_from": "datetime64[ns, UTC]", "occurred_to": "datetime64[ns, UTC]"})


# --------------------------------------------------------------------------------------------
# Pings
# --------------------------------------------------------------------------------------------


def read_pings(
    path: str | Path | pd.DataFrame,
    *,
    source: str,
    columns: Mapping[str, str] | None = None,
    tz: str | None = None,
    crs: CRS | str | int | None = None,
    to_crs: CRS | str | int | None = None,
    speed_unit: str | None = None,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    warn: bool = True,
) -> pd.DataFrame:
    """Read officer location pings (app, radio, vehicle or handheld GPS) into metres and UTC.

    Parameters
    ----------
    path : str, Path or DataFrame
        CSV or Parquet export, or a DataFrame.
    source : {"app", "radio", "vehicle", "handheld"}
        Kind of device; sets the ``source`` column (tracking picks its gap rule from it).
    columns : mapping, optional
        ``{"Their column": "our name"}``; our names: ``officer``, ``time``, ``date`` and
        ``clock`` (separate date and time columns), ``x``, ``y``, ``lon``, ``lat``,
        ``speed_mps``, ``speed_kmh``, ``speed_mph``, ``speed``, ``heading_deg``, ``accuracy_m``.
    tz : str, optional
        Time zone of naive local times (UK exports: ``"Europe/London"``). Naive times without
        it are refused. The repeated hour of the October change is resolved per officer from the
        order of records; local times skipped in March are dropped with their own reason.
    crs : CRS-like, optional
        CRS of easting/northing columns.
    to_crs : CRS-like, optional
        Output CRS (e.g. the fences' CRS); default by the hspwork metric policy.
    speed_unit : {"mps", "kmh", "mph"}, optional
        Unit of a column named just ``speed``.
    area : GeoDataFrame, optional
        Force area; pings outside are dropped as "outside the force area". Tracking's cleaner
        can flag them instead, which keeps them for the user to decide.

    Returns
    -------
    pandas.DataFrame
        ``officer``, ``time`` (UTC), ``x``, ``y``, ``source``, and ``speed_mps``,
        ``heading_deg``, ``accuracy_m`` where present, then other input columns; sorted by
        officer and time. ``attrs["crs"]`` (WKT-free authority string or WKT) and
        ``attrs["load_report"]``.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({
    ...     "Collar No": ["4127", "4127", "4127"],
    ...     "Recorded At": ["2025-10-26 01:50:00", "2025-10-26 01:10:00", "2025-10-26 01:20:00"],
    ...     "Latitude": ["52.5", "52.5", "52.5"], "Longitude": ["-1.9", "-1.9", ""],
    ... })
    >>> pings = read_pings(raw, source="app", tz="Europe/London", warn=False)
    >>> [str(t) for t in pings["time"]]  # 01:50 BST, then 01:10 GMT after the clocks went back
    ['2025-10-26 00:50:00+00:00', '2025-10-26 01:10:00+00:00']
    >>> pings.attrs["load_report"].dropped
    {'no location': 1}
    """
    tz, crs, to_crs = _check_zone_and_crs(tz, crs, to_crs)
    if source not in PING_SOURCES:
        raise HspworkError(f"source={source!r} is not one of {PING_SOURCES}")
    if isinstance(path, pd.DataFrame):
        raw, name = path.reset_index(drop=True), "table"
    else:
        raw, name = read_table(path), str(path)
    ledger = RowLedger(len(raw), name)
    cols = _resolve(list(raw.columns), _PING_ALIASES, columns)
    has_time = "time" in cols or ("date" in cols and "clock" in cols) or "date" in cols
    missing = [
        n
        for n, ok in (
            ("officer (e.g. 'Collar No')", "officer" in cols),
            ("time (e.g. 'Timestamp', or 'Date' and 'Time')", has_time),
        )
        if not ok
    ]
    if not ({"x", "y"} <= set(cols) or {"lon", "lat"} <= set(cols)):
        missing.append("where (easting/northing or longitude/latitude)")
    if missing:
        raise SchemaError(
            f"{name} lacks columns for: {'; '.join(missing)}. Found: {list(raw.columns)}. "
            "Map yours with columns={'Your column': 'officer' | 'time' | 'x' | 'y' | 'lon' | 'lat'}."
        )
    if (
        "speed" in cols
        and speed_unit is None
        and not ({"speed_mps", "speed_kmh", "speed_mph"} & set(cols))
    ):
        raise SchemaError(
            f"{name}: column {cols['speed']!r} gives speed without a unit; pass "
            "speed_unit='mps', 'kmh' or 'mph'."
        )
    officer = _text(raw, cols["officer"])
    ledger.drop((officer == "").to_numpy(), "no officer identifier")
    if "time" in cols:
        t_text = _text(raw, cols["time"])
        times, zoned = _parse_times(raw[cols["time"]])
    else:
        d = _text(raw, cols["date"])
        c = _text(raw, cols.get("clock"))
        t_text = (d + " " + c).str.strip()
        times, zoned = _parse_times(t_text)
    ledger.drop((t_text == "").to_numpy(), "no date/time")
    ledger.drop(times.isna().to_numpy(), "unreadable date/time")
    x, y, out_crs = _coordinates(raw, cols, ledger, crs, to_crs)
    times = _to_utc(times, tz, ledger, "ping", groups=officer, zoned=zoned)
    # Exact copies of a row carry nothing new. They are judged on the UTC time, because in the
    # October change the same local text is written twice, an hour apart. Same officer and
    # time with another position is left for tracking's cleaner to flag (it may be two devices).
    time_cols = [cols[k] for k in ("time", "date", "clock") if k in cols]
    row_hash = pd.util.hash_pandas_object(raw.drop(columns=time_cols), index=False).to_numpy()
    utc_ns = pd.DatetimeIndex(times).as_unit("ns").asi8  # NaT rows are already dropped
    key = pd.DataFrame({"row": row_hash, "utc": utc_ns})
    ledger.drop(key.duplicated().to_numpy() & ledger.keep, "duplicate row")
    _drop_outside(x, y, area, out_crs, ledger, "outside the force area")
    keep = ledger.keep
    data: dict[str, object] = {
        "officer": officer.to_numpy(dtype=object)[keep],
        "time": times.to_numpy()[keep],
        "x": x[keep],
        "y": y[keep],
        "source": np.full(int(keep.sum()), source, dtype=object),
    }
    if "speed_mps" in cols:
        data["speed_mps"] = _numbers(raw[cols["speed_mps"]]).to_numpy()[keep]
    elif "speed_kmh" in cols:
        data["speed_mps"] = _numbers(raw[cols["speed_kmh"]]).to_numpy()[keep] / 3.6
    elif "speed_mph" in cols:
        data["speed_mps"] = _numbers(raw[cols["speed_mph"]]).to_numpy()[keep] * 0.44704
    elif "speed" in cols:
        factor = {"mps": 1.0, "kmh": 1 / 3.6, "mph": 0.44704}
        if speed_unit not in factor:
            raise SchemaError(f"speed_unit={speed_unit!r} is not one of {list(factor)}")
        data["speed_mps"] = _numbers(raw[cols["speed"]]).to_numpy()[keep] * factor[speed_unit]
    for k in ("heading_deg", "accuracy_m"):
        if k in cols:
            data[k] = _numbers(raw[cols[k]]).to_numpy()[keep]
    used = set(cols.values())
    for c in raw.columns:
        if c not in used and c not in data:
            data[c] = raw[c].to_numpy()[keep]
    out = pd.DataFrame(data)
    out["time"] = pd.to_datetime(out["time"], utc=True).dt.as_unit("ns")  # the contract's unit
    out = out.sort_values(["officer", "time"], kind="stable").reset_index(drop=True)
    out.attrs["crs"] = out_crs.to_string()
    return _finish(out, ledger, warn)


# --------------------------------------------------------------------------------------------
# Fences and streets
# --------------------------------------------------------------------------------------------


def read_fences(path: str | Path, **kwargs) -> gpd.GeoDataFrame:
    """Read a fence set from GeoJSON, GeoPackage, KML, CSV with WKT or any file pyogrio reads.

    A thin door to :func:`hspwork.fences.from_file`, which holds the format logic and takes the
    same keyword arguments (``crs``, ``id_col``, ``role``, ``valid_from``, ``layer``,
    ``format``). Rows dropped (no geometry, not a polygon) are counted in
    ``attrs["load_report"]``.
    """
    from hspwork.fences.formats import from_file

    return from_file(path, **kwargs)


def write_fences(fences: gpd.GeoDataFrame, path: str | Path, format: str | None = None) -> Path:
    """Write a fence set; the suffix picks GeoJSON (RFC 7946, WGS84), GeoPackage, KML or CSV.

    A thin door to :func:`hspwork.fences.to_file`.
    """
    from hspwork.fences.formats import to_file

    return to_file(fences, path, format=format)


def read_streets(
    path: str | Path | gpd.GeoDataFrame,
    *,
    layer: str | None = None,
    to_crs: CRS | str | int | None = None,
    warn: bool = True,
) -> gpd.GeoDataFrame:
    """Read a street network (centrelines) into metres, accounting for every row.

    Rows with no geometry, or with a geometry that is not a line, are dropped by reason.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point
    >>> raw = gpd.GeoDataFrame({"name": ["High St", "a point"]},
    ...     geometry=[LineString([(0, 0), (100, 0)]), Point(5, 5)], crs=27700)
    >>> streets = read_streets(raw, warn=False)
    >>> streets.attrs["load_report"].summary()
    'table: read 2 rows, kept 1, dropped 1 (not a line: 1)'
    """
    if isinstance(path, gpd.GeoDataFrame):
        raw, source = path.reset_index(drop=True), "table"
    else:
        p = Path(path)
        raw, source = _read_vector(p, layer), str(p)
    crs_policy.require_crs(raw, source)
    ledger = RowLedger(len(raw), source)
    geom = raw.geometry
    ledger.drop((geom.isna() | geom.is_empty).to_numpy(), "no geometry")
    ledger.drop(~geom.geom_type.isin(["LineString", "MultiLineString"]).to_numpy(), "not a line")
    out = raw.loc[ledger.keep].reset_index(drop=True)
    out = out.to_crs(to_crs) if to_crs is not None else crs_policy.to_metric(out, source)
    return _finish(out, ledger, warn)

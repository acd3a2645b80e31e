"""Read officer location pings (app, radio, vehicle, handheld GPS) into metres and UTC.

One file, a list, a glob or a folder of exports (say one CSV per day) reads as one frame. The
frame carries its CRS in a one-category ``crs`` column (see :mod:`hspwork.io.crs_column`), so
that filtering, ``pd.concat`` and saving keep it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from hspwork.errors import CRSError, HspworkError, SchemaError
from hspwork.io import coords, times
from hspwork.io._common import check_zone_and_crs, finish
from hspwork.io.columns import PING_ALIASES, numbers, resolve, row_hash, text
from hspwork.io.combine import (
    Loaded,
    charge_unreadable_lines,
    file_index,
    first_listing,
    group_notes,
    load_source,
)
from hspwork.io.crs_column import CRS_COLUMN, crs_label
from hspwork.io.sources import resolve_sources
from hspwork.privacy import is_identifier_column
from hspwork.report import RowLedger

PING_SOURCES = ("app", "radio", "vehicle", "handheld")
_SPEED_FACTOR = {"mps": 1.0, "kmh": 1 / 3.6, "mph": 0.44704}
_P = "__hsp_"
# A number as a spreadsheet writes it: digits, perhaps a ".0" it added.
_NUMERIC_ID = re.compile(r"^\d+(?:\.0+)?$")


def normalise_officer_ids(ids: pd.Series) -> tuple[pd.Series, str | None]:
    """Officer identifiers by one rule: numbers lose leading zeros and a trailing ``.0``.

    Collar numbers reach exports as text (``"0003296"``), as numbers (``3296``) and through a
    spreadsheet as decimals (``"3296.0"``); all are officer 3296. An identifier made only of
    digits (with perhaps ``.0``) is written as that whole number; any other identifier
    (``"PC4127"``, ``"A-12"``) is kept as written. Returns the ids and a note (None when
    nothing changed).

    Examples
    --------
    >>> ids, note = normalise_officer_ids(pd.Series(["0003296", "3296", "3296.0", "PC07", ""]))
    >>> ids.tolist()
    ['3296', '3296', '3296', 'PC07', '']
    >>> note
    "2 officer identifiers rewritten by the rule 'digits lose leading zeros and a trailing .0' ('0003296' and '3296.0' became '3296'); 2 spellings joined another's"
    """
    codes, uniq = pd.factorize(ids)
    u = pd.Series(np.asarray(uniq, dtype=object), dtype=object)
    numeric = u.str.match(_NUMERIC_ID).fillna(False).to_numpy(dtype=bool)
    if not numeric.any():
        return ids, None
    new = u.copy()
    whole = u[numeric].str.split(".", n=1).str[0].str.lstrip("0")
    new[numeric] = whole.where(whole != "", "0")
    changed = (new != u).to_numpy()
    if not changed.any():
        return ids, None
    out = pd.Series(new.to_numpy(dtype=object)[codes], index=ids.index, dtype=object)
    n_rows = int(changed[codes].sum())
    joined = int(len(u) - new.nunique())
    eg = [str(v) for v in u[changed][:2]]
    to = [str(v) for v in new[changed][:2]]
    if len(set(to)) == 1:  # one target: "'0003296' and '3296.0' became '3296'"
        shown = " and ".join(repr(v) for v in eg) + f" became {to[0]!r}"
    else:  # each spelling with its own: "'007' became '7' and '0041' became '41'"
        shown = " and ".join(f"{a!r} became {b!r}" for a, b in zip(eg, to, strict=True))
    note = (
        f"{n_rows} officer identifiers rewritten by the rule 'digits lose leading zeros and a "
        f"trailing .0' ({shown})"
    )
    if joined:
        note += f"; {joined} spellings joined another's"
    return out, note


def read_pings(
    path,
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
    path : path, glob, folder, DataFrame, or a list of these
        CSV or Parquet exports, or a DataFrame; several files (a list, a glob, a folder searched
        to any depth for ``.csv``/``.tsv``/``.parquet``) are read as one, with one report.
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
        CRS of easting/northing columns. A file saved from ``read_pings`` says its own in its
        ``crs`` column.
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
        ``officer``, ``time`` (UTC), ``x``, ``y``, ``source``, ``crs`` (one category, e.g.
        ``"EPSG:27700"``; read it with :func:`hspwork.io.ping_crs`), and ``speed_mps``,
        ``heading_deg``, ``accuracy_m`` where present, then other input columns; sorted by
        officer and time. ``attrs["load_report"]`` holds the load report's JSON form
        (:func:`hspwork.report.report_of`); ``attrs["crs"]`` repeats the CRS for one release
        (deprecated: read the column, with :func:`hspwork.io.ping_crs`).

    Notes
    -----
    Officer identifiers are normalised by :func:`normalise_officer_ids` (noted when it changes
    any). A row identical to an earlier one at the same UTC instant is a "duplicate row" (the
    first is kept); the same officer and time at another position is left for tracking's
    cleaner to flag. Rows are dropped, each with its reason, as for :func:`read_crimes`.

    Examples
    --------
    >>> import pandas as pd
    >>> from hspwork.report import report_of
    >>> raw = pd.DataFrame({
    ...     "Collar No": ["4127", "4127", "4127"],
    ...     "Recorded At": ["2025-10-26 01:50:00", "2025-10-26 01:10:00", "2025-10-26 01:20:00"],
    ...     "Latitude": ["52.5", "52.5", "52.5"], "Longitude": ["-1.9", "-1.9", ""],
    ... })
    >>> pings = read_pings(raw, source="app", tz="Europe/London", warn=False)
    >>> [str(t) for t in pings["time"]]  # 01:50 BST, then 01:10 GMT after the clocks went back
    ['2025-10-26 00:50:00+00:00', '2025-10-26 01:10:00+00:00']
    >>> report_of(pings).dropped, pings["crs"].tolist()
    ({'no location': 1}, ['EPSG:27700', 'EPSG:27700'])
    """
    tz, crs, to_crs = check_zone_and_crs(tz, crs, to_crs)
    if source not in PING_SOURCES:
        raise HspworkError(f"source={source!r} is not one of {PING_SOURCES}")
    if speed_unit is not None and speed_unit not in _SPEED_FACTOR:
        raise SchemaError(f"speed_unit={speed_unit!r} is not one of {list(_SPEED_FACTOR)}")
    sources = resolve_sources(path, police_uk_extras=False)
    parts = [load_source(s, vector=False) for s in sources.items]
    srcs: list[CRS] = []
    canon = [_part(p, columns, crs, speed_unit, srcs) for p in parts]
    raw = pd.concat(canon, ignore_index=True) if len(canon) > 1 else canon[0]
    f_idx = file_index(parts)
    ledger = RowLedger(len(raw), sources.label)
    for n in sources.notes:
        ledger.note(n)
    charge_unreadable_lines(parts, ledger)
    officer, note = normalise_officer_ids(raw[f"{_P}officer"])
    if note:
        ledger.note(note)
    ledger.drop((officer == "").to_numpy(), "no officer identifier")
    t_raw = raw[f"{_P}time"]
    t_empty = times.is_empty(t_raw)
    t_local, zoned, t_out = times.parse_times(t_raw)
    ledger.drop(t_empty, "no date/time")
    ledger.drop(t_out, times.OUT_OF_RANGE)
    ledger.drop(t_local.isna().to_numpy(), times.UNREADABLE)
    src_code = raw[f"{_P}src"].to_numpy()
    x, y = coords.parse_positions(raw[f"{_P}cx"], raw[f"{_P}cy"], src_code, srcs, ledger)
    x, y, out_crs = coords.project(x, y, src_code, srcs, to_crs, ledger)
    t_utc = times.to_utc(t_local, tz, ledger, "ping", groups=officer, zoned=zoned)
    # Exact copies of a row carry nothing new. They are judged on the UTC time, because in the
    # October change the same local text is written twice, an hour apart. Same officer and
    # time with another position is left for tracking's cleaner to flag (it may be two devices).
    utc_ns = pd.DatetimeIndex(t_utc).as_unit("ns").asi8
    key = pd.util.hash_pandas_object(
        pd.DataFrame({"row": raw[f"{_P}key"].to_numpy(), "utc": utc_ns}), index=False
    ).to_numpy()
    first_listing(key, np.ones(len(raw), dtype=bool), f_idx, ledger, "duplicate row")
    coords.drop_outside(x, y, area, out_crs, ledger, "outside the force area")
    keep = ledger.keep
    n_kept = int(keep.sum())
    label = crs_label(out_crs)
    data: dict[str, object] = {
        "officer": officer.to_numpy(dtype=object)[keep],
        "time": t_utc.array[keep],
        "x": x[keep],
        "y": y[keep],
        "source": np.full(n_kept, source, dtype=object),
        CRS_COLUMN: pd.Categorical.from_codes(np.zeros(n_kept, dtype=np.int8), categories=[label]),
    }
    for k in ("speed_mps", "heading_deg", "accuracy_m"):
        if f"{_P}{k}" in raw.columns:
            data[k] = raw[f"{_P}{k}"].to_numpy(dtype=float)[keep]
    # Other identifier columns (a radio's ISSI, a second copy of the collar number) stay
    # behind: `officer` is the one identifier the library works with and pseudonymises.
    others = [c for c in raw.columns if not c.startswith(_P) and c not in data]
    left = [c for c in others if is_identifier_column(c)]
    if left:
        ledger.note(
            f"identifier column(s) {', '.join(map(str, left))} left out: officers are known "
            "by the 'officer' column only"
        )
    for c in others:
        if c not in left:
            data[c] = raw[c].to_numpy()[keep]
    out = pd.DataFrame(data)
    out["time"] = pd.to_datetime(out["time"], utc=True).dt.as_unit("ns")  # the contract's unit
    out = out.sort_values(["officer", "time"], kind="stable").reset_index(drop=True)
    # Deprecated, for one release: code that copies attrs["crs"] by hand (chapter 3 before its
    # update) keeps running. Nothing in the library reads it while the crs column is there.
    out.attrs["crs"] = label
    for p in parts:
        for n in p.notes:
            ledger.note(n)
    report = ledger.report(f_idx, [p.name for p in parts], group_notes(parts))
    return finish(out, ledger, warn, report)


def _part(p: Loaded, columns, crs, speed_unit, srcs: list[CRS]) -> pd.DataFrame:
    raw = p.raw
    all_cols = list(raw.columns)
    own_crs = _saved_crs(raw, crs, p.name)
    cols = resolve([c for c in all_cols if c != CRS_COLUMN], PING_ALIASES, columns, p.name)
    has_time = "time" in cols or "date" in cols
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
            f"{p.name} lacks columns for: {'; '.join(missing)}. Found: {all_cols}. "
            "Map yours with columns={'Your column': 'officer' | 'time' | 'x' | 'y' | 'lon' | 'lat'}."
        )
    if (
        "speed" in cols
        and speed_unit is None
        and not ({"speed_mps", "speed_kmh", "speed_mph"} & set(cols))
    ):
        raise SchemaError(
            f"{p.name}: column {cols['speed']!r} gives speed without a unit; pass "
            "speed_unit='mps', 'kmh' or 'mph'."
        )
    n = len(raw)
    kx, ky, src = coords.choose_columns(all_cols, cols, own_crs, p.name)
    code = next((i for i, s in enumerate(srcs) if s.equals(src)), None)
    if code is None:
        srcs.append(src)
        code = len(srcs) - 1
    if "time" in cols:
        t = raw[cols["time"]]
    else:
        t = (text(raw, cols["date"]) + " " + text(raw, cols.get("clock"))).str.strip()
    time_cols = [cols[k] for k in ("time", "date", "clock") if k in cols]
    part: dict[str, object] = {
        f"{_P}officer": text(raw, cols["officer"]).to_numpy(dtype=object),
        f"{_P}time": t.reset_index(drop=True),
        f"{_P}cx": raw[kx].reset_index(drop=True),
        f"{_P}cy": raw[ky].reset_index(drop=True),
        f"{_P}src": np.full(n, code, dtype=np.int16),
        # Every column but the time, to tell an exact copy of a row (see read_pings).
        f"{_P}key": row_hash(raw.drop(columns=time_cols)),
    }
    speed = None
    if "speed_mps" in cols:
        speed = numbers(raw[cols["speed_mps"]])
    elif "speed_kmh" in cols:
        speed = numbers(raw[cols["speed_kmh"]]) / 3.6
    elif "speed_mph" in cols:
        speed = numbers(raw[cols["speed_mph"]]) * 0.44704
    elif "speed" in cols:
        speed = numbers(raw[cols["speed"]]) * _SPEED_FACTOR[speed_unit]
    if speed is not None:
        part[f"{_P}speed_mps"] = speed.to_numpy(dtype=float)
    for k in ("heading_deg", "accuracy_m"):
        if k in cols:
            part[f"{_P}{k}"] = numbers(raw[cols[k]]).to_numpy(dtype=float)
    used = set(cols.values()) | {CRS_COLUMN}
    extra = [c for c in all_cols if c not in used]
    return pd.concat([pd.DataFrame(part), raw[extra].reset_index(drop=True)], axis=1)


def _saved_crs(raw: pd.DataFrame, crs: CRS | None, name: str) -> CRS | None:
    """The CRS of x/y: ``crs=``, or the ``crs`` column of a file saved from read_pings."""
    if CRS_COLUMN not in raw.columns:
        return crs
    values = [v for v in pd.unique(raw[CRS_COLUMN].astype(object).dropna()) if str(v).strip()]
    if not values:
        return crs
    if len(values) > 1:
        raise CRSError(
            f"{name}: its crs column holds {len(values)} CRSs ({', '.join(map(str, values))}); "
            "save each CRS's pings apart, or convert them to one before saving"
        )
    try:
        own = CRS.from_user_input(str(values[0]))
    except Exception:  # pyproj raises its own CRSError
        raise CRSError(f"{name}: its crs column holds {values[0]!r}, which is not a CRS") from None
    if crs is not None and not own.equals(crs):
        raise CRSError(
            f"{name}: its crs column says {values[0]} but crs={crs.to_string()!r} was given; "
            "drop crs= (the column says what x and y are in)"
        )
    return own

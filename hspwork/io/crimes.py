"""Read recorded crimes, from one file or many, into points in metres with UTC windows.

Formats: the open police.uk street-level CSV (month only, anonymised points, rows without a
location, anti-social behaviour rows without a Crime ID), force exports (a timestamp or a
from-to window, an offence, easting/northing or longitude/latitude), GeoParquet, and any vector
file pyogrio reads. A list of files, a glob or a folder (the police.uk archive layout) is read
as one: see :mod:`hspwork.io.sources` for what a folder includes and :mod:`hspwork.io.combine`
for how repeats across files are counted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from hspwork import crs as crs_policy
from hspwork.errors import SchemaError
from hspwork.harm import harm_weights
from hspwork.io import coords, times
from hspwork.io._common import check_zone_and_crs, finish
from hspwork.io.columns import CRIME_ALIASES, resolve, row_hash, text
from hspwork.io.combine import (
    OTHER_FILE,
    Loaded,
    charge_unreadable_lines,
    file_index,
    first_listing,
    group_notes,
    load_source,
    note_overlap,
    repeats_from_other_files,
)
from hspwork.io.sources import resolve_sources
from hspwork.report import RowLedger

POLICE_UK_COLUMNS = ("Crime ID", "Month", "Longitude", "Latitude", "Crime type")
# The columns that make a police.uk row what it is (for repeats of rows without a Crime ID).
_POLICE_UK_CONTENT = (
    "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code",
    "LSOA name", "Crime type", "Last outcome category", "Context",
)  # fmt: skip
_P = "__hsp_"  # prefix of the loader's own working columns


def read_crimes(
    path,
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
    path : path, glob, folder, DataFrame, or a list of these
        A police.uk street-level CSV, a force export (CSV or Parquet), GeoParquet, or any vector
        file pyogrio reads (GeoPackage, GeoJSON, shapefile); a DataFrame is read like a CSV. A
        list, a glob (``"downloads/*/*-street.csv"``) or a folder is read as one input: a
        folder is searched to any depth for ``.csv``/``.tsv``/``.parquet`` files, so a police.uk
        archive (``YYYY-MM/YYYY-MM-<force>-street.csv``) reads as it was unpacked; its
        ``-outcomes.csv`` and ``-stop-and-search.csv`` files are skipped with a note. All files
        must be of one kind (all police.uk, or all force exports).
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
        optional ``harm``, other input columns, point ``geometry``. ``attrs["load_report"]``
        holds the load report's JSON form; :func:`hspwork.report.report_of` gives the
        :class:`~hspwork.report.LoadReport` (one part per file when several were read,
        :meth:`~hspwork.report.LoadReport.by_file`).

    Notes
    -----
    Rows that cost themselves alone, each with its reason: no offence or crime type; no,
    unreadable or out-of-range (before 1900, from 2200: ``9999-12``) month or time; a local
    time skipped by the spring clock change; a window ending before it starts; no, non-numeric,
    (0, 0) or out-of-range position; a longitude/latitude outside Great Britain under the
    British National Grid policy (see :mod:`hspwork.io.coords`); outside ``area``; lines that
    are not rows (blank, cut short, too many fields; see :mod:`hspwork.io.table`).

    Repeats: a Crime ID or crime reference is kept at its first usable listing (a listing in
    another file is counted as "... already read from another file"). In a force export
    without a reference column, a row identical in every column to an earlier one is a
    "duplicate row": the first is kept and each later copy dropped (two identical rows give
    one crime, three give one). police.uk rows without a Crime ID (anti-social behaviour)
    repeat legitimately within a file and are all kept (a note counts them); across files a
    month downloaded twice counts once (see :mod:`hspwork.io.combine`).

    Examples
    --------
    >>> import pandas as pd
    >>> from hspwork.report import report_of
    >>> raw = pd.DataFrame({
    ...     "Crime Ref": ["A1", "A2", "A3"],
    ...     "Offence": ["Robbery", "Shoplifting", "Robbery"],
    ...     "Committed From": ["2025-03-01 10:00", "2025-03-01 11:00", "bad"],
    ...     "Easting": ["530000", "530100", "530200"],
    ...     "Northing": ["180000", "180100", ""],
    ... })
    >>> crimes = read_crimes(raw, tz="Europe/London", crs="EPSG:27700", harm="cambridge", warn=False)
    >>> report_of(crimes).summary()
    'table: read 3 rows, kept 2, dropped 1 (unreadable date/time: 1)'
    >>> crimes["harm"].tolist(), str(crimes["occurred_from"].iloc[0])
    ([365.0, 1.0], '2025-03-01 10:00:00+00:00')
    """
    tz, crs, to_crs = check_zone_and_crs(tz, crs, to_crs)
    sources = resolve_sources(path)
    parts = [load_source(s, layer) for s in sources.items]
    kind = _kind(parts)
    srcs: list[CRS] = []
    # police.uk files share one layout and are stacked as they are; exports may differ from
    # file to file, so each is put under the loader's own column names first.
    canon = [p.raw if kind == "police.uk" else _export_part(p, columns, crs, srcs) for p in parts]
    raw = pd.concat(canon, ignore_index=True) if len(canon) > 1 else canon[0]
    f_idx = file_index(parts)
    ledger = RowLedger(len(raw), sources.label)
    for n in sources.notes:
        ledger.note(n)
    charge_unreadable_lines(parts, ledger)
    if kind == "police.uk":
        columns_at, x, y, out_crs = _police_uk(raw, f_idx, ledger, tz or "Europe/London", to_crs)
    else:
        columns_at, x, y, out_crs = _force_export(raw, f_idx, srcs, ledger, tz, to_crs)
    coords.drop_outside(x, y, area, out_crs, ledger, "outside the study area")
    keep = ledger.keep
    out = gpd.GeoDataFrame(
        {name: get(keep) for name, get in columns_at.items()},
        geometry=gpd.points_from_xy(x[keep], y[keep]),
        crs=out_crs,
    ).astype({"occurred_from": "datetime64[ns, UTC]", "occurred_to": "datetime64[ns, UTC]"})
    if harm is not None:
        out.insert(4, "harm", harm_weights(out["offence"], harm, default=harm_default))
    for p in parts:
        for n in p.notes:
            ledger.note(n)
    report = ledger.report(f_idx, [p.name for p in parts], group_notes(parts))
    return finish(out, ledger, warn, report)


def _kind(parts: list[Loaded]) -> str:
    kinds = {}
    for p in parts:
        if p.geo:
            k = "vector"
        elif set(POLICE_UK_COLUMNS) <= set(p.raw.columns):
            k = "police.uk"
        else:
            k = "export"
        kinds.setdefault(k, []).append(p.name)
    if len(kinds) > 1 and set(kinds) != {"vector", "export"}:
        listed = "; ".join(
            f"{k}: {', '.join(v[:3])}{' ...' if len(v) > 3 else ''}" for k, v in kinds.items()
        )
        raise SchemaError(
            f"the files are of different kinds ({listed}); read police.uk files and force "
            "exports separately and concatenate the results"
        )
    return "police.uk" if "police.uk" in kinds else "export"


# --------------------------------------------------------------------------------------------
# A force export's columns under the loader's names
# --------------------------------------------------------------------------------------------


def _row_keys(raw: pd.DataFrame, table_cols: list[str]) -> np.ndarray:
    """A 64-bit key per row: the hash of its text, tagged with its layout (the column names).

    Identical rows of one layout share a key; rows of two layouts never do, though their text
    may agree. The tag is a BLAKE2b digest of the names, the same in every run (Python's own
    ``hash`` of text is seeded afresh in each process).
    """
    names = "\x1f".join(str(c) for c in table_cols).encode()
    tag = np.uint64(int.from_bytes(hashlib.blake2b(names, digest_size=8).digest(), "little"))
    return row_hash(raw[table_cols]) ^ tag


def _export_part(p: Loaded, columns, crs, srcs: list[CRS]) -> pd.DataFrame:
    raw = p.raw
    table_cols = [c for c in raw.columns if not (p.geo and c == raw.geometry.name)]
    cols = resolve(table_cols, CRIME_ALIASES, columns, p.name)
    missing = []
    if "offence" not in cols:
        missing.append("offence (e.g. 'Offence', 'Crime type')")
    if not ({"occurred", "occurred_from", "occurred_to"} & set(cols)):
        missing.append(
            "when (a timestamp column such as 'Date' or a window 'Committed From'/'Committed To')"
        )
    if not p.geo and not ({"x", "y"} <= set(cols) or {"lon", "lat"} <= set(cols)):
        missing.append("where (easting/northing or longitude/latitude)")
    if missing:
        raise SchemaError(
            f"{p.name} lacks columns for: {'; '.join(missing)}. Found: {table_cols}. "
            "Map yours with columns={'Your column': 'offence' | 'occurred' | 'occurred_from' | "
            "'occurred_to' | 'x' | 'y' | 'lon' | 'lat' | 'crime_id'}."
        )
    n = len(raw)
    used = set(cols.values())
    notes_geo = None
    if p.geo:
        src = crs_policy.require_crs(raw, p.name)
        geom = raw.geometry
        missing_geom = (geom.isna() | geom.is_empty).to_numpy()
        non_point = ~geom.geom_type.isin(["Point"]).to_numpy() & ~missing_geom
        if non_point.any():
            # Polygons or lines for a crime: its representative point stands for it.
            geom = geom.where(~non_point, geom.representative_point())
            notes_geo = f"{p.name}: {int(non_point.sum())} non-point geometries replaced by a representative point"
        cx = np.full(n, np.nan)
        cy = np.full(n, np.nan)
        ok = ~missing_geom
        cx[ok] = geom[ok].x.to_numpy()
        cy[ok] = geom[ok].y.to_numpy()
        cx, cy = pd.Series(cx), pd.Series(cy)
    else:
        kx, ky, src = coords.choose_columns(table_cols, cols, crs, p.name)
        cx, cy = raw[kx], raw[ky]
        used |= {kx, ky}
    code = next((i for i, s in enumerate(srcs) if s.equals(src)), None)
    if code is None:
        srcs.append(src)
        code = len(srcs) - 1
    t_from = cols.get("occurred_from") or cols.get("occurred")
    has_id = "crime_id" in cols
    part = pd.DataFrame(
        {
            f"{_P}id": text(raw, cols.get("crime_id")).to_numpy(dtype=object),
            f"{_P}offence": text(raw, cols["offence"]).to_numpy(dtype=object),
            f"{_P}from": raw[t_from].reset_index(drop=True) if t_from else pd.Series([""] * n),
            f"{_P}to": raw[cols["occurred_to"]].reset_index(drop=True)
            if "occurred_to" in cols
            else pd.Series([""] * n),
            f"{_P}cx": cx.reset_index(drop=True),
            f"{_P}cy": cy.reset_index(drop=True),
            f"{_P}src": np.full(n, code, dtype=np.int16),
            f"{_P}has_id": np.full(n, has_id),
            # A whole row, for exports without a reference: identical rows of one layout.
            f"{_P}key": _row_keys(raw, table_cols) if not has_id else np.zeros(n, dtype=np.uint64),
        }
    )
    if notes_geo:
        p.notes.append(notes_geo)
    extra = [c for c in table_cols if c not in used]
    return pd.concat([part, raw[extra].reset_index(drop=True)], axis=1)


# --------------------------------------------------------------------------------------------
# police.uk
# --------------------------------------------------------------------------------------------


def _police_uk(raw: pd.DataFrame, f_idx, ledger: RowLedger, tz: str, to_crs):
    crime_id = text(raw, "Crime ID")
    offence = text(raw, "Crime type")
    month_text = text(raw, "Month")
    ledger.drop((offence == "").to_numpy(), "no crime type")
    ledger.drop((month_text == "").to_numpy(), "no month")
    # Months repeat: parse each distinct one once.
    codes, uniq = pd.factorize(month_text)
    u = pd.Series(np.asarray(uniq, dtype=object))
    u_month = times.to_datetime_safe(u.where(u != ""), "%Y-%m", utc=False)
    u_month, u_out = times.in_range(u_month)
    ledger.drop(u_out[codes], "month out of range (before 1900 or from 2200)")
    ledger.drop(u_month.isna().to_numpy()[codes], "unreadable month")
    zero = np.zeros(len(raw), np.int16)
    x, y = coords.parse_positions(
        raw["Longitude"], raw["Latitude"], zero, [crs_policy.WGS84], ledger
    )
    x, y, out_crs = coords.project(x, y, zero, [crs_policy.WGS84], to_crs, ledger)
    # Repeated non-empty Crime IDs are the same crime listed twice; empty IDs (anti-social
    # behaviour) are legitimately many at one anonymised point.
    has_id = (crime_id != "").to_numpy()
    first_listing(crime_id.to_numpy(dtype=object), has_id, f_idx, ledger, "duplicate Crime ID")
    no_id = ~has_id & ledger.keep
    key = np.zeros(len(raw), dtype=np.uint64)
    if no_id.any():
        # what makes a row without a Crime ID the same row in another download
        content = [c for c in _POLICE_UK_CONTENT if c in raw.columns]
        sub = raw.loc[no_id, content]
        key[no_id] = row_hash(pd.DataFrame({c: text(sub, c) for c in content}))
    again = repeats_from_other_files(key, f_idx, no_id)
    if ledger.drop(again, f"row without a Crime ID {OTHER_FILE}"):
        note_overlap(ledger)
    _note_repeats_within_files(key, f_idx, no_id & ledger.keep, ledger)
    u_start = pd.DatetimeIndex(u_month.fillna(pd.Timestamp("2000-01-01")))
    u_end = u_start + pd.offsets.MonthBegin(1)
    start = u_start.tz_localize(tz).tz_convert("UTC").as_unit("ns")[codes]
    end = u_end.tz_localize(tz).tz_convert("UTC").as_unit("ns")[codes]
    ledger.note(f"police.uk months read as whole-month windows in {tz}")
    extra = [c for c in raw.columns if c not in ("Crime ID", "Crime type", "Month")]
    columns = {
        "crime_id": lambda k: np.where(has_id[k], crime_id.to_numpy(dtype=object)[k], None).astype(
            object
        ),
        "offence": lambda k: offence.array[k],
        "occurred_from": lambda k: start[k],
        "occurred_to": lambda k: end[k],
        **{c: (lambda k, c=c: raw[c].array[k]) for c in extra},
    }
    return columns, x, y, out_crs


def _note_repeats_within_files(key, f_idx, rows, ledger: RowLedger) -> None:
    idx = np.flatnonzero(rows)
    if len(idx) == 0:
        return
    rep = pd.DataFrame({"k": key[idx], "f": f_idx[idx]}).duplicated().to_numpy()
    if rep.any():
        ledger.note(
            f"{int(rep.sum())} rows without a Crime ID repeat another row of their file exactly; "
            "police.uk lists anti-social behaviour so (no ID, a month, an anonymised point), so "
            "they were kept"
        )


# --------------------------------------------------------------------------------------------
# Force exports and vector files
# --------------------------------------------------------------------------------------------


def _force_export(raw, f_idx, srcs, ledger: RowLedger, tz, to_crs):
    offence = raw[f"{_P}offence"]
    ledger.drop((offence == "").to_numpy(), "no offence")
    raw_from, raw_to = raw[f"{_P}from"], raw[f"{_P}to"]
    empty_from = times.is_empty(raw_from)
    empty_to = times.is_empty(raw_to)
    ledger.drop(empty_from & empty_to, "no date/time")
    f, f_zoned, f_out = times.parse_times(raw_from)
    t, t_zoned, t_out = times.parse_times(raw_to)
    ledger.drop(f_out | t_out, times.OUT_OF_RANGE)
    ledger.drop(~empty_from & f.isna().to_numpy(), times.UNREADABLE)
    ledger.drop(~empty_to & t.isna().to_numpy(), times.UNREADABLE)
    # An exact time fills both ends; a window with one end known is that instant.
    f_known, t_known = f.notna().to_numpy(), t.notna().to_numpy()
    f, f_zoned = f.where(f_known, t), np.where(f_known, f_zoned, t_zoned)
    t, t_zoned = t.where(t_known, f), np.where(t_known, t_zoned, f_zoned)
    f_utc = times.to_utc(f, tz, ledger, "occurred", zoned=f_zoned)
    t_utc = times.to_utc(t, tz, ledger, "occurred", zoned=t_zoned)
    ledger.drop((t_utc < f_utc).to_numpy(), "window ends before it starts")
    src_code = raw[f"{_P}src"].to_numpy()
    x, y = coords.parse_positions(raw[f"{_P}cx"], raw[f"{_P}cy"], src_code, srcs, ledger)
    x, y, out_crs = coords.project(x, y, src_code, srcs, to_crs, ledger)
    crime_id = raw[f"{_P}id"].to_numpy(dtype=object)
    has_id = raw[f"{_P}has_id"].to_numpy(dtype=bool)
    first_listing(crime_id, has_id & (crime_id != ""), f_idx, ledger, "duplicate crime reference")
    first_listing(raw[f"{_P}key"].to_numpy(), ~has_id, f_idx, ledger, "duplicate row")
    extra = [c for c in raw.columns if not c.startswith(_P)]
    # .array keeps the zone even when every time is missing (to_numpy would not)
    f_arr, t_arr = f_utc.array, t_utc.array
    columns = {
        "crime_id": lambda k: np.where(crime_id[k] != "", crime_id[k], None).astype(object),
        "offence": lambda k: offence.array[k],
        "occurred_from": lambda k: f_arr[k],
        "occurred_to": lambda k: t_arr[k],
        **{c: (lambda k, c=c: raw[c].array[k]) for c in extra},
    }
    return columns, x, y, out_crs

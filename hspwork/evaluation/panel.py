"""Place-by-period crime panels for the effect models, built from crimes and areas.

:func:`crime_panel` counts crimes (and harm) in each area (a fence, a ring, a grid cell) for
each period of fixed length aligned on the trial's start, so the first after-period begins
exactly when the programme did. The result feeds :func:`~hspwork.evaluation.estimate_effect`,
:func:`~hspwork.evaluation.event_study` and :func:`~hspwork.evaluation.randomisation_inference`.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd

from hspwork.crs import align_crs, require_crs, unit_to_metres
from hspwork.errors import HspworkError, HspworkWarning, SchemaError
from hspwork.report import RowLedger, attach_report

__all__ = ["add_patrol", "crime_panel", "place_table"]


def _utc(value, what: str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        raise HspworkError(
            f"{what} must carry a time zone (e.g. '2025-09-01T00:00Z' or a tz-aware "
            f"Timestamp); received {value!r}"
        )
    return ts.tz_convert("UTC")


def _locate(crimes: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(crime index, area index) pairs for every crime inside (or on the edge of) an area."""
    pts = crimes.geometry.to_numpy()
    crime_idx, area_idx = areas.sindex.query(pts, predicate="intersects")
    return crime_idx, area_idx


def crime_panel(
    crimes: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    start,
    end,
    trial_start,
    period_days: int = 7,
    id_column: str = "fence_id",
    role_column: str = "role",
    time_column: str = "occurred_from",
    harm_column: str | None = "harm",
    keep_columns: tuple[str, ...] = ("block",),
) -> pd.DataFrame:
    """Count crimes (and harm) per area and period, with treated and post indicators.

    Parameters
    ----------
    crimes : GeoDataFrame
        Crimes as from :func:`hspwork.read_crimes` (points in metres, UTC times).
    areas : GeoDataFrame
        Polygons with an id column and a role column ("treatment" or "control"; rows with
        other roles are left out and noted).
    start, end : time-like with a zone
        The study window [start, end). Every period from ``trial_start`` on is marked
        ``post``, so end the window when the programme ended (or add your own column for a
        follow-up period).
    trial_start : time-like with a zone
        When the programme began; periods are aligned on it.
    period_days : int, default 7
        Period length in days (7 = weeks). A partial first or last period is kept; period
        fixed effects absorb its shorter exposure. Periods are exact multiples of 24 hours
        from ``trial_start`` (equal exposure), so after a clock change their local start
        moves by an hour (a week from local midnight then starts at 23:00 or 01:00).
    id_column, role_column, time_column : str
        Column names.
    harm_column : str or None, default "harm"
        Harm column of ``crimes`` to sum as well (skipped when absent).
    keep_columns : tuple of str, default ("block",)
        Area columns to carry into the panel when present (for example randomisation
        blocks).

    Returns
    -------
    DataFrame
        One row per area and period: ``id_column``, ``period`` (int; 0 is the first period
        of the trial, negative before), ``period_start`` (UTC), ``post`` (0/1), ``treated``
        (0/1), ``crimes`` (int), ``harm`` (float, when available), kept area columns.
        ``attrs["load_report"]`` accounts for every crime: kept (inside an area in the
        window) or dropped by reason; a crime inside two overlapping areas counts in both
        and is noted.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import Point, box
    >>> areas = gpd.GeoDataFrame({"fence_id": ["A", "B"], "role": ["treatment", "control"]},
    ...                          geometry=[box(0, 0, 100, 100), box(500, 0, 600, 100)],
    ...                          crs=27700)
    >>> t = pd.to_datetime(["2025-08-30", "2025-09-02", "2025-09-03", "2025-09-10"], utc=True)
    >>> crimes = gpd.GeoDataFrame({"occurred_from": t},
    ...     geometry=[Point(50, 50), Point(50, 50), Point(550, 50), Point(2000, 0)], crs=27700)
    >>> p = crime_panel(crimes, areas, start="2025-08-25T00:00Z", end="2025-09-15T00:00Z",
    ...                 trial_start="2025-09-01T00:00Z")
    >>> print(p[["fence_id", "period", "post", "treated", "crimes"]].to_string(index=False))
    fence_id  period  post  treated  crimes
           A      -1     0        1       1
           A       0     1        1       1
           A       1     1        1       0
           B      -1     0        0       0
           B       0     1        0       1
           B       1     1        0       0
    >>> from hspwork.report import report_of
    >>> report_of(p).dropped
    {'outside every area': 1}
    """
    if not isinstance(crimes, gpd.GeoDataFrame) or not isinstance(areas, gpd.GeoDataFrame):
        raise SchemaError(
            "crimes and areas must be GeoDataFrames; received "
            f"{type(crimes).__name__} and {type(areas).__name__}"
        )
    for frame, cols, what in (
        (crimes, [time_column], "crimes"),
        (areas, [id_column, role_column], "areas"),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise SchemaError(f"{what} lack columns {missing}; they have {list(frame.columns)}")
    require_crs(crimes, "crimes")
    require_crs(areas, "areas")
    crimes = align_crs(areas, crimes, names=("areas", "crimes"))
    t0, t1, ts = _utc(start, "start"), _utc(end, "end"), _utc(trial_start, "trial_start")
    if not t0 < t1:
        raise HspworkError(f"start must be before end; received {t0} and {t1}")
    if period_days <= 0:
        raise HspworkError(f"period_days must be positive; received {period_days!r}")

    role = areas[role_column].astype(str)
    used = role.isin(["treatment", "control"]).to_numpy()
    if not used.any():
        raise SchemaError(
            f"areas have no 'treatment' or 'control' in {role_column!r}; roles found "
            f"{sorted(set(role))}"
        )
    areas_used = areas.loc[used].reset_index(drop=True)
    if areas_used[id_column].duplicated().any():
        dup = areas_used.loc[areas_used[id_column].duplicated(), id_column].tolist()[:5]
        raise SchemaError(f"area ids in {id_column!r} must be unique; repeated {dup}")

    times = pd.to_datetime(crimes[time_column], utc=True)
    ledger = RowLedger(len(crimes), "crimes for the evaluation panel")
    ledger.drop(times.isna().to_numpy(), "no time")
    ledger.drop(
        crimes.geometry.isna().to_numpy() | crimes.geometry.is_empty.to_numpy(), "no location"
    )
    in_window = ((times >= t0) & (times < t1)).to_numpy()
    ledger.drop(~in_window, "outside the study window")
    c_idx, a_idx = _locate(crimes, areas_used)
    ok = ledger.keep[c_idx]
    c_idx, a_idx = c_idx[ok], a_idx[ok]
    inside_any = np.zeros(len(crimes), dtype=bool)
    inside_any[c_idx] = True
    ledger.drop(~inside_any, "outside every area")
    n_multi = int(len(c_idx) - np.unique(c_idx).size)
    if n_multi:
        ledger.note(f"{n_multi} crime-area matches beyond the first: overlapping areas")
    if (~used).any():
        ledger.note(f"{int((~used).sum())} areas with other roles left out")

    period_ns = pd.Timedelta(days=period_days).value
    if "occurred_to" in crimes.columns and len(c_idx):
        # A crime known only to a window (police.uk: a whole month) is counted where the
        # window starts; with windows longer than a period that piles them into one period.
        used_crimes = np.unique(c_idx)
        ends = pd.to_datetime(crimes["occurred_to"], utc=True).iloc[used_crimes]
        span_ns = (ends - times.iloc[used_crimes]).to_numpy(dtype="timedelta64[ns]")
        n_long = int((span_ns.view(np.int64) > period_ns).sum())
        if n_long:
            ledger.note(
                f"{n_long} crimes with a window longer than a period, counted where it starts"
            )
            warnings.warn(
                f"{n_long} of {used_crimes.size} crimes have a time window longer than the "
                f"{period_days}-day period (police.uk months, for example); each is counted in "
                "the period where its window starts. Use period_days at least as long as the "
                "windows (31 for monthly data) or data with exact times.",
                HspworkWarning,
                stacklevel=2,
            )
    first = int(np.floor((t0 - ts).value / period_ns))
    last = int(np.ceil((t1 - ts).value / period_ns)) - 1
    k_all = np.arange(first, last + 1)
    n_k = k_all.size
    since_ns = (times - ts).to_numpy(dtype="timedelta64[ns]").view(np.int64)[c_idx]
    k_crime = np.floor_divide(since_ns, period_ns) - first
    n_a = len(areas_used)
    cell = a_idx * n_k + k_crime
    counts = np.bincount(cell, minlength=n_a * n_k)
    out = pd.DataFrame(
        {
            id_column: np.repeat(areas_used[id_column].to_numpy(), n_k),
            "period": np.tile(k_all, n_a),
            "period_start": np.tile(ts + pd.to_timedelta(k_all * period_days, unit="D"), n_a),
            "post": np.tile((k_all >= 0).astype(int), n_a),
            "treated": np.repeat((areas_used[role_column] == "treatment").astype(int), n_k),
            "crimes": counts.astype(np.int64),
        }
    )
    if harm_column is not None and harm_column in crimes.columns:
        w = pd.to_numeric(crimes[harm_column], errors="coerce").to_numpy(dtype=float)[c_idx]
        n_unknown = int(np.unique(c_idx[~np.isfinite(w)]).size)
        if n_unknown:
            # the crime still counts in ``crimes``; its harm is unknown, so it adds none
            ledger.note(f"{n_unknown} crimes without a harm weight add 0 to harm")
        out["harm"] = np.bincount(cell, weights=np.nan_to_num(w), minlength=n_a * n_k)
    for col in keep_columns:
        if col in areas_used.columns:
            out[col] = np.repeat(areas_used[col].to_numpy(), n_k)
    attach_report(out, ledger.report())
    return out


def place_table(
    panel: pd.DataFrame,
    areas: gpd.GeoDataFrame | None = None,
    *,
    id_column: str = "fence_id",
) -> pd.DataFrame:
    """One row per place: assignment, pre- and post-period totals and area, for balance checks.

    Parameters
    ----------
    panel : DataFrame
        A panel from :func:`crime_panel` (``treated``, ``post``, ``crimes``, optional
        ``harm`` and ``block``).
    areas : GeoDataFrame, optional
        The areas, to add ``area_m2`` (from a projected CRS in metres).
    id_column : str, default "fence_id"

    Returns
    -------
    DataFrame
        Index: place id. Columns ``treated``, ``block`` (when present), ``pre_crimes``,
        ``post_crimes``, ``pre_harm`` and ``post_harm`` (when present), ``area_m2`` (when
        areas are given). Feed it to :func:`~hspwork.evaluation.balance_table` and
        ``pre_crimes`` to :func:`~hspwork.evaluation.estimate_dispersion`.

    Examples
    --------
    >>> import pandas as pd
    >>> panel = pd.DataFrame({"fence_id": ["A", "A", "B", "B"], "post": [0, 1, 0, 1],
    ...                       "treated": [1, 1, 0, 0], "crimes": [5, 2, 4, 4]})
    >>> place_table(panel).to_dict("index")
    {'A': {'treated': 1, 'pre_crimes': 5, 'post_crimes': 2}, 'B': {'treated': 0, 'pre_crimes': 4, 'post_crimes': 4}}
    """
    need = [id_column, "treated", "post", "crimes"]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise SchemaError(f"panel lacks columns {missing}; it has {list(panel.columns)}")
    g = panel.groupby(id_column, sort=True)
    out = g[["treated"]].first()
    if "block" in panel.columns:
        out["block"] = g["block"].first()
    for col in ("crimes", "harm"):
        if col in panel.columns:
            by = panel.pivot_table(
                index=id_column, columns="post", values=col, aggfunc="sum", fill_value=0
            )
            out[f"pre_{col}"] = by.get(0, 0)
            out[f"post_{col}"] = by.get(1, 0)
    if areas is not None:
        crs = require_crs(areas, "areas")
        if not crs.is_projected:
            raise HspworkError(
                f"areas must be in a projected CRS to measure area; received {crs.name}"
            )
        k = unit_to_metres(crs)
        area = pd.Series(areas.geometry.area.to_numpy() * k * k, index=areas[id_column])
        out["area_m2"] = area.groupby(level=0).first().reindex(out.index)
    return out


def add_patrol(
    panel: pd.DataFrame,
    visits: pd.DataFrame,
    *,
    trial_start,
    period_days: int = 7,
    id_column: str = "fence_id",
    start_column: str = "start",
    minutes_column: str = "minutes",
) -> pd.DataFrame:
    """Add patrol minutes per place and period (from tracking's visits) to a crime panel.

    Parameters
    ----------
    panel : DataFrame
        From :func:`crime_panel` with the same ``trial_start`` and ``period_days``.
    visits : DataFrame
        Tracking's visits: ``fence_id``, ``start`` (UTC), ``minutes`` (see
        docs/contracts.md). A visit counts in the period in which it started.
    trial_start, period_days
        As given to :func:`crime_panel`.
    id_column, start_column, minutes_column : str

    Returns
    -------
    DataFrame
        The panel with ``patrol_minutes`` (0 where no visit) and ``visits`` columns;
        ``attrs["patrol_report"]`` accounts for every visit (used, or dropped by reason).

    Examples
    --------
    >>> import pandas as pd
    >>> panel = pd.DataFrame({"fence_id": ["A", "A"], "period": [-1, 0],
    ...                       "treated": [1, 1], "post": [0, 1], "crimes": [3, 1]})
    >>> visits = pd.DataFrame({"fence_id": ["A", "A", "Z"],
    ...     "start": pd.to_datetime(["2025-09-02 10:00", "2025-09-03 10:00",
    ...                              "2025-09-02 11:00"], utc=True),
    ...     "minutes": [15.0, 12.0, 9.0]})
    >>> out = add_patrol(panel, visits, trial_start="2025-09-01T00:00Z")
    >>> from hspwork.report import report_of
    >>> out["patrol_minutes"].tolist(), report_of(out, "patrol_report").dropped
    ([0.0, 27.0], {'place not in the panel': 1})
    """
    for frame, cols, what in (
        (panel, [id_column, "period"], "panel"),
        (visits, [id_column, start_column, minutes_column], "visits"),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise SchemaError(f"{what} lack columns {missing}; they have {list(frame.columns)}")
    ts = _utc(trial_start, "trial_start")
    if period_days <= 0:
        raise HspworkError(f"period_days must be positive; received {period_days!r}")
    start = pd.to_datetime(visits[start_column], utc=True)
    minutes = pd.to_numeric(visits[minutes_column], errors="coerce")
    ledger = RowLedger(len(visits), "visits for the evaluation panel")
    ledger.drop(start.isna().to_numpy(), "no start time")
    ledger.drop((minutes.isna() | (minutes < 0)).to_numpy(), "missing or negative minutes")
    places = pd.Index(panel[id_column].unique())
    ledger.drop(~visits[id_column].isin(places).to_numpy(), "place not in the panel")
    since = (start - ts).to_numpy(dtype="timedelta64[ns]").view(np.int64)
    period = np.floor_divide(since, pd.Timedelta(days=period_days).value)
    periods = pd.Index(panel["period"].unique())
    ledger.drop(~np.isin(period, periods.to_numpy()), "outside the panel's periods")
    keep = ledger.keep
    sums = (
        pd.DataFrame(
            {
                id_column: visits[id_column].to_numpy()[keep],
                "period": period[keep],
                "patrol_minutes": minutes.to_numpy(dtype=float)[keep],
            }
        )
        .groupby([id_column, "period"])["patrol_minutes"]
        .agg(["sum", "size"])
    )
    out = panel.merge(
        sums.rename(columns={"sum": "patrol_minutes", "size": "visits"}),
        left_on=[id_column, "period"],
        right_index=True,
        how="left",
    )
    out["patrol_minutes"] = out["patrol_minutes"].fillna(0.0)
    out["visits"] = out["visits"].fillna(0).astype(np.int64)
    out.attrs = dict(panel.attrs)
    attach_report(out, ledger.report(), "patrol_report")
    return out

"""GPS calibration: how far off are the pings, and how wide should the catchment be?

College of Policing document 002 tells of a chief inspector standing in the middle of a hot
spot while his radio placed him 200 m away; the force widened its geofence by 200 m. This
module makes that test routine: officers stand at known points for a while, their pings are
matched to the points by officer and time, and the error distribution per source (and area)
gives a buffer at a chosen percentile.

If the east and north errors are independent normal with equal spread σ, the distance error
follows a Rayleigh distribution, whose p-quantile is σ·√(−2·ln(1−p)); the fitted σ
(maximum likelihood: σ² = Σr²/2n) is reported beside the empirical percentiles so that a small
sample can be read against the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from hspwork.crs import unit_to_metres
from hspwork.errors import CRSError, HspworkError, SchemaError
from hspwork.io.crs_column import ping_crs
from hspwork.report import LoadReport, RowLedger, attach_report

__all__ = ["GpsCalibration", "calibrate_gps", "rayleigh_quantile"]


def rayleigh_quantile(sigma_m, percentile):
    """The ``percentile`` (0-100) of a Rayleigh distribution with scale ``sigma_m``.

    Examples
    --------
    >>> round(rayleigh_quantile(10.0, 95), 3)   # 10 * sqrt(-2 ln 0.05)
    24.477
    """
    p = np.asarray(percentile, dtype="float64") / 100.0
    if np.any((p <= 0) | (p >= 1)):
        raise HspworkError(f"percentile must be between 0 and 100 (exclusive), got {percentile}")
    out = np.asarray(sigma_m, dtype="float64") * np.sqrt(-2.0 * np.log1p(-p))
    return float(out) if np.ndim(out) == 0 else out


@dataclass
class GpsCalibration:
    """Matched calibration pings and their errors.

    Attributes
    ----------
    errors : DataFrame
        One row per matched ping: ``officer``, ``time``, ``source``, the grouping columns,
        ``dx_m``, ``dy_m`` (ping minus true position, metres) and ``error_m`` (distance).
    by : list of str
        Columns the summary groups by.
    report : LoadReport
        Pings read, used, and not used by reason.
    """

    errors: pd.DataFrame
    by: list[str]
    report: LoadReport

    def summary(self, percentiles=(50, 90, 95)) -> pd.DataFrame:
        """Error distribution per group.

        Columns: the ``by`` columns, ``n``, ``mean_m``, ``p50_m``... (empirical percentiles),
        ``rayleigh_sigma_m`` and ``rayleigh_p90_m``... (fitted Rayleigh percentiles).
        """
        e = self.errors
        g = e.groupby(self.by, sort=True, observed=True)["error_m"] if self.by else None
        groups = list(g) if g is not None else [((), e["error_m"])]
        rows = []
        for key, r in groups:
            key = key if isinstance(key, tuple) else (key,)
            r = r.to_numpy(dtype="float64")
            sigma = float(np.sqrt(np.sum(r**2) / (2 * len(r))))
            row = dict(zip(self.by, key, strict=True))
            row.update(n=len(r), mean_m=float(r.mean()))
            for p in percentiles:
                row[f"p{p:g}_m"] = float(np.percentile(r, p))
            row["rayleigh_sigma_m"] = sigma
            for p in percentiles:
                row[f"rayleigh_p{p:g}_m"] = rayleigh_quantile(sigma, p)
            rows.append(row)
        return pd.DataFrame(rows)

    def recommend_buffer(self, percentile: float = 95, method: str = "empirical") -> pd.DataFrame:
        """The catchment width (``buffer_m``) per group: the error not exceeded by
        ``percentile`` % of pings, rounded up to a whole metre.

        Parameters
        ----------
        percentile : float
            E.g. 90 or 95.
        method : {"empirical", "rayleigh"}
            The sample percentile, or the fitted Rayleigh percentile (steadier with few pings,
            but wrong if errors are not circular-normal, e.g. mast-snapped radio fixes).
        """
        if method not in ("empirical", "rayleigh"):
            raise HspworkError(f"method must be 'empirical' or 'rayleigh', got {method!r}")
        s = self.summary(percentiles=(percentile,))
        col = f"p{percentile:g}_m" if method == "empirical" else f"rayleigh_p{percentile:g}_m"
        out = s[[*self.by, "n"]].copy()
        out["percentile"] = float(percentile)
        out["method"] = method
        out["buffer_m"] = np.ceil(s[col].to_numpy())
        return out

    def plot(self, percentile: float = 95):
        """Empirical distribution of the error per group with the recommended buffer marked.

        Returns the matplotlib Figure (nothing is shown).
        """
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4))
        ax = fig.subplots()
        e = self.errors
        groups = list(e.groupby(self.by, observed=True)) if self.by else [("all", e)]
        for key, sub in groups:
            r = np.sort(sub["error_m"].to_numpy())
            label = " / ".join(map(str, key)) if isinstance(key, tuple) else str(key)
            lines = ax.step(r, np.arange(1, len(r) + 1) / len(r), where="post", label=label)
            ax.axvline(np.percentile(r, percentile), color=lines[0].get_color(), ls=":", lw=1)
        ax.axhline(percentile / 100, color="grey", lw=0.5)
        ax.set_xlabel("distance from the known point (m)")
        ax.set_ylabel("share of pings within")
        ax.set_title(f"GPS error; dotted: {percentile:g}th percentile (suggested buffer)")
        ax.legend(frameon=False)
        return fig


def calibrate_gps(
    pings: pd.DataFrame,
    sessions: pd.DataFrame,
    by=("source",),
    *,
    crs=None,
) -> GpsCalibration:
    """Match pings to known positions and measure their errors.

    Parameters
    ----------
    pings : DataFrame
        Pings per the contract: ``officer``, ``time`` (UTC), ``x``, ``y``, ``source``, with
        their CRS in the ``crs`` column :func:`~hspwork.io.read_pings` adds (or ``crs=``).
    sessions : DataFrame or GeoDataFrame
        Times an officer stood at a known point: ``officer``, ``start``, ``end`` (tz-aware) and
        the true position as ``x``, ``y`` (in the pings' CRS) or Point geometry (any CRS; it is
        converted). Other columns (e.g. ``area``) can be named in ``by``.
    by : sequence of str
        Columns of pings or sessions to summarise by, e.g. ``("source", "area")``.
    crs : CRS-like, optional
        CRS of the pings' x/y when they have no ``crs`` column (see :func:`hspwork.io.ping_crs`).

    Returns
    -------
    GpsCalibration
        ``errors`` carries ``attrs["load_report"]`` (:func:`hspwork.report.report_of`): pings outside every session (or without a
        position) are not used and are counted by reason.

    Examples
    --------
    >>> pings = pd.DataFrame({"officer": ["A"] * 4,
    ...     "time": pd.date_range("2024-05-01 10:00", periods=4, freq="min", tz="UTC"),
    ...     "x": [3.0, 0.0, -4.0, 50.0], "y": [4.0, 5.0, 0.0, 0.0], "source": "radio",
    ...     "crs": "EPSG:27700"})
    >>> stood = pd.DataFrame({"officer": ["A"], "x": [0.0], "y": [0.0],
    ...     "start": [pd.Timestamp("2024-05-01 10:00", tz="UTC")],
    ...     "end": [pd.Timestamp("2024-05-01 10:02", tz="UTC")]})
    >>> cal = calibrate_gps(pings, stood)
    >>> cal.errors["error_m"].tolist()
    [5.0, 5.0, 4.0]
    >>> cal.report.summary()
    'calibration pings: read 4 rows, kept 3, dropped 1 (outside every calibration session: 1)'
    """
    by = list(by)
    need = {"officer", "time", "x", "y"}
    if not need <= set(pings.columns):
        raise SchemaError(
            f"pings lacks {', '.join(sorted(need - set(pings.columns)))}; see docs/contracts.md"
        )
    crs = ping_crs(pings, crs)
    k = unit_to_metres(crs)
    s = sessions.copy()
    if isinstance(s, gpd.GeoDataFrame):
        if s.crs is None:
            raise CRSError("sessions has geometry without a CRS; declare it with set_crs")
        g = s.geometry.to_crs(crs)
        s["x"], s["y"] = g.x.to_numpy(), g.y.to_numpy()
        s = pd.DataFrame(s.drop(columns=s.geometry.name))
    need_s = {"officer", "start", "end", "x", "y"}
    if not need_s <= set(s.columns):
        raise SchemaError(
            f"sessions lacks {', '.join(sorted(need_s - set(s.columns)))}; it needs officer, start, "
            "end and the true position (x, y or Point geometry)"
        )
    for c in ("start", "end"):
        if not isinstance(s[c].dtype, pd.DatetimeTZDtype):
            raise SchemaError(f"sessions.{c} must be tz-aware times, got {s[c].dtype}")
        s[c] = s[c].dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    missing_by = [c for c in by if c not in pings.columns and c not in s.columns]
    if missing_by:
        raise SchemaError(f"by names {', '.join(missing_by)}, found in neither pings nor sessions")

    p = pings.reset_index(drop=True).copy()
    p["time"] = p["time"].dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    p["_row"] = np.arange(len(p))
    ledger = RowLedger(len(p), "calibration pings")
    s = s.rename(columns={"x": "_true_x", "y": "_true_y"}).sort_values("start")
    s["officer"] = s["officer"].astype(p["officer"].dtype)
    pcols = [c for c in p.columns if c not in s.columns or c == "officer"]
    m = pd.merge_asof(
        p[pcols].sort_values("time"),
        s,
        left_on="time",
        right_on="start",
        by="officer",
        direction="backward",
    ).sort_values("_row")
    inside = m["_true_x"].notna().to_numpy() & (m["time"] <= m["end"]).to_numpy()
    no_pos = ~(
        np.isfinite(m["x"].to_numpy(dtype="float64"))
        & np.isfinite(m["y"].to_numpy(dtype="float64"))
    )
    ledger.drop(no_pos, "no position")
    ledger.drop(~inside, "outside every calibration session")
    keep = ledger.keep
    dx = (m["x"].to_numpy(dtype="float64") - m["_true_x"].to_numpy(dtype="float64")) * k
    dy = (m["y"].to_numpy(dtype="float64") - m["_true_y"].to_numpy(dtype="float64")) * k
    cols = ["officer", "time"] + [
        c for c in ("source", *by) if c in m.columns and c not in ("officer", "time")
    ]
    cols = list(dict.fromkeys(cols))
    errors = m.loc[keep, cols].reset_index(drop=True)
    errors["dx_m"] = dx[keep]
    errors["dy_m"] = dy[keep]
    errors["error_m"] = np.hypot(dx[keep], dy[keep])
    report = ledger.report()
    attach_report(errors, report)
    if len(errors) == 0:
        raise HspworkError(
            f"no ping fell inside a calibration session ({report.summary()}); check officer ids "
            "and that session times are in UTC"
        )
    return GpsCalibration(errors=errors, by=by, report=report)

"""Displacement and diffusion of benefits in rings around the fences.

Crime pushed out of a treated hot spot shows up as a rise in the ring around it; crime that
falls in the ring too is a diffusion of benefits, which the College of Policing's evidence
spotlight (source document 003) and Braga & Weisburd's review find to be the more common
outcome. :func:`ring_areas` builds the rings (with :func:`hspwork.fences.rings`), and
:func:`displacement` compares treated fences, their rings and the control fences and rings
before and after, with the WDQ (Bowers & Johnson 2003) for each ring and the WDD (Wheeler &
Ratcliffe 2018) that counts the first ring as the displacement area. For a model-based
estimate with fixed effects, build a panel of the rings with
:func:`~hspwork.evaluation.crime_panel` and pass it to
:func:`~hspwork.evaluation.estimate_effect`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from hspwork.compat import UNSET, renamed
from hspwork.crs import align_crs, require_crs
from hspwork.errors import HspworkError, SchemaError
from hspwork.evaluation.measures import WDDResult, WDQResult, wdd, wdq
from hspwork.report import LoadReport, RowLedger

__all__ = ["DisplacementResult", "displacement", "ring_areas"]


def ring_areas(
    fences: gpd.GeoDataFrame,
    edges_m=(0.0, 150.0),
    *,
    keep_columns: tuple[str, ...] = ("role", "block"),
) -> gpd.GeoDataFrame:
    """Rings around each fence, labelled with the fence's role, ready for a panel.

    Parameters
    ----------
    fences : GeoDataFrame
        A fence set (see :func:`hspwork.fences.make_fences`; pass ``role="role"`` to take
        roles from a column).
    edges_m : sequence of float, default (0, 150)
        Distances from the fence edge in metres; ring *i* covers edges_m[i] to edges_m[i+1].
        Every fence's core is cut out of every ring.
    keep_columns : tuple of str
        Fence columns copied onto their rings.

    Returns
    -------
    GeoDataFrame
        ``area_id`` ("<fence_id>:ring<k>"), ``fence_id``, ``ring``, ``inner_m``, ``outer_m``,
        ``area_m2``, kept fence columns, ring geometry.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame({"fence_id": ["A"], "role": ["treatment"]},
    ...                 geometry=[box(0, 0, 100, 100)], crs=27700), role="role",
    ...                 valid_from="2025-09-01T00:00Z")
    >>> r = ring_areas(f, edges_m=(0, 50))
    >>> r[["area_id", "role", "inner_m", "outer_m"]].to_dict("records")
    [{'area_id': 'A:ring1', 'role': 'treatment', 'inner_m': 0.0, 'outer_m': 50.0}]
    """
    from hspwork.fences import rings

    r = rings(fences, edges_m=edges_m)
    extra = [c for c in keep_columns if c in fences.columns]
    if extra:
        lookup = pd.DataFrame(fences[["fence_id", "version", *extra]])
        r = r.merge(lookup, on=["fence_id", "version"], how="left")
    r.insert(0, "area_id", r["fence_id"].astype(str) + ":ring" + r["ring"].astype(str))
    return gpd.GeoDataFrame(r, geometry="geometry", crs=fences.crs)


@dataclass
class DisplacementResult:
    """Counts by zone before and after, with WDQ per ring and the WDD.

    Attributes
    ----------
    table : DataFrame
        One row per zone ("treated", "control", "treated ring 1", "control ring 1", ...):
        ``before``, ``after`` (the outcome's totals), ``change`` and ``percent_change``.
    wdq : dict[int, WDQResult]
        WDQ of each ring (treated fences as the target, control fences as the control).
    wdd : WDDResult
        Treated and control fences with ring 1 as the displacement area and the control
        rings as its control. When the before and after windows differ in length, the
        before counts are scaled to the after window's length (``time_weights``), so the WDD
        is in crimes per after window.
    outcome : str
        "crimes" or "harm".
    load_report : LoadReport
        Every crime accounted for: used, or dropped by reason.
    """

    table: pd.DataFrame
    wdq: dict[int, WDQResult]
    wdd: WDDResult
    outcome: str
    load_report: LoadReport = field(repr=False)

    def summary(self) -> str:
        """A short paragraph for a briefing."""
        lines = [f"Displacement and diffusion ({self.outcome}):"]
        for k, q in self.wdq.items():
            lines.append(f"  ring {k}: {q.summary()}")
        lines.append(f"  {self.wdd.summary()}")
        return "\n".join(lines)


def _window(value, what: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    try:
        a, b = (pd.Timestamp(v) for v in value)
    except (TypeError, ValueError):
        raise HspworkError(
            f"{what} must be a (start, end) pair of times; received {value!r}"
        ) from None
    if a.tzinfo is None or b.tzinfo is None:
        raise HspworkError(f"{what} times must carry a time zone; received {value!r}")
    if not a < b:
        raise HspworkError(f"{what} start must be before its end; received {value!r}")
    return a.tz_convert("UTC"), b.tz_convert("UTC")


def displacement(
    crimes: gpd.GeoDataFrame,
    fences: gpd.GeoDataFrame,
    *,
    before,
    after,
    edges_m=(0.0, 150.0),
    outcome: str = "crimes",
    time_column: str = "occurred_from",
    offence_column: str = "offence",
    replicates: int = 2000,
    seed: int = 0,
    n_boot=UNSET,
) -> DisplacementResult:
    """Compare treated fences, their rings and the controls before and after.

    Parameters
    ----------
    crimes : GeoDataFrame
        Crimes as from :func:`hspwork.read_crimes` (with ``harm`` for ``outcome="harm"``).
    fences : GeoDataFrame
        Fence set with roles "treatment" and "control" (other roles are ignored).
    before, after : (start, end)
        Time windows [start, end) with zones. For windows of unequal length the WDD scales
        the before counts to the after window's length; the WDQ compares against the control
        and needs no scaling.
    edges_m : sequence of float, default (0, 150)
        Ring edges in metres from the fence edge.
    outcome : {"crimes", "harm"}, default "crimes"
        Count crimes, or sum their harm days. For harm, the WDD weights each offence by its
        harm (variance by the weight squared).
    time_column, offence_column : str
    replicates, seed : int
        Bootstrap draws and seed of the WDQ intervals (``n_boot`` is the deprecated name of
        ``replicates``).

    Returns
    -------
    DisplacementResult

    Notes
    -----
    Each zone is the union of its polygons, so a crime in the rings of two neighbouring
    treated fences counts once in "treated ring 1". A crime in both a treated and a control
    ring counts in both zones (noted in the report).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import Point, box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame({"fence_id": ["T", "C"],
    ...                                   "role": ["treatment", "control"]},
    ...     geometry=[box(0, 0, 100, 100), box(1000, 0, 1100, 100)], crs=27700),
    ...     role="role", valid_from="2025-09-01T00:00Z")
    >>> pts = [Point(50, 50)] * 10 + [Point(50, 50)] * 5 + [Point(150, 50)] * 8 \\
    ...     + [Point(150, 50)] * 6 + [Point(1050, 50)] * 20 + [Point(1050, 50)] * 20
    >>> when = ["2025-08-15"] * 10 + ["2025-09-15"] * 5 + ["2025-08-15"] * 8 \\
    ...     + ["2025-09-15"] * 6 + ["2025-08-15"] * 20 + ["2025-09-15"] * 20
    >>> crimes = gpd.GeoDataFrame({"occurred_from": pd.to_datetime(when, utc=True),
    ...                            "offence": "Robbery"}, geometry=pts, crs=27700)
    >>> r = displacement(crimes, f, before=("2025-08-01T00:00Z", "2025-09-01T00:00Z"),
    ...                  after=("2025-09-01T00:00Z", "2025-10-02T00:00Z"), replicates=200)
    >>> r.table.loc["treated ring 1", ["before", "after"]].tolist()
    [8.0, 6.0]
    >>> round(r.wdq[1].wdq, 2)   # buffer (6-8)/20 over success (5-10)/20
    0.4
    """
    replicates = renamed("displacement", "n_boot", n_boot, "replicates", replicates, 2000)
    if outcome not in ("crimes", "harm"):
        raise HspworkError(f"outcome must be 'crimes' or 'harm'; received {outcome!r}")
    need = [time_column] + (["harm", offence_column] if outcome == "harm" else [])
    missing = [c for c in need if c not in crimes.columns]
    if missing:
        raise SchemaError(f"crimes lack columns {missing}; they have {list(crimes.columns)}")
    require_crs(crimes, "crimes")
    require_crs(fences, "fences")
    crimes = align_crs(fences, crimes, names=("fences", "crimes"))
    b0, b1 = _window(before, "before")
    a0, a1 = _window(after, "after")
    fences = fences[fences["role"].isin(["treatment", "control"])]
    if not {"treatment", "control"} <= set(fences["role"]):
        raise SchemaError(
            f"fences need both 'treatment' and 'control' roles; found {sorted(set(fences['role']))}"
        )
    rings = ring_areas(fences, edges_m, keep_columns=("role",))
    zones: list[tuple[str, np.ndarray]] = [
        ("treated", fences.geometry.to_numpy()[fences["role"].to_numpy() == "treatment"]),
        ("control", fences.geometry.to_numpy()[fences["role"].to_numpy() == "control"]),
    ]
    n_rings = int(rings["ring"].max())
    for k in range(1, n_rings + 1):
        for role, name in (("treatment", "treated"), ("control", "control")):
            sel = (rings["ring"] == k).to_numpy() & (rings["role"] == role).to_numpy()
            zones.append((f"{name} ring {k}", rings.geometry.to_numpy()[sel]))

    times = pd.to_datetime(crimes[time_column], utc=True)
    ledger = RowLedger(len(crimes), "crimes for displacement")
    ledger.drop(times.isna().to_numpy(), "no time")
    is_before = ((times >= b0) & (times < b1)).to_numpy()
    is_after = ((times >= a0) & (times < a1)).to_numpy()
    ledger.drop(~(is_before | is_after), "outside the before and after windows")
    geoms = crimes.geometry.to_numpy()
    if outcome == "crimes":
        value = np.ones(len(crimes))
    else:
        value = pd.to_numeric(crimes["harm"], errors="coerce").to_numpy(dtype=float)
        # a crime of unknown harm cannot enter a harm comparison: set aside, counted
        ledger.drop(~np.isfinite(value), "no harm weight")
    offences = (
        crimes[offence_column].astype(str).to_numpy()
        if offence_column in crimes.columns
        else np.full(len(crimes), "all")
    )
    kinds = np.unique(offences)
    in_zone = np.zeros((len(zones), len(crimes)), dtype=bool)
    for z, (_, polys) in enumerate(zones):  # a handful of zones, each a vectorised query
        tree = gpd.GeoSeries(polys, crs=fences.crs).sindex
        hit, _ = tree.query(geoms, predicate="intersects")
        in_zone[z, np.unique(hit)] = True
    in_zone &= ledger.keep[None, :]
    ledger.drop(~in_zone.any(axis=0), "outside every zone")
    multi = int((in_zone.sum(axis=0) > 1).sum())
    if multi:
        ledger.note(f"{multi} crimes fall in more than one zone and count in each")

    rows = {}
    by_type = {}
    for z, (name, _) in enumerate(zones):
        bsel, asel = in_zone[z] & is_before, in_zone[z] & is_after
        rows[name] = (float(value[bsel].sum()), float(value[asel].sum()))
        by_type[name] = (
            np.array([np.sum(bsel & (offences == k)) for k in kinds], dtype=float),
            np.array([np.sum(asel & (offences == k)) for k in kinds], dtype=float),
        )
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["before", "after"])
    table["change"] = table["after"] - table["before"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["percent_change"] = 100 * table["change"] / table["before"]

    if outcome == "crimes":
        weights = None
    else:  # each offence weighted by its harm (mean over its crimes that are used)
        used = ledger.keep
        weights = (
            pd.Series(value[used])
            .groupby(offences[used])
            .mean()
            .reindex(kinds)
            .fillna(0.0)  # an offence with no crime in any zone has zero counts everywhere
            .to_numpy(dtype=float)
        )
    # crimes: totals; harm: counts by offence with harm weights, so the bootstrap redraws
    # counts and the harm's variance carries the weights squared
    source = rows if weights is None else by_type
    quotients = {
        k: wdq(
            treated=source["treated"],
            buffer=source[f"treated ring {k}"],
            control=source["control"],
            weights=weights,
            replicates=replicates,
            seed=seed,
        )
        for k in range(1, n_rings + 1)
    }
    # Windows of equal length (within the hour a clock change adds or removes) compare raw
    # counts; otherwise the before counts are scaled to the after window's length.
    same_length = abs((b1 - b0) - (a1 - a0)) <= pd.Timedelta(hours=1)
    ratio = 1.0 if same_length else (b1 - b0) / (a1 - a0)
    wdd_result = wdd(
        treated=by_type["treated"],
        control=by_type["control"],
        displaced=by_type["treated ring 1"],
        displaced_control=by_type["control ring 1"],
        weights=weights,
        time_weights=(ratio, 1.0),
    )
    return DisplacementResult(
        table=table,
        wdq=quotients,
        wdd=wdd_result,
        outcome=outcome,
        load_report=ledger.report(),
    )

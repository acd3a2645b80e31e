"""Planned against delivered: matching visits to taskings, compliance, and exception reports.

Every file written here shows officers as keyed-hash pseudonyms by default
(:mod:`hspwork.privacy`).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure
from pyproj import CRS, Transformer

from hspwork.crs import to_metric, unit_to_metres
from hspwork.errors import CRSMismatchWarning, HspworkError
from hspwork.io.crs_column import ping_crs
from hspwork.privacy import pseudonymise_frame
from hspwork.tasking._common import PLAN_COLUMNS, STATUSES, _need
from hspwork.tracking.dwell import time_ns

# --------------------------------------------------------------------------- compliance


def match_visits(
    plan: pd.DataFrame,
    visits: pd.DataFrame,
    *,
    before_minutes: float = 30.0,
    after_minutes: float = 60.0,
    done_share: float = 0.8,
    partly_minutes: float = 2.0,
    team_members: dict[str, list[str]] | None = None,
) -> pd.DataFrame:
    """Match planned visits with delivered ones: done, partly done or not done.

    Each delivered visit (a :func:`~hspwork.tracking.dwell` row) is given to one planned visit:
    of the plans it is eligible for at the same fence, the one whose planned start is nearest
    to the visit's start, provided the visit started no more than ``before_minutes`` before the
    planned start nor more than ``after_minutes`` after it (ties go to the earlier plan).
    Eligible: with an ``officer`` in the plan only that officer; with ``team_members``
    (team -> officers) only the planned team's officers; otherwise anyone. A planned visit is **done**
    when its delivered minutes reach ``done_share`` of the planned minutes, **partly** when they
    reach ``partly_minutes`` (less is a pass, not a visit), and **not done** otherwise.

    Returns
    -------
    DataFrame
        The plan with ``delivered_minutes``, ``delivered_visits``, ``delivered_by`` (the officer
        with most minutes), ``first_arrival`` and ``status``.
    """
    _need(plan, PLAN_COLUMNS, "plan")
    _need(visits, ["officer", "fence_id", "start", "minutes"], "visits")
    if not 0 < done_share <= 1:
        raise HspworkError(f"done_share={done_share}: must be in (0, 1]")
    for name, val in (("before_minutes", before_minutes), ("after_minutes", after_minutes)):
        if not np.isfinite(val) or val < 0:
            raise HspworkError(f"{name}={val!r}: must be a finite number of minutes >= 0")
    p = plan.reset_index(drop=True).copy()
    p["_plan"] = np.arange(len(p))
    v = visits[["officer", "fence_id", "start", "minutes"]].reset_index(drop=True).copy()
    v["_visit"] = np.arange(len(v))
    v["fence_id"] = v["fence_id"].astype(str)
    p["fence_id"] = p["fence_id"].astype(str)
    v["_t"] = time_ns(v["start"], "start")
    p["_t"] = time_ns(p["planned_start"], "planned_start")
    # Who may deliver each planned visit, as one key: its named officer, else (with
    # team_members) its team's members, else anyone. Eligibility is applied before choosing the
    # nearest plan, so a visit is never lost to a nearer plan it could not count for.
    pkey = np.full(len(p), "*", dtype=object)
    if team_members is not None:
        member = {(str(t), str(o)) for t, offs in team_members.items() for o in offs}
        pkey = ("t:" + p["team"].astype(str)).to_numpy(dtype=object)
    if "officer" in p.columns:
        named = p["officer"].notna().to_numpy()
        okey = ("o:" + p["officer"].astype(str)).to_numpy(dtype=object)
        if team_members is not None:  # a named officer must also be in the planned team
            in_team = np.array(
                [(str(t), str(o)) in member for t, o in zip(p["team"], p["officer"])], dtype=bool
            )  # one check per planned visit, not per ping
            okey = np.where(in_team, okey, "none")
        pkey = np.where(named, okey, pkey)
    p["_key"] = pkey
    # each delivered visit carries every key it satisfies
    cand = [v.assign(_key="*"), v.assign(_key="o:" + v["officer"].astype(str))]
    if team_members is not None:
        tm = pd.DataFrame(
            [(str(o), f"t:{t}") for t, offs in team_members.items() for o in offs],
            columns=["_o", "_key"],
        ).drop_duplicates()
        cand.append(v.assign(_o=v["officer"].astype(str)).merge(tm, on="_o").drop(columns="_o"))
    left = pd.concat(cand, ignore_index=True).sort_values("_t", kind="stable")
    right = p[["_plan", "fence_id", "_key", "_t"]].rename(columns={"_t": "_tp"})
    right = right.sort_values("_tp", kind="stable")
    # the nearest eligible plan on each side, each within its own window: a plan that started
    # up to after_minutes earlier, or one starting up to before_minutes later
    asof = {"left_on": "_t", "right_on": "_tp", "by": ["fence_id", "_key"]}
    sides = [
        pd.merge_asof(left, right, direction=d, tolerance=round(tol * 60e9), **asof)
        for d, tol in (("backward", after_minutes), ("forward", before_minutes))
    ]
    m = pd.concat(sides, ignore_index=True)
    m = m[m["_plan"].notna()].copy()
    m["_gap"] = (m["_t"] - m["_tp"]).abs()
    # one plan per delivered visit: the nearest start; a tie goes to the earlier plan
    m = m.sort_values(["_visit", "_gap", "_tp"], kind="stable").drop_duplicates("_visit")
    m["_plan"] = m["_plan"].astype(np.int64)
    per = m.groupby("_plan").agg(delivered_minutes=("minutes", "sum"),
                                 delivered_visits=("minutes", "size"),
                                 first_arrival=("start", "min"))  # fmt: skip
    by = (
        m.groupby(["_plan", "officer"])["minutes"].sum().reset_index()
        .sort_values(["_plan", "minutes"], ascending=[True, False])
        .drop_duplicates("_plan").set_index("_plan")["officer"]
    )  # fmt: skip
    out = p.drop(columns=["_t"]).join(per, on="_plan")
    out["delivered_minutes"] = out["delivered_minutes"].fillna(0.0)
    out["delivered_visits"] = out["delivered_visits"].fillna(0).astype(np.int64)
    out["delivered_by"] = out["_plan"].map(by)
    need = done_share * out["minutes"].to_numpy(float)
    got = out["delivered_minutes"].to_numpy(float)
    out["status"] = np.select([got >= need - 1e-9, got >= partly_minutes], ["done", "partly"],
                              "not done")  # fmt: skip
    out["status"] = pd.Categorical(out["status"], categories=list(STATUSES))
    return out.drop(columns="_plan")


def compliance_table(
    matched: pd.DataFrame, by: str | list[str] = "fence_id", target: float = 0.9
) -> pd.DataFrame:
    """Compliance by place, day, shift, team or officer against a target.

    ``compliance`` = done / planned; ``delivered_share`` = (done + partly) / planned;
    ``minutes_ratio`` = delivered minutes (capped at the plan per visit) / planned minutes.
    ``by="officer"`` uses the plan's ``officer`` when present, else the officer who delivered
    (visits nobody delivered are grouped as "unassigned"); ``by="week"`` groups by ISO week.

    Examples
    --------
    >>> m = pd.DataFrame({"fence_id": ["A", "A", "B"], "minutes": [15.0, 15, 15],
    ...     "delivered_minutes": [15.0, 4, 0], "status": ["done", "partly", "not done"]})
    >>> compliance_table(m)[["fence_id", "planned", "done", "compliance", "meets_target"]]
      fence_id  planned  done  compliance  meets_target
    0        A        2     1         0.5         False
    1        B        1     0         0.0         False
    """
    _need(matched, ["minutes", "delivered_minutes", "status"], "matched plan")
    keys = [by] if isinstance(by, str) else list(by)
    m = matched.copy()
    if "officer" in keys:
        if "officer" not in m.columns or m["officer"].isna().all():
            m["officer"] = m.get("delivered_by", pd.Series(index=m.index, dtype=object))
        m["officer"] = m["officer"].astype(object).where(m["officer"].notna(), "unassigned")
    if "week" in keys:
        d = pd.to_datetime(m["date"].astype(str))
        m["week"] = (d - pd.to_timedelta(d.dt.day_of_week, unit="D")).dt.date
    _need(m, keys, "matched plan")
    st = m["status"].astype(str)
    m["_done"] = st == "done"
    m["_partly"] = st == "partly"
    m["_not"] = st == "not done"
    m["_cap"] = np.minimum(m["delivered_minutes"], m["minutes"])
    out = m.groupby(keys, sort=True, dropna=False).agg(
        planned=("status", "size"), done=("_done", "sum"), partly=("_partly", "sum"),
        not_done=("_not", "sum"), planned_minutes=("minutes", "sum"),
        delivered_minutes=("_cap", "sum"),
    )  # fmt: skip
    out["compliance"] = out["done"] / out["planned"]
    out["delivered_share"] = (out["done"] + out["partly"]) / out["planned"]
    out["minutes_ratio"] = out["delivered_minutes"] / out["planned_minutes"]
    out["target"] = target
    out["meets_target"] = out["compliance"] >= target
    for c in ("done", "partly", "not_done"):
        out[c] = out[c].astype(np.int64)
    return out.reset_index()


def weekly_performance(matched: pd.DataFrame, target: float = 0.9) -> pd.DataFrame:
    """The weekly performance table: one row per week (starting Monday), all places."""
    return compliance_table(matched, by="week", target=target)


def plot_weekly(weekly: pd.DataFrame, target: float | None = None) -> Figure:
    """Weekly compliance (done) and delivered share against the target; returns the Figure."""
    _need(weekly, ["week", "compliance", "delivered_share"], "weekly table")
    target = float(weekly["target"].iloc[0]) if target is None and "target" in weekly else target
    fig = Figure(figsize=(8, 3.5))
    ax = fig.subplots()
    x = pd.to_datetime(weekly["week"].astype(str))
    ax.plot(x, 100 * weekly["compliance"], marker="o", label="done")
    ax.plot(x, 100 * weekly["delivered_share"], marker="s", ls="--", label="done or partly")
    if target is not None:
        ax.axhline(100 * target, color="tab:red", lw=1, label=f"target {target:.0%}")
    ax.set(ylim=(0, 105), ylabel="% of planned visits", xlabel="week beginning",
           title="Hot spot patrol compliance by week")  # fmt: skip
    ax.legend(frameon=False, loc="lower left")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- exceptions


def _fence_at(fences: gpd.GeoDataFrame, fence_id: pd.Series, when: pd.Series) -> np.ndarray:
    """Geometry of each ``fence_id`` as it stood at ``when`` (the latest version begun by then).

    Without ``valid_from`` (or before a fence's first version) the last row of that fence is
    used; a fence not in ``fences`` gives None.
    """
    fid = fences["fence_id"].astype(str).to_numpy()
    geoms = fences.geometry.to_numpy()
    last = dict(zip(fid, geoms))  # later rows overwrite: the last version
    out = np.array([last.get(str(f)) for f in fence_id], dtype=object)  # one per exception
    if "valid_from" not in fences.columns or len(fence_id) == 0:
        return out
    vf = time_ns(fences["valid_from"], "valid_from")
    versions = pd.DataFrame({"fence_id": fid, "_vf": vf, "_g": np.arange(len(fid))})
    versions = versions[vf != np.iinfo(np.int64).min].sort_values("_vf", kind="stable")
    # an open start (NaT) is the earliest possible version
    open_start = pd.DataFrame({"fence_id": fid, "_vf": np.iinfo(np.int64).min + 1,
                               "_g": np.arange(len(fid))})[vf == np.iinfo(np.int64).min]  # fmt: skip
    versions = pd.concat([open_start, versions], ignore_index=True).sort_values(
        "_vf", kind="stable"
    )
    q = pd.DataFrame(
        {"fence_id": fence_id.astype(str).to_numpy(), "_t": time_ns(when, "planned_start"),
         "_row": np.arange(len(fence_id))}
    ).sort_values("_t", kind="stable")  # fmt: skip
    m = pd.merge_asof(q, versions, left_on="_t", right_on="_vf", by="fence_id")
    hit = m["_g"].notna().to_numpy()
    out[m["_row"].to_numpy()[hit]] = geoms[m["_g"].to_numpy()[hit].astype(np.int64)]
    return out


def exception_report(
    matched: pd.DataFrame,
    pings: pd.DataFrame,
    fences: gpd.GeoDataFrame,
    *,
    team_members: dict[str, list[str]] | None = None,
    margin_minutes: float = 0.0,
    include_partly: bool = True,
    crs=None,
) -> pd.DataFrame:
    """Taskings not performed, and whether the officers' devices were silent at the time.

    For each planned visit that was not done (and, with ``include_partly``, partly done), the
    officers expected are the plan's ``officer`` if named, else the team's members
    (``team_members``), else the officer who partly delivered it. Their pings in the planned
    window (``planned_start - margin`` to ``planned_start + minutes + margin``) are counted:

    * ``device_silent`` - no expected officer's device sent any ping in the window, so the
      tracking data cannot say whether the visit happened ("no data" is not "not there");
      ``officers_silent`` counts the expected officers whose devices were silent (with a
      team, some may be silent while others were heard elsewhere);
    * ``pings_in_window`` and ``closest_m`` - how many pings, and the closest any came to the
      fence (metres, whatever the CRS unit), when the devices were heard.

    The pings' CRS comes from their ``crs`` column (or ``crs=``; :func:`hspwork.io.ping_crs`), as for
    :func:`~hspwork.tracking.dwell`; pings in another CRS than the fences are converted. With
    versioned fences the distance is to the version in force at the planned start.

    Returns
    -------
    DataFrame
        One row per exception: the plan columns, ``status``, ``delivered_minutes``,
        ``officers_expected``, ``officers_heard``, ``officers_silent``, ``pings_in_window``,
        ``closest_m``,
        ``device_silent``, and ``reason`` in words.
    """
    _need(matched, [*PLAN_COLUMNS, "status", "delivered_minutes"], "matched plan")
    _need(pings, ["officer", "time", "x", "y"], "pings")
    keep = {"not done", "partly"} if include_partly else {"not done"}
    ex = matched[matched["status"].astype(str).isin(keep)].reset_index(drop=True).copy()
    ex["_row"] = np.arange(len(ex))
    expected = []
    for i, r in enumerate(ex.itertuples(index=False)):  # one row per exception, not per ping
        offs: list[str] = []
        if "officer" in ex.columns and pd.notna(getattr(r, "officer", None)):
            offs = [str(r.officer)]
        elif team_members is not None and r.team in team_members:
            offs = [str(o) for o in team_members[r.team]]
        elif "delivered_by" in ex.columns and pd.notna(r.delivered_by):
            offs = [str(r.delivered_by)]
        expected += [(i, o) for o in offs]
    pairs = pd.DataFrame(expected, columns=["_row", "officer"])
    lo = time_ns(ex["planned_start"]) - int(margin_minutes * 60e9)
    hi = time_ns(ex["planned_start"]) + (ex["minutes"].to_numpy(float) * 60e9).astype(np.int64)
    hi = hi + int(margin_minutes * 60e9)
    fences = to_metric(fences, "fences")
    p_crs = ping_crs(pings, crs)
    x = pings["x"].to_numpy(float)
    y = pings["y"].to_numpy(float)
    if not p_crs.equals(CRS.from_user_input(fences.crs)):
        warnings.warn(
            f"pings are in {p_crs.name} but fences are in {fences.crs.name}; converted the "
            "pings to the fences' CRS",
            CRSMismatchWarning,
            stacklevel=2,
        )
        x, y = Transformer.from_crs(p_crs, fences.crs, always_xy=True).transform(x, y)
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    to_m = unit_to_metres(fences.crs)
    t = time_ns(pings["time"])
    off = pings["officer"].astype(str).to_numpy()
    order = np.lexsort((t, off))
    t, off = t[order], off[order]
    x, y = x[order], y[order]
    # per officer, searchsorted gives the window's ping range; closest distance on those pings
    names, first = np.unique(off, return_index=True)
    last = np.r_[first[1:], len(off)]
    where = dict(zip(names, zip(first, last)))
    row_geom = _fence_at(fences, ex["fence_id"], ex["planned_start"])
    n_pings = np.zeros(len(pairs), dtype=np.int64)
    closest = np.full(len(pairs), np.inf)
    for k, (row, o) in enumerate(zip(pairs["_row"], pairs["officer"])):  # exceptions x officers
        if o not in where:
            continue
        a, b = where[o]
        i0 = a + np.searchsorted(t[a:b], lo[row], side="left")
        i1 = a + np.searchsorted(t[a:b], hi[row], side="right")
        n_pings[k] = i1 - i0
        if i1 > i0:
            g = row_geom[row]
            if g is not None:
                d = shapely.distance(g, shapely.points(x[i0:i1], y[i0:i1])).min()
                closest[k] = float(d) * to_m
    pairs["pings"] = n_pings
    pairs["closest"] = closest
    pairs["heard"] = pairs["pings"] > 0
    agg = pairs.groupby("_row").agg(
        officers_expected=("officer", "size"), officers_heard=("heard", "sum"),
        pings_in_window=("pings", "sum"), closest_m=("closest", "min"),
    )  # fmt: skip
    ex = ex.join(agg, on="_row")
    ex["officers_expected"] = ex["officers_expected"].fillna(0).astype(np.int64)
    ex["officers_heard"] = ex["officers_heard"].fillna(0).astype(np.int64)
    ex["pings_in_window"] = ex["pings_in_window"].fillna(0).astype(np.int64)
    ex["closest_m"] = ex["closest_m"].replace(np.inf, np.nan)
    ex["officers_silent"] = ex["officers_expected"] - ex["officers_heard"]
    ex["device_silent"] = (ex["pings_in_window"] == 0) & (ex["officers_expected"] > 0)
    # A part-delivered tasking whose devices were away during the window was visited at
    # another time (the matched visit fell in the early/late allowance), not skipped.
    partly = ex["status"].astype(str) == "partly"
    ex["reason"] = np.select(
        [ex["officers_expected"] == 0, ex["device_silent"],
         partly & (ex["closest_m"] > 0), ex["closest_m"] > 0],
        ["no officer known for this tasking",
         "device silent during the planned window: attendance cannot be judged",
         "visited outside the planned window (device elsewhere during it)",
         "device heard elsewhere: not at the spot"],
        "device heard at the spot but too briefly",
    )  # fmt: skip
    return ex.drop(columns="_row")


def write_report(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    columns=("officer", "delivered_by"),
    pseudonymise: bool = True,
    key: str | bytes | None = None,
) -> Path:
    """Write a report (compliance table, exception report) to CSV, officers pseudonymised."""
    out = pseudonymise_frame(frame, list(columns), key=key) if pseudonymise else frame
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False)
    return path

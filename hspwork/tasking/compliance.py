"""Planned against delivered: matching visits to taskings, compliance, and exception reports.

Every file written here shows officers as keyed-hash pseudonyms by default
(:mod:`hspwork.privacy`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure
from pyproj import CRS, Transformer

from hspwork.compat import UNSET, renamed
from hspwork.crs import to_metric, unit_to_metres
from hspwork.errors import CRSMismatchWarning, HspworkError
from hspwork.io.crs_column import ping_crs
from hspwork.privacy import pseudonymise_frame
from hspwork.tasking._common import PLAN_COLUMNS, STATUSES, _need
from hspwork.tracking.dwell import (
    DwellResult,
    as_visits,
    dwell,
    renumbered,
    time_ns,
)
from hspwork.workfolder import mark_corrected

# --------------------------------------------------------------------------- compliance


def match_visits(
    plan: pd.DataFrame,
    visits: pd.DataFrame,
    *,
    before_minutes: float = 30.0,
    after_minutes: float = 60.0,
    done_share: float = 0.8,
    partly_minutes: float = 2.0,
    team_roster: dict[str, list[str]] | pd.DataFrame | None = None,
    team_members=UNSET,
) -> pd.DataFrame:
    """Match planned visits with delivered ones: done, partly done or not done.

    Each delivered visit (a row of a :func:`~hspwork.tracking.dwell` result's visits) is given
    to one planned visit:
    of the plans it is eligible for at the same fence, the one whose planned start is nearest
    to the visit's start, provided the visit started no more than ``before_minutes`` before the
    planned start nor more than ``after_minutes`` after it (ties go to the earlier plan, and
    between plans starting at the same time, to the one listed first in the plan).
    Eligible: with an ``officer`` in the plan only that officer; with ``team_roster``
    (team -> officers, or a frame ``officer``, ``team``) only the planned team's officers;
    otherwise anyone. ``team_members`` is the deprecated name of ``team_roster``. A planned visit is **done**
    when its delivered minutes reach ``done_share`` of the planned minutes, **partly** when they
    reach ``partly_minutes`` (less is a pass, not a visit), and **not done** otherwise.

    Returns
    -------
    DataFrame
        The plan with ``delivered_minutes``, ``delivered_visits``, ``delivered_by`` (the officer
        with most minutes), ``first_arrival`` and ``status``.
    """
    team_members = _roster_dict(
        renamed("match_visits", "team_members", team_members, "team_roster", team_roster, None)
    )
    _need(plan, PLAN_COLUMNS, "plan")
    visits = as_visits(visits)
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
    # the nearest eligible plan on each side, each within its own window: a plan that started
    # up to after_minutes earlier, or one starting up to before_minutes later. Of plans
    # starting together merge_asof takes the last row looking back and the first looking
    # forward: ordering them by plan row, descending and ascending, makes both the first listed.
    asof = {"left_on": "_t", "right_on": "_tp", "by": ["fence_id", "_key"]}
    sides = [
        pd.merge_asof(left, right.sort_values(["_tp", "_plan"], ascending=[True, up]),
                      direction=d, tolerance=round(tol * 60e9), **asof)
        for d, tol, up in (("backward", after_minutes, False), ("forward", before_minutes, True))
    ]  # fmt: skip
    m = pd.concat(sides, ignore_index=True)
    m = m[m["_plan"].notna()].copy()
    m["_gap"] = (m["_t"] - m["_tp"]).abs()
    # one plan per delivered visit: the nearest start; a tie goes to the earlier plan, and
    # between plans starting together, to the one listed first (not to whichever team the
    # roster happens to name first)
    m = m.sort_values(["_visit", "_gap", "_tp", "_plan"], kind="stable")
    m = m.drop_duplicates("_visit")
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
    return out.drop(columns=["_plan", "_key"])


def tasking_windows(
    plan: pd.DataFrame,
    *,
    before_minutes: float = 30.0,
    after_minutes: float = 60.0,
    team_roster: dict[str, list[str]] | pd.DataFrame | None = None,
    officers=None,
) -> pd.DataFrame:
    """The tasked windows: one row per tasking and officer eligible to deliver it.

    A visit may begin from ``before_minutes`` before the planned start to ``after_minutes``
    after it (``window_start``, ``window_end``), as :func:`match_visits` matches visits; the
    officer is expected at the spot until ``window_end + minutes``. Eligible officers are the
    plan's ``officer`` where named, else the members of the tasked team in ``team_roster``
    (team -> officers, or a frame ``officer``, ``team``), else (as :func:`match_visits` takes
    anyone then) every one of ``officers``; taskings with none are left out.

    Examples
    --------
    >>> plan = pd.DataFrame({"tasking_id": ["T1"], "fence_id": ["A"], "date": ["2025-09-01"],
    ...     "shift": ["early"], "planned_start": [pd.Timestamp("2025-09-01 08:00", tz="UTC")],
    ...     "minutes": [15.0], "team": ["Crew 1"]})
    >>> w = tasking_windows(plan, team_roster={"Crew 1": ["PC1", "PC2"]})
    >>> w[["tasking_id", "officer", "window_start", "window_end"]].astype(str).values.tolist()
    [['T1', 'PC1', '2025-09-01 07:30:00+00:00', '2025-09-01 09:00:00+00:00'], ['T1', 'PC2', '2025-09-01 07:30:00+00:00', '2025-09-01 09:00:00+00:00']]
    """
    _need(plan, PLAN_COLUMNS, "plan")
    roster = _roster_pairs(team_roster)
    p = plan.reset_index(drop=True)
    base = pd.DataFrame(
        {
            "tasking_id": p["tasking_id"].astype(str).to_numpy(),
            "fence_id": p["fence_id"].astype(str).to_numpy(),
            "team": p["team"].astype(str).to_numpy(),
            "window_start": p["planned_start"] - pd.Timedelta(minutes=float(before_minutes)),
            "window_end": p["planned_start"] + pd.Timedelta(minutes=float(after_minutes)),
            "minutes": p["minutes"].to_numpy(float),
        }
    )
    named = p["officer"].notna().to_numpy() if "officer" in p.columns else np.zeros(len(p), bool)
    parts = []
    if named.any():
        parts.append(base[named].assign(officer=p.loc[named, "officer"].astype(str).to_numpy()))
    if roster is not None:
        parts.append(base[~named].merge(roster, on="team"))
    elif officers is not None:
        anyone = pd.DataFrame({"officer": pd.unique(pd.Series(list(officers), dtype=str))})
        parts.append(base[~named].merge(anyone, how="cross"))
    cols = ["tasking_id", "fence_id", "officer", "window_start", "window_end", "minutes"]
    parts.append(base.iloc[:0].assign(officer=pd.Series(dtype=str)))  # the columns' types
    out = pd.concat(parts, ignore_index=True)[cols]
    return out.sort_values(["window_start", "tasking_id", "officer"], kind="stable").reset_index(
        drop=True
    )


def _roster_pairs(team_roster) -> pd.DataFrame | None:
    """Team roster as a frame (team, officer): from a dict team -> officers or a frame."""
    if team_roster is None:
        return None
    if isinstance(team_roster, pd.DataFrame):
        _need(team_roster, ["officer", "team"], "team_roster")
        r = team_roster[["team", "officer"]].astype(str)
    else:
        r = pd.DataFrame(
            [(str(t), str(o)) for t, offs in team_roster.items() for o in offs],
            columns=["team", "officer"],
        )  # one row per team member
    return r.drop_duplicates().reset_index(drop=True)


def _roster_dict(team_roster) -> dict[str, list[str]] | None:
    r = _roster_pairs(team_roster)
    if r is None:
        return None
    return {t: g["officer"].tolist() for t, g in r.groupby("team", sort=False)}


def compliance_table(
    matched: pd.DataFrame,
    by: str | list[str] = "fence_id",
    target_compliance: float = 0.9,
    *,
    target=UNSET,
) -> pd.DataFrame:
    """Compliance by place, day, shift, team or officer against the programme's target.

    ``compliance`` = minutes delivered / minutes planned, each tasking's delivered minutes
    capped at its planned minutes, so a long stay at one spot cannot hide a missed visit at
    another (docs/glossary.md); ``taskings_done_share`` = taskings done / planned;
    ``delivered_share`` = (done + partly) / planned. ``by="officer"`` uses the plan's
    ``officer`` when present, else the officer who delivered (taskings nobody delivered are
    grouped as "unassigned"); ``by="week"`` groups by the week beginning Monday. ``target`` is
    the deprecated name of ``target_compliance`` (FutureWarning).

    Examples
    --------
    >>> m = pd.DataFrame({"fence_id": ["A", "A", "B"], "minutes": [15.0, 15, 15],
    ...     "delivered_minutes": [20.0, 4, 0], "status": ["done", "partly", "not done"]})
    >>> t = compliance_table(m, target_compliance=0.9)
    >>> t[["fence_id", "planned", "done", "compliance", "taskings_done_share", "meets_target"]]
      fence_id  planned  done  compliance  taskings_done_share  meets_target
    0        A        2     1    0.633333                  0.5         False
    1        B        1     0    0.000000                  0.0         False
    """
    target_compliance = renamed(
        "compliance_table", "target", target, "target_compliance", target_compliance, 0.9
    )
    target_compliance = _check_target(target_compliance)
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
    out["compliance"] = out["delivered_minutes"] / out["planned_minutes"]
    out["taskings_done_share"] = out["done"] / out["planned"]
    out["delivered_share"] = (out["done"] + out["partly"]) / out["planned"]
    out["target_compliance"] = target_compliance
    out["meets_target"] = out["compliance"] >= target_compliance
    return out.reset_index()


def _check_target(target_compliance) -> float:
    try:
        value = float(target_compliance)
    except (TypeError, ValueError) as exc:
        raise HspworkError(
            f"target_compliance={target_compliance!r}: give a share in (0, 1], e.g. 0.9"
        ) from exc
    if not 0 < value <= 1:
        raise HspworkError(
            f"target_compliance={target_compliance!r}: give a share in (0, 1], e.g. 0.9 for 90%"
        )
    return value


def weekly_performance(
    matched: pd.DataFrame, target_compliance: float = 0.9, *, target=UNSET
) -> pd.DataFrame:
    """The weekly performance table: one row per week (starting Monday), all places.

    ``target`` is the deprecated name of ``target_compliance`` (FutureWarning).
    """
    target_compliance = renamed("weekly_performance", "target", target, "target_compliance",
                                target_compliance, 0.9)  # fmt: skip
    return compliance_table(matched, by="week", target_compliance=target_compliance)


def plot_weekly(
    weekly: pd.DataFrame, target_compliance: float | None = None, *, target=UNSET
) -> Figure:
    """Weekly compliance (minutes delivered) and taskings done against the target.

    ``target_compliance`` defaults to the table's own column; ``target`` is its deprecated
    name (FutureWarning). Returns the Figure.
    """
    target_compliance = renamed("plot_weekly", "target", target, "target_compliance",
                                target_compliance, None)  # fmt: skip
    _need(weekly, ["week", "compliance", "taskings_done_share"], "weekly table")
    if target_compliance is None and "target_compliance" in weekly:
        target_compliance = float(weekly["target_compliance"].iloc[0])
    fig = Figure(figsize=(8, 3.5))
    ax = fig.subplots()
    x = pd.to_datetime(weekly["week"].astype(str))
    ax.plot(x, 100 * weekly["compliance"], marker="o", label="minutes delivered (compliance)")
    ax.plot(x, 100 * weekly["taskings_done_share"], marker="s", ls="--", label="taskings done")
    if target_compliance is not None:
        ax.axhline(100 * target_compliance, color="tab:red", lw=1,
                   label=f"target {target_compliance:.0%}")  # fmt: skip
    ax.set(ylim=(0, 105), ylabel="% of planned", xlabel="week beginning",
           title="Hot spot patrol compliance by week")  # fmt: skip
    ax.legend(frameon=False, loc="lower left")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- location faults


@dataclass(frozen=True, eq=False)
class FaultCorrection:
    """Compliance measured and corrected for location faults, side by side, with the evidence.

    Attributes
    ----------
    proposals : DataFrame
        :func:`hspwork.tracking.propose_catchments`: per hot spot and kind of device, the
        correction, its strength, evidence and ``headline`` ("corrected" or "measured").
    evidence : dict of DataFrame
        ``"clusters"``, ``"silences"``, ``"between_sources"`` and ``"known_points"`` (the
        tables behind the proposals; empty where there was nothing to compare), and with
        ``area_column`` ``"areas"``, the offsets pooled per area and device.
    raw, corrected : DwellResult
        Dwell as measured, and with the corrections (:func:`hspwork.tracking.corrected_dwell`).
    matched_raw, matched_corrected : DataFrame
        :func:`match_visits` on each.
    matched : DataFrame
        The headline plan: each hot spot's rows from ``matched_corrected`` where its evidence
        is strong, else from ``matched_raw``; ``figure`` says which ("measured", or
        "corrected: catchment +200 m").
    dwell : DwellResult
        The headline visits: corrected ones at the hot spots whose evidence is strong,
        measured ones elsewhere (for dosage and the visits file).
    rule : str
        :data:`hspwork.tracking.CORRECTION_RULE`, in plain words.
    """

    proposals: pd.DataFrame
    evidence: dict
    raw: DwellResult
    corrected: DwellResult
    matched_raw: pd.DataFrame
    matched_corrected: pd.DataFrame
    matched: pd.DataFrame
    dwell: DwellResult
    rule: str

    def by_fence(self, target_compliance: float = 0.9) -> pd.DataFrame:
        """Per hot spot: compliance measured, corrected and in the headline, with the evidence.

        Columns: ``fence_id``, ``planned``, ``planned_minutes``, ``compliance_measured``,
        ``compliance_corrected``, ``compliance`` (the headline), ``figure``, ``fault``
        (the note, e.g. "catchment +200 m"), ``strength`` and ``evidence``.
        """
        raw = compliance_table(self.matched_raw, target_compliance=target_compliance)
        cor = compliance_table(self.matched_corrected, target_compliance=target_compliance)
        head = compliance_table(self.matched, target_compliance=target_compliance)
        out = raw[["fence_id", "planned", "planned_minutes"]].copy()
        out["compliance_measured"] = raw["compliance"].to_numpy()
        out["compliance_corrected"] = out["fence_id"].map(cor.set_index("fence_id")["compliance"])
        out["compliance"] = out["fence_id"].map(head.set_index("fence_id")["compliance"])
        fig = self.matched.drop_duplicates("fence_id").set_index("fence_id")["figure"]
        out["figure"] = out["fence_id"].map(fig)
        top = _strongest(self.proposals)
        for col in ("note", "strength", "evidence"):
            out["fault" if col == "note" else col] = out["fence_id"].map(top[col]).fillna("")
        return out

    def exception_notes(self) -> list[str]:
        """Plain sentences for the weekly page, one per hot spot with a location fault."""
        notes = []
        for r in _strongest(self.proposals).reset_index().to_dict("records"):
            used = (
                "the corrected figure is shown"
                if r["headline"] == "corrected"
                else (
                    "the measured figure is shown until the evidence is strong; test on the ground"
                )
            )
            notes.append(f"{r['fence_id']}: location data fault suspected ({r['note']}): "
                         f"{r['evidence']}; {used}.")  # fmt: skip
        return notes

    def summary(self) -> str:
        """Plain lines: the programme measured, corrected and in the headline, and the rule."""

        def share(m):
            cap = np.minimum(m["delivered_minutes"], m["minutes"]).sum()
            return cap / m["minutes"].sum()

        strong = sorted(self.proposals.loc[self.proposals["headline"] == "corrected",
                                           "fence_id"].unique())  # fmt: skip
        lines = [
            f"planned minutes delivered: {share(self.matched_raw):.0%} as measured, "
            f"{share(self.matched_corrected):.0%} with location faults corrected; the headline "
            f"shows {share(self.matched):.0%}, corrected at "
            f"{', '.join(strong) if strong else 'no hot spot'} (strong evidence only).",
            self.rule,
        ]
        return "\n".join(lines)


def _strongest(proposals: pd.DataFrame) -> pd.DataFrame:
    """Per hot spot, its strongest proposal of moderate or more (index fence_id)."""
    p = proposals[proposals["strength"].isin(["moderate", "strong"])].copy()
    p["_r"] = p["strength"].map({"moderate": 0, "strong": 1})
    p = p.sort_values(["fence_id", "_r"], ascending=[True, False], kind="stable")
    return p.drop_duplicates("fence_id").set_index("fence_id")


def correct_location_faults(
    plan: pd.DataFrame,
    pings: pd.DataFrame,
    fences: gpd.GeoDataFrame,
    *,
    team_roster: dict[str, list[str]] | pd.DataFrame | None = None,
    calibration=None,
    area_column: str | None = None,
    done_share: float = 0.8,
    before_minutes: float = 30.0,
    after_minutes: float = 60.0,
    catchment: bool | float = True,
    min_minutes: float = 2.0,
    max_gap_minutes=None,
    merge_within_minutes=2.0,
    raw: DwellResult | None = None,
    crs=None,
) -> FaultCorrection:
    """Find location faults, correct compliance for them, and keep both figures.

    The evidence (:mod:`hspwork.tracking.faults`): known points where the force has them
    (``calibration``, a :class:`hspwork.fences.GpsCalibration` by source, or its
    ``offsets()``), devices lingering outside a tasked fence during its tasked windows,
    an officer's app and radio disagreeing, and devices silent around a tasked fence. From it
    a correction per hot spot and kind of device (``catchment +200 m``, or a radio silence
    bridged), then dwell and compliance recomputed with it under the pass-by rule
    (:data:`hspwork.tracking.CORRECTION_RULE`). The headline takes the corrected figure only
    where the evidence is strong.

    Parameters
    ----------
    plan : DataFrame
        The tasking plan (``planned_start`` in UTC).
    pings : DataFrame
        Cleaned pings, as for :func:`hspwork.tracking.dwell`.
    fences : GeoDataFrame
        The fences, with ``buffer_m`` for ``catchment=True``.
    team_roster : dict or DataFrame, optional
        Team -> officers (or ``officer``, ``team``): who may deliver each tasking.
    calibration : GpsCalibration or DataFrame, optional
        Known-point offsets, calibrated by source (and ``fence_id`` or ``area_column``).
    area_column : str, optional
        A column of the fences naming their area (a beat), to pool evidence by area.
    done_share, before_minutes, after_minutes
        As for :func:`match_visits`.
    raw : DwellResult, optional
        The measured dwell, if already computed with the same settings.

    Returns
    -------
    FaultCorrection
    """
    from hspwork.tracking import faults as F

    windows = tasking_windows(plan, before_minutes=before_minutes, after_minutes=after_minutes,
                              team_roster=team_roster, officers=pings["officer"].dropna())  # fmt: skip
    common = {"max_gap_minutes": max_gap_minutes, "crs": crs}
    if raw is None:
        raw = dwell(pings, fences, catchment=catchment,
                    merge_within_minutes=merge_within_minutes, **common)  # fmt: skip
    clusters = F.offsets_from_clusters(pings, fences, windows, catchment=catchment,
                                       area_column=area_column, **common)  # fmt: skip
    silences = F.silences_at_fences(pings, fences, windows, catchment=catchment,
                                    area_column=area_column, **common)  # fmt: skip
    between = (F.offsets_between_sources(pings, crs=crs) if "source" in pings.columns
               else pd.DataFrame())  # fmt: skip
    known = calibration.offsets() if hasattr(calibration, "offsets") else calibration
    proposals = F.propose_catchments(fences, clusters=clusters, silences=silences,
                                     between_sources=between, known_points=known,
                                     area_column=area_column, catchment=catchment)  # fmt: skip
    corrected = F.corrected_dwell(pings, fences, proposals, windows, catchment=catchment,
                                  min_minutes=min_minutes,
                                  merge_within_minutes=merge_within_minutes, **common)  # fmt: skip
    match = {"before_minutes": before_minutes, "after_minutes": after_minutes,
             "done_share": done_share, "team_roster": team_roster}  # fmt: skip
    m_raw = match_visits(plan, raw, **match)
    m_cor = match_visits(plan, corrected, **match)
    strong = _strongest(proposals)
    strong = strong[strong["headline"] == "corrected"]
    use = m_raw["fence_id"].astype(str).isin(strong.index).to_numpy()
    matched = m_raw.copy()
    matched.loc[use] = m_cor.loc[use].to_numpy()  # the plan's row order is the same in both
    matched["figure"] = "measured"
    matched.loc[use, "figure"] = "corrected: " + matched.loc[use, "fence_id"].astype(str).map(
        strong["note"]
    )
    evidence = {"clusters": clusters, "silences": silences, "between_sources": between,
                "known_points": known if known is not None else pd.DataFrame()}  # fmt: skip
    if area_column is not None:
        evidence["areas"] = F.offsets_by_area(clusters)
    headline = _headline_dwell(raw, corrected, set(strong.index))
    return FaultCorrection(
        proposals=proposals,
        evidence=evidence,
        raw=raw,
        corrected=corrected,
        matched_raw=m_raw,
        matched_corrected=m_cor,
        matched=matched,
        dwell=headline,
        rule=F.CORRECTION_RULE.format(min_minutes=min_minutes),
    )


def _headline_dwell(raw: DwellResult, corrected: DwellResult, strong: set) -> DwellResult:
    """Corrected visits at the hot spots in ``strong``, measured visits everywhere else."""
    a = corrected.select(corrected.visits["fence_id"].astype(str).isin(strong).to_numpy())
    b = raw.select(~raw.visits["fence_id"].astype(str).isin(strong).to_numpy())
    bv = b.visits.assign(basis="measured", correction="")
    shift = int(a.visits["visit_id"].max()) + 1 if len(a.visits) else 0  # ids apart
    visits = pd.concat([a.visits, bv.assign(visit_id=bv["visit_id"] + shift)], ignore_index=True)
    runs = pd.concat([a.runs.astype({"officer": object, "fence_id": object}),
                      b.runs.astype({"officer": object, "fence_id": object}).assign(
                          visit_id=b.runs["visit_id"] + shift)], ignore_index=True)  # fmt: skip
    visits, runs = renumbered(visits, runs)
    rule = {**corrected.rule, "headline_corrected_at": sorted(strong)}
    return DwellResult(visits, runs, raw.officers, raw.fence_ids, rule, raw.report)


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


#: The cause of an exception, by its reason: location data faults apart from missed patrols.
CAUSES = {
    "no officer known for this tasking": "no officer known",
    "device silent during the planned window: attendance cannot be judged": "no data",
    "visited outside the planned window (device elsewhere during it)": "outside the window",
    "device heard elsewhere: not at the spot": "missed patrol",
    "device heard at the spot but too briefly": "missed patrol",
}


def exception_report(
    matched: pd.DataFrame,
    pings: pd.DataFrame,
    fences: gpd.GeoDataFrame,
    *,
    team_roster: dict[str, list[str]] | pd.DataFrame | None = None,
    margin_minutes: float = 0.0,
    include_partly: bool = True,
    faults=None,
    crs=None,
    team_members=UNSET,
) -> pd.DataFrame:
    """Taskings not performed, why, and whether the fault lies with the location data.

    For each planned visit that was not done (and, with ``include_partly``, partly done), the
    officers expected are the plan's ``officer`` if named, else the team's members
    (``team_roster``), else the officer who partly delivered it. Their pings in the planned
    window (``planned_start - margin`` to ``planned_start + minutes + margin``) are counted:

    * ``device_silent`` - no expected officer's device sent any ping in the window, so the
      tracking data cannot say whether the visit happened ("no data" is not "not there");
      ``officers_silent`` counts the expected officers whose devices were silent (with a
      team, some may be silent while others were heard elsewhere);
    * ``pings_in_window`` and ``closest_m`` - how many pings, and the closest any came to the
      fence (metres, whatever the CRS unit), when the devices were heard.

    With ``faults`` (a :class:`FaultCorrection`, or proposals from
    :func:`hspwork.tracking.propose_catchments`), a tasking at a hot spot with moderate or
    strong evidence of a location fault for an expected officer's device is judged with it:

    * for that device, ``closest_m`` is the distance to the widened catchment;
    * where its figure is measured (the ``figure`` column of :attr:`FaultCorrection.matched`
      is "measured", or absent), a device that came within the widened catchment reads
      "location data fault suspected (catchment +200 m)", and a silent device at a dead spot
      "location data fault suspected (radio silent at this spot)";
    * where its figure is already corrected, distances are to the widened catchment and the
      usual reasons end "(location corrected: catchment +200 m)".

    ``cause`` sorts the reasons for the weekly page: "location data fault", "missed patrol"
    (heard elsewhere, or too briefly), "outside the window", "no data" (silent, no known
    fault) and "no officer known" (:data:`CAUSES`). ``team_members`` is the deprecated name
    of ``team_roster``.

    The pings' CRS comes from their ``crs`` column (or ``crs=``; :func:`hspwork.io.ping_crs`), as for
    :func:`~hspwork.tracking.dwell`; pings in another CRS than the fences are converted. With
    versioned fences the distance is to the version in force at the planned start.

    Returns
    -------
    DataFrame
        One row per exception: the plan columns, ``status``, ``delivered_minutes``,
        ``officers_expected``, ``officers_heard``, ``officers_silent``, ``pings_in_window``,
        ``closest_m``, ``device_silent``, ``fault`` (the fault's note, or empty), ``reason``
        in words and ``cause``.
    """
    team_members = _roster_dict(
        renamed("exception_report", "team_members", team_members, "team_roster", team_roster, None)
    )
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
    src = (pings["source"].astype(str).to_numpy() if "source" in pings.columns
           else np.full(len(pings), "", dtype=object))  # fmt: skip
    order = np.lexsort((t, off))
    t, off, src = t[order], off[order], src[order]
    x, y = x[order], y[order]
    # per officer, searchsorted gives the window's ping range; closest distance on those pings
    names, first = np.unique(off, return_index=True)
    last = np.r_[first[1:], len(off)]
    where = dict(zip(names, zip(first, last)))
    row_geom = _fence_at(fences, ex["fence_id"], ex["planned_start"])
    known = _fault_table(faults)
    buffers = (dict(zip(fences["fence_id"].astype(str), fences["buffer_m"].fillna(0.0)))
               if "buffer_m" in fences.columns else {})  # fmt: skip
    widened = _widened_geometries(row_geom, ex["fence_id"], known, to_m, buffers)
    n_pings = np.zeros(len(pairs), dtype=np.int64)
    closest = np.full(len(pairs), np.inf)
    fault = np.full(len(pairs), "", dtype=object)
    kind = np.full(len(pairs), "", dtype=object)
    for k, (row, o) in enumerate(zip(pairs["_row"], pairs["officer"])):  # exceptions x officers
        if o not in where:
            continue
        a, b = where[o]
        i0 = a + np.searchsorted(t[a:b], lo[row], side="left")
        i1 = a + np.searchsorted(t[a:b], hi[row], side="right")
        n_pings[k] = i1 - i0
        carried = set(src[a:b])  # the officer's kinds of device, for the known faults
        hit = known[(known["fence_id"] == str(ex["fence_id"].iloc[row]))
                    & known["source"].isin(carried)]  # fmt: skip
        if len(hit):
            fault[k], kind[k] = hit["note"].iloc[0], hit["kind"].iloc[0]
        if i1 > i0:
            g = row_geom[row]
            if g is not None:
                d = shapely.distance(g, shapely.points(x[i0:i1], y[i0:i1]))
                for r in hit[hit["kind"] == "offset"].itertuples():  # the device's widened fence
                    mine = src[i0:i1] == r.source
                    wide = widened.get((row, r.source))
                    if wide is not None and mine.any():
                        pts = shapely.points(x[i0:i1][mine], y[i0:i1][mine])
                        d[mine] = shapely.distance(wide, pts)
                closest[k] = float(d.min()) * to_m
    pairs["pings"] = n_pings
    pairs["closest"] = closest
    pairs["heard"] = pairs["pings"] > 0
    pairs["fault"] = fault
    pairs["kind"] = kind
    agg = pairs.groupby("_row").agg(
        officers_expected=("officer", "size"), officers_heard=("heard", "sum"),
        pings_in_window=("pings", "sum"), closest_m=("closest", "min"),
        fault=("fault", "max"), _kind=("kind", "max"),
    )  # fmt: skip
    ex = ex.join(agg, on="_row")
    ex["officers_expected"] = ex["officers_expected"].fillna(0).astype(np.int64)
    ex["officers_heard"] = ex["officers_heard"].fillna(0).astype(np.int64)
    ex["pings_in_window"] = ex["pings_in_window"].fillna(0).astype(np.int64)
    ex["closest_m"] = ex["closest_m"].replace(np.inf, np.nan)
    ex["fault"] = ex["fault"].fillna("")
    ex["_kind"] = ex["_kind"].fillna("")
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
    ex["cause"] = ex["reason"].map(CAUSES)
    corrected = (
        ex["figure"].astype(str).str.startswith("corrected") if "figure" in ex.columns
        else pd.Series(False, index=ex.index)
    )  # fmt: skip
    has = (ex["fault"] != "") & (ex["officers_expected"] > 0)
    suspect = (
        has
        & ~corrected
        & (
            ((ex["_kind"] == "offset") & (ex["closest_m"] == 0))
            | ((ex["_kind"] == "silence") & (ex["device_silent"] | (ex["closest_m"] > 0)))
        )
    )
    ex.loc[suspect, "reason"] = "location data fault suspected (" + ex.loc[suspect, "fault"] + ")"
    ex.loc[suspect, "cause"] = "location data fault"
    fixed = has & corrected
    ex.loc[fixed, "reason"] = mark_corrected(ex.loc[fixed, "reason"], ex.loc[fixed, "fault"])
    return ex.drop(columns=["_row", "_kind"])


def _fault_table(faults) -> pd.DataFrame:
    """Known faults (moderate or strong) as (fence_id, source, kind, note, dx_m, dy_m)."""
    cols = ["fence_id", "source", "kind", "note", "dx_m", "dy_m"]
    if faults is None:
        return pd.DataFrame(columns=cols)
    proposals = faults.proposals if isinstance(faults, FaultCorrection) else faults
    _need(proposals, [*cols, "strength"], "faults (proposals)")
    p = proposals[proposals["strength"].isin(["moderate", "strong"])]
    return p[cols].astype({"fence_id": str, "source": str}).reset_index(drop=True)


def _widened_geometries(row_geom, fence_id: pd.Series, known: pd.DataFrame, to_m: float,
                        buffers: dict):  # fmt: skip
    """(exception row, source) -> the widened catchment: the fence joined with itself moved
    by the known offset, buffered by the fence's catchment."""
    out = {}
    offs = known[known["kind"] == "offset"]
    if offs.empty:
        return out
    by_fence = {f: g for f, g in offs.groupby("fence_id")}
    for row, fid in enumerate(fence_id.astype(str)):  # one per exception at a faulty fence
        g = row_geom[row]
        if g is None or fid not in by_fence:
            continue
        for r in by_fence[fid].itertuples():
            moved = shapely.transform(g, lambda xy, d=(r.dx_m / to_m, r.dy_m / to_m): xy + d)
            wide = shapely.union(g, moved)
            out[(row, r.source)] = shapely.buffer(wide, float(buffers.get(fid, 0.0)) / to_m)
    return out


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

"""The weekly page itself: facts from :mod:`~hspwork.briefing.weekly.assemble`, figures from
:mod:`~hspwork.briefing.weekly.figures`, written through the autoescaping template
``weekly.html.j2`` (:func:`hspwork.pages.render`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hspwork.briefing.weekly import figures
from hspwork.briefing.weekly.assemble import (
    FAULT,
    MISSED,
    UNJUDGED,
    ExceptionFacts,
    change_text,
    compliance_facts,
    exception_facts,
    list_words,
    next_actions,
    outcome_facts,
    require,
    span_text,
    trend_facts,
    whole_minutes,
)
from hspwork.errors import HspworkError
from hspwork.workfolder import base_reason

# Columns of an exception report listed on the page (the others stay in the CSV), with the
# headers the page gives them.
_EXCEPTION_COLUMNS = {
    "tasking_id": "tasking",
    "fence_id": "hot spot",
    "date": "date",
    "shift": "shift",
    "team": "team",
    "officer": "officer (pseudonym)",
    "status": "status",
    "delivered_minutes": "minutes delivered",
    "reason": "what the devices showed",
    "cause": "cause",
}
# Free text wraps (anywhere, if need be) so that no value, however long, pushes the table off the
# page; ids, dates, numbers and short names stay on one line.
_WRAPPED_COLUMNS = frozenset({"reason", "cause"})
_LONGEST_KEPT = 20
_JARGON_FREE = (
    "The first part of this page is in plain words; the methods, test results and caveats "
    "behind it are in the analyst notes at the end."
)


def _week_start(value: Any) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    try:
        return pd.Timestamp(value).tz_localize(None).normalize()
    except (TypeError, ValueError):
        raise HspworkError(f"week_start must be a date such as 2025-10-20; got {value!r}") from None


def _monday_of(exceptions: pd.DataFrame | None) -> pd.Timestamp | None:
    """The Monday of the week the exceptions fall in (they are the week's), if they are dated."""
    if exceptions is None or "date" not in exceptions.columns or not len(exceptions):
        return None
    first = pd.to_datetime(exceptions["date"], errors="coerce").min()
    return None if pd.isna(first) else (first - pd.Timedelta(days=first.weekday())).normalize()


def _date_cell(value: Any) -> str:
    try:
        day = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{day:%a} {day.day} {day:%b}"


def _exception_rows(
    exceptions: pd.DataFrame, kinds: pd.Series, limit: int
) -> tuple[list[str], list[list[dict]]]:
    """The exceptions a sergeant follows up: missed patrols first, then the others."""
    from hspwork.privacy import pseudonymise_identifiers

    order = {MISSED: 0, UNJUDGED: 1, FAULT: 2}
    ranked = exceptions.assign(_kind=kinds.map(order).to_numpy())
    keys = ["_kind"] + [c for c in ("date", "planned_start", "tasking_id") if c in ranked.columns]
    shown = ranked.sort_values(keys, kind="stable").head(limit)
    columns = [c for c in _EXCEPTION_COLUMNS if c in shown.columns]
    # Officers appear only as pseudonyms: a table handed in with raw ids is pseudonymised here.
    shown = pseudonymise_identifiers(shown[columns])
    rows = []
    for record in shown.itertuples(index=False):
        cells = []
        for column, value in zip(columns, record):
            if pd.isna(value):
                cells.append("\u2013")
            elif column == "delivered_minutes":
                cells.append(whole_minutes(value))
            elif column == "date":
                cells.append(_date_cell(value))
            else:
                cells.append(str(value))
        rows.append(
            [
                {
                    "text": text,
                    "wrap": column in _WRAPPED_COLUMNS or len(text) > _LONGEST_KEPT,
                    "number": column == "delivered_minutes",
                }
                for column, text in zip(columns, cells)
            ]
        )
    return [_EXCEPTION_COLUMNS[c] for c in columns], rows


def _counted(why: Sequence[tuple[str, int]]) -> str:
    """``[("device silent", 4), ...]`` as ``"device silent (4); ..."``."""
    return "; ".join(f"{w} ({n})" for w, n in why)


def _missed_lines(facts: ExceptionFacts) -> list[str]:
    """One line per kind of exception for the first screen."""
    lines = []
    for kind in (MISSED, FAULT, UNJUDGED):
        group = facts.group(kind)
        if group is None:
            continue
        why = _counted(group.why)
        if kind == MISSED:
            lines.append(f"{group.count} missed or short patrols" + (f": {why}." if why else "."))
        elif kind == FAULT:
            where = list_words(group.fences)
            source = (
                f"; chapter 3's verdict: {why}."
                if facts.classified_by == "cause"
                else ", the hot spots chapter 3's location check names."
            )
            lines.append(
                f"{group.count} suspected location-data faults at {where}{source} The patrols "
                "may have happened, but the devices' positions there look wrong."
            )
        else:
            lines.append(f"{group.count} cannot be judged from the location data: {why}.")
    if facts.corrected:
        where = list_words([f"{f} ({note})" for f, (note, _) in facts.corrected.items()])
        there = sum(n for _, n in facts.corrected.values())
        lines.append(
            f"Chapter 3 found suspected location-data faults at {where}; their figures are "
            f"corrected, and {there} of the missed or short patrols are there even after the "
            "correction."
        )
    return lines


def _outcome_table(facts: Any) -> dict:
    head = [("harm (days)" if m == "harm" else m, len(facts.periods) + 1) for m in facts.measures]
    sub = [p for _ in facts.measures for p in (*facts.periods, "change")]
    rows = []
    for group in facts.groups:
        cells = []
        for measure in facts.measures:
            values = [facts.value(measure, group, p) for p in facts.periods]
            cells += [f"{v:,.0f}" for v in values]
            cells.append(change_text(values[0], values[-1]))
        rows.append({"group": group, "cells": cells})
    return {"head": head, "sub": sub, "rows": rows}


def _estimate_rows(facts: Any) -> list[list[str]]:
    def number(v: Any, places: int = 3) -> str:
        return "\u2013" if pd.isna(v) else f"{float(v):.{places}f}"

    def p_value(v: Any) -> str:
        return "\u2013" if pd.isna(v) else "<0.001" if float(v) < 0.001 else f"{float(v):.3f}"

    return [
        [
            e["outcome"],
            e["method"],
            number(e["irr"]),
            "\u2013"
            if pd.isna(e["ci_low"]) or pd.isna(e["ci_high"])
            else f"{number(e['ci_low'])} to {number(e['ci_high'])}",
            p_value(e["p_value"]),
        ]
        for e in facts.estimates
    ]


def weekly_briefing(
    out_path: str | Path,
    *,
    compliance: pd.DataFrame,
    target_compliance: float,
    dosage: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    exceptions: pd.DataFrame | None = None,
    week: str | None = None,
    max_exceptions: int = 12,
    periods: Mapping[str, str] | None = None,
    effects: pd.DataFrame | None = None,
    cautions: Sequence[str] = (),
    exception_notes: Sequence[str] = (),
    weekly: pd.DataFrame | None = None,
    week_start: str | pd.Timestamp | None = None,
    plan_week: pd.DataFrame | None = None,
    names: Mapping[str, str] | None = None,
    one_off_key: bool = False,
) -> Path:
    """Write the weekly performance page for the performance meeting.

    The first screen answers four questions in plain words, each period with its dates:
    (1) compliance against target this week, and its trend over the programme's weeks;
    (2) what was missed and why, suspected location-data faults apart from missed patrols;
    (3) crime and harm in treated against control places; (4) what to do next, a few actions
    derived from the data. The detail follows (compliance per hot spot, dosage, the outcome
    table, the list of exceptions), then the analyst notes: the methods, test results and
    cautions behind the first screen. The page is self-contained (figures are ``data:`` images,
    no script) and prints on A4; every text it takes from the data is escaped by the template.

    Parameters
    ----------
    out_path : str or Path
        The HTML file to write.
    compliance : DataFrame
        One row per hot spot: ``fence_id``, ``planned_minutes``, ``delivered_minutes`` (each
        visit counted up to its planned minutes); ``planned`` and ``done`` (taskings) when
        present, as in :func:`hspwork.tasking.compliance_table`; ``delivered_minutes_raw``
        (before correcting suspected location faults) when present.
    target_compliance : float
        Share of planned minutes to deliver, in (0, 1].
    dosage : DataFrame, optional
        One row per hot spot: ``fence_id``, ``visits``, ``officer_minutes`` and, when known,
        ``patrol_minutes`` and ``role``.
    outcomes : DataFrame, optional
        ``group`` ("treatment"/"control"), ``period`` (e.g. "before"/"after"), ``crimes`` and
        optionally ``harm`` (days).
    exceptions : DataFrame, optional
        The week's taskings not done or partly done, e.g. from
        :func:`hspwork.tasking.exception_report`; a ``cause`` column (chapter 3's verdict,
        "location data fault suspected (catchment +200 m)" or "missed") is used when present
        to tell faults from missed patrols (:func:`~hspwork.briefing.weekly.exception_kinds`).
        Identifier columns are shown as pseudonyms only.
    week : str, optional
        Label of the week, with its dates.
    max_exceptions : int
        Rows of the exception list shown; the total is always stated.
    periods : mapping, optional
        The dates each outcome ``period`` covers, e.g. ``{"before": "3 Jun to 31 Aug 2025"}``.
    effects : DataFrame, optional
        The evaluation's estimates (``outcome``, ``method``, ``irr``, ``ci_low``, ``ci_high``,
        ``p_value``).
    cautions : sequence of str
        The evaluation's warnings; counted on the first screen, given in the analyst notes.
    exception_notes : sequence of str
        Chapter 3's location-data warnings; the hot spots they name count as suspected faults
        when the exceptions have no ``cause`` column.
    weekly : DataFrame, optional
        Compliance week by week (``weekly_performance.csv``) for the trend.
    week_start : str or Timestamp, optional
        The Monday of the week; weeks after it are left out of the trend.
    plan_week : DataFrame, optional
        The week's taskings (with ``team``), to say how many taskings each team had.
    names : mapping, optional
        Hot spot id -> name, to name the places in the actions and the figure.
    one_off_key : bool
        The pseudonyms were made with a key for this run only: the page says so.

    Returns
    -------
    pathlib.Path
        ``out_path``.

    Raises
    ------
    SchemaError
        When a table lacks a needed column.
    HspworkError
        When ``target_compliance`` is outside (0, 1].

    Examples
    --------
    >>> import tempfile, pathlib
    >>> compliance = pd.DataFrame({"fence_id": ["A", "B"], "planned_minutes": [300, 300],
    ...                            "delivered_minutes": [270, 120]})
    >>> page = weekly_briefing(pathlib.Path(tempfile.mkdtemp()) / "w.html",
    ...                        compliance=compliance, target_compliance=0.9)
    >>> "65% of planned patrol minutes delivered this week" in page.read_text()  # 390 of 600
    True
    """
    from hspwork.pages import render
    from hspwork.privacy import ONE_OFF_KEY_NOTE

    if not 0 < target_compliance <= 1:
        raise HspworkError(
            f"target_compliance must be a share in (0, 1]; got {target_compliance!r}"
        )
    names = {str(k): str(v) for k, v in (names or {}).items()}
    start = _week_start(week_start)
    if start is None:
        start = _monday_of(exceptions)
    week_span = span_text(start, start + pd.Timedelta(days=6)) if start is not None else None
    week = week or (f"week of {week_span}" if week_span else None)
    this_week = f"this week ({week_span})" if week_span else "this week"

    comp = compliance_facts(compliance, target_compliance)
    context: dict[str, Any] = {
        "title": "Hot spots policing: weekly performance briefing",
        "week": week,
        "this_week": this_week,
        "pseudonym_note": ONE_OFF_KEY_NOTE if one_off_key else None,
        "intro": _JARGON_FREE,
    }
    detail = (
        f"{whole_minutes(comp.delivered_minutes)} of {whole_minutes(comp.planned_minutes)} minutes."
    )
    if comp.taskings_planned:
        detail += (
            f" {comp.taskings_done:,} of {comp.taskings_planned:,} taskings done "
            f"({comp.taskings_done / comp.taskings_planned:.0%})."
        )
    detail += f" {comp.below} of {len(comp.per_fence)} hot spots are below target."
    if comp.delivered_minutes_raw is not None and comp.planned_minutes:
        detail += (
            f" Before correcting suspected location-data faults: "
            f"{comp.delivered_minutes_raw / comp.planned_minutes:.0%}."
        )
    context["compliance"] = {
        "headline": f"{comp.share:.0%} of planned patrol minutes delivered this week "
        f"(target {comp.target:.0%})",
        "detail": detail,
        "trend": None,
        "trend_figure": None,
    }
    if weekly is not None and len(weekly):
        trend = trend_facts(weekly, comp.target, start)
        context["compliance"]["trend"] = trend.sentence()
        context["compliance"]["trend_figure"] = figures.embed(
            figures.trend_figure(trend), "compliance week by week against the target"
        )

    ex_facts = None
    context["missed"] = None
    context["exceptions"] = None
    if exceptions is not None:
        fence_ids = list(comp.per_fence["fence_id"])
        if "fence_id" in exceptions.columns:
            fence_ids += [str(f) for f in exceptions["fence_id"].dropna().unique()]
        ex_facts = exception_facts(exceptions, exception_notes, fence_ids, plan_week)
        header, rows = _exception_rows(exceptions, ex_facts.kinds, max_exceptions)
        reasons = ""
        if "reason" in exceptions.columns and len(exceptions):
            counts = exceptions["reason"].astype(str).map(base_reason).value_counts()
            reasons = " By reason: " + _counted(list(counts.items())) + "."
        if "fence_id" in exceptions.columns and len(exceptions):
            most = exceptions["fence_id"].astype(str).value_counts().head(5)
            reasons += (
                " Most exceptions at: " + ", ".join(f"{f} ({n})" for f, n in most.items()) + "."
            )
        context["missed"] = {
            "intro": (
                f"{ex_facts.total} taskings were not done or partly done"
                + (
                    f": {ex_facts.not_done} not done, {ex_facts.partly} partly done."
                    if ex_facts.not_done or ex_facts.partly
                    else "."
                )
            ),
            "lines": _missed_lines(ex_facts),
        }
        context["exceptions"] = {
            "intro": f"{len(exceptions)} exception(s) this week"
            + (f"; the first {len(rows)} are listed" if len(exceptions) > len(rows) else "")
            + (": missed patrols first." if len(rows) > 1 else ".")
            + reasons,
            "notes": list(exception_notes),
            "header": header,
            "rows": rows,
            "shown": len(rows),
            "total": len(exceptions),
        }

    minutes_per_visit = None
    context["dosage"] = None
    if dosage is not None:
        require(dosage, ["fence_id", "visits", "officer_minutes"], "dosage")
        patrolled, control_text = dosage, ""
        if "role" in dosage.columns:
            # Dosage is the treatment: the patrolled places' time, and the controls' apart (it
            # should be low; if not, the controls are being patrolled).
            patrolled = dosage[dosage["role"] == "treatment"]
            control = dosage[dosage["role"] == "control"]
            control_text = (
                f" Control places received {whole_minutes(control['officer_minutes'].sum())} "
                "officer-minutes."
            )
        visits = float(patrolled["visits"].sum())
        minutes = float(patrolled["officer_minutes"].sum())
        minutes_per_visit = minutes / visits if visits else None
        text = (
            f"{visits:,.0f} visits, {whole_minutes(minutes)} officer-minutes in the patrolled "
            f"hot spots; {whole_minutes(minutes_per_visit)} minutes a visit on average"
            if visits
            else "No visits recorded in the patrolled hot spots"
        )
        if "patrol_minutes" in patrolled.columns:
            text += (
                f"; {whole_minutes(patrolled['patrol_minutes'].sum())} patrol-minutes (time with "
                "at least one officer present)"
            )
        context["dosage"] = text + "." + control_text

    context["outcomes"] = None
    if outcomes is not None:
        out_facts = outcome_facts(outcomes, periods, effects)
        dated = [p for p in out_facts.periods if p in out_facts.period_dates]
        context["outcomes"] = {
            "periods": "; ".join(f"{p}: {out_facts.period_dates[p]}" for p in dated),
            "plain": out_facts.plain,
            "detail": [
                " ".join(t for t in (out_facts.raw[m], out_facts.relative.get(m)) if t)
                for m in out_facts.measures
                if m in out_facts.raw
            ],
            "cautions": len(cautions),
            "table": _outcome_table(out_facts),
            "figure": figures.embed(
                figures.outcome_figure(out_facts), "crime and harm, treated versus control"
            ),
            "estimates": _estimate_rows(out_facts),
        }
    context["cautions"] = list(cautions)
    context["actions"] = next_actions(comp, ex_facts, names, minutes_per_visit=minutes_per_visit)
    context["compliance_figure"] = figures.embed(
        figures.compliance_figure(comp, ex_facts.fault_fences if ex_facts else (), names),
        "compliance by hot spot this week",
    )
    context["classified_by"] = ex_facts.classified_by if ex_facts else None
    context["target"] = f"{comp.target:.0%}"
    page = render("weekly.html.j2", **context)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(page, encoding="utf-8")
    return out_path


def weekly_briefing_from_work(
    work_dir: str | Path,
    out_path: str | Path,
    *,
    target_compliance: float | None = None,
    one_off_key: bool = False,
) -> Path:
    """Write the weekly page from the tables the chapters left in the work folder.

    Reads, through :class:`hspwork.workfolder.WorkFolder`: ``tracking.compliance``
    (required), ``tracking.briefing`` (``target_compliance``, ``week``, ``exception_notes``;
    ``week_start`` when present), ``tracking.weekly`` (the trend), ``tracking.dosage``,
    ``tracking.exceptions`` (with ``cause`` when present), ``tracking.matched_plan`` (the
    week's taskings per team), ``geofences.fences`` (the hot spots' names),
    ``evaluation.outcomes``, ``evaluation.effects`` and ``evaluation.briefing`` (``periods``,
    ``cautions``), each when present.

    Parameters
    ----------
    work_dir : str or Path
        The work folder.
    out_path : str or Path
        The HTML file to write.
    target_compliance : float, optional
        Overrides the target stored by the tracking chapter.
    one_off_key : bool
        The run's pseudonyms come from a one-off key (the page says so).

    Returns
    -------
    pathlib.Path
    """
    from hspwork.workfolder import WorkFolder

    work = WorkFolder(work_dir)
    compliance = work.read("tracking.compliance")
    meta = work.read_optional("tracking.briefing") or {}
    eval_meta = work.read_optional("evaluation.briefing") or {}
    target = target_compliance if target_compliance is not None else meta.get("target_compliance")
    if target is None:
        raise HspworkError(
            "no compliance target: pass target_compliance or let chapter 3 (tracking) write "
            f"{work.path('tracking.briefing')}"
        )
    exceptions = work.read_optional("tracking.exceptions")
    start = _week_start(meta.get("week_start")) or _monday_of(exceptions)
    plan_week = None
    matched = work.read_optional("tracking.matched_plan")
    if start is not None and matched is not None and "date" in matched.columns:
        days = pd.to_datetime(matched["date"], errors="coerce")
        plan_week = matched[(days >= start) & (days < start + pd.Timedelta(days=7))]
    names = {}
    if work.exists("geofences.fences"):
        fences = work.read("geofences.fences")
        names = dict(zip(fences["fence_id"].astype(str), fences["name"].astype(str)))
    return weekly_briefing(
        out_path,
        compliance=compliance,
        target_compliance=float(target),
        dosage=work.read_optional("tracking.dosage"),
        outcomes=work.read_optional("evaluation.outcomes"),
        exceptions=exceptions,
        week=meta.get("week"),
        periods=eval_meta.get("periods"),
        effects=work.read_optional("evaluation.effects"),
        cautions=eval_meta.get("cautions", ()),
        exception_notes=meta.get("exception_notes", ()),
        weekly=work.read_optional("tracking.weekly"),
        week_start=start,
        plan_week=plan_week,
        names=names,
        one_off_key=one_off_key,
    )

"""The one-page weekly performance briefing, for the performance meeting."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hspwork.errors import HspworkError, SchemaError

# Columns of an exception report shown on the weekly page (others stay in the CSV).
_EXCEPTION_COLUMNS = (
    "tasking_id",
    "fence_id",
    "date",
    "shift",
    "team",
    "officer",
    "status",
    "delivered_minutes",
    "reason",
)
# Plain headers for those columns on the page.
_EXCEPTION_HEADERS = {
    "tasking_id": "tasking",
    "fence_id": "hot spot",
    "officer": "officer (pseudonym)",
    "delivered_minutes": "minutes delivered",
}


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{what} lacks column(s) {missing}; it has {list(frame.columns)} and needs "
            f"{list(columns)}"
        )


def _figure_tag(fig: Any, alt: str) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _compliance_figure(compliance: pd.DataFrame, target: float) -> Any:
    from matplotlib.figure import Figure

    order = compliance.sort_values("minutes_share")
    fig = Figure(figsize=(6.2, max(2.2, 0.22 * len(order) + 0.8)))
    ax = fig.add_subplot()
    colours = ["#c0392b" if c < target else "#2e7d32" for c in order["minutes_share"]]
    ax.barh(order["fence_id"].astype(str), 100 * order["minutes_share"], color=colours)
    ax.axvline(100 * target, color="black", linestyle="--", linewidth=1)
    ax.text(100 * target, len(order) - 0.4, f" target {target:.0%}", va="bottom", fontsize=8)
    ax.set_xlabel("patrol minutes delivered, % of planned")
    ax.set_ylabel("hot spot")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title("Compliance by hot spot this week")
    return fig


def _outcome_figure(outcomes: pd.DataFrame) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.2, 2.6))
    measures = [m for m in ("crimes", "harm") if m in outcomes.columns]
    periods = list(dict.fromkeys(outcomes["period"]))
    for k, measure in enumerate(measures):
        ax = fig.add_subplot(1, len(measures), k + 1)
        table = outcomes.pivot_table(index="group", columns="period", values=measure, aggfunc="sum")
        table = table.reindex(columns=periods)
        table.plot.bar(ax=ax, rot=0, color=["#9e9e9e", "#1f77b4", "#ff7f0e"][: len(periods)])
        ax.set_title("harm (days)" if measure == "harm" else "recorded crimes")
        ax.set_ylabel("days of custody" if measure == "harm" else "crimes")
        ax.set_xlabel("places")
        ax.legend(fontsize=7, title=None)
    fig.tight_layout()
    return fig


def _change(before: float, after: float) -> str:
    """Percentage change in plain form ("-17%"); "n/a" when there was nothing before."""
    if not before:
        return "n/a"
    return f"{after / before - 1:+.0%}".replace("-", "\u2212")


def _outcome_section(
    outcomes: pd.DataFrame,
    periods: Mapping[str, str],
    effects: pd.DataFrame | None,
    cautions: Sequence[str],
) -> list[str]:
    """The outcome table (before, after, change per group) with a plain reading of it."""
    measures = [c for c in ("crimes", "harm") if c in outcomes.columns]
    sums = outcomes.groupby(["group", "period"], sort=False)[measures].sum()
    # Periods in the order given (before, after), not alphabetical.
    order = list(dict.fromkeys(outcomes["period"]))
    groups = list(dict.fromkeys(outcomes["group"]))
    first, last = order[0], order[-1]
    head = "".join(
        f"<th colspan='{len(order) + 1}'>{'harm (days)' if m == 'harm' else m}</th>"
        for m in measures
    )
    sub = "".join(
        "".join(f"<th>{html.escape(str(o))}</th>" for o in order) + "<th>change</th>"
        for _ in measures
    )
    rows = []
    for g in groups:
        cells = []
        for m in measures:
            values = [float(sums[m].get((g, o), 0.0)) for o in order]
            cells += [f"<td>{v:,.0f}</td>" for v in values]
            cells.append(f"<td>{_change(values[0], values[-1])}</td>")
        rows.append(f"<tr><th>{html.escape(str(g))}</th>{''.join(cells)}</tr>")
    table = (
        "<table class='t'><thead><tr><th></th>"
        + head
        + "</tr><tr><th>group</th>"
        + sub
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    notes = []
    if periods:
        notes.append(
            "; ".join(
                f"{html.escape(str(o))}: {html.escape(periods[o])}" for o in order if o in periods
            )
            + " (whole programme so far, not only this week)."
        )
    crimes = sums["crimes"]
    if {"treatment", "control"} <= set(groups) and len(order) > 1:
        t0, t1 = (
            float(crimes.get(("treatment", first), 0)),
            float(crimes.get(("treatment", last), 0)),
        )
        c0, c1 = float(crimes.get(("control", first), 0)), float(crimes.get(("control", last), 0))
        text = (
            f"Crimes in treated places went from {t0:,.0f} to {t1:,.0f} ({_change(t0, t1)}); "
            f"in control places from {c0:,.0f} to {c1:,.0f} ({_change(c0, c1)})."
        )
        if t0 and c0 and c1:
            text += (
                " Relative to the controls, treated places changed by "
                f"{_change(1.0, (t1 / t0) / (c1 / c0))}."
            )
        notes.append(text)
    if effects is not None and {"outcome", "irr", "ci_low", "ci_high"} <= set(effects.columns):
        for outcome, rows_ in effects.dropna(subset=["irr"]).groupby("outcome", sort=False):
            row = rows_.iloc[0]
            method = f" ({row['method']})" if "method" in row and pd.notna(row["method"]) else ""
            notes.append(
                f"Evaluation estimate for {outcome}{html.escape(method)}: "
                f"{_change(1.0, row['irr'])} against what the controls predict "
                f"(95% interval {_change(1.0, row['ci_low'])} to {_change(1.0, row['ci_high'])})."
            )
    notes.append(
        "A raw before/after difference is not proof of an effect; chapter 4 (evaluation) "
        "gives the estimate, its uncertainty and the checks of a fair comparison."
    )
    out = [table, "<p>" + " ".join(notes) + "</p>"]
    if cautions:
        out.append(
            "<p class='warn'><b>Read with care:</b> "
            + " ".join(html.escape(c) for c in cautions)
            + "</p>"
        )
    return out


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
) -> Path:
    """Write the one-page weekly performance briefing for the performance meeting.

    The page answers four questions in this order, as the College of Policing's tracking
    guidance asks of a weekly data stocktake: did patrols reach the target (compliance),
    how much time did each hot spot receive (dosage), what happened to crime and harm in
    treated versus control places, and which taskings were missed (exceptions).

    Parameters
    ----------
    out_path : str or Path
        The HTML file to write (self-contained: figures are embedded images, no scripts).
    compliance : DataFrame
        One row per hot spot: ``fence_id``, ``planned_minutes``, ``delivered_minutes`` (each
        visit counted up to its planned minutes). Compliance on this page is delivered over
        planned minutes, per hot spot and overall. When ``planned`` and ``done`` (taskings)
        are present, as in :func:`hspwork.tasking.compliance_table`, the share of taskings
        done is stated too.
    target_compliance : float
        Share of planned minutes to deliver, in (0, 1].
    dosage : DataFrame, optional
        One row per hot spot: ``fence_id``, ``visits``, ``officer_minutes`` and, when known,
        ``patrol_minutes`` (minutes with at least one officer present).
    outcomes : DataFrame, optional
        ``group`` ("treatment"/"control"), ``period`` (e.g. "before"/"after"), ``crimes`` and
        optionally ``harm`` (days).
    exceptions : DataFrame, optional
        Taskings not performed, one row each (officers as pseudonyms), e.g. from
        :func:`hspwork.tasking.exception_report`: the follow-up columns (``tasking_id``,
        ``fence_id``, ``date``, ``shift``, ``team``, ``officer``, ``status``,
        ``delivered_minutes``, ``reason``) are shown when present, with counts by ``reason``.
    week : str, optional
        Label of the week, e.g. ``"week of 2024-03-04"``.
    max_exceptions : int
        Rows of the exception table shown; the total is always stated.
    periods : mapping, optional
        The dates each outcome ``period`` covers, e.g. ``{"before": "3 Jun to 31 Aug 2025"}``,
        stated under the outcome table (the outcome windows are longer than the week).
    effects : DataFrame, optional
        The evaluation's estimates (``04_evaluation/effects.csv``): rows with ``outcome``,
        ``method``, ``irr``, ``ci_low``, ``ci_high``; the first row per outcome with an
        ``irr`` is stated in plain words beside the raw before/after change.
    cautions : sequence of str
        Plain-words warnings from the evaluation (e.g. a failed pre-trend check), shown with
        the outcomes so that the meeting does not read more into them than they hold.
    exception_notes : sequence of str
        Plain-words warnings about the exceptions (e.g. hot spots whose location data look
        wrong, so that their missed taskings may not be missed patrols), shown above the list.

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
    >>> "65%" in page.read_text()  # 390 of 600 planned minutes
    True
    """
    if not 0 < target_compliance <= 1:
        raise HspworkError(
            f"target_compliance must be a share in (0, 1]; got {target_compliance!r}"
        )
    _require(compliance, ["fence_id", "planned_minutes", "delivered_minutes"], "compliance")
    compliance = compliance.copy()
    planned = compliance["planned_minutes"].astype(float)
    compliance["minutes_share"] = compliance["delivered_minutes"] / planned.where(planned > 0)
    planned_total = float(compliance["planned_minutes"].sum())
    delivered_total = float(compliance["delivered_minutes"].sum())
    overall = delivered_total / planned_total if planned_total > 0 else float("nan")
    below = int((compliance["minutes_share"] < target_compliance).sum())
    taskings = ""
    if {"planned", "done"} <= set(compliance.columns):
        done, planned_n = int(compliance["done"].sum()), int(compliance["planned"].sum())
        taskings = f" {done:,} of {planned_n:,} taskings done ({done / planned_n:.0%})."

    parts = [
        "<h1>Hot spots policing: weekly performance briefing</h1>",
        f"<p class='sub'>{html.escape(week)}</p>" if week else "",
        "<h2>1. Compliance against target</h2>",
        f"<p class='big'>{overall:.0%} of planned patrol minutes delivered "
        f"(target {target_compliance:.0%}): {delivered_total:,.0f} of {planned_total:,.0f} "
        f"minutes.{taskings} {below} of {len(compliance)} hot spots are below target.</p>",
        _figure_tag(_compliance_figure(compliance, target_compliance), "compliance by hot spot"),
    ]
    if dosage is not None:
        _require(dosage, ["fence_id", "visits", "officer_minutes"], "dosage")
        patrolled = dosage
        control_text = ""
        if "role" in dosage.columns:
            # Dosage is the treatment: report it for the patrolled places, and the time spent
            # in control places separately (it should be low; if not, the controls are patrolled).
            patrolled = dosage[dosage["role"] == "treatment"]
            control = dosage[dosage["role"] == "control"]
            control_text = (
                f" Control places received {float(control['officer_minutes'].sum()):,.0f} "
                "officer-minutes."
            )
        visits = float(patrolled["visits"].sum())
        minutes = float(patrolled["officer_minutes"].sum())
        text = (
            f"{visits:,.0f} visits, {minutes:,.0f} officer-minutes in the patrolled hot spots; "
            f"{minutes / visits:.1f} minutes a visit on average"
            if visits
            else "no visits recorded in the patrolled hot spots"
        )
        if "patrol_minutes" in patrolled.columns:
            text += (
                f"; {float(patrolled['patrol_minutes'].sum()):,.0f} patrol-minutes "
                "(time with at least one officer present)"
            )
        parts += [
            "<h2>2. Dosage</h2>",
            f"<p>{text}.{control_text} Dosage counts all time officers spent inside the "
            "fences, planned or not; compliance above counts only time on planned taskings, "
            "each visit up to its planned minutes, so the two differ. Evidence suggests stops "
            "of 10 to 15 minutes work best (Koper 1995).</p>",
        ]
    if outcomes is not None:
        _require(outcomes, ["group", "period", "crimes"], "outcomes")
        parts += ["<h2>3. Crime and harm: treated versus control places</h2>"]
        parts += _outcome_section(outcomes, periods or {}, effects, cautions)
        parts.append(
            _figure_tag(_outcome_figure(outcomes), "crime and harm, treated versus control")
        )
    if exceptions is not None:
        # The columns a sergeant needs to follow an exception up, when the report has them.
        brief_columns = [c for c in _EXCEPTION_COLUMNS if c in exceptions.columns]
        shown = exceptions.head(max_exceptions)
        if brief_columns:
            shown = shown[brief_columns]
        shown = shown.rename(columns=_EXCEPTION_HEADERS)
        reasons = ""
        if "reason" in exceptions.columns and len(exceptions):
            counts = exceptions["reason"].value_counts()
            reasons = " By reason: " + "; ".join(f"{r}: {n}" for r, n in counts.items()) + "."
        if "fence_id" in exceptions.columns and len(exceptions):
            # The hot spots missed most often are where a sergeant starts the conversation.
            most = exceptions["fence_id"].value_counts().head(5)
            reasons += (
                " Most often missed: " + ", ".join(f"{f} ({n})" for f, n in most.items()) + "."
            )
        parts += [
            "<h2>4. Exceptions: taskings not performed</h2>",
            f"<p>{len(exceptions)} exception(s) this week"
            + (f"; the first {len(shown)} are listed." if len(exceptions) > len(shown) else ".")
            + html.escape(reasons)
            + "</p>",
            "<p class='warn'><b>Check before acting:</b> "
            + " ".join(html.escape(n) for n in exception_notes)
            + "</p>"
            if exception_notes
            else "",
            shown.to_html(index=False, classes="t", float_format=lambda v: f"{v:.1f}")
            if len(shown)
            else "",
        ]
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:1em auto;color:#222}"
        "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.2em}.big{font-size:1.1em}"
        ".sub{color:#555}.warn{background:#fff3cd;padding:4px 8px}"
        "table.t{border-collapse:collapse;font-size:.85em}"
        "table.t td,table.t th{border:1px solid #ccc;padding:2px 6px}img{max-width:100%}"
    )
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Weekly performance briefing</title>"
        f"<style>{style}</style></head><body>" + "\n".join(parts) + "</body></html>"
    )
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(page, encoding="utf-8")
    return out_path


def weekly_briefing_from_work(
    work_dir: str | Path,
    out_path: str | Path,
    *,
    target_compliance: float | None = None,
) -> Path:
    """Write the weekly briefing from the tables the notebooks left in the work folder.

    Reads ``03_tracking/compliance.csv`` (required), ``03_tracking/dosage.csv``,
    ``03_tracking/exceptions.csv``, ``04_evaluation/outcomes.csv`` and
    ``03_tracking/briefing.json`` (``target_compliance``, ``week``, ``exception_notes``) when
    present, and from
    chapter 4 ``04_evaluation/effects.csv`` and ``04_evaluation/briefing.json`` (``periods``:
    the dates of each outcome period; ``cautions``: plain-words warnings) when present.

    Parameters
    ----------
    work_dir : str or Path
        The work folder.
    out_path : str or Path
        The HTML file to write.
    target_compliance : float, optional
        Overrides the target stored by the tracking notebook.

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
    return weekly_briefing(
        out_path,
        compliance=compliance,
        target_compliance=float(target),
        dosage=work.read_optional("tracking.dosage"),
        outcomes=work.read_optional("evaluation.outcomes"),
        exceptions=work.read_optional("tracking.exceptions"),
        week=meta.get("week"),
        periods=eval_meta.get("periods"),
        effects=work.read_optional("evaluation.effects"),
        cautions=eval_meta.get("cautions", ()),
        exception_notes=meta.get("exception_notes", ()),
    )

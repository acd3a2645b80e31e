"""What the weekly page says, worked out from the work folder's tables: numbers and plain words.

Nothing here writes HTML: the page template (``hspwork/templates/weekly.html.j2``) escapes
every string it is given. Each function takes the tables as the chapters write them and returns
the facts one part of the page states, so each can be checked against a hand-worked table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hspwork.errors import SchemaError
from hspwork.workfolder import base_reason, is_corrected

MINUS = "\u2212"

#: Exception kinds, in the order the page lists them.
FAULT, UNJUDGED, MISSED = "fault", "unjudged", "missed"
KIND_LABELS = {
    FAULT: "suspected location-data faults",
    UNJUDGED: "cannot be judged from the location data",
    MISSED: "missed or short patrols",
}


def require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Refuse a table that lacks a needed column, naming what it has and needs."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{what} lacks column(s) {missing}; it has {list(frame.columns)} and needs "
            f"{list(columns)}"
        )


# --------------------------------------------------------------------------------------------
# Words for numbers and dates
# --------------------------------------------------------------------------------------------


def day_text(day: pd.Timestamp | str) -> str:
    """A day as people write it: ``"1 Sep 2025"``.

    Examples
    --------
    >>> day_text("2025-09-01")
    '1 Sep 2025'
    """
    day = pd.Timestamp(day)
    return f"{day.day} {day:%b %Y}"


def span_text(start: pd.Timestamp | str, last: pd.Timestamp | str) -> str:
    """Days ``start`` to ``last`` (both included), the year said once when it is the same.

    Examples
    --------
    >>> span_text("2025-09-01", "2025-10-26"), span_text("2025-12-29", "2026-01-04")
    ('1 Sep to 26 Oct 2025', '29 Dec 2025 to 4 Jan 2026')
    >>> span_text("2025-10-20", "2025-10-26")
    '20 to 26 Oct 2025'
    """
    start, last = pd.Timestamp(start), pd.Timestamp(last)
    if (start.year, start.month) == (last.year, last.month):
        head = str(start.day)
    elif start.year == last.year:
        head = f"{start.day} {start:%b}"
    else:
        head = day_text(start)
    return f"{head} to {day_text(last)}"


def change_text(before: float, after: float) -> str:
    """Percentage change in plain form (``"−17%"``); ``"n/a"`` when there was nothing before.

    Examples
    --------
    >>> change_text(604, 500), change_text(413, 432), change_text(0, 5)
    ('−17%', '+5%', 'n/a')
    >>> change_text(3400, 3390), change_text(10, 10)  # under half a percent: one decimal
    ('−0.3%', '0%')
    """
    if not before:
        return "n/a"
    change = after / before - 1
    if change == 0:
        return "0%"
    text = f"{change:+.1%}" if abs(change) < 0.005 else f"{change:+.0%}"
    return text.replace("-", MINUS)


def _share_words(ratio: float) -> tuple[str, str]:
    """A rate ratio as (size, direction): 0.76 -> ("24%", "lower")."""
    if ratio < 1:
        return f"{1 - ratio:.0%}", "lower"
    return f"{ratio - 1:.0%}", "higher"


def ratio_words(ratio: float, low: float, high: float) -> str:
    """A rate ratio and its 95% interval in words, for people who do not read ratios.

    Examples
    --------
    >>> ratio_words(0.756, 0.65, 0.87)
    '24% lower than the control places predict (95% range: 13% to 35% lower)'
    >>> ratio_words(0.95, 0.8, 1.1)
    '5% lower than the control places predict (95% range: from 20% lower to 10% higher)'
    >>> ratio_words(1.2, 1.05, 1.4)
    '20% higher than the control places predict (95% range: 5% to 40% higher)'
    """
    size, direction = _share_words(ratio)
    low_size, low_dir = _share_words(low)
    high_size, high_dir = _share_words(high)
    if low_dir == high_dir == "lower":
        interval = f"{high_size} to {low_size} lower"
    elif low_dir == high_dir == "higher":
        interval = f"{low_size} to {high_size} higher"
    else:
        interval = f"from {low_size} lower to {high_size} higher"
    return f"{size} {direction} than the control places predict (95% range: {interval})"


def whole_minutes(minutes: float) -> str:
    """Minutes as whole minutes with thousands separators (people do not read 7.5 minutes).

    Examples
    --------
    >>> whole_minutes(7.5), whole_minutes(0.0), whole_minutes(3830.4)
    ('8', '0', '3,830')
    """
    return f"{float(minutes):,.0f}"


def fence_label(fence_id: str, names: Mapping[str, str]) -> str:
    """A hot spot as ``"HS19 (High Street)"`` when its name is known, else its id.

    Examples
    --------
    >>> fence_label("HS19", {"HS19": "High Street"}), fence_label("HS20", {})
    ('HS19 (High Street)', 'HS20')
    """
    name = names.get(fence_id)
    return f"{fence_id} ({name})" if name and name != fence_id else str(fence_id)


def list_words(items: Sequence[str]) -> str:
    """``["a", "b", "c"]`` as ``"a, b and c"``.

    Examples
    --------
    >>> list_words(["HS11", "HS23", "HS26"]), list_words(["HS11"]), list_words([])
    ('HS11, HS23 and HS26', 'HS11', '')
    """
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# --------------------------------------------------------------------------------------------
# 1. Compliance this week, and its trend
# --------------------------------------------------------------------------------------------


@dataclass
class ComplianceFacts:
    """Compliance in the week: delivered over planned minutes, overall and per hot spot."""

    target: float
    planned_minutes: float
    delivered_minutes: float
    per_fence: pd.DataFrame  # fence_id, planned_minutes, delivered_minutes, minutes_share
    taskings_planned: int | None = None
    taskings_done: int | None = None
    delivered_minutes_raw: float | None = None

    @property
    def share(self) -> float:
        return self.delivered_minutes / self.planned_minutes if self.planned_minutes else np.nan

    @property
    def below(self) -> int:
        return int((self.per_fence["minutes_share"] < self.target).sum())


def compliance_facts(compliance: pd.DataFrame, target: float) -> ComplianceFacts:
    """Compliance of the week from a per-hot-spot table.

    Parameters
    ----------
    compliance : DataFrame
        ``fence_id``, ``planned_minutes``, ``delivered_minutes`` (each visit counted up to its
        planned minutes); ``planned`` and ``done`` (taskings) and ``delivered_minutes_raw``
        (before correcting location faults) when present.
    target : float
        The programme's target for compliance.

    Examples
    --------
    >>> c = pd.DataFrame({"fence_id": ["A", "B"], "planned_minutes": [300, 300],
    ...                   "delivered_minutes": [270, 120]})
    >>> facts = compliance_facts(c, 0.9)
    >>> round(facts.share, 2), facts.below
    (0.65, 1)
    """
    require(compliance, ["fence_id", "planned_minutes", "delivered_minutes"], "compliance")
    per_fence = compliance[["fence_id", "planned_minutes", "delivered_minutes"]].copy()
    per_fence["fence_id"] = per_fence["fence_id"].astype(str)
    planned = per_fence["planned_minutes"].astype(float)
    per_fence["minutes_share"] = per_fence["delivered_minutes"] / planned.where(planned > 0)
    facts = ComplianceFacts(
        target=float(target),
        planned_minutes=float(per_fence["planned_minutes"].sum()),
        delivered_minutes=float(per_fence["delivered_minutes"].sum()),
        per_fence=per_fence,
    )
    if {"planned", "done"} <= set(compliance.columns):
        facts.taskings_planned = int(compliance["planned"].sum())
        facts.taskings_done = int(compliance["done"].sum())
    if "delivered_minutes_raw" in compliance.columns:
        facts.delivered_minutes_raw = float(compliance["delivered_minutes_raw"].sum())
    return facts


@dataclass
class TrendFacts:
    """Compliance week by week over the programme to date (up to and including this week)."""

    weeks: pd.DataFrame  # week_start (Timestamp), planned_minutes, delivered_minutes, share
    target: float
    this_week: pd.Timestamp | None
    later_weeks: int = 0
    data_last_week: pd.Timestamp | None = None

    @property
    def first_day(self) -> pd.Timestamp:
        return self.weeks["week_start"].iloc[0]

    @property
    def last_day(self) -> pd.Timestamp:
        return self.weeks["week_start"].iloc[-1] + pd.Timedelta(days=6)

    @property
    def to_date_share(self) -> float:
        planned = float(self.weeks["planned_minutes"].sum())
        return float(self.weeks["delivered_minutes"].sum()) / planned if planned else np.nan

    @property
    def weeks_met(self) -> int:
        return int((self.weeks["share"] >= self.target).sum())

    def sentence(self) -> str:
        """The trend in one or two plain sentences."""
        n = len(self.weeks)
        text = (
            f"Programme to date ({span_text(self.first_day, self.last_day)}, "
            f"{n} week{'s' if n != 1 else ''}): {self.to_date_share:.0%} of planned minutes "
            f"delivered; the target was met in {self.weeks_met} of {n} weeks."
        )
        if n >= 2:
            now, before = self.weeks["share"].iloc[-1], self.weeks["share"].iloc[-2]
            points = round(100 * now) - round(100 * before)
            way = "up" if points > 0 else "down" if points < 0 else "level"
            by = f" {abs(points)} point{'s' if abs(points) != 1 else ''}" if points else ""
            text += (
                f" This week {now:.0%}, {way}{by} on the week before "
                f"({day_text(self.weeks['week_start'].iloc[-2])}: {before:.0%})."
            )
        if self.later_weeks:
            text += (
                f" The data hold {self.later_weeks} later week"
                f"{'s' if self.later_weeks != 1 else ''}"
                + (
                    f" (the last beginning {day_text(self.data_last_week)})"
                    if self.data_last_week is not None
                    else ""
                )
                + "; chapter 3 shows them."
            )
        return text


def trend_facts(
    weekly: pd.DataFrame,
    target: float,
    this_week: pd.Timestamp | str | None = None,
) -> TrendFacts:
    """Compliance week by week, up to and including the briefing's week.

    Parameters
    ----------
    weekly : DataFrame
        One row per week (``weekly_performance.csv``): ``week`` (the Monday), and
        ``planned_minutes`` with ``delivered_minutes`` (or ``minutes_ratio``).
    target : float
    this_week : Timestamp or str, optional
        The Monday of the briefing's week; later weeks are counted, not shown. All weeks are
        shown when omitted.

    Examples
    --------
    >>> w = pd.DataFrame({"week": ["2025-09-01", "2025-09-08", "2025-09-15"],
    ...                   "planned_minutes": [100, 100, 100], "delivered_minutes": [50, 70, 90]})
    >>> t = trend_facts(w, 0.9, "2025-09-08")
    >>> len(t.weeks), t.later_weeks, t.to_date_share, t.weeks_met
    (2, 1, 0.6, 0)
    >>> t.sentence()[:70]
    'Programme to date (1 to 14 Sep 2025, 2 weeks): 60% of planned minutes '
    """
    require(weekly, ["week"], "weekly performance")
    frame = pd.DataFrame({"week_start": pd.to_datetime(weekly["week"]).dt.tz_localize(None)})
    if {"planned_minutes", "delivered_minutes"} <= set(weekly.columns):
        frame["planned_minutes"] = weekly["planned_minutes"].astype(float).to_numpy()
        frame["delivered_minutes"] = weekly["delivered_minutes"].astype(float).to_numpy()
    elif "minutes_ratio" in weekly.columns:
        # Without minutes, every week weighs the same in the programme's figure.
        frame["planned_minutes"] = 1.0
        frame["delivered_minutes"] = weekly["minutes_ratio"].astype(float).to_numpy()
    else:
        raise SchemaError(
            "weekly performance needs planned_minutes and delivered_minutes, or minutes_ratio; "
            f"it has {list(weekly.columns)}"
        )
    frame = frame.sort_values("week_start", ignore_index=True)
    frame["share"] = frame["delivered_minutes"] / frame["planned_minutes"].where(
        frame["planned_minutes"] > 0
    )
    later = 0
    data_last = None
    week = pd.Timestamp(this_week).tz_localize(None) if this_week is not None else None
    if week is not None:
        after = frame["week_start"] > week
        later = int(after.sum())
        if later:
            data_last = frame["week_start"].iloc[-1]
        frame = frame[~after].reset_index(drop=True)
    if frame.empty:
        raise SchemaError(f"weekly performance has no week up to {week}")
    return TrendFacts(frame, float(target), week, later, data_last)


# --------------------------------------------------------------------------------------------
# 2. What was missed, and why
# --------------------------------------------------------------------------------------------


def fences_named(notes: Sequence[str], fence_ids: Sequence[str]) -> list[str]:
    """The hot spots that plain-words notes name, as whole tokens, in the order of ``fence_ids``.

    Examples
    --------
    >>> fences_named(["HS11 (51 visits), HS2 (4): the data may be off"], ["HS1", "HS11", "HS2"])
    ['HS11', 'HS2']
    """
    text = " ".join(notes)
    return [
        f
        for f in dict.fromkeys(str(f) for f in fence_ids)
        if re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", text)
    ]


def exception_kinds(exceptions: pd.DataFrame, fault_fences: Sequence[str] = ()) -> pd.Series:
    """Sort exceptions into suspected location faults, unjudgeable ones, and missed patrols.

    The rule, in order:

    1. **fault**: the ``cause`` column (chapter 3's verdict) mentions a fault, e.g.
       "location data fault suspected (catchment +200 m)"; without a ``cause`` column, the
       exception is at one of ``fault_fences`` (hot spots chapter 3's location check named).
    2. **unjudged**: the device was silent during the planned window (``device_silent``, or a
       ``reason`` that says so), or no officer is known for the tasking: the data cannot say
       whether the patrol happened.
    3. **missed**: everything else, a patrol not made or cut short.

    Examples
    --------
    >>> ex = pd.DataFrame({"fence_id": ["A", "B", "B", "C"],
    ...                    "reason": ["device heard elsewhere: not at the spot",
    ...                               "device silent during the planned window: ...",
    ...                               "device heard elsewhere: not at the spot",
    ...                               "no officer known for this tasking"]})
    >>> exception_kinds(ex, ["A"]).tolist()
    ['fault', 'unjudged', 'missed', 'unjudged']
    >>> exception_kinds(ex.assign(cause=["missed", "missed", "location data fault", "missed"])).tolist()
    ['missed', 'unjudged', 'fault', 'unjudged']
    """
    n = len(exceptions)
    if "cause" in exceptions.columns:
        fault = exceptions["cause"].astype(str).str.contains("fault", case=False).to_numpy()
    elif "fence_id" in exceptions.columns:
        fault = exceptions["fence_id"].astype(str).isin([str(f) for f in fault_fences]).to_numpy()
    else:
        fault = np.zeros(n, dtype=bool)
    unjudged = np.zeros(n, dtype=bool)
    if "device_silent" in exceptions.columns:
        unjudged |= (
            exceptions["device_silent"].astype(str).str.lower().isin(["true", "1"]).to_numpy()
        )
    if "reason" in exceptions.columns:
        reason = exceptions["reason"].astype(str).str.lower()
        unjudged |= reason.str.startswith(("device silent", "no officer known")).to_numpy()
    kinds = np.where(fault, FAULT, np.where(unjudged, UNJUDGED, MISSED))
    return pd.Series(kinds, index=exceptions.index, name="kind")


@dataclass
class ExceptionGroup:
    """One kind of exception: how many, in which hot spots, and the causes or reasons."""

    kind: str
    count: int
    fences: list[str] = field(default_factory=list)
    why: list[tuple[str, int]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass
class ExceptionFacts:
    """The week's exceptions, grouped by kind, with the teams that missed most."""

    total: int
    not_done: int
    partly: int
    groups: list[ExceptionGroup]
    classified_by: str  # "cause", "location check" or "reason"
    kinds: pd.Series
    by_team: list[tuple[str, int, int | None]] = field(default_factory=list)
    #: Hot spots whose figures chapter 3 corrected for a suspected location fault -> the
    #: correction ("catchment +200 m") and how many of the week's exceptions are there.
    corrected: dict[str, tuple[str, int]] = field(default_factory=dict)

    def group(self, kind: str) -> ExceptionGroup | None:
        return next((g for g in self.groups if g.kind == kind), None)

    @property
    def fault_fences(self) -> list[str]:
        """Hot spots with a suspected location fault: not yet corrected, then corrected."""
        group = self.group(FAULT)
        return list(dict.fromkeys([*(group.fences if group else []), *self.corrected]))


def exception_facts(
    exceptions: pd.DataFrame,
    notes: Sequence[str] = (),
    fence_ids: Sequence[str] = (),
    plan_week: pd.DataFrame | None = None,
) -> ExceptionFacts:
    """Exceptions grouped into suspected faults, unjudgeable ones and missed patrols.

    Parameters
    ----------
    exceptions : DataFrame
        The week's taskings not done or partly done (``exceptions.csv``): ``status`` and
        ``reason``; ``cause`` (chapter 3's verdict), ``fence_id``, ``team`` when present.
    notes : sequence of str
        Chapter 3's location-data warnings; without a ``cause`` column, the hot spots they name
        are where exceptions count as suspected faults (:func:`exception_kinds`).
    fence_ids : sequence of str
        The programme's hot spots, to find in ``notes``.
    plan_week : DataFrame, optional
        The week's taskings (``matched_plan.csv`` for the week), to say how many each team had.

    Examples
    --------
    >>> ex = pd.DataFrame({"fence_id": ["A", "A", "B"], "team": ["T1", "T1", "T2"],
    ...                    "status": ["not done", "partly", "not done"],
    ...                    "reason": ["not at the spot", "too briefly", "not at the spot"]})
    >>> f = exception_facts(ex, ["B (2 visits): location data may be off"], ["A", "B"])
    >>> [(g.kind, g.count, g.fences) for g in f.groups], f.by_team
    ([('fault', 1, ['B']), ('missed', 2, ['A'])], [('T1', 2, None)])
    """
    fault_fences = fences_named(notes, fence_ids) if notes else []
    kinds = exception_kinds(exceptions, fault_fences)
    if "cause" in exceptions.columns:
        classified_by = "cause"
    elif fault_fences:
        classified_by = "location check"
    else:
        classified_by = "reason"
    status = exceptions["status"].astype(str) if "status" in exceptions.columns else None
    groups = []
    for kind in (FAULT, UNJUDGED, MISSED):
        rows = exceptions[kinds == kind]
        if rows.empty:
            continue
        fences = sorted(rows["fence_id"].astype(str).unique()) if "fence_id" in rows.columns else []
        # A fault is told by its cause; a missed patrol by what the devices showed.
        column = "cause" if kind == FAULT and "cause" in rows.columns else "reason"
        why = (
            [
                (str(k), int(v))
                for k, v in rows[column].astype(str).map(base_reason).value_counts().items()
            ]
            if column in rows.columns
            else []
        )
        groups.append(ExceptionGroup(kind, len(rows), fences, why))
    corrected: dict[str, tuple[str, int]] = {}
    if {"fault", "fence_id", "reason"} <= set(exceptions.columns):
        # Chapter 3 marks the exceptions at hot spots it corrected: still missed, after it.
        fixed = exceptions[
            (exceptions["fault"].fillna("").astype(str) != "") & is_corrected(exceptions["reason"])
        ]
        for fence, rows in fixed.groupby(fixed["fence_id"].astype(str), sort=True):
            corrected[fence] = (str(rows["fault"].iloc[0]), len(rows))
    by_team: list[tuple[str, int, int | None]] = []
    if "team" in exceptions.columns:
        missed = exceptions.loc[kinds == MISSED, "team"].dropna().astype(str).value_counts()
        planned = (
            plan_week["team"].dropna().astype(str).value_counts()
            if plan_week is not None and "team" in plan_week.columns
            else None
        )
        by_team = [
            (team, int(n), int(planned.get(team, 0)) if planned is not None else None)
            for team, n in missed.items()
        ]
    return ExceptionFacts(
        total=len(exceptions),
        not_done=int((status == "not done").sum()) if status is not None else 0,
        partly=int((status == "partly").sum()) if status is not None else 0,
        groups=groups,
        classified_by=classified_by,
        kinds=kinds,
        by_team=by_team,
        corrected=corrected,
    )


# --------------------------------------------------------------------------------------------
# 3. Crime and harm, treated against control
# --------------------------------------------------------------------------------------------


@dataclass
class OutcomeFacts:
    """Crime and harm by group and period, the raw changes and the evaluation's estimates."""

    measures: list[str]
    periods: list[str]
    groups: list[str]
    sums: pd.DataFrame  # index (group, period), a column per measure
    period_dates: dict[str, str]
    raw: dict[str, str] = field(default_factory=dict)  # measure -> the raw changes in words
    relative: dict[str, str] = field(default_factory=dict)  # measure -> change against controls
    said: dict[str, str] = field(default_factory=dict)  # outcome -> the estimate in words
    swing: str | None = None  # why harm moves more than counts, when it does
    estimates: list[dict] = field(default_factory=list)  # every estimate, for the notes

    @property
    def plain(self) -> list[str]:
        """The first screen's sentences: raw crime counts, then the estimates."""
        lines = [self.raw["crimes"]] if "crimes" in self.raw else []
        return lines + list(self.said.values()) + ([self.swing] if self.swing else [])

    def value(self, measure: str, group: str, period: str) -> float:
        return float(self.sums[measure].get((group, period), 0.0))


def outcome_facts(
    outcomes: pd.DataFrame,
    periods: Mapping[str, str] | None = None,
    effects: pd.DataFrame | None = None,
) -> OutcomeFacts:
    """The outcome sums and what they say, in plain words.

    Parameters
    ----------
    outcomes : DataFrame
        ``group`` ("treatment"/"control"), ``period`` ("before"/"after"), ``crimes`` and
        optionally ``harm`` (days).
    periods : mapping, optional
        The dates each ``period`` covers.
    effects : DataFrame, optional
        The evaluation's estimates: ``outcome``, ``method``, ``irr``, ``ci_low``, ``ci_high``
        (``p_value``); the first row with an ``irr`` per outcome is put in plain words.

    Examples
    --------
    >>> o = pd.DataFrame({"group": ["treatment", "treatment", "control", "control"],
    ...                   "period": ["before", "after", "before", "after"],
    ...                   "crimes": [120, 90, 110, 108]})
    >>> facts = outcome_facts(o)
    >>> print(facts.raw["crimes"], facts.relative["crimes"])
    Crimes in treated places went from 120 to 90 (−25%); in control places from 110 to 108 (−2%). Relative to the controls, treated places changed by −24%.
    """
    require(outcomes, ["group", "period", "crimes"], "outcomes")
    measures = [c for c in ("crimes", "harm") if c in outcomes.columns]
    order = [str(p) for p in dict.fromkeys(outcomes["period"])]
    groups = [str(g) for g in dict.fromkeys(outcomes["group"])]
    frame = outcomes.assign(
        group=outcomes["group"].astype(str), period=outcomes["period"].astype(str)
    )
    sums = frame.groupby(["group", "period"], sort=False)[measures].sum()
    facts = OutcomeFacts(measures, order, groups, sums, dict(periods or {}))
    first, last = order[0], order[-1]
    if {"treatment", "control"} <= set(groups) and len(order) > 1:
        for measure in measures:
            t0, t1 = (
                facts.value(measure, "treatment", first),
                facts.value(measure, "treatment", last),
            )
            c0, c1 = facts.value(measure, "control", first), facts.value(measure, "control", last)
            noun = "Crimes" if measure == "crimes" else "Harm (days of custody)"
            facts.raw[measure] = (
                f"{noun} in treated places went from {t0:,.0f} to {t1:,.0f} "
                f"({change_text(t0, t1)}); in control places from {c0:,.0f} to {c1:,.0f} "
                f"({change_text(c0, c1)})."
            )
            if t0 and c0 and c1:
                facts.relative[measure] = (
                    "Relative to the controls, treated places changed by "
                    f"{change_text(1.0, (t1 / t0) / (c1 / c0))}."
                )
    if effects is not None and {"outcome", "irr", "ci_low", "ci_high"} <= set(effects.columns):
        said = {}
        for _, row in effects.iterrows():
            estimate = {
                "outcome": str(row["outcome"]),
                "method": str(row["method"]) if "method" in row and pd.notna(row["method"]) else "",
                "irr": row["irr"],
                "ci_low": row["ci_low"],
                "ci_high": row["ci_high"],
                "p_value": row["p_value"] if "p_value" in row else np.nan,
            }
            facts.estimates.append(estimate)
            usable = all(pd.notna(row[c]) for c in ("irr", "ci_low", "ci_high"))
            if usable and estimate["outcome"] not in said:
                said[estimate["outcome"]] = estimate
        for outcome, estimate in said.items():
            noun = {"crimes": "crime", "harm": "harm (days of custody)"}.get(outcome, outcome)
            facts.said[outcome] = (
                f"The evaluation estimates {noun} in treated places was "
                + ratio_words(estimate["irr"], estimate["ci_low"], estimate["ci_high"])
                + "."
            )
        if {"crimes", "harm"} <= set(said):
            gap = abs(float(said["harm"]["irr"]) - float(said["crimes"]["irr"]))
            if gap > 0.1:
                facts.swing = (
                    "Harm moves more than counts because a few grave offences weigh thousands "
                    "of days of custody each."
                )
    return facts


# --------------------------------------------------------------------------------------------
# 4. What to do next
# --------------------------------------------------------------------------------------------


def next_actions(
    compliance: ComplianceFacts,
    exceptions: ExceptionFacts | None,
    names: Mapping[str, str] | None = None,
    *,
    minutes_per_visit: float | None = None,
    hot_spots: int = 3,
    teams: int = 3,
) -> list[str]:
    """A short list of actions, each derived from the week's data.

    In order: test the location data where faults are suspected (their exceptions may not be
    missed patrols); raise patrol time at the hot spots furthest below target (faults left
    out); talk to the teams with most missed or short patrols; ask for longer stops when
    visits average under 10 minutes (Koper 1995: 10 to 15 minutes work best).

    Examples
    --------
    >>> c = compliance_facts(pd.DataFrame({"fence_id": ["A", "B", "C"],
    ...     "planned_minutes": [100, 100, 100], "delivered_minutes": [10, 50, 95]}), 0.9)
    >>> for line in next_actions(c, None, {"B": "High St"}):
    ...     print(line)
    Raise patrol time at the hot spots furthest below target: A: 10% of planned minutes; B (High St): 50%.
    """
    names = names or {}
    actions = []
    faults = exceptions.fault_fences if exceptions is not None else []
    group = exceptions.group(FAULT) if exceptions is not None else None
    if group is not None:
        actions.append(
            f"Test the location data on the ground at {list_words([fence_label(f, names) for f in group.fences])}"
            f" before treating their {group.count} exception{'s' if group.count != 1 else ''} as "
            "missed patrols: an officer standing in the middle of each fence for a few "
            "minutes, app and radio on, shows whether the positions are off."
        )
    if exceptions is not None and exceptions.corrected:
        fixed = [fence_label(f, names) for f in exceptions.corrected]
        actions.append(
            f"Test the location data on the ground at {list_words(fixed)}, whose figures chapter "
            "3 corrected for a suspected location fault: an officer standing in the middle of "
            "each fence for a few minutes, app and radio on, shows whether the correction holds."
        )
    per_fence = compliance.per_fence
    below = per_fence[
        (per_fence["minutes_share"] < compliance.target) & ~per_fence["fence_id"].isin(faults)
    ].sort_values(["minutes_share", "fence_id"])
    if len(below):
        shown = below.head(hot_spots)
        parts = [
            f"{fence_label(row.fence_id, names)}: {row.minutes_share:.0%}"
            + (" of planned minutes" if k == 0 else "")
            for k, row in enumerate(shown.itertuples())
        ]
        actions.append(
            "Raise patrol time at the hot spots furthest below target: " + "; ".join(parts) + "."
        )
    elif not faults:
        actions.append("Every hot spot reached the target this week: keep the plan as it is.")
    if exceptions is not None and exceptions.by_team:
        parts = [
            f"{team} ({n} of {planned} taskings)" if planned else f"{team} ({n})"
            for team, n, planned in exceptions.by_team[:teams]
        ]
        actions.append(
            "Talk to the teams with most missed or short patrols: " + list_words(parts) + "."
        )
    if minutes_per_visit is not None and 0 < minutes_per_visit < 10:
        actions.append(
            f"Ask for longer stops: visits averaged {whole_minutes(minutes_per_visit)} minutes, "
            "and stops of 10 to 15 minutes work best (Koper 1995)."
        )
    return actions

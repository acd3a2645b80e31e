"""Chapter 4's assembly: what the evaluation page prints and what its work folder keeps.

The statistics live in the other evaluation modules (:func:`~hspwork.evaluation.
estimate_effect`, :func:`~hspwork.evaluation.staggered_effect`, :func:`~hspwork.evaluation.
match_controls`...). This module turns their results into the tables and plain words of
``notebooks/04_evaluation.ipynb`` and the files it leaves (``outcomes.csv``, ``effects.csv``,
``cost.csv``, ``design.json``), so that each cell of the chapter only calls and explains, and
each step here is tested on its own against hand-worked values.

The order the chapter follows:

1. :func:`study_windows`: the programme window, the window of equal length before it, and
   the start of the weekly panel; :func:`resolve_design` and :func:`design_words`: the
   design the data show (or the programme file's ``design_override``), in plain words.
2. :func:`outcome_table` and :func:`outcome_summary`: crime and harm in treated and
   comparison places, before and after; :func:`pre_period_dispersion` (through
   :func:`~hspwork.evaluation.estimate_dispersion`); :func:`rirr_of`.
3. :func:`balance_check`, :func:`balance_view`, :func:`mde_words` and :func:`pretrend_check`:
   was the comparison fair, and could the programme see an effect?
4. :func:`effect_words`, :func:`naive_change`, :func:`naive_words`, :func:`displacement_words`
   and :func:`headline`: the estimates in words, with :func:`p_text` and :func:`change_text`
   (no scientific notation, a real minus sign).
5. :func:`effects_table`, :func:`cost_table` and :func:`design_record`: the rows and records
   the work folder keeps.

Helpers for the designs: :func:`with_first_treated` (a roll-out's start periods on the
panel), :func:`matched_places` (the chosen places and their matched comparisons as areas),
:func:`tag_places` and :func:`offences_inside` (which crimes fell where), :func:`top_rows`
("showing 10 of 40") and :func:`plain_log_axis` (tick labels a manager reads).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hspwork.errors import HspworkError, SchemaError
from hspwork.evaluation.choice import DESIGNS, DesignChoice, choose_design
from hspwork.evaluation.design import estimate_dispersion
from hspwork.evaluation.measures import RIRRResult, rirr

__all__ = [
    "AGAINST",
    "COMPARISON",
    "DESIGN_NAMES",
    "EFFECT_COLUMNS",
    "MODEL_NAMES",
    "Dispersion",
    "Note",
    "StudyWindows",
    "balance_check",
    "balance_view",
    "change_text",
    "cost_table",
    "cost_view",
    "cost_words",
    "design_record",
    "design_words",
    "displacement_view",
    "displacement_words",
    "effect_words",
    "effects_table",
    "effects_view",
    "headline",
    "match_balance_view",
    "matched_places",
    "matching_words",
    "mde_words",
    "method_names",
    "naive_change",
    "naive_words",
    "offences_inside",
    "outcome_summary",
    "outcome_table",
    "p_text",
    "pairs_view",
    "plain_log_axis",
    "pre_period_dispersion",
    "pretrend_check",
    "resolve_design",
    "rirr_of",
    "say",
    "study_windows",
    "swing_view",
    "tag_places",
    "top_rows",
    "waves_table",
    "wdq_words",
    "week_by_week_figure",
    "with_first_treated",
    "year_places",
]

#: Each design as the page names it.
DESIGN_NAMES = {
    "randomised": "a randomised trial",
    "staggered": "a staggered roll-out",
    "matched": "a chosen set of places, evaluated against matched comparison places",
}

#: The columns of ``effects.csv``, in order (the weekly page reads method, outcome, irr and
#: the interval; the first row per outcome is the headline estimate).
EFFECT_COLUMNS = (
    "method", "outcome", "model", "irr", "ci_low", "ci_high", "p_value", "log_irr", "se",
    "n_units", "n_periods", "interval", "df",
)  # fmt: skip

#: What the treated places are compared with, by design (for tables and sentences).
COMPARISON = {
    "randomised": "control places",
    "staggered": "control places",
    "matched": "matched comparison places",
}

#: What the treated places' crime is set against, by design.
AGAINST = {
    "randomised": "what the control places predict",
    "staggered": "what places not yet patrolled (or never) predict",
    "matched": "what the matched comparison places predict",
}

#: The count models in words.
MODEL_NAMES = {"negbin": "negative binomial", "poisson": "Poisson", "quasipoisson": "quasi-Poisson"}

_MINUS = "\u2212"
_MEASURE_NAMES = {"pre_crimes": "crimes", "pre_harm": "harm", "area_m2": "area"}


@dataclass(frozen=True)
class Note:
    """A check's result in plain words.

    Attributes
    ----------
    text : str
        What the page prints.
    caution : str or None
        The sentence for the weekly page's "read with care" (``briefing.json``'s
        ``cautions``); None when the check found nothing to warn of.
    """

    text: str
    caution: str | None = None


# ------------------------------------------------------------------------------ words


def say(*paragraphs: str, width: int = 110) -> None:
    """Print paragraphs for the page, wrapped between words.

    A page shows printed text as it is, in a fixed-width font, and a browser breaks a long
    line wherever the page ends, in the middle of a word; wrapped here, it breaks between them.

    Examples
    --------
    >>> say("one two three four", "five", width=9)
    one two
    three
    four
    five
    """
    for paragraph in paragraphs:
        for line in str(paragraph).split("\n"):
            print(textwrap.fill(line, width=width, break_long_words=False, break_on_hyphens=False))


def p_text(p: float) -> str:
    """A p-value for people: "p < 0.001", "p = 0.042"; never scientific notation.

    Examples
    --------
    >>> p_text(1.2e-7), p_text(0.04213), p_text(0.5)
    ('p < 0.001', 'p = 0.042', 'p = 0.500')
    >>> p_text(float("nan"))
    'p not available'
    """
    if p is None or not np.isfinite(p):
        return "p not available"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def change_text(ratio: float, *, decimals: int = 0) -> str:
    """A rate ratio as a signed percentage change, with a real minus sign.

    Examples
    --------
    >>> change_text(0.8), change_text(1.05), change_text(1.0)
    ('−20%', '+5%', '0%')
    >>> change_text(0.8123, decimals=1)
    '−18.8%'
    """
    pct = 100.0 * (float(ratio) - 1.0)
    text = f"{pct:+.{decimals}f}%"
    if float(text[:-1]) == 0:
        return f"{0:.{decimals}f}%"
    return text.replace("-", _MINUS)


def _interval_reading(low: float, high: float) -> str:
    if high < 1:
        return "the whole interval lies below no change: a fall that chance alone is unlikely to explain"
    if low > 1:
        return "the whole interval lies above no change: a rise that chance alone is unlikely to explain"
    return "the interval includes no change, so chance alone could explain the difference"


# ------------------------------------------------------------------------------ windows, design


@dataclass(frozen=True)
class StudyWindows:
    """The windows of the evaluation.

    Attributes
    ----------
    after : Window
        The programme window, ``[programme_start, programme_end)``.
    before : Window
        The same number of local days just before it.
    panel_start : Timestamp
        First local day of the weekly panel (tz-aware).
    """

    after: Any
    before: Any
    panel_start: pd.Timestamp

    @property
    def days(self) -> int:
        return self.after.days

    @property
    def periods(self) -> dict[str, str]:
        """``briefing.json``'s ``periods``: the dates behind "before" and "after"."""
        return {"before": self.before.text, "after": self.after.text}

    def pair(self, which: str) -> tuple[pd.Timestamp, pd.Timestamp]:
        """(start, end) in UTC of "before" or "after", as the displacement check takes them."""
        w = {"before": self.before, "after": self.after}[which]
        return w.start_utc, w.end_utc


def study_windows(
    times: pd.Series,
    *,
    tz: str,
    programme_start: str | None,
    programme_end: str | None = None,
    panel_start: str | None = None,
    ends: pd.Series | None = None,
    fences: pd.DataFrame | None = None,
) -> StudyWindows:
    """The programme window, the window of equal length before it, and the panel's start.

    Parameters
    ----------
    times : Series
        The crimes' ``occurred_from`` (tz-aware); the window's end, when not given, is the
        day after the data end.
    tz : str
    programme_start : str
        First local day of the programme; required (an evaluation compares before and after).
    programme_end, panel_start : str, optional
        Day after the last day evaluated (default: the day after the data end), and first
        day of the weekly panel (default: 52 weeks before the start).
    ends : Series, optional
        The crimes' ``occurred_to`` (a police.uk month runs to the next month's start).
    fences : DataFrame, optional
        The fence set: without ``programme_start``, the programme starts on the local day
        its first dated fence came into force (``valid_from``), as the registry says.

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2024-06-01 08:00", "2025-11-29 12:00"], utc=True))
    >>> w = study_windows(t, tz="Europe/London", programme_start="2025-09-01")
    >>> w.after.text, w.days, w.before.text
    ('1 Sep 2025 to 29 Nov 2025', 90, '3 Jun 2025 to 31 Aug 2025')
    >>> str(w.panel_start.date())
    '2024-09-02'
    >>> f = pd.DataFrame({"valid_from": pd.to_datetime(["1970-01-01 00:00", "2025-08-31 23:00",
    ...                                                 "2025-09-29 23:00"], utc=True)})
    >>> study_windows(t, tz="Europe/London", programme_start=None, fences=f).after.note
    "start: the fences' first start date; end derived from the crimes"
    """
    from hspwork.fences.formats import UNDATED_FENCES_FROM
    from hspwork.programme import Window

    note = ""
    if not programme_start and fences is not None and "valid_from" in fences.columns:
        dated = pd.to_datetime(fences["valid_from"], utc=True)
        dated = dated[dated > UNDATED_FENCES_FROM]
        if len(dated):
            programme_start = str(dated.min().tz_convert(tz).date())
            note = "start: the fences' first start date"
    if not programme_start:
        raise HspworkError(
            "the evaluation needs the programme's start date: set programme_start (the first "
            "local day of the programme) in the programme file"
        )
    after = Window.derive(
        times, tz=tz, start=programme_start, end=programme_end, what="the crimes", ends=ends
    )
    if note:
        from dataclasses import replace

        after = replace(after, note="; ".join(n for n in (note, after.note) if n))
    first = after.start.date() - pd.Timedelta(days=after.days).to_pytimedelta()
    before = Window.from_dates(first, after.start.date(), tz=tz)
    if panel_start:
        p0 = pd.Timestamp(panel_start).tz_localize(tz)
    else:
        p0 = pd.Timestamp(after.start.date() - pd.Timedelta(weeks=52).to_pytimedelta())
        p0 = p0.tz_localize(tz)
    if not p0 <= before.start:
        raise HspworkError(
            f"panel_start ({p0:%Y-%m-%d}) must be on or before the start of the window before "
            f"the programme ({before.start:%Y-%m-%d})"
        )
    return StudyWindows(after=after, before=before, panel_start=p0)


def resolve_design(fences: pd.DataFrame, override: str | None = None, **options) -> DesignChoice:
    """The design the fences show (:func:`~hspwork.evaluation.choose_design`), or the override.

    Parameters
    ----------
    fences : DataFrame
        The fence set with roles (and blocks, start dates when known).
    override : {"randomised", "staggered", "matched"}, optional
        The programme file's ``design_override``: the analyst knows better than the data (a
        trial whose draw was lost, say). The record keeps what the data alone showed.
    **options
        Passed to :func:`~hspwork.evaluation.choose_design`.

    Examples
    --------
    >>> f = pd.DataFrame({"fence_id": ["A", "B", "C", "D"],
    ...                   "role": ["treatment", "control"] * 2, "block": [1, 1, 2, 2]})
    >>> resolve_design(f).design
    'randomised'
    >>> c = resolve_design(f, "matched")
    >>> c.design, c.evidence["found"], c.evidence["override"]
    ('matched', 'randomised', 'matched')
    """
    choice = choose_design(fences, **options)
    if override is None or override == "":
        return choice
    if override not in DESIGNS:
        raise HspworkError(
            f"design_override must be one of {list(DESIGNS)} or none; got {override!r}"
        )
    if override == choice.design:
        return choice
    if override == "randomised" and not choice.evidence.get("control_places"):
        raise HspworkError(
            "design_override = 'randomised' needs control places (fences with role 'control'); "
            "these fences have none"
        )
    if override == "staggered" and choice.starts.empty:
        raise HspworkError(
            "design_override = 'staggered' needs each treated fence's start (a 'start' or "
            "'valid_from' date); these fences have none"
        )
    evidence = {**choice.evidence, "found": choice.design, "override": override}
    return DesignChoice(override, choice.reason, evidence, choice.starts)


def design_words(choice: DesignChoice) -> str:
    """Which design the chapter follows and why, for the page.

    Examples
    --------
    >>> c = DesignChoice("matched", "They were chosen.", {"found": "randomised",
    ...                  "override": "matched"})
    >>> print(design_words(c))
    Design used: a chosen set of places, evaluated against matched comparison places, as the programme file asks (design_override).
    The data alone show a randomised trial: They were chosen.
    """
    found = choice.evidence.get("found")
    if found is None or found == choice.design:
        return choice.summary()
    return (
        f"Design used: {DESIGN_NAMES[choice.design]}, as the programme file asks "
        f"(design_override).\nThe data alone show {DESIGN_NAMES[found]}: {choice.reason}"
    )


def design_record(
    choice: DesignChoice,
    *,
    periods: Mapping[str, str],
    method: str,
    places: Mapping[str, int] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> dict:
    """``design.json``: the design followed, why, and what it compared (JSON-native).

    Parameters
    ----------
    choice : DesignChoice
    periods : mapping
        The dates behind "before" and "after" (:attr:`StudyWindows.periods`).
    method : str
        The headline estimate's method (the first row of ``effects.csv``).
    places : mapping, optional
        Places compared, e.g. ``{"treated": 20, "comparison": 20}``.
    settings : mapping, optional
        What else a reader needs to repeat it (the matching's caliper, the permutations...).

    Examples
    --------
    >>> import json
    >>> c = DesignChoice("staggered", "Waves.", {"treated_places": 2},
    ...     pd.DataFrame({"id": ["A", "B"], "wave": [0, 1],
    ...                   "start": pd.to_datetime(["2025-09-01", "2025-09-29"], utc=True)}))
    >>> r = design_record(c, periods={"after": "1 Sep 2025 to 29 Nov 2025"}, method="m")
    >>> r["design"], r["found"], r["waves"][1]
    ('staggered', 'staggered', {'wave': 1, 'start': '2025-09-29', 'places': ['B']})
    >>> json.loads(json.dumps(r)) == r
    True
    """
    waves = []
    if not choice.starts.empty and choice.design == "staggered":
        for wave, rows in choice.starts.groupby("wave", sort=True):
            waves.append(
                {
                    "wave": int(wave),
                    "start": f"{pd.Timestamp(rows['start'].min()):%Y-%m-%d}",
                    "places": sorted(str(i) for i in rows["id"]),
                }
            )
    record = {
        "design": choice.design,
        "found": choice.evidence.get("found", choice.design),
        "override": choice.evidence.get("override"),
        "name": DESIGN_NAMES[choice.design],
        "reason": choice.reason,
        "method": method,
        "periods": dict(periods),
        "places": {str(k): int(v) for k, v in (places or {}).items()},
        "evidence": _json_native(choice.evidence),
        "waves": waves,
        "settings": _json_native(dict(settings or {})),
    }
    return record


def _json_native(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_native(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_native(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# ------------------------------------------------------------------------------ outcomes


def _table(shift) -> pd.DataFrame:
    t = getattr(shift, "table", shift)
    if not isinstance(t, pd.DataFrame) or not {"before", "after"} <= set(t.columns):
        raise SchemaError("expected a displacement result or its table (before, after by zone)")
    missing = [z for z in ("treated", "control") if z not in t.index]
    if missing:
        raise SchemaError(f"the displacement table lacks zones {missing}; it has {list(t.index)}")
    return t


def outcome_table(crimes_shift, harm_shift=None) -> pd.DataFrame:
    """``outcomes.csv``: crimes (and harm) by group and period, from the displacement tables.

    Parameters
    ----------
    crimes_shift, harm_shift : DisplacementResult or its ``table``
        :func:`~hspwork.evaluation.displacement` with ``outcome="crimes"`` and
        ``outcome="harm"`` over the same windows (the same tables serve the displacement
        check, so the page's numbers agree with each other).

    Returns
    -------
    DataFrame
        Columns ``group`` ("treatment", "control"), ``period`` ("before", "after"),
        ``crimes`` (int) and ``harm`` (float, days), in that order of rows.

    Examples
    --------
    >>> t = pd.DataFrame({"before": [100.0, 90.0], "after": [80.0, 91.0]},
    ...                  index=["treated", "control"])
    >>> h = pd.DataFrame({"before": [900.5, 700.0], "after": [650.0, 720.0]},
    ...                  index=["treated", "control"])
    >>> outcome_table(t, h).to_dict("list")["crimes"]
    [100, 80, 90, 91]
    """
    c = _table(crimes_shift)
    h = _table(harm_shift) if harm_shift is not None else None
    rows = []
    for group, zone in (("treatment", "treated"), ("control", "control")):
        for period in ("before", "after"):
            row = {"group": group, "period": period, "crimes": int(np.rint(c.loc[zone, period]))}
            if h is not None:
                row["harm"] = float(h.loc[zone, period])
            rows.append(row)
    return pd.DataFrame(rows)


def outcome_summary(
    outcomes: pd.DataFrame, *, labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The outcome table as people read it: one row per group, before, after and change.

    Changes are shares (0.2 for +20%): pass their columns to ``readable(percent=...)``.

    Examples
    --------
    >>> o = pd.DataFrame({"group": ["treatment"] * 2 + ["control"] * 2,
    ...                   "period": ["before", "after"] * 2, "crimes": [100, 80, 90, 99],
    ...                   "harm": [1000.0, 500.0, 800.0, 800.0]})
    >>> s = outcome_summary(o)
    >>> s.loc["treated places", ["crimes before", "crimes after"]].tolist()
    [100, 80]
    >>> [round(v, 3) for v in s["crimes change"]], [round(v, 3) for v in s["harm (days) change"]]
    ([-0.2, 0.1], [-0.5, 0.0])
    """
    labels = {"treatment": "treated places", "control": "control places", **(labels or {})}
    need = {"group", "period", "crimes"}
    if not need <= set(outcomes.columns):
        raise SchemaError(
            f"outcomes need columns {sorted(need)}; they have {list(outcomes.columns)}"
        )
    measures = [("crimes", "crimes")] + ([("harm", "harm (days)")] if "harm" in outcomes else [])
    sums = outcomes.groupby(["group", "period"], sort=False)[[m for m, _ in measures]].sum()
    groups = list(dict.fromkeys(outcomes["group"]))
    out = pd.DataFrame(index=pd.Index([labels.get(g, g) for g in groups], name="group"))
    for measure, label in measures:
        b = np.array([sums.loc[(g, "before"), measure] for g in groups], dtype=float)
        a = np.array([sums.loc[(g, "after"), measure] for g in groups], dtype=float)
        out[f"{label} before"] = np.round(b).astype(int)
        out[f"{label} after"] = np.round(a).astype(int)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"{label} change"] = np.where(b > 0, a / b - 1.0, np.nan)
    return out


def naive_change(
    outcomes: pd.DataFrame, *, group: str = "treatment", measure: str = "crimes"
) -> float:
    """A group's raw change from before to after (after / before − 1).

    Examples
    --------
    >>> o = pd.DataFrame({"group": ["treatment"] * 2, "period": ["before", "after"],
    ...                   "crimes": [200, 150]})
    >>> naive_change(o)
    -0.25
    """
    s = outcomes.groupby(["group", "period"])[measure].sum()
    before, after = float(s.get((group, "before"), 0)), float(s.get((group, "after"), 0))
    if before <= 0:
        raise HspworkError(f"no {measure} in {group} places before the start: no change to state")
    return after / before - 1.0


def rirr_of(
    outcomes: pd.DataFrame, *, dispersion: float = 1.0, measure: str = "crimes"
) -> RIRRResult:
    """The RIRR of the outcome table's four totals (treated and control, before and after).

    Examples
    --------
    >>> o = pd.DataFrame({"group": ["treatment"] * 2 + ["control"] * 2,
    ...                   "period": ["before", "after"] * 2, "crimes": [100, 80, 100, 100]})
    >>> round(rirr_of(o).rirr, 4)
    1.25
    """
    s = outcomes.groupby(["group", "period"])[measure].sum()
    try:
        a, b = s["treatment", "before"], s["treatment", "after"]
        c, d = s["control", "before"], s["control", "after"]
    except KeyError:
        raise SchemaError(
            "the outcome table needs treatment and control rows, before and after"
        ) from None
    return rirr(a, b, c, d, dispersion=dispersion)


@dataclass(frozen=True)
class Dispersion:
    """How much a place's count over the programme's length varies, beyond a Poisson count.

    Attributes
    ----------
    value : float
        The variance-to-mean ratio (at least 1), for :func:`~hspwork.evaluation.rirr` and
        :func:`~hspwork.evaluation.minimum_detectable_effect` with ``design="prepost"``.
    windows : int
        Windows of the year before that each place's counts were compared over.
    window_days : float
        Their length in days.
    places : int
        Places with crime that entered the estimate.
    weekly : bool
        The year before held fewer than three windows of the programme's length, so the
        weekly counts were compared instead and scaled to the programme's length.
    """

    value: float
    windows: int
    window_days: float
    places: int
    weekly: bool = False

    @property
    def text(self) -> str:
        """One line for the page."""
        how = (
            f"from how each place's count varied between {self.windows} windows of "
            f"{self.window_days:g} days in the year before"
            if not self.weekly
            else f"from each place's {self.windows} weekly counts in the year before, scaled "
            "to the programme's length"
        )
        return (
            f"Dispersion {self.value:.2f} ({how}, over {self.places} places; 1 is a pure "
            "Poisson count)."
        )


def pre_period_dispersion(
    panel: pd.DataFrame,
    *,
    window_days: float,
    unit: str = "fence_id",
    period: str = "period",
    post: str = "post",
    outcome: str = "crimes",
    period_days: int = 7,
) -> Dispersion:
    """A place's dispersion over the programme's length, from the weeks before the start.

    Each place's pre-period weeks are summed into consecutive windows of the programme's
    length, counted back from the start (four windows of 90 days in a year), and
    :func:`~hspwork.evaluation.estimate_dispersion` gives each place's variance-to-mean ratio
    over its windows. The programme's estimate is the mean over places weighted by their mean
    count, which is the dispersion of the places' total (Var = Σ D·mean), and is floored at 1.
    With fewer than three whole windows, the weekly counts are used instead, scaled to the
    programme's length (``period_ratio``).

    This is the *within-place* dispersion: the RIRR and the models compare each place with
    its own past, so differences between places are not noise to them. (The variance of the
    places' totals around each other, ``estimate_dispersion(pre_crimes)``, is the noise of a
    comparison of after-period counts alone, and is far larger where a few places hold most
    of the crime.)

    Parameters
    ----------
    panel : DataFrame
        The weekly panel (:func:`~hspwork.evaluation.crime_panel`).
    window_days : float
        The programme's length in days.
    unit, period, post, outcome : str
    period_days : int, default 7

    Returns
    -------
    Dispersion

    Examples
    --------
    >>> panel = pd.DataFrame({"fence_id": ["A"] * 6 + ["B"] * 6, "period": list(range(-6, 0)) * 2,
    ...                       "post": 0, "crimes": [1, 1, 2, 2, 3, 3, 4, 4, 4, 4, 4, 4]})
    >>> d = pre_period_dispersion(panel, window_days=14)  # windows of 2 weeks: A 2, 4, 6; B 8, 8, 8
    >>> round(d.value, 4), d.windows   # A: variance 4 / mean 4 = 1; B: 0; weighted (4·1 + 8·0)/12
    (1.0, 3)
    """
    need = [unit, period, post, outcome]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise SchemaError(f"panel lacks columns {missing}; it has {list(panel.columns)}")
    if not window_days > 0:
        raise HspworkError(f"window_days must be positive; received {window_days!r}")
    pre = panel[pd.to_numeric(panel[post], errors="coerce") == 0]
    weeks = np.sort(pre[period].unique())
    per = max(1, round(window_days / period_days))
    n_windows = len(weeks) // per
    weekly = False
    if n_windows >= 3:
        # whole windows counted back from the start; the oldest odd weeks are left out
        rank = len(weeks) - 1 - np.searchsorted(weeks, pre[period].to_numpy())
        block = rank // per
        use = block < n_windows
        ratio = float(window_days) / (per * period_days)
    else:
        block = np.searchsorted(weeks, pre[period].to_numpy())
        use = np.ones(len(pre), dtype=bool)
        n_windows, ratio = len(weeks), float(window_days) / period_days
        weekly = True
    counts = (
        pd.DataFrame({"u": pre[unit].to_numpy()[use], "b": block[use],
                      "y": pd.to_numeric(pre[outcome]).to_numpy(dtype=float)[use]})
        .groupby(["u", "b"])["y"].sum().unstack(fill_value=0.0)
    )  # fmt: skip
    if counts.shape[1] < 2:
        raise HspworkError(
            "the panel needs at least two weeks before the start to estimate dispersion"
        )
    means = counts.mean(axis=1)
    busy = counts[means > 0]
    if busy.empty:
        raise HspworkError(
            f"no place had any {outcome} before the start: no dispersion to estimate"
        )
    each = np.array([estimate_dispersion(row, period_ratio=ratio) for row in busy.to_numpy()])
    weights = means[means > 0].to_numpy()
    value = float(np.sum(weights * each) / np.sum(weights))
    return Dispersion(max(1.0, value), int(n_windows), float(window_days), len(busy), weekly)


# ------------------------------------------------------------------------------ checks


def balance_check(
    balance: pd.DataFrame,
    *,
    threshold: float = 0.1,
    names: Mapping[str, str] | None = None,
    comparison: str = "control places",
) -> Note:
    """Whether treated and control places were alike before the start, in words.

    Parameters
    ----------
    balance : DataFrame
        :func:`~hspwork.evaluation.balance_table` (index: measure, column ``std_diff``).
    threshold : float, default 0.1
        |standardised difference| beyond which a measure is unbalanced (Austin 2009).
    names : mapping, optional
        Measure -> its name in words (default: pre_crimes -> crimes, ...).
    comparison : str, default "control places"
        What the treated places are compared with ("matched comparison places"...).

    Examples
    --------
    >>> b = pd.DataFrame({"std_diff": [0.05, -0.3, 0.2]},
    ...                  index=["pre_crimes", "pre_harm", "area_m2"])
    >>> n = balance_check(b)
    >>> n.caution
    'In the year before the start, treated and control places differed in harm and area (standardised difference beyond ±0.1).'
    >>> balance_check(b.iloc[:1]).caution is None
    True
    """
    if "std_diff" not in balance.columns:
        raise SchemaError(f"balance needs a std_diff column; it has {list(balance.columns)}")
    names = {**_MEASURE_NAMES, **(names or {})}
    d = pd.to_numeric(balance["std_diff"], errors="coerce")
    off = [names.get(str(k), str(k)) for k, v in d.items() if np.isfinite(v) and abs(v) > threshold]
    if not off:
        return Note(
            f"Treated and {comparison} were alike before the start on every measure "
            f"(standardised difference within ±{threshold:g})."
        )
    which = off[0] if len(off) == 1 else ", ".join(off[:-1]) + " and " + off[-1]
    text = (
        f"treated and {comparison} differed in {which} (standardised difference beyond "
        f"±{threshold:g})"
    )
    return Note(
        f"NOTE: before the programme, {text}. The models compare each place with its own past, "
        "which absorbs differences in level but not in trend; read the effects with that in mind.",
        f"In the year before the start, {text}.",
    )


def balance_view(balance: pd.DataFrame, *, threshold: float = 0.1,
                 names: Mapping[str, str] | None = None) -> pd.DataFrame:  # fmt: skip
    """The balance table for the page: plain labels, "yes"/"no" instead of True/False.

    Examples
    --------
    >>> b = pd.DataFrame({"mean_treated": [10.0], "mean_control": [8.0], "sd_treated": [2.0],
    ...     "sd_control": [2.0], "std_diff": [1.0], "variance_ratio": [1.0], "imbalanced": [True]},
    ...     index=["pre_crimes"])
    >>> balance_view(b).to_dict("records")[0]["alike (within ±0.1)?"]
    'no'
    """
    names = {
        "pre_crimes": "crimes, year before", "pre_harm": "harm (days), year before",
        "area_m2": "area (m²)", **(names or {}),
    }  # fmt: skip
    d = pd.to_numeric(balance["std_diff"], errors="coerce")
    out = pd.DataFrame(
        {
            "treated, mean": balance["mean_treated"].to_numpy(dtype=float),
            "control, mean": balance["mean_control"].to_numpy(dtype=float),
            "standardised difference": d.to_numpy(dtype=float),
            "variance ratio": balance["variance_ratio"].to_numpy(dtype=float),
            f"alike (within ±{threshold:g})?": np.where(d.abs() <= threshold, "yes", "no"),
        },
        index=pd.Index([names.get(str(k), str(k)) for k in balance.index], name="measure"),
    )
    return out


def match_balance_view(balance: pd.DataFrame) -> pd.DataFrame:
    """:attr:`MatchResult.balance` for the page: each feature in words, before and after.

    Examples
    --------
    >>> b = pd.DataFrame({"mean_treated": [2.0], "mean_pool": [0.5], "std_diff_before": [1.8],
    ...     "mean_matched": [1.9], "std_diff_after": [0.1], "variance_ratio_after": [1.1]},
    ...     index=pd.Index(["crimes_level"], name="feature"))
    >>> match_balance_view(b).index[0]
    'crimes: level before the start (log of weekly mean)'
    """

    def name(feature: str) -> str:
        outcome, _, kind = str(feature).rpartition("_")
        what = {"crimes": "crimes", "harm": "harm"}.get(outcome, outcome)
        if kind == "level":
            return f"{what}: level before the start (log of weekly mean)"
        if kind == "trend":
            return f"{what}: trend before the start (share changed over the period)"
        return str(feature)

    return pd.DataFrame(
        {
            "chosen places": balance["mean_treated"].to_numpy(dtype=float),
            "all places not patrolled": balance["mean_pool"].to_numpy(dtype=float),
            "difference before matching (SD)": balance["std_diff_before"].to_numpy(dtype=float),
            "matched comparison places": balance["mean_matched"].to_numpy(dtype=float),
            "difference after matching (SD)": balance["std_diff_after"].to_numpy(dtype=float),
        },
        index=pd.Index([name(f) for f in balance.index], name="matched on"),
    )


def pretrend_check(
    p_value: float,
    df: int,
    *,
    alpha: float = 0.05,
    randomised: bool = False,
    comparison: str = "control places",
) -> Note:
    """Whether treated and control places were already diverging before the start, in words.

    Parameters
    ----------
    p_value, df : float, int
        The joint test that every pre-period effect is 1 (an event study's or a roll-out's
        ``pretrend_p`` and ``pretrend_df``).
    alpha : float, default 0.05
    randomised : bool, default False
        A randomised trial has a sturdier guide than parallel trends (the randomisation
        test), and the note says so.
    comparison : str, default "control places"

    Examples
    --------
    >>> pretrend_check(0.4, 11).text
    'No sign that trends differed before the start (p = 0.400).'
    >>> n = pretrend_check(0.01, 11)
    >>> n.caution
    'Treated and control places were already moving differently before the patrols began (the pre-trend test rejects parallel trends, p = 0.010).'
    >>> pretrend_check(float("nan"), 0).caution is None
    True
    >>> pretrend_check(float("nan"), 4).text
    'The weeks before the start could not be tested (too few places or weeks before the starts, or an exact fit), so parallel trends are untested.'
    """
    if not df:
        return Note("No weeks before the start to check the trends against.")
    if p_value is None or not np.isfinite(p_value):
        return Note(
            "The weeks before the start could not be tested (too few places or weeks before the "
            "starts, or an exact fit), so parallel trends are untested."
        )
    if p_value >= alpha:
        return Note(f"No sign that trends differed before the start ({p_text(p_value)}).")
    text = (
        f"treated and {comparison} were already moving differently before the patrols began "
        f"(the pre-trend test rejects parallel trends, {p_text(p_value)})"
    )
    after = (
        "; as the places were assigned at random, the randomisation test (which does not rely "
        "on parallel trends) is the sturdier guide."
        if randomised
        else "."
    )
    return Note(
        f"NOTE: {text}, so part of the estimated effect may not be due to the patrols{after}",
        text[0].upper() + text[1:] + ".",
    )


def mde_words(
    mde: Mapping[str, float],
    *,
    n_treated: int,
    n_control: int,
    rate_per_year: float,
    dispersion: float,
    days: int,
    comparison: str = "control places",
) -> str:
    """The minimum detectable effect in words.

    Examples
    --------
    >>> print(mde_words({"irr": 0.8123, "percent_reduction": 18.77}, n_treated=20,
    ...       n_control=20, rate_per_year=61.6, dispersion=2.345, days=90))
    20 treated and 20 control places, 62 crimes a year each on average, dispersion 2.3: over 90 days the programme could detect a fall of 19% or more (IRR 0.81) with 80% power.
    """
    return (
        f"{n_treated} treated and {n_control} {comparison}, {rate_per_year:,.0f} crimes a year "
        f"each on average, dispersion {dispersion:.1f}: over {days} days the programme could "
        f"detect a fall of {mde['percent_reduction']:.0f}% or more (IRR {mde['irr']:.2f}) with "
        "80% power."
    )


# ------------------------------------------------------------------------------ estimates


def effect_words(result, *, against: str = "what the control places predict",
                 what: str | None = None) -> str:  # fmt: skip
    """An effect estimate in plain words, no scientific notation.

    Parameters
    ----------
    result : EffectResult, StaggeredResult or RIRRResult
        Anything with ``irr``, ``ci`` and ``p_value`` (an RIRR is read on the IRR scale).
    against : str
        What the treated places are compared with.
    what : str, optional
        The outcome in words (default: the result's ``outcome``).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> r = NS(irr=0.8, ci=(0.7, 0.914), p_value=0.0004, outcome="crimes")
    >>> print(effect_words(r))
    Crimes in treated places: −20% against what the control places predict (IRR 0.80, 95% interval 0.70 to 0.91, p < 0.001); the whole interval lies below no change: a fall that chance alone is unlikely to explain.
    """
    if isinstance(result, RIRRResult):
        irr, low, high = 1 / result.rirr, 1 / result.ci[1], 1 / result.ci[0]
        outcome = what or "crimes"
    else:
        irr, (low, high) = float(result.irr), (float(result.ci[0]), float(result.ci[1]))
        outcome = what or str(getattr(result, "outcome", "crimes"))
    label = "harm (days)" if outcome == "harm" else outcome
    how = ", by the RIRR read on the IRR scale" if isinstance(result, RIRRResult) else ""
    return (
        f"{label[0].upper() + label[1:]} in treated places{how}: {change_text(irr)} against {against} "
        f"(IRR {irr:.2f}, 95% interval {low:.2f} to {high:.2f}, {p_text(result.p_value)}); "
        f"{_interval_reading(low, high)}."
    )


def naive_words(outcomes: pd.DataFrame, effect, *, periods: Mapping[str, str]) -> str:
    """The chosen places' raw before/after change beside the matched estimate.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> o = pd.DataFrame({"group": ["treatment"] * 2, "period": ["before", "after"],
    ...                   "crimes": [400, 300]})
    >>> print(naive_words(o, NS(irr=0.9, ci=(0.8, 1.02)), periods={"before": "b", "after": "a"}))
    Before and after alone: crime at the chosen places went from 400 (b) to 300 (a), −25%. Against matched comparison places the estimated effect of the patrols is −10% (95% interval −20% to +2%): the rest of the fall would have come anyway.
    """
    s = outcomes.groupby(["group", "period"])["crimes"].sum()
    b, a = int(s["treatment", "before"]), int(s["treatment", "after"])
    raw = naive_change(outcomes)
    irr, low, high = float(effect.irr), float(effect.ci[0]), float(effect.ci[1])
    text = (
        f"Before and after alone: crime at the chosen places went from {b:,} "
        f"({periods.get('before', 'before')}) to {a:,} ({periods.get('after', 'after')}), "
        f"{change_text(1 + raw)}. Against matched comparison places the estimated effect of the "
        f"patrols is {change_text(irr)} (95% interval {change_text(low)} to {change_text(high)})"
    )
    if raw < 0 and irr - 1 > raw:
        return text + ": the rest of the fall would have come anyway."
    return text + "."


def displacement_words(shift, *, ring_m: float, comparison: str = "control places") -> str:
    """The displacement check in plain words: the ring's change relative to the comparison rings.

    Read only where the treated places themselves fell relative to the comparison places: with
    no fall there, there is nothing to displace or to spread, and the sentence says so.

    Parameters
    ----------
    shift : DisplacementResult or its ``table``
    ring_m : float
        The ring's width, metres.
    comparison : str, default "control places"

    Examples
    --------
    >>> t = pd.DataFrame({"before": [100.0, 100.0, 50.0, 40.0], "after": [80.0, 100.0, 45.0, 40.0]},
    ...     index=["treated", "control", "treated ring 1", "control ring 1"])
    >>> print(displacement_words(t, ring_m=150))
    Crime in the 150 m ring round treated places changed by −10% relative to the rings round control places: it fell there too, so there is no sign that crime moved round the corner (a diffusion of benefits).
    """
    t = _table(shift)
    for zone in ("treated ring 1", "control ring 1"):
        if zone not in t.index:
            raise SchemaError(f"the displacement table lacks the zone {zone!r}")
    pb, pa = t.loc["treated", ["before", "after"]]
    qb, qa = t.loc["control", ["before", "after"]]
    tb, ta = t.loc["treated ring 1", ["before", "after"]]
    cb, ca = t.loc["control ring 1", ["before", "after"]]
    if min(tb, cb, ca) <= 0 or min(pb, qb, qa) <= 0:
        return (
            f"Too few crimes to compare the {ring_m:g} m rings ({tb:,.0f} and {cb:,.0f} before the "
            f"start in the rings round treated places and round {comparison})."
        )
    ratio = (ta / tb) / (ca / cb)
    head = (
        f"Crime in the {ring_m:g} m ring round treated places changed by {change_text(ratio)} "
        f"relative to the rings round {comparison}"
    )
    if (pa / pb) / (qa / qb) >= 1:
        return head + (
            ". Crime did not fall at the treated places themselves relative to the "
            f"{comparison}, so there is no effect to displace or to spread: the ring says "
            "nothing about displacement here."
        )
    if ratio < 1:
        return head + (
            ": it fell there too, so there is no sign that crime moved round the corner (a "
            "diffusion of benefits)."
        )
    if ratio == 1:
        return head + ": no sign of displacement or diffusion."
    return head + ": it rose there, so some crime may have moved round the corner (displacement)."


def displacement_view(table: pd.DataFrame, *, ring_m: float, comparison: str = "control places"):
    """The displacement table for the page: zones in words, the change as a share.

    Examples
    --------
    >>> t = pd.DataFrame({"before": [100.0, 50.0], "after": [80.0, 45.0], "change": [-20.0, -5.0],
    ...     "percent_change": [-20.0, -10.0]}, index=["treated", "control ring 1"])
    >>> v = displacement_view(t, ring_m=150, comparison="matched comparison places")
    >>> list(v.index), v["change %"].tolist()
    (['treated places', '150 m ring round matched comparison places'], [-0.2, -0.1])
    """
    names = {"treated": "treated places", "control": comparison}
    rename = {}
    for zone in table.index:
        z = str(zone)
        if z in names:
            rename[zone] = names[z]
        elif z.endswith(" ring 1"):
            who = "treated places" if z.startswith("treated") else comparison
            rename[zone] = f"{ring_m:g} m ring round {who}"
    out = table.rename(index=rename).rename(columns={"percent_change": "change %"})
    out["change %"] = out["change %"] / 100.0
    return out.rename_axis("zone")


def headline(effects: pd.DataFrame, *, against: str = "what the controls predict") -> str:
    """The chapter's last word: the first row of ``effects.csv`` in plain words.

    Examples
    --------
    >>> e = pd.DataFrame([{"method": "negbin GLM", "outcome": "crimes", "irr": 0.8,
    ...                    "ci_low": 0.7, "ci_high": 1.05, "p_value": 0.1}])
    >>> print(headline(e))
    In plain words (negbin GLM): crime in treated places changed by −20% against what the controls predict (95% interval −30% to +5%); the interval includes no change, so chance alone could explain the difference.
    """
    rows = effects.dropna(subset=["irr"])
    if rows.empty:
        raise HspworkError("effects hold no estimate with an IRR")
    r = rows.iloc[0]
    return (
        f"In plain words ({r['method']}): crime in treated places changed by "
        f"{change_text(r['irr'])} against {against} (95% interval {change_text(r['ci_low'])} to "
        f"{change_text(r['ci_high'])}); {_interval_reading(r['ci_low'], r['ci_high'])}."
    )


# ------------------------------------------------------------------------------ work-folder tables


def _estimate_row(method: str, result) -> dict:
    if hasattr(result, "to_frame"):
        row = result.to_frame().iloc[0].to_dict()
    elif hasattr(result, "by_event_time"):  # a StaggeredResult
        row = {
            "outcome": result.outcome, "model": result.model, "irr": result.irr,
            "ci_low": result.ci[0], "ci_high": result.ci[1], "p_value": result.p_value,
            "log_irr": float(np.log(result.irr)), "se": result.se, "n_units": result.n_units,
            "n_periods": result.n_periods, "interval": "cluster", "df": None,
        }  # fmt: skip
    else:
        raise SchemaError(f"cannot read an estimate from {type(result).__name__}")
    row["method"] = method
    return row


def effects_table(
    estimates: Sequence[tuple[str, Any]],
    *,
    rirr: RIRRResult | None = None,
    randomisation=None,
    randomisation_design: str | None = None,
) -> pd.DataFrame:
    """``effects.csv``: one row per estimate, the headline first.

    Parameters
    ----------
    estimates : sequence of (method, result)
        EffectResult or StaggeredResult, each with the words for its method; the first
        crimes row is the headline (the weekly page reads the first row per outcome).
    rirr : RIRRResult, optional
        Added on the IRR scale: irr = 1/RIRR, and the interval inverted (its low end is
        1/the RIRR's high end), so every row reads the same way (below 1: crime fell).
    randomisation : RandomisationResult, optional
        Its p-value, on a row of its own (no IRR).
    randomisation_design : str, optional
        "simple" or "block", for the row's method.

    Returns
    -------
    DataFrame
        Columns :data:`EFFECT_COLUMNS`.

    Examples
    --------
    >>> from hspwork.evaluation import rirr as rirr_
    >>> t = effects_table([], rirr=rirr_(100, 80, 100, 100))
    >>> [round(float(t.loc[0, c]), 4) for c in ("irr", "ci_low", "ci_high")]
    [0.8, 0.5341, 1.1983]
    """
    rows = [_estimate_row(method, result) for method, result in estimates]
    if rirr is not None:
        rows.append(
            {
                "method": "RIRR (reciprocal: IRR scale)", "outcome": "crimes", "model": "RIRR",
                "irr": 1.0 / rirr.rirr, "ci_low": 1.0 / rirr.ci[1], "ci_high": 1.0 / rirr.ci[0],
                "p_value": rirr.p_value, "log_irr": -rirr.log_rirr, "se": rirr.se,
                "interval": f"Wald, dispersion {rirr.dispersion:.3g}",
            }
        )  # fmt: skip
    if randomisation is not None:
        design = randomisation_design or getattr(randomisation, "design", "")
        rows.append(
            {
                "method": f"randomisation inference ({design})", "outcome": "crimes",
                "model": "re-randomisation", "p_value": randomisation.p_value,
                "interval": f"{randomisation.n_perm} re-draws",
            }
        )  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))
    for col in ("irr", "ci_low", "ci_high", "p_value", "log_irr", "se", "df"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    for col in ("n_units", "n_periods"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    return frame


def cost_table(value) -> pd.DataFrame:
    """``cost.csv``: one row of what the programme cost and what it prevented.

    Parameters
    ----------
    value : CostBenefitResult
        From :func:`~hspwork.evaluation.cost_benefit`.

    Examples
    --------
    >>> from hspwork.evaluation import cost_benefit
    >>> v = cost_benefit(pd.Series({"Robbery": 40, "Criminal damage": 80}), irr=0.8,
    ...                  officer_hours=1000, hourly_cost_gbp=40)
    >>> row = cost_table(v).iloc[0]
    >>> row["cost_gbp"], row["crimes_prevented"], row["benefit_gbp"]
    (np.float64(40000.0), np.float64(30.0), np.float64(140200.0))
    """
    prevented, low, high = value.crimes_prevented
    return pd.DataFrame(
        [
            {
                "officer_hours": value.officer_hours,
                "cost_gbp": value.cost_gbp,
                "crimes_prevented": prevented,
                "crimes_prevented_low": low,
                "crimes_prevented_high": high,
                "cost_per_crime_prevented_gbp": value.cost_per_crime_prevented,
                "harm_days_prevented": value.harm_days_prevented,
                "harm_days_per_officer_hour": value.harm_days_per_officer_hour,
                "benefit_gbp": value.benefit_gbp[0],
                "benefit_cost_ratio": value.benefit_cost_ratio[0],
            }
        ]
    )


def cost_words(value, *, hourly_cost_gbp: float) -> str:
    """What the patrols cost and what they bought, in words (the hourly rate stated).

    Examples
    --------
    >>> from hspwork.evaluation import cost_benefit
    >>> v = cost_benefit(pd.Series({"Robbery": 40, "Criminal damage": 80}), irr=0.8,
    ...                  irr_ci=(0.7, 0.9), officer_hours=1000, hourly_cost_gbp=40,
    ...                  harm=pd.Series({"Robbery": 365.0, "Criminal damage": 2.0}))
    >>> print(cost_words(v, hourly_cost_gbp=40))
    1,000 officer-hours at £40 an hour (officer_hour_cost_gbp) cost £40,000. They prevented an estimated 30 crimes (95% interval 13 to 51): £1,333 per crime prevented, 3,690 harm days prevented (3.69 per officer-hour). Benefit-cost ratio 3.50 (1.56 to 6.01), with Home Office unit costs of crime.
    """
    c, lo, hi = value.crimes_prevented
    b = value.benefit_cost_ratio
    head = (
        f"{value.officer_hours:,.0f} officer-hours at £{hourly_cost_gbp:,.0f} an hour "
        f"(officer_hour_cost_gbp) cost £{value.cost_gbp:,.0f}."
    )
    if c <= 0:
        return head + (
            f" The estimate is that they prevented no crime ({c:,.0f}; 95% interval {lo:,.0f} to "
            f"{hi:,.0f}), so there is no cost per crime prevented to state."
        )
    text = (
        f"{head} They prevented an estimated {c:,.0f} crimes (95% interval {lo:,.0f} to "
        f"{hi:,.0f}): £{value.cost_per_crime_prevented:,.0f} per crime prevented, "
        f"{value.harm_days_prevented:,.0f} harm days prevented "
        f"({value.harm_days_per_officer_hour:,.2f} per officer-hour). Benefit-cost ratio "
        f"{b[0]:.2f} ({b[1]:.2f} to {b[2]:.2f}), with Home Office unit costs of crime."
    )
    if value.uncosted:
        text += f" Counted in harm but not priced: {', '.join(value.uncosted)}."
    return text


# ------------------------------------------------------------------------------ design helpers


def with_first_treated(panel: pd.DataFrame, choice: DesignChoice, trial_start, *,
                       period_days: int = 7, id_column: str = "fence_id") -> pd.DataFrame:  # fmt: skip
    """A copy of the panel with ``first_treated``: each place's first period of patrols (−1: never).

    Periods are numbered as :func:`~hspwork.evaluation.crime_panel` numbers them from
    ``trial_start`` (0 is the first programme week), which is what
    :func:`~hspwork.evaluation.staggered_effect` takes.

    Examples
    --------
    >>> c = DesignChoice("staggered", "", {}, pd.DataFrame({"id": ["A", "B"], "wave": [0, 1],
    ...     "start": pd.to_datetime(["2025-09-01 00:00", "2025-09-29 00:00"], utc=True)}))
    >>> p = pd.DataFrame({"fence_id": ["A", "B", "C"], "period": [0, 0, 0]})
    >>> with_first_treated(p, c, "2025-08-31T23:00Z")["first_treated"].tolist()
    [0, 4, -1]
    """
    ts = pd.Timestamp(trial_start)
    if ts.tzinfo is None:
        raise HspworkError(f"trial_start must carry a time zone; received {trial_start!r}")
    first = choice.first_treated(ts, period_days=period_days)
    out = panel.copy()
    out["first_treated"] = out[id_column].map(first).fillna(-1).astype("int64")
    return out


def matched_places(pool, match, *, valid_from, id_column: str = "fence_id"):
    """The matched chosen places and their comparison places, as areas with roles.

    Parameters
    ----------
    pool : GeoDataFrame
        :func:`~hspwork.evaluation.comparison_pool`'s places (fences and pool units).
    match : MatchResult
        :func:`~hspwork.evaluation.match_controls` on the pool's panel.
    valid_from : time-like with a zone
        When the programme started: the comparison places become a fence set in force from
        then (so the displacement check can draw rings round them as round any fence).

    Returns
    -------
    GeoDataFrame
        A fence set (:func:`~hspwork.fences.make_fences`) of the places that enter the
        evaluation (matched chosen places with role
        "treatment", their comparisons with role "control"), with ``match``: the number of
        the chosen place each belongs to. Feed it to the displacement check and the balance
        table, so every table of the page compares the same places.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from types import SimpleNamespace as NS
    >>> from shapely.geometry import box
    >>> pool = gpd.GeoDataFrame({"fence_id": ["HS1", "HS2", "U1", "U2", "U3"],
    ...     "role": ["treatment", "treatment", "control", "control", "control"]},
    ...     geometry=[box(k, 0, k + 1, 1) for k in range(5)], crs=27700)
    >>> m = NS(pairs=pd.DataFrame({"treated_unit": ["HS2"], "control_unit": ["U3"],
    ...                            "match": [0]}))
    >>> f = matched_places(pool, m, valid_from="2025-09-01T00:00Z")
    >>> f[["fence_id", "role", "match"]].values.tolist()
    [['HS2', 'treatment', 0], ['U3', 'control', 0]]
    """
    pairs = match.pairs
    if pairs.empty:
        raise HspworkError("no chosen place was matched: nothing to compare")
    of = pd.concat(
        [
            pairs.groupby("treated_unit")["match"].first(),
            pd.Series(pairs["match"].to_numpy(), index=pairs["control_unit"].to_numpy()),
        ]
    )
    ids = pool[id_column].astype(str)
    keep = ids.isin(of.index.astype(str)).to_numpy()
    out = pool.loc[keep].copy()
    out["match"] = out[id_column].astype(str).map(lambda k: int(of[k])).to_numpy()
    roles = out["role"].astype(str).to_numpy()
    treated_ids = set(pairs["treated_unit"].astype(str))
    out["role"] = np.where(out[id_column].astype(str).isin(treated_ids), "treatment", "control")
    if (roles[out["role"].to_numpy() == "treatment"] != "treatment").any():
        raise HspworkError("a matched chosen place is not a treated place of the pool")
    from hspwork.fences import make_fences

    keep_cols = [
        c for c in out.columns if c not in ("name", "version", "valid_from", "valid_to", "notes")
    ]
    return make_fences(
        out[keep_cols].reset_index(drop=True), id_column=id_column, role="role",
        valid_from=valid_from, simplify_m=None,
    )  # fmt: skip


def tag_places(crimes, areas, *, id_column: str = "fence_id"):
    """A copy of the crimes with the id of the area each falls in (missing outside every area).

    A crime inside two overlapping areas takes the first in the areas' order.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> areas = gpd.GeoDataFrame({"fence_id": ["A", "B"]},
    ...                          geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10)], crs=27700)
    >>> crimes = gpd.GeoDataFrame({"offence": ["x", "y", "z"]},
    ...     geometry=[Point(5, 5), Point(25, 5), Point(50, 5)], crs=27700)
    >>> tag_places(crimes, areas)["fence_id"].tolist()
    ['A', 'B', nan]
    """
    from hspwork.crs import align_crs

    crimes = align_crs(areas, crimes, names=("areas", "crimes"))
    hit_crime, hit_area = areas.sindex.query(crimes.geometry.to_numpy(), predicate="intersects")
    order = np.lexsort((hit_area, hit_crime))
    hit_crime, hit_area = hit_crime[order], hit_area[order]
    first = np.unique(hit_crime, return_index=True)[1]
    ids = np.full(len(crimes), np.nan, dtype=object)
    ids[hit_crime[first]] = areas[id_column].to_numpy()[hit_area[first]]
    out = crimes.copy()
    out[id_column] = ids
    return out


def offences_inside(
    crimes,
    areas,
    *,
    start,
    end,
    starts: Mapping[str, Any] | pd.Series | None = None,
    id_column: str = "fence_id",
    offence_column: str = "offence",
    time_column: str = "occurred_from",
) -> pd.Series:
    """Crimes by offence inside the areas in ``[start, end)`` (after each area's own start).

    Parameters
    ----------
    crimes, areas : GeoDataFrame
    start, end : time-like with a zone
    starts : mapping or Series, optional
        Area id -> when its patrols began (a roll-out): an area's crimes count from then on.

    Returns
    -------
    Series
        Counts indexed by offence, largest first (the ``observed`` of
        :func:`~hspwork.evaluation.cost_benefit`).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> areas = gpd.GeoDataFrame({"fence_id": ["A", "B"]},
    ...                          geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10)], crs=27700)
    >>> when = pd.to_datetime(["2025-09-02", "2025-09-10", "2025-09-20", "2025-08-01"], utc=True)
    >>> crimes = gpd.GeoDataFrame({"offence": ["Robbery", "Robbery", "Burglary", "Robbery"],
    ...     "occurred_from": when}, geometry=[Point(5, 5), Point(25, 5), Point(25, 5),
    ...     Point(5, 5)], crs=27700)
    >>> offences_inside(crimes, areas, start="2025-09-01T00:00Z", end="2025-10-01T00:00Z",
    ...                 starts={"B": pd.Timestamp("2025-09-15", tz="UTC")}).to_dict()
    {'Burglary': 1, 'Robbery': 1}
    """
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    if t0.tzinfo is None or t1.tzinfo is None:
        raise HspworkError("start and end must carry a time zone")
    tagged = tag_places(crimes, areas, id_column=id_column)
    times = pd.to_datetime(tagged[time_column], utc=True)
    keep = tagged[id_column].notna() & (times >= t0) & (times < t1)
    if starts is not None:
        s = pd.Series(starts)
        s = pd.to_datetime(s, utc=True)
        own = tagged[id_column].map(s)
        keep &= own.isna() | (times >= own)
    counts = tagged.loc[keep, offence_column].value_counts()
    return (
        counts.rename_axis("offence")
        .rename("crimes")
        .sort_index(kind="stable")
        .sort_values(ascending=False, kind="stable")
    )


def top_rows(
    frame: pd.DataFrame, n: int = 10, *, file: str | None = None
) -> tuple[pd.DataFrame, str]:
    """The first ``n`` rows and a line saying how many there are ("showing 10 of 40").

    Examples
    --------
    >>> head, note = top_rows(pd.DataFrame({"a": range(40)}), 10, file="matches.csv")
    >>> len(head), note
    (10, 'showing 10 of 40 rows (all of them are in matches.csv)')
    >>> top_rows(pd.DataFrame({"a": range(3)}))[1]
    'all 3 rows'
    """
    if len(frame) <= n:
        return frame, f"all {len(frame)} rows"
    where = f" (all of them are in {file})" if file else ""
    return frame.head(n), f"showing {n} of {len(frame)} rows{where}"


def plain_log_axis(ax, *, axis: str = "y") -> None:
    """Plain tick labels on a log-scaled axis: a manager reads 0.5 and 2, not 5×10⁻¹.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0.4, 2.5]); ax.set_yscale("log")
    >>> plain_log_axis(ax)
    >>> fig.canvas.draw()
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['0.5', '0.7', '1', '1.5', '2']
    >>> plt.close(fig)
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    low, high = ax.get_ylim() if axis == "y" else ax.get_xlim()
    candidates = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10, 20, 50, 100)
    ticks = [t for t in candidates if low <= t <= high] or [1]
    target.set_major_locator(FixedLocator(ticks))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_locator(NullLocator())


def wdq_words(quotient) -> str:
    """The weighted displacement quotient of ring 1 in words (or why it has no meaning here).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> print(wdq_words(NS(wdq=0.4, ci=(-0.2, 1.1), label="diffusion of benefits")))
    Weighted displacement quotient 0.40 (bootstrap 95% interval −0.20 to 1.10): diffusion of benefits.
    >>> print(wdq_words(NS(wdq=float("nan"), ci=(float("nan"),) * 2, label="no relative reduction")))
    Weighted displacement quotient: not meaningful here (no relative reduction).
    """
    if not np.isfinite(quotient.wdq):
        return f"Weighted displacement quotient: not meaningful here ({quotient.label})."
    low, high = quotient.ci
    interval = (
        f" (bootstrap 95% interval {low:.2f} to {high:.2f})".replace("-", _MINUS)
        if np.isfinite(low) and np.isfinite(high)
        else ""
    )
    return (
        f"Weighted displacement quotient {quotient.wdq:.2f}".replace("-", _MINUS)
        + f"{interval}: {quotient.label}."
    )


def week_by_week_figure(result, *, title: str, xlabel: str, ylabel: str = "rate ratio (log scale)"):
    """An event study's or a roll-out's plot, made readable: plain ticks, a legend, labels.

    Parameters
    ----------
    result : EventStudyResult or StaggeredResult
        Anything whose ``plot()`` draws rate ratios by period on a log scale, before the
        start in blue and after it in red.
    title, xlabel, ylabel : str
        The axis labels say the unit (weeks; a rate ratio on a log scale).

    Returns
    -------
    Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from types import SimpleNamespace as NS
    >>> def draw():
    ...     fig, ax = plt.subplots()
    ...     ax.scatter([-1, 0, 1], [1.1, 0.8, 0.7]); ax.set_yscale("log")
    ...     return fig
    >>> fig = week_by_week_figure(NS(plot=draw), title="t", xlabel="weeks")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['before the start', 'after the start', 'no difference (1)']
    >>> plt.close(fig)
    """
    from matplotlib.lines import Line2D

    fig = result.plot()
    ax = fig.axes[0]
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    plain_log_axis(ax)
    handles = [
        Line2D([], [], color="#5b7fa3", marker="o", lw=1.5, label="before the start"),
        Line2D([], [], color="#c0504d", marker="o", lw=1.5, label="after the start"),
        Line2D([], [], color="grey", lw=1, label="no difference (1)"),
    ]
    # beside the plot, never over a point or an interval
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False, title="95% intervals", title_fontsize=8)  # fmt: skip
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------ views for the page


def method_names(design: str, model: str) -> tuple[str, str]:
    """The words of ``effects.csv``'s ``method`` for a design's crime and harm estimates.

    Examples
    --------
    >>> method_names("randomised", "negbin")[0]
    'negbin GLM, place and week effects (CR2 intervals)'
    """
    names = {
        "randomised": (f"{model} GLM, place and week effects (CR2 intervals)",
                       "quasi-Poisson GLM on harm (CR2 intervals)"),
        "staggered": ("imputation for roll-outs (Borusyak, Jaravel & Spiess), Poisson",
                      "imputation for roll-outs on harm, quasi-Poisson"),
        "matched": (f"{model} GLM on matched places, adjusted (CR2 intervals)",
                    "quasi-Poisson GLM on harm, matched places (CR2 intervals)"),
    }  # fmt: skip
    if design not in names:
        raise HspworkError(f"design must be one of {list(names)}; got {design!r}")
    return names[design]


def year_places(panel: pd.DataFrame, areas, *, trial_start) -> tuple[pd.DataFrame, int]:
    """The places table over the year before the start (and after it), and the days counted before.

    Returns :func:`~hspwork.evaluation.place_table` on the panel's periods from 365 days
    before ``trial_start``, and the length in days of the pre-period weeks it sums (for
    :func:`pre_period_dispersion` and a rate per year).

    Examples
    --------
    >>> t0 = pd.Timestamp("2025-09-01", tz="UTC")
    >>> starts = t0 + pd.to_timedelta([-70 * 7, -2 * 7, -7, 0], unit="D")
    >>> panel = pd.DataFrame({"fence_id": "A", "period": [-70, -2, -1, 0], "post": [0, 0, 0, 1],
    ...                       "period_start": starts, "treated": 1, "crimes": [9, 2, 3, 1]})
    >>> places, days = year_places(panel, None, trial_start=t0)
    >>> int(places.loc["A", "pre_crimes"]), days
    (5, 14)
    """
    from hspwork.evaluation.panel import place_table

    ts = pd.Timestamp(trial_start)
    if ts.tzinfo is None:
        raise HspworkError(f"trial_start must carry a time zone; received {trial_start!r}")
    year = panel[panel["period_start"] >= (ts - pd.Timedelta(days=365)).tz_convert("UTC")]
    n_pre = int(year.loc[year["post"] == 0, "period"].nunique())
    if n_pre == 0:
        raise HspworkError("the panel has no week in the year before the start")
    starts = year["period_start"].drop_duplicates().sort_values()
    step_days = starts.diff().min() / pd.Timedelta(days=1) if len(starts) > 1 else 7.0
    return place_table(year, areas), int(np.rint(n_pre * step_days))


def waves_table(choice: DesignChoice, *, tz: str) -> pd.DataFrame:
    """A roll-out's waves for the page: first day, places, and which.

    Examples
    --------
    >>> c = DesignChoice("staggered", "", {}, pd.DataFrame({"id": ["A", "B", "C"],
    ...     "wave": [0, 1, 0], "start": pd.to_datetime(["2025-08-31 23:00", "2025-09-28 23:00",
    ...     "2025-08-31 23:00"], utc=True)}))
    >>> waves_table(c, tz="Europe/London").to_dict("records")[0]
    {'wave': 1, 'first day': '1 Sep 2025', 'places': 2, 'fences': 'A, C'}
    """
    rows = []
    for wave, g in choice.starts.groupby("wave", sort=True):
        first = pd.Timestamp(g["start"].min()).tz_convert(tz)
        ids = sorted(str(i) for i in g["id"])
        rows.append({"wave": int(wave) + 1, "first day": f"{first:%-d %b %Y}",
                     "places": len(ids), "fences": ", ".join(ids)})  # fmt: skip
    return pd.DataFrame(rows, columns=["wave", "first day", "places", "fences"])


def pairs_view(pairs: pd.DataFrame) -> pd.DataFrame:
    """:attr:`MatchResult.pairs` for the page.

    Examples
    --------
    >>> p = pd.DataFrame({"treated_unit": ["P01"], "control_unit": ["U17"], "distance": [0.4],
    ...                   "match": [0]})
    >>> pairs_view(p).columns.tolist()
    ['chosen place', 'comparison place', 'distance (Mahalanobis)']
    """
    return pairs.rename(
        columns={"treated_unit": "chosen place", "control_unit": "comparison place",
                 "distance": "distance (Mahalanobis)"}
    )[["chosen place", "comparison place", "distance (Mahalanobis)"]]  # fmt: skip


def effects_view(effects: pd.DataFrame) -> pd.DataFrame:
    """``effects.csv``'s headline columns with names people read.

    Examples
    --------
    >>> e = pd.DataFrame([{"method": "m", "outcome": "crimes", "irr": 0.8, "ci_low": 0.7,
    ...                    "ci_high": 0.9, "p_value": 0.01}])
    >>> effects_view(e).columns.tolist()
    ['estimate', 'outcome', 'IRR', '95% interval, low', '95% interval, high', 'p']
    """
    return effects[["method", "outcome", "irr", "ci_low", "ci_high", "p_value"]].rename(
        columns={"method": "estimate", "irr": "IRR", "ci_low": "95% interval, low",
                 "ci_high": "95% interval, high", "p_value": "p"}
    )  # fmt: skip


def cost_view(table: pd.DataFrame) -> pd.DataFrame:
    """:attr:`CostBenefitResult.table` with names people read.

    Examples
    --------
    >>> t = pd.DataFrame([{"offence": "Robbery", "observed": 4.0, "prevented": 1.0,
    ...     "prevented_low": 0.5, "prevented_high": 2.0, "harm_days": 365.0,
    ...     "harm_days_prevented": 365.0, "unit_cost_gbp": 11320.0, "benefit_gbp": 11320.0}])
    >>> cost_view(t).columns.tolist()[:4]
    ['offence', 'observed', 'prevented', 'prevented, low']
    """
    return table.rename(
        columns={"prevented_low": "prevented, low", "prevented_high": "prevented, high",
                 "harm_days": "harm days each", "harm_days_prevented": "harm days prevented",
                 "unit_cost_gbp": "unit cost £", "benefit_gbp": "benefit £"}
    )  # fmt: skip


def swing_view(table: pd.DataFrame) -> pd.DataFrame:
    """:attr:`HarmSwing.table` for the page: "yes" for the grave offences, no True/False.

    Examples
    --------
    >>> t = pd.DataFrame([{"offence": "Rape", "crimes": 1, "harm_days_each": 2555.0,
    ...     "harm_days": 2555.0, "share_of_crimes": 0.01, "share_of_harm": 0.68, "grave": True}])
    >>> swing_view(t).iloc[0]["among the gravest"]
    'yes'
    """
    return pd.DataFrame(
        {
            "offence": table["offence"].to_numpy(),
            "crimes": table["crimes"].to_numpy(),
            "harm days each": table["harm_days_each"].to_numpy(dtype=float),
            "share of crimes": table["share_of_crimes"].to_numpy(dtype=float),
            "share of harm": table["share_of_harm"].to_numpy(dtype=float),
            "among the gravest": np.where(table["grave"].to_numpy(dtype=bool), "yes", ""),
        }
    )


def matching_words(match) -> str:
    """How the matching went (:meth:`MatchResult.summary`), with every unmatched place named
    and what to do about them.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> m = NS(summary=lambda: "9 of 12 chosen places matched.", unmatched=["P01", "P02", "P07"],
    ...        settings={"caliper": 1.0})
    >>> print(matching_words(m))
    9 of 12 chosen places matched.
    3 chosen places had no comparison close enough and are left out of the evaluation: P01, P02, P07. To keep more of the chosen places, widen match_caliper_sd in the programme file (now 1 standard deviation): more places are kept, with looser matches, and the estimate adjusts for what difference remains.
    """
    text = match.summary()
    if not match.unmatched:
        return text
    # the summary names at most eight unmatched places; the line below names them all
    text = "\n".join(
        line for line in text.split("\n") if "had no comparison close enough" not in line
    )
    caliper = float(match.settings.get("caliper", float("nan")))
    unit = "standard deviation" if caliper == 1 else "standard deviations"
    return (
        f"{text}\n{len(match.unmatched)} chosen places had no comparison close enough and are "
        f"left out of the evaluation: {', '.join(map(str, match.unmatched))}. To keep more of the chosen "
        f"places, widen match_caliper_sd in the programme file (now {caliper:g} {unit}): more "
        "places are kept, with looser matches, and the estimate adjusts for what difference "
        "remains."
    )

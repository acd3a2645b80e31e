"""The weekly performance page: what its first screen says, worked out by hand, and how it prints."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from hspwork.briefing import check_html, weekly_briefing, weekly_briefing_from_work
from hspwork.briefing.checks import active_content
from hspwork.briefing.weekly import assemble, figures
from hspwork.errors import HspworkError, SchemaError
from hspwork.privacy import ONE_OFF_KEY_NOTE
from hspwork.workfolder import WorkFolder

MINUS = "\u2212"


class _Text(HTMLParser):
    """The text a reader sees (entities decoded), by section id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(html_text: str) -> str:
    parser = _Text()
    parser.feed(html_text)
    return re.sub(r"\s+", " ", "".join(parser.parts))


def section(html_text: str, section_id: str) -> str:
    """The HTML of one ``<section id=...>`` of the page."""
    match = re.search(rf'<section[^>]*id="{section_id}"[^>]*>(.*?)</section>', html_text, re.S)
    assert match, f"no section {section_id}"
    return match.group(1)


def _compliance():
    return pd.DataFrame(
        {
            "fence_id": ["A", "B", "C"],
            "planned_minutes": [300, 300, 400],
            "delivered_minutes": [300, 150, 270],
        }
    )


def _weekly():
    # Four Mondays; the briefing's week is the third. Worked by hand:
    # to date (600 + 800 + 720) / 3000 = 70.7%; this week 72%, the week before 80%: down 8.
    return pd.DataFrame(
        {
            "week": ["2024-02-19", "2024-02-26", "2024-03-04", "2024-03-11"],
            "planned_minutes": [1000.0] * 4,
            "delivered_minutes": [600.0, 800.0, 720.0, 900.0],
        }
    )


ELSEWHERE = "device heard elsewhere: not at the spot"
BRIEFLY = "device heard at the spot but too briefly"
SILENT = "device silent during the planned window: attendance cannot be judged"


def _exceptions():
    return pd.DataFrame(
        {
            "tasking_id": ["T1", "T2", "T3", "T4", "T5", "T6"],
            "fence_id": ["A", "B", "B", "C", "C", "B"],
            "date": [
                "2024-03-04",
                "2024-03-04",
                "2024-03-05",
                "2024-03-05",
                "2024-03-06",
                "2024-03-07",
            ],
            "shift": ["early", "late", "early", "late", "early", "late"],
            "team": ["T1", "T1", "T2", "T2", "T2", "T3"],
            "officer": ["OFF-a1b2c3d4"] * 6,
            "status": ["not done", "partly", "not done", "not done", "not done", "not done"],
            "delivered_minutes": [0.0, 7.5, 0.0, 0.0, 0.0, 0.0],
            "reason": [ELSEWHERE, BRIEFLY, ELSEWHERE, ELSEWHERE, ELSEWHERE, SILENT],
            "pings_in_window": [40, 12, 33, 20, 21, 0],
        }
    )


NOTES = [
    "C (2 visits measured for 30 taskings, 25 with a 200 m catchment): the location data may be off."
]


def _plan_week():
    return pd.DataFrame({"team": ["T1"] * 20 + ["T2"] * 30 + ["T3"] * 20})


def _outcomes():
    return pd.DataFrame(
        {
            "group": ["treatment", "treatment", "control", "control"],
            "period": ["before", "after", "before", "after"],
            "crimes": [120, 90, 110, 108],
            "harm": [3650.0, 2900.0, 3400.0, 3390.0],
        }
    )


def _effects():
    return pd.DataFrame(
        {
            "outcome": ["crimes", "harm", "crimes"],
            "method": [
                "negbin GLM, place and week effects",
                "quasi-Poisson GLM on harm",
                "randomisation inference (block)",
            ],
            "irr": [0.8, 0.6, float("nan")],
            "ci_low": [0.7, 0.45, float("nan")],
            "ci_high": [0.95, 0.8, float("nan")],
            "p_value": [0.009, 0.0004, 0.006],
        }
    )


PERIODS = {"before": "4 Sep to 2 Dec 2023", "after": "4 Dec 2023 to 2 Mar 2024"}
CAUTIONS = [
    "Treated and control places were already moving differently before the patrols began "
    "(the pre-trend test rejects parallel trends, p = 0.009)."
]


def _page(tmp_path, **changes):
    kwargs = dict(
        compliance=_compliance().assign(planned=[20, 20, 30], done=[20, 9, 18]),
        target_compliance=0.9,
        dosage=pd.DataFrame(
            {
                "fence_id": ["A", "B", "K"],
                "role": ["treatment", "treatment", "control"],
                "visits": [20, 10, 3],
                "officer_minutes": [300, 150, 45],
            }
        ),
        outcomes=_outcomes(),
        exceptions=_exceptions(),
        week="week of Monday 4 March 2024 to Sunday 10 March 2024",
        periods=PERIODS,
        effects=_effects(),
        cautions=CAUTIONS,
        exception_notes=NOTES,
        weekly=_weekly(),
        week_start="2024-03-04",
        plan_week=_plan_week(),
        names={"C": "Mill Road"},
    )
    kwargs.update(changes)
    return weekly_briefing(tmp_path / "w.html", **kwargs).read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# The first screen, worked by hand
# --------------------------------------------------------------------------------------------


def test_compliance_this_week_and_its_trend(tmp_path):
    first = text_of(section(_page(tmp_path), "first-screen"))
    # (300 + 150 + 270) / (300 + 300 + 400) = 720 / 1000 = 72%; B (50%) and C (67.5%) below.
    assert "1. Patrols against target, this week (4 to 10 Mar 2024)" in first
    assert "72% of planned patrol minutes delivered this week (target 90%)" in first
    assert "720 of 1,000 minutes. 47 of 70 taskings done (67%). 2 of 3 hot spots are below" in first
    # Weeks to 4 Mar: 2,120 of 3,000 minutes = 71%; none reached 90%; 72% against 80%.
    assert (
        "Programme to date (19 Feb to 10 Mar 2024, 3 weeks): 71% of planned minutes delivered; "
        "the target was met in 0 of 3 weeks. This week 72%, down 8 points on the week before "
        "(26 Feb 2024: 80%). The data hold 1 later week (the last beginning 11 Mar 2024)"
    ) in first


def test_trend_facts_against_a_hand_count():
    trend = assemble.trend_facts(_weekly(), 0.75, "2024-03-04")
    assert trend.weeks["week_start"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-02-19",
        "2024-02-26",
        "2024-03-04",
    ]
    assert trend.to_date_share == pytest.approx(2120 / 3000, abs=1e-12)
    assert trend.weeks_met == 0 + 1 + 0  # only 80% reaches 75%
    assert trend.later_weeks == 1
    # Without minutes, the shares are averaged as they are.
    shares = pd.DataFrame({"week": ["2024-02-19", "2024-02-26"], "minutes_ratio": [0.5, 0.7]})
    assert assemble.trend_facts(shares, 0.9).to_date_share == pytest.approx(0.6, abs=1e-12)
    with pytest.raises(SchemaError, match="needs planned_minutes and delivered_minutes"):
        assemble.trend_facts(pd.DataFrame({"week": ["2024-02-19"]}), 0.9)


def test_missed_patrols_apart_from_location_faults_without_a_cause_column(tmp_path):
    first = text_of(section(_page(tmp_path), "first-screen"))
    assert "2. What was missed this week (4 to 10 Mar 2024), and why" in first
    assert "6 taskings were not done or partly done: 5 not done, 1 partly done." in first
    # T1 (A), T2 and T3 (B) are missed or short; T4, T5 at C, which chapter 3's check names,
    # are suspected faults; T6's device was silent.
    assert f"3 missed or short patrols: {ELSEWHERE} (2); {BRIEFLY} (1)." in first
    assert (
        "2 suspected location-data faults at C, the hot spots chapter 3's location check names."
        in first
    )
    assert f"1 cannot be judged from the location data: {SILENT} (1)." in first


def test_the_cause_column_decides_faults_when_present(tmp_path):
    cause = ["missed", "missed", "missed", "location data fault suspected (catchment +200 m)",
             "missed", "missed"]  # fmt: skip
    page = _page(tmp_path, exceptions=_exceptions().assign(cause=cause))
    first = text_of(section(page, "first-screen"))
    # Only T4 is a fault now; T5 at the same hot spot is a missed patrol.
    assert "4 missed or short patrols: " + f"{ELSEWHERE} (3); {BRIEFLY} (1)." in first
    assert (
        "1 suspected location-data faults at C; chapter 3's verdict: location data fault "
        "suspected (catchment +200 m) (1)."
    ) in first
    assert "Exceptions are sorted by chapter 3's cause column" in text_of(page)


def test_exception_kinds_rule():
    kinds = assemble.exception_kinds(_exceptions(), ["C"])
    assert kinds.tolist() == ["missed", "missed", "missed", "fault", "fault", "unjudged"]
    assert assemble.exception_kinds(_exceptions(), []).tolist()[3:] == [
        "missed",
        "missed",
        "unjudged",
    ]
    flagged = _exceptions().assign(device_silent=[False, True, False, False, False, False])
    assert assemble.exception_kinds(flagged).tolist()[:2] == ["missed", "unjudged"]
    assert assemble.fences_named([*NOTES, "HS1 and B-2"], ["A", "B", "C", "HS1"]) == ["C", "HS1"]


def test_crime_and_harm_in_plain_words_with_dated_periods(tmp_path):
    first = text_of(section(_page(tmp_path), "first-screen"))
    assert (
        "Periods compared (the programme so far, not only this week): before: 4 Sep to 2 Dec "
        "2023; after: 4 Dec 2023 to 2 Mar 2024."
    ) in first
    # 120 -> 90 is -25%; 110 -> 108 is -1.8%.
    assert (
        f"Crimes in treated places went from 120 to 90 ({MINUS}25%); in control places from 110 to 108 ({MINUS}2%)."
        in first
    )
    # IRR 0.8 (0.7 to 0.95): 20% lower, 5% to 30% lower; harm 0.6 (0.45 to 0.8).
    assert (
        "The evaluation estimates crime in treated places was 20% lower than the control "
        "places predict (95% range: 5% to 30% lower)."
    ) in first
    assert (
        "The evaluation estimates harm (days of custody) in treated places was 40% lower than "
        "the control places predict (95% range: 20% to 55% lower)."
    ) in first
    assert "a few grave offences weigh thousands of days of custody each" in first
    assert "the evaluation's checks raised 1 caution about this comparison" in first


def test_the_first_screen_has_no_jargon_and_the_notes_have_it(tmp_path):
    page = _page(tmp_path)
    first = text_of(section(page, "first-screen"))
    notes = text_of(section(page, "analyst-notes"))
    for word in ("GLM", "negbin", "quasi-Poisson", "standardised difference", "p = ", "p-value",
                 "IRR", "chi", "parallel trends"):  # fmt: skip
        assert word not in first, word
    assert "negbin GLM, place and week effects" in notes and "quasi-Poisson GLM on harm" in notes
    assert "p = 0.009" in notes  # the caution, word for word
    # The estimates table: IRR 0.800 (0.700 to 0.950), p 0.009; harm p < 0.001.
    rows = re.findall(r"<tr>(.*?)</tr>", section(page, "analyst-notes"), re.S)
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", r) for r in rows]
    assert [
        "crimes",
        "negbin GLM, place and week effects",
        "0.800",
        "0.700 to 0.950",
        "0.009",
    ] in cells
    assert ["harm", "quasi-Poisson GLM on harm", "0.600", "0.450 to 0.800", "&lt;0.001"] in cells
    assert ["crimes", "randomisation inference (block)", "\u2013", "\u2013", "0.006"] in cells
    assert "Check before acting:</b> C (2 visits" in page


def test_what_to_do_next_is_derived_from_the_data(tmp_path):
    first = text_of(section(_page(tmp_path), "first-screen"))
    assert "4. What to do next" in first
    assert (
        "Test the location data on the ground at C (Mill Road) before treating their 2 exceptions"
        in first
    )
    # C is a suspected fault, so the hot spot furthest below target is B (50%), then none.
    assert (
        "Raise patrol time at the hot spots furthest below target: B: 50% of planned minutes."
        in first
    )
    # Missed or short patrols by team: T1 has T1, T2 (2 of its 20 taskings); T2 has T3 (1 of 30).
    assert (
        "Talk to the teams with most missed or short patrols: T1 (2 of 20 taskings) and T2 (1 of 30 taskings)."
        in first
    )
    # 450 officer-minutes over 30 visits = 15 minutes: no call for longer stops.
    assert "longer stops" not in first
    short = pd.DataFrame({"fence_id": ["A"], "visits": [30], "officer_minutes": [120.0]})
    assert "visits averaged 4 minutes" in text_of(_page(tmp_path, dosage=short))


def test_actions_when_every_hot_spot_meets_target():
    facts = assemble.compliance_facts(_compliance().assign(delivered_minutes=[300, 290, 400]), 0.9)
    assert assemble.next_actions(facts, None) == [
        "Every hot spot reached the target this week: keep the plan as it is."
    ]


def test_detail_keeps_the_counts_and_whole_minutes(tmp_path):
    page = _page(tmp_path, max_exceptions=4)
    detail = text_of(section(page, "detail"))
    # 450 minutes over 30 visits = 15 minutes a visit; control place K apart.
    assert "30 visits, 450 officer-minutes in the patrolled hot spots; 15 minutes a visit" in detail
    assert "Control places received 45 officer-minutes." in detail
    assert "6 exception(s) this week; the first 4 are listed: missed patrols first." in detail
    assert f"By reason: {ELSEWHERE} (4); {BRIEFLY} (1); {SILENT} (1)." in detail
    assert "Showing 4 of 6" in detail
    table = re.search(r'<table class="t wide" id="exceptions">(.*?)</table>', page, re.S).group(1)
    rows = [
        re.findall(r"<td[^>]*>([^<]*)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]
    rows = [r for r in rows if r]
    # Missed first (T1, T2, T3), then the silent one (T6); faults (T4, T5) last and cut off.
    assert [r[0] for r in rows] == ["T1", "T2", "T3", "T6"]
    assert rows[1][7] == "8"  # 7.5 minutes delivered, shown as whole minutes
    assert "pings_in_window" not in page  # detail stays in the CSV
    assert "7.5" not in page
    # Relative to the controls: (90 / 120) / (108 / 110) = 0.7639: -24%.
    assert f"Relative to the controls, treated places changed by {MINUS}24%." in detail


def test_outcome_table_sums_by_group_and_period(tmp_path):
    outcomes = pd.DataFrame(
        {
            "group": ["treatment"] * 4 + ["control"] * 2,
            "period": ["before", "before", "after", "after", "before", "after"],
            "crimes": [1234, 1, 567, 2, 890, 880],
        }
    )
    page = weekly_briefing(
        tmp_path / "w.html", compliance=_compliance(), target_compliance=0.5, outcomes=outcomes
    ).read_text()
    table = re.search(r'<table class="t" id="outcomes">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r"<tr><th>(\w+)</th>(.*?)</tr>", table, flags=re.S)
    cells = {name: re.findall(r"<td[^>]*>([^<]*)</td>", body) for name, body in rows}
    cells = {name: values for name, values in cells.items() if values}
    # Sums worked by hand, columns in the order given (before, after), then the change:
    # control 890 / 880 (880 / 890 - 1 = -1.1%); treatment 1234 + 1 = 1235 / 567 + 2 = 569
    # (569 / 1235 - 1 = -53.9%).
    assert cells == {
        "control": ["890", "880", f"{MINUS}1%"],
        "treatment": ["1,235", "569", f"{MINUS}54%"],
    }


def test_ratio_words_against_hand_values():
    assert assemble.ratio_words(0.5, 0.25, 0.75) == (
        "50% lower than the control places predict (95% range: 25% to 75% lower)"
    )
    assert assemble.ratio_words(1.0, 0.9, 1.2).endswith("(95% range: from 10% lower to 20% higher)")
    assert assemble.change_text(200, 150) == f"{MINUS}25%"


def test_the_page_states_every_period_with_its_dates(tmp_path):
    text = text_of(_page(tmp_path))
    assert "week of Monday 4 March 2024 to Sunday 10 March 2024" in text
    for heading in ("Hot spots this week (4 to 10 Mar 2024)",
                    "Time in the hot spots this week (4 to 10 Mar 2024) (dosage)",
                    "Exceptions this week (4 to 10 Mar 2024): the list"):  # fmt: skip
        assert heading in text
    assert "before: 4 Sep to 2 Dec 2023; after: 4 Dec 2023 to 2 Mar 2024" in text
    # Without week_start the week's Monday comes from the exceptions' dates.
    assert "this week (4 to 10 Mar 2024)" in text_of(_page(tmp_path, week_start=None))


def test_rejects_bad_target_and_missing_columns(tmp_path):
    with pytest.raises(
        HspworkError, match=r"target_compliance must be a share in \(0, 1\]; got 90"
    ):
        weekly_briefing(tmp_path / "w.html", compliance=_compliance(), target_compliance=90)
    with pytest.raises(SchemaError, match=r"compliance lacks column\(s\) \['delivered_minutes'\]"):
        weekly_briefing(
            tmp_path / "w.html",
            compliance=_compliance().drop(columns="delivered_minutes"),
            target_compliance=0.9,
        )
    with pytest.raises(
        HspworkError, match="week_start must be a date such as 2025-10-20; got 'soon'"
    ):
        _page(tmp_path, week_start="soon")


def test_from_work_reads_the_chapters_tables(tmp_path):
    with pytest.raises(HspworkError, match="run chapter 03_tracking first"):
        weekly_briefing_from_work(tmp_path, tmp_path / "w.html")
    work = WorkFolder(tmp_path)
    work.write("tracking.compliance", _compliance())
    with pytest.raises(HspworkError, match="no compliance target"):
        weekly_briefing_from_work(tmp_path, tmp_path / "w.html")
    (tmp_path / "03_tracking" / "briefing.json").write_text(
        '{"target_compliance": 0.6, "week": "w"}'
    )
    with pytest.raises(HspworkError, match="written by another version of hspwork"):
        weekly_briefing_from_work(tmp_path, tmp_path / "w.html")
    work.write(
        "tracking.briefing", {"target_compliance": 0.6, "week": "week 9", "exception_notes": NOTES}
    )
    text = text_of(weekly_briefing_from_work(tmp_path, tmp_path / "w.html").read_text())
    assert "72% of planned patrol minutes delivered this week (target 60%)" in text
    assert "1 of 3 hot spots are below target" in text and "week 9" in text
    text = text_of(
        weekly_briefing_from_work(tmp_path, tmp_path / "w.html", target_compliance=0.5).read_text()
    )
    assert "(target 50%)" in text and "0 of 3 hot spots" in text
    # With the week's tables, the trend, the teams' taskings and the places' names appear.
    work.write("tracking.weekly", _weekly().assign(week=_weekly()["week"]))
    work.write("tracking.exceptions", _exceptions())
    plan = pd.DataFrame(
        {
            "tasking_id": [f"P{k}" for k in range(72)],
            "fence_id": "A",
            "minutes": 15.0,
            "delivered_minutes": 0.0,
            "status": "done",
            "date": ["2024-02-27", "2024-03-11"] + ["2024-03-05"] * 70,
            "team": ["T1", "T1", *_plan_week()["team"].tolist()],
        }
    )
    work.write("tracking.matched_plan", plan)
    text = text_of(weekly_briefing_from_work(tmp_path, tmp_path / "w.html").read_text())
    assert "Programme to date (19 Feb to 10 Mar 2024, 3 weeks)" in text
    assert "T1 (2 of 20 taskings) and T2 (1 of 30 taskings)" in text
    assert "2 suspected location-data faults at C" in text


# --------------------------------------------------------------------------------------------
# Figures: legible in print, legends clear of the bars
# --------------------------------------------------------------------------------------------


def _figures():
    comp = assemble.compliance_facts(_compliance(), 0.9)
    trend = assemble.trend_facts(_weekly(), 0.9, "2024-03-04")
    outcome = assemble.outcome_facts(_outcomes(), PERIODS)
    many = assemble.compliance_facts(
        pd.DataFrame({"fence_id": [f"HS{k:02d}" for k in range(40)], "planned_minutes": 300,
                      "delivered_minutes": [7.5 * k for k in range(40)]}), 0.9)  # fmt: skip
    return {
        "trend": figures.trend_figure(trend),
        "compliance": figures.compliance_figure(comp, ["C"], {"C": "Mill Road"}),
        "compliance, 40 hot spots": figures.compliance_figure(many),
        "outcomes": figures.outcome_figure(outcome),
    }


def test_figure_text_is_at_least_8_points_and_figures_fit_a4():
    for name, fig in _figures().items():
        sizes = figures.font_sizes(fig)
        assert sizes and min(sizes) >= figures.MIN_FONT_PT, (name, min(sizes))
        width, _ = fig.get_size_inches()
        assert width <= 7.3, name  # A4 less 12 mm margins: 186 mm
        image = figures.embed(fig, name)
        assert image.min_font_pt >= 8 and image.width_in == pytest.approx(width)


def test_legends_never_cover_bars():
    for name, fig in _figures().items():
        assert figures.legend_overlaps(fig) == [], name


def test_the_checks_catch_the_old_outcome_figure():
    # The former page's harm chart: the legend inside the axes at 7 pt, over the tallest bar.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.2, 2.6))
    ax = fig.add_subplot(1, 2, 2)
    table = _outcomes().pivot_table(index="group", columns="period", values="harm")
    table[["before", "after"]].plot.bar(ax=ax, rot=0)
    ax.legend(fontsize=7, title=None)
    assert min(figures.font_sizes(fig)) < figures.MIN_FONT_PT
    assert figures.legend_overlaps(fig) != []


# --------------------------------------------------------------------------------------------
# Safety: every value escaped; the one-off key stated
# --------------------------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    'x" onerror="alert(1)',
    "<img src=x onerror=alert(1)>",
    "early/../../../x",
    "</td></tr></table><svg onload=alert(1)>",
    "javascript:alert(1)",
]


def test_every_value_from_the_data_is_escaped(tmp_path):
    a, b, c, d, e, f = HOSTILE
    exceptions = _exceptions().assign(
        fence_id=[a, a, e, c, c, a], team=[b] * 6, shift=[d] * 6, reason=[c] * 6, cause=[e] * 6,
        tasking_id=[f, "2", "3", "4", "5", "6"],
    )  # fmt: skip
    compliance = pd.DataFrame(
        {"fence_id": [a, c, e], "planned_minutes": [300, 300, 300], "delivered_minutes": [1, 2, 3]}
    )
    page = _page(
        tmp_path,
        compliance=compliance,
        exceptions=exceptions,
        outcomes=_outcomes().assign(group=["treatment", "treatment", e, e], period=[c, b, c, b]),
        effects=_effects().assign(outcome=[c, a, c], method=[b, e, d]),
        cautions=[a, e],
        exception_notes=[f"{a} {c}: {b}"],
        week=e,
        periods={c: a, b: e},
        names={a: c, c: e},
        plan_week=pd.DataFrame({"team": [b, b]}),
    )
    assert active_content(page) == []
    (tmp_path / "hostile.html").write_text(page, encoding="utf-8")
    assert check_html(tmp_path / "hostile.html") == []
    shown = text_of(page)
    for value in HOSTILE:
        assert value in shown, value  # read as the text it is


def test_the_one_off_key_is_stated_on_the_weekly_page_and_the_index(tmp_path):
    from hspwork.briefing import write_index

    page = _page(tmp_path, one_off_key=True)
    first = text_of(section(page, "first-screen"))
    assert ONE_OFF_KEY_NOTE in first
    assert ONE_OFF_KEY_NOTE.startswith(
        "Pseudonyms on this page use a one-off key: they will not match other weeks' pages; set "
        "HSPWORK_PSEUDONYM_KEY"
    )
    assert ONE_OFF_KEY_NOTE not in text_of(_page(tmp_path))
    index = write_index(tmp_path, [tmp_path / "w.html"], ["Weekly"], one_off_key=True)
    assert ONE_OFF_KEY_NOTE in text_of(index.read_text())
    assert ONE_OFF_KEY_NOTE not in text_of(write_index(tmp_path, [], []).read_text())


def test_raw_officer_ids_handed_in_are_shown_as_pseudonyms(tmp_path, monkeypatch):
    monkeypatch.setenv("HSPWORK_PSEUDONYM_KEY", "programme-2025-sampleton-key")
    page = _page(tmp_path, exceptions=_exceptions().assign(officer=["4512"] * 6))
    assert not re.search(r"(?<![\w-])4512(?![\w-])", text_of(page))
    assert "OFF-" in page
    monkeypatch.delenv("HSPWORK_PSEUDONYM_KEY")
    with pytest.raises(HspworkError, match="no pseudonym key"):
        _page(tmp_path, exceptions=_exceptions().assign(officer=["4512"] * 6))


# --------------------------------------------------------------------------------------------
# Printed on A4
# --------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_page_prints_on_a4_without_overflow(tmp_path, print_a4):
    a, b, c, d, *_ = HOSTILE
    long_team = "Neighbourhood Policing Team North-West (evening, overtime)"
    page = tmp_path / "weekly.html"
    page.write_text(
        _page(tmp_path, exceptions=_exceptions().assign(team=[long_team, b, a, c, d, "T"])),
        encoding="utf-8",
    )
    printed = print_a4(page, "weekly_fixture")
    assert printed["overflow"] == [], printed["overflow"]
    assert printed["figures"] == 3
    # Sub-pixel rounding of the drawn width costs at most a thousandth of a point.
    assert min(printed["figure_fonts_pt"]) >= 8 - 1e-3
    if printed["page_texts"] is not None:
        first = printed["page_texts"][0]
        assert "What to do next" in first and "Analyst notes" not in first


def test_hot_spots_chapter_3_corrected_are_named_and_their_misses_counted_alike(tmp_path):
    # Chapter 3 corrected C's figure (catchment +200 m): T4 and T5 are still missed after the
    # correction, and their reasons carry chapter 3's "(location corrected: ...)" ending.
    fixed = " (location corrected: catchment +200 m)"
    ex = _exceptions().assign(
        cause=["missed patrol"] * 5 + ["no data"],
        fault=["", "", "", "catchment +200 m", "catchment +200 m", ""],
        reason=[ELSEWHERE, BRIEFLY, ELSEWHERE, ELSEWHERE + fixed, BRIEFLY + fixed, SILENT],
    )
    compliance = _compliance().assign(planned=[20, 20, 30], done=[20, 9, 18],
                                      delivered_minutes_raw=[300, 150, 70])  # fmt: skip
    page = _page(tmp_path, exceptions=ex, compliance=compliance, exception_notes=[])
    first = text_of(section(page, "first-screen"))
    # Counted by what the devices showed: 3 heard elsewhere, 2 too briefly (by hand).
    assert f"5 missed or short patrols: {ELSEWHERE} (3); {BRIEFLY} (2)." in first
    assert (
        "Chapter 3 found suspected location-data faults at C (catchment +200 m); their figures "
        "are corrected, and 2 of the missed or short patrols are there even after the correction."
    ) in first
    # Before the correction: (300 + 150 + 70) / 1000 minutes planned = 52%.
    assert "Before correcting suspected location-data faults: 52%." in first
    actions = text_of(section(page, "first-screen")).split("What to do next")[1]
    assert (
        "Test the location data on the ground at C (Mill Road), whose figures chapter 3 corrected"
        in actions
    )

"""``hspwork check`` on a town of a few rows: each source's line, each problem's exact text,
which chapters can run and what each missing one needs, and the windows at their edges.

The town's files are written by hand: three crimes (20 May, local midnight 1 June and 3 June
2025, London, in British Summer Time so local midnight is 23:00 UTC the day before), three
fences in force from 1 June (two patrolled, one control), two officers' pings, one planned
visit and a roster of two. 2 June 2025 is a Monday, so the week of ``week_start = 2025-06-02``
runs from 1 June 23:00 UTC to 8 June 23:00 UTC.
"""

from __future__ import annotations

import types

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, box

import hspwork
from hspwork.errors import SchemaError
from hspwork.fences import make_fences, to_file
from hspwork.programme import check as check_module
from hspwork.programme.check import (
    ChapterStatus,
    CheckResult,
    SourceStatus,
    _month_only,
    _report_text,
    check_programme,
)
from hspwork.report import LoadReport

PLAN = ["tasking_id", "fence_id", "date", "shift", "planned_start", "minutes", "team"]
BOUNDARY_TEXT = (
    "the area the crimes cover: the concave hull of their locations (shapely, ratio 0.1), "
    "widened by 250 m"
)
CHOSEN_SET = (
    "no control places: evaluated as a chosen set, against matched comparison places from "
    "chapter 1's micro places"
)
NO_COST = (
    "without chapter 3's patrol times the cost section and 'How long should visits be?' are "
    "left out"
)


def crimes_csv(path, dates, where=("518050", "297050")):
    pd.DataFrame(
        {
            "offence": ["Burglary"] * len(dates),
            "date": list(dates),
            "easting": [where[0]] * len(dates),
            "northing": [where[1]] * len(dates),
        }
    ).to_csv(path, index=False)
    return str(path)


def pings_csv(path, times, officers=None):
    pd.DataFrame(
        {
            "officer": officers or ["PC1"] * len(times),
            "time": list(times),
            "easting": ["518050"] * len(times),
            "northing": ["297050"] * len(times),
        }
    ).to_csv(path, index=False)
    return str(path)


def fences_file(path, roles, valid_from="2025-05-31T23:00Z"):
    places = gpd.GeoDataFrame(
        {"fence_id": [f"F{k}" for k in range(len(roles))], "role": list(roles)},
        geometry=[
            box(518000 + 600 * k, 297000, 518100 + 600 * k, 297100) for k in range(len(roles))
        ],
        crs=27700,
    )
    if valid_from is None:
        # a file with no dates: the fences are taken as always in force
        places.to_file(path)
    else:
        to_file(make_fences(places, role="role", valid_from=valid_from), path)
    return str(path)


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    d = tmp_path_factory.mktemp("town")
    crimes_csv(d / "crimes.csv", ["2025-05-20 10:00", "2025-06-01 00:00", "2025-06-03 12:00"])
    area = box(517000, 296000, 521000, 300000)
    gpd.GeoDataFrame({"name": ["A"]}, geometry=[area], crs=27700).to_file(d / "boundary.geojson")
    gpd.GeoDataFrame(
        {"name": ["N", "S"]},
        geometry=[box(517000, 296000, 521000, 298000), box(517000, 298000, 521000, 300000)],
        crs=27700,
    ).to_file(d / "districts.geojson")
    gpd.GeoDataFrame(
        {"name": ["High St"]},
        geometry=[LineString([(517000, 297000), (521000, 297000)])],
        crs=27700,
    ).to_file(d / "streets.geojson")
    fences_file(d / "fences.geojson", ["treatment", "control", "treatment"])
    pings_csv(d / "app.csv", ["2025-06-02 00:00", "2025-06-03 09:00"], ["PC1", "PC2"])
    pd.DataFrame([["T1", "F0", "2025-06-02", "early", "10:00", "15", "A"]], columns=PLAN).to_csv(
        d / "plan.csv", index=False
    )
    pd.DataFrame({"officer": ["PC1", "PC2"], "team": ["A", "A"]}).to_csv(
        d / "roster.csv", index=False
    )
    (d / "empty.csv").write_bytes(b"")
    (d / "corrupt.geojson").write_text("not json", encoding="utf-8")
    return d


@pytest.fixture
def everything(town):
    return {
        "crimes_path": "crimes.csv",
        "boundary_path": "boundary.geojson",
        "fences_path": "fences.geojson",
        "districts_path": "districts.geojson",
        "streets_path": "streets.geojson",
        "pings_paths": {"app": "app.csv"},
        "plan_path": "plan.csv",
        "roster_path": "roster.csv",
        "week_start": "2025-06-02",
        "data_dir": str(town),
    }


@pytest.fixture
def clock(monkeypatch):
    # the check's own clock reads 100.0 s at the start and 102.5 s at the end
    ticks = iter([100.0, 102.5])
    monkeypatch.setattr(
        check_module, "time", types.SimpleNamespace(perf_counter=lambda: next(ticks))
    )


def texts(result):
    return {name: (s.given, s.ok, s.text) for name, s in result.sources.items()}


def needs(result):
    return {c: s.needs for c, s in result.chapters.items() if not s.runnable}


# ---- the report ------------------------------------------------------------------------------


def test_the_summary_marks_each_source_and_lists_notes_and_problems():
    result = CheckResult(
        values={},
        sources={
            "crimes_path": SourceStatus("crimes_path", True, True, "c.csv: read 3 rows", 3),
            "boundary_path": SourceStatus("boundary_path", False, False, "not given (drawn)"),
            "plan_path": SourceStatus("plan_path", True, False, "lacks column(s) ['team']"),
        },
        chapters={
            "03_tracking": ChapterStatus("03_tracking", False, "a plan", ["first", "second"]),
            "01_targeting": ChapterStatus("01_targeting", True, notes=["month-only"]),
        },
        problems=["plan_path: lacks column(s) ['team']"],
        seconds=1.26,
        derived={"boundary": "the hull"},
    )
    assert result.summary().splitlines() == [
        "Sources:",
        "  ok  crimes_path: c.csv: read 3 rows",
        "  --  boundary_path: not given (drawn)",
        "  ERR plan_path: lacks column(s) ['team']",
        "Derived from the data:",
        "  boundary: the hull",
        "Chapters:",
        "  cannot    3. Tracking: needs a plan",
        "            note: first",
        "            note: second",
        "  can run   1. Targeting",
        "            note: month-only",
        "Problems:",
        "  plan_path: lacks column(s) ['team']",
        "(checked in 1.3 s)",
    ]


def test_a_summary_without_derived_values_or_problems_leaves_their_headings_out():
    result = CheckResult({}, {}, {"02_geofences": ChapterStatus("02_geofences", True)}, [], 0.04)
    assert result.summary().splitlines() == [
        "Sources:",
        "Chapters:",
        "  can run   2. Geofences",
        "(checked in 0.0 s)",
    ]


def test_the_chapters_that_can_run_are_listed_in_running_order():
    chapters = {
        "04_evaluation": ChapterStatus("04_evaluation", True),
        "03_tracking": ChapterStatus("03_tracking", False, "pings"),
        "02_geofences": ChapterStatus("02_geofences", False, "fences"),
        "01_targeting": ChapterStatus("01_targeting", True),
    }
    assert CheckResult({}, {}, chapters, []).runnable == ["01_targeting", "04_evaluation"]


def test_a_programme_with_nothing_given(clock):
    result = check_programme({})
    assert result.values == {}
    assert result.problems == [] and result.derived == {} and result.runnable == []
    assert result.seconds == 2.5
    assert result.summary().splitlines() == [
        "Sources:",
        "  --  crimes_path: not given (recorded crime)",
        "  --  boundary_path: not given (the area the crimes cover is drawn instead)",
        "  --  fences_path: not given (chapter 1's chosen places become the fences)",
        "  --  districts_path: not given (the 3D harm map drills down to hot spots only)",
        "  --  streets_path: not given (the fence editor shows no streets)",
        "  --  pings_paths: not given (officer locations)",
        "  --  plan_path: not given (the tasking plan)",
        "  --  roster_path: not given (who is in which team)",
        "Chapters:",
        "  cannot    1. Targeting: needs recorded crime (crimes_path)",
        "  cannot    2. Geofences: needs recorded crime (crimes_path)",
        "  cannot    3. Tracking: needs fences from chapter 2; officer locations (pings_paths: "
        "app, radio, vehicle or handheld exports); a tasking plan (plan_path: one row per "
        "planned visit)",
        "  cannot    4. Evaluation: needs fences from chapter 2; the programme's start date "
        "(programme_start)",
        "(checked in 2.5 s)",
    ]


# ---- what the report text of a frame is --------------------------------------------------------


def test_a_frames_report_is_its_load_report_or_its_row_count():
    report = LoadReport("/home/analyst/crimes.csv", 3, 2, {"no location": 1})
    frame = pd.DataFrame({"a": range(1234)})
    assert _report_text(frame) == "1,234 rows"
    frame.attrs["load_report"] = report
    assert _report_text(frame) == "crimes.csv: read 3 rows, kept 2, dropped 1 (no location: 1)"
    frame.attrs["load_report"] = report.to_dict()
    assert _report_text(frame) == "crimes.csv: read 3 rows, kept 2, dropped 1 (no location: 1)"


DAY = pd.Timedelta(days=1)
SECOND = pd.Timedelta(seconds=1)


def widths(*spans):
    start = pd.Timestamp("2025-02-01", tz="UTC")
    return pd.DataFrame(
        {
            "occurred_from": pd.Series([start] * len(spans), dtype="datetime64[ns, UTC]"),
            "occurred_to": pd.Series([start + s for s in spans], dtype="datetime64[ns, UTC]"),
        }
    )


@pytest.mark.parametrize(
    ("spans", "month_only"),
    [
        ((27 * DAY,), True),  # exactly 27 days is a month's window
        ((27 * DAY - SECOND,), False),  # one second short is not
        ((28 * DAY - 30 * SECOND,), True),
        ((pd.Timedelta(hours=1),), False),
        # more than half the rows: 2 of 3 yes, 2 of 4 (exactly half) no
        ((27 * DAY, 27 * DAY, pd.Timedelta(hours=1)), True),
        ((27 * DAY, 31 * DAY, pd.Timedelta(hours=1), pd.Timedelta(0)), False),
        ((), False),
    ],
)
def test_month_only_times_are_more_than_half_of_27_days_or_more(spans, month_only):
    assert _month_only(widths(*spans)) is month_only


# ---- every source read -----------------------------------------------------------------------


def test_every_source_of_the_town_is_read_and_every_chapter_can_run(everything, clock):
    result = check_programme(everything)
    assert texts(result) == {
        "crimes_path": (True, True, "crimes.csv: read 3 rows, kept 3; 20 May 2025 to 3 Jun 2025"),
        "boundary_path": (True, True, "1 polygon(s), CRS EPSG:27700"),
        "fences_path": (True, True, "3 fences; roles treatment 2, control 1"),
        "districts_path": (True, True, "2 districts"),
        "streets_path": (True, True, "1 street lines"),
        "pings_paths.app": (True, True, "app.csv: read 2 rows, kept 2; 2 officers"),
        "plan_path": (
            True,
            True,
            "1 planned visits, columns ['tasking_id', 'fence_id', 'date', 'shift', "
            "'planned_start', 'minutes', 'team']",
        ),
        "roster_path": (True, True, "2 officers in 1 teams"),
    }
    assert [s.rows for s in result.sources.values()] == [3, 1, 3, 2, 1, 2, 1, 2]
    assert result.problems == []
    # no programme_start: the fences' first start, 31 May 23:00 UTC, is 1 June in London; the
    # targeting window runs to the day before it
    assert result.derived == {
        "programme_start": "2025-06-01 (the fences' first start date)",
        "targeting window": "20 May 2025 to 31 May 2025 (start derived from the crimes)",
    }
    assert result.runnable == ["01_targeting", "02_geofences", "03_tracking", "04_evaluation"]
    # controls among the fences, and patrol times: chapter 4 has nothing to say
    assert result.chapters["04_evaluation"].notes == []
    assert result.seconds == 2.5


def test_the_data_folder_given_wins_over_the_programmes(everything, town):
    values = {"crimes_path": "crimes.csv", "data_dir": str(town / "elsewhere")}
    assert check_programme(values, data_dir=town).sources["crimes_path"].ok
    values = {"crimes_path": "crimes.csv", "data_dir": str(town)}
    assert check_programme(values).sources["crimes_path"].ok


def test_police_uk_crimes_are_month_only(tmp_path):
    pd.DataFrame(
        {
            "Crime ID": ["a", "b"],
            "Month": ["2025-02", "2025-02"],
            "Longitude": ["-0.1", "-0.1"],
            "Latitude": ["51.5", "51.5"],
            "Crime type": ["Burglary", "Robbery"],
        }
    ).to_csv(tmp_path / "street.csv", index=False)
    result = check_programme({"crimes_path": "street.csv"}, data_dir=tmp_path)
    # a police.uk month runs to its last day, 28 February 2025
    assert result.sources["crimes_path"].text == (
        "street.csv: read 2 rows, kept 2; 1 Feb 2025 to 28 Feb 2025; month-only times "
        "(no hour-of-day or weekday profiles)"
    )


def test_crimes_with_their_own_column_names(tmp_path):
    pd.DataFrame(
        {"What": ["Burglary"], "When": ["2025-05-20 10:00"], "E": ["518050"], "N": ["297050"]}
    ).to_csv(tmp_path / "own.csv", index=False)
    columns = {"What": "offence", "When": "occurred", "E": "x", "N": "y"}
    result = check_programme(
        {"crimes_path": "own.csv", "crimes_columns": columns}, data_dir=tmp_path
    )
    assert result.sources["crimes_path"].text == "own.csv: read 1 rows, kept 1; 20 May 2025"


def test_crimes_all_dropped_are_no_crimes(tmp_path):
    path = crimes_csv(tmp_path / "noloc.csv", ["2025-05-20 10:00", "2025-05-21 10:00"], ("", ""))
    result = check_programme({"crimes_path": path, "programme_start": "2025-05-01"})
    status = result.sources["crimes_path"]
    assert (status.ok, status.rows) == (True, 0)
    assert status.text == "noloc.csv: read 2 rows, kept 0, dropped 2 (no location: 2)"
    # read = kept 0 + dropped 2; no span, no window, no boundary drawn from them
    assert result.derived == {} and result.problems == []
    assert needs(result) == {
        "01_targeting": "recorded crime (crimes_path)",
        "02_geofences": "recorded crime (crimes_path)",
        "03_tracking": "fences from chapter 2; officer locations (pings_paths: app, radio, "
        "vehicle or handheld exports); a tasking plan (plan_path: one row per planned visit)",
        "04_evaluation": "fences from chapter 2",
    }


def test_crimes_without_a_boundary_draw_the_area_they_cover(town):
    result = check_programme({"crimes_path": "crimes.csv"}, data_dir=town)
    assert result.derived == {
        "targeting window": "20 May 2025 to 3 Jun 2025 (derived: the crimes' span)",
        "boundary": BOUNDARY_TEXT,
    }
    # chapter 1's places are a chosen set; with no start date chapter 4 cannot run
    assert needs(result)["04_evaluation"] == "the programme's start date (programme_start)"


def test_a_boundary_that_cannot_be_read_is_a_problem_not_a_drawn_area(town):
    result = check_programme(
        {"crimes_path": "crimes.csv", "boundary_path": "corrupt.geojson"}, data_dir=town
    )
    status = result.sources["boundary_path"]
    assert (status.given, status.ok) == (True, False)
    assert status.text.startswith("could not be read: DataSourceError: ")
    assert "not recognized as being in a supported file format" in status.text
    assert result.problems == [f"boundary_path: {status.text}"]
    assert "boundary" not in result.derived


def test_a_boundary_without_a_crs_says_none(tmp_path):
    with pytest.warns(UserWarning):
        gpd.GeoDataFrame({"n": [1]}, geometry=[box(0, 0, 1, 1)]).to_file(tmp_path / "b.shp")
    result = check_programme({"boundary_path": "b.shp"}, data_dir=tmp_path)
    assert result.sources["boundary_path"].text == "1 polygon(s), CRS none"


def test_corrupt_districts_and_streets_are_problems(town):
    result = check_programme(
        {"districts_path": "corrupt.geojson", "streets_path": "corrupt.geojson"}, data_dir=town
    )
    assert [p.split(":")[:2] for p in result.problems] == [
        ["districts_path", " could not be read"],
        ["streets_path", " could not be read"],
    ]


def test_a_missing_file_is_named_with_what_the_folder_holds(tmp_path):
    (tmp_path / "crimes.csv").write_text("x\n", encoding="utf-8")
    names = ["crimes_path", "boundary_path", "fences_path", "districts_path", "streets_path"]
    names += ["plan_path", "roster_path"]
    result = check_programme({n: "gone.csv" for n in names} | {"pings_paths": {"app": "gone.csv"}},
                             data_dir=tmp_path)  # fmt: skip
    expected = f"gone.csv not found in {tmp_path} (it holds crimes.csv)"
    assert {n: s.text for n, s in result.sources.items()} == {
        **{n: expected for n in names[:5]},
        "pings_paths.app": expected,
        "plan_path": expected,
        "roster_path": expected,
    }
    assert result.problems == [f"{n}: {expected}" for n in result.sources]


def test_a_reader_refusing_the_file_gives_its_own_words(town):
    result = check_programme({"crimes_path": "roster.csv"}, data_dir=town)
    status = result.sources["crimes_path"]
    assert (status.ok, status.rows) == (False, None)
    assert status.text.startswith(f"{town / 'roster.csv'} lacks columns for: offence")


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (OSError("disk unplugged"), "could not be read: OSError: disk unplugged"),
        (ValueError("bad bytes"), "could not be read: ValueError: bad bytes"),
        (KeyError("officer"), "could not be read: KeyError: 'officer'"),
        (TypeError("no len"), "could not be read: TypeError: no len"),
        (RuntimeError("GDAL failed"), "could not be read: RuntimeError: GDAL failed"),
        (SchemaError("app.csv lacks a time"), "app.csv lacks a time"),
    ],
)
def test_a_reader_failing_is_reported_and_the_check_goes_on(town, monkeypatch, error, text):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(hspwork, "read_pings", fail)
    result = check_programme({"pings_paths": {"app": "app.csv"}}, data_dir=town)
    assert texts(result)["pings_paths.app"] == (True, False, text)
    assert result.problems == [f"pings_paths.app: {text}"]
    assert needs(result)["03_tracking"].split("; ")[1].startswith("officer locations")


def test_each_pings_source_is_read_after_one_that_is_missing(town):
    result = check_programme(
        {"pings_paths": {"app": "gone.csv", "radio": "app.csv"}}, data_dir=town
    )
    assert texts(result)["pings_paths.app"][:2] == (True, False)
    assert texts(result)["pings_paths.radio"] == (
        True,
        True,
        "app.csv: read 2 rows, kept 2; 2 officers",
    )
    assert "pings_paths" not in result.sources
    assert "officer locations" not in result.chapters["03_tracking"].needs


# ---- the plan and the roster -----------------------------------------------------------------


def test_a_plan_lacking_a_column_is_refused_and_tracking_needs_a_plan(town, tmp_path):
    pd.DataFrame([["T1", "F0", "2025-06-02", "early", "10:00", "15"]], columns=PLAN[:6]).to_csv(
        tmp_path / "plan.csv", index=False
    )
    result = check_programme({"plan_path": str(tmp_path / "plan.csv")}, data_dir=town)
    text = (
        "1 planned visits, columns ['tasking_id', 'fence_id', 'date', 'shift', "
        "'planned_start', 'minutes']; lacks column(s) ['team']"
    )
    assert texts(result)["plan_path"] == (True, False, text)
    assert result.problems == [f"plan_path: {text}"]
    assert "a tasking plan (plan_path" in result.chapters["03_tracking"].needs


def test_an_empty_plan_or_roster_could_not_be_read(town):
    result = check_programme({"plan_path": "empty.csv", "roster_path": "empty.csv"}, data_dir=town)
    text = "could not be read: EmptyDataError: No columns to parse from file"
    assert texts(result)["plan_path"] == (True, False, text)
    assert texts(result)["roster_path"] == (True, False, text)


def test_a_roster_without_teams_is_refused(town, tmp_path):
    pd.DataFrame({"officer": ["PC1", "PC2"]}).to_csv(tmp_path / "r.csv", index=False)
    result = check_programme({"roster_path": str(tmp_path / "r.csv")}, data_dir=town)
    assert texts(result)["roster_path"] == (
        True,
        False,
        "2 officers in 0 teams; needs columns officer, team (has ['officer'])",
    )
    assert result.problems == [
        "roster_path: 2 officers in 0 teams; needs columns officer, team (has ['officer'])"
    ]


def test_a_roster_with_more_columns_is_read(town, tmp_path):
    pd.DataFrame(
        {"officer": ["PC1", "PC2", "PC3"], "team": ["A", "B", "B"], "rank": ["PC"] * 3}
    ).to_csv(tmp_path / "r.csv", index=False)
    result = check_programme({"roster_path": str(tmp_path / "r.csv")}, data_dir=town)
    assert texts(result)["roster_path"] == (True, True, "3 officers in 2 teams")


@pytest.mark.parametrize(
    ("plan_columns", "roster", "tracking_needs"),
    [
        # the plan tasks teams: a roster says who is in each
        (PLAN, False, "a team roster (roster_path: CSV officer, team), as the plan tasks teams"),
        (PLAN, True, None),
        # the plan names each officer: no roster needed
        ([*PLAN, "officer"], False, None),
    ],
)
def test_a_plan_of_teams_needs_a_roster(everything, tmp_path, plan_columns, roster, tracking_needs):
    row = ["T1", "F0", "2025-06-02", "early", "10:00", "15", "A", "PC1"][: len(plan_columns)]
    pd.DataFrame([row], columns=plan_columns).to_csv(tmp_path / "plan.csv", index=False)
    values = everything | {"plan_path": str(tmp_path / "plan.csv")}
    if not roster:
        del values["roster_path"]
    result = check_programme(values)
    assert result.chapters["03_tracking"].needs == (tracking_needs or "")
    assert result.chapters["03_tracking"].runnable is (tracking_needs is None)


# ---- the week of the weekly briefing ----------------------------------------------------------


@pytest.mark.parametrize(
    ("ping", "in_week"),
    [
        ("2025-06-02 00:00:00", True),  # local midnight starting Monday 2 June is in the week
        ("2025-06-01 23:59:59", False),  # one second before is not
        ("2025-06-08 23:59:59", True),  # the last second of Sunday 8 June is
        ("2025-06-09 00:00:00", False),  # the next Monday's midnight is not
    ],
)
def test_the_week_start_needs_pings_in_its_seven_local_days(everything, tmp_path, ping, in_week):
    path = pings_csv(tmp_path / "app.csv", [ping])
    result = check_programme(everything | {"pings_paths": {"app": path}})
    assert result.chapters["03_tracking"].runnable
    expected = (
        [] if in_week else ["week_start 2025-06-02: the location data hold no pings that week"]
    )
    assert result.problems == expected


def test_a_week_is_checked_across_every_pings_source(everything, tmp_path):
    before = pings_csv(tmp_path / "a.csv", ["2025-05-01 10:00"])
    during = pings_csv(tmp_path / "r.csv", ["2025-06-05 10:00"])
    result = check_programme(everything | {"pings_paths": {"app": before, "radio": during}})
    assert result.problems == []


# ---- the targeting window --------------------------------------------------------------------


def test_a_window_holding_none_of_the_crimes(everything):
    values = {k: v for k, v in everything.items() if k != "fences_path"}
    values |= {"targeting_start": "2019-01-01", "targeting_end": "2020-01-01"}
    result = check_programme(values)
    assert result.problems == [
        "the targeting window (1 Jan 2019 to 31 Dec 2019) holds none of the crimes, which run "
        "from 20 May 2025 to 3 Jun 2025; set targeting_start and targeting_end inside that "
        "span, or leave them empty to use it all"
    ]
    # both ends given: nothing derived about the window (and no fences: no start date)
    assert result.derived == {}
    assert needs(result) == {
        "01_targeting": "a targeting window that holds crimes",
        "02_geofences": "chapter 1's chosen places, or the programme's fences (fences_path)",
        "03_tracking": "fences from chapter 2",
        "04_evaluation": "fences from chapter 2; the programme's start date (programme_start)",
    }


def test_a_window_of_patrolled_fences_holding_no_crimes(everything, tmp_path):
    fences = fences_file(tmp_path / "f.geojson", ["treatment", "treatment"])
    values = everything | {"fences_path": fences, "targeting_end": "2025-05-01"}
    values |= {"targeting_start": "2025-04-01"}
    result = check_programme(values)
    # the programme's own fences: chapter 2 runs, but chapter 4 has no micro places to match
    assert needs(result) == {
        "01_targeting": "a targeting window that holds crimes",
        "04_evaluation": "chapter 1's micro places, among which a chosen set of places finds "
        "its matched comparison places (the fences have no control places)",
    }


def test_a_window_holding_one_crime_is_enough(everything):
    # 20 May only: 1 June 00:00 London is 31 May 23:00 UTC, which is the window's end
    result = check_programme(everything | {"targeting_end": "2025-06-01"})
    assert result.problems == []
    assert result.derived["targeting window"] == (
        "20 May 2025 to 31 May 2025 (start derived from the crimes)"
    )


def test_the_targeting_end_given_wins_over_the_programme_start(everything):
    values = everything | {"targeting_end": "2025-06-04", "programme_start": "2025-05-25"}
    result = check_programme(values)
    assert result.derived == {
        "targeting window": "20 May 2025 to 3 Jun 2025 (start derived from the crimes)"
    }


def test_a_window_that_ends_as_it_starts_is_a_problem(everything):
    values = everything | {"targeting_start": "2025-05-25", "targeting_end": "2025-05-25"}
    result = check_programme(values)
    error = (
        "a window must end after it starts; got 2025-05-25 to 2025-05-25 (the end is the day "
        "after the last day counted)"
    )
    assert result.problems == [f"targeting window: {error}"]
    assert needs(result) == {"01_targeting": error}


# ---- the evaluation --------------------------------------------------------------------------


def test_fences_without_dates_give_no_start_date(everything, tmp_path):
    fences = fences_file(tmp_path / "f.geojson", ["treatment", "control"], valid_from=None)
    result = check_programme(everything | {"fences_path": fences})
    assert "programme_start" not in result.derived
    assert needs(result) == {"04_evaluation": "the programme's start date (programme_start)"}


def test_patrolled_fences_only_are_a_chosen_set(everything, tmp_path):
    fences = fences_file(tmp_path / "f.geojson", ["treatment"])
    result = check_programme(everything | {"fences_path": fences})
    assert result.chapters["04_evaluation"].runnable
    assert result.chapters["04_evaluation"].notes == [CHOSEN_SET]


def test_without_tracking_the_evaluation_leaves_the_cost_out(everything):
    values = {k: v for k, v in everything.items() if k != "pings_paths"}
    result = check_programme(values)
    assert result.chapters["04_evaluation"].runnable
    assert result.chapters["04_evaluation"].notes == [NO_COST]
    result = check_programme({"crimes_path": "crimes.csv", "programme_start": "2025-06-01"},
                             data_dir=everything["data_dir"])  # fmt: skip
    assert result.chapters["04_evaluation"].notes == [CHOSEN_SET, NO_COST]


def test_fences_with_no_patrolled_place_need_one(everything, tmp_path):
    fences = fences_file(tmp_path / "f.geojson", ["control", "other"])
    result = check_programme(everything | {"fences_path": fences})
    assert needs(result) == {
        "04_evaluation": "fences with role treatment, the patrolled places (fences_path with a "
        "role column, or roles set in chapter 2); the fences have roles ['control', 'other']"
    }


@pytest.mark.parametrize(
    ("start", "needed"),
    [
        # the last crime is at 12:00 on 3 June: a start of 3 June holds it, 4 June does not
        ("2025-06-03", None),
        ("2025-06-04", "recorded crime after the programme start (2025-06-04)"),
    ],
)
def test_the_evaluation_needs_crime_from_the_programme_start(everything, start, needed):
    result = check_programme(everything | {"programme_start": start})
    assert result.chapters["04_evaluation"].needs == (needed or "")


def test_a_crime_at_the_programmes_first_local_midnight_counts(everything, tmp_path):
    # the last crime at 1 June 00:00 London (31 May 23:00 UTC): on the programme's first day
    path = crimes_csv(tmp_path / "c.csv", ["2025-05-20 10:00", "2025-06-01 00:00"])
    result = check_programme(everything | {"crimes_path": path, "programme_start": "2025-06-01"})
    assert result.chapters["04_evaluation"].runnable
    # one second before it is not
    path = crimes_csv(tmp_path / "c.csv", ["2025-05-20 10:00", "2025-05-31 23:59:59"])
    result = check_programme(everything | {"crimes_path": path, "programme_start": "2025-06-01"})
    assert needs(result)["04_evaluation"] == (
        "recorded crime after the programme start (2025-06-01)"
    )


def test_a_result_not_clocked_says_no_time():
    assert CheckResult({}, {}, {}, []).summary().splitlines() == [
        "Sources:",
        "Chapters:",
        "(checked in 0.0 s)",
    ]


def test_the_values_may_be_named_and_the_data_folder_only_by_name(town):
    result = check_programme(values={"crimes_path": "crimes.csv"}, data_dir=town)
    assert result.sources["crimes_path"].ok
    with pytest.raises(TypeError):
        check_programme({"crimes_path": "crimes.csv"}, town)


def test_pings_with_their_own_column_names(tmp_path):
    pd.DataFrame(
        {"Collar": ["PC9"], "At": ["2025-06-02 10:00"], "E": ["518050"], "N": ["297050"]}
    ).to_csv(tmp_path / "radio.csv", index=False)
    columns = {"Collar": "officer", "At": "time", "E": "x", "N": "y"}
    result = check_programme(
        {"pings_paths": {"radio": "radio.csv"}, "pings_columns": columns}, data_dir=tmp_path
    )
    assert result.sources["pings_paths.radio"].text == (
        "radio.csv: read 1 rows, kept 1; 1 officers"
    )

"""``hspwork init`` at its edges: the device a ``--pings`` path is taken from, how each path is
written into the programme file, what is derived from the data and said, and what is refused.

Each force below is a temporary folder built by hand: four police.uk crimes in Sampleton, one
a month from January to April 2025, and an app export with one ping at noon each day from
1 to 14 October 2025 (a Wednesday to a Tuesday). So the crimes' span is 1 Jan 2025 to 30 Apr
2025, and the last whole Monday-to-Sunday week of pings is 6 to 12 October 2025.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from hspwork.errors import HspworkError
from hspwork.programme import init_programme, parse_ping_spec
from hspwork.programme.init import _relative

STREET_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)
PLACES = [(-0.27, 52.58), (-0.26, 52.58), (-0.26, 52.57), (-0.27, 52.57)]
SPAN = "1 Jan 2025 to 30 Apr 2025"
BOUNDARY_SAID = (
    "the area the crimes cover: the concave hull of their locations (shapely, ratio 0.1), "
    "widened by 250 m"
)
PLAN = "the tasking plan (one row per planned visit)"
ROSTER = "team roster, CSV with columns officer, team"
PINGS = "officer locations per source (app, radio, vehicle, handheld): a path, glob or list each"


def street_csv(path, months=("2025-01", "2025-02", "2025-03", "2025-04"), places=PLACES, ids="id"):
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        f"{ids}{i},{month},F,F,{lon},{lat},On or near X,E01,L,Burglary,,"
        for i, (month, (lon, lat)) in enumerate(zip(months, places))
    ]
    path.write_text("\n".join([STREET_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def app_csv(path, days=range(1, 15)):
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [f"1,2025-10-{d:02d} 12:00:00,52.575,-0.265" for d in days]
    path.write_text("collar_no,recorded_at,latitude,longitude\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture
def force(tmp_path, monkeypatch):
    """The analyst's folder, made the current one: exports/street.csv and exports/app.csv."""
    monkeypatch.chdir(tmp_path)
    street_csv(tmp_path / "exports" / "street.csv")
    app_csv(tmp_path / "exports" / "app.csv")
    return tmp_path


def read(path):
    return tomllib.loads(path.read_text(encoding="utf-8"))


# ---- --pings SOURCE=PATH ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("radio=exports/airwave/*.csv", ("radio", "exports/airwave/*.csv")),
        ("vehicle=x.csv", ("vehicle", "x.csv")),
        # a bare path: its device guessed from the file's name, upper case or not
        ("exports/Airwave_2025.CSV", ("radio", "exports/Airwave_2025.CSV")),
        ("exports/avl.parquet", ("vehicle", "exports/avl.parquet")),
        ("phone.csv", ("app", "phone.csv")),
        # a bare source name is a file of that name, not a source with no path
        ("app", ("app", "app")),
        # "tracker=..." is not a source: the whole text is the path, guessed from its name
        ("tracker=exports/handheld.csv", ("handheld", "tracker=exports/handheld.csv")),
        # an = in a path of a named source stays in the path
        ("radio=a=b.csv", ("radio", "a=b.csv")),
    ],
)
def test_a_ping_spec_names_its_device(text, expected):
    assert parse_ping_spec(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "exports/locations.csv",  # no device word
        "exports/phone_gps.csv",  # two devices: app (phone) and handheld (gps)
        "radio_car.csv",  # two devices: radio and vehicle
    ],
)
def test_a_ping_spec_without_one_device_is_refused(text):
    with pytest.raises(HspworkError) as caught:
        parse_ping_spec(text)
    assert str(caught.value) == (
        f"--pings {text}: say which device it comes from, e.g. --pings app={text} "
        "(sources: app, radio, vehicle, handheld)"
    )


# ---- how a path is written into the programme file ---------------------------------------


def test_paths_inside_the_programme_folder_are_written_relative_to_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prog" / "exports").mkdir(parents=True)
    folder = tmp_path / "prog"
    assert _relative("prog/exports/street.csv", folder) == "exports/street.csv"
    assert _relative("prog/exports", folder) == "exports"
    assert _relative("prog", folder) == "."
    assert _relative(str(tmp_path / "prog/exports/street.csv"), folder) == "exports/street.csv"
    # a glob is written relative too, whether given relative or absolute
    assert _relative("prog/exports/*.csv", folder) == "exports/*.csv"
    assert _relative(str(tmp_path / "prog/exports/*.csv"), folder) == "exports/*.csv"
    # and so for a programme folder given relative to the current one
    assert _relative("prog/exports/*.csv", Path("prog")) == "exports/*.csv"


def test_paths_outside_the_programme_folder_are_written_in_full(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "prog"
    folder.mkdir()
    assert _relative("exports/street.csv", folder) == str(tmp_path / "exports/street.csv")
    assert _relative("exports/*.csv", folder) == str(tmp_path / "exports/*.csv")
    assert _relative("/data/force/*.csv", folder) == "/data/force/*.csv"
    assert _relative("/data/force/street.csv", folder) == "/data/force/street.csv"


def test_a_path_through_a_parent_folder_is_written_where_it_leads(tmp_path, monkeypatch):
    # prog/../exports is the exports folder beside the programme, outside it: in full
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "prog"
    folder.mkdir()
    assert _relative("prog/../exports/street.csv", folder) == str(tmp_path / "exports/street.csv")
    assert _relative("prog/../exports/*.csv", folder) == str(tmp_path / "exports/*.csv")
    assert _relative("prog/x/../exports/*.csv", folder) == "exports/*.csv"


def test_a_file_reached_through_a_link_is_written_where_it_is(tmp_path, monkeypatch):
    # the programme's exports folder is a link to a shared drive: the file is on the drive,
    # outside the programme folder, so it is written in full
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shared").mkdir()
    (tmp_path / "prog").mkdir()
    (tmp_path / "prog" / "exports").symlink_to(tmp_path / "shared", target_is_directory=True)
    folder = tmp_path / "prog"
    assert _relative("prog/exports/street.csv", folder) == str(tmp_path / "shared/street.csv")


def test_a_path_from_the_home_folder_is_written_in_full(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "prog"
    folder.mkdir()
    assert _relative("~/exports/street.csv", folder) == str(home / "exports/street.csv")
    # a glob too: a quoted glob reaches init with its ~ unexpanded by the shell
    assert _relative("~/exports/*.csv", folder) == str(home / "exports/*.csv")


def test_init_reads_a_glob_from_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    street_csv(tmp_path / "home" / "exports" / "2025-street.csv")
    path, said = init_programme("prog", crimes="~/exports/*-street.csv")
    assert read(path)["data"]["crimes_path"] == str(tmp_path / "home/exports/*-street.csv")
    assert said[0] == f"targeting window: the crimes' span, {SPAN}"


# ---- what init writes and says ------------------------------------------------------------


def test_init_writes_the_file_and_says_what_it_derived(force):
    path, said = init_programme(
        "prog", crimes="exports/street.csv", pings={"app": "exports/app.csv"}
    )
    assert path == Path("prog") / "hspwork.toml"
    raw = read(path)
    assert raw["programme"]["name"] == "prog"  # the folder's name
    assert raw["data"]["crimes_path"] == str(force / "exports/street.csv")
    assert raw["data"]["pings_paths"] == {"app": str(force / "exports/app.csv")}
    assert raw["data"]["boundary_path"] == "boundary.geojson"
    assert (force / "prog" / "boundary.geojson").is_file()
    # 1 to 14 October: the week of Monday 6 October is the last to end by the 14th
    assert raw["windows"]["week_start"] == "2025-10-06"
    assert raw["windows"]["targeting_start"] == ""
    assert said == [
        f"targeting window: the crimes' span, {SPAN}",
        f"boundary: {BOUNDARY_SAID} -> prog/boundary.geojson",
        "week for the briefing: 6 Oct 2025 (the last whole week of pings)",
        f"not given (the chapters that need them are skipped): {PLAN}; {ROSTER}",
    ]
    text = path.read_text(encoding="utf-8")
    assert f"# Written by `hspwork init` on {dt.date.today():%-d %B %Y}." in text
    assert f"# read by init: 4 crimes, {SPAN}\ncrimes_path = " in text
    assert f"# derived: the crimes' span ({SPAN})\ntargeting_start = " in text
    assert (
        "# derived: the day after the crimes' last day, or the programme start\ntargeting_end = "
        in text
    )
    assert f"# derived by init: {BOUNDARY_SAID}; edit or replace it\nboundary_path = " in text
    assert "# derived by init: the last whole week of location data\nweek_start = " in text


def test_crimes_alone_leave_the_pings_plan_and_roster_not_given(force):
    path, said = init_programme("prog", crimes="exports/street.csv", name="North division")
    raw = read(path)
    assert raw["programme"]["name"] == "North division"
    assert raw["data"]["pings_paths"] == {} and raw["windows"]["week_start"] == ""
    assert said == [
        f"targeting window: the crimes' span, {SPAN}",
        f"boundary: {BOUNDARY_SAID} -> prog/boundary.geojson",
        f"not given (the chapters that need them are skipped): {PINGS}; {PLAN}; {ROSTER}",
    ]
    assert "derived by init: the last whole week" not in path.read_text(encoding="utf-8")


def test_every_source_given_is_checked_and_written_and_nothing_is_said_missing(force):
    for name in ("plan.csv", "fences.geojson", "streets.geojson", "roster.csv", "area.geojson",
                 "beats.geojson"):  # fmt: skip
        (force / "prog" / "given").mkdir(parents=True, exist_ok=True)
        (force / "prog" / "given" / name).write_text("x")
    path, said = init_programme(
        "prog",
        crimes="exports/street.csv",
        pings={"app": "exports/app.csv"},
        plan="prog/given/plan.csv",
        fences="prog/given/fences.geojson",
        streets="prog/given/streets.geojson",
        roster="prog/given/roster.csv",
        boundary="prog/given/area.geojson",
        districts="prog/given/beats.geojson",
    )
    data = read(path)["data"]
    assert data["plan_path"] == "given/plan.csv"
    assert data["fences_path"] == "given/fences.geojson"
    assert data["streets_path"] == "given/streets.geojson"
    assert data["roster_path"] == "given/roster.csv"
    assert data["boundary_path"] == "given/area.geojson"
    assert data["districts_path"] == "given/beats.geojson"
    # the boundary is the force's own: none is drawn
    assert not (force / "prog" / "boundary.geojson").exists()
    assert "derived by init: the area" not in path.read_text(encoding="utf-8")
    assert said == [
        f"targeting window: the crimes' span, {SPAN}",
        "week for the briefing: 6 Oct 2025 (the last whole week of pings)",
    ]


def test_several_crime_files_and_ping_files_are_written_as_lists(force):
    street_csv(
        force / "prog" / "exports" / "2025-05.csv", months=["2025-05"], places=PLACES[:1], ids="may"
    )
    app_csv(force / "exports" / "app_late.csv", days=range(15, 22))
    path, said = init_programme(
        "prog",
        crimes=["exports/street.csv", "prog/exports/2025-05.csv"],
        pings={"app": ["exports/app.csv", "exports/app_late.csv"], "radio": ["exports/app.csv"]},
    )
    data = read(path)["data"]
    assert data["crimes_path"] == [str(force / "exports/street.csv"), "exports/2025-05.csv"]
    assert data["pings_paths"] == {
        "app": [str(force / "exports/app.csv"), str(force / "exports/app_late.csv")],
        "radio": str(force / "exports/app.csv"),  # a list of one is written as the path
    }
    # five crimes, January to May; pings to Tuesday 21 October: the week of Monday 13 October
    assert "# read by init: 5 crimes, 1 Jan 2025 to 31 May 2025\n" in path.read_text()
    assert said[0] == "targeting window: the crimes' span, 1 Jan 2025 to 31 May 2025"
    assert "week for the briefing: 13 Oct 2025 (the last whole week of pings)" in said


def test_parameters_given_are_written_and_not_derived(force):
    path, said = init_programme(
        "prog",
        crimes="exports/street.csv",
        pings={"app": "exports/app.csv"},
        parameters={
            "budget": 7,
            "targeting_start": "2025-02-01",
            "targeting_end": "2025-04-01",
            "week_start": "2025-09-29",
        },
    )
    raw = read(path)
    assert raw["targeting"]["budget"] == 7
    assert raw["windows"]["targeting_start"] == "2025-02-01"
    assert raw["windows"]["week_start"] == "2025-09-29"
    text = path.read_text(encoding="utf-8")
    assert "derived: the crimes' span" not in text and "derived: the day after" not in text
    assert "derived by init: the last whole week" not in text
    # what was read is still said beside the crimes
    assert f"# read by init: 4 crimes, {SPAN}\n" in text
    assert said == [
        f"boundary: {BOUNDARY_SAID} -> prog/boundary.geojson",
        f"not given (the chapters that need them are skipped): {PLAN}; {ROSTER}",
    ]


def test_pings_without_a_whole_week_are_said_not_to_give_one(force):
    # Wednesday 1 to Friday 10 October: the week of Monday 6 October ends on Sunday 12th,
    # after the data, and the week before it began on 29 September, before them
    app_csv(force / "exports" / "short.csv", days=range(1, 11))
    path, said = init_programme(
        "prog", crimes="exports/street.csv", pings={"handheld": "exports/short.csv"}
    )
    assert read(path)["windows"]["week_start"] == ""
    assert said[2] == (
        "week for the briefing: not derived (the data (2025-10-01 to 2025-10-10) hold no whole "
        "Monday-to-Sunday week; give week_start)"
    )


# ---- what init refuses --------------------------------------------------------------------


def test_an_existing_programme_file_is_kept_unless_forced(force):
    first, _ = init_programme("prog", crimes="exports/street.csv", name="first")
    with pytest.raises(HspworkError) as caught:
        init_programme("prog", crimes="exports/street.csv", name="second")
    assert str(caught.value) == (
        f"{first} exists; edit it, or pass --force to write a new one over it"
    )
    assert read(first)["programme"]["name"] == "first"
    again, _ = init_programme("prog", crimes="exports/street.csv", name="second", overwrite=True)
    assert again == first and read(first)["programme"]["name"] == "second"


def test_a_folder_that_exists_without_a_file_or_is_nested_is_used(force):
    (force / "ready").mkdir()
    path, _ = init_programme("ready", crimes="exports/street.csv")
    assert path.is_file()
    # forcing over no file at all writes one
    path, _ = init_programme("a/b", crimes="exports/street.csv", overwrite=True)
    assert path == Path("a/b/hspwork.toml") and path.is_file()


def test_everything_but_the_folder_is_given_by_name(force):
    # init_programme("prog", "exports/street.csv") would read as a folder and a crimes file,
    # but the order of the rest is not fixed: all but the folder are named
    with pytest.raises(TypeError):
        init_programme("prog", "exports/street.csv")
    path, _ = init_programme(folder="prog", crimes="exports/street.csv")
    assert path.is_file()


def test_no_crimes_are_refused(force):
    with pytest.raises(HspworkError) as caught:
        init_programme("prog", crimes=[])
    assert str(caught.value) == (
        "init needs the recorded crime: --crimes PATH (a file, folder or glob)"
    )


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"crimes": "exports/street.csv.zip"}, "exports/street.csv.zip"),
        ({"crimes": ["exports/street.csv", "exports/2024.csv"]}, "exports/2024.csv"),
        ({"pings": {"radio": "exports/radio.csv"}}, "exports/radio.csv"),
        ({"pings": {"radio": ["exports/app.csv", "exports/radio.csv"]}}, "exports/radio.csv"),
        ({"plan": "exports/plan.csv"}, "exports/plan.csv"),
        ({"districts": "exports/beats.geojson"}, "exports/beats.geojson"),
    ],
)
def test_a_missing_path_is_refused_naming_the_folder_it_was_looked_for_in(force, given, named):
    kwargs = {"crimes": "exports/street.csv"} | given
    with pytest.raises(HspworkError) as caught:
        init_programme("prog", **kwargs)
    # looked for from the current folder, where the analyst typed it
    assert str(caught.value) == (
        f"{named} not found in {force / 'exports'} (it holds app.csv, street.csv)"
    )
    assert not (force / "prog" / "hspwork.toml").exists()


def test_crimes_without_a_usable_row_are_refused(force):
    street_csv(force / "exports" / "nowhere.csv", months=["2025-01"], places=[("", "")])
    with pytest.raises(HspworkError) as caught:
        init_programme("prog", crimes="exports/nowhere.csv")
    assert str(caught.value) == (
        "the crimes hold no usable row; `hspwork check` says why row by row"
    )

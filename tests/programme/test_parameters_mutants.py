"""Each parameter of a programme file at the edges of what it allows, and the words it is refused in.

An analyst writes a force's programme file by hand; a value one step outside what a parameter
allows must be refused with the parameter's name, the value as written, what kind of value it
is and what is allowed, and a value exactly at a limit must be taken. Each case below writes a
one-line programme file in ``tmp_path`` and reads it back with :func:`read_programme` (the
limits are those written in :mod:`hspwork.programme.parameters`' docs and ``hspwork params``:
"a whole number from 1 to 10000" takes 1 and 10000 and refuses 0 and 10001). Values a file
cannot hold (a date object, a number key, a former name) go through :func:`check_parameters`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings

import pytest

from hspwork.errors import HspworkError
from hspwork.programme import read_programme
from hspwork.programme.parameters import (
    PARAMETERS,
    Parameter,
    _number,
    _text,
    check_parameters,
    parameters_cell,
    parameters_for,
)


def read_one(tmp_path, section: str, line: str):
    """The checked value of the one key a one-line programme file sets."""
    path = tmp_path / "hspwork.toml"
    path.write_text(f"[{section}]\n{line}\n", encoding="utf-8")
    key = line.split("=")[0].strip()
    return read_programme(path).values[key]


def refusal(tmp_path, section: str, line: str) -> str:
    """The message a one-line programme file is refused with, less the file's name."""
    path = tmp_path / "hspwork.toml"
    path.write_text(f"[{section}]\n{line}\n", encoding="utf-8")
    with pytest.raises(HspworkError) as caught:
        read_programme(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    return message[len(f"{path}: ") :]


def refused(values) -> str:
    with pytest.raises(HspworkError) as caught:
        check_parameters(values)
    return str(caught.value)


# ------------------------------------------------------------------------------ number limits

# (section, parameter, lowest allowed, highest allowed, lowest refused itself, allowed in words)
NUMBERS = [
    ("targeting", "cell_size_m", 10, 2000, False, "a number of metres from 10 to 2000"),
    ("targeting", "hot_share", 0, 1, True, "a share above 0, at most 1"),
    ("targeting", "max_radius_m", 10, 1000, False, "a number of metres from 10 to 1000"),
    ("targeting", "min_spacing_m", 0, 10000, False, "a number of metres from 0 to 10000"),
    ("geofences", "buffer_m", 0, 500, False, "a number of metres from 0 to 500"),
    ("tracking", "target_compliance", 0, 1, True, "a share above 0, at most 1"),
    ("tracking", "done_share", 0, 1, True, "a share above 0, at most 1"),
    ("tasking", "dosage_minutes", 1, 120, False, "minutes from 1 to 120"),
    ("tasking", "dosage_min_gap_minutes", 0, 720, False, "minutes from 0 to 720"),
    ("tasking", "route_min_gap_minutes", 0, 720, False, "minutes from 0 to 720"),
    ("tasking", "route_time_limit_s", 0.1, 600, False, "seconds from 0.1 to 600"),
    ("evaluation", "ring_m", 10, 2000, False, "a number of metres from 10 to 2000"),
    ("evaluation", "officer_hour_cost_gbp", 0, 1000, True, "pounds above 0, at most 1000"),
    ("evaluation", "match_caliper_sd", 0, 5, True, "a number above 0, at most 5"),
    ("evaluation", "deterrence_window_minutes", 10, 720, False, "minutes from 10 to 720"),
    # 24 hours of minutes: 24 * 60 = 1440
    ("tracking", "max_gap_minutes", 0, 1440, True, "minutes above 0, a table of source -> "
     "minutes, or nothing"),
]  # fmt: skip


def _toml(x) -> str:
    return repr(x)  # 10 -> "10", 9.99 -> "9.99": the same text in TOML and in Python


def number_cases():
    for section, name, lo, hi, lo_open, allowed in NUMBERS:
        # a hundredth inside and outside each limit: a limit moved by one, or < made <=, shows
        below, inside = round(lo - 0.01, 2), round(lo + 0.01, 2)
        above = round(hi + 0.01, 2)
        if lo_open:
            yield pytest.param(section, name, inside, None, allowed, id=f"{name}-{inside}")
            yield pytest.param(section, name, lo, "out of range", allowed, id=f"{name}-{lo}")
        else:
            yield pytest.param(section, name, lo, None, allowed, id=f"{name}-{lo}")
            yield pytest.param(section, name, below, "out of range", allowed, id=f"{name}-{below}")
        yield pytest.param(section, name, hi, None, allowed, id=f"{name}-{hi}")
        yield pytest.param(section, name, above, "out of range", allowed, id=f"{name}-{above}")


@pytest.mark.parametrize(("section", "name", "value", "why", "allowed"), list(number_cases()))
def test_a_number_at_its_limit_is_taken_and_a_hundredth_past_it_refused(
    tmp_path, section, name, value, why, allowed
):
    line = f"{name} = {_toml(value)}"
    if why is None:
        got = read_one(tmp_path, section, line)
        assert got == value and type(got) is float  # 10 in the file is 10.0 to the chapter
    else:
        kind = "a whole number" if isinstance(value, int) else "a number"
        assert refusal(tmp_path, section, line).startswith(
            f"parameter {name}: got {value!r} ({kind}) ({why}); allowed: {allowed} ("
        )


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_number_that_is_not_finite_is_refused_as_such(tmp_path, value):
    # TOML has nan and inf; nan compares false with both limits, so only the finite check stops it
    message = refusal(tmp_path, "targeting", f"cell_size_m = {value}")
    assert message == (
        f"parameter cell_size_m: got {value} (a number) (not a finite number); allowed: a number "
        "of metres from 10 to 2000 (side of a square micro place, metres)"
    )


def test_true_text_and_nothing_are_not_numbers(tmp_path):
    tail = "; allowed: a number of metres from 10 to 2000 (side of a square micro place, metres)"
    assert refusal(tmp_path, "targeting", "cell_size_m = true") == (
        "parameter cell_size_m: got True (true/false)" + tail
    )
    assert refusal(tmp_path, "targeting", 'cell_size_m = "150"') == (
        "parameter cell_size_m: got '150' (text)" + tail
    )
    # "" in a programme file is "not given", and a cell size must be given
    assert refusal(tmp_path, "targeting", 'cell_size_m = ""') == (
        "parameter cell_size_m: got None (nothing)" + tail
    )


def test_a_numbers_options_are_named():
    # _number(lo, hi, True) could be read as optional or as lo_open: it must be spelt out
    with pytest.raises(TypeError):
        _number(0, 1, True)


def test_an_optional_number_takes_nothing():
    # No parameter uses it yet; the validator is written to allow it.
    assert _number(0, 1, optional=True)(None) is None
    assert _number(0, 1, optional=True)(0.5) == 0.5


# ------------------------------------------------------------------------------ whole numbers

# (section, parameter, lowest, highest, allowed in words)
WHOLES = [
    ("targeting", "gistar_permutations", 0, 1_000_000, "a whole number from 0 to 1000000"),
    ("targeting", "emerging_time_step", 0, 12, "a whole number from 0 to 12"),
    ("targeting", "budget", 1, 10_000, "a whole number from 1 to 10000"),
    # 2**32 - 1 = 4294967295, the largest seed numpy takes
    ("targeting", "seed", 0, 4_294_967_295, "a whole number from 0 to 2**32 - 1"),
    ("tasking", "dosage_visits_per_day", 1, 24, "a whole number from 1 to 24"),
    ("tasking", "capacity_officers", 1, 50, "a whole number from 1 to 50"),
    ("evaluation", "permutations", 99, 100_000, "a whole number from 99 to 100000"),
    ("evaluation", "match_ratio", 1, 10, "a whole number from 1 to 10"),
]


def whole_cases():
    for section, name, lo, hi, allowed in WHOLES:
        yield pytest.param(section, name, lo, True, allowed, id=f"{name}-{lo}")
        yield pytest.param(section, name, lo - 1, False, allowed, id=f"{name}-{lo - 1}")
        yield pytest.param(section, name, hi, True, allowed, id=f"{name}-{hi}")
        yield pytest.param(section, name, hi + 1, False, allowed, id=f"{name}-{hi + 1}")


@pytest.mark.parametrize(("section", "name", "value", "taken", "allowed"), list(whole_cases()))
def test_a_whole_number_at_its_limit_is_taken_and_one_past_it_refused(
    tmp_path, section, name, value, taken, allowed
):
    line = f"{name} = {value}"
    if taken:
        got = read_one(tmp_path, section, line)
        assert got == value and type(got) is int
    else:
        assert refusal(tmp_path, section, line).startswith(
            f"parameter {name}: got {value} (a whole number) (out of range); allowed: {allowed} ("
        )


def test_a_whole_number_written_with_a_point_is_taken_and_a_fraction_is_not(tmp_path):
    got = read_one(tmp_path, "targeting", "budget = 20.0")
    assert got == 20 and type(got) is int
    tail = "; allowed: a whole number from 1 to 10000 (places the officers can cover)"
    assert refusal(tmp_path, "targeting", "budget = 2.5") == (
        "parameter budget: got 2.5 (a number)" + tail
    )
    assert refusal(tmp_path, "targeting", "budget = true") == (
        "parameter budget: got True (true/false)" + tail
    )
    assert refusal(tmp_path, "targeting", 'budget = "twenty"') == (
        "parameter budget: got 'twenty' (text)" + tail
    )


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ('budget = "   "', "None (nothing)"),  # blank is "not given"
        ("budget = [20]", "[20] (a list)"),
        ("budget = { places = 20 }", "{'places': 20} (a table)"),
        ("budget = 2025-10-20", "'2025-10-20' (text)"),  # the file's dates are read as text
    ],
)
def test_the_refusal_says_what_kind_of_value_was_written(tmp_path, line, shown):
    assert refusal(tmp_path, "targeting", line) == (
        f"parameter budget: got {shown}; allowed: a whole number from 1 to 10000 (places the "
        "officers can cover)"
    )


def test_a_value_of_another_type_is_named_by_its_type():
    assert refused({"budget": dt.time(9, 30)}).startswith(
        "parameter budget: got datetime.time(9, 30) (time); allowed:"
    )


# ------------------------------------------------------------------------------ choices, text


def test_the_count_model_is_one_of_three(tmp_path):
    for model in ("negbin", "poisson", "quasipoisson"):
        assert read_one(tmp_path, "evaluation", f'model = "{model}"') == model
    assert refusal(tmp_path, "evaluation", 'model = "ols"') == (
        "parameter model: got 'ols' (text); allowed: 'negbin', 'poisson' or 'quasipoisson' "
        "(count model for the effect)"
    )
    assert refusal(tmp_path, "evaluation", "model = 3").startswith(
        "parameter model: got 3 (a whole number); allowed: 'negbin'"
    )


def test_the_design_is_one_of_three_or_the_one_the_fences_show(tmp_path):
    for design in ("randomised", "staggered", "matched"):
        assert read_one(tmp_path, "evaluation", f'design_override = "{design}"') == design
    assert read_one(tmp_path, "evaluation", 'design_override = ""') is None
    assert refusal(tmp_path, "evaluation", 'design_override = "random"').startswith(
        "parameter design_override: got 'random' (text); allowed: 'randomised', 'staggered', "
        "'matched', or nothing ("
    )


def test_the_data_and_work_folders_must_be_given(tmp_path):
    for key in ("data_dir", "work_dir"):
        section = "data" if key == "data_dir" else "output"
        assert refusal(tmp_path, section, f'{key} = ""').startswith(
            f"parameter {key}: got None (nothing) (it must be given); allowed: a folder (text) ("
        )
        assert refusal(tmp_path, section, f"{key} = 3").startswith(
            f"parameter {key}: got 3 (a whole number); allowed: a folder (text) ("
        )
    # relative to the file's folder
    assert read_one(tmp_path, "data", 'data_dir = "extracts"') == str(tmp_path / "extracts")


def test_an_optional_text_takes_nothing():
    # No parameter uses it yet; the validator is written to allow it.
    assert _text()(None) is None
    assert _text()("x") == "x"


def test_the_harm_scheme_is_a_name_or_a_table_file(tmp_path):
    assert read_one(tmp_path, "data", 'harm_scheme = "harm.csv"') == "harm.csv"
    assert refusal(tmp_path, "data", "harm_scheme = 3").startswith(
        "parameter harm_scheme: got 3 (a whole number); allowed: 'cambridge' or a CSV harm table ("
    )
    assert refusal(tmp_path, "data", 'harm_scheme = ""').startswith(
        "parameter harm_scheme: got None (nothing); allowed:"
    )


# ------------------------------------------------------------------------------ paths, tables


def test_paths_are_one_text_a_list_of_texts_or_nothing(tmp_path):
    assert read_one(tmp_path, "data", 'crimes_path = "2024/*.csv"') == "2024/*.csv"
    got = read_one(tmp_path, "data", 'crimes_path = ["a.csv", "b.csv"]')
    assert got == ["a.csv", "b.csv"]
    assert read_one(tmp_path, "data", 'boundary_path = ""') is None
    assert read_one(tmp_path, "data", "boundary_path = []") is None
    tail = "; allowed: a path, a glob or a list of paths ("
    assert refusal(tmp_path, "data", 'crimes_path = ["a.csv", ""]').startswith(
        "parameter crimes_path: got ['a.csv', ''] (a list)" + tail
    )
    assert refusal(tmp_path, "data", 'crimes_path = ["a.csv", 3]').startswith(
        "parameter crimes_path: got ['a.csv', 3] (a list)" + tail
    )
    assert refusal(tmp_path, "data", "crimes_path = 3").startswith(
        "parameter crimes_path: got 3 (a whole number)" + tail
    )
    # a caller's tuple becomes a list, as the file would hold it
    assert check_parameters({"crimes_path": ("a.csv",)}) == {"crimes_path": ["a.csv"]}


def test_column_names_are_a_table_of_text(tmp_path):
    got = read_one(tmp_path, "data", 'crimes_columns = { "Crime Ref" = "crime_id" }')
    assert got == {"Crime Ref": "crime_id"}
    assert read_one(tmp_path, "data", 'crimes_columns = ""') == {}
    tail = "; allowed: a table of text to text ("
    assert refusal(tmp_path, "data", 'crimes_columns = { "Crime Ref" = 1 }').startswith(
        "parameter crimes_columns: got {'Crime Ref': 1} (a table)" + tail
    )
    assert refusal(tmp_path, "data", 'crimes_columns = "Crime Ref"').startswith(
        "parameter crimes_columns: got 'Crime Ref' (text)" + tail
    )
    # a caller's number key: not a column name
    assert refused({"pings_columns": {1: "officer"}}).startswith(
        "parameter pings_columns: got {1: 'officer'} (a table)" + tail
    )


def test_ping_files_are_named_per_source(tmp_path):
    path = tmp_path / "hspwork.toml"
    path.write_text('[data.pings_paths]\nradio = "airwave/"\napp = ""\n', encoding="utf-8")
    # a source left blank is not given
    assert read_programme(path).values["pings_paths"] == {"radio": "airwave/"}
    assert read_one(tmp_path, "data", 'pings_paths = ""') == {}
    assert refusal(tmp_path, "data", 'pings_paths = { drone = "d.csv" }') == (
        "parameter pings_paths: got {'drone': 'd.csv'} (a table) (unknown source 'drone'; "
        "sources are ['app', 'radio', 'vehicle', 'handheld']); allowed: a table of source -> "
        "path(s) (officer locations per source (app, radio, vehicle, handheld): a path, glob or "
        "list each)"
    )
    assert refusal(tmp_path, "data", 'pings_paths = "airwave/"').startswith(
        "parameter pings_paths: got 'airwave/' (text); allowed: a table of source -> path(s) ("
    )


# ------------------------------------------------------------------------------ time zone, CRS


def test_the_time_zone_is_an_iana_name(tmp_path):
    assert read_one(tmp_path, "data", 'tz = "America/New_York"') == "America/New_York"
    tail = "; allowed: an IANA time zone name such as Europe/London ("
    assert refusal(tmp_path, "data", 'tz = "Europe/Lundun"').startswith(
        "parameter tz: got 'Europe/Lundun' (text) (not an IANA time zone name)" + tail
    )
    # a path-like name: zoneinfo says ValueError, not "not found"
    assert refusal(tmp_path, "data", 'tz = "../London"').startswith(
        "parameter tz: got '../London' (text) (not an IANA time zone name)" + tail
    )
    # a number is not a name (zoneinfo is not asked)
    assert refusal(tmp_path, "data", "tz = 3").startswith(
        "parameter tz: got 3 (a whole number)" + tail
    )
    assert refusal(tmp_path, "data", 'tz = ""').startswith(
        "parameter tz: got None (nothing)" + tail
    )


def test_a_region_without_its_city_is_not_a_time_zone(tmp_path):
    # "Europe" is a folder of zones, which zoneinfo cannot open as a file
    assert refusal(tmp_path, "data", 'tz = "Europe"').startswith(
        "parameter tz: got 'Europe' (text) (not an IANA time zone name); allowed:"
    )


def test_the_crs_is_an_epsg_code_or_text_pyproj_knows(tmp_path):
    assert read_one(tmp_path, "data", "crs = 27700") == 27700
    assert read_one(tmp_path, "data", 'crs = "EPSG:2157"') == "EPSG:2157"
    assert read_one(tmp_path, "data", 'crs = ""') is None
    tail = "; allowed: an EPSG code or CRS text pyproj knows ("
    assert refusal(tmp_path, "data", "crs = true").startswith(
        "parameter crs: got True (true/false)" + tail
    )
    assert refusal(tmp_path, "data", "crs = 27700.0").startswith(
        "parameter crs: got 27700.0 (a number)" + tail
    )
    assert refusal(tmp_path, "data", "crs = 1").startswith(
        "parameter crs: got 1 (a whole number) (not a CRS pyproj knows)" + tail
    )


# ------------------------------------------------------------------------------ Gi* options


@pytest.mark.parametrize(
    ("value", "taken"),
    [
        ('"queen"', True),
        ('"rook"', True),
        ("1", True),  # k nearest: 1 to 30
        ("30", True),
        ("0", False),
        ("31", False),  # not a distance either: a distance is written with a point
        ("0.5", True),  # a distance: above 0 m, at most 5000 m
        ("5000.0", True),
        ("0.0", False),
        ("5000.5", False),
        ("true", False),
        ('"bishop"', False),
    ],
)
def test_neighbours_are_a_contiguity_a_count_or_a_distance(tmp_path, value, taken):
    line = f"neighbours = {value}"
    if taken:
        got = read_one(tmp_path, "targeting", line)
        assert repr(got) == value.replace('"', "'")
    else:
        shown = {"true": "True (true/false)", '"bishop"': "'bishop' (text)"}.get(value)
        if shown is None:
            shown = f"{value} ({'a number' if '.' in value else 'a whole number'})"
        assert refusal(tmp_path, "targeting", line).startswith(
            f"parameter neighbours: got {shown}; allowed: 'queen', 'rook', a distance such as "
            "150.0, or a whole number 1-30 ("
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.05", 0.05),
        ("0.001", 0.001),
        ("0.999", 0.999),
        ("false", None),  # off
        ('""', None),
        ("0", "0 (a whole number)"),
        ("1", "1 (a whole number)"),
        ("0.0", "0.0 (a number)"),
        ("1.0", "1.0 (a number)"),
        ("true", "True (true/false)"),
        ('"5%"', "'5%' (text)"),
    ],
)
def test_the_false_discovery_rate_is_a_share_strictly_between_0_and_1(tmp_path, value, expected):
    line = f"fdr = {value}"
    if expected is None or isinstance(expected, float):
        assert read_one(tmp_path, "targeting", line) == expected
    else:
        assert refusal(tmp_path, "targeting", line).startswith(
            f"parameter fdr: got {expected}; allowed: a share between 0 and 1, or nothing ("
        )


# ------------------------------------------------------------------------------ tracking, tasking


def test_the_longest_gap_can_be_set_per_source(tmp_path):
    path = tmp_path / "hspwork.toml"
    path.write_text("[tracking.max_gap_minutes]\nradio = 1440\napp = 0.01\n", encoding="utf-8")
    assert read_programme(path).values["max_gap_minutes"] == {"radio": 1440.0, "app": 0.01}
    tail = "; allowed: minutes above 0, a table of source -> minutes, or nothing ("
    assert refusal(tmp_path, "tracking", "max_gap_minutes = { radio = 0 }").startswith(
        "parameter max_gap_minutes: got {'radio': 0} (a table) (out of range)" + tail
    )
    assert refusal(tmp_path, "tracking", "max_gap_minutes = { radio = 1440.01 }").startswith(
        "parameter max_gap_minutes: got {'radio': 1440.01} (a table) (out of range)" + tail
    )
    assert refusal(tmp_path, "tracking", "max_gap_minutes = { drone = 5 }").startswith(
        "parameter max_gap_minutes: got {'drone': 5} (a table) (unknown source 'drone'; sources "
        "are ['app', 'radio', 'vehicle', 'handheld'])" + tail
    )
    assert read_one(tmp_path, "tracking", 'max_gap_minutes = ""') is None


SHIFTS_ALLOWED = "; allowed: a table of shift name -> [start, end] hours from 0 to 24 ("


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("{ early = [7, 15] }", {"early": [7.0, 15.0]}),
        ("{ day = [0, 24] }", {"day": [0.0, 24.0]}),  # midnight to midnight
        ("{ night = [23, 7] }", {"night": [23.0, 7.0]}),  # across midnight
        ("{ early = [7, 15], late = [15, 23] }", {"early": [7.0, 15.0], "late": [15.0, 23.0]}),
        ("{}", "{} (a table)"),
        ('"early"', "'early' (text)"),
        ("{ early = [7, 15, 23] }", "{'early': [7, 15, 23]} (a table) (shift 'early' needs "
         "[start, end])"),
        ("{ early = [7] }", "{'early': [7]} (a table) (shift 'early' needs [start, end])"),
        ("{ early = 7 }", "{'early': 7} (a table) (shift 'early' needs [start, end])"),
        ("{ early = [-0.5, 7] }", "{'early': [-0.5, 7]} (a table) (out of range)"),
        ("{ late = [15, 24.5] }", "{'late': [15, 24.5]} (a table) (out of range)"),
        ("{ early = [7, 7] }", "{'early': [7, 7]} (a table) (shift 'early' starts and ends "
         "at 7)"),
    ],
)  # fmt: skip
def test_shifts_are_named_start_and_end_hours(tmp_path, table, expected):
    line = f"shift_hours = {table}"
    if isinstance(expected, dict):
        assert read_one(tmp_path, "tasking", line) == expected
    else:
        assert refusal(tmp_path, "tasking", line).startswith(
            f"parameter shift_hours: got {expected}" + SHIFTS_ALLOWED
        )


def test_a_shift_named_by_a_number_is_refused():
    assert refused({"shift_hours": {1: [7, 15]}}).startswith(
        "parameter shift_hours: got {1: [7, 15]} (a table) (shift 1 needs [start, end])"
        + SHIFTS_ALLOWED
    )
    # a caller's tuple is a pair too
    assert check_parameters({"shift_hours": {"early": (7, 15)}}) == {
        "shift_hours": {"early": [7.0, 15.0]}
    }


# ------------------------------------------------------------------------------ window dates


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("targeting_start = 2023-09-01", "2023-09-01"),  # a TOML date
        ('targeting_start = "2023-09-01"', "2023-09-01"),
        ('targeting_end = " 2025-09-01 "', "2025-09-01"),
        ('programme_start = ""', None),
        ("programme_end = 2024-02-29", "2024-02-29"),  # 2024 is a leap year
        ('panel_start = "2024-09-02"', "2024-09-02"),
    ],
)
def test_window_dates_are_local_days(tmp_path, line, expected):
    assert read_one(tmp_path, "windows", line) == expected


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ('targeting_start = "01/09/2023"', "'01/09/2023' (text) (not a date written YYYY-MM-DD)"),
        ('programme_end = "2025-02-29"', "'2025-02-29' (text) (not a date written YYYY-MM-DD)"),
        ("panel_start = 20240902", "20240902 (a whole number)"),
    ],
)
def test_a_window_date_that_is_not_a_day_is_refused(tmp_path, line, shown):
    name = line.split("=")[0].strip()
    assert refusal(tmp_path, "windows", line).startswith(
        f"parameter {name}: got {shown}; allowed: a date YYYY-MM-DD, or nothing ("
    )


def test_a_callers_date_or_datetime_is_its_day():
    assert check_parameters(
        {"programme_start": dt.date(2025, 9, 1), "programme_end": dt.datetime(2025, 11, 29, 23)}
    ) == {"programme_start": "2025-09-01", "programme_end": "2025-11-29"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"2025-10-20"', "2025-10-20"),  # a Monday
        ("2025-10-20", "2025-10-20"),
        ('""', None),
        ('"2025-10-19"', "2025-10-19 is a Sunday, not a Monday"),
        ('"2025-10-21"', "2025-10-21 is a Tuesday, not a Monday"),
        ('"20 Oct 2025"', "not a date written YYYY-MM-DD"),
    ],
)
def test_the_briefing_week_starts_on_a_monday(tmp_path, value, expected):
    line = f"week_start = {value}"
    if expected is None or "not" not in expected:
        assert read_one(tmp_path, "windows", line) == expected
    else:
        shown = value.replace('"', "'")
        assert refusal(tmp_path, "windows", line) == (
            f"parameter week_start: got {shown} (text) ({expected}); allowed: a Monday, "
            "YYYY-MM-DD, or nothing (Monday of the week for the weekly briefing; none: the last "
            "whole week of location data)"
        )


# ------------------------------------------------------------------------------ names


def test_an_unknown_name_offers_the_three_closest():
    # difflib finds four names close to gap_minutes; the three closest are offered
    assert refused({"gap_minutes": 30}) == (
        "unknown parameter 'gap_minutes'; did you mean max_gap_minutes, dosage_minutes, "
        "route_min_gap_minutes? (`hspwork params` lists every parameter)"
    )
    assert refused({"ratio_of_x": 1}) == (
        "unknown parameter 'ratio_of_x' (`hspwork params` lists every parameter)"
    )


def test_a_former_name_warns_at_the_callers_line():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_parameters({"n_perm": 499})
        check_parameters({"app_pings_file": "a.parquet"})
    assert [str(w.message) for w in caught] == [
        "parameter n_perm is now called permutations",
        "parameter app_pings_file is now part of pings_paths (source -> path)",
    ]
    assert [w.filename for w in caught] == [__file__, __file__]
    assert all(w.category is FutureWarning for w in caught)


def test_former_ping_files_join_the_given_sources_and_the_rest_is_still_checked():
    with pytest.warns(FutureWarning):
        out = check_parameters(
            {"app_pings_file": "a.parquet", "pings_paths": {"radio": "airwave/"}, "budget": 5}
        )
    # pings_paths as given, the app file added; nothing after the former name is skipped
    assert out == {"pings_paths": {"radio": "airwave/", "app": "a.parquet"}, "budget": 5}
    with pytest.warns(FutureWarning):
        out = check_parameters({"radio_pings_file": "", "budget": 5})
    assert out == {"pings_paths": {"app": "pings_app.parquet"}, "budget": 5}
    with pytest.warns(FutureWarning):
        message = refused({"radio_pings_file": 3})
    assert message.startswith("parameter pings_paths: got {'app': 'pings_app.parquet', 'radio': 3}")


def test_no_ping_files_are_added_when_no_former_name_is_used():
    assert check_parameters({"budget": 5}) == {"budget": 5}


def test_chapters_are_named_exactly():
    assert parameters_for("04_evaluation", {"budget": 20, "ring_m": 100.0}) == {"ring_m": 100.0}
    for chapter_of in (parameters_for, parameters_cell):
        args = ("05_costs", {}) if chapter_of is parameters_for else ("05_costs",)
        with pytest.raises(HspworkError) as caught:
            chapter_of(*args)
        assert str(caught.value) == (
            "unknown chapter '05_costs'; chapters are ['01_targeting', '02_geofences', "
            "'03_tracking', '04_evaluation']"
        )


def test_a_parameter_whose_check_raises_a_type_error_is_refused_by_name():
    # int() raises ValueError on text and TypeError on a list: both are a refusal
    officers = Parameter("officers", "tasking", 1, "officers on shift", (), "a whole number", int)
    assert officers.check("3") == 3
    with pytest.raises(HspworkError) as caught:
        officers.check([3])
    assert str(caught.value) == (
        "parameter officers: got [3] (a list) (int() argument must be a string, a bytes-like "
        "object or a real number, not 'list'); allowed: a whole number (officers on shift)"
    )
    with pytest.raises(HspworkError) as caught:
        officers.check("three")
    assert str(caught.value) == (
        "parameter officers: got 'three' (text) (invalid literal for int() with base 10: "
        "'three'); allowed: a whole number (officers on shift)"
    )


def test_the_registry_cannot_be_changed_by_accident():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PARAMETERS["budget"].default = 5

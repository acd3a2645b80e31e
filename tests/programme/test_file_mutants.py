"""The programme file line by line: how each value is written as TOML, what the written file
says beside each parameter, and every refusal ``read_programme`` gives, with its exact text.

Each expected line is written out by hand from the parameter registry's meaning and default
(``budget``: "places the officers can cover", default 20). A file an analyst edits by hand is
read from its own folder: relative paths are made absolute from there, and a key in the wrong
section, an unknown section or a file that is not UTF-8 TOML is refused naming the file.
"""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from hspwork.errors import HspworkError
from hspwork.programme.file import read_programme, toml_value, write_programme

SECTIONS = (
    "['programme', 'data', 'windows', 'targeting', 'geofences', 'tracking', 'tasking', "
    "'evaluation', 'output']"
)


# ---- toml_value ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-3, "-3"),
        (2.5, "2.5"),
        (-0.0, "-0.0"),
        # non-ASCII text is written as itself, not as \u escapes an analyst cannot read
        ("Café Quarter", '"Café Quarter"'),
        ('a "b"\\c', '"a \\"b\\"\\\\c"'),
        ([], "[]"),
        ((1, "x"), '[1, "x"]'),
        ([True, [2.0]], "[true, [2.0]]"),
        ({}, "{}"),
        ({"Réf": 1, "b": [False]}, '{ "Réf" = 1, "b" = [false] }'),
        ({3: "x"}, '{ "3" = "x" }'),
    ],
)
def test_each_kind_of_value_is_written_as_toml(value, text):
    assert toml_value(value) == text
    # and it reads back as the same value (a tuple as a list, a key as text)
    back = tomllib.loads(f"v = {text}")["v"]
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, dict):
        value = {str(k): v for k, v in value.items()}
    assert back == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("inf"), "a programme file cannot hold inf"),
        (float("-inf"), "a programme file cannot hold -inf"),
        (float("nan"), "a programme file cannot hold nan"),
        (None, "a programme file cannot hold NoneType None"),
        (dt.date(2025, 9, 1), "a programme file cannot hold date datetime.date(2025, 9, 1)"),
        ({"a": None}, "a programme file cannot hold NoneType None"),
    ],
)
def test_values_toml_cannot_hold_are_refused(value, message):
    with pytest.raises(HspworkError) as err:
        toml_value(value)
    assert str(err.value) == message


# ---- write_programme -------------------------------------------------------------------------


def written(tmp_path, values=None, **kw):
    path = write_programme(tmp_path / "hspwork.toml", values or {}, **kw)
    return path, path.read_text(encoding="utf-8").splitlines()


def section(lines, name):
    """The lines of one [section], up to the next heading's comment or section."""
    start = lines.index(f"[{name}]")
    end = start + 1
    while end < len(lines) and not (lines[end] == "" and lines[end + 1].startswith("#")):
        end += 1
    return lines[start + 1 : end]


def test_a_file_of_defaults_opens_with_its_header_and_name(tmp_path):
    path, lines = written(tmp_path, name="North <division>", header="read 3 files\n\nat noon")
    assert lines[:10] == [
        "# hspwork programme file: one hot spots programme, described once.",
        "# Check it and the data with `hspwork check --config <this file>`; run the chapters with",
        "# `hspwork brief --config <this file>`. `hspwork params` explains every parameter.",
        '# A value of "" is not given: the chapter derives it from the data and says so.',
        "# read 3 files",
        "#",  # a blank header line is a bare "#", no trailing space
        "# at noon",
        "",
        "[programme]",
        'name = "North <division>"',
    ]
    assert path == tmp_path / "hspwork.toml"


def test_no_header_means_the_name_follows_the_opening_comment(tmp_path):
    _, lines = written(tmp_path)
    assert lines[3:7] == [
        '# A value of "" is not given: the chapter derives it from the data and says so.',
        "",
        "[programme]",
        'name = "hot spots programme"',
    ]


def test_sections_come_in_order_each_under_its_heading(tmp_path):
    _, lines = written(tmp_path)
    assert [line for line in lines if line.startswith("[")] == [
        "[programme]",
        "[data]",
        "[data.crimes_columns]",
        "[data.pings_paths]",
        "[data.pings_columns]",
        "[windows]",
        "[targeting]",
        "[geofences]",
        "[tracking]",
        "[tasking]",
        "[tasking.shift_hours]",
        "[evaluation]",
        "[output]",
    ]
    headings = {line: lines[i - 1] for i, line in enumerate(lines) if line.startswith("[")}
    assert headings["[data]"] == (
        "# Where the data are and how to read them (paths relative to this file's folder)"
    )
    assert headings["[windows]"] == (
        "# Windows, as local dates; an end date is the day after the last day counted"
    )
    assert headings["[targeting]"] == "# Chapter 1, targeting"
    assert headings["[geofences]"] == "# Chapter 2, geofences"
    assert headings["[tracking]"] == "# Chapter 3, tracking"
    assert headings["[tasking]"] == (
        "# Chapter 3, planning taskings: shifts, dosage, routes and capacity"
    )
    assert headings["[evaluation]"] == "# Chapter 4, evaluation"
    assert headings["[output]"] == "# Where results go (relative to this file's folder)"
    # a table's heading is its parameter's meaning and default
    assert headings["[data.pings_columns]"] == (
        "# their column name -> ours (officer, time, x, y, lon, lat, ...), when not recognised; "
        "default {}"
    )


def test_sources_not_given_are_empty_without_the_sample_towns_defaults(tmp_path):
    _, lines = written(tmp_path, {"crimes_path": "exports/"})
    data = section(lines, "data")
    # data_dir is the file's own folder: it is never written
    assert not any(line.startswith("data_dir") for line in lines)
    assert data[:4] == [
        "# recorded crime: a file, a folder (police.uk archive), a glob, or a list of them",
        'crimes_path = "exports/"',
        "# the area to cover (polygons); none: the area the crimes cover",
        'boundary_path = ""',
    ]
    for source in ("fences_path", "districts_path", "streets_path", "plan_path", "roster_path"):
        assert f'{source} = ""' in data
    # a source has no "; default" (the notebooks' defaults name the sample town's files)
    assert "# team roster, CSV with columns officer, team" in data
    # the plain keys end with the parameters that are not sources, each with its default
    assert data[-6:] == [
        '# local clock of the exports and of the pages; default "Europe/London"',
        'tz = "Europe/London"',
        '# CRS of easting/northing columns; default "EPSG:27700"',
        'crs = "EPSG:27700"',
        '# harm weights: days of custody per offence; default "cambridge"',
        'harm_scheme = "cambridge"',
    ]
    # pings_paths is a source too: an empty table (not the sample town's two files)
    i = lines.index("[data.pings_paths]")
    assert lines[i - 1] == (
        "# officer locations per source (app, radio, vehicle, handheld): a path, glob or list each"
    )
    assert lines[i + 1 : i + 3] == ["", lines[i + 2]] and lines[i + 3] == "[data.pings_columns]"


def test_windows_not_given_are_empty_and_their_default_reads_none(tmp_path):
    _, lines = written(tmp_path, {"programme_start": "2025-09-01"})
    windows = section(lines, "windows")
    assert windows[:4] == [
        "# first local day of the targeting window; none: the first day of the data; default none",
        'targeting_start = ""',
        "# day after the last day of the targeting window; none: the programme start, or the day "
        "after the data end; default none",
        'targeting_end = ""',
    ]
    assert 'programme_start = "2025-09-01"' in windows


def test_a_note_goes_under_its_parameters_meaning(tmp_path):
    _, lines = written(
        tmp_path, {"budget": 12}, notes={"budget": "set by the inspector", "fdr": "off"}
    )
    i = lines.index("budget = 12")
    assert lines[i - 2 : i] == [
        "# places the officers can cover; default 20",
        "# set by the inspector",
    ]
    i = lines.index("fdr = 0.05")
    assert lines[i - 1] == "# off"
    # a parameter without a note has its meaning line alone
    i = lines.index("hot_share = 0.05")
    assert lines[i - 1].startswith("# candidates: the cells holding the most harm")


def test_a_table_goes_after_the_plain_keys_and_the_rest_still_follow(tmp_path):
    shifts = {"day": [8, 16]}
    _, lines = written(tmp_path, {"shift_hours": shifts, "crimes_columns": {"Ref": "crime_id"}})
    tasking = section(lines, "tasking")
    keys = [line.split(" = ")[0] for line in tasking if " = " in line and not line.startswith("#")]
    assert keys == [
        "dosage_visits_per_day",
        "dosage_minutes",
        "dosage_min_gap_minutes",
        "route_min_gap_minutes",
        "capacity_officers",
        "route_time_limit_s",
    ]
    i = lines.index("[tasking.shift_hours]")
    assert lines[i + 1] == '"day" = [8.0, 16.0]'
    assert lines[i - 1] == (
        "# the patrol shifts: name -> [start hour, end hour], local time; "
        'default { "early" = [7, 15], "late" = [15, 23] }'
    )
    i = lines.index("[data.crimes_columns]")
    assert lines[i + 1] == '"Ref" = "crime_id"'
    # a table does not stop the section: the parameters after crimes_columns are written
    assert 'boundary_path = ""' in section(lines, "data")


def test_the_output_section_holds_the_work_and_briefings_folders(tmp_path):
    path, lines = written(tmp_path, {"briefings_dir": "pages", "work_dir": "results"})
    assert lines[-5:] == [
        "[output]",
        '# work folder each chapter leaves its results in; default "work"',
        'work_dir = "results"',
        "# folder for the HTML briefings",
        'briefings_dir = "pages"',
    ]
    assert sum(line.startswith("briefings_dir") for line in lines) == 1
    programme = read_programme(path)
    assert programme.briefings_dir == (tmp_path / "pages").resolve()
    assert programme.values["work_dir"] == str((tmp_path / "results").resolve())


def test_the_file_defaults_to_work_and_briefings_beside_it(tmp_path):
    _, lines = written(tmp_path)
    assert lines[-3:] == [
        'work_dir = "work"',
        "# folder for the HTML briefings",
        'briefings_dir = "briefings"',
    ]


def test_a_bad_value_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(HspworkError, match=r"^parameter budget: got 'twenty' \(text\)"):
        write_programme(tmp_path / "hspwork.toml", {"budget": "twenty"})
    assert not (tmp_path / "hspwork.toml").exists()


def test_a_written_file_reads_back_with_every_value(tmp_path):
    values = {
        "crimes_path": ["a.csv", "b/"],
        "pings_paths": {"radio": "airwave/"},
        "budget": 7,
        "fdr": None,
        "programme_start": "2025-09-01",
        "briefings_dir": "pages",
    }
    path, _ = written(tmp_path, values, name="South")
    programme = read_programme(path)
    assert programme.name == "South"
    v = programme.values
    assert (v["crimes_path"], v["pings_paths"], v["budget"]) == (
        ["a.csv", "b/"],
        {"radio": "airwave/"},
        7,
    )
    assert v["fdr"] is None and v["programme_start"] == "2025-09-01"
    assert v["plan_path"] is None and v["boundary_path"] is None
    assert programme.briefings_dir == (tmp_path / "pages").resolve()
    assert programme.notes == []


# ---- read_programme --------------------------------------------------------------------------


def hand_written(tmp_path, text, name="hspwork.toml", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def refusal(path):
    with pytest.raises(HspworkError) as err:
        read_programme(path)
    return str(err.value)


def test_an_empty_file_is_every_default_with_no_source_given(tmp_path):
    path = hand_written(tmp_path, "", name="north.toml")
    programme = read_programme(path)
    # no [programme] name: the file's own name
    assert programme.name == "north"
    assert programme.path == path
    v = programme.values
    assert v == {
        "crimes_path": None,
        "boundary_path": None,
        "fences_path": None,
        "districts_path": None,
        "streets_path": None,
        "pings_paths": {},
        "plan_path": None,
        "roster_path": None,
        "data_dir": str(tmp_path.resolve()),
        "work_dir": str((tmp_path / "work").resolve()),
    }
    assert programme.briefings_dir == (tmp_path / "briefings").resolve()


def test_folders_are_read_from_the_files_own_folder(tmp_path):
    path = hand_written(
        tmp_path,
        '[programme]\nname = 7\n[data]\ndata_dir = "exports"\n'
        '[output]\nbriefings_dir = "pages"\nwork_dir = "../results"\n',
    )
    programme = read_programme(path)
    assert programme.name == "7"
    assert programme.values["data_dir"] == str((tmp_path / "exports").resolve())
    # briefings_dir before work_dir: both are read
    assert programme.values["work_dir"] == str((tmp_path.parent / "results").resolve())
    assert programme.briefings_dir == (tmp_path / "pages").resolve()


def test_a_given_source_is_kept_and_toml_dates_become_text(tmp_path):
    path = hand_written(
        tmp_path,
        '[data]\nplan_path = "plan.csv"\n[data.pings_paths]\napp = "app/"\n'
        "[windows]\nprogramme_start = 2025-09-01\n[targeting]\nbudget = 5\n",
    )
    v = read_programme(path).values
    assert v["plan_path"] == "plan.csv" and v["pings_paths"] == {"app": "app/"}
    assert v["programme_start"] == "2025-09-01" and v["budget"] == 5
    assert v["roster_path"] is None


def test_a_missing_file_says_how_to_write_one(tmp_path):
    path = tmp_path / "missing.toml"
    assert refusal(path) == (
        f"programme file {path} not found; write one with `hspwork init DIR --crimes PATH`"
    )
    # a folder is not a programme file
    assert refusal(tmp_path) == (
        f"programme file {tmp_path} not found; write one with `hspwork init DIR --crimes PATH`"
    )


def test_a_file_that_is_not_toml_names_the_line(tmp_path):
    path = hand_written(tmp_path, "[targeting]\nbudget = twenty\n")
    text = refusal(path)
    assert text.startswith(f"{path} is not a valid TOML file: ")
    assert "(at line 2, column 10)" in text


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = hand_written(tmp_path, '[programme]\nname = "Café"\n', encoding="latin-1")
    assert refusal(path) == f"{path} is not UTF-8 text; save it as UTF-8"


def test_an_unknown_section_lists_the_sections(tmp_path):
    path = hand_written(tmp_path, "[chapter1]\nbudget = 3\n[zones]\n")
    assert (
        refusal(path)
        == f"{path}: unknown section(s) ['chapter1', 'zones']; sections are {SECTIONS}"
    )


def test_a_key_in_the_wrong_section_names_where_it_belongs(tmp_path):
    path = hand_written(tmp_path, "[targeting]\nbuffer_m = 20.0\n")
    assert refusal(path) == f"{path}: buffer_m belongs in [geofences], not [targeting]"
    path = hand_written(tmp_path, '[data]\nwork_dir = "w"\n')
    assert refusal(path) == f"{path}: work_dir belongs in [output], not [data]"


def test_an_unknown_or_bad_value_is_refused_naming_the_file(tmp_path):
    path = hand_written(tmp_path, "[targeting]\nbugdet = 3\n")
    assert refusal(path) == (
        f"{path}: unknown parameter 'bugdet'; did you mean budget? "
        "(`hspwork params` lists every parameter)"
    )
    path = hand_written(tmp_path, "[targeting]\nbudget = 0\n")
    assert refusal(path) == (
        f"{path}: parameter budget: got 0 (a whole number) (out of range); allowed: a whole "
        "number from 1 to 10000 (places the officers can cover)"
    )


@pytest.mark.parametrize("value", ['""', "3", "false", '["a"]'])
def test_briefings_dir_must_be_a_folder_name(tmp_path, value):
    path = hand_written(tmp_path, f"[output]\nbriefings_dir = {value}\n")
    assert refusal(path) == f"{path}: briefings_dir must be a folder name (text)"


def test_the_options_are_named_and_the_path_and_values_may_be_named_too(tmp_path):
    # the file and its values may be passed by name, as an analyst's own script may; the
    # options only by name, so a third value given by position is refused, not guessed at
    path = write_programme(path=tmp_path / "hspwork.toml", values={"budget": 3}, name="East")
    assert read_programme(path).name == "East"
    with pytest.raises(TypeError):
        write_programme(tmp_path / "other.toml", {}, "East")

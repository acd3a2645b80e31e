"""The parameter registry, the notebooks' parameters cells and the programme file agree."""

from __future__ import annotations

import json
from pathlib import Path

import papermill
import pytest

from hspwork.errors import HspworkError
from hspwork.programme import read_programme, write_programme
from hspwork.programme.parameters import (
    CHAPTERS,
    PARAMETERS,
    check_parameters,
    parameters_cell,
)

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebook_parameters_cell_is_the_registry(chapter):
    nb = json.loads((NOTEBOOKS / f"{chapter}.ipynb").read_text())
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1
    assert "".join(cells[0]["source"]) == parameters_cell(chapter)
    declared = papermill.inspect_notebook(str(NOTEBOOKS / f"{chapter}.ipynb"))
    expected = {name for name, p in PARAMETERS.items() if chapter in p.chapters}
    assert set(declared) == expected


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"budget": "twenty"},
            r"parameter budget: got 'twenty' \(text\); allowed: a whole number from 1 to 10000",
        ),
        ({"budget": 0}, r"parameter budget: got 0 .*out of range"),
        ({"budget": 2.5}, r"parameter budget: got 2.5 \(a number\)"),
        ({"cell_size_m": 5}, r"parameter cell_size_m: got 5 .*metres from 10 to 2000"),
        ({"cell_size_m": True}, r"parameter cell_size_m: got True \(true/false\)"),
        ({"fdr": 1.5}, r"parameter fdr: got 1.5 .*a share between 0 and 1, or nothing"),
        ({"hot_share": 0}, r"parameter hot_share: got 0"),
        ({"target_compliance": 90}, r"parameter target_compliance: got 90"),
        (
            {"week_start": "2025-10-21"},
            r"parameter week_start: got '2025-10-21' .*is a Tuesday, not a Monday",
        ),
        ({"targeting_start": "01/09/2023"}, r"not a date written YYYY-MM-DD"),
        ({"tz": "Europe/Lundun"}, r"parameter tz: .*not an IANA time zone name"),
        ({"crs": "EPSG:99999999"}, r"parameter crs: .*not a CRS pyproj knows"),
        ({"pings_paths": {"drone": "x.csv"}}, r"unknown source 'drone'"),
        ({"model": "ols"}, r"parameter model: got 'ols' .*'negbin', 'poisson' or 'quasipoisson'"),
        ({"permutations": 10}, r"parameter permutations: got 10 .*from 99"),
        ({"bugdet": 20}, r"unknown parameter 'bugdet'; did you mean budget\?"),
    ],
)
def test_bad_values_are_refused_naming_parameter_value_and_allowed(values, message):
    with pytest.raises(HspworkError, match=message):
        check_parameters(values)


def test_values_are_normalised_and_blank_means_not_given():
    out = check_parameters(
        {"budget": 20.0, "cell_size_m": 150, "fdr": "", "week_start": "2025-10-20", "neighbours": 8}
    )
    assert out == {"budget": 20, "cell_size_m": 150.0, "fdr": None, "week_start": "2025-10-20",
                   "neighbours": 8}  # fmt: skip
    assert isinstance(out["budget"], int) and isinstance(out["cell_size_m"], float)


def test_former_names_still_work_with_a_warning():
    with pytest.warns(FutureWarning, match="crimes_file is now called crimes_path"):
        out = check_parameters({"crimes_file": "c.csv"})
    assert out == {"crimes_path": "c.csv"}
    with pytest.warns(FutureWarning, match="n_perm is now called permutations"):
        out = check_parameters({"crimes_path": "c.csv", "n_perm": 499})
    assert out == {"crimes_path": "c.csv", "permutations": 499}
    with pytest.warns(FutureWarning, match="radio_pings_file is now part of pings_paths"):
        out = check_parameters({"radio_pings_file": "r.parquet"})
    assert out["pings_paths"] == {"app": "pings_app.parquet", "radio": "r.parquet"}
    with pytest.warns(FutureWarning):
        out = check_parameters({"app_pings_file": None})
    assert out["pings_paths"] == {"radio": "pings_radio.parquet"}


def test_programme_file_round_trips_every_kind_of_value(tmp_path):
    values = {
        "crimes_path": ["2024/*.csv", "2025/*.csv"],
        "crimes_columns": {"Crime Ref": "crime_id", 'Odd "name"': "offence"},
        "pings_paths": {"radio": "airwave/"},
        "budget": 12,
        "fdr": None,
        "neighbours": 200.0,
        "max_gap_minutes": {"radio": 12.5},
        "targeting_start": "2024-01-01",
        "tz": "Europe/London",
    }
    path = write_programme(tmp_path / "p" / "hspwork.toml", values, name="North <division>")
    programme = read_programme(path)
    assert programme.name == "North <division>"
    for key, value in values.items():
        assert programme.values[key] == value, key
    assert programme.values["data_dir"] == str((tmp_path / "p").resolve())
    assert programme.values["work_dir"] == str((tmp_path / "p" / "work").resolve())
    assert programme.briefings_dir == (tmp_path / "p" / "briefings").resolve()
    # Sources the file does not name are not given, whatever the notebooks' defaults say.
    assert programme.values["plan_path"] is None and programme.values["roster_path"] is None
    text = path.read_text()
    assert "# places the officers can cover; default 20" in text


def test_programme_file_errors_name_the_problem(tmp_path):
    path = tmp_path / "hspwork.toml"
    path.write_text("[targeting]\nbudget = twenty\n")
    with pytest.raises(HspworkError, match=r"is not a valid TOML file: .*line 2"):
        read_programme(path)
    path.write_text('[targeting]\nbudget = "twenty"\n')
    with pytest.raises(HspworkError, match=r"hspwork.toml: parameter budget: got 'twenty'"):
        read_programme(path)
    path.write_text("[targeting]\nbuffer_m = 20.0\n")
    with pytest.raises(HspworkError, match=r"buffer_m belongs in \[geofences\], not \[targeting\]"):
        read_programme(path)
    path.write_text("[chapter1]\nbudget = 3\n")
    with pytest.raises(HspworkError, match=r"unknown section\(s\) \['chapter1'\]"):
        read_programme(path)
    with pytest.raises(HspworkError, match="write one with `hspwork init"):
        read_programme(tmp_path / "missing.toml")


def test_sample_programme_pins_the_trial_windows():
    programme = read_programme(Path(__file__).resolve().parents[2] / "data/sample/hspwork.toml")
    v = programme.values
    assert (v["targeting_start"], v["targeting_end"]) == ("2023-09-01", "2025-09-01")
    assert (v["programme_start"], v["programme_end"]) == ("2025-09-01", "2025-11-30")
    assert v["panel_start"] == "2024-09-02" and v["week_start"] == "2025-10-20"
    assert v["roster_path"] == "roster.csv"

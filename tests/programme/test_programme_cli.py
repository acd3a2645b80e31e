"""The own-data path: ``hspwork init`` -> ``hspwork check`` -> ``hspwork brief --config``."""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from hspwork.briefing import check_html
from hspwork.cli import main
from hspwork.programme import check_programme, read_programme
from hspwork.sample import load_truth

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def crime_only(tmp_path_factory):
    """A force that has only its police.uk download: one folder, no pings, no plan."""
    root = tmp_path_factory.mktemp("force")
    exports = root / "exports"
    exports.mkdir()
    shutil.copy(SAMPLE / "crimes_police_uk.csv", exports / "2023-09-2025-11-street.csv")
    return root


@pytest.fixture(scope="module")
def north(crime_only):
    """The crime-only force's programme file, written by ``hspwork init``."""
    cwd = Path.cwd()
    os.chdir(crime_only)
    try:
        assert main(["init", "north", "--crimes", "exports/2023-09-2025-11-street.csv"]) == 0
    finally:
        os.chdir(cwd)
    return crime_only / "north" / "hspwork.toml"


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_init_writes_a_commented_programme_and_derives_what_is_missing(
    crime_only, capsys, monkeypatch
):
    monkeypatch.chdir(crime_only)
    code, out, err = _run(capsys, "init", "south", "--crimes", "exports/2023-09-2025-11-street.csv")
    assert code == 0, err
    path = crime_only / "south" / "hspwork.toml"
    assert f"wrote {path}" in out
    assert "boundary: the area the crimes cover: the concave hull" in out
    raw = tomllib.loads(path.read_text())
    assert raw["data"]["crimes_path"] == str(
        (crime_only / "exports/2023-09-2025-11-street.csv").resolve()
    )
    assert raw["data"]["boundary_path"] == "boundary.geojson"
    assert (crime_only / "south" / "boundary.geojson").is_file()
    text = path.read_text()
    # What was derived is said in the file itself, beside the value.
    assert "# derived by init: the area the crimes cover" in text
    assert "# derived: the crimes' span (1 Sep 2023 to 30 Nov 2025)" in text
    assert 'plan_path = ""' in text and 'roster_path = ""' in text
    # An analyst's edits are never overwritten by accident.
    code, _, err = _run(capsys, "init", "south", "--crimes", "exports/2023-09-2025-11-street.csv")
    assert code == 1 and "exists; edit it, or pass --force" in err


def test_check_reads_the_data_and_lists_what_can_run(north, capsys):
    code, out, err = _run(capsys, "check", "--config", north)
    assert code == 0, out + err
    crimes = pd.read_csv(SAMPLE / "crimes_police_uk.csv")
    with_location = int(crimes["Longitude"].notna().sum())
    assert f"read {len(crimes)} rows, kept {with_location}" in out
    assert "month-only times" in out
    assert "can run   1. Targeting" in out and "can run   2. Geofences" in out
    assert "cannot    3. Tracking: needs officer locations" in out
    assert "a tasking plan (plan_path" in out
    assert "cannot    4. Evaluation: needs an assignment" in out
    assert "the programme's start date (programme_start)" in out


def test_check_refuses_a_bad_value_and_a_window_outside_the_data(north, capsys, tmp_path):
    text = north.read_text()
    bad = tmp_path / "hspwork.toml"
    shutil.copy(north.parent / "boundary.geojson", tmp_path / "boundary.geojson")
    bad.write_text(text.replace("budget = 20", 'budget = "twenty"'))
    code, _, err = _run(capsys, "check", "--config", bad)
    assert code == 1
    assert "parameter budget: got 'twenty' (text); allowed: a whole number from 1 to 10000" in err
    bad.write_text(text.replace('targeting_start = ""', 'targeting_start = "2019-01-01"')
                   .replace('targeting_end = ""', 'targeting_end = "2020-01-01"'))  # fmt: skip
    code, out, _ = _run(capsys, "check", "--config", bad)
    assert code == 1
    assert "the targeting window (1 Jan 2019 to 31 Dec 2019) holds none of the crimes" in out
    assert "run from 1 Sep 2023 to 30 Nov 2025" in out


@pytest.mark.slow
def test_brief_config_runs_what_a_crime_only_programme_allows(north, crime_only, capsys):
    code, _, err = _run(capsys, "brief", "--config", north, "--quiet")
    assert code == 0, err
    briefings = crime_only / "north" / "briefings"
    assert (briefings / "01_targeting.html").is_file() and (
        briefings / "02_geofences.html"
    ).is_file()
    assert not (briefings / "03_tracking.html").exists()
    index = (briefings / "index.html").read_text()
    assert (
        '3. Tracking: did patrols reach the hot spots?: <span class="needs">not run; it needs officer locations'
        in index
    )
    assert (
        '4. Evaluation: did crime and harm fall?: <span class="needs">not run; it needs an assignment'
        in index
    )
    assert 'Weekly performance briefing: <span class="needs">not run; it needs chapter 3' in index
    assert check_html(briefings / "01_targeting.html") == []
    assert check_html(briefings / "02_geofences.html") == []
    page = (briefings / "01_targeting.html").read_text()
    assert "crimes from 1 Sep 2023 to 30 Nov 2025 (derived: the crimes&#x27; span)" in page or (
        "crimes from 1 Sep 2023 to 30 Nov 2025 (derived: the crimes' span)" in page
    )
    assert "area covered: the boundary file boundary.geojson" in page
    assert (crime_only / "north" / "work" / "02_geofences" / "fences.geojson").is_file()


@pytest.mark.slow
def test_check_on_the_sample_programme_can_run_every_chapter():
    result = check_programme(read_programme(SAMPLE / "hspwork.toml").values)
    assert result.problems == []
    assert result.runnable == ["01_targeting", "02_geofences", "03_tracking", "04_evaluation"]
    crews = load_truth(SAMPLE)["officers"]["crews"]
    n_officers = sum(len(members) for members in crews.values())
    assert result.sources["roster_path"].text == f"{n_officers} officers in {len(crews)} teams"


def test_params_lists_every_parameter(capsys):
    from hspwork.programme import PARAMETERS

    code, out, _ = _run(capsys, "params")
    assert code == 0
    for name in PARAMETERS:
        assert f"  {name} (chapters" in out
    assert "budget (chapters 01; default 20)" in out

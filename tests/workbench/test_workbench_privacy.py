"""Privacy on every path: one list of identifier columns, pseudonymised on every write, and a
leak check that reads the files the run actually uses."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hspwork.briefing import officer_identifiers
from hspwork.privacy import (
    COLUMNS_ENV,
    KEY_ENV,
    identifier_columns,
    is_identifier_column,
    pseudonymise,
    pseudonymise_identifiers,
)
from hspwork.workfolder import WorkFolder

KEY = "programme-2025-sampleton-key"
TOKEN = r"^OFF-[0-9a-f]{8}$"
# Headers under which forces' exports carry officer identifiers, as they arrive.
HEADERS = ["officer", "delivered_by", "collar_no", "Collar No", "collar", "Officer ID", "ISSI",
           "radio_id", "collar_no.1"]  # fmt: skip


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.delenv(COLUMNS_ENV, raising=False)


def _identifiers_frame(headers=HEADERS):
    return pd.DataFrame({h: [f"{k}001", f"{k}002"] for k, h in enumerate(headers, start=1)})


def test_every_identifier_column_is_pseudonymised_on_write(tmp_path, key):
    work = WorkFolder(tmp_path)
    frame = _identifiers_frame().assign(minutes=[5.0, 7.0], team=["Crew 1", "Crew 2"])
    path = work.write("geofences.findings", frame)
    text = path.read_text()
    back = pd.read_csv(path, dtype=str)
    for header in HEADERS:
        assert back[header].str.match(TOKEN).all(), header
    # The same officer under two headers gets the same token; the raw value is nowhere.
    assert back["collar_no"][0] == pseudonymise(["3001"], key=KEY)[0]
    for raw in frame[HEADERS].to_numpy().ravel():
        assert raw not in text
    assert back["team"].tolist() == ["Crew 1", "Crew 2"] and "5.0" in text


def test_the_leak_check_reads_the_same_columns(tmp_path, key):
    _identifiers_frame().to_csv(tmp_path / "pings_app.csv", index=False)
    pd.DataFrame({"time": ["2025-01-01"], "officers_heard": ["999"]}).to_csv(
        tmp_path / "pings_more.csv", index=False
    )
    expected = {f"{k}00{j}" for k in range(1, len(HEADERS) + 1) for j in (1, 2)}
    assert officer_identifiers(tmp_path) == expected  # "999" is a count, not an officer
    assert [is_identifier_column(h) for h in HEADERS] == [True] * len(HEADERS)


def test_a_configured_column_is_pseudonymised_and_scanned(tmp_path, key, monkeypatch):
    frame = pd.DataFrame({"Fleet No": ["F-17"], "minutes": [3.0]})
    work = WorkFolder(tmp_path / "work")
    plain = work.write("geofences.findings", frame).read_text()
    assert "F-17" in plain  # not an identifier until the force says so
    frame.to_csv(tmp_path / "pings_van.csv", index=False)
    assert officer_identifiers(tmp_path) == set()
    monkeypatch.setenv(COLUMNS_ENV, "Fleet No, call_sign")
    assert {"fleet_no", "call_sign"} <= set(identifier_columns())
    assert "F-17" not in work.write("geofences.findings", frame).read_text()
    assert officer_identifiers(tmp_path) == {"F-17"}


def test_pseudonymise_identifiers_passes_tokens_through_without_a_key(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    tokens = pd.DataFrame({"officer": ["OFF-3f9a2c1d", None], "n": [1, 2]})
    assert pseudonymise_identifiers(tokens) is tokens
    # Whole numbers read as floats (a gap made the column float) count as the numbers.
    floats = pd.DataFrame({"collar_no": [4512.0, None]})
    out = pseudonymise_identifiers(floats, key=KEY)
    assert out["collar_no"][0] == pseudonymise(["4512"], key=KEY)[0] and pd.isna(
        out["collar_no"][1]
    )
    assert floats["collar_no"][0] == 4512.0  # the input is not changed


def _capture_run(monkeypatch):
    """Stop run_brief before any notebook runs; keep what it would hand the notebooks."""
    import hspwork.briefing.run as run

    seen = {}

    def fake_run_all(names, source, out_dir, work_dir, parameters, identifiers, *rest):
        seen.update(parameters=dict(parameters), identifiers=set(identifiers))
        return []

    monkeypatch.setattr(run, "_run_all", fake_run_all)
    return seen


def _pings(folder, collar):
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"collar_no": [collar], "time": ["2025-01-01T00:00Z"], "x": [0], "y": [0]}).to_csv(
        folder / "pings_app.csv", index=False
    )


def test_the_leak_check_scans_the_pings_the_run_reads(tmp_path, monkeypatch):
    from hspwork.cli import main

    data, elsewhere = tmp_path / "data", tmp_path / "elsewhere"
    _pings(data, "1111")
    _pings(elsewhere, "2222")
    seen = _capture_run(monkeypatch)
    spec = json.dumps({"app": str(elsewhere / "pings_app.csv")})
    argv = ["brief", "--data", str(data), "--out", str(tmp_path / "o"), "--quiet"]
    assert main([*argv, "--param", f"pings_paths={spec}"]) == 0
    # The notebooks read the other folder's pings: those are the identifiers looked for.
    assert seen["parameters"]["pings_paths"] == {"app": str(elsewhere / "pings_app.csv")}
    assert seen["identifiers"] == {"2222"}
    # Without the parameter, the data folder's own pings.
    assert main(argv) == 0 and seen["identifiers"] == {"1111"}


def test_the_leak_check_follows_the_data_folder_the_notebooks_get(tmp_path, monkeypatch):
    from hspwork.cli import main

    data, elsewhere = tmp_path / "data", tmp_path / "elsewhere"
    _pings(data, "1111")
    _pings(elsewhere, "2222")
    seen = _capture_run(monkeypatch)
    argv = ["brief", "--data", str(data), "--out", str(tmp_path / "o"), "--quiet"]
    assert main([*argv, "--param", f"data_dir={elsewhere}"]) == 0
    read = {str(data): {"1111"}, str(elsewhere): {"2222"}}[seen["parameters"]["data_dir"]]
    assert seen["identifiers"] == read


def test_the_leak_check_reads_the_default_roster_and_plan(tmp_path):
    pd.DataFrame({"officer": ["0042"], "team": ["Crew 1"]}).to_csv(
        tmp_path / "roster.csv", index=False
    )
    pd.DataFrame({"tasking_id": ["T1"], "officer": ["0043"]}).to_csv(
        tmp_path / "tasking_plan.csv", index=False
    )
    # The chapters read roster.csv and tasking_plan.csv when the run names none.
    assert officer_identifiers(tmp_path) == {"0042", "0043"}
    assert officer_identifiers(tmp_path, {"roster_path": None, "plan_path": None}) == set()
    other = tmp_path / "other"
    other.mkdir()
    pd.DataFrame({"officer": ["0044"]}).to_csv(other / "crew.csv", index=False)
    assert officer_identifiers(tmp_path, {"roster_path": str(other / "crew.csv")}) == {
        "0043",
        "0044",
    }

"""``hspwork check``: what chapter 4 needs for each design (a chosen set needs no controls)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from hspwork.fences import make_fences, to_file
from hspwork.programme import check_programme

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
CRIMES = str(SAMPLE / "crimes_force.csv")
CHOSEN_SET = "evaluated as a chosen set, against matched comparison places"


def fences_file(tmp_path, roles) -> str:
    # two squares in the sample town (British National Grid), roles as given
    x0, y0 = 518000.0, 297000.0
    places = gpd.GeoDataFrame(
        {"fence_id": [f"F{k}" for k in range(len(roles))], "role": list(roles)},
        geometry=[box(x0 + 600 * k, y0, x0 + 600 * k + 100, y0 + 100) for k in range(len(roles))],
        crs=27700,
    )
    path = tmp_path / "fences.geojson"
    to_file(make_fences(places, role="role", valid_from="2025-08-31T23:00Z"), path)
    return str(path)


def evaluation(values):
    return check_programme(values).chapters["04_evaluation"]


@pytest.fixture(scope="module")
def crimes_only():
    return {"crimes_path": CRIMES, "programme_start": "2025-09-01"}


def test_crimes_and_a_start_date_are_enough_for_a_chosen_set(crimes_only):
    # no fences: chapter 1's places become the fences, all patrolled, with no controls
    status = evaluation(crimes_only)
    assert status.runnable, status.needs
    assert any(CHOSEN_SET in note for note in status.notes)
    assert any("'How long should visits be?' are left out" in note for note in status.notes)


def test_fences_without_controls_are_a_chosen_set(crimes_only, tmp_path):
    status = evaluation({**crimes_only, "fences_path": fences_file(tmp_path, ["treatment"] * 2)})
    assert status.runnable, status.needs
    assert any(CHOSEN_SET in note for note in status.notes)


def test_fences_with_controls_are_not_called_a_chosen_set(crimes_only, tmp_path):
    path = fences_file(tmp_path, ["treatment", "control"])
    status = evaluation({**crimes_only, "fences_path": path})
    assert status.runnable, status.needs
    assert not any(CHOSEN_SET in note for note in status.notes)


def test_fences_with_no_patrolled_place_need_a_treatment_role(crimes_only, tmp_path):
    status = evaluation({**crimes_only, "fences_path": fences_file(tmp_path, ["other", "control"])})
    assert not status.runnable
    assert status.needs.startswith("fences with role treatment, the patrolled places")
    assert "the fences have roles ['control', 'other']" in status.needs
    assert "assignment" not in status.needs


def test_a_start_date_and_crime_after_it_are_still_needed(crimes_only):
    status = evaluation({"crimes_path": CRIMES})
    assert not status.runnable
    assert status.needs == "the programme's start date (programme_start)"
    status = evaluation({**crimes_only, "programme_start": "2026-06-01"})
    assert status.needs == "recorded crime after the programme start (2026-06-01)"

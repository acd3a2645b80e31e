"""Every file of the sample city loads through the public loaders, every row accounted for."""

import json
import warnings
from pathlib import Path

import pytest

import hspwork
from hspwork.errors import DataDroppedWarning
from hspwork.io import ping_crs
from hspwork.report import report_of

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"

TRUTH = json.loads((SAMPLE / "ground_truth.json").read_text())
ROWS = TRUTH["rows"]


def test_force_export_loads_whole():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataDroppedWarning)  # a clean export drops nothing
        crimes = hspwork.read_crimes(
            SAMPLE / "crimes_force.csv", tz="Europe/London", crs="EPSG:27700", harm="cambridge"
        )
    rep = report_of(crimes)
    assert rep.rows_read == rep.rows_kept == ROWS["crimes_force.csv"]
    counts = crimes["offence"].value_counts().to_dict()
    assert counts == TRUTH["crimes"]["offence_counts"]
    assert crimes["harm"].notna().all()
    assert crimes.crs.to_epsg() == 27700


def test_police_uk_drops_only_rows_without_location():
    with pytest.warns(DataDroppedWarning, match="no location"):
        crimes = hspwork.read_crimes(SAMPLE / "crimes_police_uk.csv")
    rep = report_of(crimes)
    assert rep.rows_read == ROWS["crimes_police_uk.csv"]
    assert set(rep.dropped) == {"no location"}
    assert rep.rows_kept + rep.dropped["no location"] == rep.rows_read
    # Anti-social behaviour rows have no Crime ID and are all kept.
    asb = crimes["offence"] == "Anti-social behaviour"
    assert crimes.loc[asb, "crime_id"].isna().all()


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("pings_app.parquet", {"source": "app", "tz": "Europe/London"}),
        ("pings_app_week.csv", {"source": "app", "tz": "Europe/London"}),
        ("pings_radio.parquet", {"source": "radio", "crs": "EPSG:27700"}),
    ],
)
def test_ping_exports_load_whole(name, kwargs):
    pings = hspwork.read_pings(SAMPLE / name, **kwargs)
    rep = report_of(pings)
    assert rep.rows_read == rep.rows_kept == ROWS[name]
    assert str(pings["time"].dtype) == "datetime64[ns, UTC]"  # docs/contracts.md
    assert ping_crs(pings).to_epsg() == 27700
    assert pings["crs"].dtype == "category" and list(pings["crs"].cat.categories) == ["EPSG:27700"]
    # Sorted by officer then time, as the contract says.
    assert pings.groupby("officer")["time"].apply(lambda t: t.is_monotonic_increasing).all()


def test_streets_and_fences_load():
    streets = hspwork.read_streets(SAMPLE / "streets.geojson")
    assert len(streets) == ROWS["streets.geojson"]
    assert streets.crs.to_epsg() == 27700
    fences = hspwork.read_fences(SAMPLE / "hotspots.geojson", crs="EPSG:27700")
    assert len(fences) == ROWS["hotspots.geojson"]
    assert set(fences["role"]) == {"treatment", "control"}

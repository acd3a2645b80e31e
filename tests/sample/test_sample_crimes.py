"""The committed sample's crimes: offence groups, clocks, windows, and the police.uk copy."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from scipy.spatial import cKDTree

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"

GROUPS = [
    "Violence with injury", "Violence without injury", "Robbery", "Residential burglary",
    "Non-residential burglary", "Theft from the person", "Shoplifting", "Other theft",
    "Bicycle theft", "Vehicle crime", "Criminal damage", "Arson", "Public order", "Drugs",
    "Possession of weapons", "Sexual offences", "Anti-social behaviour",
]  # fmt: skip
WINDOWED = {"Residential burglary", "Non-residential burglary", "Vehicle crime", "Criminal damage"}
POLICE_UK = {  # the 14 categories of data.police.uk and the group each comes from
    "Anti-social behaviour": ["Anti-social behaviour"],
    "Bicycle theft": ["Bicycle theft"],
    "Burglary": ["Residential burglary", "Non-residential burglary"],
    "Criminal damage and arson": ["Criminal damage", "Arson"],
    "Drugs": ["Drugs"],
    "Other theft": ["Other theft"],
    "Possession of weapons": ["Possession of weapons"],
    "Public order": ["Public order"],
    "Robbery": ["Robbery"],
    "Shoplifting": ["Shoplifting"],
    "Theft from the person": ["Theft from the person"],
    "Vehicle crime": ["Vehicle crime"],
    "Violence and sexual offences": [
        "Violence with injury",
        "Violence without injury",
        "Sexual offences",
    ],
    "Other crime": [],
}


@pytest.fixture(scope="module")
def force():
    c = pd.read_csv(SAMPLE / "crimes_force.csv", dtype=str, keep_default_na=False)
    c["t0"] = pd.to_datetime(c["committed_from"], format="%Y-%m-%d %H:%M")
    c["t1"] = pd.to_datetime(c["committed_to"], format="%Y-%m-%d %H:%M", errors="coerce")
    return c


@pytest.fixture(scope="module")
def puk():
    return pd.read_csv(SAMPLE / "crimes_police_uk.csv", dtype=str, keep_default_na=False)


def test_sample_force_export_columns_and_groups(force):
    assert list(force.columns[:7]) == [
        "crime_ref", "offence", "offence_code", "committed_from", "committed_to",
        "easting", "northing",
    ]  # fmt: skip
    assert set(force["offence"]) == set(GROUPS)
    assert force["crime_ref"].is_unique
    assert force["t0"].min() >= pd.Timestamp("2023-09-01")
    assert force["t0"].max() < pd.Timestamp("2025-12-01")
    assert force["easting"].str.fullmatch(r"\d{6}").all()
    # every offence group has one code
    assert force.groupby("offence")["offence_code"].nunique().eq(1).all()


def test_sample_windows_only_for_found_after_offences(force):
    has_window = force["committed_to"] != ""
    assert set(force.loc[has_window, "offence"]) == WINDOWED
    assert has_window.eq(force["offence"].isin(WINDOWED)).all()
    assert 0.25 <= has_window.mean() <= 0.40  # "about a third"
    hours = (force["t1"] - force["t0"]).dt.total_seconds()[has_window] / 3600
    # naive local clock text: a window across a clock change can look an hour off
    assert hours.min() >= 0 and hours.max() <= 14


def _share(mask: pd.Series) -> float:
    return float(mask.mean())


def test_sample_clocks_differ_by_offence(force):
    t = force["t0"]
    dow, hour = t.dt.day_of_week, t.dt.hour
    weekend_night = ((dow == 4) & (hour >= 20)) | ((dow == 5) & (hour < 4))
    weekend_night |= ((dow == 5) & (hour >= 20)) | ((dow == 6) & (hour < 4))
    nte = force["offence"].isin(["Violence with injury", "Public order"])
    # Friday and Saturday nights are 16 of 168 hours (9.5%)
    assert _share(weekend_night[nte]) > 0.25
    assert _share(weekend_night[force["offence"] == "Shoplifting"]) < 0.05
    shop = force["offence"] == "Shoplifting"
    assert _share(hour[shop].between(9, 18)) > 0.9
    assert (shop & (dow == 6)).sum() < (shop & (dow == 5)).sum() * 0.6  # Sunday trading
    burg = force["offence"] == "Residential burglary"
    mid = force["t0"] + (force["t1"] - force["t0"]) / 2
    assert _share(mid[burg].dt.hour.between(8, 18)) > 0.6
    assert _share(hour[nte].between(8, 17)) < 0.25


def test_sample_seasonal_cycle(force):
    full = force[(force["t0"] >= "2023-09-01") & (force["t0"] < "2025-09-01")]
    per_month = full.groupby(full["t0"].dt.month).size() / 2  # two of each month
    days = pd.Series([31, 28.5, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], index=range(1, 13))
    rate = per_month / days
    viol = full[full["offence"].str.startswith("Violence")]
    v_rate = viol.groupby(viol["t0"].dt.month).size() / 2 / days
    assert v_rate[[6, 7, 8]].mean() > 1.15 * v_rate[[12, 1, 2]].mean()
    assert rate.max() / rate.min() > 1.1


def test_sample_police_uk_format(force, puk):
    assert list(puk.columns) == [
        "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
        "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
    ]  # fmt: skip
    assert len(puk) == len(force)
    # the same crimes, in the same order: month and category follow the force record
    assert (puk["Month"] == force["committed_from"].str[:7]).all()
    expected = {g: cat for cat, gs in POLICE_UK.items() for g in gs}
    assert (puk["Crime type"] == force["offence"].map(expected)).all()
    assert set(puk["Crime type"]) <= set(POLICE_UK)
    asb = puk["Crime type"] == "Anti-social behaviour"
    assert (puk.loc[asb, "Crime ID"] == "").all()
    assert puk.loc[~asb, "Crime ID"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert puk.loc[~asb, "Crime ID"].is_unique
    assert (puk.loc[asb, "Last outcome category"] == "").all()
    no_loc = puk["Longitude"] == ""
    assert 0.01 <= no_loc.mean() <= 0.03
    assert ((puk["Latitude"] == "") == no_loc).all()
    assert ((puk["LSOA code"] == "") == no_loc).all()
    assert (puk.loc[no_loc, "Location"] == "No location").all()
    assert puk.loc[~no_loc, "Location"].str.startswith("On or near ").all()
    assert puk.loc[~no_loc, "Longitude"].str.fullmatch(r"-?\d+\.\d{6}").all()


def test_sample_police_uk_points_are_snapped(force, puk):
    has = puk["Longitude"] != ""
    lon = puk.loc[has, "Longitude"].astype(float).to_numpy()
    lat = puk.loc[has, "Latitude"].astype(float).to_numpy()
    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
    streets = gpd.read_file(SAMPLE / "streets.geojson")
    mids = streets.geometry.interpolate(0.5, normalized=True)
    # snapped points are segment midpoints (within the 6 dp rounding and datum shift)
    dist, _ = cKDTree(np.column_stack([mids.x, mids.y])).query(np.column_stack([x, y]))
    assert np.percentile(dist, 99) < 1.0
    assert len(np.unique(np.column_stack([lon, lat]), axis=0)) <= len(streets)
    # and they are near the true location (half a segment at most)
    e = force.loc[has.to_numpy(), "easting"].astype(float).to_numpy()
    n = force.loc[has.to_numpy(), "northing"].astype(float).to_numpy()
    assert np.hypot(x - e, y - n).max() < 120.0

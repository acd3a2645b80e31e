"""read_crimes on messy fixtures whose outcome was counted by hand."""

import warnings

import numpy as np
import pandas as pd
import pytest

from hspwork.errors import CRSError, DataDroppedWarning, HspworkError, SchemaError
from hspwork.io import read_crimes
from hspwork.report import report_of

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context\n"
)
# Ten rows; the comment after each says what must happen to it.
ROWS = [
    'aa1,2024-05,Force,Force,-1.900,52.480,"On or near Café Street, Centre",E01,L1,Burglary,Under investigation,',  # kept
    ",2024-05,Force,Force,-1.901,52.481,On or near Park Lane,E01,L1,Anti-social behaviour,,",  # kept (ASB, no ID)
    ",2024-05,Force,Force,-1.901,52.481,On or near Park Lane,E01,L1,Anti-social behaviour,,",  # kept (a second ASB, same point)
    "aa2,2024-05,Force,Force,,,No location,,,Robbery,Under investigation,",  # no location
    "aa3,2024-13,Force,Force,-1.902,52.482,On or near X,E01,L1,Robbery,,",  # unreadable month
    'aa1,2024-05,Force,Force,-1.900,52.480,"On or near Café Street, Centre",E01,L1,Burglary,Under investigation,',  # duplicate Crime ID
    "aa4,2024-06,Force,Force,abc,52.482,On or near Y,E01,L1,Shoplifting,,",  # non-numeric
    "aa5,2024-06,Force,Force,0,0,On or near Z,E01,L1,Shoplifting,,",  # zero coordinates
    'aa6,2024-06,Force,Force,-1.903,52.483,"On or near Quoted, With, Commas",E01,L1,Vehicle crime,,',  # kept
    "aa7,2024-06,Force,Force,-1.904,52.484,On or near W,E01,L1,,,",  # no crime type
]
EXPECTED_DROPPED = {
    "no crime type": 1,
    "unreadable month": 1,
    "no location": 1,
    "non-numeric coordinates": 1,
    "zero coordinates (0, 0)": 1,
    "duplicate Crime ID": 1,
}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "utf-8"])
def test_police_uk_rows_accounted_by_hand(tmp_path, encoding):
    path = tmp_path / "street.csv"
    path.write_bytes((HEADER + "\n".join(ROWS) + "\n").encode(encoding))
    with pytest.warns(DataDroppedWarning, match="dropped 6"):
        crimes = read_crimes(path)
    report = report_of(crimes)
    assert (report.rows_read, report.rows_kept) == (10, 4)
    assert report.dropped == EXPECTED_DROPPED
    assert crimes.crs.to_epsg() == 27700  # GB lon/lat goes to British National Grid
    assert crimes["crime_id"].isna().tolist() == [False, True, True, False]
    assert crimes["crime_id"].dropna().tolist() == ["aa1", "aa6"]
    assert crimes["Location"].iloc[0] == "On or near Café Street, Centre"
    # A month becomes that month's half-open window in UK local time (BST in May: UTC+1).
    assert str(crimes["occurred_from"].iloc[0]) == "2024-04-30 23:00:00+00:00"
    assert str(crimes["occurred_to"].iloc[0]) == "2024-05-31 23:00:00+00:00"
    assert str(crimes["occurred_from"].iloc[3]) == "2024-05-31 23:00:00+00:00"


def test_police_uk_harm_uses_category_weights(tmp_path):
    path = tmp_path / "street.csv"
    path.write_text(HEADER + ROWS[0] + "\n" + ROWS[1] + "\n", encoding="utf-8")
    crimes = read_crimes(path, harm="cambridge")
    # Burglary (police.uk) is the 70/30 residential/non-residential mix: 0.7*274 + 0.3*184 = 247
    np.testing.assert_allclose(crimes["harm"], [247.0, 0.0])


FORCE = """crime_ref,offence,offence_code,committed_from,committed_to,easting,northing
C1,Residential burglary,28E,2025-03-01 09:00,2025-03-01 17:00,410000,290000
C2,Violence with injury,8N,2025-03-01 23:30,,410100,290100
C3,Shoplifting,46,2025-02-30 10:00,,410200,290200
C4,Criminal damage,58,2025-03-02 10:00,2025-03-02 08:00,410300,290300
C1,Residential burglary,28E,2025-03-01 09:00,2025-03-01 17:00,410000,290000
C5,Robbery,34B,2025-03-30 01:30,,410400,290400
C6,Robbery,34B,2025-03-30 02:30,,9999999,290400
C7,Robbery,34B,,,410500,290500
C8,Drugs,92,2025-03-05 12:00,,410600,
"""


def test_force_export_rows_accounted_by_hand(tmp_path):
    path = tmp_path / "force.csv"
    path.write_text(FORCE, encoding="utf-8")
    with pytest.warns(DataDroppedWarning):
        crimes = read_crimes(path, tz="Europe/London", crs="EPSG:27700", harm="cambridge")
    report = report_of(crimes)
    assert report.rows_read == 9
    assert report.dropped == {
        "no date/time": 1,  # C7
        "unreadable date/time": 1,  # C3: 30 February
        "occurred time that does not exist locally (spring clock change)": 1,  # C5 01:30
        "window ends before it starts": 1,  # C4
        "no location": 1,  # C8
        "coordinates out of range": 1,  # C6
        "duplicate crime reference": 1,  # second C1
    }
    assert crimes["crime_id"].tolist() == ["C1", "C2"]
    # 1 March is GMT: local = UTC.
    assert str(crimes["occurred_from"].iloc[0]) == "2025-03-01 09:00:00+00:00"
    assert str(crimes["occurred_to"].iloc[0]) == "2025-03-01 17:00:00+00:00"
    # An exact time is a zero-length window.
    assert crimes["occurred_from"].iloc[1] == crimes["occurred_to"].iloc[1]
    np.testing.assert_allclose(crimes["harm"], [274.0, 365.0])
    assert crimes["offence_code"].tolist() == ["28E", "8N"]  # other columns kept


def test_force_export_needs_a_declared_crs(tmp_path):
    path = tmp_path / "force.csv"
    path.write_text(FORCE, encoding="utf-8")
    with pytest.raises(CRSError, match=r"crs='EPSG:27700'"):
        read_crimes(path, tz="Europe/London")


def test_naive_times_need_a_time_zone(tmp_path):
    path = tmp_path / "force.csv"
    path.write_text(FORCE, encoding="utf-8")
    with pytest.raises(SchemaError, match=r"tz='Europe/London'"):
        read_crimes(path, crs="EPSG:27700")


def test_missing_columns_named_with_what_was_found(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("ref,when,e,n\nA,2025-01-01,1,2\n", encoding="utf-8")
    with pytest.raises(
        SchemaError, match=r"lacks columns for: offence.*Found: \['ref', 'when', 'e', 'n'\]"
    ):
        read_crimes(path, tz="UTC", crs=27700)


def test_column_mapping_reads_other_exports(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text(
        "ref,what,when,e,n\nA,Robbery,2025-01-01 10:00,410000,290000\n", encoding="utf-8"
    )
    crimes = read_crimes(
        path,
        tz="UTC",
        crs=27700,
        columns={"what": "offence", "when": "occurred", "e": "x", "n": "y", "ref": "crime_id"},
    )
    assert crimes["offence"].tolist() == ["Robbery"]
    assert crimes.geometry.x.tolist() == [410000.0]


def test_empty_file_and_header_only(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(HspworkError, match="empty"):
        read_crimes(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text(HEADER, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing dropped: no warning
        crimes = read_crimes(header_only)
    assert len(crimes) == 0
    assert report_of(crimes).rows_read == 0


def test_vector_file_and_geoparquet_round_trip(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame(
        {
            "crime_id": ["A", "B", "C"],
            "offence": ["Robbery", "Drugs", "Robbery"],
            "occurred": pd.to_datetime(
                ["2025-01-01 10:00", "2025-01-02 11:00", "2025-01-03 12:00"]
            ).tz_localize("UTC"),
        },
        geometry=[Point(-1.9, 52.48), Point(-1.91, 52.49), None],
        crs=4326,
    )
    frame.to_parquet(tmp_path / "c.parquet")
    frame.to_file(tmp_path / "c.gpkg")
    for name in ("c.parquet", "c.gpkg"):
        with pytest.warns(DataDroppedWarning):
            crimes = read_crimes(tmp_path / name)
        assert crimes.crs.to_epsg() == 27700
        assert crimes["crime_id"].tolist() == ["A", "B"]
        assert report_of(crimes).dropped == {"no location": 1}
        assert str(crimes["occurred_from"].iloc[1]) == "2025-01-02 11:00:00+00:00"


def test_area_drops_points_outside(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    path = tmp_path / "force.csv"
    path.write_text(FORCE, encoding="utf-8")
    area = gpd.GeoDataFrame(geometry=[box(409950, 289950, 410050, 290050)], crs=27700)
    with pytest.warns(DataDroppedWarning):
        crimes = read_crimes(path, tz="Europe/London", crs=27700, area=area)
    assert crimes["crime_id"].tolist() == ["C1"]
    assert report_of(crimes).dropped["outside the study area"] == 1


def test_repeated_reference_keeps_the_one_usable_record(tmp_path):
    # The first listing of C1 has no location; the second is complete. The crime is kept
    # once (from its usable record), and the unusable listing is counted as such, not both lost.
    text = (
        "crime_ref,offence,committed_from,easting,northing\n"
        "C1,Robbery,2025-03-03 10:00,,\n"
        "C1,Robbery,2025-03-03 10:00,410000,290000\n"
        "C2,Robbery,2025-03-04 10:00,410100,290100\n"
        "C2,Robbery,2025-03-04 10:00,410100,290100\n"
    )
    path = tmp_path / "force_repeat.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.warns(DataDroppedWarning):
        crimes = read_crimes(path, tz="Europe/London", crs="EPSG:27700")
    assert crimes["crime_id"].tolist() == ["C1", "C2"]
    assert report_of(crimes).dropped == {
        "no location": 1,
        "duplicate crime reference": 1,
    }


def test_police_uk_repeated_id_keeps_the_usable_record(tmp_path):
    first = "bb1,2024-05,Force,Force,,,No location,,,Robbery,,"
    second = "bb1,2024-05,Force,Force,-1.900,52.480,On or near A,E01,L1,Robbery,,"
    path = tmp_path / "street_repeat.csv"
    path.write_text(HEADER + first + "\n" + second + "\n", encoding="utf-8")
    with pytest.warns(DataDroppedWarning):
        crimes = read_crimes(path)
    assert crimes["crime_id"].tolist() == ["bb1"]
    assert report_of(crimes).dropped == {"no location": 1}


def test_times_carry_the_contract_dtype(tmp_path):
    # docs/contracts.md: occurred_from / occurred_to are datetime64[ns, UTC] for every format
    street = tmp_path / "street_dtype.csv"
    street.write_text(HEADER + ROWS[0] + "\n", encoding="utf-8")
    force = tmp_path / "force_dtype.csv"
    force.write_text(
        "crime_ref,offence,committed_from,easting,northing\nC1,Robbery,2025-03-03 10:00,410000,290000\n",
        encoding="utf-8",
    )
    for crimes in (read_crimes(street), read_crimes(force, tz="Europe/London", crs=27700)):
        assert str(crimes["occurred_from"].dtype) == "datetime64[ns, UTC]"
        assert str(crimes["occurred_to"].dtype) == "datetime64[ns, UTC]"


def test_both_grid_and_lonlat_columns_without_crs_use_lonlat(tmp_path):
    # Many exports carry easting/northing and longitude/latitude. Without crs= the grid
    # columns' CRS is unknown, so the self-describing longitude/latitude are used; with crs=
    # the grid columns are used.
    path = tmp_path / "both.csv"
    path.write_text(
        "crime_ref,offence,committed_from,easting,northing,longitude,latitude\n"
        "C1,Robbery,2025-03-03 10:00,410000,290000,-1.85,52.5\n",
        encoding="utf-8",
    )
    from pyproj import Transformer

    ll = read_crimes(path, tz="Europe/London")
    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(-1.85, 52.5)
    assert ll.crs.to_epsg() == 27700
    np.testing.assert_allclose([ll.geometry.x.iloc[0], ll.geometry.y.iloc[0]], [x, y], atol=1e-6)
    grid = read_crimes(path, tz="Europe/London", crs="EPSG:27700")
    assert (grid.geometry.x.iloc[0], grid.geometry.y.iloc[0]) == (410000.0, 290000.0)


def test_export_with_no_usable_row_gives_an_empty_frame_and_the_counts(tmp_path):
    path = tmp_path / "nothing_usable.csv"
    path.write_text(
        "crime_ref,offence,committed_from,committed_to,easting,northing\n"
        "C1,Robbery,,,410000,290000\n"
        "C2,Robbery,,,,\n",
        encoding="utf-8",
    )
    with pytest.warns(DataDroppedWarning):
        crimes = read_crimes(path, tz="Europe/London", crs="EPSG:27700")
    assert len(crimes) == 0
    assert report_of(crimes).dropped == {"no date/time": 2}
    assert str(crimes["occurred_from"].dtype) == "datetime64[ns, UTC]"


def test_unknown_time_zone_or_crs_is_named(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text(
        "crime_ref,offence,committed_from,easting,northing\nC1,Robbery,2025-03-01 10:00,410000,290000\n",
        encoding="utf-8",
    )
    with pytest.raises(HspworkError, match=r"tz='Mars/Base' is not a time zone.*Europe/London"):
        read_crimes(path, tz="Mars/Base", crs="EPSG:27700")
    with pytest.raises(CRSError, match=r"crs='EPSG:99999' is not a CRS.*EPSG:27700"):
        read_crimes(path, tz="Europe/London", crs="EPSG:99999")
    with pytest.raises(CRSError, match=r"to_crs='nonsense' is not a CRS"):
        read_crimes(path, tz="Europe/London", crs="EPSG:27700", to_crs="nonsense")

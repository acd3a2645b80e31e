"""Fence files: round trips through GeoJSON (RFC 7946), GeoPackage, KML and CSV with WKT."""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from hspwork.errors import DataDroppedWarning, HspworkError, SchemaError
from hspwork.fences import check_fences, commit_fences, from_file, make_fences, to_file
from hspwork.report import report_of

T0 = pd.Timestamp("2024-01-01 08:30:15", tz="UTC")


@pytest.fixture
def fence_set():
    # A square written clockwise and a square with a hole, in central London (BNG).
    cw = Polygon([(530000, 180000), (530000, 180100), (530100, 180100), (530100, 180000)])
    holed = Polygon(
        [(531000, 180000), (531120, 180000), (531120, 180120), (531000, 180120)],
        [[(531040, 180040), (531080, 180040), (531080, 180080), (531040, 180080)]],
    )
    f = make_fences(
        gpd.GeoDataFrame(
            {"p": ["north", "yard"], "n": ["High St, north end", "Depot yard"]},
            geometry=[cw, holed],
            crs=27700,
        ),
        id_column="p",
        name_column="n",
        valid_from=T0,
        buffer_m=35,
        notes="from targeting",
    )
    f.loc[1, "role"] = "control"
    moved = f.iloc[[0]].assign(geometry=[box(530000, 180000, 530150, 180100)])
    return commit_fences(f, moved, at="2024-02-01T12:00Z", note="widened")


def assert_same_set(back, orig, tol_m):
    assert back.crs.equals(orig.crs)
    cols = ["fence_id", "name", "role", "version", "buffer_m", "notes"]
    pd.testing.assert_frame_equal(
        back[cols].reset_index(drop=True), orig[cols].reset_index(drop=True), check_dtype=False
    )
    for c in ("valid_from", "valid_to"):
        pd.testing.assert_series_equal(back[c], orig[c], check_names=False)
    d = shapely.hausdorff_distance(back.geometry.to_numpy(), orig.geometry.to_numpy())
    assert (d < tol_m).all(), d
    # Seven decimals of a degree (RFC 7946 default) move a vertex by up to ~1 cm: a 100 m square
    # then changes by at most ~4 m² (perimeter x 1 cm), i.e. 4e-4 relative; we see 3e-5.
    np.testing.assert_allclose(back.area, orig.area, rtol=1e-4 if tol_m > 1e-6 else 1e-12)


@pytest.mark.parametrize(
    ("suffix", "tol_m"), [(".geojson", 0.05), (".gpkg", 1e-9), (".kml", 0.05), (".csv", 0.05)]
)
def test_round_trip(tmp_path, fence_set, suffix, tol_m):
    path = to_file(fence_set, tmp_path / f"fences{suffix}")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataDroppedWarning)
        back = from_file(path)
    assert_same_set(back, fence_set, tol_m)
    assert report_of(back).rows_kept == len(fence_set)


def signed_area(ring):
    x, y = np.asarray(ring, dtype=float).T
    return 0.5 * np.sum(x[:-1] * y[1:] - x[1:] * y[:-1])


def test_geojson_is_rfc7946(tmp_path, fence_set):
    doc = json.loads(to_file(fence_set, tmp_path / "f.geojson").read_text())
    assert "crs" not in doc  # RFC 7946: WGS84 implied, no crs member
    for feat in doc["features"]:
        rings = feat["geometry"]["coordinates"]
        lon, lat = np.asarray(rings[0]).T
        assert (abs(lon + 0.1) < 0.1).all() and (abs(lat - 51.5) < 0.1).all()  # London lon/lat
        assert signed_area(rings[0]) > 0  # exterior counter-clockwise
        for hole in rings[1:]:
            assert signed_area(hole) < 0  # holes clockwise
    props = doc["features"][0]["properties"]
    assert props["valid_from"] == "2024-01-01T08:30:15.000000Z"


def test_csv_has_wkt_in_lonlat(tmp_path, fence_set):
    table = pd.read_csv(to_file(fence_set, tmp_path / "f.csv"))
    assert table.columns.tolist()[-1] == "wkt"
    g = shapely.from_wkt(table["wkt"].to_numpy())
    ref = fence_set.to_crs(4326).geometry.to_numpy()
    assert (shapely.hausdorff_distance(g, ref) < 1e-7).all()


def test_foreign_file_gets_defaults_and_drops_are_counted(tmp_path):
    # A tracking system's export: names only, one line and one empty row among the polygons.
    raw = gpd.GeoDataFrame(
        {"Name": ["Bus station", "Route", "Park", "Nothing"]},
        geometry=[
            box(-0.128, 51.507, -0.127, 51.5078),
            LineString([(-0.12, 51.5), (-0.11, 51.5)]),
            box(-0.125, 51.507, -0.124, 51.5078),
            None,
        ],
        crs=4326,
    )
    path = tmp_path / "export.geojson"
    raw.to_file(path, driver="GeoJSON")
    with pytest.warns(
        DataDroppedWarning,
        match=r"read 4 rows, kept 2, dropped 2 \(no geometry: 1, not a polygon: 1\)",
    ):
        f = from_file(path, valid_from="2024-06-01T00:00Z", role="control")
    assert f["fence_id"].tolist() == ["Bus station", "Park"]
    assert f["role"].tolist() == ["control", "control"]
    assert f["version"].tolist() == [1, 1] and f["buffer_m"].tolist() == [0.0, 0.0]
    assert f.crs.to_epsg() == 27700
    assert "fence_id taken from the name column" in report_of(f).notes


def test_from_file_errors(tmp_path, fence_set):
    with pytest.raises(
        HspworkError, match=r"cannot tell the format of 'f.shp' from its suffix '.shp'"
    ):
        to_file(fence_set, tmp_path / "f.shp")
    with pytest.raises(HspworkError, match=r"no file"):
        from_file(tmp_path / "missing.geojson")
    bad = tmp_path / "bad.csv"
    bad.write_text('fence_id,wkt\na,"POLYGON((0 0, 1 0"\n')
    with pytest.raises(SchemaError, match=r"column 'wkt' holds text that is not WKT"):
        from_file(bad)
    # unquoted, the WKT's comma makes a line with more fields than the header: counted
    bad.write_text("fence_id,wkt\na,POLYGON((0 0, 1 0\n")
    with pytest.raises(HspworkError, match=r"no polygon .*more fields than the header: 1"):
        from_file(bad)
    nowkt = tmp_path / "nowkt.csv"
    nowkt.write_text("fence_id,lon,lat\na,0,51\n")
    with pytest.raises(SchemaError, match=r"has no WKT column"):
        from_file(nowkt)
    pts = tmp_path / "p.geojson"
    gpd.GeoDataFrame({"fence_id": ["x"]}, geometry=[Point(0, 51)], crs=4326).to_file(pts)
    with pytest.raises(HspworkError, match=r"p.geojson holds no polygon .*not a polygon: 1"):
        from_file(pts, valid_from="2024-01-01T00:00Z")


def test_selection_with_list_columns_writes_in_every_format(tmp_path):
    # targeting's Selection.places: place_id, a list of unit ids per place, and figures.
    places = gpd.GeoDataFrame(
        {
            "place_id": [1, 3],
            "unit_ids": [[1, 2], [12]],
            "value": [450.0, 100.0],
            "status": "chosen",
        },
        geometry=[box(530100, 180000, 530300, 180100), box(531200, 180000, 531300, 180100)],
        crs=27700,
    )
    f = make_fences(places, valid_from=T0)
    assert f["fence_id"].tolist() == ["1", "3"]
    for suffix in (".geojson", ".gpkg", ".kml", ".csv"):
        back = from_file(to_file(f, tmp_path / f"sel{suffix}"))
        assert back["fence_id"].tolist() == ["1", "3"]
        np.testing.assert_allclose(back["value"].astype(float), [450.0, 100.0])


def test_fence_times_in_local_offsets_across_the_clock_change():
    # Fence times written with UK local offsets: a version started in summer time (+01:00)
    # and ended in winter time (+00:00). Each carries its zone, so both are read, as UTC.
    raw = gpd.GeoDataFrame(
        {
            "fence_id": ["A", "B"],
            "name": ["A", "B"],
            "role": ["treatment", "control"],
            "valid_from": ["2025-10-01T08:00:00+01:00", "2025-11-03T08:00:00+00:00"],
            "valid_to": ["2025-11-03T08:00:00+00:00", None],
            "version": [1, 1],
            "buffer_m": [0.0, 0.0],
            "notes": ["", ""],
        },
        geometry=[box(0, 0, 100, 100), box(1000, 0, 1100, 100)],
        crs=27700,
    )
    f = check_fences(raw)
    assert [str(t) for t in f["valid_from"]] == [
        "2025-10-01 07:00:00+00:00",
        "2025-11-03 08:00:00+00:00",
    ]
    assert str(f["valid_to"].iloc[0]) == "2025-11-03 08:00:00+00:00"
    # tz-aware Timestamps in Europe/London on both sides of the change, held as objects
    raw["valid_from"] = pd.Series(
        [
            pd.Timestamp("2025-10-01 08:00", tz="Europe/London"),
            pd.Timestamp("2025-11-03 08:00", tz="Europe/London"),
        ],
        dtype=object,
    )
    g = check_fences(raw)
    assert [str(t) for t in g["valid_from"]] == [
        "2025-10-01 07:00:00+00:00",
        "2025-11-03 08:00:00+00:00",
    ]
    # a naive time among zoned ones is still refused, naming the value
    raw["valid_from"] = ["2025-10-01T08:00:00+01:00", "2025-11-03T08:00:00"]
    with pytest.raises(SchemaError, match=r"without a time zone \(e.g. 2025-11-03T08:00:00\)"):
        check_fences(raw)


def test_fence_file_with_a_time_without_zone_is_refused_not_taken_as_utc(tmp_path):
    # GDAL reads a GeoJSON time column with mixed zones as UTC, which would silently take the
    # naive time as UTC. The file is read as text, so the naive time is caught and named.
    raw = gpd.GeoDataFrame(
        {
            "fence_id": ["A", "B"],
            "valid_from": ["2025-07-01T08:00:00+01:00", "2025-07-03T08:00:00"],
        },
        geometry=[box(0, 0, 100, 100), box(1000, 0, 1100, 100)],
        crs=27700,
    )
    path = tmp_path / "naive_among_zoned.geojson"
    raw.to_file(path, driver="GeoJSON")
    with pytest.raises(SchemaError, match=r"without a time zone \(e.g. 2025-07-03T08:00:00\)"):
        from_file(path)
    # zoned on both sides of the clock change: each is its own instant
    raw["valid_from"] = ["2025-10-01T08:00:00+01:00", "2025-11-03T08:00:00+00:00"]
    raw.to_file(path, driver="GeoJSON")
    f = from_file(path)
    assert [str(t) for t in f["valid_from"]] == [
        "2025-10-01 07:00:00+00:00",
        "2025-11-03 08:00:00+00:00",
    ]


def test_unreadable_fence_file_is_named(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(HspworkError, match=r"broken.geojson could not be read as geojson"):
        from_file(path)


def test_undated_file_is_in_force_for_past_pings(tmp_path):
    # A force's own geofence layer has no dates; last month's pings must count against it.
    import pandas as pd

    from hspwork.fences import fences_at

    path = tmp_path / "undated.geojson"
    gpd.GeoDataFrame({"name": ["Market"]}, geometry=[box(0, 0, 100, 100)], crs=27700).to_file(path)
    f = from_file(path, crs=27700)
    assert str(f["valid_from"].iloc[0]) == "1970-01-01 00:00:00+00:00"
    assert "in force since 1970-01-01" in " ".join(report_of(f).notes)
    assert len(fences_at(f, pd.Timestamp("2025-10-01T12:00Z"))) == 1
    later = from_file(path, crs=27700, valid_from="2025-09-01T00:00Z")
    assert len(fences_at(later, pd.Timestamp("2025-08-01T12:00Z"))) == 0


# --------------------------------------------------------------------------------------------
# Saving never loses the saved work (issue 12 item 4)
# --------------------------------------------------------------------------------------------


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".kml", ".csv"])
def test_failed_write_leaves_the_old_file_intact(tmp_path, fence_set, suffix, monkeypatch):
    import hspwork.fences.formats as formats

    path = to_file(fence_set, tmp_path / f"fences{suffix}")
    before = path.read_bytes()

    def half_then_fail(df, target, *args, **kwargs):
        # a writer that gets half way, then the disk fills
        with open(target, "wb") as fh:
            fh.write(before[: len(before) // 2])
        raise OSError("No space left on device")

    monkeypatch.setattr(formats.pyogrio, "write_dataframe", half_then_fail)
    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        to_file(fence_set.assign(notes="edited"), path)
    assert path.read_bytes() == before  # the old file, byte for byte
    assert _listing(tmp_path) == [path.name]  # no temporary file left behind
    monkeypatch.undo()
    assert "edited" not in set(from_file(path)["notes"])


def test_gpkg_driver_failure_on_fid_leaves_the_old_file(tmp_path, fence_set):
    # A layer with a text `fid` column makes GDAL's GeoPackage driver fail (it names its
    # feature-id column fid). Through atomic_write, the failure costs nothing.
    import pyogrio

    from hspwork.io import atomic_write

    path = to_file(fence_set, tmp_path / "fences.gpkg")
    before = path.read_bytes()
    clash = fence_set.to_crs(27700).assign(fid=["a", "b", "c"])
    with pytest.raises(pyogrio.errors.FieldError):
        with atomic_write(path) as tmp:
            pyogrio.write_dataframe(clash, tmp, driver="GPKG", layer="fences")
    assert path.read_bytes() == before
    assert _listing(tmp_path) == ["fences.gpkg"]


def test_gpkg_writes_a_fence_set_with_its_own_fid_column(tmp_path, fence_set):
    # The same text fid column through to_file: written, and read back as a plain column.
    f = fence_set.assign(fid=["q-1", "q-2", "q-3"])
    back = from_file(to_file(f, tmp_path / "fences.gpkg"))
    assert back["fid"].tolist() == ["q-1", "q-2", "q-3"]
    assert_same_set(back, fence_set, 1e-9)


def test_polygons_stay_polygons_in_gpkg_beside_a_multipolygon(tmp_path):
    from shapely.geometry import MultiPolygon

    two_parts = MultiPolygon(
        [box(530500, 180000, 530550, 180050), box(530600, 180000, 530650, 180050)]
    )
    f = make_fences(
        gpd.GeoDataFrame(
            {"p": ["one", "two", "three"]},
            geometry=[
                box(530000, 180000, 530100, 180100),
                two_parts,
                box(531000, 181000, 531010, 181010),
            ],
            crs=27700,
        ),
        id_column="p",
        valid_from=T0,
    )
    back = from_file(to_file(f, tmp_path / "mixed.gpkg"))
    assert back.geom_type.tolist() == ["Polygon", "MultiPolygon", "Polygon"]
    only_polygons = f.iloc[[0, 2]]
    back2 = from_file(to_file(only_polygons, tmp_path / "polys.gpkg"))
    assert back2.geom_type.tolist() == ["Polygon", "Polygon"]


def test_csv_fences_never_raise_raw_pandas_errors(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(HspworkError, match="empty"):
        from_file(empty)
    blank = tmp_path / "blank.csv"
    blank.write_text("\n\n")
    with pytest.raises(HspworkError, match="no header row"):
        from_file(blank)
    header_only = tmp_path / "header.csv"
    header_only.write_text("fence_id,wkt\n")
    with pytest.raises(HspworkError, match="holds no polygon"):
        from_file(header_only)


def test_csv_fences_decode_a_stray_cp1252_byte_and_count_blank_ids(tmp_path):
    wkt = '"POLYGON ((-0.26 52.57, -0.25 52.57, -0.25 52.58, -0.26 52.57))"'
    text = (
        b"fence_id,name,wkt\n"
        + f"A,Café Square,{wkt}\n".encode()
        + f"B,Caf\xe9 Row,{wkt}\n".encode("cp1252")  # one Windows-1252 byte
        + f",no id,{wkt}\n".encode()
        + b"   \n"
    )
    path = tmp_path / "mixed.csv"
    path.write_bytes(text)
    with pytest.warns(DataDroppedWarning):
        f = from_file(path)
    assert f["name"].tolist() == ["Café Square", "Café Row"]  # both decoded right
    rep = report_of(f)
    assert rep.dropped == {"blank line (only spaces)": 1, "no fence_id": 1}
    assert (rep.rows_read, rep.rows_kept) == (4, 2)
    assert any("1 byte(s) on 1 line(s) (line 3)" in n for n in rep.notes)


def test_files_carry_their_own_name_not_the_temporary_one(tmp_path, fence_set):
    import pyogrio

    doc = json.loads(to_file(fence_set, tmp_path / "fences.geojson").read_text())
    assert doc["name"] == "fences"
    assert pyogrio.list_layers(to_file(fence_set, tmp_path / "f.gpkg"))[:, 0].tolist() == ["fences"]

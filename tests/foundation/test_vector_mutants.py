"""Vector files (hspwork.io.vector), worked by hand: the street network's rows accounted for
(read = kept + dropped by reason: no geometry, not a line), the CRS it comes back in, its
warning, and the exact text of each error an analyst sees when a file is missing, a folder or
not readable; GeoParquet told from a plain Parquet table; the doors to the fence formats."""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, MultiLineString, Point, Polygon, box

from hspwork.errors import CRSError, DataDroppedWarning, HspworkError
from hspwork.io.table import TableRead
from hspwork.io.vector import (
    read_fences,
    read_parquet_maybe_geo,
    read_streets,
    read_vector,
    write_fences,
)
from hspwork.report import report_of

HIGH_ST = LineString([(410000, 290000), (410100, 290000)])
RING_RD = MultiLineString(
    [[(410000, 290100), (410050, 290150)], [(410050, 290150), (410100, 290100)]]
)


def network():
    """Six rows: two lines (High St, Ring Rd), two without geometry (None and an empty line) and
    two that are not lines (a bus stop's point and a car park's polygon), on an index that is
    not 0..5."""
    return gpd.GeoDataFrame(
        {"name": ["High St", "bus stop", "gap", "Ring Rd", "empty", "car park"]},
        geometry=[HIGH_ST, Point(410010, 290010), None, RING_RD, LineString(), box(0, 0, 5, 5)],
        crs=27700,
        index=[10, 11, 12, 13, 14, 15],
    )


# ---- read_streets ----------------------------------------------------------------------------


def test_streets_keep_the_lines_and_count_every_other_row_by_reason():
    streets = read_streets(network(), warn=False)
    assert streets["name"].tolist() == ["High St", "Ring Rd"]
    assert streets.index.tolist() == [0, 1]
    assert list(streets.columns) == ["name", "geometry"]  # the old index is not a column
    assert streets.geometry.iloc[0].equals(HIGH_ST) and streets.geometry.iloc[1].equals(RING_RD)
    rep = report_of(streets)
    # by hand: 6 read; "gap" (None) and "empty" have no geometry; the point and the polygon
    # are not lines; 2 kept.
    assert (rep.source, rep.rows_read, rep.rows_kept) == ("table", 6, 2)
    assert rep.dropped == {"no geometry": 2, "not a line": 2}
    assert list(streets.attrs) == ["load_report"]


def test_streets_already_in_metres_stay_as_they_are():
    streets = read_streets(network(), warn=False)
    assert streets.crs.to_epsg() == 27700
    assert streets.geometry.iloc[0].coords[:] == [(410000.0, 290000.0), (410100.0, 290000.0)]


def test_streets_in_longitude_latitude_come_back_in_british_national_grid():
    line = LineString([(-0.1276, 51.5072), (-0.1270, 51.5072)])  # Westminster
    raw = gpd.GeoDataFrame({"name": ["Whitehall"]}, geometry=[line], crs=4326)
    streets = read_streets(raw, warn=False)
    assert streets.crs.to_epsg() == 27700
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    want = [to_bng.transform(x, y) for x, y in line.coords]
    got = streets.geometry.iloc[0].coords[:]
    assert all(abs(a - b) < 1e-6 for p, q in zip(got, want, strict=True) for a, b in zip(p, q))


def test_to_crs_is_the_crs_asked_for():
    streets = read_streets(network(), to_crs=3857, warn=False)
    assert streets.crs.to_epsg() == 3857
    to_web = Transformer.from_crs(27700, 3857, always_xy=True)
    x, y = to_web.transform(410000, 290000)
    got = streets.geometry.iloc[0].coords[0]
    assert abs(got[0] - x) < 1e-6 and abs(got[1] - y) < 1e-6


def test_drops_are_announced_unless_warn_is_false():
    with pytest.warns(DataDroppedWarning) as caught:
        read_streets(network())
    assert [str(w.message) for w in caught] == [
        "table: read 6 rows, kept 2, dropped 4 (no geometry: 2, not a line: 2)"
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_streets(network(), warn=False)
        read_streets(network().iloc[[0, 3]])  # nothing dropped: nothing to say


def test_streets_from_a_file_are_named_by_their_path(tmp_path):
    path = tmp_path / "streets.geojson"
    network().iloc[[0, 1, 3]].to_file(path, driver="GeoJSON")
    for given in (path, str(path)):
        streets = read_streets(given, warn=False)
        rep = report_of(streets)
        assert (rep.source, rep.rows_read, rep.rows_kept) == (str(path), 3, 2)
        assert rep.dropped == {"not a line": 1}
        assert streets["name"].tolist() == ["High St", "Ring Rd"]


def test_a_layer_of_a_geopackage_is_read_by_name(tmp_path):
    path = tmp_path / "os.gpkg"
    network().iloc[[1]].to_file(path, layer="stops", driver="GPKG")
    network().iloc[[0, 3]].to_file(path, layer="roads", driver="GPKG")
    streets = read_streets(path, layer="roads", warn=False)
    assert streets["name"].tolist() == ["High St", "Ring Rd"]


def test_streets_errors_name_the_problem():
    with pytest.raises(HspworkError) as err:
        read_streets(pd.DataFrame({"name": ["High St"]}))
    assert str(err.value) == "read_streets needs a GeoDataFrame of lines (or a vector file)"
    no_crs = gpd.GeoDataFrame({"name": ["High St"]}, geometry=[HIGH_ST])
    with pytest.raises(CRSError, match=r"^table has no CRS\."):
        read_streets(no_crs)


def test_read_streets_options_are_given_by_name_only():
    # read_streets(frame, "roads") would take a layer for the CRS or the CRS for a layer:
    # everything after the input is spelled out.
    with pytest.raises(TypeError):
        read_streets(network(), "roads")


# ---- read_vector -----------------------------------------------------------------------------


def test_read_vector_says_what_is_wrong_with_the_path(tmp_path):
    missing = tmp_path / "streets.geojson"
    with pytest.raises(HspworkError) as err:
        read_vector(missing, None)
    assert str(err.value) == f"{missing} does not exist"
    with pytest.raises(HspworkError) as err:
        read_vector(tmp_path, None)
    assert str(err.value) == f"{tmp_path} is a folder; give the path of one vector file"


def test_read_vector_reads_geoparquet_by_its_suffix(tmp_path):
    for suffix in (".parquet", ".pq", ".PQ"):
        path = tmp_path / f"streets{suffix}"
        network().iloc[[0, 3]].to_parquet(path)
        got = read_vector(path, None)
        assert isinstance(got, gpd.GeoDataFrame) and got.crs.to_epsg() == 27700
        assert got["name"].tolist() == ["High St", "Ring Rd"]


def test_a_file_that_is_not_a_vector_file_is_named(tmp_path):
    path = tmp_path / "streets.geojson"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(HspworkError) as err:
        read_vector(path, None)
    assert str(err.value).startswith(f"{path} could not be read as a vector file: ")
    assert isinstance(err.value.__cause__, Exception)


# ---- read_parquet_maybe_geo ------------------------------------------------------------------


def write_geo_meta(path, meta, geometry):
    table = pa.table({"ref": ["c1"], "geometry": [geometry]})
    pq.write_table(table.replace_schema_metadata({b"geo": json.dumps(meta).encode()}), path)


def test_geoparquet_comes_back_as_points(tmp_path):
    path = tmp_path / "crimes.parquet"
    gpd.GeoDataFrame({"ref": ["c1"]}, geometry=[Point(410000, 290000)], crs=27700).to_parquet(path)
    got = read_parquet_maybe_geo(path)
    assert isinstance(got, gpd.GeoDataFrame) and got.crs.to_epsg() == 27700
    assert got.geometry.iloc[0].equals(Point(410000, 290000))


def test_a_plain_parquet_table_is_read_like_a_csv_export(tmp_path):
    path = tmp_path / "export.parquet"
    pd.DataFrame({" ref ": ["c1", "c2"]}).to_parquet(path)
    got = read_parquet_maybe_geo(path)
    assert isinstance(got, TableRead)
    assert got.frame.to_dict("list") == {"ref": ["c1", "c2"]}  # names stripped as in a CSV
    assert got.bad.tolist() == ["", ""]


def test_geo_metadata_naming_a_column_it_does_not_describe_is_read_as_a_table(tmp_path):
    # The "geo" metadata says the geometry is "geom", but only "geometry" is described:
    # geopandas cannot place it (a KeyError), so the file is read as an ordinary table.
    path = tmp_path / "export.parquet"
    meta = {"version": "1.0.0", "primary_column": "geom", "columns": {"geometry": {}}}
    meta["columns"]["geometry"]["encoding"] = "WKB"
    write_geo_meta(path, meta, Point(1, 2).wkb)
    got = read_parquet_maybe_geo(path)
    assert isinstance(got, TableRead)
    assert got.frame["ref"].tolist() == ["c1"]


def test_a_geoparquet_file_with_broken_geometry_is_named(tmp_path):
    path = tmp_path / "crimes.parquet"
    meta = {"version": "1.0.0", "primary_column": "geometry", "columns": {}}
    meta["columns"]["geometry"] = {"encoding": "WKB"}
    write_geo_meta(path, meta, b"not wkb")
    with pytest.raises(HspworkError) as err:
        read_parquet_maybe_geo(path)
    assert str(err.value).startswith(f"{path} could not be read as Parquet: ")


def test_a_missing_or_corrupt_parquet_file_is_named(tmp_path):
    missing = tmp_path / "crimes.parquet"
    with pytest.raises(HspworkError) as err:
        read_parquet_maybe_geo(missing)
    assert str(err.value) == f"{missing} does not exist"
    missing.write_bytes(b"not parquet at all")
    with pytest.raises(HspworkError) as err:
        read_parquet_maybe_geo(missing)
    assert str(err.value).startswith(f"{missing} could not be read as Parquet: ")


# ---- the fence formats' doors ----------------------------------------------------------------


def test_fences_written_and_read_back_through_the_doors(tmp_path):
    raw = gpd.GeoDataFrame(
        {"name": ["Market", "Station"]},
        geometry=[box(410000, 290000, 410100, 290100), Polygon([(0, 0), (50, 0), (0, 50)])],
        crs=27700,
    )
    fences = read_fences(_write(raw, tmp_path / "in.gpkg"), valid_from="2025-09-01T00:00Z")
    assert fences["fence_id"].tolist() == ["Market", "Station"]
    assert (fences["role"] == "treatment").all()
    out = write_fences(fences, tmp_path / "out.csv")
    assert out == tmp_path / "out.csv" and out.exists()
    out = write_fences(fences, tmp_path / "out.txt", format="geojson")
    assert json.loads(out.read_text())["type"] == "FeatureCollection"
    back = read_fences(out, format="geojson", crs=27700)
    assert back["fence_id"].tolist() == ["Market", "Station"]


def _write(frame, path):
    frame.to_file(path, driver="GPKG")
    return path

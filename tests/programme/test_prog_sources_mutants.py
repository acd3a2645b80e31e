"""Where a programme's data are, at the edges: the paths a source spec names, the sentence an
analyst reads when a path is wrong, and the boundary drawn when a force gives none.

Each folder below is built by hand in a temporary directory, so the files a glob matches and the
names an error lists are known; each boundary is drawn round points on a grid of whole metres in
British National Grid, so its extent is worked out from the grid and the margin.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from hspwork.errors import HspworkError
from hspwork.programme.sources import data_boundary, read_boundary, resolve, resolve_one

RULE_DEFAULT = (
    "the area the crimes cover: the concave hull of their locations (shapely, ratio 0.1), "
    "widened by 250 m"
)


def files(folder, *names):
    """Make each named file (and its folders) under ``folder``; return the folder."""
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    return folder


def points(xy, crs=27700):
    return gpd.GeoDataFrame(geometry=[Point(x, y) for x, y in xy], crs=crs)


def grid(step=100, size=1000, keep=lambda x, y: True):
    """Crime points on a square grid from 0 to ``size`` metres (both edges included)."""
    return [
        (x, y) for x in range(0, size + 1, step) for y in range(0, size + 1, step) if keep(x, y)
    ]


# ---- resolve: what a spec names ----------------------------------------------------------


@pytest.mark.parametrize("spec", [None, "", []])
def test_no_spec_names_no_path(tmp_path, spec):
    # "" is "not given" in a programme file; it must not become the data folder itself
    files(tmp_path, "crimes.csv")
    assert resolve(tmp_path, spec) == []
    assert resolve_one(tmp_path, spec) is None


def test_a_file_and_a_folder_come_back_as_given(tmp_path):
    files(tmp_path, "crimes.csv", "exports/2025-01-street.csv")
    assert resolve(tmp_path, "crimes.csv") == [tmp_path / "crimes.csv"]
    # a folder is not listed here: the readers search it themselves
    assert resolve(str(tmp_path), "exports") == [tmp_path / "exports"]
    assert resolve(tmp_path, ["exports", "crimes.csv"]) == [
        tmp_path / "exports",
        tmp_path / "crimes.csv",
    ]


def test_a_relative_path_is_read_from_the_data_folder_not_the_current_one(tmp_path, monkeypatch):
    data = files(tmp_path / "data", "crimes.csv")
    elsewhere = files(tmp_path / "elsewhere", "other.csv")
    monkeypatch.chdir(elsewhere)
    assert resolve(data, "crimes.csv") == [data / "crimes.csv"]
    # a file of the current folder is not found in the data folder
    with pytest.raises(HspworkError) as caught:
        resolve(data, "other.csv")
    assert str(caught.value) == f"other.csv not found in {data} (it holds crimes.csv)"


def test_an_absolute_path_is_read_as_it_is(tmp_path):
    crimes = files(tmp_path / "exports", "crimes.csv") / "crimes.csv"
    assert resolve(tmp_path / "programme", str(crimes)) == [crimes]


def test_globs_are_expanded_and_sorted(tmp_path):
    files(tmp_path, "2025-02-street.csv", "2025-01-street.csv", "2025-03-street.csv", "notes.txt")
    assert resolve(tmp_path, "*-street.csv") == [
        tmp_path / f"2025-0{m}-street.csv" for m in (1, 2, 3)
    ]
    # each of the three glob characters makes a glob
    assert resolve(tmp_path, "2025-0?-street.csv") == resolve(tmp_path, "*-street.csv")
    assert resolve(tmp_path, "2025-0[13]-street.csv") == [
        tmp_path / "2025-01-street.csv",
        tmp_path / "2025-03-street.csv",
    ]
    # a list is resolved item by item, in its order: the glob's two files, then the note
    assert resolve(tmp_path, ["2025-0[12]-street.csv", "notes.txt"]) == [
        tmp_path / "2025-01-street.csv",
        tmp_path / "2025-02-street.csv",
        tmp_path / "notes.txt",
    ]


def test_two_stars_reach_into_folders_at_any_depth(tmp_path):
    files(tmp_path, "top.csv", "2025/01/deep.csv", "2025/shallow.csv")
    # ** matches no folder, one or two: all three files ("2025/..." sorts before "top.csv")
    assert resolve(tmp_path, "**/*.csv") == [
        tmp_path / "2025/01/deep.csv",
        tmp_path / "2025/shallow.csv",
        tmp_path / "top.csv",
    ]


# ---- resolve: what an analyst reads when a path is wrong ---------------------------------


def test_a_missing_file_names_the_folder_and_what_it_holds(tmp_path):
    files(tmp_path, "b.csv", "a.csv", ".hidden")
    with pytest.raises(HspworkError) as caught:
        resolve(tmp_path, "crimes.csv")
    # sorted, and the hidden file is left out
    assert str(caught.value) == f"crimes.csv not found in {tmp_path} (it holds a.csv, b.csv)"


def test_a_missing_file_in_a_subfolder_names_the_subfolder(tmp_path):
    files(tmp_path, "top.csv", "exports/2025-01.csv")
    with pytest.raises(HspworkError) as caught:
        resolve(tmp_path, "exports/2025-02.csv")
    assert str(caught.value) == (
        f"exports/2025-02.csv not found in {tmp_path / 'exports'} (it holds 2025-01.csv)"
    )
    # a subfolder that is not there either: the data folder is named instead
    with pytest.raises(HspworkError) as caught:
        resolve(tmp_path, "archive/2025-02.csv")
    assert str(caught.value) == (
        f"archive/2025-02.csv not found in {tmp_path} (it holds exports, top.csv)"
    )


def test_a_missing_file_in_an_empty_or_missing_folder(tmp_path):
    with pytest.raises(HspworkError) as caught:
        resolve(tmp_path, "crimes.csv")
    assert str(caught.value) == f"crimes.csv not found in {tmp_path} (it is empty)"
    gone = tmp_path / "gone"
    with pytest.raises(HspworkError) as caught:
        resolve(gone, "crimes.csv")
    assert str(caught.value) == f"crimes.csv not found in {gone} (the folder does not exist)"


def test_a_glob_that_matches_nothing_names_the_folder_it_looked_in(tmp_path):
    files(tmp_path, "exports/2024-12-street.csv", "readme.txt")
    with pytest.raises(HspworkError) as caught:
        resolve(tmp_path, "exports/2025-*.csv")
    # the base is the data folder; what is listed is the glob's own folder
    assert str(caught.value) == (
        f"exports/2025-*.csv matches no file in {tmp_path} (it holds 2024-12-street.csv)"
    )
    with pytest.raises(HspworkError) as caught:
        resolve(tmp_path, "archive/*.csv")
    assert str(caught.value) == (
        f"archive/*.csv matches no file in {tmp_path} (the folder does not exist)"
    )
    # a list stops at its first item that names nothing, even after one that is found
    with pytest.raises(HspworkError, match=r"^\*\.parquet matches no file"):
        resolve(tmp_path, ["readme.txt", "*.parquet"])


@pytest.mark.parametrize(
    ("count", "listed"),
    [
        # eight names are listed in full, with no count
        (8, "f1.csv, f2.csv, f3.csv, f4.csv, f5.csv, f6.csv, f7.csv, f8.csv"),
        # the ninth is left out and the count said instead
        (9, "f1.csv, f2.csv, f3.csv, f4.csv, f5.csv, f6.csv, f7.csv, f8.csv, ... (9 in all)"),
        (10, "f1.csv, f10.csv, f2.csv, f3.csv, f4.csv, f5.csv, f6.csv, f7.csv, ... (10 in all)"),
    ],
)
def test_a_full_folder_lists_its_first_eight_names(tmp_path, count, listed):
    files(tmp_path, *(f"f{i}.csv" for i in range(1, count + 1)))
    with pytest.raises(HspworkError) as caught:
        resolve(tmp_path, "crimes.csv")
    assert str(caught.value) == f"crimes.csv not found in {tmp_path} (it holds {listed})"


# ---- resolve_one: one path as itself, else a list ----------------------------------------


def test_one_named_path_comes_back_as_itself(tmp_path):
    files(tmp_path, "crimes.csv", "exports/2025-01.csv", "exports/2025-02.csv")
    assert resolve_one(tmp_path, "crimes.csv") == tmp_path / "crimes.csv"
    assert resolve_one(tmp_path, "exports") == tmp_path / "exports"


def test_a_glob_or_a_list_comes_back_as_a_list_even_of_one(tmp_path):
    files(tmp_path, "crimes.csv", "exports/2025-01.csv", "exports/2025-02.csv")
    # a glob of one match is still a list: next month it may match two
    assert resolve_one(tmp_path, "crime?.csv") == [tmp_path / "crimes.csv"]
    assert resolve_one(tmp_path, ["crimes.csv"]) == [tmp_path / "crimes.csv"]
    assert resolve_one(tmp_path, "exports/*.csv") == [
        tmp_path / "exports/2025-01.csv",
        tmp_path / "exports/2025-02.csv",
    ]
    assert resolve_one(tmp_path, ["crimes.csv", "exports"]) == [
        tmp_path / "crimes.csv",
        tmp_path / "exports",
    ]


# ---- data_boundary: the area the crimes cover --------------------------------------------


def test_the_boundary_of_a_square_of_crimes_is_the_square_widened(tmp_path):
    area, how = data_boundary(points(grid()))
    # the 1 km square, widened by the default 250 m on every side (round corners do not
    # change the extent)
    assert area.total_bounds.tolist() == [-250.0, -250.0, 1250.0, 1250.0]
    assert how == RULE_DEFAULT
    assert area["name"].tolist() == ["data extent"]
    assert len(area) == 1 and area.crs.to_epsg() == 27700


def test_the_sentence_says_the_ratio_and_margin_given():
    area, how = data_boundary(points(grid()), ratio=0.3, margin_m=99.6)
    assert how == (
        "the area the crimes cover: the concave hull of their locations (shapely, ratio 0.3), "
        "widened by 100 m"
    )
    assert area.total_bounds.tolist() == pytest.approx([-99.6, -99.6, 1099.6, 1099.6])


def test_the_hull_follows_a_u_shaped_town_rather_than_filling_it():
    # a U: two arms 100 m wide up the sides and a 100 m strip along the bottom; the arms and
    # strip hold 2 x 100 x 1000 + 800 x 100 = 280,000 m2, the convex hull 1,000,000 m2
    u = points(grid(keep=lambda x, y: not (200 <= x <= 800 and y >= 200)))
    area, _ = data_boundary(u, margin_m=0)
    assert 280_000 <= float(area.area.iloc[0]) < 300_000
    assert area.total_bounds.tolist() == [0.0, 0.0, 1000.0, 1000.0]


def test_a_margin_that_erodes_the_hull_away_falls_back_to_the_convex_hull():
    # shrinking the 100 m arms by 100 m leaves nothing; the convex hull (the 1 km square)
    # shrunk by 100 m on every side is an 800 m square: 640,000 m2
    u = points(grid(keep=lambda x, y: not (200 <= x <= 800 and y >= 200)))
    area, _ = data_boundary(u, margin_m=-100)
    assert not area.geometry.iloc[0].is_empty
    assert float(area.area.iloc[0]) == pytest.approx(640_000)
    assert area.total_bounds.tolist() == [100.0, 100.0, 900.0, 900.0]


def test_the_ratio_and_margin_are_given_by_name():
    # data_boundary(crimes, 250, 0.1) would be a ratio of 250 and a margin of 0.1 m: refused
    with pytest.raises(TypeError):
        data_boundary(points(grid()), 0.3)
    area, _ = data_boundary(crimes=points(grid()), margin_m=0)
    assert area.total_bounds.tolist() == [0.0, 0.0, 1000.0, 1000.0]


def test_locations_are_rounded_to_the_metre():
    # the far corner at 1004.6 m is 1005 m rounded to the metre (not 1004.6, nor 1000 to ten
    # metres); widened by 10 m: 1015 m
    area, _ = data_boundary(
        points([(0, 0), (1004.6, 0), (0, 1004.6), (1004.6, 1004.6)]), margin_m=10
    )
    assert area.total_bounds.tolist() == [-10.0, -10.0, 1015.0, 1015.0]


def test_eastings_and_northings_are_not_swapped():
    # a town whose eastings are all larger than its northings: 5 to 6 km east, 0 to 1 km north
    town = points([(5000 + x, y) for x, y in grid()])
    area, _ = data_boundary(town, margin_m=0)
    assert area.total_bounds.tolist() == [5000.0, 0.0, 6000.0, 1000.0]


def test_the_margin_is_in_metres_whatever_the_crs_unit():
    # New York's state plane is in US feet: 250 m is 250 / 0.3048006096 = 820.208 ft
    area, _ = data_boundary(points(grid(), crs=2263))
    assert area.total_bounds.tolist() == pytest.approx([-820.208, -820.208, 1820.208, 1820.208])


@pytest.mark.parametrize(
    ("xy", "n"),
    [
        # two crime locations and a third with an infinite northing (not a place): 2 count
        ([(0, 0), (100, 0), (100, np.inf)], 2),
        ([(0, 0), (100, 0)], 2),
        ([(0, 0)], 1),
        ([], 0),
    ],
)
def test_fewer_than_three_crime_locations_cannot_outline_an_area(xy, n):
    with pytest.raises(HspworkError) as caught:
        data_boundary(points(xy))
    assert str(caught.value) == f"{n} crime location(s) cannot outline an area; give boundary_path"


def test_three_crime_locations_outline_a_triangle():
    area, _ = data_boundary(points([(0, 0), (600, 0), (0, 300)]), margin_m=0)
    # half of 600 x 300
    assert float(area.area.iloc[0]) == pytest.approx(90_000)


def test_longitudes_and_latitudes_are_refused():
    crimes = points([(-0.27, 52.58), (-0.26, 52.58), (-0.26, 52.57)], crs=4326)
    with pytest.raises(HspworkError) as caught:
        data_boundary(crimes)
    assert str(caught.value) == "crimes must be in a projected CRS to draw a boundary (metres)"


# ---- read_boundary: the programme's own file, or the area the crimes cover ---------------


def test_no_boundary_file_draws_the_area_the_crimes_cover(tmp_path):
    area, how = read_boundary(tmp_path, "", points(grid()))
    assert how == RULE_DEFAULT
    assert area.total_bounds.tolist() == [-250.0, -250.0, 1250.0, 1250.0]


def test_boundary_files_are_read_into_the_crimes_crs(tmp_path):
    # two 1 km squares of Sampleton, one saved in British National Grid and the one south of
    # it in longitude/latitude (GeoJSON's own CRS); the crimes are in British National Grid
    north = box(500_000, 300_000, 501_000, 301_000)
    south = box(500_000, 299_000, 501_000, 300_000)
    gpd.GeoDataFrame(geometry=[north], crs=27700).to_file(tmp_path / "north.gpkg")
    gpd.GeoDataFrame(geometry=[south], crs=27700).to_crs(4326).to_file(tmp_path / "south.geojson")
    crimes = points(grid())
    area, how = read_boundary(tmp_path, ["north.gpkg", "south.geojson"], crimes)
    assert how == "the boundary file north.gpkg, south.geojson"
    assert len(area) == 2 and area.crs.to_epsg() == 27700
    # back in metres: the two squares together run 2 km north from 299 km
    assert area.total_bounds.tolist() == pytest.approx([500_000, 299_000, 501_000, 301_000], abs=1)
    area, how = read_boundary(tmp_path, "north.gpkg", crimes)
    assert how == "the boundary file north.gpkg" and len(area) == 1


def test_a_boundary_file_without_a_crs_is_refused(tmp_path):
    gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)], crs=27700).to_file(tmp_path / "north.gpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the writer's own warning that there is no CRS
        gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)]).to_file(tmp_path / "area.shp")
    with pytest.raises(HspworkError) as caught:
        read_boundary(tmp_path, ["north.gpkg", "area.shp"], points(grid()))
    assert str(caught.value) == (
        f"boundary {tmp_path / 'area.shp'} has no CRS; save it with one "
        "(GeoJSON is WGS84 by definition)"
    )

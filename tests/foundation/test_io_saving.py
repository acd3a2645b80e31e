"""Everything the loaders return saves as it is; reports and the pings' CRS survive."""

import json
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import hspwork
from hspwork.errors import CRSError, HspworkError
from hspwork.io import ping_crs, read_crimes, read_pings, set_ping_crs
from hspwork.report import LoadReport, report_of

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def loader_outputs():
    """Every loader's output on the sample (name -> frame)."""
    return {
        "police.uk": quiet(read_crimes, SAMPLE / "crimes_police_uk.csv"),
        "force export": quiet(
            read_crimes,
            SAMPLE / "crimes_force.csv",
            tz="Europe/London",
            crs=27700,
            harm="cambridge",
        ),
        "app pings": quiet(
            read_pings, SAMPLE / "pings_app_week.csv", source="app", tz="Europe/London"
        ),
        "radio pings": quiet(read_pings, SAMPLE / "pings_radio.parquet", source="radio", crs=27700),
        "streets": quiet(hspwork.read_streets, SAMPLE / "streets.geojson"),
        "fences": quiet(hspwork.read_fences, SAMPLE / "hotspots.geojson", crs=27700),
        "table": hspwork.read_table(SAMPLE / "tasking_plan.csv"),
    }


@pytest.fixture(scope="module")
def outputs():
    return loader_outputs()


@pytest.mark.parametrize(
    "name",
    ["police.uk", "force export", "app pings", "radio pings", "streets", "fences", "table"],
)
def test_every_loader_output_saves_to_parquet_as_it_is(tmp_path, outputs, name):
    frame = outputs[name]
    json.dumps(frame.attrs)  # JSON-native: nothing for a writer to choke on
    path = tmp_path / "out.parquet"
    frame.to_parquet(path)  # was: TypeError: Object of type LoadReport is not JSON serializable
    back = gpd.read_parquet(path) if isinstance(frame, gpd.GeoDataFrame) else pd.read_parquet(path)
    assert len(back) == len(frame)
    assert report_of(back) == report_of(frame)  # the report comes back from the file


@pytest.mark.parametrize("name", ["police.uk", "force export", "streets", "fences"])
def test_every_geo_loader_output_saves_with_to_file(tmp_path, outputs, name):
    # the first rows carry every column, dtype and the attrs; GDAL's speed is not under test
    frame = outputs[name].head(2000)
    assert frame.attrs == outputs[name].attrs
    for suffix in (".gpkg", ".geojson"):
        path = tmp_path / f"out{suffix}"
        frame.to_file(path)
        assert len(gpd.read_file(path)) == len(frame)


def test_an_archive_folder_read_saves_with_its_per_file_report(tmp_path):
    src = pd.read_csv(SAMPLE / "crimes_police_uk.csv", dtype=str, keep_default_na=False)
    for month in ("2024-01", "2024-02"):
        d = tmp_path / "archive" / month
        d.mkdir(parents=True)
        src[src["Month"] == month].to_csv(d / f"{month}-sampleton-street.csv", index=False)
    crimes = quiet(read_crimes, tmp_path / "archive")
    crimes.to_parquet(tmp_path / "c.parquet")
    back = report_of(gpd.read_parquet(tmp_path / "c.parquet"))
    assert len(back.parts) == 2 and back == report_of(crimes)
    assert (
        back.by_file()["rows_read"].sum()
        == ((src["Month"] == "2024-01") | (src["Month"] == "2024-02")).sum()
    )


def test_load_report_json_round_trip_and_refusals():
    a = LoadReport("a.csv", 3, 2, {"no location": 1}, notes=("n",))
    b = LoadReport("b.csv", 2, 2)
    whole = LoadReport("2 files", 5, 4, {"no location": 1}, parts=(a, b))
    d = whole.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert LoadReport.from_dict(d) == whole
    assert LoadReport.from_dict(whole) is whole
    with pytest.raises(HspworkError, match="not a load report"):
        LoadReport.from_dict({"rows": 3})
    with pytest.raises(HspworkError, match="not a consistent load report"):
        LoadReport.from_dict({"source": "x", "rows_read": 3, "rows_kept": 1})
    with pytest.raises(HspworkError, match=r"carries no 'load_report' \(its attrs hold nothing\)"):
        report_of(pd.DataFrame())
    other = pd.DataFrame()
    other.attrs["x"] = 1
    with pytest.raises(HspworkError, match=r"carries no 'count_report' \(its attrs hold \['x'\]"):
        report_of(other, "count_report")


# --------------------------------------------------------------------------------------------
# The pings' CRS in the data
# --------------------------------------------------------------------------------------------


def test_the_pings_crs_survives_filter_concat_and_parquet(tmp_path, outputs):
    app, radio = outputs["app pings"], outputs["radio pings"]
    assert app["crs"].dtype == "category" and app["crs"].cat.categories.tolist() == ["EPSG:27700"]
    assert app["crs"].memory_usage(index=False, deep=False) < len(app) + 1_000  # 1 byte a row
    one_day = app[app["time"] < app["time"].min() + pd.Timedelta(days=1)]
    assert ping_crs(one_day).to_epsg() == 27700
    both = pd.concat([app, radio], ignore_index=True)  # pandas drops attrs here; not the column
    assert both.attrs == {} and ping_crs(both).to_epsg() == 27700
    assert both["crs"].dtype == "category"
    path = tmp_path / "pings.parquet"
    both.to_parquet(path)
    back = pd.read_parquet(path)
    assert ping_crs(back).to_epsg() == 27700
    # a saved pings file reads back through the loader, its CRS from its own column
    again = quiet(read_pings, path, source="radio")
    assert ping_crs(again).to_epsg() == 27700 and len(again) == len(both.drop_duplicates())


def test_ping_crs_rules():
    p = pd.DataFrame({"x": [530000.0, 530001.0], "y": [180000.0, 180001.0]})
    with pytest.raises(CRSError, match=r"the pings have no CRS.*pass crs=.*set_ping_crs"):
        ping_crs(p)
    assert ping_crs(p, crs=27700).to_epsg() == 27700  # crs= when there is no column
    q = set_ping_crs(p, "EPSG:27700")
    assert ping_crs(q).to_epsg() == 27700
    assert ping_crs(q, crs="EPSG:27700").to_epsg() == 27700  # agreeing is fine
    with pytest.raises(CRSError, match=r"holds EPSG:27700, which is not crs='EPSG:2157'"):
        ping_crs(q, crs="EPSG:2157")
    mixed = pd.concat([q, set_ping_crs(p, 2157)], ignore_index=True)
    with pytest.raises(CRSError, match=r"2 CRSs \(EPSG:27700, EPSG:2157\).*same to_crs="):
        ping_crs(mixed)
    # filtering away one CRS leaves the other, whatever categories remain
    assert ping_crs(mixed.iloc[2:]).to_epsg() == 2157
    gap = pd.concat([q, p], ignore_index=True)
    with pytest.raises(CRSError, match=r"2 ping row\(s\) have no value in the crs column"):
        ping_crs(gap)
    plain_text = p.assign(crs="EPSG:27700")  # an ordinary text column works too
    assert ping_crs(plain_text).to_epsg() == 27700
    with pytest.raises(CRSError, match="is not a CRS pyproj knows"):
        ping_crs(p.assign(crs="EPSG:99999"))


def test_attrs_crs_still_read_for_a_release_with_a_warning():
    p = pd.DataFrame({"x": [1.0], "y": [2.0]})
    p.attrs["crs"] = "EPSG:27700"
    with pytest.warns(FutureWarning, match=r"attrs\['crs'\] is deprecated.*set_ping_crs"):
        assert ping_crs(p).to_epsg() == 27700
    # the column wins: attrs are never read when it is there
    q = set_ping_crs(p, 2157)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ping_crs(q).to_epsg() == 2157


def test_a_saved_pings_file_disagreeing_with_crs_is_refused(tmp_path, outputs):
    path = tmp_path / "pings.parquet"
    outputs["radio pings"].to_parquet(path)
    with pytest.raises(CRSError, match=r"its crs column says EPSG:27700 but crs='EPSG:2157'"):
        read_pings(path, source="radio", crs=2157)

"""Fuzzing the loaders with files as careless suppliers write them.

Two invariants on every generated file: rows read = rows kept + rows dropped, with rows read
counted independently (the non-empty lines after the header); and no exception escapes but
those of :mod:`hspwork.errors`. Examples are bounded so the suite stays quick.
"""

import tempfile
import warnings
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hspwork import crs as crs_policy
from hspwork.errors import HspworkError
from hspwork.io import read_crimes, read_fences, read_pings
from hspwork.report import report_of

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)

STREET_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)
FORCE_HEADER = "crime_ref,offence,committed_from,committed_to,easting,northing"
PING_HEADER = "collar_no,recorded_at,latitude,longitude,speed_kmh"

MONTHS = ["2024-05", "2024-06", "9999-12", "2024-13", "", "0000-00", "May 2024", "1899-12"]
LONS = ["-1.900", "-1.91", "179.9", "", "abc", "0", "1e400", "-0.260", "nan", "inf", "-200"]
LATS = ["52.480", "52.49", "-89.9", "90", "", "0", "x", "90.0001"]
TIMES = [
    "2025-03-01 10:00",
    "2025-03-01 10:00+01",
    "2025-07-01T09:00:00Z",
    "9999-12-31 00:00",
    "2025-02-30 10:00",
    "26/10/2025 01:30",
    "2025-03-30 01:30",  # skipped by the spring change
    "2025-10-26 01:30",  # happens twice in October
    "",
    "soon",
    "1200-01-01",
    "2025-03-01T10:00:00-05:00",
]
EASTINGS = ["410000", "410100", "", "9999999", "abc", "0", "-5"]
NORTHINGS = ["290000", "290100", "", "-1", "0", "1e9"]
TEXT = ["", "On or near A", "Café", "x", "Park Lane", "£5", "=SUM(A1)"]
OFFENCES = ["Robbery", "Burglary", "", "Anti-social behaviour", "Drugs"]
OFFICERS = ["0003296", "3296", "3296.0", "", "PC07", "41"]
IDS = ["", "a1", "a2", "a3", "C1"]


def _line(values):
    return ",".join(values)


def _file_text(header, rows, cuts, blank_lines, extra, final_break):
    """Build the file; return its bytes and the number of non-empty lines after the header."""
    lines = []
    for i, r in enumerate(rows):
        text = _line(r)
        if i in cuts and len(text) > 1:
            text = text[: max(1, len(text) // 2)]  # a line cut short
        if i in extra:
            text += ",surplus"
        lines.append(text)
    for b in blank_lines:
        lines.insert(min(b, len(lines)), " " * (1 + b % 3))
    body = "\n".join(lines)
    text = header + "\n" + body + ("\n" if final_break and lines else "")
    return text, sum(1 for line in lines if line != "")


def _encode(text, cp1252):
    if not cp1252:
        return text.encode("utf-8")
    # a supplier's file: UTF-8 except the lines an old tool wrote in Windows-1252
    out = []
    for i, line in enumerate(text.split("\n")):
        out.append(line.encode("cp1252", errors="replace") if i % 2 else line.encode())
    return b"\n".join(out)


def rows_of(columns):
    return st.lists(st.tuples(*[st.sampled_from(c) for c in columns]), max_size=10)


layout = st.fixed_dictionaries(
    {
        "cuts": st.sets(st.integers(0, 9), max_size=2),
        "blank": st.lists(st.integers(0, 10), max_size=2),
        "extra": st.sets(st.integers(0, 9), max_size=2),
        "final_break": st.booleans(),
        "cp1252": st.booleans(),
    }
)


def _write(text, cp1252):
    folder = Path(tempfile.mkdtemp())
    path = folder / "export.csv"
    path.write_bytes(_encode(text, cp1252))
    return path


def _check(read, path, n_lines):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            frame = read(path)
        except HspworkError:
            return None  # a refusal that names the problem is allowed; anything else fails
    rep = report_of(frame)
    assert rep.rows_read == n_lines
    assert rep.rows_kept == len(frame)
    assert rep.rows_kept + sum(rep.dropped.values()) == rep.rows_read
    return frame


def _in_gb(frame):
    g = frame.geometry.to_crs(4326)
    return bool(crs_policy.in_great_britain(g.x.to_numpy(), g.y.to_numpy()).all())


street_rows = rows_of(
    [IDS, MONTHS, ["F"], ["F"], LONS, LATS, TEXT, ["E01"], TEXT, OFFENCES, TEXT, TEXT]
)


@FUZZ
@given(rows=street_rows, how=layout)
def test_police_uk_files_never_crash_and_count_every_line(rows, how):
    text, n = _file_text(
        STREET_HEADER, rows, how["cuts"], how["blank"], how["extra"], how["final_break"]
    )
    crimes = _check(read_crimes, _write(text, how["cp1252"]), n)
    if crimes is not None and len(crimes):
        assert crimes.crs.is_projected
        if crimes.crs.to_epsg() == 27700:  # the Great Britain rule: nothing kept outside it
            assert _in_gb(crimes)
        assert crimes["occurred_from"].notna().all()
        assert (crimes["occurred_to"] > crimes["occurred_from"]).all()


force_rows = rows_of([IDS, OFFENCES, TIMES, TIMES, EASTINGS, NORTHINGS])


@FUZZ
@given(rows=force_rows, how=layout)
def test_force_exports_never_crash_and_count_every_line(rows, how):
    text, n = _file_text(
        FORCE_HEADER, rows, how["cuts"], how["blank"], how["extra"], how["final_break"]
    )
    path = _write(text, how["cp1252"])
    crimes = _check(lambda p: read_crimes(p, tz="Europe/London", crs=27700), path, n)
    if crimes is not None and len(crimes):
        assert (crimes["occurred_to"] >= crimes["occurred_from"]).all()
        x, y = crimes.geometry.x.to_numpy(), crimes.geometry.y.to_numpy()
        assert np.isfinite(x).all() and (y >= -100_000).all() and (y <= 1_400_000).all()


ping_rows = rows_of([OFFICERS, TIMES, LATS, LONS, ["3.6", "", "fast", "-1"]])


@FUZZ
@given(rows=ping_rows, how=layout)
def test_ping_exports_never_crash_and_count_every_line(rows, how):
    text, n = _file_text(
        PING_HEADER, rows, how["cuts"], how["blank"], how["extra"], how["final_break"]
    )
    path = _write(text, how["cp1252"])
    pings = _check(lambda p: read_pings(p, source="app", tz="Europe/London"), path, n)
    if pings is not None and len(pings):
        assert pings["time"].notna().all()
        assert pings["officer"].str.match(r"^(?!0\d)").all()  # no leading zeros left
        assert len(pings["crs"].cat.categories) == 1


WKT = [
    '"POLYGON ((-0.26 52.57, -0.25 52.57, -0.25 52.58, -0.26 52.57))"',
    '"POINT (-0.26 52.57)"',
    "",
    "not wkt",
]


@FUZZ
@given(rows=rows_of([IDS, TEXT, WKT]), how=layout)
def test_fence_csv_never_raises_raw_errors(rows, how):
    text, n = _file_text(
        "fence_id,name,wkt", rows, set(), how["blank"], how["extra"], how["final_break"]
    )
    _check(lambda p: read_fences(p), _write(text, how["cp1252"]), n)


@FUZZ
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_are_refused_by_name_or_read(data):
    path = Path(tempfile.mkdtemp()) / "junk.csv"
    path.write_bytes(data)
    for read in (
        read_crimes,
        lambda p: read_crimes(p, tz="UTC", crs=27700),
        lambda p: read_pings(p, source="radio", tz="UTC", crs=27700),
        read_fences,
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                read(path)
            except HspworkError:
                pass

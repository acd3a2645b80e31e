"""Gaps in the pings' ``crs`` column rules that mutation testing found: missing values in a
categorical or a text column, and where the deprecation warning points."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

from hspwork.errors import CRSError
from hspwork.io import ping_crs, set_ping_crs

XY = {"x": [530000.0, 530001.0], "y": [180000.0, 180001.0]}


def test_a_categorical_column_with_a_missing_row_is_refused_as_missing():
    # Codes [0, -1]: one named CRS and one row without; -1 is not the last category.
    p = set_ping_crs(pd.DataFrame(XY), 27700)
    p["crs"] = pd.Categorical.from_codes([0, -1], categories=["EPSG:27700"])
    with pytest.raises(CRSError, match=r"^1 ping row\(s\) have no value in the crs column"):
        ping_crs(p)


@pytest.mark.parametrize("gap", [None, np.nan])
def test_a_text_column_with_a_missing_row_is_refused_as_missing(gap):
    p = pd.DataFrame(XY).assign(crs=pd.Series(["EPSG:27700", gap], dtype=object))
    with pytest.raises(CRSError, match=r"^1 ping row\(s\) have no value in the crs column"):
        ping_crs(p)


def test_a_text_column_without_gaps_is_read():
    p = pd.DataFrame(XY).assign(crs=pd.Series(["EPSG:2157", "EPSG:2157"], dtype=object))
    assert ping_crs(p).to_epsg() == 2157


def test_crs_given_alone_is_used():
    assert ping_crs(pd.DataFrame(XY), crs="EPSG:2157").to_epsg() == 2157


def test_three_crss_are_counted():
    p = pd.DataFrame(XY)
    mixed = pd.concat(
        [set_ping_crs(p, 27700), set_ping_crs(p, 2157), set_ping_crs(p, 32630)],
        ignore_index=True,
    )
    with pytest.raises(CRSError, match=r"holds 3 CRSs \(EPSG:27700, EPSG:2157, EPSG:32630\)"):
        ping_crs(mixed)


def _library_call(pings):
    """Stands for a library function that reads the pings' CRS."""
    return ping_crs(pings)


def test_the_attrs_warning_points_at_the_callers_line():
    p = pd.DataFrame(XY)
    p.attrs["crs"] = "EPSG:27700"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        assert _library_call(p).to_epsg() == 27700
    (w,) = [c for c in caught if issubclass(c.category, FutureWarning)]
    assert (w.filename, w.lineno) == (__file__, line)


def test_no_attrs_and_no_column_is_refused_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CRSError, match=r"^the pings have no CRS"):
            ping_crs(pd.DataFrame(XY))

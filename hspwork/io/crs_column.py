"""The pings' CRS, carried in the data: a one-category ``crs`` column.

Pings are a plain DataFrame of ``x``/``y`` numbers, so their CRS cannot live in a geometry.
``DataFrame.attrs`` is lost by ``pd.concat`` and is not checked by anything, so the loaders put
the CRS in a categorical ``crs`` column instead (one category such as ``"EPSG:27700"``: one byte
per row). It survives filtering, sorting, ``pd.concat`` of two loaders' outputs and a Parquet
round trip, and :func:`ping_crs` is the one reader of it that the library uses.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pyproj import CRS

from hspwork.errors import CRSError

__all__ = ["CRS_COLUMN", "crs_label", "ping_crs", "set_ping_crs"]

#: Name of the column holding the pings' CRS.
CRS_COLUMN = "crs"


def crs_label(crs) -> str:
    """The text stored for a CRS: its authority code (``"EPSG:27700"``), else its WKT."""
    c = CRS.from_user_input(crs)
    auth = c.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else c.to_wkt()


def _parse(value, what: str) -> CRS:
    try:
        return CRS.from_user_input(value)
    except Exception:  # pyproj raises its own CRSError
        raise CRSError(
            f"{what} {value!r} is not a CRS pyproj knows; give an EPSG code such as "
            "'EPSG:27700' (British National Grid)"
        ) from None


def _column_values(values: pd.Series) -> list:
    """The distinct values present in the column (unused categories are not present)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        present = np.unique(codes)
        cats = values.cat.categories
        out = [cats[c] for c in present if c >= 0]
        return out + ([None] if (present < 0).any() else [])
    uniq = pd.unique(values.to_numpy(dtype=object))
    return [None if (u is None or (isinstance(u, float) and np.isnan(u))) else u for u in uniq]


def ping_crs(pings: pd.DataFrame, crs=None) -> CRS:
    """The CRS of a pings frame's ``x`` and ``y``: ``crs=``, or the frame's ``crs`` column.

    Parameters
    ----------
    pings : DataFrame
        Pings as :func:`hspwork.read_pings` returns them (or built by hand, with
        :func:`set_ping_crs`).
    crs : CRS-like, optional
        The CRS, when the frame has no ``crs`` column. When both exist they must agree.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        When ``crs=`` and the column disagree; when the column holds two CRSs (pings read into
        different CRSs and concatenated) or has rows without one; when neither is given.

    Examples
    --------
    >>> import pandas as pd
    >>> p = set_ping_crs(pd.DataFrame({"x": [530000.0], "y": [180000.0]}), "EPSG:27700")
    >>> ping_crs(p).to_epsg(), p["crs"].dtype.name
    (27700, 'category')
    >>> ping_crs(pd.concat([p, p[p["x"] > 0]])).to_epsg()  # survives filter and concat
    27700
    >>> ping_crs(p, crs="EPSG:4326")
    Traceback (most recent call last):
    ...
    hspwork.errors.CRSError: the pings' crs column holds EPSG:27700, which is not crs='EPSG:4326'; the column says what x and y are in: drop crs=, or convert the pings
    """
    given = None if crs is None else _parse(crs, "crs=")
    if CRS_COLUMN in getattr(pings, "columns", ()):
        present = _column_values(pings[CRS_COLUMN])
        missing = None in present
        named = [v for v in present if v is not None]
        if len(named) > 1:
            raise CRSError(
                f"the pings' crs column holds {len(named)} CRSs ({', '.join(map(str, named))}): "
                "pings read into different CRSs were put together. Read every file with the same "
                "to_crs= (e.g. read_pings(..., to_crs='EPSG:27700')) before concatenating"
            )
        if missing:
            n = int(pings[CRS_COLUMN].isna().sum())
            raise CRSError(
                f"{n} ping row(s) have no value in the crs column (a frame without the column was "
                "concatenated in?); set it for every row with hspwork.io.set_ping_crs(pings, crs)"
            )
        if named:
            found = _parse(named[0], "the pings' crs column value")
            if given is not None and not given.equals(found):
                raise CRSError(
                    f"the pings' crs column holds {named[0]}, which is not crs={crs!r}; the "
                    "column says what x and y are in: drop crs=, or convert the pings"
                )
            return found
    if given is not None:
        return given
    legacy = getattr(pings, "attrs", {}).get("crs")
    if legacy is not None:
        warnings.warn(
            "pings.attrs['crs'] is deprecated and will stop being read in the next release "
            "(pandas loses attrs in pd.concat): put the CRS in the data with "
            "hspwork.io.set_ping_crs(pings, crs), or pass crs=",
            FutureWarning,
            stacklevel=3,
        )
        return _parse(legacy, "pings.attrs['crs']")
    raise CRSError(
        "the pings have no CRS: a frame from read_pings carries it in its 'crs' column; for a "
        "frame built by hand pass crs= (e.g. crs='EPSG:27700'), or add the column with "
        "hspwork.io.set_ping_crs(pings, 'EPSG:27700')"
    )


def set_ping_crs(pings: pd.DataFrame, crs) -> pd.DataFrame:
    """A copy of ``pings`` with a one-category ``crs`` column saying what ``x``/``y`` are in.

    This declares the CRS; it does not move the points (read them with ``to_crs=`` for that).

    Examples
    --------
    >>> import pandas as pd
    >>> set_ping_crs(pd.DataFrame({"x": [1.0, 2.0]}), 27700)["crs"].tolist()
    ['EPSG:27700', 'EPSG:27700']
    """
    label = crs_label(_parse(crs, "crs="))
    out = pings.copy()
    out[CRS_COLUMN] = pd.Categorical.from_codes(
        np.zeros(len(out), dtype=np.int8), categories=[label]
    )
    return out

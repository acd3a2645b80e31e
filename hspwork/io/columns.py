"""Column names: the spellings forces use, mapped to the contract's names; text and numbers.

Exports name the same thing many ways (``Collar No``, ``collar_number``, ``Officer ID``...).
:func:`resolve` maps a file's columns to the contract's names: the user's ``columns=`` mapping
first, then the first alias found (compared after lower-casing and turning anything but letters
and digits into ``_``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from hspwork.errors import SchemaError

CRIME_ALIASES: dict[str, tuple[str, ...]] = {
    "crime_id": (
        "crime_id",
        "crime_ref",
        "crime_reference",
        "reference",
        "ref",
        "urn",
        "crime_no",
        "crime_number",
        "occurrence_id",
        "incident_id",
        "id",
    ),
    "offence": (
        "offence",
        "offence_group",
        "offence_type",
        "crime_type",
        "offence_description",
        "offence_desc",
        "category",
        "crime_category",
    ),
    "occurred_from": (
        "occurred_from",
        "committed_from",
        "date_from",
        "from_date",
        "from",
        "start",
        "first_committed",
        "occurred_start",
        "from_datetime",
    ),
    "occurred_to": (
        "occurred_to",
        "committed_to",
        "date_to",
        "to_date",
        "to",
        "end",
        "last_committed",
        "occurred_end",
        "to_datetime",
    ),
    "occurred": (
        "occurred",
        "occurred_at",
        "datetime",
        "date_time",
        "timestamp",
        "committed",
        "offence_date",
        "date",
    ),
    "x": ("easting", "eastings", "x", "x_coordinate", "grid_x", "x_coord"),
    "y": ("northing", "northings", "y", "y_coordinate", "grid_y", "y_coord"),
    "lon": ("longitude", "lon", "lng", "long"),
    "lat": ("latitude", "lat"),
}

PING_ALIASES: dict[str, tuple[str, ...]] = {
    "officer": (
        "officer",
        "collar_no",
        "collar_number",
        "collar",
        "officer_id",
        "user",
        "user_id",
        "staff_id",
        "warrant_no",
        "callsign",
        "device_id",
        "issi",
    ),
    "time": (
        "time",
        "timestamp",
        "recorded_at",
        "datetime",
        "date_time",
        "gps_time",
        "fix_time",
        "time_utc",
        "timestamp_utc",
    ),
    "date": ("date",),
    "clock": ("clock", "time_of_day", "hhmmss"),
    "x": ("easting", "eastings", "x", "x_coordinate"),
    "y": ("northing", "northings", "y", "y_coordinate"),
    "lon": ("longitude", "lon", "lng", "long"),
    "lat": ("latitude", "lat"),
    "speed_mps": ("speed_mps", "speed_ms", "speed_m_s"),
    "speed_kmh": ("speed_kmh", "speed_kph", "speed_km_h"),
    "speed_mph": ("speed_mph",),
    "speed": ("speed",),
    "heading_deg": ("heading_deg", "heading", "direction", "bearing", "course"),
    "accuracy_m": ("accuracy_m", "accuracy", "horizontal_accuracy", "h_accuracy", "hacc"),
}


def norm(name: str) -> str:
    """A column name compared across spellings: lower case, ``_`` for anything else."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def resolve(
    columns: list[str],
    aliases: dict[str, tuple[str, ...]],
    mapping: Mapping[str, str] | None,
    source: str = "the file",
) -> dict[str, str]:
    """Map canonical names to the input's columns: the user's mapping first, then aliases."""
    found: dict[str, str] = {}
    if mapping:
        for theirs, ours in mapping.items():
            if theirs not in columns:
                raise SchemaError(
                    f"columns= maps {theirs!r}, which is not in {source}; found {columns}"
                )
            found[ours] = theirs
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(norm(c), c)
    used = set(found.values())
    for canonical, names in aliases.items():
        if canonical in found:
            continue
        for n in names:
            actual = by_norm.get(n)
            if actual is not None and actual not in used:
                found[canonical] = actual
                used.add(actual)
                break
    return found


def text(frame: pd.DataFrame, column: str | None) -> pd.Series:
    """A column as stripped text; missing values and an absent column are ``""``."""
    if column is None:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    s = frame[column]
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        return s.fillna("").astype(str).str.strip()
    return s.astype(str).where(s.notna(), "")


def blank(values: pd.Series) -> pd.Series:
    """Missing or empty cells (numeric columns: NaN)."""
    if pd.api.types.is_numeric_dtype(values):
        return values.isna()
    t = values.fillna("").astype(str).str.strip()
    return (t == "") | (t.str.lower() == "nan")


def numbers(values: pd.Series) -> pd.Series:
    """Numbers from text (thousands separators allowed); unreadable text is NaN.

    Examples
    --------
    >>> numbers(pd.Series(["1,234.5", " -0.25", "", "abc"])).tolist()
    [1234.5, -0.25, nan, nan]
    """
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        # Arrow parses a million numbers in a few tens of milliseconds; pandas takes a second.
        arr = pc.utf8_trim_whitespace(pa.array(values.astype("str"), from_pandas=True))
        if pc.any(pc.match_substring(arr, ",")).as_py():
            arr = pc.replace_substring(arr, ",", "")
        arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
        out = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        return pd.Series(out, index=values.index, dtype=float)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        pass  # some text is not a number: pandas turns just those into NaN
    return pd.to_numeric(
        values.astype(str).str.strip().str.replace(",", "", regex=False), errors="coerce"
    ).astype(float)


def row_hash(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each row's text (its columns in order), for finding repeated rows."""
    if frame.shape[1] == 0:
        return np.zeros(len(frame), dtype=np.uint64)
    as_text = (
        frame.astype(str)
        if any(not pd.api.types.is_string_dtype(t) for t in frame.dtypes)
        else frame
    )
    return pd.util.hash_pandas_object(as_text, index=False).to_numpy()

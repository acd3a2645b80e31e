"""Pseudonyms for officer identifiers in everything hspwork exports.

Collar numbers are personal data. An export (tasking sheet, compliance table, exception report)
shows a keyed-hash token instead: HMAC-SHA256 of the identifier under a programme key, shortened
to a readable token such as ``"OFF-3f9a2c1d"``. The same key gives the same token for the same
officer throughout a programme, so weekly reports can be compared; without the key the token
cannot be turned back into a collar number, nor recomputed from a guessed one.

The key comes from the ``key=`` argument or the environment variable ``HSPWORK_PSEUDONYM_KEY``;
hspwork never ships a key of its own, so an export without a key is an error, not a silent
weak pseudonym.

Which columns hold identifiers is decided here, once, for every writer and every check
(:data:`IDENTIFIER_COLUMNS`, :func:`identifier_columns`, :func:`is_identifier_column`): the
work folder pseudonymises them on the way out, and the briefing's leak check reads their raw
values from the run's inputs. A force whose exports carry another identifier column (a shoulder
number, a radio's fleet number) names it in ``$HSPWORK_IDENTIFIER_COLUMNS`` (comma-separated);
the value reaches the notebooks' kernels, which inherit the environment.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from hspwork.errors import HspworkError

KEY_ENV = "HSPWORK_PSEUDONYM_KEY"
_MIN_KEY_BYTES = 16

#: Environment variable naming more identifier columns, comma-separated.
COLUMNS_ENV = "HSPWORK_IDENTIFIER_COLUMNS"
#: Column names that carry an officer identifier, in normal form (see
#: :func:`column_key`): the officer, the officer credited with a visit, collar (shoulder)
#: numbers, and the radio's ISSI or id.
IDENTIFIER_COLUMNS: tuple[str, ...] = (
    "officer",
    "officer_id",
    "officer_no",
    "officer_number",
    "delivered_by",
    "collar",
    "collar_no",
    "collar_number",
    "collar_id",
    "shoulder_no",
    "shoulder_number",
    "warrant_no",
    "warrant_number",
    "issi",
    "radio_id",
    "radio_issi",
)
#: What a page says when its pseudonyms come from a key made for one run only.
ONE_OFF_KEY_NOTE = (
    "Pseudonyms on this page use a one-off key: they will not match other weeks' pages; set "
    f"{KEY_ENV} to the programme's secret to keep them the same from week to week."
)
_TOKEN = re.compile(r"^OFF-[0-9a-f]{8,64}$")  # what pseudonymise() writes by default


def column_key(name: object) -> str:
    """A column name in normal form: lower case, runs of other characters as ``_``.

    A duplicate header that pandas renamed (``collar_no.1``) is the same column as the first.

    Examples
    --------
    >>> column_key("Collar No."), column_key("collar_no.1"), column_key(" ISSI ")
    ('collar_no', 'collar_no', 'issi')
    """
    text = re.sub(r"\.\d+$", "", str(name).strip())
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def identifier_columns(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Every identifier column name (normal form): the built-in list, ``extra`` and the env.

    Parameters
    ----------
    extra : iterable of str
        More column names for this call (a force's own identifier columns).

    Examples
    --------
    >>> "collar_no" in identifier_columns(), "fleet_no" in identifier_columns(["Fleet No"])
    (True, True)
    """
    configured = [c for c in os.environ.get(COLUMNS_ENV, "").split(",") if c.strip()]
    names = [*IDENTIFIER_COLUMNS, *(column_key(c) for c in (*configured, *extra))]
    return tuple(dict.fromkeys(n for n in names if n))


def is_identifier_column(name: object, extra: Iterable[str] = ()) -> bool:
    """Whether a column carries officer identifiers (compared in normal form).

    Examples
    --------
    >>> [is_identifier_column(c) for c in ("Collar No", "ISSI", "officers_heard", "team")]
    [True, True, False, False]
    """
    return column_key(name) in identifier_columns(extra)


def pseudonym_key(key: str | bytes | None = None) -> bytes:
    """Return the programme key as bytes, from ``key`` or ``$HSPWORK_PSEUDONYM_KEY``.

    Raises
    ------
    HspworkError
        When no key is given and the environment variable is unset, or the key is shorter than
        16 bytes (a short key could be guessed by trying every collar number).

    Examples
    --------
    >>> len(pseudonym_key("a programme key of decent length"))
    32
    """
    if key is None:
        key = os.environ.get(KEY_ENV)
    if key is None or key == "" or key == b"":
        raise HspworkError(
            "no pseudonym key: pass key=... or set the environment variable "
            f"{KEY_ENV} to a secret of at least {_MIN_KEY_BYTES} characters kept by the programme"
        )
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if len(raw) < _MIN_KEY_BYTES:
        raise HspworkError(
            f"pseudonym key has {len(raw)} bytes; at least {_MIN_KEY_BYTES} are needed so the "
            "tokens cannot be reversed by trying every collar number"
        )
    return raw


def pseudonymise(
    ids: Iterable[object] | pd.Series,
    key: str | bytes | None = None,
    *,
    prefix: str = "OFF",
    length: int = 8,
) -> pd.Series:
    """Replace identifiers by keyed-hash tokens ``f"{prefix}-{hex[:length]}"``.

    Parameters
    ----------
    ids : iterable or Series
        Officer identifiers (collar numbers); missing values stay missing.
    key : str or bytes, optional
        The programme key; default ``$HSPWORK_PSEUDONYM_KEY``.
    prefix : str
        Readable prefix of each token.
    length : int
        Hex digits kept. 8 gives 4.3 billion tokens: for 5,000 officers the chance that two
        share a token is about 0.3% (birthday bound), and a clash raises rather than merges.

    Returns
    -------
    pandas.Series
        Tokens aligned with ``ids`` (index kept when ``ids`` is a Series).

    Raises
    ------
    HspworkError
        When two different identifiers would share a token (raise ``length``).

    Examples
    --------
    >>> s = pseudonymise(["PC1234", "PC5678", "PC1234"], key="programme-2025-secret")
    >>> s[0] == s[2], s[0] != s[1], s[0].startswith("OFF-"), len(s[0])
    (True, True, True, 12)
    """
    if not 4 <= int(length) <= 64:
        raise HspworkError(f"length={length}: allowed 4..64 hex digits")
    raw_key = pseudonym_key(key)
    series = ids if isinstance(ids, pd.Series) else pd.Series(list(ids), dtype=object)
    uniques = pd.unique(series.dropna())
    tokens = {}
    for value in uniques:  # one HMAC per distinct officer, not per row
        digest = hmac.new(raw_key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()
        tokens[value] = f"{prefix}-{digest[:length]}"
    if len(set(tokens.values())) != len(tokens):
        raise HspworkError(
            f"{len(tokens)} identifiers gave colliding {length}-digit tokens; use a larger length"
        )
    out = series.map(tokens)
    return out.astype(object).where(series.notna(), np.nan)


def pseudonymise_identifiers(
    frame: pd.DataFrame,
    key: str | bytes | None = None,
    *,
    extra: Iterable[str] = (),
) -> pd.DataFrame:
    """``frame`` with every identifier column pseudonymised (those already tokens left alone).

    Every column that :func:`is_identifier_column` names is replaced by tokens, unless all its
    values are tokens already (``OFF-3f9a2c1d``), so a frame pseudonymised upstream passes
    through unchanged and without needing the key. Values are compared as text, so the collar
    number ``4512`` and the text ``"4512"`` give the same token (a column of whole numbers
    read as floats, because it had a gap, counts ``4512.0`` as ``4512``).

    Parameters
    ----------
    frame : DataFrame
    key : str or bytes, optional
        The programme key; default ``$HSPWORK_PSEUDONYM_KEY``.
    extra : iterable of str
        More identifier column names for this call.

    Returns
    -------
    DataFrame
        ``frame`` itself when nothing needed changing, else a copy.

    Examples
    --------
    >>> df = pd.DataFrame({"Collar No": [4512, None], "radio_id": ["R-77", "R-78"], "n": [1, 2]})
    >>> out = pseudonymise_identifiers(df, key="programme-2025-secret")
    >>> out["Collar No"].tolist()[0] == pseudonymise(["4512"], key="programme-2025-secret")[0]
    True
    >>> out["Collar No"].isna().tolist(), out["radio_id"].str.len().tolist()
    ([False, True], [12, 12])
    """
    out = frame
    for column in frame.columns:
        if not is_identifier_column(column, extra):
            continue
        values = frame[column]
        present = values.dropna()
        if pd.api.types.is_float_dtype(present) and (present == present.round()).all():
            present = present.astype("int64")
        text = present.astype(str)
        if text.empty or text.str.match(_TOKEN).all():
            continue
        if out is frame:
            out = frame.copy()
        mask = values.notna()
        column_out = values.astype(object)
        column_out[mask] = list(pseudonymise(text, key=key))
        out[column] = column_out
    return out


def pseudonymise_frame(
    frame: pd.DataFrame,
    columns: Iterable[str] = ("officer",),
    key: str | bytes | None = None,
    **kwargs,
) -> pd.DataFrame:
    """Return a copy of ``frame`` with the identifier ``columns`` pseudonymised.

    Columns that are absent are ignored, so the same call suits frames with and without an
    officer column.

    Examples
    --------
    >>> df = pd.DataFrame({"officer": ["PC1", "PC2"], "minutes": [10.0, 5.0]})
    >>> pseudonymise_frame(df, key="programme-2025-secret")["officer"].str.len().tolist()
    [12, 12]
    """
    out = frame.copy()
    for col in columns:
        if col in out.columns:
            out[col] = pseudonymise(out[col], key=key, **kwargs).to_numpy()
    out.attrs["pseudonymised"] = [c for c in columns if c in out.columns]
    return out

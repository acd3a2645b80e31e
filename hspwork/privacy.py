"""Pseudonyms for officer identifiers in everything hspwork exports.

Collar numbers are personal data. An export (tasking sheet, compliance table, exception report)
shows a keyed-hash token instead: HMAC-SHA256 of the identifier under a programme key, shortened
to a readable token such as ``"OFF-3f9a2c1d"``. The same key gives the same token for the same
officer throughout a programme, so weekly reports can be compared; without the key the token
cannot be turned back into a collar number, nor recomputed from a guessed one.

The key comes from the ``key=`` argument or the environment variable ``HSPWORK_PSEUDONYM_KEY``;
hspwork never ships a key of its own, so an export without a key is an error, not a silent
weak pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from hspwork.errors import HspworkError

KEY_ENV = "HSPWORK_PSEUDONYM_KEY"
_MIN_KEY_BYTES = 16


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

"""Harm weights: how much each offence counts when places are ranked by harm, not volume.

The shipped table, ``"cambridge"``, gives Cambridge Crime Harm Index style weights: the days of
custody at the Sentencing Council starting point for a first offender (Sherman, Neyroud &
Neyroud 2016). It maps both the offence groups of a typical force export and the 14 police.uk
categories; rows marked ``needs_check`` are indicative and should be confirmed against a
force's own index before they drive a programme. Users can pass their own table.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from hspwork.errors import SchemaError

SHIPPED_TABLES = {"cambridge": "harm_cambridge.csv"}


@lru_cache(maxsize=4)
def _shipped(name: str) -> pd.DataFrame:
    with resources.files("hspwork.data").joinpath(SHIPPED_TABLES[name]).open("rb") as fh:
        return pd.read_csv(fh)


def harm_table(table: str | Path | pd.DataFrame = "cambridge") -> pd.DataFrame:
    """Return a harm weights table with at least ``offence`` and ``harm_days`` columns.

    Parameters
    ----------
    table : str, path or DataFrame
        ``"cambridge"`` for the shipped table, a CSV path, or a frame of your own with columns
        ``offence`` and ``harm_days``.

    Examples
    --------
    >>> t = harm_table()
    >>> int(t.loc[t.offence == "Robbery", "harm_days"].iloc[0])
    365
    >>> {"offence", "harm_days", "source", "source_date"} <= set(t.columns)
    True
    """
    if isinstance(table, pd.DataFrame):
        frame = table.copy()
    elif isinstance(table, str) and table in SHIPPED_TABLES:
        frame = _shipped(table).copy()
    else:
        path = Path(table)
        if not path.exists():
            raise SchemaError(
                f"harm table {table!r} is neither a shipped table "
                f"({', '.join(SHIPPED_TABLES)}) nor an existing file"
            )
        frame = pd.read_csv(path)
    missing = {"offence", "harm_days"} - set(frame.columns)
    if missing:
        raise SchemaError(
            f"harm table lacks column(s) {sorted(missing)}; found {list(frame.columns)}. "
            "A harm table needs 'offence' and 'harm_days'."
        )
    days = pd.to_numeric(frame["harm_days"], errors="coerce").astype(float)
    bad = ~(days >= 0)  # missing, text or negative
    if bad.any():
        shown = {str(o): v for o, v in zip(frame["offence"][bad], frame["harm_days"][bad])}
        raise SchemaError(
            f"harm_days must be a number of days >= 0 for every offence; received "
            f"{dict(list(shown.items())[:10])}"
        )
    frame["harm_days"] = days
    return frame


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()


def harm_weights(
    offences,
    table: str | Path | pd.DataFrame = "cambridge",
    *,
    default: float | None = None,
) -> np.ndarray:
    """Harm weight (days) for each offence, matched by name ignoring case and punctuation.

    Parameters
    ----------
    offences : array-like of str
    table : str, path or DataFrame
        See :func:`harm_table`.
    default : float, optional
        Weight for offences not in the table; when None an unknown offence is an error.

    Raises
    ------
    SchemaError
        When offences are not in the table and no ``default`` is given; the message lists them.

    Examples
    --------
    >>> harm_weights(["Robbery", "shoplifting", "Violence with injury"]).tolist()
    [365.0, 1.0, 365.0]
    >>> harm_weights(["Rowdy singing"], default=0.0).tolist()
    [0.0]
    """
    frame = harm_table(table)
    lookup: dict[str, float] = {}
    for name, days in zip(frame["offence"], frame["harm_days"]):
        # A name in both schemes (e.g. "Robbery") has one weight; the first row wins.
        lookup.setdefault(_key(name), float(days))
    values = pd.Series(np.asarray(offences, dtype=object))
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([lookup.get(_key(u), np.nan) for u in uniques], dtype=float)
    out = (
        np.where(codes >= 0, mapped[np.maximum(codes, 0)], np.nan)
        if len(mapped)
        else np.full(len(values), np.nan)
    )
    unknown = sorted({str(u) for u, m in zip(uniques, mapped) if np.isnan(m)})
    if codes.size and (codes < 0).any():
        unknown.append("<missing offence>")
    if unknown:
        if default is None:
            raise SchemaError(
                f"no harm weight for {len(unknown)} offence(s): {unknown[:10]}"
                f"{' ...' if len(unknown) > 10 else ''}. Add them to your harm table or pass "
                f"default= (known offences: {sorted(frame['offence'].unique())[:8]} ...)"
            )
        out = np.where(np.isnan(out), float(default), out)
    return out.astype(float)


def harm_by_offence(crimes: pd.DataFrame, harm_column: str = "harm") -> pd.DataFrame:
    """Crimes and harm per offence, the most harmful first, with each offence's share of harm.

    Parameters
    ----------
    crimes : DataFrame
        ``offence`` and ``harm_column`` (days of custody per crime, as the loaders add it).
    harm_column : str
        The column of harm weights.

    Returns
    -------
    DataFrame
        Indexed by ``offence``: ``crimes``, ``harm_days`` and ``share_of_harm`` (0..1).

    Examples
    --------
    >>> c = pd.DataFrame({"offence": ["Robbery", "Shoplifting", "Shoplifting"],
    ...                   "harm": [365.0, 1.0, 1.0]})
    >>> harm_by_offence(c).round(3).to_dict("index")["Shoplifting"]
    {'crimes': 2, 'harm_days': 2.0, 'share_of_harm': 0.005}
    """
    for column in ("offence", harm_column):
        if column not in crimes.columns:
            raise SchemaError(
                f"crimes lack column {column!r} (columns: {list(crimes.columns)}); read them "
                "with harm= to add the harm weights"
            )
    table = (
        crimes.groupby("offence")
        .agg(crimes=("offence", "size"), harm_days=(harm_column, "sum"))
        .sort_values(["harm_days", "crimes"], ascending=False, kind="stable")
    )
    total = float(table["harm_days"].sum())
    table["share_of_harm"] = table["harm_days"] / total if total else 0.0
    return table

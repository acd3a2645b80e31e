"""How concentrated crime (or harm) is across places: Lorenz curve, Gini, generalised Gini,
"share of crime in the top x% of places" and "share of places holding y% of crime".

The generalised Gini of Bernasco & Steenbeek (2017, J. Quant. Criminol. 33:451) corrects the
Gini for sparse counts, where there are more places than crimes: with ``N`` places and ``n``
crimes, ``G' = max(1, N / n) * (G - 1) + 1``, so that crimes spread one per place score 0.
Weisburd's law of crime concentration: 50% of crime on about 2.1-6.0% of street segments,
25% on 0.4-1.6%.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hspwork.errors import HspworkError

TOP_PLACES_PCT = (1.0, 5.0, 10.0, 20.0)
CRIME_SHARES_PCT = (25.0, 50.0)


def _clean(values) -> np.ndarray:
    x = np.asarray(values, dtype="float64").ravel()
    if x.size == 0:
        raise HspworkError("no places: concentration needs at least one value")
    bad_nan = int((~np.isfinite(x)).sum())
    bad_neg = int((x < 0).sum())
    if bad_nan or bad_neg:
        raise HspworkError(
            f"values must be finite and non-negative (counts or harm per place); got "
            f"{bad_nan:,} missing or infinite and {bad_neg:,} negative of {x.size:,}"
            + (f" (smallest {np.nanmin(x):g})" if bad_neg else "")
        )
    if x.sum() <= 0:
        raise HspworkError("all places have zero: there is no crime to be concentrated")
    return x


def gini(values) -> float:
    """The Gini coefficient of counts or harm across places (0 even, 1 all in one place as N grows).

    ``G = sum_i (2 i - N - 1) x_(i) / (N sum x)`` with values sorted ascending (i = 1..N);
    equal to the mean absolute difference over twice the mean.

    Examples
    --------
    >>> gini([0, 0, 0, 10])
    0.75
    """
    x = np.sort(_clean(values))
    n = x.size
    i = np.arange(1, n + 1)
    return float(((2 * i - n - 1) * x).sum() / (n * x.sum()))


def generalised_gini(values, n_events: float | None = None) -> float:
    """Bernasco & Steenbeek's generalised Gini for sparse counts.

    Parameters
    ----------
    values : array-like
        Counts per place.
    n_events : float, optional
        Number of crimes; by default the sum of ``values`` (pass it when ``values`` is harm).

    Examples
    --------
    Ten crimes, each in a different one of 100 places: G = 0.9 but G' = 10 * (0.9 - 1) + 1 = 0.

    >>> round(generalised_gini([1] * 10 + [0] * 90), 12)
    0.0
    """
    x = _clean(values)
    n = float(x.sum()) if n_events is None else float(n_events)
    if n <= 0:
        raise HspworkError(f"n_events must be positive, got {n_events!r}")
    return float(max(1.0, x.size / n) * (gini(x) - 1.0) + 1.0)


def lorenz(values) -> pd.DataFrame:
    """Concentration curve: places from hottest to coolest against the cumulative share of crime.

    Returns
    -------
    DataFrame
        ``share_places`` and ``share_crime`` from (0, 0) to (1, 1), one row per place plus the
        origin. (The classical Lorenz curve is its reflection: coolest places first.)

    Examples
    --------
    >>> lorenz([0, 3, 1]).round(3).values.tolist()
    [[0.0, 0.0], [0.333, 0.75], [0.667, 1.0], [1.0, 1.0]]
    """
    x = np.sort(_clean(values))[::-1]
    n = x.size
    return pd.DataFrame(
        {
            "share_places": np.arange(n + 1) / n,
            "share_crime": np.r_[0.0, np.cumsum(x) / x.sum()],
        }
    )


def share_in_top(values, pct_places: float) -> float:
    """Share of crime (or harm) in the top ``pct_places`` % of places.

    The top ``ceil(pct / 100 * N)`` places by value are counted.

    Examples
    --------
    >>> share_in_top([10, 5, 3, 1, 1, 0, 0, 0, 0, 0], 10)
    0.5
    """
    if not 0 < pct_places <= 100:
        raise HspworkError(f"pct_places must be in (0, 100], got {pct_places!r}")
    x = np.sort(_clean(values))[::-1]
    k = int(np.ceil(pct_places / 100.0 * x.size - 1e-9))
    return float(x[:k].sum() / x.sum())


def places_for_share(values, pct_crime: float) -> float:
    """Smallest share of places (hottest first) that holds ``pct_crime`` % of crime.

    Examples
    --------
    >>> places_for_share([10, 5, 3, 1, 1, 0, 0, 0, 0, 0], 50)
    0.1
    >>> places_for_share([10, 5, 3, 1, 1, 0, 0, 0, 0, 0], 80)
    0.3
    """
    if not 0 < pct_crime <= 100:
        raise HspworkError(f"pct_crime must be in (0, 100], got {pct_crime!r}")
    x = np.sort(_clean(values))[::-1]
    cum = np.cumsum(x) / x.sum()
    k = int(np.searchsorted(cum, pct_crime / 100.0 - 1e-12)) + 1
    return float(k / x.size)


@dataclass
class Concentration:
    """Concentration of one column across places.

    Attributes
    ----------
    column : str
    n_places, total : int, float
    gini, gini_generalised : float
    lorenz : DataFrame (see :func:`lorenz`)
    table : DataFrame with ``measure`` and ``value`` rows for the top-share figures.
    """

    column: str
    n_places: int
    total: float
    gini: float
    gini_generalised: float
    lorenz: pd.DataFrame = field(repr=False)
    table: pd.DataFrame = field(repr=False)

    def summary(self) -> str:
        """Sentences a briefing can quote."""
        rows = dict(zip(self.table["measure"], self.table["value"]))
        lines = [
            f"{self.column}: {self.total:,.0f} over {self.n_places:,} places; "
            f"Gini {self.gini:.3f}, generalised Gini {self.gini_generalised:.3f}.",
        ]
        for pct in TOP_PLACES_PCT:
            lines.append(
                f"The top {pct:g}% of places hold {rows[f'share in top {pct:g}% of places']:.1%}."
            )
        for pct in CRIME_SHARES_PCT:
            lines.append(
                f"{pct:g}% of {self.column} falls in {rows[f'places holding {pct:g}%']:.1%} of places."
            )
        return "\n".join(lines)

    def plot(self, ax=None):
        """The concentration curve with the line of equality; returns the Figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(5, 5))
        else:
            fig = ax.figure
        ax.plot(
            self.lorenz["share_places"] * 100,
            self.lorenz["share_crime"] * 100,
            lw=2,
            label=self.column,
        )
        ax.plot([0, 100], [0, 100], ls="--", color="grey", lw=1, label="equal spread")
        ax.set_xlabel("% of places (hottest first)")
        ax.set_ylabel(f"% of {self.column}")
        ax.set_xlim(0, 100)
        ax.set_ylim(0, 100)
        ax.set_title(f"Gini {self.gini:.2f} (generalised {self.gini_generalised:.2f})")
        ax.legend(loc="lower right")
        return fig


def concentration(units, column: str = "crimes", *, n_events: float | None = None) -> Concentration:
    """Concentration of ``column`` across ``units`` (a frame) or an array of values.

    Parameters
    ----------
    units : DataFrame, GeoDataFrame or array-like
        Places with a ``column`` of counts or harm, or the values themselves.
    column : str
        Column to use when ``units`` is a frame.
    n_events : float, optional
        Number of crimes for the generalised Gini when ``column`` is harm; by default the
        ``crimes`` column if present, else the sum of ``column``.

    Examples
    --------
    >>> c = concentration(np.array([10, 5, 3, 1, 1, 0, 0, 0, 0, 0]))
    >>> round(c.gini, 2), float(c.table.set_index("measure").loc["places holding 50%", "value"])
    (0.72, 0.1)
    """
    if isinstance(units, pd.DataFrame):
        if column not in units.columns:
            raise HspworkError(f"units has no column {column!r}; it has {list(units.columns)}")
        x = _clean(units[column])
        if n_events is None and column != "crimes" and "crimes" in units.columns:
            n_events = float(units["crimes"].sum())
    else:
        x = _clean(units)
    rows = [(f"share in top {p:g}% of places", share_in_top(x, p)) for p in TOP_PLACES_PCT]
    rows += [(f"places holding {p:g}%", places_for_share(x, p)) for p in CRIME_SHARES_PCT]
    return Concentration(
        column=column,
        n_places=int(x.size),
        total=float(x.sum()),
        gini=gini(x),
        gini_generalised=generalised_gini(x, n_events),
        lorenz=lorenz(x),
        table=pd.DataFrame(rows, columns=["measure", "value"]),
    )

"""Why harm moves more than counts: a few grave offences carry most of the harm.

A harm-weighted total (days of custody, Cambridge Crime Harm Index style) adds 365 days for a
robbery and 2,555 for a rape beside a day for a shoplifting. A handful of grave offences can
therefore make half of all harm at a set of places, and one more or one fewer of them, falling
by chance in treated or control places, moves the harm estimate far more than the count. The
harm effect's interval is wider for the same reason. :func:`harm_swing` says which offences
weigh most in the data at hand, how many of them there are, and how far one of them moves the
total, in words chapter 4 can print.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hspwork.errors import HspworkError, SchemaError
from hspwork.report import LoadReport, RowLedger

__all__ = ["HarmSwing", "harm_swing"]


@dataclass
class HarmSwing:
    """Which offences carry the harm, and how far one of them moves the total.

    Attributes
    ----------
    table : DataFrame
        One row per offence, heaviest weight first: ``offence``, ``crimes``,
        ``harm_days_each`` (mean weight), ``harm_days``, ``share_of_crimes``,
        ``share_of_harm``, ``grave`` (among the heaviest offences that together make at
        least ``share`` of the harm).
    n_crimes : int
    harm_days : float
    grave_crimes : int
        Crimes of the grave offences.
    grave_share_of_harm, grave_share_of_crimes : float
    one_offence_share : float
        Share of the harm total that one offence of the heaviest kind makes.
    load_report : LoadReport
    """

    table: pd.DataFrame
    n_crimes: int
    harm_days: float
    grave_crimes: int
    grave_share_of_harm: float
    grave_share_of_crimes: float
    one_offence_share: float
    load_report: LoadReport = field(repr=False)

    def summary(self) -> str:
        """The plain-words note for chapter 4."""
        g = self.table[self.table["grave"]]
        parts = [
            f"{r.offence.lower()}: {r.crimes:,} ({r.harm_days_each:,.0f} days each)"
            for r in g.itertuples()
        ]
        heaviest = self.table.iloc[0]
        return (
            "Harm moves more than the count of crimes because a few grave offences weigh far "
            f"more than the rest. At these places the gravest offences, {self.grave_crimes:,} "
            f"of the {self.n_crimes:,} crimes ({self.grave_share_of_crimes:.1%}), make up "
            f"{self.grave_share_of_harm:.0%} of the {self.harm_days:,.0f} harm days: "
            f"{'; '.join(parts)}. One {heaviest['offence'].lower()} more or fewer moves the "
            f"harm total by {self.one_offence_share:.1%}, while one crime more or fewer moves "
            f"the count by {1 / self.n_crimes:.2%}. So a handful of grave offences falling by "
            "chance in the patrolled or the comparison places can move the harm estimate a "
            "long way, and its interval is wider: read harm beside the count of crimes, not "
            "instead of it."
        )


def harm_swing(
    crimes: pd.DataFrame,
    *,
    offence_column: str = "offence",
    harm_column: str = "harm",
    share: float = 0.5,
) -> HarmSwing:
    """Say which offences weigh most in these crimes' harm, and how many of them there are.

    Parameters
    ----------
    crimes : DataFrame
        The crimes behind the harm estimate (those inside the evaluated places in the study
        window), with an offence and a harm weight per crime (``read_crimes(harm=...)``).
    offence_column, harm_column : str
    share : float, default 0.5
        The grave offences are the heaviest kinds that together make at least this share of
        all harm.

    Returns
    -------
    HarmSwing

    Examples
    --------
    >>> import pandas as pd
    >>> crimes = pd.DataFrame({"offence": ["Shoplifting"] * 96 + ["Robbery"] * 3 + ["Rape"],
    ...                        "harm": [1.0] * 96 + [365.0] * 3 + [2555.0]})
    >>> s = harm_swing(crimes)
    >>> s.grave_crimes, round(s.grave_share_of_harm, 3)
    (1, 0.682)
    >>> "rape: 1 (2,555 days each)" in s.summary()
    True
    """
    missing = [c for c in (offence_column, harm_column) if c not in crimes.columns]
    if missing:
        raise SchemaError(f"crimes lack columns {missing}; they have {list(crimes.columns)}")
    if not 0 < share <= 1:
        raise HspworkError(f"share must be in (0, 1]; received {share!r}")
    w = pd.to_numeric(crimes[harm_column], errors="coerce")
    ledger = RowLedger(len(crimes), "crimes for the harm note")
    ledger.drop(w.isna().to_numpy(), "no harm weight")
    ledger.drop(crimes[offence_column].isna().to_numpy(), "no offence")
    f = pd.DataFrame({"offence": crimes[offence_column], "w": w})[ledger.keep]
    total = float(f["w"].sum())
    if f.empty or total <= 0:
        raise HspworkError("no harm to describe: every crime weighs zero days or has no weight")
    t = f.groupby("offence", sort=False)["w"].agg(crimes="size", harm_days="sum", each="mean")
    t = t.rename(columns={"each": "harm_days_each"}).reset_index()
    t = t.sort_values(["harm_days_each", "harm_days"], ascending=False, kind="stable")
    t = t.reset_index(drop=True)
    t["share_of_crimes"] = t["crimes"] / len(f)
    t["share_of_harm"] = t["harm_days"] / total
    reached = np.cumsum(t["share_of_harm"].to_numpy()) >= share - 1e-12
    n_grave = int(np.argmax(reached)) + 1
    t["grave"] = np.arange(len(t)) < n_grave
    t = t[["offence", "crimes", "harm_days_each", "harm_days", "share_of_crimes",
           "share_of_harm", "grave"]]  # fmt: skip
    g = t[t["grave"]]
    return HarmSwing(
        table=t,
        n_crimes=len(f),
        harm_days=total,
        grave_crimes=int(g["crimes"].sum()),
        grave_share_of_harm=float(g["share_of_harm"].sum()),
        grave_share_of_crimes=float(g["share_of_crimes"].sum()),
        one_offence_share=float(t["harm_days_each"].iat[0] / total),
        load_report=ledger.report(),
    )

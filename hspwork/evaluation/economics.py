"""What a hot spots programme cost and what it bought.

Officer hours from tracking's visits, crimes and harm prevented from the estimated effect,
cost per crime prevented, harm days prevented per officer-hour, and a benefit-cost ratio with
the Home Office unit costs of crime (Heeks et al. 2018, The economic and social costs of crime,
second edition, Home Office Research Report 99; 2015/16 prices) shipped in
``hspwork/data/costs_of_crime.csv``. The source documents ask for "what works and what it
costs" (College of Policing slides, source document 001).

Offences without a unit cost (the table's blank rows, or offences not in it) are not costed
and are listed in the result, never silently valued at zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from hspwork.errors import HspworkError, SchemaError

__all__ = ["CostBenefitResult", "cost_benefit", "officer_hours", "unit_costs"]


def _key(text) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in str(text).lower()).split())


def unit_costs(table: str | Path | pd.DataFrame = "home_office_2018") -> pd.DataFrame:
    """The unit costs of crime table.

    Parameters
    ----------
    table : str, path or DataFrame, default "home_office_2018"
        The shipped table (Heeks et al. 2018, 2015/16 prices), a CSV path, or a frame of
        your own with columns ``offence`` and ``unit_cost_gbp``.

    Returns
    -------
    DataFrame
        ``offence``, ``unit_cost_gbp`` (NaN where no cost is known) and, for the shipped
        table, ``ho_category``, ``price_year``, ``from_references``, ``needs_check``,
        ``source``, ``notes``.

    Examples
    --------
    >>> t = unit_costs()
    >>> t.set_index("offence").loc[["Violence with injury", "Robbery", "Criminal damage"],
    ...                            "unit_cost_gbp"].tolist()
    [14050.0, 11320.0, 1350.0]
    """
    if isinstance(table, pd.DataFrame):
        t = table.copy()
    elif table == "home_office_2018":
        with resources.files("hspwork.data").joinpath("costs_of_crime.csv").open("rb") as fh:
            t = pd.read_csv(fh)
    else:
        path = Path(table)
        if not path.exists():
            raise HspworkError(
                f"unit cost table {table!r} is neither 'home_office_2018' nor an existing file"
            )
        t = pd.read_csv(path)
    missing = [c for c in ("offence", "unit_cost_gbp") if c not in t.columns]
    if missing:
        raise SchemaError(f"unit cost table lacks {missing}; it has {list(t.columns)}")
    t["unit_cost_gbp"] = pd.to_numeric(t["unit_cost_gbp"], errors="coerce")
    return t


def officer_hours(visits: pd.DataFrame, *, minutes_column: str = "minutes") -> float:
    """Officer-hours spent in the fences: the sum of visit minutes over 60.

    Parameters
    ----------
    visits : DwellResult or DataFrame
        Tracking's visits (a :func:`hspwork.tracking.dwell` result, or one row per officer
        visit; see docs/contracts.md).
    minutes_column : str, default "minutes"

    Examples
    --------
    >>> import pandas as pd
    >>> officer_hours(pd.DataFrame({"minutes": [15.0, 12.5, 32.5]}))
    1.0
    """
    from hspwork.tracking.dwell import as_visits  # numba loads only when tracking is used

    visits = as_visits(visits)
    if minutes_column not in visits.columns:
        raise SchemaError(
            f"visits lack column {minutes_column!r}; they have {list(visits.columns)}"
        )
    m = pd.to_numeric(visits[minutes_column], errors="coerce").to_numpy(dtype=float)
    if np.isnan(m).any() or (m < 0).any():
        raise HspworkError(
            f"visit minutes must be non-negative numbers; {int(np.isnan(m).sum())} missing, "
            f"{int((m < 0).sum())} negative"
        )
    return float(m.sum() / 60.0)


@dataclass
class CostBenefitResult:
    """Costs and benefits of a programme.

    Attributes
    ----------
    table : DataFrame
        One row per offence: ``offence``, ``observed`` (in treated places during the programme),
        ``prevented`` (and ``prevented_low``/``prevented_high`` from the IRR's interval),
        ``harm_days``, ``harm_days_prevented``, ``unit_cost_gbp``, ``benefit_gbp``.
    officer_hours, cost_gbp : float
        Officer-hours and their cost plus any other costs.
    crimes_prevented : tuple[float, float, float]
        Estimate, low, high.
    cost_per_crime_prevented : float
        cost_gbp / crimes prevented (inf when none prevented).
    harm_days_prevented : float
    harm_days_per_officer_hour : float
    benefit_gbp : tuple[float, float, float]
        Estimate, low, high, over costed offences.
    benefit_cost_ratio : tuple[float, float, float]
    uncosted : list[str]
        Offences whose prevented crimes have no unit cost (excluded from the benefit).
    """

    table: pd.DataFrame
    officer_hours: float
    cost_gbp: float
    crimes_prevented: tuple[float, float, float]
    cost_per_crime_prevented: float
    harm_days_prevented: float
    harm_days_per_officer_hour: float
    benefit_gbp: tuple[float, float, float]
    benefit_cost_ratio: tuple[float, float, float]
    uncosted: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """A short paragraph for a briefing."""
        c, lo, hi = self.crimes_prevented
        b = self.benefit_cost_ratio
        text = (
            f"{self.officer_hours:,.0f} officer-hours costing £{self.cost_gbp:,.0f} prevented "
            f"an estimated {c:,.1f} crimes (95% CI {lo:,.1f} to {hi:,.1f}): "
            f"£{self.cost_per_crime_prevented:,.0f} per crime prevented, "
            f"{self.harm_days_prevented:,.0f} harm days prevented "
            f"({self.harm_days_per_officer_hour:.2f} per officer-hour). Benefit-cost ratio "
            f"{b[0]:.2f} ({b[1]:.2f} to {b[2]:.2f}) with Home Office unit costs (2015/16 prices)."
        )
        if self.uncosted:
            text += f" Not costed: {', '.join(self.uncosted)}."
        return text


def cost_benefit(
    observed: pd.Series,
    *,
    irr: float,
    irr_ci: tuple[float, float] | None = None,
    officer_hours: float,
    hourly_cost_gbp: float,
    other_costs_gbp: float = 0.0,
    harm: pd.Series | str | pd.DataFrame | None = "cambridge",
    costs: pd.DataFrame | str | Path = "home_office_2018",
) -> CostBenefitResult:
    """Crimes and harm prevented, cost per crime prevented and benefit-cost ratio.

    Parameters
    ----------
    observed : Series
        Crimes observed in treated places during the programme, indexed by offence.
    irr : float
        The programme's rate ratio (from :func:`~hspwork.evaluation.estimate_effect`). The
        counterfactual count is observed / irr, so prevented = observed·(1/irr − 1); the same
        ratio is applied to every offence.
    irr_ci : (low, high), optional
        Interval of the IRR; gives the low and high ends of crimes prevented and benefits.
    officer_hours : float
        Officer-hours spent (see :func:`officer_hours`).
    hourly_cost_gbp : float
        Cost of an officer-hour in pounds (a force's own figure; no default is assumed).
    other_costs_gbp : float, default 0
        Other programme costs (analyst time, devices).
    harm : Series, str or DataFrame, default "cambridge"
        Harm days per offence: a Series indexed by offence, or a harm table for
        :func:`hspwork.harm.harm_weights`; None to skip harm.
    costs : DataFrame, str or path, default "home_office_2018"
        Unit cost table (see :func:`unit_costs`).

    Returns
    -------
    CostBenefitResult

    Notes
    -----
    Unit costs are in 2015/16 prices; uprate them with a deflator for later years. The
    unit costs include the costs of the police response, so a benefit-cost ratio counts the
    police time saved once, as the publication intends.

    Examples
    --------
    >>> import pandas as pd
    >>> obs = pd.Series({"Robbery": 40, "Criminal damage": 80})
    >>> r = cost_benefit(obs, irr=0.8, officer_hours=1000, hourly_cost_gbp=40)
    >>> r.crimes_prevented[0], r.cost_per_crime_prevented
    (30.0, 1333.3333333333333)
    >>> r.benefit_gbp[0]   # 10 robberies x 11,320 + 20 criminal damage x 1,350
    140200.0
    >>> round(r.benefit_cost_ratio[0], 4)
    3.505
    """
    obs = pd.Series(observed, dtype=float)
    if obs.isna().any() or (obs < 0).any():
        raise HspworkError("observed counts must be non-negative numbers per offence")
    if not irr > 0:
        raise HspworkError(f"irr must be positive; received {irr!r}")
    if not officer_hours > 0 or not hourly_cost_gbp >= 0:
        raise HspworkError(
            f"officer_hours must be positive and hourly_cost_gbp non-negative; received "
            f"{officer_hours!r} and {hourly_cost_gbp!r}"
        )
    lo_irr, hi_irr = (irr, irr) if irr_ci is None else (float(irr_ci[0]), float(irr_ci[1]))
    if not 0 < lo_irr <= irr <= hi_irr:
        raise HspworkError(f"irr_ci must bracket irr; received {irr_ci!r} around {irr!r}")

    t = pd.DataFrame({"observed": obs})
    t["prevented"] = obs * (1 / irr - 1)
    t["prevented_low"] = obs * (1 / hi_irr - 1)  # the IRR's upper end prevents least
    t["prevented_high"] = obs * (1 / lo_irr - 1)

    if harm is None:
        t["harm_days"] = np.nan
    elif isinstance(harm, pd.Series):
        keyed = {_key(k): float(v) for k, v in harm.items()}
        missing = [o for o in obs.index if _key(o) not in keyed]
        if missing:
            raise SchemaError(f"harm has no weight for offences {missing}")
        t["harm_days"] = [keyed[_key(o)] for o in obs.index]
    else:
        from hspwork.harm import harm_weights

        t["harm_days"] = harm_weights(list(obs.index), table=harm)
    t["harm_days_prevented"] = t["prevented"] * t["harm_days"]

    ct = unit_costs(costs)
    cost_by_key = {_key(o): c for o, c in zip(ct["offence"], ct["unit_cost_gbp"])}
    t["unit_cost_gbp"] = [cost_by_key.get(_key(o), np.nan) for o in obs.index]
    costed = t["unit_cost_gbp"].notna()
    uncosted = [str(o) for o in t.index[~costed & (t["observed"] > 0)]]
    t["benefit_gbp"] = t["prevented"] * t["unit_cost_gbp"]

    cost = officer_hours * hourly_cost_gbp + other_costs_gbp
    prevented = (
        float(t["prevented"].sum()),
        float(t["prevented_low"].sum()),
        float(t["prevented_high"].sum()),
    )
    benefit = tuple(
        float((t.loc[costed, col] * t.loc[costed, "unit_cost_gbp"]).sum())
        for col in ("prevented", "prevented_low", "prevented_high")
    )
    harm_prevented = float(t["harm_days_prevented"].sum()) if harm is not None else float("nan")
    with np.errstate(divide="ignore"):
        bcr = tuple(b / cost if cost > 0 else float("inf") for b in benefit)
    return CostBenefitResult(
        table=t.rename_axis("offence").reset_index(),
        officer_hours=float(officer_hours),
        cost_gbp=float(cost),
        crimes_prevented=prevented,
        cost_per_crime_prevented=cost / prevented[0] if prevented[0] > 0 else float("inf"),
        harm_days_prevented=harm_prevented,
        harm_days_per_officer_hour=harm_prevented / officer_hours,
        benefit_gbp=benefit,  # type: ignore[arg-type]
        benefit_cost_ratio=bcr,  # type: ignore[arg-type]
        uncosted=uncosted,
    )

"""Crime versus patrol: intention-to-treat first, then dose-response and the complier effect.

Patrol time is not randomised: officers go where crime is, so places with more crime get more
patrol and a naive regression of crime on patrol minutes is biased towards "patrol causes
crime". The randomised assignment is the clean comparison (intention-to-treat, ITT). The
complier effect uses the assignment as an instrument for patrol: the ITT divided by how much
assignment raised patrol (the first stage), the effect of patrol on crime for the places whose
patrol followed their assignment (Angrist, Imbens & Rubin 1996). The dose-response with lagged
patrol is shown for description only, with that caveat stated in its summary and plot.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from hspwork.errors import DataDroppedWarning, HspworkError, SchemaError
from hspwork.evaluation.effects import (
    EffectResult,
    _binary,
    _fit_absorbed,
    _Panel,
    _prepare_panel,
    _zcrit,
    estimate_effect,
    single_thread_blas,
)
from hspwork.evaluation.fixed_effects import FixedEffects
from hspwork.report import LoadReport, RowLedger

__all__ = ["ComplierResult", "DoseResponseResult", "complier_effect", "dose_response"]

CAVEAT = (
    "Patrol follows crime (officers are sent where crime is), so this association is not a "
    "causal effect of patrol; read the randomised intention-to-treat and complier effects for "
    "that."
)


@dataclass
class DoseResponseResult:
    """Association of crime with lagged patrol time, within places and periods.

    Attributes
    ----------
    irr_per_unit : float
        Rate ratio of crime per ``per_minutes`` of patrol in the previous period(s).
    ci, p_value : tuple, float
        Cluster-robust (by place) interval and p-value.
    per_minutes : float
        Patrol minutes the ratio refers to.
    lag : int
        Periods of lag.
    bins : DataFrame
        Lagged-dose bands with mean outcome, place-periods and a 95% interval of the mean.
    caveat : str
        Why this is not a causal estimate.
    """

    irr_per_unit: float
    ci: tuple[float, float]
    p_value: float
    per_minutes: float
    lag: int
    outcome: str
    dose: str
    bins: pd.DataFrame
    caveat: str
    load_report: LoadReport = field(repr=False)
    fit: object = field(repr=False, default=None)

    def summary(self) -> str:
        """Estimate and caveat."""
        return (
            f"{self.outcome} vs {self.dose} lagged {self.lag} period(s): rate ratio "
            f"{self.irr_per_unit:.3f} per {self.per_minutes:g} minutes (95% CI "
            f"{self.ci[0]:.3f} to {self.ci[1]:.3f}, p = {self.p_value:.3g}), with place and "
            f"period fixed effects. {self.caveat}"
        )

    def plot(self, ax=None):
        """Mean outcome by band of lagged patrol, with intervals; returns the Figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4))
        else:
            fig = ax.figure
        b = self.bins
        x = np.arange(len(b))
        ax.errorbar(
            x,
            b["mean_outcome"],
            yerr=[b["mean_outcome"] - b["ci_low"], b["ci_high"] - b["mean_outcome"]],
            fmt="o-",
            color="#2f5f8a",
            capsize=3,
        )
        ax.set_xticks(x, b["band"].astype(str), rotation=30, ha="right")
        ax.set_xlabel(f"{self.dose}, previous {self.lag} period(s)")
        ax.set_ylabel(f"mean {self.outcome} per place-period")
        ax.set_title(
            f"Rate ratio {self.irr_per_unit:.2f} per {self.per_minutes:g} min "
            "(association only: patrol follows crime)",
            fontsize=9,
        )
        fig.tight_layout()
        return fig


def _minutes(frame: pd.DataFrame, dose: str) -> np.ndarray:
    """Patrol minutes as floats, refusing text and negative values by example."""
    d = pd.to_numeric(frame[dose], errors="coerce").to_numpy(dtype=float)
    bad = ~(d >= 0)
    if bad.any():
        raise SchemaError(
            f"column {dose!r} must hold non-negative minutes; received "
            f"{frame[dose].to_numpy()[bad][:5].tolist()}"
        )
    return d


def _lagged(panel: pd.DataFrame, dose: str, unit: str, period: str, lag: int) -> np.ndarray:
    """Dose of the same place ``lag`` periods earlier, for every row of the full ``panel``.

    Computed before any rows are set aside, so a period dropped from the model (say, one with
    no crime anywhere) still gives its patrol to the period after it. NaN where that earlier
    period is missing for the place or its dose is missing.
    """
    d = pd.to_numeric(panel[dose], errors="coerce").to_numpy(dtype=float)
    u_codes, units = pd.factorize(panel[unit], sort=True)
    t_codes, periods = pd.factorize(panel[period], sort=True)
    ok = (u_codes >= 0) & (t_codes >= 0)
    grid = np.full((len(units), len(periods)), np.nan)
    grid[u_codes[ok], t_codes[ok]] = d[ok]
    shifted = np.full_like(grid, np.nan)
    shifted[:, lag:] = grid[:, :-lag]
    out = np.full(len(panel), np.nan)
    out[ok] = shifted[u_codes[ok], t_codes[ok]]
    return out


def dose_response(
    panel: pd.DataFrame,
    *,
    outcome: str,
    dose: str,
    unit: str,
    period: str,
    lag: int = 1,
    per_minutes: float = 60.0,
    model: str = "poisson",
    n_bins: int = 5,
) -> DoseResponseResult:
    """Crime per place-period against patrol minutes in the previous period(s).

    Parameters
    ----------
    panel : DataFrame
        One row per place and period with the outcome and patrol minutes (from tracking's
        dosage, summed per place and period).
    outcome, dose, unit, period : str
        Column names; ``dose`` is in minutes.
    lag : int, default 1
        Periods of lag (patrol in week t−1 against crime in week t), which removes the
        mechanical same-period link but not the deployment of patrol to where crime was.
    per_minutes : float, default 60
        The IRR is per this many minutes.
    model : {"poisson", "negbin", "quasipoisson"}, default "poisson"
    n_bins : int, default 5
        Bands of lagged dose for the table and plot (quantiles; ties merge bands).

    Returns
    -------
    DoseResponseResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> panel = pd.DataFrame({"spot": np.repeat(np.arange(30), 10),
    ...                       "week": np.tile(np.arange(10), 30)})
    >>> panel["minutes"] = rng.uniform(0, 300, len(panel))
    >>> lag_h = panel.groupby("spot")["minutes"].shift(1).fillna(0) / 60
    >>> panel["crimes"] = rng.poisson(4 * np.exp(-0.1 * lag_h))
    >>> r = dose_response(panel, outcome="crimes", dose="minutes", unit="spot", period="week")
    >>> bool(r.ci[0] < np.exp(-0.1) < r.ci[1])
    True
    """
    if lag < 1:
        raise HspworkError(f"lag must be at least 1 period; received {lag!r}")
    if not per_minutes > 0:
        raise HspworkError(f"per_minutes must be positive; received {per_minutes!r}")
    if int(n_bins) < 1:
        raise HspworkError(f"n_bins must be at least 1; received {n_bins!r}")
    # the lag is taken on the whole panel, then travels with its row through the checks
    lag_col = "__hspwork_lagged_dose"
    lagged = panel.assign(**{lag_col: _lagged(panel, dose, unit, period, lag)})
    p = _prepare_panel(lagged, outcome=outcome, unit=unit, period=period, extra=(dose,))
    _minutes(p.frame, dose)  # refuses text and negative minutes before any fit
    d_lag = p.frame[lag_col].to_numpy(dtype=float)
    ledger = RowLedger(len(p.y), "dose-response panel")
    ledger.drop(np.isnan(d_lag), f"no patrol data {lag} period(s) earlier")
    keep = ledger.keep
    rep = ledger.report()
    sub = _Panel(
        y=p.y[keep],
        unit_codes=pd.factorize(p.unit_codes[keep], sort=True)[0],
        period_codes=pd.factorize(p.period_codes[keep], sort=True)[0],
        units=pd.Index(np.unique(p.unit_codes[keep])),
        periods=pd.Index(np.unique(p.period_codes[keep])),
        frame=p.frame.loc[keep],
        report=rep,
    )
    x = d_lag[keep] / per_minutes
    fit, _ = _fit_absorbed(sub, x[:, None], model)
    beta = float(fit.beta[-1])
    se = float(np.sqrt(fit.cov_cluster(sub.unit_codes)[-1, -1]))
    zc = _zcrit(0.95)
    band = pd.qcut(d_lag[keep], q=n_bins, duplicates="drop")
    g = pd.DataFrame({"band": band, "y": sub.y}).groupby("band", observed=True)["y"]
    bins = g.agg(mean_outcome="mean", n="size", sd="std").reset_index()
    half = zc * bins["sd"].fillna(0) / np.sqrt(bins["n"])
    bins["ci_low"] = bins["mean_outcome"] - half
    bins["ci_high"] = bins["mean_outcome"] + half
    bins = bins.drop(columns="sd")
    report = LoadReport(
        source="dose-response panel",
        rows_read=p.report.rows_read,
        rows_kept=int(keep.sum()),
        dropped={**p.report.dropped, **rep.dropped},
        notes=p.report.notes,
    )
    return DoseResponseResult(
        irr_per_unit=float(np.exp(beta)),
        ci=(float(np.exp(beta - zc * se)), float(np.exp(beta + zc * se))),
        p_value=float(2 * stats.norm.sf(abs(beta / se))),
        per_minutes=float(per_minutes),
        lag=lag,
        outcome=outcome,
        dose=dose,
        bins=bins,
        caveat=CAVEAT,
        load_report=report,
        fit=fit,
    )


@dataclass
class ComplierResult:
    """Intention-to-treat, first stage and complier (instrumental-variable) effect.

    Attributes
    ----------
    itt : EffectResult
        The randomised comparison as a count model (assigned × post IRR), reported first.
    itt_change : float
        ITT on the linear scale: change in the outcome per place-period from assignment.
    first_stage : float
        Extra patrol minutes per place-period that assignment produced.
    first_stage_f : float
        Cluster-robust F statistic of the first stage (weak instrument below about 10).
    late_per_unit : float
        Complier effect: change in the outcome per place-period per ``per_minutes`` of
        patrol, 2SLS with place and period fixed effects.
    late_ci, late_se : tuple, float
        Cluster-robust (by place) interval and standard error.
    itt_se, first_stage_se : float
    """

    itt: EffectResult
    itt_change: float
    itt_se: float
    first_stage: float
    first_stage_se: float
    first_stage_f: float
    late_per_unit: float
    late_se: float
    late_ci: tuple[float, float]
    per_minutes: float
    n_units: int

    def summary(self) -> str:
        """ITT first, then the complier effect."""
        weak = " (weak instrument: read with care)" if self.first_stage_f < 10 else ""
        return (
            f"Intention to treat: {self.itt.summary().splitlines()[0]}; "
            f"{self.itt_change:+.3f} per place-period on the linear scale.\n"
            f"First stage: assignment added {self.first_stage:.1f} patrol minutes per "
            f"place-period (F = {self.first_stage_f:.1f}){weak}.\n"
            f"Complier effect: {self.late_per_unit:+.3f} per place-period per "
            f"{self.per_minutes:g} minutes of patrol (95% CI {self.late_ci[0]:+.3f} to "
            f"{self.late_ci[1]:+.3f}), 2SLS with assignment as the instrument."
        )


def _partial_out(p: _Panel, cols: np.ndarray) -> np.ndarray:
    """Residuals of each column of ``cols`` after least squares on unit and period effects."""
    with single_thread_blas():
        return FixedEffects(p.unit_codes, p.period_codes).project(cols, np.ones(len(p.y)))


def _cluster_var(score: np.ndarray, groups: np.ndarray, bread: float, n: int, k: int) -> float:
    """Cluster-robust variance of a single coefficient: bread² · Σ_g (Σ_i s_i)², with the
    Stata/statsmodels small-sample factor G/(G−1)·(N−1)/(N−K)."""
    sums = np.bincount(groups, weights=score)
    g = sums.size
    factor = g / (g - 1) * (n - 1) / (n - k)
    return float(factor * bread**2 * np.sum(sums**2))


def complier_effect(
    panel: pd.DataFrame,
    *,
    outcome: str,
    dose: str,
    assigned: str,
    post: str,
    unit: str,
    period: str,
    per_minutes: float = 60.0,
    itt_model: str = "poisson",
) -> ComplierResult:
    """ITT, first stage and the complier effect of patrol, with assignment as the instrument.

    Parameters
    ----------
    panel : DataFrame
        One row per place and period: outcome, patrol minutes, assignment, post indicator.
    outcome, dose, assigned, post, unit, period : str
        Column names; ``assigned`` is the randomised 0/1 assignment (not whether patrol
        happened), ``dose`` the patrol minutes actually delivered.
    per_minutes : float, default 60
        The complier effect is per this many minutes of patrol.
    itt_model : str, default "poisson"
        Count model of the ITT (see :func:`~hspwork.evaluation.estimate_effect`).

    Returns
    -------
    ComplierResult

    Notes
    -----
    With place and period fixed effects partialled out, the instrument z = assigned × post
    gives ITT = z'y/z'z, first stage = z'd/z'z and the 2SLS complier effect = z'y / z'd
    (their ratio; in a balanced two-period panel, the difference in differences of crime
    over that of patrol). Errors are clustered by place.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> panel = pd.DataFrame({"spot": np.repeat(np.arange(60), 8),
    ...                       "week": np.tile(np.arange(8), 60)})
    >>> panel["assigned"] = (panel.spot < 30).astype(int)
    >>> panel["post"] = (panel.week >= 4).astype(int)
    >>> z = panel.assigned * panel.post
    >>> panel["minutes"] = rng.gamma(2, 20, len(panel)) + z * rng.uniform(60, 180, len(panel))
    >>> panel["crimes"] = rng.poisson(6 * np.exp(-0.15 * panel.minutes / 60))
    >>> r = complier_effect(panel, outcome="crimes", dose="minutes", assigned="assigned",
    ...                     post="post", unit="spot", period="week")
    >>> r.first_stage > 60 and r.late_per_unit < 0
    True
    """
    if not per_minutes > 0:
        raise HspworkError(f"per_minutes must be positive; received {per_minutes!r}")
    itt = estimate_effect(
        panel,
        outcome=outcome,
        treated=assigned,
        post=post,
        unit=unit,
        period=period,
        model=itt_model,
    )
    # the linear stages use the same rows as the count model (all-zero places excluded)
    with warnings.catch_warnings():
        # the same rows were already reported (and warned about) by estimate_effect above
        warnings.simplefilter("ignore", DataDroppedWarning)
        p = _prepare_panel(
            panel, outcome=outcome, unit=unit, period=period, extra=(assigned, post, dose)
        )
    d = _minutes(p.frame, dose) / per_minutes
    z = _binary(p.frame, assigned) * _binary(p.frame, post)
    yt, dt, zt = _partial_out(p, np.column_stack([p.y, d, z])).T
    # parameters of the dummy-variable regression (intercept, unit and period dummies, z),
    # for the small-sample factor
    n, k = len(p.y), len(p.units) + len(p.periods)
    zz, zd, zy = zt @ zt, zt @ dt, zt @ yt
    if abs(zd) < 1e-12 * max(1.0, zz):
        raise HspworkError(
            "assignment did not change patrol (first stage is zero): the complier effect is "
            "not identified"
        )
    itt_lin = zy / zz
    fs = zd / zz
    late = zy / zd
    u_itt = yt - itt_lin * zt
    u_fs = dt - fs * zt
    u_iv = yt - late * dt
    g = p.unit_codes
    itt_se = np.sqrt(_cluster_var(zt * u_itt, g, 1 / zz, n, k))
    fs_se = np.sqrt(_cluster_var(zt * u_fs, g, 1 / zz, n, k))
    late_se = np.sqrt(_cluster_var(zt * u_iv, g, 1 / zd, n, k))
    zc = _zcrit(0.95)
    return ComplierResult(
        itt=itt,
        itt_change=float(itt_lin),
        itt_se=float(itt_se),
        first_stage=float(fs * per_minutes),
        first_stage_se=float(fs_se * per_minutes),
        first_stage_f=float((fs / fs_se) ** 2),
        late_per_unit=float(late),
        late_se=float(late_se),
        late_ci=(float(late - zc * late_se), float(late + zc * late_se)),
        per_minutes=float(per_minutes),
        n_units=len(p.units),
    )

"""Effects of a programme rolled out to places at different times (staggered adoption).

When places start at different weeks, the usual two-way fixed-effects model compares newly
treated places with places treated earlier, whose crime is already falling; when the effect
grows with time since the start those comparisons pull the estimate towards no effect, or
past it (Goodman-Bacon 2021; de Chaisemartin & D'Haultfœuille 2020). :func:`staggered_effect`
uses the **imputation estimator** of Borusyak, Jaravel & Spiess (2024) in its Poisson form:

1. fit place and period effects on the untreated place-periods only (places never treated
   and places not yet started, or with ``control="never"`` the period effects from the
   never-treated places alone and each started place's own level from its weeks before);
2. impute each treated place-period's counterfactual, exp(place + period);
3. the effect is observed over imputed, summed over the treated place-periods (or those
   ``e`` periods after the start, for ``by_event_time``).

It is the estimator of choice here because it never uses a treated place-period as a
comparison (so effects that grow week by week do not bias it), because it uses every
untreated place-period (the most precise of the staggered estimators under parallel trends),
and because its Poisson form is exactly Wooldridge's (2023) extended Poisson two-way
fixed-effects model with a dummy for every treated place-period (a test checks the two
agree), so it keeps the multiplicative parallel-trends assumption of the count models in
:mod:`hspwork.evaluation.effects`. Callaway & Sant'Anna compare each cohort with a single
base period, which is noisier with weekly crime counts.

Errors are clustered by place from the estimator's influence function: the imputation
step's uncertainty (the fitted effects) and the treated place-periods' own noise around their
event-time effect (the conservative choice of Borusyak, Jaravel & Spiess).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from hspwork.errors import DataDroppedWarning, HspworkError, SchemaError
from hspwork.evaluation.effects import _row_checks, _zcrit, single_thread_blas
from hspwork.evaluation.fixed_effects import fit_fe_glm
from hspwork.report import LoadReport

__all__ = ["StaggeredResult", "staggered_effect"]

CONTROLS = ("never", "not-yet")
STAGGERED_MODELS = ("poisson", "quasipoisson")


@dataclass
class StaggeredResult:
    """Imputation estimate of a staggered roll-out's effect (Borusyak, Jaravel & Spiess).

    Attributes
    ----------
    irr : float
        Observed over imputed counterfactual, summed over every treated place-period: the
        average effect on the treated as a rate ratio (below 1 means crime fell).
    ci : tuple[float, float]
        Interval at ``level`` (errors clustered by place).
    se, p_value : float
        Standard error of log ``irr`` and the two-sided p-value for irr = 1.
    by_event_time : DataFrame
        One row per period since the start (``event_time`` 0 is the first treated period):
        ``irr``, ``ci_low``, ``ci_high``, ``se``, ``observed``, ``counterfactual``,
        ``places``, ``place_periods``. Rows with negative ``event_time`` are the pre-trend
        check: rate ratios of started places in the periods just before their start, fitted
        on untreated place-periods only (about 1 when trends were parallel).
    pretrend_chi2, pretrend_df, pretrend_p : float, int, float
        Joint Wald test that those pre-period ratios are all 1.
    control : str
        "never" or "not-yet".
    n_units, n_periods, n_treated_units, n_cohorts : int
    load_report : LoadReport
        Panel rows read, used and set aside by reason.
    """

    irr: float
    ci: tuple[float, float]
    se: float
    p_value: float
    by_event_time: pd.DataFrame
    pretrend_chi2: float
    pretrend_df: int
    pretrend_p: float
    control: str
    model: str
    outcome: str
    level: float
    n_units: int
    n_periods: int
    n_treated_units: int
    n_cohorts: int
    observed: float
    counterfactual: float
    load_report: LoadReport = field(repr=False)

    @property
    def percent_change(self) -> float:
        """100·(irr − 1)."""
        return 100.0 * (self.irr - 1.0)

    def summary(self) -> str:
        """A few plain lines for a briefing."""
        pct = round(100 * self.level)
        ctrl = (
            "places never patrolled"
            if self.control == "never"
            else "places never patrolled or not yet started"
        )
        trend = (
            "no pre-period to check trends"
            if self.pretrend_df == 0
            else "the periods before each start could not be checked (too few places or periods "
            "before the starts, or an exact fit), so parallel trends are untested"
            if np.isnan(self.pretrend_p)
            else (
                "no sign that started places were already diverging before their start "
                f"(p = {self.pretrend_p:.2f})"
                if self.pretrend_p >= 0.05
                else "started places were already moving differently before their start "
                f"(p = {self.pretrend_p:.3f}): read the effect with care"
            )
        )
        return (
            f"{self.outcome}: {self.observed:,.0f} observed against {self.counterfactual:,.0f} "
            f"expected without the programme in treated place-periods: IRR {self.irr:.3f} "
            f"({pct}% CI {self.ci[0]:.3f} to {self.ci[1]:.3f}, p = {self.p_value:.3g}), a "
            f"{self.percent_change:+.1f}% change.\n"
            f"Staggered roll-out: {self.n_treated_units} places starting in {self.n_cohorts} "
            f"different periods, compared with {ctrl} (imputation estimator of Borusyak, "
            f"Jaravel & Spiess, {self.model}; errors clustered by place); {self.n_units} places "
            f"x {self.n_periods} periods.\n{trend}.\n{self.load_report.summary()}"
        )

    def table(self) -> pd.DataFrame:
        """The overall estimate and one row per event time, as numbers."""
        overall = pd.DataFrame(
            [
                {
                    "estimate": "all treated place-periods",
                    "event_time": pd.NA,
                    "irr": self.irr,
                    "ci_low": self.ci[0],
                    "ci_high": self.ci[1],
                    "se": self.se,
                    "p_value": self.p_value,
                    "observed": self.observed,
                    "counterfactual": self.counterfactual,
                    "places": self.n_treated_units,
                    "place_periods": int(
                        self.by_event_time.loc[
                            self.by_event_time["event_time"] >= 0, "place_periods"
                        ].sum()
                    ),
                }
            ]
        )
        e = self.by_event_time.copy()
        e.insert(
            0,
            "estimate",
            [
                f"{-k} period(s) before the start" if k < 0 else f"period {k} since the start"
                for k in e["event_time"]
            ],
        )
        out = pd.concat([overall, e], ignore_index=True)
        out["event_time"] = out["event_time"].astype("Int64")
        out["outcome"] = self.outcome
        out["method"] = f"imputation (Borusyak, Jaravel & Spiess), {self.control} controls"
        return out

    def plot(self, ax=None):
        """Rate ratio by periods since the start, with intervals; returns the Figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 4))
        else:
            fig = ax.figure
        t = self.by_event_time
        pre = t["event_time"].to_numpy() < 0
        colours = np.where(pre, "#5b7fa3", "#c0504d")
        ax.axhline(1.0, color="grey", lw=1)
        ax.vlines(t["event_time"], t["ci_low"], t["ci_high"], colors=colours, lw=1.5)
        ax.scatter(t["event_time"], t["irr"], color=colours, zorder=3)
        ax.axvline(-0.5, color="black", ls="--", lw=1)
        ax.set_yscale("log")
        ax.set_xlabel("periods since the place's start (0: first period of patrols)")
        ax.set_ylabel("observed / expected without patrols (log scale)")
        ax.set_title(
            f"{self.outcome}: IRR {self.irr:.2f} ({self.ci[0]:.2f} to {self.ci[1]:.2f}) "
            "by time since start",
            fontsize=9,
        )
        fig.tight_layout()
        return fig


def _first_positions(ft: np.ndarray, periods: pd.Index) -> np.ndarray:
    """Position of each first treated period in the sorted periods; a large number when never.

    A start after the last period counts as never treated within the panel; a start before
    the first period gives position 0 (treated throughout, nothing to impute from).
    """
    s = pd.Series(ft)
    never = s.isna().to_numpy(dtype=bool).copy()
    if pd.api.types.is_numeric_dtype(s):
        never |= s.eq(-1).to_numpy(dtype=bool)
    big = np.iinfo(np.int64).max // 4
    pos = np.full(len(s), big, dtype=np.int64)
    if (~never).any():
        vals = s[~never]
        try:
            pos[~never] = periods.searchsorted(pd.Index(vals.tolist()), side="left")
        except (TypeError, ValueError):
            raise SchemaError(
                f"first treated periods must be values like those of the period column; "
                f"received {vals.tolist()[:5]} against periods like {list(periods[:3])}"
            ) from None
    pos[pos >= len(periods)] = big
    return pos


def _fit_untreated(y, u, t, in_a, in_b, n_u, n_t):
    """Place effects from rows ``in_a`` and period effects from rows ``in_b`` (⊆ in_a).

    With ``in_b == in_a`` this is the Poisson two-way model on the untreated rows. Otherwise
    (never-treated controls) the period effects come from the never-treated places alone and
    each started place's level from its own untreated rows given those period effects, the
    Poisson score equations Σ_A (y − mu) = 0 by place and Σ_B (y − mu) = 0 by period.
    """
    alpha = np.full(n_u, np.nan)
    gamma = np.full(n_t, np.nan)
    ub, ui = np.unique(u[in_b], return_inverse=True)
    tb, ti = np.unique(t[in_b], return_inverse=True)
    fit = fit_fe_glm(y[in_b], np.empty((int(in_b.sum()), 0)), ui, ti)
    alpha[ub] = fit.unit_effects
    gamma[tb] = fit.period_effects
    rest = in_a & ~np.isin(u, ub)
    if rest.any():
        # Poisson MLE of a place's level given the period effects: log(Σ y / Σ exp(γ))
        num = np.bincount(u[rest], weights=y[rest], minlength=n_u)
        den = np.bincount(u[rest], weights=np.exp(gamma[t[rest]]), minlength=n_u)
        others = np.unique(u[rest])
        alpha[others] = np.log(num[others] / den[others])
    return alpha, gamma


def _influence(y, mu, u, t, in_a, in_b, treated_sets, n_u, n_t):
    """Per-place influence of log(Σ imputed) for each set of treated rows (columns).

    For a set S of treated rows with imputed total S_S = Σ_S mu, the estimating equations of
    the effects (Σ_A (y − mu) by place, Σ_B (y − mu) by period) linearise log S_S as
    Σ_rows (y − mu)·(1_A·v_u + 1_B·v_t)/S_S with J'v = g_S, J the Jacobian of the equations
    and g_S = ∂S_S/∂(effects). J'v = g is solved on the period block (Schur complement);
    the place block follows in closed form.
    """
    d_ua = np.bincount(u[in_a], weights=mu[in_a], minlength=n_u)
    d_tb = np.bincount(t[in_b], weights=mu[in_b], minlength=n_t)
    c_a = np.zeros((n_u, n_t))
    np.add.at(c_a, (u[in_a], t[in_a]), mu[in_a])
    c_b = np.zeros((n_u, n_t))
    np.add.at(c_b, (u[in_b], t[in_b]), mu[in_b])
    safe = np.where(d_ua > 0, d_ua, 1.0)
    schur = np.diag(d_tb) - c_a.T @ (c_b / safe[:, None])
    out = []
    untreated = in_a  # B ⊆ A
    for rows in treated_sets:
        g_u = np.bincount(u[rows], weights=mu[rows], minlength=n_u)
        g_t = np.bincount(t[rows], weights=mu[rows], minlength=n_t)
        s_tot = float(g_u.sum())
        rhs = g_t - c_a.T @ (g_u / safe)
        # the system is singular along the shift between place and period effects; any
        # solution gives the same influence (the shift cancels row by row), lstsq picks one
        v_t = np.linalg.lstsq(schur, rhs, rcond=None)[0]
        v_u = (g_u - c_b @ v_t) / safe
        r = np.where(untreated, y - mu, 0.0)
        lin = r * (np.where(in_a, v_u[u], 0.0) + np.where(in_b, v_t[t], 0.0))
        out.append(np.bincount(u, weights=lin, minlength=n_u) / s_tot)
    return np.column_stack(out) if out else np.empty((n_u, 0))


def staggered_effect(
    panel: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    period: str,
    first_treated: str,
    control: str = "never",
    model: str = "poisson",
    level: float = 0.95,
    pre_periods: int = 4,
) -> StaggeredResult:
    """Effect of a programme whose places started at different times (imputation estimator).

    Parameters
    ----------
    panel : DataFrame
        One row per place and period (as :func:`~hspwork.evaluation.crime_panel` gives).
    outcome : str
        Count column (crimes) or a harm-weighted column.
    unit, period : str
        Place and period columns; periods must sort in time order (integers or times).
    first_treated : str
        Column holding each place's first treated period (a value of ``period``); missing
        or −1 when the place was never treated. It must be constant within a place.
    control : {"never", "not-yet"}, default "never"
        "never": period effects from places never treated; "not-yet": also from places not
        yet started (more data; needed when every place is eventually treated).
    model : {"poisson", "quasipoisson"}, default "poisson"
        Both give the same estimate and the same (robust) errors; harm days are not counts,
        so say "quasipoisson" for harm to be plain about it.
    level : float, default 0.95
    pre_periods : int, default 4
        Periods before each start checked for diverging trends (``event_time`` −1 to
        −``pre_periods`` in ``by_event_time``); 0 skips the check.

    Returns
    -------
    StaggeredResult

    Notes
    -----
    Borusyak, Jaravel & Spiess (2024, Review of Economic Studies), imputation in its Poisson
    form: the fitted place and period effects on untreated rows give each treated row's
    counterfactual mean, and the effect is Σ observed / Σ counterfactual over the treated rows
    (Wooldridge 2023 shows the extended Poisson two-way model gives the same numbers). The
    variance is clustered by place from the influence function, with the treated rows'
    deviations taken from their event-time average (conservative when effects differ
    between places), and the factor G/(G − 1). Treated rows that cannot be imputed (a place
    treated from the first period, or a period with no untreated comparison) are set aside
    and counted in ``load_report``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> place, week = np.repeat(np.arange(60), 30), np.tile(np.arange(30), 60)
    >>> start = np.where(place < 20, -1, np.where(place < 40, 10, 20))
    >>> on = (start >= 0) & (week >= start)
    >>> panel = pd.DataFrame({"place": place, "week": week, "start": start,
    ...                       "crimes": rng.poisson(np.where(on, 2.1, 3.0))})
    >>> r = staggered_effect(panel, outcome="crimes", unit="place", period="week",
    ...                      first_treated="start")
    >>> bool(r.ci[0] < 0.7 < r.ci[1]), r.n_cohorts
    (True, 2)
    """
    if not isinstance(panel, pd.DataFrame):
        raise SchemaError(f"panel must be a pandas DataFrame; received {type(panel).__name__}")
    if control not in CONTROLS:
        raise HspworkError(f"control must be one of {CONTROLS}; received {control!r}")
    if model not in STAGGERED_MODELS:
        raise HspworkError(
            f"model must be one of {STAGGERED_MODELS}; received {model!r} (the imputation "
            "estimator rests on Poisson fitted totals matching observed ones; its errors are "
            "robust, so overdispersed counts need no negative binomial)"
        )
    if int(pre_periods) < 0:
        raise HspworkError(f"pre_periods must be 0 or more; received {pre_periods!r}")
    zc = _zcrit(level)
    needed = [outcome, unit, period, first_treated]
    missing = [c for c in needed if c not in panel.columns]
    if missing:
        raise SchemaError(
            f"panel lacks columns {missing}; it has {list(panel.columns)} and needs {needed}"
        )
    y_all, ledger = _row_checks(panel, outcome, unit, period, (), "staggered roll-out panel")
    frame = panel.loc[ledger.keep]
    if (frame.groupby(unit)[first_treated].nunique(dropna=False) > 1).any():
        bad = frame.groupby(unit)[first_treated].nunique(dropna=False)
        raise SchemaError(
            f"column {first_treated!r} must be constant within each {unit!r}; it varies for "
            f"{list(bad.index[bad > 1])[:5]}"
        )
    y = y_all[ledger.keep]
    u_codes, units = pd.factorize(frame[unit], sort=True)
    t_codes, periods = pd.factorize(frame[period], sort=True)
    n_u, n_t = len(units), len(periods)
    if n_t < 2:
        raise HspworkError(f"the panel needs at least two periods; received {n_t}")
    ft_unit = frame.groupby(u_codes)[first_treated].first().to_numpy()
    start_pos = _first_positions(ft_unit, pd.Index(periods))
    never_u = start_pos >= n_t
    ev = t_codes - np.where(never_u[u_codes], t_codes + 1, start_pos[u_codes])  # <0: untreated
    is_treated = ~never_u[u_codes] & (ev >= 0)
    if not is_treated.any():
        raise HspworkError(
            f"no place-period is treated: {first_treated!r} is missing, −1 or after the last "
            "period for every place"
        )
    if control == "never" and not never_u.any():
        raise HspworkError(
            "every place is treated at some point, so there is no never-treated comparison; "
            "use control='not-yet' (places not yet started serve as comparisons)"
        )

    # rows that carry information: an untreated row of a place, a period with comparisons
    kept = np.ones(len(y), dtype=bool)
    drops: dict[str, np.ndarray] = {}

    def drop(mask, reason):
        m = mask & kept
        if m.any():
            drops[reason] = drops.get(reason, np.zeros(len(y), bool)) | m
            kept[m] = False

    while True:  # removing rows can expose another all-zero place or period: to a fixed point
        n_before = kept.sum()
        in_a = kept & ~is_treated
        in_b = in_a & (never_u[u_codes] if control == "never" else True)
        a_tot = np.bincount(u_codes[in_a], weights=y[in_a], minlength=n_u)
        a_n = np.bincount(u_codes[in_a], minlength=n_u)
        drop(a_n[u_codes] == 0, "place with no untreated period to impute from")
        drop((a_n[u_codes] > 0) & (a_tot[u_codes] == 0), f"place with zero {outcome} before")
        in_b = kept & in_b
        b_tot = np.bincount(t_codes[in_b], weights=y[in_b], minlength=n_t)
        b_n = np.bincount(t_codes[in_b], minlength=n_t)
        drop(b_n[t_codes] == 0, "period with no untreated comparison place")
        drop((b_n[t_codes] > 0) & (b_tot[t_codes] == 0), f"period with zero {outcome} in controls")
        if kept.sum() == n_before:
            break
    base = np.flatnonzero(ledger.keep)  # panel rows behind y (before these drops)
    for reason, mask in drops.items():
        ledger_mask = np.zeros(len(panel), dtype=bool)
        ledger_mask[base[mask]] = True
        ledger.drop(ledger_mask, reason)
    report = ledger.report()
    if report.dropped:
        warnings.warn(report.summary(), DataDroppedWarning, stacklevel=2)
    in_a = kept & ~is_treated
    in_b = in_a & (never_u[u_codes] if control == "never" else True)
    treated_rows = kept & is_treated
    if not treated_rows.any():
        raise HspworkError(f"no treated place-period can be imputed: {report.summary()}")

    with single_thread_blas():
        alpha, gamma = _fit_untreated(y, u_codes, t_codes, in_a, in_b, n_u, n_t)
        mu = np.where(kept, np.exp(alpha[u_codes] + gamma[t_codes]), 0.0)
        mu = np.nan_to_num(mu)
        ev_t = np.where(treated_rows, ev, -1)
        events = np.unique(ev_t[treated_rows])
        sets = [treated_rows] + [treated_rows & (ev_t == e) for e in events]
        infl = _influence(y, mu, u_codes, t_codes, in_a, in_b, sets, n_u, n_t)
    # treated rows: deviation from the event-time ratio, over the observed total of the set
    ratio_e = {e: y[s].sum() / mu[s].sum() for e, s in zip(events, sets[1:])}
    r_row = np.zeros(len(y))
    for e, s in zip(events, sets[1:]):
        r_row[s] = ratio_e[e]
    dev = np.where(treated_rows, y - r_row * mu, 0.0)
    g_factor = n_u / (n_u - 1.0)
    results = []
    for j, s in enumerate(sets):
        obs, cf = float(y[s].sum()), float(mu[s].sum())
        psi = np.bincount(u_codes, weights=np.where(s, dev, 0.0), minlength=n_u) / max(obs, 1e-300)
        psi = psi - infl[:, j]
        se = float(np.sqrt(g_factor * np.sum(psi**2)))
        est = np.log(obs / cf) if obs > 0 else -np.inf
        results.append((obs, cf, est, se, int(np.unique(u_codes[s]).size), int(s.sum())))
    obs, cf, est, se, n_tr_u, _ = results[0]
    rows = []
    for e, (o, c, b, s_e, n_pl, n_pp) in zip(events, results[1:]):
        rows.append(
            {
                "event_time": int(e),
                "irr": float(np.exp(b)),
                "ci_low": float(np.exp(b - zc * s_e)),
                "ci_high": float(np.exp(b + zc * s_e)),
                "se": s_e,
                "observed": o,
                "counterfactual": c,
                "places": n_pl,
                "place_periods": n_pp,
            }
        )
    pre_rows, chi2, df_pre, p_pre = _pretrend(
        y, u_codes, t_codes, ev, in_a, never_u, int(pre_periods), zc
    )
    by_event = pd.DataFrame(pre_rows + rows)
    return StaggeredResult(
        irr=float(np.exp(est)),
        ci=(float(np.exp(est - zc * se)), float(np.exp(est + zc * se))),
        se=se,
        p_value=float(2 * stats.norm.sf(abs(est / se))) if se > 0 else float("nan"),
        by_event_time=by_event,
        pretrend_chi2=chi2,
        pretrend_df=df_pre,
        pretrend_p=p_pre,
        control=control,
        model=model,
        outcome=outcome,
        level=level,
        n_units=int(np.unique(u_codes[kept]).size),
        n_periods=int(np.unique(t_codes[kept]).size),
        n_treated_units=n_tr_u,
        n_cohorts=int(np.unique(start_pos[np.unique(u_codes[treated_rows])]).size),
        observed=obs,
        counterfactual=cf,
        load_report=report,
    )


def _pretrend(y, u, t, ev, in_a, never_u, k, zc):
    """Lead ratios (event times −1..−k) on the untreated rows, and their joint Wald test.

    Borusyak, Jaravel & Spiess's test: add indicators for the k periods before each start to
    the model of untreated rows; under parallel trends their coefficients are zero.
    """
    if k == 0:
        return [], float("nan"), 0, float("nan")
    rows = in_a
    leads = [e for e in range(-k, 0) if np.any(rows & ~never_u[u] & (ev == e))]
    if not leads:
        return [], float("nan"), 0, float("nan")
    uc, ui = np.unique(u[rows], return_inverse=True)
    _, ti = np.unique(t[rows], return_inverse=True)
    started = ~never_u[u[rows]]
    X = np.column_stack([(started & (ev[rows] == e)).astype(float) for e in leads])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a lead with no crime diverges; its row says so
        try:
            fit = fit_fe_glm(y[rows], X, ui, ti)
        except np.linalg.LinAlgError:
            # the leads cover every untreated period of a started place: its level and its
            # leads cannot be told apart, so there is nothing to test
            return [], float("nan"), len(leads), float("nan")
    cov = fit.cov_cluster(ui, correction=False) * len(uc) / (len(uc) - 1.0)
    b = fit.beta
    se = np.sqrt(np.diag(cov))
    out = []
    for j, e in enumerate(leads):
        m = rows & ~never_u[u] & (ev == e)
        out.append(
            {
                "event_time": int(e),
                "irr": float(np.exp(b[j])),
                "ci_low": float(np.exp(b[j] - zc * se[j])),
                "ci_high": float(np.exp(b[j] + zc * se[j])),
                "se": float(se[j]),
                "observed": float(y[m].sum()),
                "counterfactual": float(y[m].sum() / np.exp(b[j])),
                "places": int(np.unique(u[m]).size),
                "place_periods": int(m.sum()),
            }
        )
    # No test when the leads' covariance cannot carry one: an exact fit leaves only rounding
    # (se of 1e-16, whose chi-squared is noise), and with few places the clustered covariance
    # can be indefinite (a NaN se) or of lower rank than the number of leads
    usable = bool(np.all(se > 1e-8)) and np.linalg.matrix_rank(cov, hermitian=True) == len(leads)
    if not usable:
        return out, float("nan"), len(leads), float("nan")
    chi2 = float(b @ np.linalg.solve(cov, b))
    return out, chi2, len(leads), float(stats.chi2.sf(chi2, len(leads)))

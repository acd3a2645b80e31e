"""Effect sizes for before/after comparisons of treated and control places.

Three measures that a crime analyst can compute from a handful of counts:

* :func:`rirr`, the relative incident rate ratio (Wilson 2022; Braga & Weisburd 2020), the effect
  size of hot spots meta-analyses;
* :func:`wdd`, the weighted displacement difference (Wheeler & Ratcliffe 2018, Crime Science
  7:11), with a harm-weighted form over crime types;
* :func:`wdq`, the weighted displacement quotient (Bowers & Johnson 2003), with the total net
  effect and a parametric bootstrap interval.

Every function accepts harm-weighted counts as well as plain counts: pass harm days in place of
crimes (or weights to :func:`wdd`) and the same formulas apply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from hspwork.compat import UNSET, renamed
from hspwork.errors import HspworkError

__all__ = ["RIRRResult", "WDDResult", "WDQResult", "rirr", "wdd", "wdq"]


def _z_crit(level: float) -> float:
    if not 0 < level < 1:
        raise HspworkError(f"level must be between 0 and 1 (e.g. 0.95); received {level!r}")
    return float(stats.norm.ppf(0.5 + level / 2))


@dataclass(frozen=True)
class RIRRResult:
    """Relative incident rate ratio and its uncertainty.

    Attributes
    ----------
    rirr : float
        (a·d)/(b·c); above 1 favours the treatment (crime fell more, or rose less, in treated
        places than in controls).
    log_rirr : float
        Natural log of ``rirr``.
    se : float
        Standard error of ``log_rirr``: sqrt(D·(1/a + 1/b + 1/c + 1/d)).
    ci : tuple[float, float]
        Confidence interval for ``rirr`` (exp of log_rirr ± z·se).
    z, p_value : float
        Wald statistic and two-sided p-value for RIRR = 1.
    percent_change : float
        The change in treated places relative to controls, 100·(1/rirr − 1); −20 means a 20%
        relative reduction.
    """

    rirr: float
    log_rirr: float
    se: float
    ci: tuple[float, float]
    z: float
    p_value: float
    percent_change: float
    dispersion: float

    def summary(self) -> str:
        """One line for a briefing."""
        return (
            f"RIRR {self.rirr:.3f} (95% CI {self.ci[0]:.3f} to {self.ci[1]:.3f}, p = "
            f"{self.p_value:.3g}); treated places changed by {self.percent_change:+.1f}% "
            f"relative to controls (dispersion {self.dispersion:g})"
        )


def rirr(
    a: float, b: float, c: float, d: float, *, dispersion: float = 1.0, level: float = 0.95
) -> RIRRResult:
    """Relative incident rate ratio of a treated-versus-control, before-versus-after design.

    Parameters
    ----------
    a, b : float
        Treated places' counts before and after (crimes, or harm-weighted counts).
    c, d : float
        Control places' counts before and after.
    dispersion : float, default 1.0
        Variance-to-mean ratio D of the counts; Var(ln RIRR) is multiplied by D. Use a value
        estimated from pre-period data (see :func:`hspwork.evaluation.estimate_dispersion`)
        for overdispersed crime counts; 1 is the Poisson case.
    level : float, default 0.95
        Confidence level of ``ci``.

    Returns
    -------
    RIRRResult

    Notes
    -----
    RIRR = (a·d)/(b·c) and Var(ln RIRR) = D·(1/a + 1/b + 1/c + 1/d) (Wilson 2022; Braga &
    Weisburd 2020). It is the reciprocal of the interaction rate ratio of a Poisson GLM
    ``y ~ treated * post`` fitted to the four cells, with the same standard error on the log
    scale.

    Examples
    --------
    >>> r = rirr(100, 80, 100, 100)
    >>> round(r.rirr, 4), round(r.se, 4)
    (1.25, 0.2062)
    >>> round(r.percent_change, 1)
    -20.0
    """
    counts = np.array([a, b, c, d], dtype=float)
    if not np.all(np.isfinite(counts)) or np.any(counts <= 0):
        raise HspworkError(
            "rirr needs four positive counts (a, b, c, d = treated before, after, control "
            f"before, after); received {tuple(counts.tolist())}. A zero count makes the ratio "
            "undefined: pool more time or places."
        )
    if not np.isfinite(dispersion) or dispersion <= 0:
        raise HspworkError(f"dispersion must be a positive number; received {dispersion!r}")
    a, b, c, d = counts
    log_r = float(np.log(a) + np.log(d) - np.log(b) - np.log(c))
    se = float(np.sqrt(dispersion * np.sum(1.0 / counts)))
    zc = _z_crit(level)
    z = log_r / se
    return RIRRResult(
        rirr=float(np.exp(log_r)),
        log_rirr=log_r,
        se=se,
        ci=(float(np.exp(log_r - zc * se)), float(np.exp(log_r + zc * se))),
        z=float(z),
        p_value=float(2 * stats.norm.sf(abs(z))),
        percent_change=float(100 * (np.exp(-log_r) - 1)),
        dispersion=float(dispersion),
    )


@dataclass(frozen=True)
class WDDResult:
    """Weighted displacement difference.

    Attributes
    ----------
    estimate : float
        (T1 − T0) − (C1 − C0) [+ (D1 − D0) − (DC1 − DC0)], weighted. Negative means crime (or
        harm) fell in the treated area, net of the control trend, counting the displacement
        area when given.
    se : float
        sqrt of the variance: the sum of all counts (Poisson), each times its weight squared.
    z : float
        estimate / se.
    ci : tuple[float, float]
        Confidence interval at the requested level.
    p_value : float
        Two-sided p-value.
    local : float
        The treated-versus-control part alone, (T1 − T0) − (C1 − C0), weighted.
    displacement : float
        The displacement part, (D1 − D0) − (DC1 − DC0), weighted (0 when not given).
    """

    estimate: float
    se: float
    z: float
    ci: tuple[float, float]
    p_value: float
    local: float
    displacement: float

    def summary(self) -> str:
        """One line for a briefing."""
        return (
            f"WDD {self.estimate:+.1f} (SE {self.se:.2f}, 95% CI {self.ci[0]:+.1f} to "
            f"{self.ci[1]:+.1f}, z = {self.z:.2f}, p = {self.p_value:.3g}); local "
            f"{self.local:+.1f}, displacement area {self.displacement:+.1f}"
        )


def _pair(x, name: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        before, after = x
    except (TypeError, ValueError):
        raise HspworkError(
            f"{name} must be a (before, after) pair of counts or arrays of counts; received {x!r}"
        ) from None
    try:
        before = np.atleast_1d(np.asarray(before, dtype=float))
        after = np.atleast_1d(np.asarray(after, dtype=float))
    except (TypeError, ValueError):
        raise HspworkError(
            f"{name} counts must be numbers (crimes or harm); received {x!r}"
        ) from None
    if before.shape != after.shape:
        raise HspworkError(
            f"{name} before and after must have the same shape; received {before.shape} and "
            f"{after.shape}"
        )
    if np.any(~np.isfinite(before)) or np.any(~np.isfinite(after)):
        raise HspworkError(f"{name} counts must be finite; received {before} and {after}")
    if np.any(before < 0) or np.any(after < 0):
        raise HspworkError(f"{name} counts must be non-negative; received {before} and {after}")
    return before, after


def wdd(
    treated: tuple,
    control: tuple,
    displaced: tuple | None = None,
    displaced_control: tuple | None = None,
    weights=None,
    *,
    time_weights: tuple[float, float] = (1.0, 1.0),
    level: float = 0.95,
) -> WDDResult:
    """Weighted displacement difference test (Wheeler & Ratcliffe 2018).

    Parameters
    ----------
    treated, control : (before, after)
        Counts in the treated area and its control area. Each count may be a scalar or an array
        over crime types (all arrays the same length).
    displaced, displaced_control : (before, after), optional
        Counts in the displacement (buffer) area around the treated area and in the matching
        area around the control. Give both or neither.
    weights : array-like, optional
        One weight per crime type (for example harm days); counts are multiplied by their
        weight and their variances by the weight squared. Without weights every count has
        weight 1.
    time_weights : (before, after), default (1, 1)
        Lengths of the before and after periods in a common unit, for periods of unequal
        length (e.g. ``(2, 1)`` for two years before and one after): every before count is
        divided by ``before`` and every after count by ``after`` (variances by their
        squares), so the estimate is in crimes per unit of time. Use ``(before/after, 1)``
        to read it per after-period.
    level : float, default 0.95
        Confidence level of ``ci``.

    Returns
    -------
    WDDResult

    Notes
    -----
    WDD = (T1 − T0) − (C1 − C0) + (D1 − D0) − (DC1 − DC0), and under a Poisson assumption
    Var(WDD) = T0 + T1 + C0 + C1 + D0 + D1 + DC0 + DC1. With weights w over crime types,
    WDD = Σ w·(...) and Var = Σ w²·(...). With time weights (b, a) each before count X0 enters
    as X0/b with variance X0/b², each after count as X1/a with variance X1/a² (Wheeler's
    extension, as in the R package ptools).

    Examples
    --------
    >>> r = wdd(treated=(60, 40), control=(50, 50))
    >>> r.estimate, round(r.se, 4)
    (-20.0, 14.1421)
    >>> harm = wdd(treated=([10, 2], [6, 1]), control=([10, 2], [10, 2]), weights=[1, 365])
    >>> harm.estimate
    -369.0
    >>> two_years_before = wdd(treated=(80, 20), control=(100, 50), time_weights=(2, 1))
    >>> two_years_before.estimate, round(two_years_before.se**2, 6)
    (-20.0, 115.0)
    """
    t0, t1 = _pair(treated, "treated")
    c0, c1 = _pair(control, "control")
    if (displaced is None) != (displaced_control is None):
        raise HspworkError(
            "give both displaced and displaced_control (the buffer around the treated area "
            "and the matching buffer around the control), or neither; received "
            f"displaced={displaced!r}, displaced_control={displaced_control!r}"
        )
    parts = [(t0, t1), (c0, c1)]
    if displaced is not None:
        parts += [_pair(displaced, "displaced"), _pair(displaced_control, "displaced_control")]
    shapes = {p.shape for pair in parts for p in pair}
    if len(shapes) != 1:
        raise HspworkError(
            f"all counts must have the same shape (one entry per crime type); received {shapes}"
        )
    (k,) = shapes.pop()
    w = np.ones(k) if weights is None else np.atleast_1d(np.asarray(weights, dtype=float))
    if w.shape != (k,):
        raise HspworkError(
            f"weights must have one entry per crime type ({k}); received {w.shape[0]}"
        )
    try:
        tb, ta = (float(v) for v in time_weights)
    except (TypeError, ValueError):
        raise HspworkError(
            f"time_weights must be a (before, after) pair of lengths; received {time_weights!r}"
        ) from None
    if not (np.isfinite(tb) and np.isfinite(ta) and tb > 0 and ta > 0):
        raise HspworkError(f"time_weights must be positive lengths; received {time_weights!r}")

    def change(before, after):
        # the count change per unit of time, and its Poisson variance
        return (after / ta - before / tb), (before / tb**2 + after / ta**2)

    (dt, vt), (dc, vc) = change(t0, t1), change(c0, c1)
    local = float(np.sum(w * (dt - dc)))
    disp = 0.0
    var = float(np.sum(w**2 * (vt + vc)))
    if displaced is not None:
        (dd, vd), (ddc, vdc) = change(*parts[2]), change(*parts[3])
        disp = float(np.sum(w * (dd - ddc)))
        var += float(np.sum(w**2 * (vd + vdc)))
    if var <= 0:
        raise HspworkError("all counts are zero: the WDD test has no variance to work with")
    est = local + disp
    se = float(np.sqrt(var))
    zc = _z_crit(level)
    z = est / se
    return WDDResult(
        estimate=est,
        se=se,
        z=float(z),
        ci=(est - zc * se, est + zc * se),
        p_value=float(2 * stats.norm.sf(abs(z))),
        local=local,
        displacement=disp,
    )


def _wdq_label(success: float, quotient: float) -> str:
    if not success < 0:
        return "no relative reduction in the treated area: WDQ is not meaningful"
    if quotient > 1:
        return "diffusion of benefits larger than the direct effect"
    if quotient > 0:
        return "diffusion of benefits"
    if quotient == 0:
        return "no displacement or diffusion"
    if quotient >= -1:
        return "displacement, smaller than the direct effect"
    return "displacement larger than the direct effect"


@dataclass(frozen=True)
class WDQResult:
    """Weighted displacement quotient (Bowers & Johnson 2003).

    Attributes
    ----------
    success : float
        Ra/Ca − Rb/Cb; negative when the treated area improved relative to the control.
    buffer : float
        Da/Ca − Db/Cb; negative when the buffer improved relative to the control.
    wdq : float
        buffer / success (NaN when success ≥ 0, where it has no meaning).
    label : str
        Interpretation: > 1 diffusion larger than the direct effect; 0 to 1 diffusion; 0 none;
        −1 to 0 displacement smaller than the effect; < −1 displacement erases it.
    ci : tuple[float, float]
        Parametric bootstrap percentile interval for ``wdq`` (Poisson, or negative binomial with
        the given dispersion, redraws of all six counts), over the draws with success < 0.
    share_defined : float
        Share of bootstrap draws in which success < 0 (WDQ defined).
    total_net_effect : float
        Crimes prevented in treated area and buffer together, against the control trend:
        [Rb·(Ca/Cb) − Ra] + [Db·(Ca/Cb) − Da]. Positive means crime prevented.
    """

    success: float
    buffer: float
    wdq: float
    label: str
    ci: tuple[float, float]
    share_defined: float
    total_net_effect: float

    def summary(self) -> str:
        """One line for a briefing."""
        return (
            f"WDQ {self.wdq:.2f} (bootstrap 95% CI {self.ci[0]:.2f} to {self.ci[1]:.2f}): "
            f"{self.label}; success {self.success:+.3f}, buffer {self.buffer:+.3f}; total net "
            f"effect {self.total_net_effect:+.1f}"
        )


def _wdq_parts(rb, ra, db, da, cb, ca):
    success = ra / ca - rb / cb
    buffer = da / ca - db / cb
    return success, buffer


def wdq(
    treated: tuple,
    buffer: tuple,
    control: tuple,
    *,
    weights=None,
    dispersion: float = 1.0,
    replicates: int = 2000,
    level: float = 0.95,
    seed: int = 0,
    n_boot=UNSET,
) -> WDQResult:
    """Weighted displacement quotient with the total net effect and a bootstrap interval.

    Parameters
    ----------
    treated, buffer, control : (before, after)
        Counts in the treated area R, its buffer D and the control area C, before and after.
        Each may be a scalar or an array over crime types (all the same length).
    weights : array-like, optional
        One weight per crime type (for example harm days): the quotient is computed on
        weighted totals, and the bootstrap redraws the counts of each type and re-weights
        them, so a harm WDQ has the right (weight-squared) variance. Without weights, arrays
        are summed.
    dispersion : float, default 1.0
        Variance-to-mean ratio used to redraw counts in the bootstrap (1 = Poisson; above 1 a
        negative binomial with the same mean).
    replicates : int, default 2000
        Bootstrap draws.
    level : float, default 0.95
        Interval level.
    seed : int, default 0
        Seed of the bootstrap; the same seed gives the same interval.

    Returns
    -------
    WDQResult

    Notes
    -----
    success = Ra/Ca − Rb/Cb; buffer = Da/Ca − Db/Cb; WDQ = buffer/success (Bowers & Johnson
    2003, Journal of Quantitative Criminology 19:275). Meaningful only when success < 0.

    Examples
    --------
    >>> r = wdq(treated=(100, 60), buffer=(80, 60), control=(200, 200), replicates=200)
    >>> round(r.success, 3), round(r.buffer, 3), round(r.wdq, 3)
    (-0.2, -0.1, 0.5)
    >>> r.label
    'diffusion of benefits'
    >>> r.total_net_effect
    60.0
    """
    replicates = int(renamed("wdq", "n_boot", n_boot, "replicates", replicates, 2000))
    pairs = [_pair(treated, "treated"), _pair(buffer, "buffer"), _pair(control, "control")]
    counts = np.stack([v for pair in pairs for v in pair])  # 6 x types: rb ra db da cb ca
    k = counts.shape[1]
    if len({v.shape for pair in pairs for v in pair}) != 1:
        raise HspworkError("treated, buffer and control counts must have the same shape")
    w = np.ones(k) if weights is None else np.atleast_1d(np.asarray(weights, dtype=float))
    if w.shape != (k,):
        raise HspworkError(
            f"weights must have one entry per crime type ({k}); received {w.shape[0]}"
        )
    rb, ra, db, da, cb, ca = (float(t) for t in counts @ w)
    if cb <= 0 or ca <= 0:
        raise HspworkError(
            f"the control area needs counts above zero before and after; received ({cb}, {ca})"
        )
    if not np.isfinite(dispersion) or dispersion < 1:
        raise HspworkError(f"dispersion must be at least 1; received {dispersion!r}")
    success, buf = _wdq_parts(rb, ra, db, da, cb, ca)
    q = buf / success if success < 0 else float("nan")
    tne = (rb * ca / cb - ra) + (db * ca / cb - da)

    rng = np.random.default_rng(seed)
    if dispersion == 1:
        redrawn = rng.poisson(counts, size=(replicates, 6, k)).astype(float)
    else:
        # negative binomial with variance = dispersion * mean: p = 1/dispersion, n = mean*p/(1-p)
        p = 1.0 / dispersion
        n = np.maximum(counts, 1e-12) * p / (1 - p)
        redrawn = rng.negative_binomial(n, p, size=(replicates, 6, k)).astype(float)
    draws = redrawn @ w  # replicates x 6 weighted totals
    ok = (draws[:, 4] > 0) & (draws[:, 5] > 0)
    s_b, b_b = _wdq_parts(*draws[ok].T)
    defined = s_b < 0
    share = float(defined.sum() / replicates)
    if defined.sum() >= 10:
        alpha = 1 - level
        lo, hi = np.quantile(b_b[defined] / s_b[defined], [alpha / 2, 1 - alpha / 2])
        ci = (float(lo), float(hi))
    else:
        ci = (float("nan"), float("nan"))
    return WDQResult(
        success=float(success),
        buffer=float(buf),
        wdq=float(q),
        label=_wdq_label(success, q),
        ci=ci,
        share_defined=share,
        total_net_effect=float(tne),
    )

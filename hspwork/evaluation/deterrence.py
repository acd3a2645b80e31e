"""How long should patrols be? Residual deterrence after a visit, by visit length (Koper 1995).

Koper's Minneapolis study measured how long a hot spot stayed quiet after the police left,
against how long they had stayed: the quiet lasted longer as stops grew to about 10–15
minutes, then the gain faded. That is the origin of the "15-minute rule". The programme's own
visits can answer the same question for its own places: :func:`residual_deterrence` models the
rate of crime at the place in the window after each visit ends as a smooth function of the
visit's length, with place and hour-of-day effects, and reports the curve with intervals and
the visit length at which crime afterwards is lowest, when the data show any deterrence at all.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from hspwork.errors import DataDroppedWarning, HspworkError, SchemaError
from hspwork.evaluation.effects import _zcrit, single_thread_blas
from hspwork.evaluation.fixed_effects import fit_fe_glm
from hspwork.report import LoadReport, RowLedger

__all__ = ["DeterrenceResult", "residual_deterrence", "spline_basis"]

EXACT_TIME_MINUTES = 15.0  # a crime known only to a longer window cannot be placed in one


def spline_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Restricted (natural) cubic spline basis of Harrell (2015), without the intercept.

    Columns: ``x`` and k − 2 cubic terms for k knots; the function is linear beyond the outer
    knots, so it does not swing at the ends where visits are few.

    Examples
    --------
    >>> B = spline_basis(np.array([1.0, 5.0, 10.0, 40.0]), np.array([2.0, 8.0, 15.0, 30.0]))
    >>> B.shape
    (4, 3)
    >>> bool(np.allclose(B[:, 0], [1, 5, 10, 40]))
    True
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(knots, dtype=float)
    k = t.size
    if k < 3:
        raise HspworkError(f"a restricted cubic spline needs at least 3 knots; received {k}")
    scale = (t[-1] - t[0]) ** 2

    def cube(v):
        return np.clip(v, 0.0, None) ** 3

    cols = [x]
    for j in range(k - 2):
        term = (
            cube(x - t[j])
            - cube(x - t[-2]) * (t[-1] - t[j]) / (t[-1] - t[-2])
            + cube(x - t[-1]) * (t[-2] - t[j]) / (t[-1] - t[-2])
        )
        cols.append(term / scale)
    return np.column_stack(cols)


@dataclass
class DeterrenceResult:
    """Crime after a visit ends, relative to after the shortest visits, by visit length.

    Attributes
    ----------
    curve : DataFrame
        ``minutes`` (visit length), ``relative_rate`` (rate of crime in the window after the
        visit, relative to after a visit of ``reference_minutes``), ``ci_low``, ``ci_high``.
    optimum_minutes : float or None
        Visit length with the lowest rate afterwards; None when no deterrence is significant.
    significant : bool
        The curve differs from flat (joint Wald test at ``alpha``, errors clustered by place)
        and at its lowest point the whole interval lies below 1.
    p_value : float
        Of the joint test that visit length makes no difference.
    reference_minutes : float
        The short visit the curve is relative to (the 5th percentile of visit lengths).
    window_minutes : float
    n_visits, n_crimes, n_places : int
        Visits whose window was used, crimes counted in those windows, places.
    visit_report, crime_report : LoadReport
    """

    curve: pd.DataFrame
    optimum_minutes: float | None
    significant: bool
    p_value: float
    reference_minutes: float
    window_minutes: float
    n_visits: int
    n_crimes: int
    n_places: int
    exposure_hours: float
    visit_report: LoadReport = field(repr=False)
    crime_report: LoadReport = field(repr=False)
    knots: np.ndarray = field(repr=False, default=None)

    def summary(self) -> str:
        """Plain lines for chapter 4."""
        head = (
            f"{self.n_crimes:,} crimes in the {self.window_minutes:g} minutes after "
            f"{self.n_visits:,} visits at {self.n_places} places "
            f"({self.exposure_hours:,.0f} hours watched)."
        )
        if not self.significant:
            return (
                f"{head}\nNo visit length was followed by clearly less crime than the shortest "
                f"visits (about {self.reference_minutes:g} minutes; test of any difference "
                f"p = {self.p_value:.2f}), so these data do not say how long visits should "
                "be. Keep the programme's planned length."
            )
        row = self.curve.loc[self.curve["minutes"] == self.optimum_minutes].iloc[0]
        edge = self.optimum_minutes >= self.curve["minutes"].max()
        text = (
            f"{head}\nCrime in the {self.window_minutes:g} minutes after a visit was lowest "
            f"after visits of about {self.optimum_minutes:g} minutes: "
            f"{1 - row['relative_rate']:.0%} lower than after visits of "
            f"{self.reference_minutes:g} minutes (95% interval "
            f"{1 - row['ci_high']:.0%} to {1 - row['ci_low']:.0%} lower; test of any "
            f"difference p = {self.p_value:.3g})."
        )
        if edge:
            text += (
                " That is the longest visit length with enough visits to judge: longer visits "
                "might do better still, but these data cannot tell."
            )
        return text

    def table(self) -> pd.DataFrame:
        """The curve (a copy)."""
        return self.curve.copy()

    def plot(self, ax=None):
        """The curve with its interval; returns the matplotlib Figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4))
        else:
            fig = ax.figure
        c = self.curve
        ax.fill_between(c["minutes"], c["ci_low"], c["ci_high"], color="#9db7d0", alpha=0.6,
                        label="95% interval")  # fmt: skip
        ax.plot(c["minutes"], c["relative_rate"], color="#2f5f8a", lw=2,
                label="crime after the visit, relative")  # fmt: skip
        ax.axhline(1.0, color="grey", lw=1)
        if self.optimum_minutes is not None:
            ax.axvline(self.optimum_minutes, color="#c0504d", ls="--", lw=1,
                       label=f"lowest after {self.optimum_minutes:g}-minute visits")  # fmt: skip
        ax.set_xlabel("length of the visit (minutes)")
        ax.set_ylabel(
            f"crime in the next {self.window_minutes:g} min\nrelative to after a "
            f"{self.reference_minutes:g}-min visit"
        )
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        fig.tight_layout()
        return fig


def _utc(series: pd.Series, what: str) -> pd.Series:
    t = pd.to_datetime(series, errors="coerce")
    if getattr(t.dt, "tz", None) is None:
        raise SchemaError(
            f"{what} must carry a time zone (UTC as tracking writes it); received naive "
            f"times like {series.iloc[0] if len(series) else None!r}"
        )
    return t.dt.tz_convert("UTC")


def _windows(visits: pd.DataFrame, crimes: pd.DataFrame, window_minutes: float):
    """Each usable visit's window after it ends, with the crimes in it.

    Returns (frame, visit ledger, crime ledger); the frame has one row per visit that passed
    the checks, in place and start order: ``row`` (the visit's row), ``fence`` (code),
    ``end_ns``, ``minutes``, ``exposure_minutes``, ``crimes``; ``fences`` names the codes.
    """
    # ---- visits: each one's window after it ends
    start = _utc(visits["start"], "visits' start")
    end = _utc(visits["end"], "visits' end")
    minutes = pd.to_numeric(visits["minutes"], errors="coerce").to_numpy(dtype=float)
    fence = visits["fence_id"]
    vled = RowLedger(len(visits), "visits for residual deterrence")
    vled.drop(fence.isna().to_numpy(), "no fence_id")
    vled.drop((start.isna() | end.isna()).to_numpy(), "no start or end time")
    vled.drop(~(minutes > 0), "no positive minutes")
    vled.drop((end <= start).to_numpy(), "ends before it starts")
    ok = vled.keep.copy()
    f_codes, fences = pd.factorize(fence.where(ok), sort=True)
    s_ns = start.to_numpy(dtype="datetime64[ns]").view(np.int64)
    e_ns = end.to_numpy(dtype="datetime64[ns]").view(np.int64)
    # per place, in start order: the next start after each end, and whether another visit
    # that started earlier is still there when this one ends
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((s_ns[idx], f_codes[idx]))]
    fo, so, eo = f_codes[order], s_ns[order], e_ns[order]
    bounds = np.searchsorted(fo, np.arange(len(fences) + 1))
    next_start = np.full(order.size, np.iinfo(np.int64).max)
    still_there = np.zeros(order.size, dtype=bool)
    for g in range(len(fences)):
        a, b = bounds[g], bounds[g + 1]
        if b <= a:
            continue
        s_g, e_g = so[a:b], eo[a:b]
        pos = np.searchsorted(s_g, e_g, side="left")  # first visit starting at or after the end
        has = pos < (b - a)
        next_start[a:b][has] = s_g[pos[has]]
        run_max = np.maximum.accumulate(e_g)
        last_before = np.searchsorted(s_g, e_g, side="left") - 1  # visits starting before
        still_there[a:b] = run_max[np.clip(last_before, 0, None)] > e_g
    win_ns = round(window_minutes * 60e9)
    w_end = np.minimum(eo + win_ns, next_start)
    exposure_min = (w_end - eo) / 60e9
    mask_still = np.zeros(len(visits), dtype=bool)
    mask_still[order[still_there]] = True
    vled.drop(mask_still, "another visit still at the place when it ended")
    mask_cut = np.zeros(len(visits), dtype=bool)
    mask_cut[order[exposure_min <= 0]] = True
    vled.drop(mask_cut, "next visit began as it ended (no window)")

    # ---- crimes with an exact time at a place that had visits
    ct = _utc(crimes["occurred_from"], "crimes' occurred_from")
    cled = RowLedger(len(crimes), "crimes for residual deterrence")
    cled.drop(crimes["fence_id"].isna().to_numpy(), "no fence_id (not in a fence)")
    cled.drop(ct.isna().to_numpy(), "no time")
    if "occurred_to" in crimes.columns:
        cto = pd.to_datetime(crimes["occurred_to"], utc=True, errors="coerce")
        span = (cto - ct).dt.total_seconds().to_numpy() / 60.0
        cled.drop(np.nan_to_num(span, nan=0.0) > EXACT_TIME_MINUTES, "time known only to a window")
    c_codes = fences.get_indexer(crimes["fence_id"])
    cled.drop(c_codes < 0, "fence with no visits")
    ck = cled.keep
    c_f = c_codes[ck]
    c_t = ct.to_numpy(dtype="datetime64[ns]").view(np.int64)[ck]
    c_order = np.lexsort((c_t, c_f))
    c_f, c_t = c_f[c_order], c_t[c_order]
    c_bounds = np.searchsorted(c_f, np.arange(len(fences) + 1))
    counts = np.zeros(order.size)
    for g in range(len(fences)):
        a, b = bounds[g], bounds[g + 1]
        ca, cb = c_bounds[g], c_bounds[g + 1]
        if b <= a or cb <= ca:
            continue
        tg = c_t[ca:cb]
        counts[a:b] = np.searchsorted(tg, w_end[a:b], "left") - np.searchsorted(tg, eo[a:b], "left")
    frame = pd.DataFrame(
        {
            "row": order,
            "fence": fo,
            "end_ns": eo,
            "minutes": minutes[order],
            "exposure_minutes": exposure_min,
            "crimes": counts,
        }
    )
    return frame[vled.keep[order]].reset_index(drop=True), fences, vled, cled


def residual_deterrence(
    visits: pd.DataFrame,
    crimes: pd.DataFrame,
    *,
    window_minutes: float = 120.0,
    n_knots: int = 4,
    alpha: float = 0.05,
    tz: str = "Europe/London",
    level: float = 0.95,
) -> DeterrenceResult:
    """Rate of crime at a place in the window after a visit ends, by the visit's length.

    Parameters
    ----------
    visits : DataFrame
        Tracking's visits: ``fence_id``, ``start``, ``end`` (tz-aware), ``minutes``.
    crimes : DataFrame
        Crimes with the ``fence_id`` they fell in and an exact ``occurred_from`` (tz-aware);
        when ``occurred_to`` is present, crimes known only to a window longer than 15
        minutes are set aside (they cannot be placed before or after a visit).
    window_minutes : float, default 120
        The window after each visit ends. It is cut short where the next visit to the same
        place starts (that visit's own effect begins), and a visit that ends while another is
        still at the place has no window.
    n_knots : int, default 4
        Knots of the restricted cubic spline in visit length (at quantiles of the lengths,
        Harrell's placement); 4 knots give a curve with 3 degrees of freedom.
    alpha : float, default 0.05
        Level of the test that visit length makes a difference.
    tz : str, default "Europe/London"
        Local time zone for the hour-of-day effects.
    level : float, default 0.95
        Interval level of the curve.

    Returns
    -------
    DeterrenceResult

    Notes
    -----
    After Koper (1995, Justice Quarterly 12:649–672), who modelled the time to the next
    disturbance after police left against the length of their stay. Here each visit's window
    is one observation: crimes counted in it, with the window's length as exposure, in a
    Poisson model with a restricted cubic spline in visit minutes, place effects (busy places
    get longer visits and more crime) and local hour-of-day effects (so does the evening),
    absorbed as in :func:`~hspwork.evaluation.estimate_effect`, errors clustered by place.
    The curve is relative to a visit of the 5th-percentile length (about a drive-through),
    and reported between the 5th and 95th percentiles, where visits are many enough to judge.
    It describes the programme's visits as they happened: visit length was not randomised,
    so a place-and-hour pattern the effects do not absorb could still bend it.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> t0 = pd.Timestamp("2025-09-01", tz="UTC")
    >>> mins = rng.uniform(1, 30, 400)
    >>> at = np.cumsum(rng.uniform(40, 300, 400))  # one visit at a time at each place
    >>> start = t0 + pd.to_timedelta(at, unit="min")
    >>> visits = pd.DataFrame({"fence_id": np.repeat(["A", "B", "C", "D"], 100),
    ...     "start": start, "end": start + pd.to_timedelta(mins, unit="min"), "minutes": mins})
    >>> crimes = pd.DataFrame({"fence_id": rng.choice(["A", "B", "C", "D"], 900),
    ...     "occurred_from": t0 + pd.to_timedelta(rng.uniform(0, at[-1], 900), unit="min")})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # an hour of the day with no crime is set aside
    ...     r = residual_deterrence(visits, crimes)
    >>> list(r.curve.columns), r.optimum_minutes is None or r.significant
    (['minutes', 'relative_rate', 'ci_low', 'ci_high'], True)
    """
    for frame, cols, what in (
        (visits, ["fence_id", "start", "end", "minutes"], "visits"),
        (crimes, ["fence_id", "occurred_from"], "crimes"),
    ):
        if not isinstance(frame, pd.DataFrame):
            raise SchemaError(f"{what} must be a DataFrame; received {type(frame).__name__}")
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise SchemaError(f"{what} lack columns {missing}; they have {list(frame.columns)}")
    if not window_minutes > 0:
        raise HspworkError(f"window_minutes must be positive; received {window_minutes!r}")
    if int(n_knots) < 3:
        raise HspworkError(f"n_knots must be at least 3; received {n_knots!r}")
    if not 0 < alpha < 1:
        raise HspworkError(f"alpha must be between 0 and 1; received {alpha!r}")
    zc = _zcrit(level)

    w, _, vled, cled = _windows(visits, crimes, window_minutes)
    w["hour"] = pd.to_datetime(w["end_ns"].to_numpy(), utc=True).tz_convert(tz).hour
    # a place (or an hour of the day) whose windows saw no crime at all says nothing under
    # place (hour) effects: its effect would run to minus infinity
    for key, reason in (
        ("fence", "place with no crime after any visit"),
        ("hour", "hour of the day with no crime after any visit"),
    ):
        quiet = w.groupby(key)["crimes"].transform("sum").to_numpy() == 0
        mask = np.zeros(len(visits), dtype=bool)
        mask[w.loc[quiet, "row"].to_numpy()] = True
        vled.drop(mask, reason)
        w = w[~quiet]
    vrep, crep = vled.report(), cled.report()
    for rep in (vrep, crep):
        if rep.dropped:
            warnings.warn(rep.summary(), DataDroppedWarning, stacklevel=2)
    if len(w) < 20 or w["crimes"].sum() < 10:
        raise HspworkError(
            f"too few visits with a window ({len(w)}) or crimes in them "
            f"({int(w['crimes'].sum())}) to model deterrence: {vrep.summary()}"
        )
    y = w["crimes"].to_numpy(dtype=float)
    m = w["minutes"].to_numpy(dtype=float)
    expo = w["exposure_minutes"].to_numpy(dtype=float)
    u_codes, places = pd.factorize(w["fence"], sort=True)
    h_codes, _ = pd.factorize(w["hour"], sort=True)

    lo, hi = np.quantile(m, [0.05, 0.95])
    knots = np.quantile(m, np.linspace(0.05, 0.95, int(n_knots)))
    knots = np.unique(np.round(knots, 6))
    if knots.size < 3:
        raise HspworkError(
            f"visit lengths are too alike to fit a curve (knots {knots.tolist()}): the "
            "visits need a spread of lengths"
        )
    B = spline_basis(m, knots)
    with single_thread_blas():
        fit = fit_fe_glm(y, B, u_codes, h_codes, offset=np.log(expo / 60.0))
        V = fit.cov_cluster(u_codes, correction=False) * len(places) / (len(places) - 1.0)
    beta = fit.beta
    try:
        wald = float(beta @ np.linalg.solve(V, beta))
    except np.linalg.LinAlgError:
        wald = float("nan")
    p = float(stats.chi2.sf(wald, beta.size)) if np.isfinite(wald) else float("nan")
    ref = float(np.round(lo, 1))
    grid = np.arange(np.ceil(lo), np.floor(hi) + 1e-9, 1.0)
    if grid.size == 0 or grid[0] > ref:
        grid = np.r_[ref, grid]
    D = spline_basis(grid, knots) - spline_basis(np.array([ref]), knots)
    est = D @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", D, V, D))
    curve = pd.DataFrame(
        {
            "minutes": grid,
            "relative_rate": np.exp(est),
            "ci_low": np.exp(est - zc * se),
            "ci_high": np.exp(est + zc * se),
        }
    )
    best = int(np.argmin(est))
    significant = bool(p < alpha and curve["ci_high"].iat[best] < 1.0)
    return DeterrenceResult(
        curve=curve,
        optimum_minutes=float(grid[best]) if significant else None,
        significant=significant,
        p_value=p,
        reference_minutes=ref,
        window_minutes=float(window_minutes),
        n_visits=int(y.size),
        n_crimes=int(y.sum()),
        n_places=len(places),
        exposure_hours=float(expo.sum() / 60.0),
        visit_report=vrep,
        crime_report=crep,
        knots=knots,
    )

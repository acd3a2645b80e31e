"""Comparison places for a programme that chose its places (no random assignment).

Programmes funded to patrol "the hottest places" pick places at a peak: a place is in the
top twenty partly because it had a bad year, and a bad year tends to be followed by a more
ordinary one. Crime there falls after the start even if the patrols do nothing: regression to
the mean. Comparing with all other places does not help (the cool places drift up as the hot
ones drift down). The fair comparison is with places that looked the same before the start:
as busy, and moving the same way. :func:`match_controls` picks them from the places not
patrolled, on the pre-period level and trend of crime and harm, and the evaluation runs on
the matched set (:meth:`MatchResult.evaluate`), adjusted for the differences that remain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hspwork.errors import HspworkError, SchemaError
from hspwork.evaluation.effects import (
    EffectResult,
    _binary,
    _effect_result,
    _fit_absorbed,
    _prepare_panel,
    estimate_effect,
)

__all__ = ["REGRESSION_TO_THE_MEAN", "MatchResult", "comparison_pool", "match_controls"]

REGRESSION_TO_THE_MEAN = (
    "Why not simply compare before and after? The places were chosen because they had the "
    "most crime last year, and a place usually tops the list partly through bad luck: a run "
    "of incidents that will not all recur. Next year such places tend to fall back towards "
    "their usual level whatever the police do. This is called regression to the mean, and on "
    "its own it can make crime at the chosen places fall by a quarter or more. So a fall at "
    "the patrolled places proves little by itself. We compare them instead with places that "
    "were not patrolled but looked the same beforehand (as busy, with crime and harm moving "
    "the same way), which should fall back by the same amount. Only the difference between "
    "the two is credited to the patrols."
)


@dataclass
class MatchResult:
    """Matched comparison places and the balance they achieve.

    Attributes
    ----------
    pairs : DataFrame
        One row per matched control: ``treated_unit``, ``control_unit``, ``distance``
        (Mahalanobis), ``match`` (the treated place's match number).
    unmatched : list
        Treated places with no comparison inside the caliper (left out of the evaluation).
    balance : DataFrame
        Per matching feature: ``mean_treated``, ``mean_pool`` and ``std_diff_before`` (all
        untreated places), ``mean_matched`` and ``std_diff_after`` (the matched controls),
        ``variance_ratio_after``.
    features : DataFrame
        The matching features of every place (index: place).
    panel : DataFrame
        The input panel cut to matched treated and control places, with a ``match``
        column (the pair or set) for design-aware inference.
    """

    pairs: pd.DataFrame
    unmatched: list
    balance: pd.DataFrame
    features: pd.DataFrame
    panel: pd.DataFrame = field(repr=False)
    settings: dict = field(default_factory=dict)

    def summary(self) -> str:
        """Plain lines: how many were matched, and how alike the groups now are."""
        s = self.settings
        worst_before = float(self.balance["std_diff_before"].abs().max())
        worst_after = float(self.balance["std_diff_after"].abs().max())
        lines = [
            f"{s['n_matched']} of {s['n_treated']} chosen places matched to "
            f"{len(self.pairs)} comparison places from {s['n_pool']} not patrolled "
            f"({s['ratio']} each, on the level and trend of "
            f"{' and '.join(s['outcomes'])} over {s['n_pre_periods']} periods before the start).",
            f"Largest difference between the groups before matching: {worst_before:.2f} "
            f"standard deviations; after: {worst_after:.2f} ("
            + (
                "alike"
                if worst_after <= 0.25
                else "closer, but some difference remains: the comparison places are a "
                "little less busy, so read the effect with care"
            )
            + ").",
        ]
        if self.unmatched:
            lines.append(
                f"{len(self.unmatched)} chosen places had no comparison close enough "
                f"({', '.join(map(str, self.unmatched[:8]))}) and are left out of the "
                "evaluation."
            )
        return "\n".join(lines)

    def evaluate(
        self,
        *,
        outcome: str = "crimes",
        model: str = "poisson",
        interval: str = "cr2",
        level: float = 0.95,
        adjust: bool = True,
    ) -> EffectResult:
        """The count model with place and period effects, on the matched places only.

        Parameters
        ----------
        outcome : str, default "crimes"
        model : {"poisson", "negbin", "quasipoisson"}, default "poisson"
        interval : {"cr2", "cluster"}, default "cr2"
            A matched set is usually a few tens of places: CR2 by default.
        level : float, default 0.95
        adjust : bool, default True
            Let the change after the start depend on the matching features (their
            standardised values times ``post``), the regression adjustment that removes the
            bias left by imperfect matches (Abadie & Imbens 2011). The hottest chosen places
            are usually a little busier than their best comparisons, and busier places fall
            back further; without it the estimate keeps part of that fall.

        Returns
        -------
        EffectResult
        """
        s = self.settings
        if self.pairs.empty:
            raise HspworkError(
                "no chosen place has a comparison inside the caliper: widen it (caliper=, in "
                "standard deviations) or add more untreated places to the pool"
            )
        if not adjust:
            return estimate_effect(
                self.panel, outcome=outcome, treated=s["treated"], post=s["post"],
                unit=s["unit"], period=s["period"], model=model, interval=interval,
                level=level,
            )  # fmt: skip
        p = _prepare_panel(
            self.panel, outcome=outcome, unit=s["unit"], period=s["period"],
            extra=(s["treated"], s["post"]),
        )  # fmt: skip
        post = _binary(p.frame, s["post"])
        d = _binary(p.frame, s["treated"]) * post
        F = self.features.loc[p.frame[s["unit"]]].to_numpy(dtype=float)
        sd = F.std(axis=0)
        F = (F[:, sd > 0] - F[:, sd > 0].mean(axis=0)) / sd[sd > 0]
        X = np.column_stack([F * post[:, None], d])
        fit, alpha = _fit_absorbed(p, X, model)
        return _effect_result(p, fit, alpha, model, outcome, interval, level)


def _features(panel, unit, period, post, outcomes) -> tuple[pd.DataFrame, int]:
    """Per place: log mean level and relative linear trend of each outcome before the start."""
    pre = panel[_binary(panel, post) == 0]
    if pre.empty:
        raise HspworkError("the panel has no period before the start to match on")
    codes, periods = pd.factorize(pre[period], sort=True)
    n_pre = len(periods)
    if n_pre < 2:
        raise HspworkError(f"matching on a trend needs at least two pre-periods; received {n_pre}")
    u_codes, places = pd.factorize(pre[unit], sort=True)
    n_u = len(places)
    x = codes.astype(float)
    n_rows = np.bincount(u_codes, minlength=n_u).astype(float)
    x_bar = np.bincount(u_codes, weights=x, minlength=n_u) / n_rows
    xc = x - x_bar[u_codes]
    sxx = np.bincount(u_codes, weights=xc**2, minlength=n_u)
    feats = {}
    for col in outcomes:
        y = pd.to_numeric(pre[col], errors="coerce").to_numpy(dtype=float)
        if not (y >= 0).all():
            raise SchemaError(f"{col!r} must be non-negative numbers in every pre-period row")
        mean = np.bincount(u_codes, weights=y, minlength=n_u) / n_rows
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = np.bincount(u_codes, weights=xc * y, minlength=n_u) / np.where(
                sxx > 0, sxx, np.nan
            )
        feats[f"{col}_level"] = np.log1p(mean)
        # least-squares slope per period, relative to the place's own level (+1 so a quiet
        # place's trend stays finite), times the periods: the share it changed over the span
        feats[f"{col}_trend"] = slope / (mean + 1.0) * n_pre
    feats = pd.DataFrame(feats, index=pd.Index(places, name=unit))
    out = feats
    if out.isna().any().any():
        bad = out.index[out.isna().any(axis=1)].tolist()[:5]
        raise HspworkError(f"places {bad} have too few pre-period rows for a trend")
    return out, n_pre


def match_controls(
    panel: pd.DataFrame,
    *,
    treated: str = "treated",
    post: str = "post",
    unit: str = "fence_id",
    period: str = "period",
    outcomes: tuple[str, ...] = ("crimes", "harm"),
    ratio: int = 1,
    caliper: float = 1.0,
) -> MatchResult:
    """Match each chosen place to untreated places alike in pre-period crime and harm.

    Parameters
    ----------
    panel : DataFrame
        One row per place and period, for the chosen places and the pool of places not
        patrolled (a grid of cells or street segments from chapter 1, for example), as
        :func:`~hspwork.evaluation.crime_panel` gives: ``treated`` 0/1 per place, ``post``
        0/1 per period, the outcomes.
    treated, post, unit, period : str
        Column names.
    outcomes : tuple of str, default ("crimes", "harm")
        Outcomes whose pre-period level (log of the mean per period) and trend (least-squares
        slope relative to the level, over the whole pre-period) are matched on; columns
        missing from the panel are skipped.
    ratio : int, default 1
        Comparison places per chosen place, drawn without replacement.
    caliper : float, default 1.0
        Largest allowed difference on any single feature, in standard deviations of that
        feature over all places: a chosen place with no comparison inside it is left
        unmatched (and out of the evaluation) rather than matched badly.

    Returns
    -------
    MatchResult

    Notes
    -----
    Mahalanobis-distance nearest-neighbour matching without replacement (Rubin 1980), with a
    caliper on each standardised feature (Rosenbaum & Rubin 1985). The chosen places are
    matched hardest first (those whose nearest comparison is farthest), so the hottest places
    get first pick of the few places as hot as them. The features use the covariance of all
    places. Matching on level and trend is what removes regression to the mean: a comparison
    as busy before the start, that got there the same way, falls back by the same amount. The
    hottest places rarely find a perfect match, so :meth:`MatchResult.evaluate` also adjusts
    for the differences that remain (Abadie & Imbens 2011). In simulated towns (400 places,
    the 20 hottest chosen) the naive before/after reads a 28% fall with no effect; the
    matched, adjusted estimate is within 0.02 of the truth on average (tests).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> n, T = 200, 8
    >>> place, week = np.repeat(np.arange(n), T), np.tile(np.arange(T), n)
    >>> rate = rng.gamma(2, 2, n)[place]
    >>> panel = pd.DataFrame({"place": place, "week": week, "post": (week >= 4).astype(int),
    ...                       "crimes": rng.poisson(rate)})
    >>> hot = panel[panel.post == 0].groupby("place")["crimes"].sum().nlargest(10).index
    >>> panel["treated"] = panel["place"].isin(hot).astype(int)
    >>> m = match_controls(panel, unit="place", period="week", outcomes=("crimes",),
    ...                    caliper=1.0)
    >>> len(m.pairs) + len(m.unmatched)
    10
    >>> bool(m.balance["std_diff_after"].abs().max() < m.balance["std_diff_before"].abs().max())
    True
    """
    if not isinstance(panel, pd.DataFrame):
        raise SchemaError(f"panel must be a pandas DataFrame; received {type(panel).__name__}")
    outcomes = tuple(c for c in outcomes if c in panel.columns)
    needed = [treated, post, unit, period]
    missing = [c for c in needed if c not in panel.columns]
    if missing or not outcomes:
        raise SchemaError(
            f"panel lacks columns {missing or ['an outcome']}; it has {list(panel.columns)} "
            f"and needs {needed} and at least one outcome"
        )
    if int(ratio) < 1:
        raise HspworkError(f"ratio must be at least 1; received {ratio!r}")
    if not caliper > 0:
        raise HspworkError(f"caliper must be positive (in standard deviations); got {caliper!r}")
    tr = (
        pd.Series(_binary(panel, treated), index=panel.index)
        .groupby(panel[unit])
        .agg(["min", "max"])
    )
    if (tr["min"] != tr["max"]).any():
        raise SchemaError(f"column {treated!r} must be constant within each {unit!r}")
    is_t = tr["max"] == 1
    feats, n_pre = _features(panel, unit, period, post, outcomes)
    is_t = is_t.reindex(feats.index).fillna(False).astype(bool)
    t_ids, c_ids = feats.index[is_t.to_numpy()], feats.index[~is_t.to_numpy()]
    if len(t_ids) == 0 or len(c_ids) < int(ratio):
        raise HspworkError(
            f"need chosen places and at least {ratio} untreated place(s) per match; received "
            f"{len(t_ids)} chosen and {len(c_ids)} untreated"
        )
    F = feats.to_numpy(float)
    sd = F.std(axis=0, ddof=1)
    sd = np.where(sd > 0, sd, 1.0)
    Z = (F - F.mean(axis=0)) / sd
    cov = np.cov(Z, rowvar=False).reshape(Z.shape[1], Z.shape[1])
    inv = np.linalg.pinv(cov, hermitian=True)
    Zt, Zc = Z[is_t.to_numpy()], Z[~is_t.to_numpy()]
    diff = Zt[:, None, :] - Zc[None, :, :]
    dist = np.sqrt(np.maximum(np.einsum("tcf,fg,tcg->tc", diff, inv, diff), 0.0))
    inside = np.all(np.abs(diff) <= caliper, axis=2)
    d = np.where(inside, dist, np.inf)
    used = np.zeros(len(c_ids), dtype=bool)
    order = np.argsort(-np.min(d, axis=1), kind="stable")
    rows, unmatched = [], []
    for m, i in enumerate(order):
        avail = np.where(used, np.inf, d[i])
        pick = np.argsort(avail, kind="stable")[: int(ratio)]
        if not np.isfinite(avail[pick]).all():
            unmatched.append(t_ids[i])
            continue
        used[pick] = True
        for j in pick:
            rows.append((t_ids[i], c_ids[j], float(dist[i, j]), m))
    pairs = pd.DataFrame(rows, columns=["treated_unit", "control_unit", "distance", "match"])
    matched_t = pairs["treated_unit"].unique()
    bal_rows = []
    t_f = feats.loc[matched_t] if len(matched_t) else feats.loc[t_ids]
    m_f = feats.loc[pairs["control_unit"]]
    pool_f = feats.loc[c_ids]
    for col in feats.columns:
        # one denominator before and after (the spread of chosen and pool places before
        # matching), so the two differences are comparable (Stuart 2010); a matched group
        # is narrower than the pool and its own spread would inflate the difference
        sd_t, sd_c = feats.loc[t_ids, col].std(ddof=1), pool_f[col].std(ddof=1)
        denom = np.sqrt((np.nan_to_num(sd_t) ** 2 + sd_c**2) / 2)
        denom = denom if denom > 0 else 1.0
        mt_all = feats.loc[t_ids, col].mean()
        mt, mc = t_f[col].mean(), m_f[col].mean()
        vm = m_f[col].var(ddof=1)
        bal_rows.append(
            {
                "feature": col,
                "mean_treated": mt,
                "mean_pool": pool_f[col].mean(),
                "std_diff_before": (mt_all - pool_f[col].mean()) / denom,
                "mean_matched": mc,
                "std_diff_after": (mt - mc) / denom,
                "variance_ratio_after": t_f[col].var(ddof=1) / vm if vm > 0 else np.nan,
            }
        )
    balance = pd.DataFrame(bal_rows).set_index("feature")
    match_of = pd.concat(
        [
            pd.Series(pairs["match"].to_numpy(), index=pairs["control_unit"].to_numpy()),
            pairs.groupby("treated_unit")["match"].first(),
        ]
    )
    sub = panel[panel[unit].isin(match_of.index)].copy()
    sub["match"] = sub[unit].map(match_of).astype(int)
    settings = dict(
        treated=treated,
        post=post,
        unit=unit,
        period=period,
        outcomes=list(outcomes),
        ratio=int(ratio),
        caliper=float(caliper),
        n_treated=len(t_ids),
        n_matched=len(matched_t),
        n_pool=len(c_ids),
        n_pre_periods=n_pre,
    )
    return MatchResult(
        pairs=pairs,
        unmatched=list(unmatched),
        balance=balance,
        features=feats,
        panel=sub.reset_index(drop=True),
        settings=settings,
    )


def comparison_pool(
    fences,
    units,
    *,
    buffer_m: float = 150.0,
    id_column: str = "fence_id",
    role_column: str = "role",
    unit_id_column: str = "unit_id",
    line_buffer_m: float = 25.0,
):
    """The patrolled fences plus the places that could serve as their comparisons.

    The pool is chapter 1's units (grid cells, hexagons or street segments) that lie wholly
    outside every treated fence widened by ``buffer_m`` (so no comparison place shares a
    patrol, or the ring where crime might be displaced), and any fences already marked as
    controls. Feed the result to :func:`~hspwork.evaluation.crime_panel` and the panel to
    :func:`match_controls`.

    Parameters
    ----------
    fences : GeoDataFrame
        The programme's fences with ``id_column`` and ``role_column``.
    units : GeoDataFrame
        Candidate places with ``unit_id_column`` (polygons; street segments are widened by
        ``line_buffer_m`` so crimes on the street fall inside).
    buffer_m : float, default 150
    id_column, role_column, unit_id_column : str
    line_buffer_m : float, default 25

    Returns
    -------
    GeoDataFrame
        ``id_column`` (the fence id, or "U" and the unit id for a pool unit), ``role``
        ("treatment" or "control"), ``source`` ("fence" or "unit"), geometry in the fences'
        CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> fences = gpd.GeoDataFrame({"fence_id": ["HS1"], "role": ["treatment"]},
    ...                           geometry=[box(0, 0, 100, 100)], crs=27700)
    >>> units = gpd.GeoDataFrame({"unit_id": [0, 1, 2]}, crs=27700,
    ...     geometry=[box(100, 0, 200, 100), box(400, 0, 500, 100), box(900, 0, 1000, 100)])
    >>> comparison_pool(fences, units)["fence_id"].tolist()
    ['HS1', 'U1', 'U2']
    """
    import geopandas as gpd

    from hspwork.crs import align_crs, require_crs

    for frame, cols, what in (
        (fences, [id_column, role_column], "fences"),
        (units, [unit_id_column], "units"),
    ):
        if not isinstance(frame, gpd.GeoDataFrame):
            raise SchemaError(f"{what} must be a GeoDataFrame; received {type(frame).__name__}")
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise SchemaError(f"{what} lack columns {missing}; they have {list(frame.columns)}")
    require_crs(fences, "fences")
    require_crs(units, "units")
    units = align_crs(fences, units, names=("fences", "units"))
    if not buffer_m >= 0:
        raise HspworkError(f"buffer_m must be 0 or more; received {buffer_m!r}")
    first = fences.drop_duplicates(id_column, keep="last")  # the latest version of each
    role = first[role_column].astype(str)
    treated = first[role.to_numpy() == "treatment"]
    if treated.empty:
        raise HspworkError("no fence has role 'treatment': nothing to find comparisons for")
    geoms = units.geometry
    is_line = geoms.geom_type.isin(["LineString", "MultiLineString"]).to_numpy()
    geoms = gpd.GeoSeries(
        np.where(is_line, geoms.buffer(line_buffer_m), geoms), crs=units.crs, index=units.index
    )
    reach = treated.geometry.buffer(buffer_m).union_all()
    clear = ~geoms.intersects(reach).to_numpy()
    named_controls = first[role.to_numpy() == "control"]
    out = pd.concat(
        [
            pd.DataFrame({id_column: treated[id_column].astype(str), "role": "treatment",
                          "source": "fence", "geometry": treated.geometry.to_numpy()}),
            pd.DataFrame({id_column: named_controls[id_column].astype(str), "role": "control",
                          "source": "fence", "geometry": named_controls.geometry.to_numpy()}),
            pd.DataFrame({id_column: "U" + units.loc[clear, unit_id_column].astype(str),
                          "role": "control", "source": "unit",
                          "geometry": geoms[clear].to_numpy()}),
        ],
        ignore_index=True,
    )  # fmt: skip
    return gpd.GeoDataFrame(out, geometry="geometry", crs=fences.crs)

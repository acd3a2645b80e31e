"""Count models with place and period fixed effects absorbed, not built as dummy columns.

A force-wide panel (5,000 places x 104 weeks) would need 5,000 dummy columns: half a million
rows times five thousand columns does not fit in memory, and a dense solver would take hours.
:func:`fit_fe_glm` fits the same model exactly by iteratively reweighted least squares (IRLS)
in which each weighted least-squares step eliminates the place effects in closed form (they
are a diagonal block of the normal equations) and solves the small system that remains for
the period effects and the covariates (the Schur complement; at most a few hundred rows).
This is an exact solve, not an iterative demeaning, so the estimates equal those of a GLM
with dummy columns to the solver's precision (tests check against statsmodels and pyfixest).

Errors clustered by place come from the same pieces: the covariates residualised on both sets
of effects (Frisch–Waugh–Lovell) give the scores, and their Gram matrix the bread.
:meth:`FEFit.cov_cluster` reproduces statsmodels' cluster-robust covariance of the
dummy-variable GLM, small-sample factor included; :meth:`FEFit.cr2` gives the CR2
(Bell–McCaffrey) variance with Satterthwaite degrees of freedom for few places.

Why not pyfixest's ``fepois``, the field's tool for this? It fits the Poisson model (and
agrees with this module to 1e-8, see the tests and ``benchmarks/bench_evaluation.py``), but
the library's default model is the negative binomial with a Cameron–Trivedi alpha, which
``fepois`` does not fit (``feglm`` offers gaussian, logit and probit only), and the CR2
correction and the imputation estimator need the bread and per-observation pieces that this
module exposes. One exact solver serves all three families instead of two code paths.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy import linalg

from hspwork.errors import HspworkError, HspworkWarning

__all__ = ["FEFit", "FixedEffects", "fit_fe_glm"]

FAMILIES = ("poisson", "negbin")
DENSE_CELLS = 4_000_000  # place x period tables up to this size are held dense (32 MB)


@dataclass
class FixedEffects:
    """Two-way fixed-effects structure (place and period codes) with its weighted projection.

    ``project(V, w)`` returns the residual of each column of ``V`` after a weighted
    least-squares fit on the place and period dummies, without building them: the normal
    equations [[D_a, C], [C', D_b]] are solved by eliminating the larger dimension ``a``
    (a diagonal block) and solving the Schur complement on the smaller one ``b``.

    Examples
    --------
    >>> fe = FixedEffects(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]))
    >>> v = np.array([1.0, 2.0, 3.0, 4.0])  # exactly place + period: nothing is left
    >>> np.allclose(fe.project(v[:, None], np.ones(4)), 0)
    True
    """

    unit_codes: np.ndarray
    period_codes: np.ndarray
    n_units: int = field(init=False)
    n_periods: int = field(init=False)

    def __post_init__(self):
        self.unit_codes = np.asarray(self.unit_codes, dtype=np.int64)
        self.period_codes = np.asarray(self.period_codes, dtype=np.int64)
        self.n_units = int(self.unit_codes.max()) + 1 if self.unit_codes.size else 0
        self.n_periods = int(self.period_codes.max()) + 1 if self.period_codes.size else 0
        # eliminate the larger set of effects (diagonal block), keep the smaller one
        if self.n_units >= self.n_periods:
            self._a, self._b, self._na, self._nb = (
                self.unit_codes,
                self.period_codes,
                self.n_units,
                self.n_periods,
            )
        else:
            self._a, self._b, self._na, self._nb = (
                self.period_codes,
                self.unit_codes,
                self.n_periods,
                self.n_units,
            )

    def _blocks(self, w: np.ndarray):
        d_a = np.bincount(self._a, weights=w, minlength=self._na)
        d_b = np.bincount(self._b, weights=w, minlength=self._nb)
        if (d_a <= 0).any() or (d_b <= 0).any():
            raise HspworkError("a place or period has no weight: every level needs a row")
        if self._na * self._nb <= DENSE_CELLS:
            # small and medium panels: a dense place x period table is faster than sparse
            c = np.bincount(
                self._a * self._nb + self._b, weights=w, minlength=self._na * self._nb
            ).reshape(self._na, self._nb)
            schur = np.diag(d_b) - c.T @ (c / d_a[:, None])
        else:
            c = sp.csr_matrix((w, (self._a, self._b)), shape=(self._na, self._nb))
            c.sum_duplicates()
            schur = np.diag(d_b) - (c.T @ sp.diags(1.0 / d_a) @ c).toarray()
        # the effects are identified up to a constant shifted between the two sets (and one
        # per disconnected component): a pseudo-inverse gives the minimum-norm solution,
        # whose fitted values (all that the residuals need) are unique
        evals, evecs = linalg.eigh(schur)
        keep = evals > evals.max() * 1e-11
        pinv = (evecs[:, keep] / evals[keep]) @ evecs[:, keep].T
        return d_a, c, pinv

    def solve(self, V: np.ndarray, w: np.ndarray):
        """Weighted least-squares effects for each column of ``V``: (unit, period) arrays."""
        V = np.asarray(V, dtype=float).reshape(len(w), -1)
        d_a, c, pinv = self._blocks(w)
        m = V.shape[1]
        wv = V * w[:, None]
        r_a = np.stack([np.bincount(self._a, weights=wv[:, j], minlength=self._na)
                        for j in range(m)], axis=1)  # fmt: skip
        r_b = np.stack([np.bincount(self._b, weights=wv[:, j], minlength=self._nb)
                        for j in range(m)], axis=1)  # fmt: skip
        theta_b = pinv @ (r_b - c.T @ (r_a / d_a[:, None]))
        theta_a = (r_a - c @ theta_b) / d_a[:, None]
        if self._a is self.unit_codes:
            return theta_a, theta_b
        return theta_b, theta_a

    def fitted(self, theta_u: np.ndarray, theta_t: np.ndarray) -> np.ndarray:
        """Per-row value of unit plus period effects."""
        return theta_u[self.unit_codes] + theta_t[self.period_codes]

    def project(self, V: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Residual of each column of ``V`` after the weighted fit on both sets of effects."""
        V = np.asarray(V, dtype=float).reshape(len(w), -1)
        tu, tt = self.solve(V, w)
        return V - self.fitted(tu, tt)


@dataclass
class FEFit:
    """A count GLM with absorbed place and period effects (log link).

    Attributes
    ----------
    beta : ndarray
        Covariate coefficients (log rate ratios).
    unit_effects, period_effects : ndarray
        The absorbed effects on the log scale, normalised so the first period's is 0.
    mu : ndarray
        Fitted means per row.
    family : str
        "poisson" or "negbin" (NB2 with fixed ``alpha``: Var = mu + alpha·mu²).
    alpha : float
        Negative binomial dispersion (0 for Poisson).
    deviance : float
    iterations : int
    converged : bool
    pearson_scale : float
        Pearson chi² / (rows − parameters), the quasi-Poisson scale.
    """

    beta: np.ndarray
    unit_effects: np.ndarray
    period_effects: np.ndarray
    mu: np.ndarray
    y: np.ndarray = field(repr=False)
    X: np.ndarray = field(repr=False)
    fe: FixedEffects = field(repr=False)
    family: str
    alpha: float
    deviance: float
    iterations: int
    converged: bool

    @property
    def n_obs(self) -> int:
        return len(self.y)

    @property
    def k_params(self) -> int:
        """Parameters of the equivalent dummy-variable GLM: intercept, n_u − 1, n_t − 1, k."""
        return self.fe.n_units + self.fe.n_periods - 1 + self.X.shape[1]

    @property
    def pearson_scale(self) -> float:
        var = self.mu + self.alpha * self.mu**2
        return float(np.sum((self.y - self.mu) ** 2 / var) / (self.n_obs - self.k_params))

    def _score_pieces(self):
        """(X residualised under the Hessian weights, Hessian weights, score residuals)."""
        a, y, mu = self.alpha, self.y, self.mu
        # observed Hessian weight of the NB2 log-link likelihood (= mu for Poisson), the
        # bread statsmodels uses for its cluster-robust covariance of a GLM
        h = mu * (1 + a * y) / (1 + a * mu) ** 2
        e = (y - mu) / (1 + a * mu)
        Xt = self.fe.project(self.X, h)
        return Xt, h, e

    def cov_cluster(self, groups: np.ndarray, *, correction: bool = True) -> np.ndarray:
        """Cluster-robust covariance of ``beta`` (CR1), as statsmodels computes it.

        With ``correction`` the factor G/(G−1)·(N−1)/(N−K) is applied, K counting every
        dummy column of the equivalent GLM, so the result equals statsmodels' GLM with
        ``cov_type="cluster"`` on the dummy-variable design.
        """
        Xt, h, e = self._score_pieces()
        bread = np.linalg.inv(Xt.T @ (Xt * h[:, None]))
        g = np.unique(np.asarray(groups), return_inverse=True)[1]
        n_g = int(g.max()) + 1
        s = np.stack([np.bincount(g, weights=Xt[:, j] * e, minlength=n_g)
                      for j in range(Xt.shape[1])], axis=1)  # fmt: skip
        cov = bread @ (s.T @ s) @ bread
        if correction:
            n, k = self.n_obs, self.k_params
            cov *= n_g / (n_g - 1.0) * (n - 1.0) / (n - k)
        return cov

    def cr2(self, j: int = -1) -> tuple[float, float]:
        """CR2 standard error and Bell–McCaffrey degrees of freedom of ``beta[j]``.

        Clusters are the places (the absorbed place effects are nested in them). The
        working regression of the last IRLS step is written as ordinary least squares on
        X* = W^½·R̈ and e* = W^½·(y − mu)/mu, where R̈ holds the period dummies and the
        covariates demeaned within place (Pustejovsky & Tipton 2018: effects nested in the
        clusters may be absorbed, the others must stay in the hat matrix). Each place's
        residuals are scaled by A_g = (I − H_gg)^−½ (Bell & McCaffrey 2002), and the
        Satterthwaite degrees of freedom follow Imbens & Kolesár (2016):
        ν = (Σλ)² / Σλ², λ the eigenvalues of G'G with G'G = diag(u_g'u_g) − B'MB.

        Returns
        -------
        (se, df)
        """
        fe, mu, a, y = self.fe, self.mu, self.alpha, self.y
        w = mu / (1 + a * mu)
        n_t = fe.n_periods
        u_codes, t_codes = fe.unit_codes, fe.period_codes
        # R: period dummies (first period dropped) and covariates, demeaned within place
        k = self.X.shape[1]
        p = n_t - 1 + k
        W_u = np.bincount(u_codes, weights=w, minlength=fe.n_units)
        # weighted within-place means of the period dummies: share of the place's weight
        frac = sp.csr_matrix((w / W_u[u_codes], (u_codes, t_codes)), shape=(fe.n_units, n_t))
        frac = frac.toarray()[:, 1:]
        xbar = np.stack([np.bincount(u_codes, weights=w * self.X[:, j], minlength=fe.n_units)
                         for j in range(k)], axis=1) / W_u[:, None]  # fmt: skip
        order = np.argsort(u_codes, kind="stable")
        bounds = np.searchsorted(u_codes[order], np.arange(fe.n_units + 1))
        sizes = np.diff(bounds)
        sw = np.sqrt(w)
        e_star = sw * (y - mu) / mu

        def batches():
            """Places of equal row count, a few hundred at a time: (places, rows, X*)."""
            for n_s in np.unique(sizes):
                same = np.flatnonzero(sizes == n_s)
                for start in range(0, same.size, 256):
                    gs = same[start : start + 256]
                    rows = order[bounds[gs][:, None] + np.arange(n_s)]
                    R = np.zeros((gs.size, n_s, p))
                    tc = t_codes[rows]
                    gi, ri = np.nonzero(tc > 0)
                    R[gi, ri, tc[gi, ri] - 1] = 1.0
                    R[:, :, : n_t - 1] -= frac[gs][:, None, :]
                    R[:, :, n_t - 1 :] = self.X[rows] - xbar[gs][:, None, :]
                    yield gs, rows, R * sw[rows][..., None]

        Mi = np.zeros((p, p))
        for _, _, Xs in batches():
            Mi += np.einsum("gnp,gnq->pq", Xs, Xs)
        M = np.linalg.pinv(Mi, hermitian=True)
        c = np.zeros(p)
        c[n_t - 1 + (j % k)] = 1.0
        Mc = M @ c
        var = 0.0
        uu = np.empty(fe.n_units)
        B = np.empty((p, fe.n_units))
        for gs, rows, Xs in batches():
            n_s = rows.shape[1]
            H = Xs @ M @ Xs.transpose(0, 2, 1)
            ev, V = np.linalg.eigh(np.eye(n_s) - H)
            # eigenvalues at 0 (a place fully determined by its own effects) get a
            # pseudo-inverse, as in clubSandwich
            inv_sqrt = np.where(ev > 1e-12, 1.0 / np.sqrt(np.clip(ev, 1e-12, None)), 0.0)
            A = (V * inv_sqrt[:, None, :]) @ V.transpose(0, 2, 1)
            u = np.einsum("gmn,gn->gm", A, Xs @ Mc)
            var += float(np.sum(np.einsum("gn,gn->g", u, e_star[rows]) ** 2))
            uu[gs] = np.einsum("gn,gn->g", u, u)
            B[:, gs] = np.einsum("gnp,gn->pg", Xs, u)
        GG = np.diag(uu) - B.T @ M @ B
        lam = np.linalg.eigvalsh(GG)
        df = float(lam.sum() ** 2 / np.sum(lam**2))
        return float(np.sqrt(var)), df


def _deviance(y: np.ndarray, mu: np.ndarray, alpha: float) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        ylog = np.where(y > 0, y * np.log(y / mu), 0.0)
        if alpha == 0:
            return float(2 * np.sum(ylog - (y - mu)))
        t2 = (y + 1 / alpha) * np.log((1 + alpha * y) / (1 + alpha * mu))
        return float(2 * np.sum(ylog - t2))


def fit_fe_glm(
    y: np.ndarray,
    X: np.ndarray,
    unit_codes: np.ndarray,
    period_codes: np.ndarray,
    *,
    family: str = "poisson",
    alpha: float = 0.0,
    offset: np.ndarray | None = None,
    start_mu: np.ndarray | None = None,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> FEFit:
    """Fit a log-link count GLM with absorbed place and period effects by IRLS.

    Parameters
    ----------
    y : array
        Outcome per row (counts, or non-negative harm for the quasi-Poisson model).
    X : array (rows x k)
        Covariates; k may be 0 (effects only).
    unit_codes, period_codes : int arrays
        Codes 0..n−1 of each row's place and period; every code must occur.
    family : {"poisson", "negbin"}
        "negbin" is NB2 with the given, fixed ``alpha`` (as statsmodels'
        ``families.NegativeBinomial(alpha=...)``).
    alpha : float
    offset : array, optional
        Added to the linear predictor (log exposure).
    start_mu : array, optional
        Starting means (default (y + mean y)/2, as statsmodels).
    tol : float, default 1e-12
        Convergence when the relative change of the deviance falls below ``tol`` and no
        row's linear predictor moves by more than 1e-9.
    max_iter : int, default 100

    Returns
    -------
    FEFit

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> u, t = np.repeat(np.arange(50), 4), np.tile(np.arange(4), 50)
    >>> d = ((u < 25) & (t >= 2)).astype(float)[:, None]
    >>> y = rng.poisson(5 * np.exp(np.log(0.7) * d[:, 0])).astype(float)
    >>> fit = fit_fe_glm(y, d, u, t)
    >>> fit.converged, bool(0.5 < np.exp(fit.beta[0]) < 0.9)
    (True, True)
    """
    if family not in FAMILIES:
        raise HspworkError(f"family must be one of {FAMILIES}; received {family!r}")
    y = np.asarray(y, dtype=float)
    n = y.size
    X = np.asarray(X, dtype=float).reshape(n, -1)
    fe = FixedEffects(unit_codes, period_codes)
    a = float(alpha) if family == "negbin" else 0.0
    off = np.zeros(n) if offset is None else np.asarray(offset, dtype=float)
    mu = (y + y.mean()) / 2 if start_mu is None else np.asarray(start_mu, dtype=float).copy()
    eta = np.log(mu)
    k = X.shape[1]
    dev_old = np.inf
    beta = np.zeros(k)
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        w = mu / (1 + a * mu)
        z = eta - off + (y - mu) / mu
        Z = fe.project(np.column_stack([z, X]), w)
        zt, Xt = Z[:, 0], Z[:, 1:]
        if k:
            xtx = Xt.T @ (Xt * w[:, None])
            scale = np.einsum("ij,ij,i->j", X, X, w)
            if np.any(np.diag(xtx) <= 1e-10 * np.maximum(scale, 1e-300)):
                raise HspworkError(
                    "a covariate is constant within places and periods (collinear with "
                    "the place and period effects): its effect cannot be estimated"
                )
            beta = linalg.solve(xtx, Xt.T @ (zt * w), assume_a="pos")
            resid = zt - Xt @ beta
        else:
            resid = zt
        eta_new = off + z - resid
        step = float(np.max(np.abs(eta_new - eta)))
        eta = eta_new
        mu = np.exp(eta)
        dev = _deviance(y, mu, a)
        # stop when the deviance is flat and the linear predictor has stopped moving (the
        # negative binomial's Fisher scoring converges linearly, so a flat deviance alone
        # can leave the coefficients a little short)
        if abs(dev - dev_old) <= tol * (abs(dev) + 0.1) and step <= 1e-9:
            converged = True
            break
        dev_old = dev
    if not converged:
        warnings.warn(
            f"the fixed-effects count model did not converge in {max_iter} iterations "
            "(a place or period whose outcome is zero wherever a covariate is 1 sends its "
            "effect to minus infinity); read the estimates with care",
            HspworkWarning,
            stacklevel=2,
        )
    tu, tt = fe.solve((eta - off - X @ beta)[:, None], np.ones(n))
    tu, tt = tu[:, 0] + tt[0, 0], tt[:, 0] - tt[0, 0]
    return FEFit(
        beta=beta,
        unit_effects=tu,
        period_effects=tt,
        mu=mu,
        y=y,
        X=X,
        fe=fe,
        family=family,
        alpha=a,
        deviance=dev,
        iterations=iterations,
        converged=converged,
    )

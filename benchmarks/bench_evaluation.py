"""Count models at force scale, side by side with pyfixest and statsmodels.

Run ``python -m benchmarks.bench_evaluation`` (``--places``/``--weeks`` to change the size).
One table:

1. hspwork ``estimate_effect`` (place and week effects absorbed, errors clustered by place)
   on 5,000 places x 104 weeks (520,000 rows), Poisson and negative binomial (target:
   <= 60 s);
2. pyfixest ``fepois`` on the same panel, when installed: same estimate and error;
3. statsmodels' GLM with dummy columns, the way the library used to fit, on a subset small
   enough for it (200 places x 52 weeks), against hspwork on the same subset;
4. the CR2 (Bell–McCaffrey) interval on a 40-place trial, the chapter-4 case.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
import pandas as pd

from hspwork.evaluation import estimate_effect

COLS = dict(outcome="crimes", treated="treated", post="post", unit="place", period="week")


def make_panel(n_places: int, n_weeks: int, seed: int = 0) -> pd.DataFrame:
    """Half the places treated from the middle week, a 20% fall, overdispersed counts."""
    rng = np.random.default_rng(seed)
    u, t = np.repeat(np.arange(n_places), n_weeks), np.tile(np.arange(n_weeks), n_places)
    treated = (u < n_places // 2).astype(int)
    post = (t >= n_weeks // 2).astype(int)
    mu = np.exp(rng.normal(0, 1, n_places))[u] * np.exp(0.1 * np.sin(t / 8))
    mu *= np.where(treated * post == 1, 0.8, 1.0)
    y = rng.poisson(rng.gamma(1 / 0.3, 0.3 * mu))
    return pd.DataFrame(dict(place=u, week=t, treated=treated, post=post, crimes=y))


def _timed(fn, repeat: int = 1):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def _load() -> str:
    with open("/proc/loadavg") as fh:
        return ", ".join(fh.read().split()[:3])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_evaluation")
    parser.add_argument("--places", type=int, default=5000)
    parser.add_argument("--weeks", type=int, default=104)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    big = make_panel(args.places, args.weeks)
    size = f"{args.places:,} x {args.weeks}"
    rows = []
    for model in ("poisson", "negbin"):
        r, s = _timed(lambda m=model: estimate_effect(big, **COLS, model=m))
        rows.append(dict(task=f"{model}, place-clustered", size=size, tool="hspwork",
                         seconds=s, irr=r.irr, se=r.se,
                         note="target <= 60 s: " + ("ok" if s <= 60 else "MISSED")))  # fmt: skip
    pois = estimate_effect(big, **COLS, model="poisson")
    try:
        import pyfixest as pf

        big["d"] = big["treated"] * big["post"]
        fit, s = _timed(
            lambda: pf.fepois("crimes ~ d | place + week", data=big, vcov={"CRV1": "place"},
                              ssc=pf.ssc(k_adj=True, k_fixef="full", G_adj=True))
        )  # fmt: skip
        b, se = float(fit.coef()["d"]), float(fit.se()["d"])
        same = abs(b - pois.log_irr) < 1e-6 and abs(se / pois.se - 1) < 1e-4
        rows.append(dict(task="poisson, place-clustered", size=size, tool="pyfixest fepois",
                         seconds=s, irr=float(np.exp(b)), se=se,
                         note=f"same estimate and error as hspwork: {same}"))  # fmt: skip
    except ImportError:
        rows.append(dict(task="poisson", size=size, tool="pyfixest fepois", seconds=np.nan,
                         note="not installed (pip install pyfixest)"))  # fmt: skip

    import statsmodels.api as sm

    small = make_panel(200, 52, seed=1)
    sub_size = "200 x 52"
    r, s_h = _timed(lambda: estimate_effect(small, **COLS, model="poisson"), repeat=3)

    def dense():
        X = np.column_stack(
            [np.ones(len(small)), pd.get_dummies(small["place"]).to_numpy(float)[:, 1:],
             pd.get_dummies(small["week"]).to_numpy(float)[:, 1:],
             (small["treated"] * small["post"]).to_numpy(float)]
        )  # fmt: skip
        return sm.GLM(small["crimes"].to_numpy(float), X, family=sm.families.Poisson()).fit(
            cov_type="cluster", cov_kwds={"groups": small["place"].to_numpy()}
        )

    ref, s_d = _timed(dense)
    same = abs(ref.params[-1] - r.log_irr) < 1e-7 and abs(ref.bse[-1] / r.se - 1) < 1e-6
    rows.append(dict(task="poisson, place-clustered", size=sub_size, tool="hspwork", seconds=s_h,
                     irr=r.irr, se=r.se, note=""))  # fmt: skip
    rows.append(dict(task="poisson, place-clustered", size=sub_size,
                     tool="statsmodels GLM, dummy columns", seconds=s_d,
                     irr=float(np.exp(ref.params[-1])), se=float(ref.bse[-1]),
                     note=f"hspwork {s_d / s_h:.0f}x faster; same estimate and error: {same}"))  # fmt: skip
    trial = make_panel(40, 65, seed=2)
    r2, s2 = _timed(lambda: estimate_effect(trial, **COLS, model="negbin", interval="cr2"), 3)
    rows.append(dict(task="negbin, CR2 (Bell-McCaffrey)", size="40 x 65", tool="hspwork",
                     seconds=s2, irr=r2.irr, se=r2.se, note=f"t on {r2.df:.1f} df"))  # fmt: skip
    table = pd.DataFrame(rows)
    print(f"load average when finished: {_load()} on 2 cores")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(
            table.to_string(
                index=False,
                formatters={
                    "seconds": "{:.2f}".format,
                    "irr": "{:.4f}".format,
                    "se": "{:.5f}".format,
                },
            )
        )
    print(f"5,000 x 104 Poisson fit with place-clustered errors: {rows[0]['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

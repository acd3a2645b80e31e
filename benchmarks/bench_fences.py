"""Fence benchmarks: version-at-time lookups and crimes-per-fence counts, side by side.

Run ``python -m benchmarks.bench_fences`` (``--quick`` for smaller sizes). Prints timings of

* :func:`hspwork.fences.versions_at` (one searchsorted per fence) against the pandas route an
  analyst would take (merge every ping with every version of its fence, then filter by time),
  checking both give the same rows;
* :func:`hspwork.fences.fence_figures` crime counts (one STRtree query on bare points) against
  ``geopandas.sjoin`` followed by a group-by, checking the counts agree.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hspwork.fences import commit_fences, fence_figures, make_fences, versions_at


def fence_set(n_fences: int, n_versions: int, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 20_000, n_fences) + 500_000
    y = rng.uniform(0, 20_000, n_fences) + 150_000
    f = make_fences(
        gpd.GeoDataFrame(geometry=shapely.box(x, y, x + 100, y + 100), crs=27700),
        valid_from="2024-01-01T00:00Z",
    )
    for v in range(1, n_versions):
        cur = f[f.valid_to.isna()].copy()
        cur["geometry"] = cur.translate(5.0, 0.0)
        f = commit_fences(
            f, cur, at=pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=30 * v)
        )
    return f


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def naive_versions(f: gpd.GeoDataFrame, ids: np.ndarray, times: pd.DatetimeIndex) -> np.ndarray:
    pings = pd.DataFrame({"fence_id": ids, "time": times, "ping": np.arange(len(ids))})
    v = pd.DataFrame(f[["fence_id", "valid_from", "valid_to"]]).assign(row=np.arange(len(f)))
    m = pings.merge(v, on="fence_id")
    ok = (m["valid_from"] <= m["time"]) & (m["valid_to"].isna() | (m["time"] < m["valid_to"]))
    out = np.full(len(ids), -1)
    out[m.loc[ok, "ping"].to_numpy()] = m.loc[ok, "row"].to_numpy()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    n_fences, n_versions = (50, 3) if args.quick else (200, 4)
    n_pings = 100_000 if args.quick else 1_000_000
    n_crimes = 100_000 if args.quick else 1_000_000
    f = fence_set(n_fences, n_versions)
    rng = np.random.default_rng(1)
    ids = rng.choice(f["fence_id"].unique(), n_pings)
    start = pd.Timestamp("2023-12-01", tz="UTC").value
    times = pd.to_datetime(start + rng.integers(0, 200 * 86_400 * 10**9, n_pings), utc=True)

    t_ours, ours = timed(lambda: versions_at(f, ids, times))
    t_naive, naive = timed(lambda: naive_versions(f, ids, times))
    rows = [
        (
            "versions_at",
            f"{n_pings:,} pings, {len(f):,} versions",
            t_ours,
            t_naive,
            bool((ours == naive).all()),
        )
    ]

    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(
            rng.uniform(500_000, 520_100, n_crimes), rng.uniform(150_000, 170_100, n_crimes)
        ),
        crs=27700,
    )
    live = f[f.valid_to.isna()].reset_index(drop=True)
    t_ours, fig = timed(lambda: fence_figures(live, pts))

    def sjoin_counts():
        j = gpd.sjoin(pts, live[["fence_id", "geometry"]], predicate="within")
        return j.groupby("fence_id").size().reindex(live["fence_id"], fill_value=0).to_numpy()

    t_sjoin, counts = timed(sjoin_counts)
    # "within" excludes points on the edge that fence_figures counts; on random points none are.
    rows.append(
        (
            "fence_figures",
            f"{n_crimes:,} crimes, {len(live):,} fences",
            t_ours,
            t_sjoin,
            bool((fig["crimes"].to_numpy() == counts).all()),
        )
    )
    table = pd.DataFrame(rows, columns=["what", "size", "hspwork_s", "reference_s", "same_result"])
    table["speed_up"] = (table["reference_s"] / table["hspwork_s"]).round(1)
    print(table.round(3).to_string(index=False))
    return 0 if table["same_result"].all() else 1


if __name__ == "__main__":
    raise SystemExit(main())

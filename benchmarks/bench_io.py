"""Loader benchmark: three years of a force's police.uk archive, read as downloaded.

Run ``python -m benchmarks.bench_io`` (``--quick`` for a tenth of the size). Writes a police.uk
archive folder of 36 monthly ``YYYY-MM/YYYY-MM-<force>-street.csv`` files (about 1,000,000 rows,
an outcomes file beside each month, anti-social behaviour rows without a Crime ID, 2% without a
location) and times

* :func:`hspwork.read_crimes` on the folder (every row accounted for, per file), against
* what an analyst would write instead: ``pd.concat`` of ``pd.read_csv`` over the street files,
  rows without a location dropped, ``drop_duplicates`` on Crime ID, then
  ``geopandas.points_from_xy`` and ``to_crs(27700)``,

checking both keep the same rows at the same points (to 1e-6 m).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

import hspwork
from hspwork.report import report_of

FORCE = "west-midlands"
TYPES = np.array(
    [
        "Anti-social behaviour", "Violence and sexual offences", "Shoplifting", "Other theft",
        "Vehicle crime", "Burglary", "Criminal damage and arson", "Public order", "Drugs",
        "Robbery", "Bicycle theft", "Theft from the person", "Possession of weapons",
        "Other crime",
    ],
    dtype=object,
)  # fmt: skip
P_TYPES = np.array(
    [0.22, 0.3, 0.08, 0.07, 0.08, 0.06, 0.08, 0.04, 0.02, 0.01, 0.01, 0.01, 0.005, 0.005]
)


def write_archive(root: Path, n_rows: int, n_months: int = 36, seed: int = 0) -> list[Path]:
    """A police.uk archive of ``n_months`` months starting 2022-01, about ``n_rows`` rows."""
    rng = np.random.default_rng(seed)
    files = []
    per = n_rows // n_months
    months = pd.period_range("2022-01", periods=n_months, freq="M").astype(str)
    # police.uk snaps crimes to a few thousand anonymised points per force
    snap_lon = rng.uniform(-2.05, -1.75, 20_000)
    snap_lat = rng.uniform(52.38, 52.58, 20_000)
    serial = 0
    for m in months:
        k = rng.integers(0, len(snap_lon), per)
        ctype = TYPES[rng.choice(len(TYPES), per, p=P_TYPES / P_TYPES.sum())]
        asb = ctype == "Anti-social behaviour"
        ids = np.array([f"{serial + i:064x}" for i in range(per)], dtype=object)
        serial += per
        ids[asb] = ""
        lon = np.char.mod("%.6f", snap_lon[k]).astype(object)
        lat = np.char.mod("%.6f", snap_lat[k]).astype(object)
        no_loc = rng.random(per) < 0.02
        lon[no_loc] = ""
        lat[no_loc] = ""
        frame = pd.DataFrame(
            {
                "Crime ID": ids,
                "Month": m,
                "Reported by": "West Midlands Police",
                "Falls within": "West Midlands Police",
                "Longitude": lon,
                "Latitude": lat,
                "Location": np.where(no_loc, "No location", "On or near Park Lane"),
                "LSOA code": "E01009001",
                "LSOA name": "Birmingham 001A",
                "Crime type": ctype,
                "Last outcome category": np.where(asb, "", "Under investigation"),
                "Context": "",
            }
        )
        d = root / m
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"{m}-{FORCE}-street.csv"
        frame.to_csv(path, index=False)
        frame.iloc[:50, [0, 1, 2, 3, 4, 5, 6, 7, 8]].assign(
            **{"Outcome type": "Unable to prosecute suspect"}
        ).to_csv(d / f"{m}-{FORCE}-outcomes.csv", index=False)
        files.append(path)
    return files


def reference(files: list[Path]) -> gpd.GeoDataFrame:
    """What an analyst writes by hand: concat, drop unlocated and repeated IDs, project."""
    df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    df = df.dropna(subset=["Longitude", "Latitude"])
    df = df[df["Crime ID"].isna() | ~df["Crime ID"].duplicated()]
    pts = gpd.points_from_xy(df["Longitude"], df["Latitude"], crs=4326)
    return gpd.GeoDataFrame(df, geometry=pts).to_crs(27700)


def timed(fn, repeat: int = 1):
    """Best wall-clock and CPU seconds of ``repeat`` runs (CPU time is less hurt by a busy
    machine: compare both)."""
    best, best_cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    return (best, best_cpu), out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rows", type=int, default=None)
    args = ap.parse_args(argv)
    n_rows = args.rows or (100_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "police_uk"
        files = write_archive(root, n_rows)
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        t_ours, ours = timed(lambda: hspwork.read_crimes(root, warn=False), repeat=2)
        t_ref, ref = timed(lambda: reference(files), repeat=2)
    rep = report_of(ours)
    same = len(ours) == len(ref) and bool(
        np.allclose(ours.geometry.x.to_numpy(), ref.geometry.x.to_numpy(), atol=1e-6)
        and np.allclose(ours.geometry.y.to_numpy(), ref.geometry.y.to_numpy(), atol=1e-6)
    )
    load = os.getloadavg()
    table = pd.DataFrame(
        [
            (
                "hspwork.read_crimes(folder)",
                *t_ours,
                len(ours),
                "every row accounted for, per file",
            ),
            ("pd.concat(read_csv) + points_from_xy", *t_ref, len(ref), "no accounting, no checks"),
        ],
        columns=["method", "seconds", "cpu s", "rows kept", "note"],
    )
    print(
        f"{len(files)} monthly street files, {rep.rows_read:,} rows, {size_mb:.0f} MB "
        f"(outcomes files beside them skipped); best of 2 runs"
    )
    print(
        table.to_string(
            index=False, formatters={"seconds": "{:.2f}".format, "cpu s": "{:.2f}".format}
        )
    )
    print(f"same rows at the same points: {same}; hspwork / reference = {t_ours[0] / t_ref[0]:.2f}")
    print(f"load average: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f} on {os.cpu_count()} cores")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())

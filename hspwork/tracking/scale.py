"""Dwell for pings that outgrow one machine: a dask DataFrame on a dask cluster.

Pings are usually stored as Parquet partitioned by day, but a visit can cross midnight, and
the dwell rule looks at each officer's consecutive pings. So the pings are first shuffled by
officer (every officer's pings in one partition, whatever the day), each partition computes the
credited runs of its officers with the same compiled kernels as the in-memory path, and the
small table of runs is merged into visits in memory. Runs depend only on one officer's pings,
and all times are integer nanoseconds, so the answer is exactly the in-memory one.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from hspwork.compat import UNSET, renamed
from hspwork.errors import CRSError, HspworkWarning, SchemaError
from hspwork.report import LoadReport
from hspwork.tracking import _kernels as K
from hspwork.tracking.dwell import (
    NS_PER_MINUTE,
    DwellResult,
    FenceIndex,
    PreparedPings,
    Runs,
    _rule,
    credited_runs,
    max_gap_table,
    prepare_pings,
    unit_to_metres,
    visits_from_runs,
)

_RUN_META = {
    "officer": "object",
    "fence": "int32",
    "start": "int64",
    "end": "int64",
    "n": "int64",
    "dist": "float64",
}
_OBS_META = {
    "officer": "object",
    "obs_ns": "int64",
    "unobs_ns": "int64",
    "dropped_no_position": "int64",
    "dropped_no_officer": "int64",
    "outside_validity": "int64",
}


def _partition(part: pd.DataFrame, index: FenceIndex, crs, max_gap_minutes, interpolate, what: str):
    if len(part) == 0:
        meta = _RUN_META if what == "runs" else _OBS_META
        return pd.DataFrame({k: pd.Series(dtype=v) for k, v in meta.items()})
    part = part.copy()
    if "source" in part.columns and isinstance(part["source"].dtype, pd.CategoricalDtype):
        part["source"] = part["source"].astype(str)
    if isinstance(part["officer"].dtype, pd.CategoricalDtype):
        part["officer"] = part["officer"].astype(str)
    pp = prepare_pings(part, index.crs, max_gap_minutes=max_gap_minutes, crs=crs)
    if what == "runs":
        r = credited_runs(pp, index, interpolate)
        return pd.DataFrame(
            {
                "officer": pd.array(pp.officers[r.officer], dtype=object),
                "fence": r.fence,
                "start": r.start,
                "end": r.end,
                "n": r.n,
                "dist": r.dist,
            }
        )
    obs_ns, unobs_ns = K.observed_ns(pp.off, pp.t, pp.src, pp.gap_ns_by_src, len(pp.officers))
    no_pos = np.zeros(len(obs_ns), dtype=np.int64)
    no_off = np.zeros(len(obs_ns), dtype=np.int64)
    outside = np.zeros(len(obs_ns), dtype=np.int64)
    if len(obs_ns):  # counted once per partition
        no_pos[0] = pp.report.dropped.get("no time or position", 0)
        no_off[0] = pp.report.dropped.get("no officer", 0)
        outside[0] = int(((pp.t < index.vfrom.min()) | (pp.t >= index.vto.max())).sum())
    return pd.DataFrame(
        {
            "officer": np.asarray(pp.officers, dtype=object),
            "obs_ns": obs_ns,
            "unobs_ns": unobs_ns,
            "dropped_no_position": no_pos,
            "dropped_no_officer": no_off,
            "outside_validity": outside,
        }
    )


def dwell_dask(
    pings,
    fences,
    *,
    crs,
    max_gap_minutes=None,
    merge_within_minutes=2.0,
    interpolate: bool = False,
    catchment: bool | float = False,
    max_gap=UNSET,
    merge_within=UNSET,
) -> DwellResult:
    """:func:`~hspwork.tracking.dwell` on a dask DataFrame; same result as in memory.

    Parameters
    ----------
    pings : dask.dataframe.DataFrame
        Columns as for ``dwell`` (for example ``dd.read_parquet(folder)`` of a day-partitioned
        Parquet dataset). Runs on the current dask client (a ``distributed.Client``) if any.
    fences : GeoDataFrame
        As for ``dwell``; small, sent to every worker.
    crs : CRS-like
        CRS of the pings' x/y (dask frames do not carry ``attrs`` reliably, so it is required).
    max_gap_minutes, merge_within_minutes, interpolate, catchment
        As for ``dwell``.
    max_gap, merge_within
        Deprecated names of ``max_gap_minutes`` and ``merge_within_minutes`` (FutureWarning).

    Returns
    -------
    DwellResult
        Exactly what ``dwell`` returns for the same pings computed in memory (visits, runs,
        per-officer observed time and rule); the ``report`` counts rows from all partitions.
    """
    import dask

    max_gap_minutes = renamed("dwell_dask", "max_gap", max_gap, "max_gap_minutes",
                              max_gap_minutes, None)  # fmt: skip
    merge_within_minutes = renamed("dwell_dask", "merge_within", merge_within,
                                   "merge_within_minutes", merge_within_minutes, 2.0)  # fmt: skip
    if crs is None:
        raise CRSError("dwell_dask needs crs= (the CRS of the pings' x and y)")
    need = {"officer", "time", "x", "y"}
    missing = sorted(need - set(pings.columns))
    if missing:
        raise SchemaError(f"pings lack column(s) {missing}; have {list(pings.columns)}")
    index = FenceIndex(fences, catchment=catchment)
    by_officer = pings.shuffle("officer")
    runs_dd = by_officer.map_partitions(
        _partition, index, crs, max_gap_minutes, interpolate, "runs", meta=_RUN_META
    )
    obs_dd = by_officer.map_partitions(
        _partition, index, crs, max_gap_minutes, interpolate, "obs", meta=_OBS_META
    )
    runs_df, obs_df = dask.compute(runs_dd, obs_dd)
    obs_df = obs_df.groupby("officer", sort=True).sum()
    officers = np.asarray(obs_df.index, dtype=object)
    codes = pd.Index(officers).get_indexer(runs_df["officer"].to_numpy(object))
    runs = Runs(
        fence=runs_df["fence"].to_numpy(np.int32),
        officer=codes.astype(np.int32),
        start=runs_df["start"].to_numpy(np.int64),
        end=runs_df["end"].to_numpy(np.int64),
        n=runs_df["n"].to_numpy(np.int64),
        dist=runs_df["dist"].to_numpy(np.float64),
    )
    visits, run_frame = visits_from_runs(
        runs, officers, index.fence_ids, merge_within_minutes, unit_to_metres(index.crs)
    )
    obs = pd.DataFrame(
        {
            "officer": pd.array(officers, dtype=object),
            "observed_minutes": obs_df["obs_ns"].to_numpy() / NS_PER_MINUTE,
            "unobserved_minutes": obs_df["unobs_ns"].to_numpy() / NS_PER_MINUTE,
        }
    )
    by_reason = {
        "no time or position": int(obs_df["dropped_no_position"].sum()),
        "no officer": int(obs_df["dropped_no_officer"].sum()),
    }
    by_reason = {k: v for k, v in by_reason.items() if v}
    n_dropped = sum(by_reason.values())
    n_outside = int(obs_df["outside_validity"].sum())
    if n_outside:
        warnings.warn(
            f"{n_outside:,} pings are outside every fence version's validity; they count in no "
            "fence. If the fences were meant to apply then, set valid_from.",
            HspworkWarning,
            stacklevel=2,
        )
    n_rows = int(pings.shape[0].compute()) if hasattr(pings.shape[0], "compute") else len(pings)
    report = LoadReport(
        "pings (dask)",
        rows_read=n_rows,
        rows_kept=n_rows - n_dropped,
        dropped=by_reason,
    )
    sources = (
        sorted(set(map(str, pings["source"].unique().compute())))
        if "source" in pings.columns
        else ["all"]
    )
    gap_ns = max_gap_table(sources, max_gap_minutes)
    empty = np.empty(0)
    pp = PreparedPings(
        officers=officers, sources=sources, off=empty, t=empty, x=empty, y=empty, src=empty,
        gap_ns_by_src=gap_ns, order=empty, report=report,
    )  # fmt: skip
    return DwellResult(
        visits=visits,
        runs=run_frame,
        officers=obs,
        fence_ids=tuple(str(f) for f in index.fence_ids),
        rule=_rule(pp, max_gap_minutes, merge_within_minutes, interpolate, catchment),
        report=report,
    )

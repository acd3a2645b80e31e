"""The sample town as a roll-out: treatment spots start in three waves, four weeks apart.

Most funded programmes were not randomised and did not start everywhere on one day. This
variant keeps the sample town's streets, crimes before the programme and 40 spots, but the 20
patrolled spots start in waves on days 0, 28 and 56 of the 90-day programme (1 September,
29 September and 27 October 2025), dealt in turn down the list of spots ranked by crime so
that the waves are alike. The other 20 are never patrolled, and there is no record of a random
draw (no blocks). From each spot's own start its crime is thinned to 0.8 (0.9 in its 150 m
ring), taskings begin that day, and ``ground_truth.json`` records the waves.

``python -m hspwork.sample --out data/sample_staggered --variant staggered`` writes it; chapter 4
then finds a staggered roll-out and runs :func:`hspwork.evaluation.staggered_effect`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from hspwork.sample.crimes import LOCAL_TZ, CrimeDraw
from hspwork.sample.trial import Effect, Spots, apply_effect

__all__ = ["ROLLOUT_README", "WAVE_DAYS", "make_staggered_city"]

WAVE_DAYS = (0, 28, 56)  # days after 1 September 2025 on which each wave starts

ROLLOUT_README = """
## This folder is the roll-out variant

Written by `python -m hspwork.sample --out FOLDER --variant staggered`. Everything above holds
except the trial design: the 20 treatment spots did not start together and were not drawn at
random. They start in three waves, on 1 September, 29 September and 27 October 2025 (days 0,
28 and 56), dealt in turn down the spots ranked by pre-period crime; the 20 control spots are
never patrolled. `hotspots.geojson` has no `block` column; it has `start` (the local date the
spot's patrols began, empty for controls) and `valid_from` (when its fence came into force,
UTC). From its own start each treated spot's crime is thinned to 0.8 and its 150 m ring's to
0.9; the tasking plan and pings begin on each spot's start day. `ground_truth.json` lists the
waves under `rollout`; its per-spot counterfactuals count from each spot's own start.
"""


def _utc_s_of_local_day(trial_start_local: str, day: int) -> int:
    t = (pd.Timestamp(trial_start_local) + pd.Timedelta(days=int(day))).tz_localize(LOCAL_TZ)
    return int(t.tz_convert("UTC").value // 10**9)


def rollout_effect(
    draw: CrimeDraw,
    spots: Spots,
    trial_start_s: int,
    trial_end_s: int,
    wave_days: tuple[int, ...],
    irr_treated: float,
    irr_ring: float,
    rng: np.random.Generator,
) -> tuple[Spots, Effect, np.ndarray]:
    """Deal the treatment spots into waves and thin each spot's crime from its own start.

    Returns the spots (roles unchanged), the combined effect (per-spot counterfactuals from
    each spot's start; controls from the programme start) and each spot's start day (−1 for
    controls). A crime in the rings of spots of two waves is thinned by both (rare: fences
    are 500 m apart and rings 150 m wide; the ring totals then count it once per wave).
    """
    if not wave_days or wave_days[0] != 0 or list(wave_days) != sorted(set(wave_days)):
        raise ValueError(f"wave_days must rise from 0; got {wave_days}")
    tab = spots.table
    treat = np.flatnonzero(tab["role"].to_numpy() == "treatment")  # ranked by pre-period crime
    wave = np.full(len(tab), -1)
    wave[treat] = np.arange(treat.size) % len(wave_days)
    start_day = np.where(wave >= 0, np.asarray(wave_days)[np.maximum(wave, 0)], -1)
    trial_start_local = pd.Timestamp(trial_start_s, unit="s", tz="UTC").tz_convert(LOCAL_TZ)
    trial_start_local = trial_start_local.strftime("%Y-%m-%d")
    keep = np.ones(len(draw.x), dtype=bool)
    ring_cf = ring_obs = 0
    for w, day in enumerate(wave_days):
        role = np.where(wave == w, "treatment", "control")
        wave_spots = Spots(tab.assign(role=role), spots.geoms, spots.rings)
        eff = apply_effect(
            draw, wave_spots, _utc_s_of_local_day(trial_start_local, day), trial_end_s,
            irr_treated=irr_treated, irr_ring=irr_ring, rng=rng,
        )  # fmt: skip
        keep &= eff.keep
        ring_cf += eff.ring_counterfactual
        ring_obs += eff.ring_observed
    # each spot's crimes from its own start (controls: the programme's) to the end, before
    # and after the thinning of every wave
    cf, obs = np.zeros(len(tab), dtype=int), np.zeros(len(tab), dtype=int)
    for k, g in enumerate(spots.geoms):
        begin = _utc_s_of_local_day(trial_start_local, max(int(start_day[k]), 0))
        m = (draw.t_true >= begin) & (draw.t_true < trial_end_s)
        m &= shapely.contains_xy(g, draw.x, draw.y)
        cf[k], obs[k] = int(m.sum()), int((m & keep).sum())
    per_spot = pd.DataFrame(
        {
            "fence_id": tab["fence_id"],
            "role": tab["role"],
            "trial_counterfactual": cf,
            "trial_observed": obs,
        }
    )
    return spots, Effect(keep, per_spot, int(ring_cf), int(ring_obs)), start_day


def rollout_hotspots(tab: pd.DataFrame, start_day: np.ndarray, trial_start_local: str):
    """The hotspots table of the variant: ``start`` (local date) and ``valid_from`` (UTC)."""
    hs = tab[["fence_id", "name", "role", "beat_id"]].copy()
    day0 = pd.Timestamp(trial_start_local)
    local = [
        (day0 + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d") if d >= 0 else "" for d in start_day
    ]
    hs["start"] = local
    in_force = [
        pd.Timestamp(s or trial_start_local).tz_localize(LOCAL_TZ).tz_convert("UTC") for s in local
    ]
    hs["valid_from"] = [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in in_force]
    return hs


def rollout_truth(truth: dict, tab, start_day, wave_days, trial_start_local: str) -> dict:
    """The ground truth with the roll-out's waves and design."""
    day0 = pd.Timestamp(trial_start_local)
    waves = []
    for w, day in enumerate(wave_days):
        ids = tab["fence_id"].to_numpy()[np.asarray(start_day) == day]
        ids = [str(i) for i in ids if tab.loc[tab["fence_id"] == i, "role"].iat[0] == "treatment"]
        waves.append(
            {
                "wave": w,
                "start_local": (day0 + pd.Timedelta(days=int(day))).strftime("%Y-%m-%d"),
                "day": int(day),
                "fence_ids": ids,
            }
        )
    starts = dict(zip(tab["fence_id"].astype(str), start_day))
    for spot in truth["spots"]:
        d = int(starts[spot["fence_id"]])
        spot["start_local"] = (day0 + pd.Timedelta(days=d)).strftime("%Y-%m-%d") if d >= 0 else ""
        spot.pop("block", None)
    truth["design"] = {
        "n_spots": len(tab),
        "n_treatment": int((tab["role"] == "treatment").sum()),
        "rollout": "treatment spots dealt in turn down the list ranked by pre-period crime "
        f"into {len(wave_days)} waves; control spots never patrolled; no random draw",
        "min_centre_gap_m": 500.0,
    }
    truth["rollout"] = {
        "waves": waves,
        "applies_to": "each treated spot's crimes from its own start day to the end of the "
        "programme are kept with probability irr_treated (its ring's with irr_ring)",
    }
    truth["effect"]["applies_to"] = truth["rollout"]["applies_to"]
    return truth


def make_staggered_city(
    out_dir: str | Path,
    seed: int | None = None,
    *,
    crimes_per_year: float = 16_000,
    wave_days: tuple[int, ...] = WAVE_DAYS,
):
    """Write the roll-out variant of the sample town into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
    seed : int, optional
        Default the sample's own seed, so the town and its history are the sample's.
    crimes_per_year : float, default 16,000
    wave_days : tuple of int, default (0, 28, 56)
        Day of the 90-day programme on which each wave starts (the first must be 0).

    Returns
    -------
    SampleSummary

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     s = make_staggered_city(tmp, seed=7, crimes_per_year=1500)
    ...     waves = json.loads(pathlib.Path(tmp, "ground_truth.json").read_text())["rollout"]
    >>> [w["start_local"] for w in waves["waves"]], [len(w["fence_ids"]) for w in waves["waves"]]
    (['2025-09-01', '2025-09-29', '2025-10-27'], [7, 7, 6])
    """
    from hspwork.sample.city import DEFAULT_SEED, TRIAL_DAYS, _make_city

    if max(wave_days) >= TRIAL_DAYS:
        raise ValueError(f"every wave must start within the {TRIAL_DAYS}-day programme")
    return _make_city(
        out_dir,
        DEFAULT_SEED if seed is None else seed,
        crimes_per_year,
        TRIAL_DAYS,
        wave_days=tuple(int(d) for d in wave_days),
    )

"""Generate the whole sample city and write it to a folder; read its ground truth back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from hspwork.sample import _write
from hspwork.sample.crimes import (
    LOCAL_TZ,
    OFFENCE_GROUPS,
    POLICE_UK_TYPE,
    WINDOW_OFFENCES,
    CrimeDraw,
    draw_crimes,
    force_export,
    police_uk_export,
)
from hspwork.sample.patrols import PatrolConfig, simulate_patrols
from hspwork.sample.readme import README_TEXT
from hspwork.sample.town import TOWN_NAME, build_town
from hspwork.sample.trial import apply_effect, select_spots

DEFAULT_SEED = 20251101
DATA_START = "2023-09-01"  # first local day of crime data
DATA_END = "2025-12-01"  # first local day after the data (so the data end on 2025-11-30)
TRIAL_START = "2025-09-01"
TRIAL_DAYS = 90  # 2025-09-01 .. 2025-11-29, spanning the clock change of 26 October 2025
CLOCK_CHANGE = "2025-10-26"
IRR_TREATED = 0.8
IRR_RING = 0.9
RING_M = 150.0
WEEK_EXTRACT = ("2025-10-20", "2025-10-26")  # Monday to Sunday, ending on the clock change

FILES = (
    "boundary.geojson",
    "streets.geojson",
    "beats.geojson",
    "hotspots.geojson",
    "crimes_force.csv",
    "crimes_police_uk.csv",
    "tasking_plan.csv",
    "truth_visits.csv",
    "pings_app.parquet",
    "pings_radio.parquet",
    "pings_app_week.csv",
    "activity_log.csv",
    "ground_truth.json",
    "roster.csv",
    "hspwork.toml",
    "README.md",
)


@dataclass
class SampleSummary:
    """What :func:`make_sample_city` wrote.

    Attributes
    ----------
    out_dir : Path
        The folder written.
    seed : int
        The seed everything was drawn from.
    rows : dict
        Data rows (features for GeoJSON) per file name.
    truth : dict
        The contents of ``ground_truth.json``.
    """

    out_dir: Path
    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    truth: dict = field(default_factory=dict)

    def summary(self) -> str:
        """A few lines for a terminal."""
        comp = self.truth["compliance"]
        eff = self.truth["effect"]
        lines = [
            f"Sample city '{TOWN_NAME}' (seed {self.seed}) written to {self.out_dir}",
            *(f"  {name:<22} {n:>9,} rows" for name, n in self.rows.items()),
            f"  trial {self.truth['dates']['trial_start']} .. {self.truth['dates']['trial_end']}:"
            f" {eff['irr_treated']:.2f} IRR planted in treated spots,"
            f" {eff['irr_ring']:.2f} in their {eff['ring_m']:.0f} m rings",
            f"  compliance {comp['minutes_ratio']:.0%} of planned minutes,"
            f" {comp['share_delivered']:.0%} of visits made",
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _take(c: CrimeDraw, mask: np.ndarray) -> CrimeDraw:
    return CrimeDraw(*(getattr(c, f)[mask] for f in c.__dataclass_fields__))


def _utc_s(local: str) -> int:
    return int(pd.Timestamp(local).tz_localize(LOCAL_TZ).tz_convert("UTC").value // 10**9)


def make_sample_city(
    out_dir: str | Path,
    seed: int = DEFAULT_SEED,
    *,
    crimes_per_year: float = 16_000,
    trial_days: int = TRIAL_DAYS,
) -> SampleSummary:
    """Generate the sample city into ``out_dir``: the same seed gives the same bytes.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write (created if needed; existing sample files are overwritten).
    seed : int
        Seed for every random draw.
    crimes_per_year : float
        Expected recorded crimes a year before the planted effect (the committed sample uses
        16,000; smaller values make a quicker city for tests).
    trial_days : int
        Length of the trial from 2025-09-01; at least 56 so that it spans the 26 October
        clock change and the phone left running on the night of 25-26 October.

    Returns
    -------
    SampleSummary

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     s = make_sample_city(tmp, seed=7, crimes_per_year=1500, trial_days=60)
    >>> s.truth["effect"]["irr_treated"], len(s.truth["spots"])
    (0.8, 40)
    >>> s.rows["tasking_plan.csv"], "compliance" in s.summary()
    (3600, True)
    """
    if trial_days < 56 or trial_days > 90:
        raise ValueError(
            f"trial_days must be between 56 and 90 (the trial runs from {TRIAL_START} and must "
            f"span the clock change of {CLOCK_CHANGE}); got {trial_days}"
        )
    return _make_city(out_dir, seed, crimes_per_year, trial_days, wave_days=None)


def _make_city(out_dir, seed, crimes_per_year, trial_days, *, wave_days) -> SampleSummary:
    """Build and write the city; ``wave_days`` (days after the trial start at which each
    wave of treatment spots begins) makes the roll-out variant, None the sample itself."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ss = np.random.SeedSequence(seed)
    r_town, r_crime, r_trial, r_effect, r_patrol, r_puk = (
        np.random.default_rng(s) for s in ss.spawn(6)
    )

    town = build_town(r_town)
    draw = draw_crimes(
        town, r_crime, start_local=DATA_START, end_local=DATA_END, crimes_per_year=crimes_per_year
    )
    trial_start_s = _utc_s(TRIAL_START)
    trial_end_local = (pd.Timestamp(TRIAL_START) + pd.Timedelta(days=trial_days)).strftime(
        "%Y-%m-%d"
    )
    trial_end_s = _utc_s(trial_end_local)
    spots = select_spots(town, draw, trial_start_s, r_trial)
    if wave_days is None:
        effect = apply_effect(
            draw,
            spots,
            trial_start_s,
            trial_end_s,
            irr_treated=IRR_TREATED,
            irr_ring=IRR_RING,
            rng=r_effect,
        )
        start_day = None
    else:
        from hspwork.sample.staggered import rollout_effect

        spots, effect, start_day = rollout_effect(
            draw, spots, trial_start_s, trial_end_s, wave_days, IRR_TREATED, IRR_RING, r_effect
        )
    crimes = _take(draw, effect.keep)

    tab = spots.table
    treat = tab["role"] == "treatment"
    beats_with = tab.loc[treat & (tab["beat_id"] != "B1"), "beat_id"].value_counts()
    offset_beat = sorted(beats_with.index, key=lambda b: (-beats_with[b], b))[0]
    cfg = PatrolConfig()
    patrols = simulate_patrols(
        town,
        spots,
        r_patrol,
        trial_start_local=TRIAL_START,
        n_days=trial_days,
        cfg=cfg,
        offset_beat=offset_beat,
        spot_start_day=start_day,
    )

    # ---- write
    _write.write_geojson(
        pd.DataFrame({"name": [TOWN_NAME]}), [town.boundary], out / "boundary.geojson",
        name="boundary",
    )  # fmt: skip
    st = town.streets
    _write.write_geojson(
        st[["street_id", "name", "kind"]], town.street_geoms, out / "streets.geojson",
        name="streets",
    )  # fmt: skip
    _write.write_geojson(town.beats, town.beat_geoms, out / "beats.geojson", name="beats")
    if wave_days is None:
        hs = tab[["fence_id", "name", "role", "block", "beat_id"]].copy()
        hs["block"] = hs["block"].astype(int)
    else:
        from hspwork.sample.staggered import rollout_hotspots

        hs = rollout_hotspots(tab, start_day, TRIAL_START)
    _write.write_geojson(hs, spots.geoms, out / "hotspots.geojson", name="hotspots")

    force = force_export(crimes)
    _write.write_csv(force, out / "crimes_force.csv")
    puk, puk_info = police_uk_export(crimes, list(force["crime_ref"]), town, r_puk, seed)
    _write.write_csv(puk, out / "crimes_police_uk.csv")

    _write.write_csv(patrols.plan, out / "tasking_plan.csv")
    tv = patrols.truth_visits.copy()
    tv["minutes"] = _write.fmt_float(tv["minutes"].to_numpy(), 2)
    _write.write_csv(tv, out / "truth_visits.csv")

    app = patrols.pings_app
    _write.write_parquet(app, out / "pings_app.parquet")
    _write.write_parquet(patrols.pings_radio, out / "pings_radio.parquet")
    app_t = patrols.truth.pop("app_t_utc")
    local_day = pd.to_datetime(app_t, unit="s", utc=True).tz_convert(LOCAL_TZ).strftime("%Y-%m-%d")
    week = (local_day >= WEEK_EXTRACT[0]) & (local_day <= WEEK_EXTRACT[1])
    wk = app.loc[np.asarray(week)].copy()
    for col, nd in (("latitude", 6), ("longitude", 6), ("speed_kmh", 1), ("heading", 1),
                    ("accuracy_m", 1)):  # fmt: skip
        wk[col] = _write.fmt_float(wk[col].to_numpy(), nd)
    _write.write_csv(wk, out / "pings_app_week.csv")
    _write.write_csv(patrols.activity, out / "activity_log.csv")

    rows = {
        "boundary.geojson": 1,
        "streets.geojson": len(st),
        "beats.geojson": len(town.beats),
        "hotspots.geojson": len(tab),
        "crimes_force.csv": len(force),
        "crimes_police_uk.csv": len(puk),
        "tasking_plan.csv": len(patrols.plan),
        "truth_visits.csv": len(tv),
        "pings_app.parquet": len(app),
        "pings_radio.parquet": len(patrols.pings_radio),
        "pings_app_week.csv": len(wk),
        "activity_log.csv": len(patrols.activity),
    }
    truth = _ground_truth(
        seed, crimes_per_year, trial_days, trial_end_local, town, crimes, spots, effect,
        offset_beat, cfg, patrols, puk_info, rows,
    )  # fmt: skip
    readme = README_TEXT
    if wave_days is not None:
        from hspwork.sample.staggered import ROLLOUT_README, rollout_truth

        truth = rollout_truth(truth, tab, start_day, wave_days, TRIAL_START)
        readme = README_TEXT + ROLLOUT_README
    _write.write_json(truth, out / "ground_truth.json")
    roster = _roster(truth["officers"]["crews"])
    _write.write_csv(roster, out / "roster.csv")
    rows["roster.csv"] = len(roster)
    _write_programme_file(out, truth["dates"])
    (out / "README.md").write_text(readme, encoding="utf-8", newline="\n")
    return SampleSummary(out, seed, rows, truth)


def _ground_truth(seed, crimes_per_year, trial_days, trial_end_local, town, crimes, spots,
                  effect, offset_beat, cfg, patrols, puk_info, rows) -> dict:  # fmt: skip
    tab = spots.table
    ps = effect.per_spot
    is_t = ps["role"].to_numpy() == "treatment"
    tv = patrols.truth_visits
    delivered = tv["status"] == "delivered"
    planned_min = float(patrols.plan["minutes"].sum())
    last_day = (pd.Timestamp(trial_end_local) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    offs = crimes.offence
    officers = patrols.officers
    spots_out = []
    for k in range(len(tab)):
        c = shapely.centroid(spots.geoms[k])
        spots_out.append(
            {
                "fence_id": str(tab["fence_id"].iat[k]),
                "name": str(tab["name"].iat[k]),
                "role": str(tab["role"].iat[k]),
                "block": int(tab["block"].iat[k]),
                "beat_id": str(tab["beat_id"].iat[k]),
                "centre_x": round(float(c.x), 1),
                "centre_y": round(float(c.y), 1),
                "area_m2": round(float(spots.geoms[k].area), 1),
                "pre_period_crimes": int(tab["pre_crimes"].iat[k]),
                "trial_crimes_counterfactual": int(ps["trial_counterfactual"].iat[k]),
                "trial_crimes_observed": int(ps["trial_observed"].iat[k]),
            }
        )
    return {
        "generator": "hspwork.sample",
        "seed": int(seed),
        "town": TOWN_NAME,
        "crs": "EPSG:27700",
        "local_timezone": LOCAL_TZ,
        "crimes_per_year_expected": crimes_per_year,
        "dates": {
            "data_start": DATA_START,
            "data_end": (pd.Timestamp(DATA_END) - pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
            "pre_period_start": DATA_START,
            "pre_period_end": "2025-08-31",
            "trial_start": TRIAL_START,
            "trial_end": last_day,
            "trial_days": trial_days,
            "clock_change": CLOCK_CHANGE,
            "week_extract": list(WEEK_EXTRACT),
        },
        "rows": rows,
        "crimes": {
            "offence_counts": {o: int((offs == o).sum()) for o in OFFENCE_GROUPS},
            "police_uk_type": POLICE_UK_TYPE,
            "window_offences": list(WINDOW_OFFENCES),
            "with_window": int((crimes.t_to >= 0).sum()),
            **puk_info,
            "removed_by_planted_effect": int((~effect.keep).sum()),
        },
        "spots": spots_out,
        "design": {
            "n_spots": len(tab),
            "n_treatment": int(is_t.sum()),
            "block_size": 4,
            "blocks": "spots sorted by pre-period crime inside the fence, four to a block, "
            "two of each block treated at random",
            "min_centre_gap_m": 500.0,
        },
        "effect": {
            "irr_treated": IRR_TREATED,
            "irr_ring": IRR_RING,
            "irr_control": 1.0,
            "ring_m": RING_M,
            "applies_to": "crimes whose true time lies in the trial; each is kept with "
            "probability irr (Poisson thinning)",
            "treated_counterfactual": int(ps.loc[is_t, "trial_counterfactual"].sum()),
            "treated_observed": int(ps.loc[is_t, "trial_observed"].sum()),
            "control_counterfactual": int(ps.loc[~is_t, "trial_counterfactual"].sum()),
            "control_observed": int(ps.loc[~is_t, "trial_observed"].sum()),
            "ring_counterfactual": effect.ring_counterfactual,
            "ring_observed": effect.ring_observed,
        },
        "tasking": {
            "visits_per_day_per_treatment_spot": 3,
            "planned_minutes_per_visit": 15,
            "shifts": {
                "early": "07:00-15:00 local, 1 visit",
                "late": "15:00-23:00 local, 2 visits",
            },
        },
        "compliance": {
            "planned_visits": len(tv),
            "delivered_visits": int(delivered.sum()),
            "share_delivered": round(float(delivered.mean()), 4),
            "planned_minutes": planned_min,
            "delivered_minutes": round(float(tv["minutes"].sum()), 2),
            "minutes_ratio": round(float(tv["minutes"].sum()) / planned_min, 4),
            "definition": "minutes_ratio = true minutes inside the fence on delivered visits / "
            "planned minutes; share_delivered = visits made / visits planned",
            "settings": {
                "p_not_done": [cfg.p_not_done_start, cfg.p_not_done_end],
                "p_short": cfg.p_short,
                "short_dwell_min": list(cfg.short_dwell_min),
                "full_dwell_mean_min": cfg.full_dwell_mean_min,
            },
        },
        "officers": {
            "app": sorted(officers.loc[officers["device"] == "app", "collar_no"].tolist()),
            "radio": sorted(officers.loc[officers["device"] == "radio", "collar_no"].tolist()),
            "radio_issi": dict(
                sorted(
                    zip(
                        officers.loc[officers["device"] == "radio", "collar_no"],
                        officers.loc[officers["device"] == "radio", "issi"],
                    )
                )
            ),
            "crews": {
                f"Crew {c}": officers.loc[officers["crew"] == c, "collar_no"].tolist()
                for c in sorted(officers["crew"].unique())
            },
        },
        "devices": {
            "app_interval_s": list(cfg.app_interval_s),
            "radio_interval_s": list(cfg.radio_interval_s),
            "gps_accuracy_median_m": cfg.gps_accuracy_median_m,
            "radio_noise_sd_m": cfg.radio_noise_sd_m,
            "offset_beat": offset_beat,
            "offset_source": "app",
            "offset_m": {
                "dx": cfg.offset_m[0],
                "dy": cfg.offset_m[1],
                "distance": round(float(np.hypot(*cfg.offset_m)), 1),
            },
            **patrols.truth,
        },
    }


def _roster(crews: dict[str, list[str]]) -> pd.DataFrame:
    """The team roster a force would keep: one row per officer, with the team (crew)."""
    return pd.DataFrame(
        [
            {"officer": officer, "team": team}
            for team, members in crews.items()
            for officer in members
        ]
    )


def _write_programme_file(out: Path, dates: dict) -> None:
    """The sample town as a programme like any force's: the same file ``hspwork init`` writes."""
    from hspwork.programme import write_programme

    values = {
        "crimes_path": "crimes_force.csv",
        "boundary_path": "boundary.geojson",
        "fences_path": "hotspots.geojson",
        "streets_path": "streets.geojson",
        "districts_path": "beats.geojson",
        "pings_paths": {"app": "pings_app.parquet", "radio": "pings_radio.parquet"},
        "plan_path": "tasking_plan.csv",
        "roster_path": "roster.csv",
        "tz": LOCAL_TZ,
        "targeting_start": dates["pre_period_start"],
        "targeting_end": dates["trial_start"],
        "programme_start": dates["trial_start"],
        "programme_end": str((pd.Timestamp(dates["trial_end"]) + pd.Timedelta(days=1)).date()),
        "panel_start": str((pd.Timestamp(dates["trial_start"]) - pd.Timedelta(weeks=52)).date()),
        "week_start": dates["week_extract"][0],
    }
    header = (
        "The sample town, Sampleton: a 40-spot hot spots trial, written by "
        "`python -m hspwork.sample`.\nThe windows are the trial's own dates."
    )
    write_programme(out / "hspwork.toml", values, name=TOWN_NAME, header=header)


def load_truth(path: str | Path) -> dict:
    """Read ``ground_truth.json`` (give the file or the sample folder).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = pathlib.Path(tmp, "ground_truth.json").write_text('{"seed": 3}')
    ...     truth = load_truth(tmp)  # the folder or the file itself
    >>> truth["seed"]
    3
    """
    p = Path(path)
    if p.is_dir():
        p = p / "ground_truth.json"
    if not p.exists():
        raise FileNotFoundError(
            f"no ground truth at {p}; generate the sample with "
            "`python -m hspwork.sample --out FOLDER`"
        )
    with open(p, encoding="utf-8") as fh:
        return json.load(fh)

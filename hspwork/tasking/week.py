"""One week of taskings for the weekly stocktake: compliance, dosage and exceptions.

Chapter 3 and the weekly briefing page look at one week, Monday to Sunday in local time:
compliance per hot spot (as delivered, and as the devices reported it before location faults
were corrected), dosage per fence, and the exception report of taskings not performed, with
officers as pseudonyms.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from matplotlib.figure import Figure

from hspwork.privacy import pseudonymise_frame
from hspwork.tasking.compliance import FaultCorrection, compliance_table, exception_report
from hspwork.tracking import dwell_summary
from hspwork.workfolder import is_corrected

#: Column names of the tables as a reader sees them.
PLAIN_NAMES = {
    "fence_id": "hot spot",
    "not_done": "not done",
    "compliance": "minutes delivered",
    "taskings_done_share": "taskings done",
}


@dataclass
class WeekOfTaskings:
    """One week's compliance, dosage and exceptions.

    Attributes
    ----------
    start : pandas.Timestamp
        The Monday the week begins (local date, no time zone).
    compliance : DataFrame
        :func:`~hspwork.tasking.compliance_table` per hot spot for the week, with
        ``delivered_minutes_raw``: the minutes as the devices reported them, before location
        faults were corrected.
    dosage : DataFrame
        Per fence (every fence, patrolled or control): ``fence_id``, ``role``, ``visits``,
        ``officer_minutes``, ``patrol_minutes`` of visits that began in the week.
    exceptions : DataFrame
        :func:`~hspwork.tasking.exception_report` for the week, officers as pseudonyms.
    """

    start: pd.Timestamp
    compliance: pd.DataFrame
    dosage: pd.DataFrame
    exceptions: pd.DataFrame

    @property
    def dates(self) -> list[str]:
        """The week's seven local dates, ``YYYY-MM-DD``, as the plan's ``date`` column has them."""
        return _dates(self.start)

    @property
    def share(self) -> float:
        """Planned minutes delivered in the week, each tasking capped at its planned minutes."""
        planned = float(self.compliance["planned_minutes"].sum())
        return float(self.compliance["delivered_minutes"].sum()) / planned if planned else 0.0

    def summary(self) -> str:
        """The week in one line: minutes, taskings, exceptions and how many are put to faults."""
        ex = self.exceptions
        faults = int((ex["cause"] == "location data fault").sum()) if len(ex) else 0
        corrected = int(is_corrected(ex["reason"]).sum()) if len(ex) else 0
        return (
            f"week of {self.start:%Y-%m-%d}: {self.share:.0%} of planned minutes delivered; "
            f"{int(self.compliance['done'].sum())} of {int(self.compliance['planned'].sum())} "
            f"taskings done; {len(ex)} exceptions (not done or partly done), {faults} of them "
            f"put down to location data faults, {corrected} still missed where the location "
            "was corrected"
        )

    def furthest_below(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` hot spots with the least minutes delivered, in plain column names."""
        columns = ["fence_id", "planned", "done", "partly", "not_done", "taskings_done_share",
                   "compliance"]  # fmt: skip
        return (
            self.compliance.sort_values("compliance")[columns].head(n).rename(columns=PLAIN_NAMES)
        )

    def plot_dosage(self) -> Figure:
        """Officer-hours per fence in the week: patrolled in red, control in blue."""
        fig = Figure(figsize=(9, 3.2))
        ax = fig.add_subplot()
        d = self.dosage.sort_values("officer_minutes", ascending=False)
        role = d["role"] if "role" in d.columns else pd.Series("", index=d.index)
        colours = role.map({"treatment": "#b2182b", "control": "#2166ac"}).fillna("#888888")
        ax.bar(d["fence_id"].astype(str), d["officer_minutes"] / 60, color=colours)
        ax.set_ylabel("officer-hours")
        ax.set_xlabel("hot spot")
        ax.set_title(
            f"Dosage per hot spot, week of {self.start:%Y-%m-%d}: patrolled (red), control (blue)"
        )
        ax.tick_params(axis="x", labelrotation=90, labelsize=6)
        fig.tight_layout()
        return fig


def _dates(start: pd.Timestamp) -> list[str]:
    return list(pd.date_range(start, periods=7).strftime("%Y-%m-%d"))


def week_of_taskings(
    fixes: FaultCorrection,
    pings: pd.DataFrame,
    fences: gpd.GeoDataFrame,
    week_start: str | pd.Timestamp,
    *,
    tz: str,
    target_compliance: float = 0.9,
    team_roster: dict[str, list[str]] | pd.DataFrame | None = None,
    key: str | bytes | None = None,
) -> WeekOfTaskings:
    """Compliance, dosage and exceptions for the week that begins on ``week_start``.

    Parameters
    ----------
    fixes : FaultCorrection
        From :func:`~hspwork.tasking.correct_location_faults`: its headline plan
        (``matched``) gives compliance, its ``matched_raw`` the figure before correction, its
        ``dwell`` the visits for dosage, and it judges exceptions at corrected hot spots.
    pings : DataFrame
        The cleaned pings (``officer``, ``time``, ``x``, ``y``); the week's are used to say
        whether a device was heard during each tasking not performed.
    fences : GeoDataFrame
        The programme's fences (``fence_id``, ``role``).
    week_start : str or Timestamp
        The Monday the week begins, a local date.
    tz : str
        The programme's local time zone: the week runs from local midnight to local midnight.
    target_compliance : float
        The programme's target.
    team_roster : dict or DataFrame, optional
        Team -> officers, for taskings planned for a team.
    key : str or bytes, optional
        Pseudonym key (default ``$HSPWORK_PSEUDONYM_KEY``).

    Returns
    -------
    WeekOfTaskings
    """
    start = pd.Timestamp(week_start).normalize()
    if start.tzinfo is not None:
        start = start.tz_localize(None)
    dates = _dates(start)
    week = fixes.matched[fixes.matched["date"].isin(dates)]
    compliance = compliance_table(week, by="fence_id", target_compliance=target_compliance)
    raw = compliance_table(fixes.matched_raw[fixes.matched_raw["date"].isin(dates)])
    compliance["delivered_minutes_raw"] = compliance["fence_id"].map(
        raw.set_index("fence_id")["delivered_minutes"]
    )
    lo = start.tz_localize(tz).tz_convert("UTC")
    hi = (start + pd.Timedelta(days=7)).tz_localize(tz).tz_convert("UTC")
    in_week = fixes.dwell.visits["start"].between(lo, hi, inclusive="left").to_numpy()
    dosage = dwell_summary(fixes.dwell.select(in_week))
    # Every fence gets a row, patrolled or not; the role (treatment, control) when known.
    roles = fences[["fence_id", *(["role"] if "role" in fences.columns else [])]]
    roles = roles.drop_duplicates("fence_id")
    dosage = roles.merge(dosage, on="fence_id", how="left").fillna(
        {"visits": 0, "officer_minutes": 0.0, "patrol_minutes": 0.0}
    )
    week_pings = pings[(pings["time"] >= lo) & (pings["time"] < hi)]
    # Officers enter the exception report only as pseudonyms.
    exceptions = pseudonymise_frame(
        exception_report(week, week_pings, fences, team_roster=team_roster, faults=fixes),
        columns=["officer", "delivered_by"],
        key=key,
    )
    return WeekOfTaskings(start, compliance, dosage, exceptions)

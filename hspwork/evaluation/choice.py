"""Which evaluation a programme's data call for: a randomised trial, a roll-out, or a chosen set.

Chapter 4 analyses a programme the way it was run. A random draw of treated and control
places is a trial (:func:`~hspwork.evaluation.estimate_effect` with randomisation
inference); places that started at different times are a roll-out
(:func:`~hspwork.evaluation.staggered_effect`); places chosen for their crime, all starting
together, need comparison places matched on their past (:func:`~hspwork.evaluation.
match_controls`). :func:`choose_design` reads the evidence in the places table and returns the
path with its reason in plain words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hspwork.errors import HspworkError, SchemaError

__all__ = ["DESIGNS", "DesignChoice", "choose_design"]

DESIGNS = ("randomised", "staggered", "matched")


@dataclass
class DesignChoice:
    """The evaluation path and why.

    Attributes
    ----------
    design : str
        "randomised", "staggered" or "matched".
    reason : str
        Plain words for the page: what the data show and what follows.
    evidence : dict
        The facts behind it (JSON-native): places by role, start periods, the record.
    starts : DataFrame
        One row per treated place: ``id``, ``start`` (UTC) and ``wave`` (0, 1, ...), when
        start times were found; empty otherwise. Feed ``start`` to ``first_treated``.
    """

    design: str
    reason: str
    evidence: dict = field(default_factory=dict)
    starts: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def first_treated(self, trial_start, *, period_days: int = 7) -> pd.Series:
        """Each treated place's first treated period, numbered as
        :func:`~hspwork.evaluation.crime_panel` numbers them (0 is the period starting at
        ``trial_start``): map it onto a panel's place column for
        :func:`~hspwork.evaluation.staggered_effect` (places without a start get NaN).

        Examples
        --------
        >>> import pandas as pd
        >>> places = pd.DataFrame({"fence_id": ["A", "B", "C"],
        ...     "role": ["treatment", "treatment", "control"],
        ...     "start": pd.to_datetime(["2025-09-01", "2025-09-15", None], utc=True)})
        >>> choose_design(places).first_treated("2025-09-01T00:00Z").to_dict()
        {'A': 0, 'B': 2}
        """
        ts = pd.Timestamp(trial_start)
        if ts.tzinfo is None:
            raise HspworkError(f"trial_start must carry a time zone; received {trial_start!r}")
        if self.starts.empty:
            return pd.Series(dtype="int64", name="first_treated")
        step = pd.Timedelta(days=int(period_days))
        k = np.floor((self.starts["start"] - ts.tz_convert("UTC")) / step).astype("int64")
        return pd.Series(k.to_numpy(), index=self.starts["id"].to_numpy(), name="first_treated")

    def summary(self) -> str:
        """Two lines: the design found, and why."""
        name = {
            "randomised": "a randomised trial",
            "staggered": "a staggered roll-out",
            "matched": "a chosen set of places, evaluated against matched comparison places",
        }[self.design]
        return f"Design found: {name}.\n{self.reason}"


def _record(design_record) -> dict | None:
    if design_record is None:
        return None
    if hasattr(design_record, "to_dict"):
        return design_record.to_dict()
    if isinstance(design_record, dict):
        return design_record
    path = Path(design_record)
    if not path.is_file():
        raise HspworkError(f"no design record at {str(path)!r} (the JSON that assign() writes)")
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def choose_design(
    places: pd.DataFrame,
    *,
    id_column: str = "fence_id",
    role_column: str = "role",
    start_column: str | None = None,
    block_column: str = "block",
    design_record=None,
    period_days: int = 7,
) -> DesignChoice:
    """Choose chapter 4's design path from what the programme's places show.

    Parameters
    ----------
    places : DataFrame
        One row per place (or per fence version): ids, roles ("treatment", "control", others
        ignored) and, when known, when each treated place started.
    id_column, role_column : str
    start_column : str, optional
        When each treated place's patrols began (tz-aware). Default: a ``start`` column if
        there is one, else ``valid_from`` (the date a fence came into force; the earliest
        version counts).
    block_column : str, default "block"
        Randomisation blocks or pairs, as :func:`~hspwork.evaluation.assign` writes them.
    design_record : DesignRecord, dict or path, optional
        The record of a random draw (``Assignment.record`` or its JSON).
    period_days : int, default 7
        Starts in different periods of this length count as different waves.

    Returns
    -------
    DesignChoice

    Notes
    -----
    The order of the checks: treated places that started in two or more different periods
    are a roll-out, whatever else is true (a randomised stepped wedge is a roll-out too; its
    comparisons are the places not yet started). Otherwise a record of a random draw, or
    randomisation blocks that each hold treated and control places, make a randomised trial.
    Otherwise the places were chosen, and matched comparisons are needed, because a fall at
    places picked for their crime is partly regression to the mean.

    Examples
    --------
    >>> import pandas as pd
    >>> places = pd.DataFrame({"fence_id": ["A", "B", "C", "D"],
    ...                        "role": ["treatment", "control", "treatment", "control"],
    ...                        "block": [1, 1, 2, 2]})
    >>> choose_design(places).design
    'randomised'
    >>> places["start"] = pd.to_datetime(["2025-09-01", None, "2025-10-06", None], utc=True)
    >>> choose_design(places).design
    'staggered'
    >>> choose_design(places.drop(columns=["block", "start"])).design
    'matched'
    """
    if not isinstance(places, pd.DataFrame):
        raise SchemaError(f"places must be a DataFrame; received {type(places).__name__}")
    missing = [c for c in (id_column, role_column) if c not in places.columns]
    if missing:
        raise SchemaError(f"places lack columns {missing}; they have {list(places.columns)}")
    if int(period_days) < 1:
        raise HspworkError(f"period_days must be at least 1; received {period_days!r}")
    role = places[role_column].astype(str)
    by_place = places.assign(_role=role).groupby(id_column, sort=True)
    roles = by_place["_role"].first()
    if (by_place["_role"].nunique() > 1).any():
        raise SchemaError(f"a place has more than one {role_column!r} across its rows")
    treated_ids = roles.index[roles == "treatment"]
    control_ids = roles.index[roles == "control"]
    if len(treated_ids) == 0:
        raise HspworkError(
            f"no place has role 'treatment' (roles found: {sorted(set(role))}); an evaluation "
            "needs the patrolled places"
        )
    evidence: dict = {"treated_places": len(treated_ids), "control_places": len(control_ids)}

    # ---- start times of the treated places
    col = start_column
    if col is None:
        col = "start" if "start" in places.columns else (
            "valid_from" if "valid_from" in places.columns else None
        )  # fmt: skip
    elif col not in places.columns:
        raise SchemaError(f"places lack the start column {col!r}")
    starts = pd.DataFrame(columns=["id", "start", "wave"])
    if col is not None:
        t = pd.to_datetime(places[col], utc=True, errors="coerce")
        first = t.groupby(places[id_column]).min().reindex(treated_ids)
        known = first.dropna()
        if len(known):
            step = pd.Timedelta(days=int(period_days))
            wave_of = np.floor((known - known.min()) / step).astype(int)
            waves = np.unique(wave_of)
            rank = {w: k for k, w in enumerate(waves)}
            starts = pd.DataFrame(
                {"id": known.index, "start": known.to_numpy(),
                 "wave": [rank[w] for w in wave_of]}
            )  # fmt: skip
            evidence.update(
                start_column=col,
                treated_with_start=len(known),
                start_periods=len(waves),
                first_start=known.min().isoformat(),
                last_start=known.max().isoformat(),
            )
    record = _record(design_record)
    if record is not None:
        evidence["design_record"] = {
            k: record.get(k) for k in ("method", "seed", "n_treated", "n_control")
        }
    blocks_ok = False
    if block_column in places.columns and len(control_ids):
        b = by_place[block_column].first().reindex(treated_ids.append(control_ids))
        is_t = b.index.isin(treated_ids)
        tab = pd.crosstab(b.to_numpy(), is_t)
        blocks_ok = bool(b.notna().all() and tab.shape[1] == 2 and (tab > 0).all(axis=1).all())
        evidence["blocks"] = int(b.nunique())

    n_waves = evidence.get("start_periods", 1)
    if n_waves >= 2:
        sizes = starts.groupby("wave").size().tolist()
        comparison = (
            f"{len(control_ids)} places never patrolled and the places not yet started"
            if len(control_ids)
            else "the places not yet started (no place was left unpatrolled)"
        )
        reason = (
            f"The {len(treated_ids)} patrolled places did not all start together: they began "
            f"in {n_waves} waves ({', '.join(map(str, sizes))} places) between "
            f"{starts['start'].min():%-d %b %Y} and {starts['start'].max():%-d %b %Y}. Comparing "
            "each wave with places already patrolled would hide an effect that grows over "
            "time, so each place's weeks after its start are compared with what "
            f"{comparison} show for the same weeks (the imputation estimator for roll-outs)."
        )
        return DesignChoice("staggered", reason, evidence, starts)
    if record is not None and record.get("method") in ("simple", "block", "pairs"):
        reason = (
            f"The {len(treated_ids)} patrolled and {len(control_ids)} comparison places were "
            f"assigned by a random draw ({record.get('method')} randomisation, seed "
            f"{record.get('seed')}): the two groups differ only by chance, so the trial is "
            "analysed directly, with a randomisation test beside the model."
        )
        return DesignChoice("randomised", reason, evidence, starts)
    if blocks_ok:
        reason = (
            f"The places come in {evidence['blocks']} randomisation blocks, each holding "
            f"patrolled and comparison places ({len(treated_ids)} and {len(control_ids)}): the "
            "mark of a block-randomised trial, analysed directly with a randomisation test "
            "that re-draws within the same blocks. Keep the record of the draw to show it."
        )
        return DesignChoice("randomised", reason, evidence, starts)
    pool = (
        f"{len(control_ids)} named comparison places, but no record of a random draw"
        if len(control_ids)
        else "no comparison places"
    )
    reason = (
        f"The {len(treated_ids)} patrolled places all started together and there are {pool}: "
        "the places were chosen, most likely for their crime. A fall at such places is partly "
        "regression to the mean, so they are compared with places not patrolled that had the "
        "same level and trend of crime and harm before the start (matched comparisons)."
    )
    return DesignChoice("matched", reason, evidence, starts)

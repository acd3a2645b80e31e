"""The work folder between the four chapters: every file's path and schema, in one place.

Each chapter leaves its results in ``work/<chapter>/`` for the next, so an analyst can stop,
edit a fence by hand, and carry on tomorrow. This module owns that layout: the chapters and the
weekly briefing write and read through :class:`WorkFolder` only, and a file's columns are
checked when it is written and when it is read, so a change to one chapter that breaks the next
fails at once, naming the file and the column.

Writes are atomic (a temporary file in the same folder, then ``os.replace``: a failed write
leaves the old file as it was). CSV files are meant for people and may be opened in Excel, so
text cells that begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are prefixed
with ``'`` (OWASP's advice on CSV injection; a leading ``'`` is escaped the same way), and
:meth:`WorkFolder.read` undoes it; numbers stay numbers. Officer identifier columns (every
name :func:`hspwork.privacy.is_identifier_column` knows, including those configured in
``$HSPWORK_IDENTIFIER_COLUMNS``) are pseudonymised on the way out whenever they are not already.

The ``briefing.json`` files carry a ``schema`` version; a file of another version is refused
with what to re-run.

Examples
--------
>>> import tempfile
>>> import pandas as pd
>>> work = WorkFolder(tempfile.mkdtemp())
>>> table = pd.DataFrame({"fence_id": ["HS01"], "name": ["=HYPERLINK(\\"x\\")"], "crimes": [-3]})
>>> path = work.write("geofences.figures", table)
>>> path.read_text().splitlines()[1]
'HS01,"\\'=HYPERLINK(""x"")",-3'
>>> work.read("geofences.figures")["name"].iloc[0]
'=HYPERLINK("x")'
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hspwork.errors import HspworkError, SchemaError
from hspwork.privacy import pseudonymise_identifiers
from hspwork.safe import atomic_write, neutralise_cells, restore_cells

__all__ = [
    "BRIEFING_SCHEMA",
    "FILES",
    "FileSpec",
    "WorkFolder",
    "atomic_write",
    "neutralise_cells",
    "restore_cells",
]

#: Version of the ``briefing.json`` files; bump when their keys change.
BRIEFING_SCHEMA = 2


@dataclass(frozen=True)
class FileSpec:
    """One file of the work folder.

    Attributes
    ----------
    chapter : str
        The chapter folder (``01_targeting``...).
    name : str
        File name.
    columns : tuple of str
        Columns the file must hold (others may follow).
    meaning : str
        What it holds, for people.
    dates : tuple of str
        Columns parsed as tz-aware UTC times on reading.
    keys : tuple of str
        For JSON files: the keys it must hold.
    """

    chapter: str
    name: str
    columns: tuple[str, ...] = ()
    meaning: str = ""
    dates: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return self.name.rsplit(".", 1)[-1]


_T, _G, _K, _E = "01_targeting", "02_geofences", "03_tracking", "04_evaluation"
_S = FileSpec
#: Every file of the work folder, by key.
FILES: dict[str, FileSpec] = {
    "targeting.units": _S(_T, "units.parquet", ("unit_id", "crimes", "harm", "gi_z", "gi_bin", "geometry"),
                          "every micro place with its crimes, harm and Gi*"),
    "targeting.hotspots": _S(_T, "hotspots.geojson", ("unit_id", "gi_z", "geometry"),
                             "the significant Gi* hot cells"),
    "targeting.selection": _S(_T, "selection.geojson", ("place_id", "choice", "geometry"),
                              "the chosen places, in order of choice"),
    "targeting.selection_table": _S(_T, "selection.csv", ("place_id", "choice"),
                                    "the chosen places as a table"),
    "targeting.candidates": _S(_T, "candidates.csv", ("place_id",),
                               "every candidate place: chosen, next best or cut, and why"),
    "geofences.fences": _S(_G, "fences.geojson", ("fence_id", "name", "role", "version", "geometry"),
                           "the fence set (RFC 7946, WGS84, for tracking systems)"),
    "geofences.fences_metric": _S(_G, "fences.parquet", ("fence_id", "role", "geometry"),
                                  "the fence set in metres"),
    "geofences.catchments": _S(_G, "catchments.geojson", ("fence_id", "geometry"),
                               "GPS catchments round the fences"),
    "geofences.figures": _S(_G, "fence_figures.csv", ("fence_id",),
                            "area, radius, crime and harm per fence"),
    "geofences.findings": _S(_G, "findings.csv", (), "what the fence checks found"),
    "tracking.quality": _S(_K, "quality.csv", ("officer", "source", "pings"),
                           "ping quality per officer and source (pseudonyms)"),
    "tracking.visits": _S(_K, "visits.csv", ("officer", "fence_id", "start", "end", "minutes"),
                          "every measured visit (pseudonyms)", dates=("start", "end")),
    "tracking.dosage": _S(_K, "dosage.csv", ("fence_id", "visits", "officer_minutes"), "dosage per fence in the week"),
    "tracking.matched_plan": _S(_K, "matched_plan.csv",
                                ("tasking_id", "fence_id", "minutes", "delivered_minutes", "status"),
                                "each tasking with the visit matched to it (pseudonyms)",
                                dates=("planned_start",)),
    "tracking.compliance": _S(_K, "compliance.csv", ("fence_id", "planned_minutes", "delivered_minutes"),
                              "compliance per hot spot in the week"),
    "tracking.weekly": _S(_K, "weekly_performance.csv", ("week",), "compliance week by week"),
    "tracking.exceptions": _S(_K, "exceptions.csv", ("tasking_id", "fence_id", "status", "reason"),
                              "taskings not done or partly done, and why (pseudonyms)",
                              dates=("planned_start",)),
    "tracking.location_faults": _S(_K, "location_faults.csv",
                                   ("fence_id", "compliance_measured", "compliance", "fault"),
                                   "compliance per hot spot as reported and corrected for location "
                                   "faults, with the evidence"),
    "tracking.briefing": _S(_K, "briefing.json", keys=("target_compliance", "week")),
    "tracking.capacity_curve": _S(_K, "capacity_curve.csv", ("officers_per_shift", "places_covered"),
                                  "hot spots that get their dosage against officers per shift"),
    "tracking.routed_plan": _S(_K, "routed_plan.csv", ("tasking_id", "fence_id", "order", "planned_start"),
                               "the week's taskings in optimised route order", dates=("planned_start",)),
    "tracking.travel_comparison": _S(_K, "travel_comparison.csv", ("shift",),
                                     "walking minutes per team and shift, time order against optimised"),
    "evaluation.panel": _S(_E, "panel.csv", ("fence_id", "period"), "the weekly place panel"),
    "evaluation.outcomes": _S(_E, "outcomes.csv", ("group", "period", "crimes"),
                              "crime and harm, treated and control, before and after"),
    "evaluation.effects": _S(_E, "effects.csv", ("method", "outcome", "irr"),
                             "the effect estimates"),
    "evaluation.displacement": _S(_E, "displacement.csv", (), "crime in the rings round fences"),
    "evaluation.cost": _S(_E, "cost.csv", ("officer_hours", "cost_gbp"), "what the programme cost"),
    "evaluation.cost_by_offence": _S(_E, "cost_by_offence.csv", ("offence",),
                                     "crimes prevented and their value, by offence"),
    "evaluation.briefing": _S(_E, "briefing.json", keys=("periods", "cautions")),
    "evaluation.design": _S(_E, "design.json", keys=("design", "reason", "method", "periods"),
                            meaning="the design followed (randomised, staggered, matched) and why"),
    "evaluation.staggered": _S(_E, "staggered.csv", ("outcome", "estimate", "event_time", "irr",
                                                      "ci_low", "ci_high"),
                               "a roll-out's effect overall and by weeks since each start"),
    "evaluation.matches": _S(_E, "matches.csv", ("treated_unit", "control_unit", "distance"),
                             "each chosen place's matched comparison places"),
    "evaluation.match_balance": _S(_E, "match_balance.csv", ("feature", "std_diff_before",
                                                              "std_diff_after"),
                                   "how alike chosen and comparison places were, before and "
                                   "after matching"),
    "evaluation.deterrence": _S(_E, "deterrence.csv", ("minutes", "relative_rate", "ci_low",
                                                        "ci_high"),
                                "crime after a visit by the visit's length (residual deterrence)"),
}  # fmt: skip

#: How chapter 3 ends an exception's ``reason`` at a hot spot whose figure it corrected for a
#: location fault, e.g. "device heard elsewhere: not at the spot (location corrected:
#: catchment +200 m)": still missed after the correction. Written and read only through
#: :func:`mark_corrected`, :func:`is_corrected` and :func:`base_reason`.
_CORRECTED = re.compile(r"\s*\(location corrected: [^)]*\)$")


def mark_corrected(reasons: pd.Series, corrections: pd.Series) -> pd.Series:
    """``reasons`` ending with the correction made at their hot spot.

    Examples
    --------
    >>> mark_corrected(pd.Series(["too briefly"]), pd.Series(["catchment +200 m"])).tolist()
    ['too briefly (location corrected: catchment +200 m)']
    """
    return reasons.astype(str) + " (location corrected: " + corrections.astype(str) + ")"


def is_corrected(reasons: pd.Series) -> pd.Series:
    """Which reasons are of taskings at a hot spot whose figure was corrected."""
    return reasons.astype(str).str.contains(_CORRECTED)


def base_reason(reason: str) -> str:
    """A reason without its "(location corrected: ...)" ending, to count alike.

    Examples
    --------
    >>> base_reason("device heard elsewhere: not at the spot (location corrected: catchment +200 m)")
    'device heard elsewhere: not at the spot'
    """
    return _CORRECTED.sub("", str(reason))


class WorkFolder:
    """The work folder of one programme: paths, atomic writes and checked reads.

    Parameters
    ----------
    root : str or Path
        The folder (made when first written to).

    Examples
    --------
    >>> import tempfile
    >>> work = WorkFolder(tempfile.mkdtemp())
    >>> work.path("tracking.visits").relative_to(work.root).as_posix()
    '03_tracking/visits.csv'
    >>> work.exists("tracking.visits")
    False
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"WorkFolder({str(self.root)!r})"

    def spec(self, key: str) -> FileSpec:
        """The :class:`FileSpec` of a key; an unknown key is refused with the known ones."""
        if key not in FILES:
            raise HspworkError(f"unknown work-folder file {key!r}; known: {sorted(FILES)}")
        return FILES[key]

    def path(self, key: str) -> Path:
        """Where a file lives."""
        spec = self.spec(key)
        return self.root / spec.chapter / spec.name

    def chapter_dir(self, chapter: str) -> Path:
        """A chapter's folder, made if missing."""
        folder = self.root / chapter
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def exists(self, key: str) -> bool:
        """Whether a file has been written."""
        return self.path(key).is_file()

    def _check_columns(self, key: str, columns: Any, when: str) -> None:
        spec = self.spec(key)
        missing = [c for c in spec.columns if c not in list(columns)]
        if missing:
            raise SchemaError(
                f"work folder {spec.chapter}/{spec.name} {when} lacks column(s) {missing}; it "
                f"has {list(columns)} and must have {list(spec.columns)}"
            )

    def write(self, key: str, data: Any, *, index: bool = False) -> Path:
        """Write a frame (or, for ``.json``, a dict) atomically; returns the path.

        CSV cells are neutralised for spreadsheets and identifier columns pseudonymised.
        GeoParquet and GeoJSON keep the geometry; GeoJSON is written in WGS84 (RFC 7946).
        """
        spec = self.spec(key)
        path = self.path(key)
        if spec.kind == "json":
            if not isinstance(data, Mapping):
                raise SchemaError(f"{spec.name} takes a dict, got {type(data).__name__}")
            missing = [k for k in spec.keys if k not in data]
            if missing:
                raise SchemaError(f"{spec.chapter}/{spec.name} lacks key(s) {missing}")
            text = json.dumps({"schema": BRIEFING_SCHEMA, **data}, indent=2, default=_json_default)
            with atomic_write(path) as tmp:
                tmp.write_text(text, encoding="utf-8")
            return path
        if not isinstance(data, pd.DataFrame):
            raise SchemaError(f"{spec.name} takes a DataFrame, got {type(data).__name__}")
        self._check_columns(key, data.columns, "to write")
        frame = pseudonymise_identifiers(data)
        if key == "geofences.fences":
            from hspwork.fences import to_file

            with atomic_write(path) as tmp:
                to_file(frame, tmp, format="geojson")
            return path
        writers: dict[str, Callable[[Path], None]] = {
            "csv": lambda tmp: neutralise_cells(frame).to_csv(tmp, index=index),
            "parquet": lambda tmp: _plain(frame).to_parquet(tmp),
            "geojson": lambda tmp: _to_wgs84(_plain(frame)).to_file(tmp, driver="GeoJSON"),
        }
        with atomic_write(path) as tmp:
            writers[spec.kind](tmp)
        return path

    def read(self, key: str) -> Any:
        """Read a file back, its columns checked and its times parsed as UTC."""
        spec = self.spec(key)
        path = self.path(key)
        if not path.is_file():
            raise HspworkError(
                f"{spec.chapter}/{spec.name} is not in the work folder {self.root}; run chapter "
                f"{spec.chapter} first"
            )
        if spec.kind == "json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("schema") != BRIEFING_SCHEMA:
                raise HspworkError(
                    f"{spec.chapter}/{spec.name} was written by another version of hspwork "
                    f"(schema {data.get('schema')!r}, this version reads {BRIEFING_SCHEMA}); "
                    f"re-run chapter {spec.chapter}"
                )
            data.pop("schema")
            return data
        if key == "geofences.fences":
            from hspwork.fences import from_file

            frame = from_file(path)
        elif spec.kind == "csv":
            frame = restore_cells(pd.read_csv(path, keep_default_na=True))
            for column in spec.dates:
                if column in frame.columns:
                    frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        elif spec.kind == "parquet":
            import geopandas as gpd

            frame = gpd.read_parquet(path)
        else:
            import geopandas as gpd

            frame = gpd.read_file(path)
        self._check_columns(key, frame.columns, "as read")
        return frame

    def read_optional(self, key: str) -> Any:
        """Like :meth:`read`, or None when the file has not been written."""
        return self.read(key) if self.exists(key) else None

    def written(self, chapter: str) -> list[str]:
        """The files a chapter's folder holds, by name (for the chapter's last line)."""
        folder = self.root / chapter
        return (
            sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
            if folder.is_dir()
            else []
        )


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose attrs hold only JSON-native values (reports become their dict form)."""
    out = frame.copy()
    out.attrs = {}
    for key, value in frame.attrs.items():
        if hasattr(value, "to_dict") and not isinstance(value, pd.DataFrame | pd.Series):
            value = value.to_dict()
        try:
            json.dumps(value)
        except TypeError:
            continue  # not JSON: kept out of the file's metadata
        out.attrs[key] = value
    return out


def _to_wgs84(frame: Any) -> Any:
    if getattr(frame, "crs", None) is not None and not frame.crs.equals("EPSG:4326"):
        return frame.to_crs(4326)
    return frame

"""Every parameter of the four chapters, in one registry: name, meaning, default, what is allowed.

The registry is the one source of truth for the notebooks' ``parameters`` cells (a test keeps
them equal), for ``hspwork params``, for the programme file that ``hspwork init`` writes, and for
the checks that ``hspwork check`` and ``hspwork brief`` run before any notebook starts: a wrong
type (``budget=twenty``) is refused at once, naming the parameter, the value and what is allowed.

A default of ``None`` means "not given": file paths are then absent, and windows are derived
from the data when the chapter runs (and the chapter says so).

Examples
--------
>>> PARAMETERS["budget"].check(20)
20
>>> PARAMETERS["budget"].check("twenty")
Traceback (most recent call last):
...
hspwork.errors.HspworkError: parameter budget: got 'twenty' (text); allowed: a whole number from 1 to 10000 (places the officers can cover)
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import warnings
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hspwork.errors import HspworkError

__all__ = [
    "CHAPTERS",
    "PARAMETERS",
    "RENAMED",
    "Parameter",
    "check_parameters",
    "parameters_for",
]

#: The chapters (notebook stems), in the order they run.
CHAPTERS: tuple[str, ...] = ("01_targeting", "02_geofences", "03_tracking", "04_evaluation")
_ALL = CHAPTERS
T, G, K, E = CHAPTERS


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__


@dataclass(frozen=True)
class Parameter:
    """One chapter parameter.

    Attributes
    ----------
    name : str
        As in the notebooks' ``parameters`` cells and the programme file.
    section : str
        Where it sits in the programme file (``data``, ``windows``, ``targeting``...).
    default : object
        The notebooks' default (``None``: not given; derived or absent).
    meaning : str
        One line for people, with the unit.
    chapters : tuple of str
        The chapters that declare it.
    allowed : str
        What is allowed, in words (used in error messages).
    validate : callable
        Takes the value, returns it (possibly normalised) or raises ``ValueError``.
    """

    name: str
    section: str
    default: Any
    meaning: str
    chapters: tuple[str, ...]
    allowed: str
    validate: Callable[[Any], Any]

    def check(self, value: Any) -> Any:
        """The value when allowed (normalised, e.g. 20.0 for a whole number 20), else an error."""
        if isinstance(value, str) and not value.strip():
            value = None  # "" in a programme file: not given
        try:
            return self.validate(value)
        except (ValueError, TypeError) as error:
            detail = f" ({error})" if str(error) else ""
            raise HspworkError(
                f"parameter {self.name}: got {value!r} ({_kind(value)}){detail}; "
                f"allowed: {self.allowed} ({self.meaning})"
            ) from None


# ------------------------------------------------------------------------------ validators


def _number(lo: float, hi: float, *, lo_open: bool = False, optional: bool = False):
    def check(value: Any) -> Any:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("")
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        if value < lo or (lo_open and value == lo) or value > hi:
            raise ValueError("out of range")
        return float(value)

    return check


def _whole(lo: int, hi: int):
    def check(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("")
        if not lo <= value <= hi:
            raise ValueError("out of range")
        return value

    return check


def _choice(options: Iterable[str]):
    options = tuple(options)

    def check(value: Any) -> Any:
        if value not in options:
            raise ValueError("")
        return value

    return check


def _optional_choice(options: Iterable[str]):
    options = tuple(options)

    def check(value: Any) -> Any:
        if value is None or value == "":
            return None
        if value not in options:
            raise ValueError("")
        return value

    return check


# The evaluation designs (hspwork.evaluation.choice.DESIGNS; kept here so the registry imports
# nothing heavy).
DESIGN_CHOICES = ("randomised", "staggered", "matched")


def _text(*, optional: bool = True):
    def check(value: Any) -> Any:
        if value is None or value == "":
            if optional:
                return None
            raise ValueError("it must be given")
        if not isinstance(value, str):
            raise ValueError("")
        return value

    return check


def _paths(value: Any) -> Any:
    """A file, folder or glob (text), or a list of them; '' or None: not given."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str) and v for v in value):
        return list(value)
    raise ValueError("")


def _mapping_of_text(value: Any) -> Any:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError("")
    return dict(value)


def _ping_sources(value: Any) -> Any:
    from hspwork.io import PING_SOURCES

    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("")
    out = {}
    for source, paths in value.items():
        if source not in PING_SOURCES:
            raise ValueError(f"unknown source {source!r}; sources are {list(PING_SOURCES)}")
        checked = _paths(paths)
        if checked is not None:
            out[source] = checked
    return out


def _date(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError("")
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise ValueError("not a date written YYYY-MM-DD") from None


def _monday(value: Any) -> Any:
    day = _date(value)
    if day is not None and dt.date.fromisoformat(day).weekday() != 0:
        raise ValueError(f"{day} is a {dt.date.fromisoformat(day):%A}, not a Monday")
    return day


def _tz(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise ValueError("")
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a folder of zones ("Europe") or a name too long for a file
        raise ValueError("not an IANA time zone name") from None
    return value


def _crs(value: Any) -> Any:
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("")
    try:
        CRS.from_user_input(value)
    except ProjCRSError:
        raise ValueError("not a CRS pyproj knows") from None
    return value


def _harm(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise ValueError("")
    return value


def _neighbours(value: Any) -> Any:
    if value in ("queen", "rook"):
        return value
    if isinstance(value, bool):
        raise ValueError("")
    if isinstance(value, int) and 1 <= value <= 30:
        return value
    if isinstance(value, float) and 0 < value <= 5000:
        return value
    raise ValueError("")


def _fdr(value: Any) -> Any:
    if value is None or value is False:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ValueError("")
    return float(value)


def _max_gap(value: Any) -> Any:
    from hspwork.io import PING_SOURCES

    if value is None:
        return None
    if isinstance(value, Mapping):
        out = {}
        for source, minutes in value.items():
            if source not in PING_SOURCES:
                raise ValueError(f"unknown source {source!r}; sources are {list(PING_SOURCES)}")
            out[source] = _number(0, 24 * 60, lo_open=True)(minutes)
        return out
    return _number(0, 24 * 60, lo_open=True)(value)


def _shift_hours(value: Any) -> Any:
    if not isinstance(value, Mapping) or not value:
        raise ValueError("")
    out = {}
    for name, hours in value.items():
        if not isinstance(name, str) or not isinstance(hours, list | tuple) or len(hours) != 2:
            raise ValueError(f"shift {name!r} needs [start, end]")
        start, end = (_number(0, 24)(h) for h in hours)
        if start == end:
            raise ValueError(f"shift {name!r} starts and ends at {start:g}")
        out[name] = [start, end]
    return out


# ------------------------------------------------------------------------------ the registry

_P = Parameter
_LIST: list[Parameter] = [
    # where the data are
    _P("data_dir", "data", "../data/sample", "folder that relative data paths are read from",
       _ALL, "a folder (text)", _text(optional=False)),
    _P("work_dir", "data", "../build/work", "work folder each chapter leaves its results in",
       _ALL, "a folder (text)", _text(optional=False)),
    _P("crimes_path", "data", "crimes_force.csv",
       "recorded crime: a file, a folder (police.uk archive), a glob, or a list of them",
       (T, G, E), "a path, a glob or a list of paths", _paths),
    _P("crimes_columns", "data", {}, "their column name -> ours (crime_id, offence, occurred, "
       "occurred_from, occurred_to, x, y, lon, lat), when not recognised",
       (T, G, E), "a table of text to text", _mapping_of_text),
    _P("boundary_path", "data", "boundary.geojson",
       "the area to cover (polygons); none: the area the crimes cover",
       (T, K), "a path, or nothing", _paths),
    _P("fences_path", "data", "hotspots.geojson",
       "the programme's own fences, if it has them; none: chapter 1's chosen places",
       (T, G), "a path, or nothing", _paths),
    _P("districts_path", "data", "beats.geojson", "districts (beats, wards, neighbourhoods) with "
       "a name column, for the 3D harm map's drill-down", (T,), "a path, or nothing", _paths),
    _P("streets_path", "data", "streets.geojson", "street centrelines (drawn under the editor; "
       "journeys between hot spots)", (G, K), "a path, or nothing", _paths),
    _P("pings_paths", "data", {"app": "pings_app.parquet", "radio": "pings_radio.parquet"},
       "officer locations per source (app, radio, vehicle, handheld): a path, glob or list each",
       (K,), "a table of source -> path(s)", _ping_sources),
    _P("pings_columns", "data", {}, "their column name -> ours (officer, time, x, y, lon, lat, "
       "...), when not recognised", (K,), "a table of text to text", _mapping_of_text),
    _P("plan_path", "data", "tasking_plan.csv", "the tasking plan (one row per planned visit)",
       (K,), "a path, or nothing", _paths),
    _P("roster_path", "data", "roster.csv", "team roster, CSV with columns officer, team",
       (K,), "a path, or nothing", _paths),
    _P("tz", "data", "Europe/London", "local clock of the exports and of the pages",
       _ALL, "an IANA time zone name such as Europe/London", _tz),
    _P("crs", "data", "EPSG:27700", "CRS of easting/northing columns",
       _ALL, "an EPSG code or CRS text pyproj knows", _crs),
    _P("harm_scheme", "data", "cambridge", "harm weights: days of custody per offence",
       (T, G, E), "'cambridge' or a CSV harm table", _harm),
    # windows (local dates; the end is the day after the last day)
    _P("targeting_start", "windows", None, "first local day of the targeting window; none: "
       "the first day of the data", (T,), "a date YYYY-MM-DD, or nothing", _date),
    _P("targeting_end", "windows", None, "day after the last day of the targeting window; none: "
       "the programme start, or the day after the data end", (T,),
       "a date YYYY-MM-DD, or nothing", _date),
    _P("programme_start", "windows", None, "first local day of the programme (fences in force, "
       "patrols begin); none: the fences' own start date", (T, G, E),
       "a date YYYY-MM-DD, or nothing", _date),
    _P("programme_end", "windows", None, "day after the last day evaluated; none: the day after "
       "the data end", (E,), "a date YYYY-MM-DD, or nothing", _date),
    _P("panel_start", "windows", None, "first local day of the weekly panel; none: 52 weeks "
       "before the programme start", (E,), "a date YYYY-MM-DD, or nothing", _date),
    _P("week_start", "windows", None, "Monday of the week for the weekly briefing; none: the "
       "last whole week of location data", (K,), "a Monday, YYYY-MM-DD, or nothing", _monday),
    # targeting
    _P("cell_size_m", "targeting", 150.0, "side of a square micro place, metres", (T,),
       "a number of metres from 10 to 2000", _number(10, 2000)),
    _P("neighbours", "targeting", "queen", "Gi* neighbourhood: queen or rook contiguity, a "
       "distance in metres (150.0) or k nearest (8)", (T,),
       "'queen', 'rook', a distance such as 150.0, or a whole number 1-30", _neighbours),
    _P("fdr", "targeting", 0.05, "false discovery rate (Benjamini-Hochberg); none: off", (T,),
       "a share between 0 and 1, or nothing", _fdr),
    _P("gistar_permutations", "targeting", 999, "random relabellings of each cell's neighbours for "
       "Gi* p-values (conditional randomisation); 0: ArcGIS's normal approximation", (T,),
       "a whole number from 0 to 1000000", _whole(0, 1_000_000)),
    _P("emerging_time_step", "targeting", 1, "emerging hot spots: earlier periods that join each "
       "neighbourhood (Esri's neighbourhood time step)", (T,), "a whole number from 0 to 12",
       _whole(0, 12)),
    _P("budget", "targeting", 20, "places the officers can cover", (T,),
       "a whole number from 1 to 10000", _whole(1, 10_000)),
    _P("hot_share", "targeting", 0.05, "candidates: the cells holding the most harm, this share "
       "of all cells", (T,), "a share above 0, at most 1", _number(0, 1, lo_open=True)),
    _P("max_radius_m", "targeting", 150.0, "a place must fit in a circle this wide, metres",
       (T, G), "a number of metres from 10 to 1000", _number(10, 1000)),
    _P("min_spacing_m", "targeting", 500.0, "minimum distance between places' centres, metres",
       (T, G), "a number of metres from 0 to 10000", _number(0, 10_000)),
    _P("seed", "targeting", 20251101, "seed for anything random: the same seed, the same answer",
       (T, E), "a whole number from 0 to 2**32 - 1", _whole(0, 2**32 - 1)),
    # geofences
    _P("buffer_m", "geofences", 25.0, "GPS catchment: how far outside a fence a ping still "
       "counts, metres", (G,), "a number of metres from 0 to 500", _number(0, 500)),
    # tracking
    _P("target_compliance", "tracking", 0.9, "share of planned patrol minutes to deliver",
       (K,), "a share above 0, at most 1", _number(0, 1, lo_open=True)),
    _P("done_share", "tracking", 0.8, "a tasking is done when its visit reaches this share of "
       "the planned minutes", (K,), "a share above 0, at most 1", _number(0, 1, lo_open=True)),
    _P("max_gap_minutes", "tracking", None, "longest gap between pings credited to a fence, "
       "minutes (one number or per source); none: the defaults per source", (K,),
       "minutes above 0, a table of source -> minutes, or nothing", _max_gap),
    # tasking (planned within the tracking chapter)
    _P("shift_hours", "tasking", {"early": [7, 15], "late": [15, 23]}, "the patrol shifts: name "
       "-> [start hour, end hour], local time", (K,),
       "a table of shift name -> [start, end] hours from 0 to 24", _shift_hours),
    _P("dosage_visits_per_day", "tasking", 3, "visits a hot spot should get each day", (K,),
       "a whole number from 1 to 24", _whole(1, 24)),
    _P("dosage_minutes", "tasking", 15.0, "minutes of each visit", (K,),
       "minutes from 1 to 120", _number(1, 120)),
    _P("dosage_min_gap_minutes", "tasking", 120.0, "least time between two visits to one hot "
       "spot for the capacity question, minutes", (K,), "minutes from 0 to 720",
       _number(0, 720)),
    _P("route_min_gap_minutes", "tasking", 60.0, "least time between two visits to one hot spot "
       "when the week's routes are optimised, minutes", (K,), "minutes from 0 to 720",
       _number(0, 720)),
    _P("capacity_officers", "tasking", 6, "officers per shift up to which the capacity curve is "
       "drawn", (K,), "a whole number from 1 to 50", _whole(1, 50)),
    _P("route_time_limit_s", "tasking", 2.0, "solver time per team and shift, seconds", (K,),
       "seconds from 0.1 to 600", _number(0.1, 600)),
    # evaluation
    _P("model", "evaluation", "negbin", "count model for the effect", (E,),
       "'negbin', 'poisson' or 'quasipoisson'", _choice(("negbin", "poisson", "quasipoisson"))),
    _P("ring_m", "evaluation", 150.0, "width of the ring round each fence checked for "
       "displacement, metres", (E,), "a number of metres from 10 to 2000", _number(10, 2000)),
    _P("permutations", "evaluation", 999, "re-randomisations for the randomisation-inference "
       "p-value", (E,), "a whole number from 99 to 100000", _whole(99, 100_000)),
    _P("officer_hour_cost_gbp", "evaluation", 40.0, "cost of one officer-hour, pounds (check "
       "against the force's own figure)", (E,), "pounds above 0, at most 1000",
       _number(0, 1000, lo_open=True)),
    _P("design_override", "evaluation", None, "the evaluation design: randomised, staggered or "
       "matched; none: the design the fences show", (E,),
       "'randomised', 'staggered', 'matched', or nothing", _optional_choice(DESIGN_CHOICES)),
    _P("match_ratio", "evaluation", 1, "comparison places matched to each chosen place (a chosen "
       "set of places only)", (E,), "a whole number from 1 to 10", _whole(1, 10)),
    _P("match_caliper_sd", "evaluation", 1.0, "largest difference allowed between a chosen place "
       "and its comparison on any matched measure, standard deviations", (E,),
       "a number above 0, at most 5", _number(0, 5, lo_open=True)),
    _P("deterrence_window_minutes", "evaluation", 120.0, "after each visit, the minutes in which "
       "crime is counted for 'How long should visits be?'", (E,), "minutes from 10 to 720",
       _number(10, 720)),
]  # fmt: skip

#: Every parameter by name.
PARAMETERS: dict[str, Parameter] = {p.name: p for p in _LIST}

#: Former names, still accepted (with a FutureWarning) for one release.
RENAMED: dict[str, str] = {
    "crimes_file": "crimes_path",
    "boundary_file": "boundary_path",
    "programme_fences_file": "fences_path",
    "fences_file": "fences_path",
    "streets_file": "streets_path",
    "plan_file": "plan_path",
    "roster_file": "roster_path",
    "start": "targeting_start",
    "end": "targeting_end",
    "valid_from": "programme_start",
    "trial_start": "programme_start",
    "trial_end": "programme_end",
    "n_perm": "permutations",
    "max_gap": "max_gap_minutes",
}

# The two ping files of the former parameters map into pings_paths.
_FORMER_PINGS = {"app_pings_file": "app", "radio_pings_file": "radio"}


def _unknown(name: str) -> HspworkError:
    close = difflib.get_close_matches(name, list(PARAMETERS), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return HspworkError(
        f"unknown parameter {name!r}{hint} (`hspwork params` lists every parameter)"
    )


def check_parameters(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check every value; former names are translated; unknown names and bad values refused.

    Parameters
    ----------
    values : mapping
        Parameter name -> value (from ``--param``, a programme file, or a caller).

    Returns
    -------
    dict
        Current names -> checked values.

    Raises
    ------
    HspworkError
        Naming every unknown parameter and the first bad value: the parameter, the value and
        what is allowed.

    Examples
    --------
    >>> check_parameters({"budget": 20, "fdr": None})
    {'budget': 20, 'fdr': None}
    >>> check_parameters({"bugdet": 20})
    Traceback (most recent call last):
    ...
    hspwork.errors.HspworkError: unknown parameter 'bugdet'; did you mean budget? (`hspwork params` lists every parameter)
    """
    out: dict[str, Any] = {}
    former_pings: dict[str, Any] = {}
    for name, value in values.items():
        if name in _FORMER_PINGS:
            warnings.warn(
                f"parameter {name} is now part of pings_paths (source -> path)",
                FutureWarning,
                stacklevel=2,
            )
            former_pings[_FORMER_PINGS[name]] = value or None
            continue
        if name in RENAMED:
            warnings.warn(
                f"parameter {name} is now called {RENAMED[name]}", FutureWarning, stacklevel=2
            )
            name = RENAMED[name]
        if name not in PARAMETERS:
            raise _unknown(name)
        out[name] = PARAMETERS[name].check(value)
    if former_pings:
        merged = dict(out.get("pings_paths") or PARAMETERS["pings_paths"].default)
        for source, value in former_pings.items():
            merged.pop(source, None)
            if value:
                merged[source] = value
        out["pings_paths"] = PARAMETERS["pings_paths"].check(merged)
    return out


def parameters_for(chapter: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values a chapter declares, out of a checked set.

    Examples
    --------
    >>> parameters_for("02_geofences", {"budget": 20, "buffer_m": 30.0})
    {'buffer_m': 30.0}
    """
    if chapter not in CHAPTERS:
        raise HspworkError(f"unknown chapter {chapter!r}; chapters are {list(CHAPTERS)}")
    return {k: v for k, v in values.items() if chapter in PARAMETERS[k].chapters}


def _python_literal(value: Any) -> str:
    return repr(value)


def parameters_cell(chapter: str) -> str:
    """The source of a chapter's ``parameters`` cell, written from the registry.

    The notebooks' cells are kept equal to this (a test checks), so the registry, ``hspwork
    params``, the programme file and the notebooks never disagree on a name or a default.

    Examples
    --------
    >>> print(parameters_cell("02_geofences").splitlines()[1])
    data_dir = '../data/sample'  # folder that relative data paths are read from
    """
    if chapter not in CHAPTERS:
        raise HspworkError(f"unknown chapter {chapter!r}; chapters are {list(CHAPTERS)}")
    lines = [
        "# Parameters: `hspwork brief` sets these from the programme file (`hspwork params` "
        "lists them)."
    ]
    for p in PARAMETERS.values():
        if chapter in p.chapters:
            lines.append(f"{p.name} = {_python_literal(p.default)}  # {p.meaning}")
    return "\n".join(lines)

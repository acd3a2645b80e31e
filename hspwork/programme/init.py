"""``hspwork init``: write a force's programme file from the data it has.

:func:`init_programme` reads what it is given (crimes at least), derives what is not given
from the data and says how in the file's comments: the targeting window is the data's span,
the boundary the area the crimes cover (written beside the file as ``boundary.geojson`` for the
analyst to edit), the week for the briefing the last whole week of location data.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hspwork.errors import HspworkError
from hspwork.programme.file import write_programme
from hspwork.programme.parameters import PARAMETERS, check_parameters
from hspwork.programme.sources import data_boundary, resolve
from hspwork.programme.windows import Window, last_whole_week

__all__ = ["init_programme", "parse_ping_spec"]


def parse_ping_spec(text: str) -> tuple[str, str]:
    """Read ``--pings SOURCE=PATH`` (or a bare PATH, its source guessed from the name).

    Examples
    --------
    >>> parse_ping_spec("radio=exports/airwave/*.csv")
    ('radio', 'exports/airwave/*.csv')
    >>> parse_ping_spec("exports/app_pings_2025.parquet")
    ('app', 'exports/app_pings_2025.parquet')
    >>> parse_ping_spec("exports/locations.csv")
    Traceback (most recent call last):
    ...
    hspwork.errors.HspworkError: --pings exports/locations.csv: say which device it comes from, e.g. --pings app=exports/locations.csv (sources: app, radio, vehicle, handheld)
    """
    from hspwork.io import PING_SOURCES

    source, sep, path = text.partition("=")
    if sep and source in PING_SOURCES:
        return source, path
    name = Path(text).name.lower()
    guesses = {
        "app": ("app", "phone", "mobile"),
        "radio": ("radio", "airwave", "tetra", "issi"),
        "vehicle": ("vehicle", "avl", "car"),
        "handheld": ("handheld", "gps"),
    }
    found = [s for s, words in guesses.items() if any(w in name for w in words)]
    if len(found) == 1:
        return found[0], text
    raise HspworkError(
        f"--pings {text}: say which device it comes from, e.g. --pings app={text} "
        f"(sources: {', '.join(PING_SOURCES)})"
    )


def _relative(path: str, folder: Path) -> str:
    """A path as the programme file writes it: relative to its folder when inside it."""
    if any(c in path for c in "*?["):
        # A glob names no one file to resolve; its ~ is expanded (a quoted glob reaches init
        # unexpanded by the shell) and its .. folded in, as resolve() does for a path.
        full = Path(os.path.abspath(Path(path).expanduser()))
        try:
            return (
                os.path.relpath(full, folder)
                if full.is_relative_to(folder.resolve())
                else str(full)
            )
        except ValueError:
            return str(full)
    full = Path(path).expanduser().resolve()
    if full.is_relative_to(folder.resolve()):
        return str(full.relative_to(folder.resolve())) or "."
    return str(full)


def init_programme(
    folder: str | Path,
    *,
    crimes: str | Sequence[str],
    pings: Mapping[str, str | Sequence[str]] | None = None,
    plan: str | None = None,
    fences: str | None = None,
    boundary: str | None = None,
    streets: str | None = None,
    districts: str | None = None,
    roster: str | None = None,
    name: str | None = None,
    tz: str = "Europe/London",
    crs: str = "EPSG:27700",
    parameters: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> tuple[Path, list[str]]:
    """Write ``folder/hspwork.toml`` for a programme's data; derive and state what is missing.

    Parameters
    ----------
    folder : str or Path
        The programme folder (made if missing). Paths are stored relative to it when inside.
    crimes : str or sequence of str
        Recorded crime: a file, folder, glob or several (relative to the current folder).
    pings : mapping, optional
        Source (app, radio, vehicle, handheld) -> path(s) of officer locations.
    plan, fences, boundary, streets, districts, roster : str, optional
        The tasking plan, the programme's fences, the area, street lines, districts (beats,
        wards) for the 3D map, the team roster.
    name : str, optional
        The programme's name (default: the folder's name).
    tz, crs : str
        Local clock and the CRS of easting/northing columns.
    parameters : mapping, optional
        Any other parameter to set (checked like the rest).
    overwrite : bool
        Replace an existing programme file (refused otherwise, to keep an analyst's edits).

    Returns
    -------
    (Path, list of str)
        The file written, and the lines saying what was derived.
    """
    import hspwork

    folder = Path(folder)
    target = folder / "hspwork.toml"
    if target.exists() and not overwrite:
        raise HspworkError(f"{target} exists; edit it, or pass --force to write a new one over it")
    folder.mkdir(parents=True, exist_ok=True)
    cwd = Path.cwd()
    crimes_list = [crimes] if isinstance(crimes, str) else list(crimes)
    if not crimes_list:
        raise HspworkError("init needs the recorded crime: --crimes PATH (a file, folder or glob)")
    for item in crimes_list:
        resolve(cwd, item)  # refuse a missing path now, naming it
    values: dict[str, Any] = {
        "tz": tz,
        "crs": crs,
        "crimes_path": [_relative(p, folder) for p in crimes_list]
        if len(crimes_list) > 1
        else _relative(crimes_list[0], folder),
        "pings_paths": {},
        "boundary_path": None,
        "fences_path": None,
        "streets_path": None,
        "districts_path": None,
        "plan_path": None,
        "roster_path": None,
    }
    for key, given in (("plan_path", plan), ("fences_path", fences), ("streets_path", streets),
                       ("roster_path", roster), ("boundary_path", boundary),
                       ("districts_path", districts)):  # fmt: skip
        if given:
            resolve(cwd, given)
            values[key] = _relative(given, folder)
    for source, paths in (pings or {}).items():
        items = [paths] if isinstance(paths, str) else list(paths)
        for item in items:
            resolve(cwd, item)
        rel = [_relative(p, folder) for p in items]
        values["pings_paths"][source] = rel[0] if len(rel) == 1 else rel
    values.update(parameters or {})
    values = check_parameters(values)
    notes: dict[str, str] = {}
    said: list[str] = []

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from hspwork.programme.sources import resolve_one

        frame = hspwork.read_crimes(
            resolve_one(folder, values["crimes_path"]), tz=tz, crs=crs, warn=False
        )
    if not len(frame):
        raise HspworkError("the crimes hold no usable row; `hspwork check` says why row by row")
    span = Window.derive(
        frame["occurred_from"], tz=tz, what="the crimes", ends=frame["occurred_to"]
    )
    notes["crimes_path"] = f"read by init: {len(frame):,} crimes, {span.text}"
    if "targeting_start" not in (parameters or {}):
        notes["targeting_start"] = f"derived: the crimes' span ({span.text})"
        notes["targeting_end"] = (
            "derived: the day after the crimes' last day, or the programme start"
        )
        said.append(f"targeting window: the crimes' span, {span.text}")
    if not boundary:
        area, how = data_boundary(frame)
        path = folder / "boundary.geojson"
        area.to_file(path, driver="GeoJSON")
        values["boundary_path"] = "boundary.geojson"
        notes["boundary_path"] = f"derived by init: {how}; edit or replace it"
        said.append(f"boundary: {how} -> {path}")
    if values["pings_paths"] and "week_start" not in (parameters or {}):
        times = []
        for source, paths in values["pings_paths"].items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                read = hspwork.read_pings(
                    resolve_one(folder, paths), source=source, tz=tz, crs=crs, warn=False
                )
                times.append(read["time"])
        try:
            monday = last_whole_week(pd.concat(times), tz)
            values["week_start"] = monday.isoformat()
            notes["week_start"] = "derived by init: the last whole week of location data"
            said.append(f"week for the briefing: {monday:%-d %b %Y} (the last whole week of pings)")
        except HspworkError as error:
            said.append(f"week for the briefing: not derived ({error})")
    header = f"Written by `hspwork init` on {dt.date.today():%-d %B %Y}."
    path = write_programme(
        target, values, name=name or folder.resolve().name, notes=notes, header=header
    )
    missing = [
        PARAMETERS[k].meaning
        for k in ("pings_paths", "plan_path", "roster_path")
        if not values.get(k)
    ]
    if missing:
        said.append("not given (the chapters that need them are skipped): " + "; ".join(missing))
    return path, said

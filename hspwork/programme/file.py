"""The programme file: one commented TOML file that describes a force's programme once.

``hspwork init`` writes it; ``hspwork check`` and ``hspwork brief --config`` read it with the
standard library's :mod:`tomllib`. Its sections hold the registry's parameters
(:mod:`hspwork.programme.parameters`) under the section each belongs to, plus ``[programme]``
(a name) and ``[output]`` (where the work folder and the briefings go). Relative paths are read
from the file's own folder, so a programme folder can be moved or shared as a whole.

Examples
--------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> path = write_programme(folder / "hspwork.toml", {"crimes_path": "crimes/", "budget": 12},
...                        name="North division")
>>> programme = read_programme(path)
>>> programme.name, programme.values["budget"], programme.values["crimes_path"]
('North division', 12, 'crimes/')
>>> programme.values["data_dir"] == str(folder)
True
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hspwork.errors import HspworkError
from hspwork.programme.parameters import PARAMETERS, check_parameters
from hspwork.safe import save_atomic

__all__ = ["Programme", "read_programme", "toml_value", "write_programme"]

_SECTIONS = (
    "data", "windows", "targeting", "geofences", "tracking", "tasking", "evaluation", "output",
)  # fmt: skip
_HEADINGS = {
    "data": "Where the data are and how to read them (paths relative to this file's folder)",
    "windows": "Windows, as local dates; an end date is the day after the last day counted",
    "targeting": "Chapter 1, targeting",
    "geofences": "Chapter 2, geofences",
    "tracking": "Chapter 3, tracking",
    "tasking": "Chapter 3, planning taskings: shifts, dosage, routes and capacity",
    "evaluation": "Chapter 4, evaluation",
    "output": "Where results go (relative to this file's folder)",
}
# work_dir is a notebook parameter but sits with the outputs in the file.
_SECTION_OF = {name: p.section for name, p in PARAMETERS.items()} | {"work_dir": "output"}
_OUTPUT_ONLY = {"briefings_dir": "briefings"}
# Defaults in a programme file that differ from the notebooks' own (which run from notebooks/).
_FILE_DEFAULTS = {"work_dir": "work"}
#: The data sources a programme names (absent from a file: not given).
_SOURCES = (
    "crimes_path", "boundary_path", "fences_path", "districts_path", "streets_path", "pings_paths",
    "plan_path", "roster_path",
)  # fmt: skip


def toml_value(value: Any) -> str:
    """A value written as TOML (strings, numbers, booleans, lists, inline tables).

    Examples
    --------
    >>> toml_value('a "quoted" path\\\\x')
    '"a \\\\"quoted\\\\" path\\\\\\\\x"'
    >>> toml_value([1, 2.5, True])
    '[1, 2.5, true]'
    >>> toml_value({"Crime Ref": "crime_id"})
    '{ "Crime Ref" = "crime_id" }'
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise HspworkError(f"a programme file cannot hold {value!r}")
        return repr(value)
    if isinstance(value, str):
        # JSON's string escapes are valid TOML basic-string escapes.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {toml_value(v)}"
                          for k, v in value.items())  # fmt: skip
        return "{ " + items + " }"
    raise HspworkError(f"a programme file cannot hold {type(value).__name__} {value!r}")


def _comment(text: str) -> str:
    return "\n".join(f"# {line}".rstrip() for line in text.splitlines())


def write_programme(
    path: str | Path,
    values: Mapping[str, Any],
    *,
    name: str = "hot spots programme",
    notes: Mapping[str, str] | None = None,
    header: str = "",
) -> Path:
    """Write a commented programme file; every parameter appears with its meaning and default.

    Parameters
    ----------
    path : str or Path
        The ``.toml`` file to write (replaced atomically: a failed write keeps the old file).
    values : mapping
        Parameter values to set; the others are written with their defaults (``""`` for
        "not given").
    name : str
        The programme's name, shown on the briefings.
    notes : mapping, optional
        Parameter name -> a comment line saying how its value was found (e.g. "derived: the
        data's span").
    header : str
        Lines for the top of the file (what was read, when).

    Returns
    -------
    pathlib.Path
    """
    checked = check_parameters({k: v for k, v in values.items() if k not in _OUTPUT_ONLY})
    notes = dict(notes or {})
    path = Path(path)
    lines = [
        _comment(
            "hspwork programme file: one hot spots programme, described once.\n"
            "Check it and the data with `hspwork check --config <this file>`; run the chapters "
            "with\n`hspwork brief --config <this file>`. `hspwork params` explains every "
            'parameter.\nA value of "" is not given: the chapter derives it from the data and '
            "says so."
        ),
    ]
    if header:
        lines.append(_comment(header))
    lines += ["", "[programme]", f"name = {toml_value(name)}"]
    for section in _SECTIONS:
        lines += ["", _comment(_HEADINGS[section]), f"[{section}]"]
        tables = []
        for pname, parameter in PARAMETERS.items():
            if _SECTION_OF[pname] != section or pname == "data_dir":
                continue
            fallback = (
                ({} if pname == "pings_paths" else None) if pname in _SOURCES else parameter.default
            )
            value = checked.get(pname, _FILE_DEFAULTS.get(pname, fallback))
            # A data source has no default in a programme's own file (the notebooks' defaults
            # name the sample town's files).
            if pname in _SOURCES:
                default = ""
            else:
                default = (
                    f"; default {toml_value_or_none(_FILE_DEFAULTS.get(pname, parameter.default))}"
                )
            block = [_comment(f"{parameter.meaning}{default}")]
            if pname in notes:
                block.append(_comment(notes[pname]))
            if isinstance(value, Mapping):
                # A table goes after the section's plain keys, as TOML requires.
                tables += ["", *block, f"[{section}.{pname}]"]
                tables += [f"{toml_value(k)} = {toml_value(v)}" for k, v in value.items()]
                continue
            lines += block
            lines.append(f"{pname} = {toml_value('' if value is None else value)}")
        if section == "output":
            for key, default in _OUTPUT_ONLY.items():
                lines += [_comment("folder for the HTML briefings"),
                          f"{key} = {toml_value(values.get(key, default))}"]  # fmt: skip
        lines += tables
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # what we write must read back
    save_atomic(text, path)
    return path


def toml_value_or_none(value: Any) -> str:
    """How a default reads in a comment: ``none`` for None, else its TOML form."""
    return "none" if value is None else toml_value(value)


@dataclass
class Programme:
    """A programme file, read and checked.

    Attributes
    ----------
    path : Path
        The file.
    name : str
        The programme's name.
    values : dict
        Every parameter given in the file, checked, with ``data_dir`` and ``work_dir`` made
        absolute (relative to the file's folder).
    briefings_dir : Path
        Where ``hspwork brief --config`` writes the pages.
    """

    path: Path
    name: str
    values: dict[str, Any]
    briefings_dir: Path
    notes: list[str] = field(default_factory=list)


def read_programme(path: str | Path) -> Programme:
    """Read a programme file; unknown keys and bad values are refused with what is allowed.

    Raises
    ------
    HspworkError
        When the file is missing, is not TOML (with the line), or holds an unknown key or a
        bad value (naming the parameter, the value and what is allowed).
    """
    path = Path(path)
    if not path.is_file():
        raise HspworkError(
            f"programme file {path} not found; write one with `hspwork init DIR --crimes PATH`"
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise HspworkError(f"{path} is not a valid TOML file: {error}") from None
    except UnicodeDecodeError:
        raise HspworkError(f"{path} is not UTF-8 text; save it as UTF-8") from None
    unknown_sections = sorted(set(raw) - {"programme", *_SECTIONS})
    if unknown_sections:
        raise HspworkError(
            f"{path}: unknown section(s) {unknown_sections}; sections are "
            f"{['programme', *_SECTIONS]}"
        )
    base = path.resolve().parent
    flat: dict[str, Any] = {}
    output: dict[str, Any] = {}
    for section in _SECTIONS:
        for key, value in raw.get(section, {}).items():
            if section == "output" and key in _OUTPUT_ONLY:
                output[key] = value
                continue
            where = _SECTION_OF.get(key)
            if where is not None and where != section:
                raise HspworkError(f"{path}: {key} belongs in [{where}], not [{section}]")
            if isinstance(value, dt.date):
                value = value.isoformat()
            flat[key] = value
    try:
        values = check_parameters(flat)
    except HspworkError as error:
        raise HspworkError(f"{path}: {error}") from None
    # A data source the file does not name is not given (the notebooks' defaults name the
    # sample town's files, which a force's folder does not hold).
    for source in _SOURCES:
        values.setdefault(source, {} if source == "pings_paths" else None)
    values["data_dir"] = str((base / values.get("data_dir", ".")).resolve())
    values["work_dir"] = str((base / values.get("work_dir", "work")).resolve())
    briefings = output.get("briefings_dir", _OUTPUT_ONLY["briefings_dir"])
    if not isinstance(briefings, str) or not briefings:
        raise HspworkError(f"{path}: briefings_dir must be a folder name (text)")
    name = raw.get("programme", {}).get("name", path.stem)
    return Programme(path, str(name), values, (base / briefings).resolve())

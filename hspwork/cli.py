"""The ``hspwork`` command: ``init``, ``check``, ``params`` and ``brief``.

A force describes its programme once and runs the chapters its data allow::

    hspwork init north --crimes exports/police_uk/ --pings app=exports/app/*.csv \\
        --plan exports/plan.csv --roster exports/roster.csv
    hspwork check --config north/hspwork.toml
    hspwork brief --config north/hspwork.toml

Without ``--config``, ``hspwork brief`` runs the sample town (its programme file is
``data/sample/hspwork.toml``); ``--data``/``--param`` still work as before::

    hspwork brief --out build
    hspwork brief --data /force/exports --work /force/work --param cell_size_m=100
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hspwork.errors import HspworkError

__all__ = ["build_parser", "main", "params_text", "parse_param"]


def parse_param(text: str) -> tuple[str, Any]:
    """Read one ``--param NAME=VALUE``; the value is JSON when it parses, else a string.

    Examples
    --------
    >>> parse_param("cell_size_m=150")
    ('cell_size_m', 150)
    >>> parse_param("targeting_start=2024-01-01")
    ('targeting_start', '2024-01-01')
    >>> parse_param("fdr=null")
    ('fdr', None)
    """
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise HspworkError(f"--param expects NAME=VALUE with a Python name; got {text!r}")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def params_text(width: int = 100) -> str:
    """Every chapter parameter with its meaning, default and chapters (``hspwork params``).

    Examples
    --------
    >>> "budget" in params_text() and "places the officers can cover" in params_text()
    True
    """
    from hspwork.programme.file import toml_value_or_none
    from hspwork.programme.parameters import PARAMETERS

    lines = []
    section = None
    for p in PARAMETERS.values():
        if p.section != section:
            section = p.section
            lines += ["", f"[{section}]"]
        chapters = ", ".join(c[:2] for c in p.chapters)
        lines.append(f"  {p.name} (chapters {chapters}; default {toml_value_or_none(p.default)})")
        lines += textwrap.wrap(
            f"{p.meaning}. Allowed: {p.allowed}.", width, initial_indent="      ",
            subsequent_indent="      ",
        )  # fmt: skip
    return "\n".join(lines).lstrip("\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hspwork`` command."""
    from hspwork.briefing import NOTEBOOKS

    parser = argparse.ArgumentParser(
        prog="hspwork",
        description="Hot spots policing workbench for crime analysts.",
        epilog="A force's own data: hspwork init DIR --crimes PATH; hspwork check --config "
        "DIR/hspwork.toml; hspwork brief --config DIR/hspwork.toml.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser(
        "init",
        help="write a programme file (hspwork.toml) from a force's data",
        description=(
            "Write DIR/hspwork.toml, a commented programme file naming each source, the time "
            "zone, the CRS, the windows and every chapter parameter. What is not given is "
            "derived from the data and said so in the file (the window is the data's span, the "
            "boundary the area the crimes cover)."
        ),
    )
    init.add_argument("dir", help="the programme folder (made if missing)")
    init.add_argument("--crimes", nargs="+", required=True, metavar="PATH",
                      help="recorded crime: a file, a folder (police.uk archive), a glob or several")  # fmt: skip
    init.add_argument("--pings", action="append", default=[], metavar="[SOURCE=]PATH",
                      help="officer locations, e.g. app=exports/app/*.csv (repeatable; sources: "
                      "app, radio, vehicle, handheld)")  # fmt: skip
    init.add_argument("--plan", help="the tasking plan (CSV)")
    init.add_argument("--fences", help="the programme's fences (GeoJSON, GeoPackage, KML, CSV)")
    init.add_argument("--boundary", help="the force or study area (polygons)")
    init.add_argument("--streets", help="street centrelines (lines)")
    init.add_argument("--districts", help="districts, beats or wards (polygons with a name)")
    init.add_argument("--roster", help="team roster (CSV with columns officer, team)")
    init.add_argument("--name", help="the programme's name (default: the folder's name)")
    init.add_argument("--tz", default="Europe/London", help="local clock (Europe/London)")
    init.add_argument("--crs", default="EPSG:27700", help="CRS of easting/northing (EPSG:27700)")
    init.add_argument("--force", action="store_true", help="replace an existing hspwork.toml")

    check = commands.add_parser(
        "check",
        help="read the programme file and its data; say what can run",
        description="Validate the programme file and read every source in seconds, before any "
        "notebook runs: counts per source, parameters checked, the chapters that can run.",
    )
    check.add_argument("--config", required=True, help="the programme file (hspwork.toml)")

    commands.add_parser(
        "params",
        help="list every chapter parameter with its meaning and default",
        description="Every parameter the chapters take, as in the programme file.",
    )

    brief = commands.add_parser(
        "brief",
        help="run the chapters and write the HTML briefings",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Run the workbench notebooks (targeting, geofences, tracking, evaluation) in order "
            "and export each to HTML, plus a one-page weekly performance briefing.\n\n"
            "Parameters (--param NAME=VALUE):\n" + textwrap.indent(params_text(96), "  ")
        ),
    )
    brief.add_argument("--config", default=None,
                       help="a programme file; the chapters its data allow are run")  # fmt: skip
    brief.add_argument("--out", default=None,
                       help="folder for the HTML pages (build; with --config the file's briefings_dir)")  # fmt: skip
    brief.add_argument(
        "--data",
        default=None,
        help="folder with crimes and pings (default: the sample town, generated if missing)",
    )
    brief.add_argument(
        "--work", default=None, help="work folder passed between notebooks (OUT/work)"
    )
    brief.add_argument(
        "--notebooks", default=None, help="folder holding the notebooks (the shipped ones)"
    )
    brief.add_argument(
        "--only",
        nargs="+",
        choices=NOTEBOOKS,
        default=None,
        help="run only these notebooks (the work folder must hold the earlier outputs)",
    )
    brief.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="a chapter parameter, e.g. cell_size_m=150 (repeatable; see above)")  # fmt: skip
    brief.add_argument("--target-compliance", type=float, default=None,
                       help="share of planned patrol minutes to deliver, e.g. 0.9")  # fmt: skip
    brief.add_argument("--show-code", action="store_true", help="include code in the pages")
    brief.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _init(args: argparse.Namespace) -> int:
    from hspwork.programme import init_programme, parse_ping_spec

    pings: dict[str, list[str]] = {}
    for spec in args.pings:
        source, path = parse_ping_spec(spec)
        pings.setdefault(source, []).append(path)
    path, said = init_programme(
        args.dir,
        crimes=args.crimes,
        pings={k: v[0] if len(v) == 1 else v for k, v in pings.items()},
        plan=args.plan,
        fences=args.fences,
        boundary=args.boundary,
        streets=args.streets,
        districts=args.districts,
        roster=args.roster,
        name=args.name,
        tz=args.tz,
        crs=args.crs,
        overwrite=args.force,
    )
    print(f"wrote {path.resolve()}")
    for line in said:
        print(f"  {line}")
    print(f"next: hspwork check --config {path}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from hspwork.programme import check_programme, read_programme

    programme = read_programme(args.config)
    result = check_programme(programme.values)
    print(f"programme {programme.name!r} ({programme.path})")
    print(result.summary())
    if result.problems:
        return 1
    runnable = result.runnable
    print(f"next: hspwork brief --config {programme.path}" if runnable else "nothing can run yet")
    return 0


def _brief(args: argparse.Namespace) -> int:
    from hspwork.briefing import run_brief
    from hspwork.programme import check_programme, read_programme

    parameters = dict(parse_param(p) for p in args.param)
    if args.target_compliance is not None:
        parameters["target_compliance"] = args.target_compliance
    config = args.config
    sample = config is None and args.data is None
    if sample:
        config = _sample_programme()
    elif config is None and (Path(args.data) / "hspwork.toml").is_file():
        config = Path(args.data) / "hspwork.toml"  # a data folder with its programme file
    skipped: dict[str, str] = {}
    names = args.only
    if config is not None:
        programme = read_programme(config)
        values = {**programme.values, **parameters}
        result = check_programme(values)
        if result.problems:
            print(result.summary(), file=sys.stderr)
            raise HspworkError(
                f"{programme.path}: the data or parameters need fixing first (listed above)"
            )
        skipped = {c: s.needs for c, s in result.chapters.items() if not s.runnable}
        if names is None:
            names = result.runnable
        data_dir = values.pop("data_dir")
        work_dir = args.work or (None if sample else values.get("work_dir"))
        values.pop("work_dir", None)
        out_dir = args.out or ("build" if sample else str(programme.briefings_dir))
        parameters = values
    else:
        data_dir, work_dir, out_dir = args.data, args.work, args.out or "build"
    result = run_brief(
        data_dir=data_dir,
        out_dir=out_dir,
        work_dir=work_dir,
        parameters=parameters,
        notebooks=names,
        notebook_dir=args.notebooks,
        target_compliance=args.target_compliance,
        show_code=args.show_code,
        progress=not args.quiet,
        skipped=skipped,
        programme_file=config is None,
    )
    print(result.summary())
    return 0


def _sample_programme() -> Path:
    """The sample town's programme file, the town generated first when missing."""
    from hspwork.briefing.run import default_sample_dir

    folder = default_sample_dir()
    path = folder / "hspwork.toml"
    if not path.is_file():
        from hspwork.sample import make_sample_city

        make_sample_city(folder)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hspwork`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "init":
            return _init(args)
        if args.command == "check":
            return _check(args)
        if args.command == "params":
            print(params_text())
            return 0
        return _brief(args)
    except HspworkError as error:
        print(f"hspwork {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

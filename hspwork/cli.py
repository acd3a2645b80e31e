"""The ``hspwork`` command.

``hspwork brief`` runs the four workbench notebooks in order on a data folder (the sample city
by default) and writes one HTML page per notebook plus the weekly performance briefing::

    hspwork brief --out build
    hspwork brief --data /force/exports --work /force/work --param cell_size_m=100 \\
        --param budget=20 --target-compliance 0.9
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from hspwork.errors import HspworkError

__all__ = ["build_parser", "main", "parse_param"]


def parse_param(text: str) -> tuple[str, Any]:
    """Read one ``--param NAME=VALUE``; the value is JSON when it parses, else a string.

    Examples
    --------
    >>> parse_param("cell_size_m=150")
    ('cell_size_m', 150)
    >>> parse_param("start=2024-01-01")
    ('start', '2024-01-01')
    >>> parse_param("gistar_fdr=true")
    ('gistar_fdr', True)
    """
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise HspworkError(f"--param expects NAME=VALUE with a Python name; got {text!r}")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hspwork`` command."""
    from hspwork.briefing import NOTEBOOKS

    parser = argparse.ArgumentParser(
        prog="hspwork", description="Hot spots policing workbench for crime analysts."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    brief = commands.add_parser(
        "brief",
        help="run the four notebooks and write the HTML briefings",
        description=(
            "Run the workbench notebooks (targeting, geofences, tracking, evaluation) in order "
            "and export each to HTML, plus a one-page weekly performance briefing."
        ),
    )
    brief.add_argument("--out", default="build", help="folder for the HTML pages (build)")
    brief.add_argument(
        "--data",
        default=None,
        help="folder with crimes and pings (default data/sample, generated there if missing)",
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
        help=(
            "run only these notebooks (the work folder must hold the earlier outputs); a force "
            "without a programme yet runs 01_targeting 02_geofences"
        ),
    )
    brief.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a notebook parameter, e.g. cell_size_m=150 (repeatable)",
    )
    brief.add_argument(
        "--target-compliance",
        type=float,
        default=None,
        help="share of planned patrol minutes to deliver, e.g. 0.9",
    )
    brief.add_argument("--show-code", action="store_true", help="include code in the pages")
    brief.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hspwork`` command; returns the exit status."""
    from hspwork.briefing import run_brief

    args = build_parser().parse_args(argv)
    try:
        parameters = dict(parse_param(p) for p in args.param)
        if args.target_compliance is not None:
            parameters["target_compliance"] = args.target_compliance
        result = run_brief(
            data_dir=args.data or "data/sample",
            out_dir=args.out,
            work_dir=args.work,
            parameters=parameters,
            notebooks=args.only,
            notebook_dir=args.notebooks,
            target_compliance=args.target_compliance,
            show_code=args.show_code,
            progress=not args.quiet,
            make_sample=args.data is None,
        )
    except HspworkError as error:
        print(f"hspwork brief: {error}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

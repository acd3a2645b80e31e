"""``python -m hspwork.sample --out data/sample [--seed N] [--variant staggered] [--archive DIR]``:
write the sample (or its roll-out variant).

``--archive DIR`` also writes the sample's crimes as a police.uk archive folder (two downloads
unpacked side by side, one month in both, an outcomes file beside each month; see
:mod:`hspwork.sample.archive`). Without ``--out`` it writes only the archive, from
``--source`` (default ``data/sample/crimes_police_uk.csv``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hspwork.errors import HspworkError
from hspwork.sample.archive import write_police_uk_archive
from hspwork.sample.city import DEFAULT_SEED, make_sample_city


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, generate the city and print its summary."""
    parser = argparse.ArgumentParser(
        prog="python -m hspwork.sample",
        description="Generate the hspwork sample city (deterministic from the seed).",
    )
    parser.add_argument("--out", help="folder to write the city to, e.g. data/sample")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"default {DEFAULT_SEED}")
    parser.add_argument(
        "--variant",
        choices=("trial", "staggered"),
        default="trial",
        help="trial: the block-randomised sample (default); staggered: the roll-out variant, "
        "treatment spots starting in three waves (hspwork.sample.staggered)",
    )
    parser.add_argument(
        "--archive",
        metavar="DIR",
        help="also write the crimes as a police.uk archive folder: monthly "
        "YYYY-MM/YYYY-MM-sampleton-street.csv files in two downloads that share one month, "
        "with an outcomes file beside each",
    )
    parser.add_argument(
        "--source",
        help="with --archive and no --out: the police.uk CSV to write the archive from "
        "(default data/sample/crimes_police_uk.csv)",
    )
    parser.add_argument("--twice", help="with --archive: the month in both downloads (YYYY-MM)")
    args = parser.parse_args(argv)
    if args.out is None and args.archive is None:
        parser.error("give --out (the city) or --archive (the police.uk archive), or both")
    t0 = time.perf_counter()
    if args.out is not None:
        if args.variant == "staggered":
            from hspwork.sample.staggered import make_staggered_city

            summary = make_staggered_city(args.out, seed=args.seed)
        else:
            summary = make_sample_city(args.out, seed=args.seed)
        print(summary.summary())
    if args.archive is not None:
        if args.out is not None:
            source = Path(args.out) / "crimes_police_uk.csv"
        else:
            source = Path(args.source or "data/sample/crimes_police_uk.csv")
        try:
            archive = write_police_uk_archive(args.archive, source, twice=args.twice)
        except HspworkError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(archive.summary())
    print(f"  generated in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

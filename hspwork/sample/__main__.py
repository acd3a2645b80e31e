"""``python -m hspwork.sample --out data/sample [--seed N] [--variant staggered]``: write the
sample city (or its roll-out variant)."""

from __future__ import annotations

import argparse
import sys
import time

from hspwork.sample.city import DEFAULT_SEED, make_sample_city


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, generate the city and print its summary."""
    parser = argparse.ArgumentParser(
        prog="python -m hspwork.sample",
        description="Generate the hspwork sample city (deterministic from the seed).",
    )
    parser.add_argument("--out", required=True, help="folder to write, e.g. data/sample")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"default {DEFAULT_SEED}")
    parser.add_argument(
        "--variant",
        choices=("trial", "staggered"),
        default="trial",
        help="trial: the block-randomised sample (default); staggered: the roll-out variant, "
        "treatment spots starting in three waves (hspwork.sample.staggered)",
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    if args.variant == "staggered":
        from hspwork.sample.staggered import make_staggered_city

        summary = make_staggered_city(args.out, seed=args.seed)
    else:
        summary = make_sample_city(args.out, seed=args.seed)
    print(summary.summary())
    print(f"  generated in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

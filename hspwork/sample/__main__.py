"""``python -m hspwork.sample --out data/sample [--seed N]``: write the sample city."""

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
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    summary = make_sample_city(args.out, seed=args.seed)
    print(summary.summary())
    print(f"  generated in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

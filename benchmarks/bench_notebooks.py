"""The whole workbench on the sample city: four notebooks, HTML export and the weekly page.

Run ``python -m benchmarks.bench_notebooks`` (or ``python -m benchmarks notebooks``). The target
is at most 3 minutes for ``hspwork brief`` on the sample city on a 2-core machine, kernel
start-up, execution and HTML export included. Prints one row per notebook and the total.

``--data`` points at another data folder; ``--keep DIR`` keeps the pages for inspection.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hspwork.briefing import run_brief

TARGET_S = 180.0
ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", default=str(ROOT / "data" / "sample"))
    ap.add_argument("--keep", default=None, help="write the pages here instead of a temp folder")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(args.keep) if args.keep else Path(scratch)
        started = time.perf_counter()
        result = run_brief(
            args.data, out, progress=False, make_sample=args.data == str(ROOT / "data" / "sample")
        )
        total = time.perf_counter() - started

    print(f"{'step':<28}{'seconds':>10}")
    for run in result.notebooks:
        print(f"{run.name + ' (run + export)':<28}{run.seconds:>10.1f}")
    rest = total - sum(run.seconds for run in result.notebooks)
    print(f"{'weekly page and checks':<28}{rest:>10.1f}")
    verdict = "ok" if total <= TARGET_S else "MISSED"
    print(f"{'total':<28}{total:>10.1f}   target <= {TARGET_S:.0f} s: {verdict}")
    return 0 if total <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())

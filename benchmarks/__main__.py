"""Run every benchmark in turn: ``python -m benchmarks`` (or ``make bench``).

Each ``bench_*.py`` module has a ``main(argv)`` that prints its own side-by-side table of
hspwork against the tool an analyst would otherwise use. ``python -m benchmarks tracking``
runs one. Timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import benchmarks


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names = sorted(
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")
    )
    wanted = [n for n in names if not argv or n.removeprefix("bench_") in argv or n in argv]
    status = 0
    for name in wanted:
        print(f"\n=== {name} ===", flush=True)
        start = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        status |= int(module.main([]) or 0)
        print(f"({name} took {time.perf_counter() - start:.0f} s)", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())

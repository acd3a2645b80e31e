"""Shared test set-up: figures render off-screen; the repository root is importable."""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are drawn to files, never to a screen

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
os.environ.setdefault("HSPWORK_PSEUDONYM_KEY", "hspwork-test-suite-key")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

"""The generator is deterministic: same seed, same bytes; another seed, other data.

A reduced city (fewer crimes, a 60-day trial) keeps these tests quick; the committed
full-size city is compared with a fresh regeneration in test_sample_committed.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hspwork.sample import FILES, load_truth, make_sample_city

# Regenerates the whole sample town (several seconds each): full suite only.
pytestmark = pytest.mark.slow

SMALL = {"crimes_per_year": 1500, "trial_days": 60}


def _hashes(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES}


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    out = {}
    for label, seed in (("a", 11), ("b", 11), ("c", 12)):
        folder = tmp_path_factory.mktemp(f"city_{label}")
        make_sample_city(folder, seed=seed, **SMALL)
        out[label] = folder
    return out


def test_sample_same_seed_gives_identical_bytes(three_runs):
    ha, hb = _hashes(three_runs["a"]), _hashes(three_runs["b"])
    assert sorted(ha) == sorted(FILES)
    assert ha == hb


def test_sample_other_seed_gives_other_data(three_runs):
    ha, hc = _hashes(three_runs["a"]), _hashes(three_runs["c"])
    for name in ("crimes_force.csv", "streets.geojson", "hotspots.geojson", "pings_app.parquet",
                 "pings_radio.parquet", "truth_visits.csv", "ground_truth.json"):  # fmt: skip
        assert ha[name] != hc[name], name
    # the README is the same text whatever the seed
    assert ha["README.md"] == hc["README.md"]
    assert load_truth(three_runs["c"])["seed"] == 12


def test_sample_trial_days_out_of_range_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"trial_days must be between 56 and 90.*got 30"):
        make_sample_city(tmp_path, seed=1, trial_days=30)


def test_sample_load_truth_missing_file_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"python -m hspwork.sample --out"):
        load_truth(tmp_path)

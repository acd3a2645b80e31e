"""Chapter 4 end to end on the two designs the sample trial is not: a roll-out and a chosen set.

(b) The staggered sample variant, briefed from its own folder (its ``hspwork.toml`` is used):
chapter 4 finds a roll-out and runs the imputation estimator. (c) A force with only its crimes:
``hspwork init``, the programme's start set in the file, and chapter 1's selection becomes the
fences (all patrolled), so chapter 4 evaluates a chosen set against matched comparison places.
Each test runs ``hspwork brief`` once, as an analyst would, and looks at the page in Chromium.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from hspwork.briefing import check_html, notebook_errors
from hspwork.cli import main
from hspwork.programme import read_programme

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
ARTIFACTS = ROOT / "test-artifacts" / "workbench"


def _cli(*argv) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    assert code == 0, out.getvalue() + err.getvalue()


def _page_text(path: Path) -> str:
    """The page's text with tags dropped and entities undone (what a reader sees)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


def _no_error_output(out_dir: Path) -> None:
    executed = nbformat.read(str(out_dir / "executed" / "04_evaluation.ipynb"), as_version=4)
    assert notebook_errors(executed) == []
    # nothing on stderr either: a warning printed on the page reads as a fault
    stderr = [
        "".join(o.get("text", ""))
        for c in executed.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]
    assert stderr == []
    page = out_dir / "04_evaluation.html"
    assert check_html(page) == []
    text = page.read_text(encoding="utf-8")
    assert "Traceback" not in text and not re.search(r"\b\w+Error: ", text)
    # numbers for people: no scientific notation, no True/False cells
    seen = _page_text(page)
    assert not re.search(r"\d\.?\d*e[-+]\d\d", seen)
    assert not re.search(r">\s*(True|False)\s*<", text)


def _effect_shown(page_text: str, effects: pd.DataFrame) -> None:
    head = effects.dropna(subset=["irr"]).iloc[0]
    assert head["ci_low"] <= head["irr"] <= head["ci_high"]
    irr = f"IRR {head['irr']:.2f}, 95% interval {head['ci_low']:.2f} to {head['ci_high']:.2f}"
    assert irr in " ".join(page_text.split())
    assert f"In plain words ({head['method']})" in page_text


@pytest.fixture(scope="module")
def rollout(tmp_path_factory):
    """The staggered variant, briefed from its folder with ``hspwork brief --data``."""
    from hspwork.sample.staggered import make_staggered_city

    data = tmp_path_factory.mktemp("stag")
    with contextlib.redirect_stdout(io.StringIO()):
        make_staggered_city(data)
    out = tmp_path_factory.mktemp("stagb")
    _cli("brief", "--data", data, "--out", out, "--quiet")
    return data, out


def test_a_rollout_is_evaluated_as_one(rollout):
    data, out = rollout
    truth = json.loads((data / "ground_truth.json").read_text())
    # the folder's own programme file is used, and it starts with the first wave
    programme = read_programme(data / "hspwork.toml").values
    first_wave = min(w["start_local"] for w in truth["rollout"]["waves"])
    assert programme["programme_start"] == first_wave == "2025-09-01"
    work = data / "work" / "04_evaluation"
    design = json.loads((work / "design.json").read_text())
    assert design["design"] == "staggered" and design["found"] == "staggered"
    assert [w["start"] for w in design["waves"]] == ["2025-09-01", "2025-09-29", "2025-10-27"]
    text = _page_text(out / "04_evaluation.html")
    flat = " ".join(text.split())
    assert "Design found: a staggered roll-out." in flat
    assert "they began in 3 waves (7, 7, 6 places) between 1 Sep 2025 and 27 Oct 2025" in flat
    assert "Skipped: the places were not assigned by a random draw" in flat
    assert "No RIRR for a roll-out" in flat
    effects = pd.read_csv(work / "effects.csv")
    head = effects.iloc[0]
    assert head["method"].startswith("imputation for roll-outs")
    assert not effects["method"].str.startswith(("randomisation", "RIRR")).any()
    # the planted effect, realised from each spot's own start, lies inside the interval
    e = truth["effect"]
    assert head["ci_low"] < e["treated_observed"] / e["treated_counterfactual"] < head["ci_high"]
    _effect_shown(text, effects)
    staggered = pd.read_csv(work / "staggered.csv")
    assert {"crimes", "harm"} == set(staggered["outcome"])
    assert (work / "deterrence.csv").is_file() and (work / "cost.csv").is_file()
    assert not (work / "matches.csv").exists()
    # the weekly page still reads chapter 4's files: its estimates table leads with the roll-out's
    weekly = " ".join(_page_text(out / "weekly_briefing.html").split())
    estimates = weekly.split("Effect estimates (chapter 4)")[1]
    assert estimates.split(" crimes ", 1)[1].startswith("imputation for roll-outs")
    _no_error_output(out)


@pytest.mark.browser
def test_the_rollout_page_renders_offline(rollout, open_page):
    seen = open_page(rollout[1] / "04_evaluation.html", ARTIFACTS / "04_evaluation_staggered.png")
    assert seen["images"] == 2 and seen["broken_images"] == 0  # event-time plot, visit curve
    assert seen["min_image_width"] > 100
    assert seen["page_errors"] == [] and seen["blocked"] == []


@pytest.fixture(scope="module")
def chosen_set(tmp_path_factory):
    """A force with only its crimes: ``hspwork init``, a start date, ``hspwork brief``."""
    root = tmp_path_factory.mktemp("force")
    (root / "exports").mkdir()
    shutil.copy(SAMPLE / "crimes_force.csv", root / "exports" / "crimes.csv")
    with contextlib.chdir(root):
        _cli("init", "south", "--crimes", "exports/crimes.csv")
    toml = root / "south" / "hspwork.toml"
    text = toml.read_text()
    assert 'programme_start = ""' in text
    toml.write_text(text.replace('programme_start = ""', 'programme_start = "2025-09-01"'))
    _cli("brief", "--config", toml, "--quiet")
    return root / "south"


def test_a_crime_only_programme_is_evaluated_as_a_chosen_set(chosen_set):
    out, work = chosen_set / "briefings", chosen_set / "work"
    index = _page_text(out / "index.html")
    assert "3. Tracking: did patrols reach the hot spots?" in index and "not run" in index
    assert (out / "04_evaluation.html").is_file()
    fences = json.loads((work / "02_geofences" / "fences.geojson").read_text())
    assert {f["properties"]["role"] for f in fences["features"]} == {"treatment"}
    design = json.loads((work / "04_evaluation" / "design.json").read_text())
    assert design["design"] == "matched" and design["waves"] == []
    text = _page_text(out / "04_evaluation.html")
    flat = " ".join(text.split())
    assert (
        "Design found: a chosen set of places, evaluated against matched comparison places." in flat
    )
    assert "Why not simply compare before and after?" in flat  # regression to the mean, said
    assert "chosen places matched to" in flat and "Before and after alone:" in flat
    assert "No patrol times: chapter 3 (tracking) has not run" in flat
    effects = pd.read_csv(work / "04_evaluation" / "effects.csv")
    assert effects.iloc[0]["method"].startswith("negbin GLM on matched places")
    assert effects.iloc[0]["interval"] == "cr2"
    _effect_shown(text, effects)
    matches = pd.read_csv(work / "04_evaluation" / "matches.csv")
    assert len(matches) == design["places"]["comparison"] > 0
    balance = pd.read_csv(work / "04_evaluation" / "match_balance.csv")
    # matching brings the groups far closer than the pool was on the measure that differed most
    assert balance["std_diff_after"].abs().max() < balance["std_diff_before"].abs().max() / 2
    assert not (work / "04_evaluation" / "deterrence.csv").exists()
    assert not (work / "04_evaluation" / "cost.csv").exists()
    outcomes = pd.read_csv(work / "04_evaluation" / "outcomes.csv")
    assert list(outcomes.columns[:3]) == ["group", "period", "crimes"]
    _no_error_output(out)


@pytest.mark.browser
def test_the_chosen_set_page_renders_offline(chosen_set, open_page):
    page = chosen_set / "briefings" / "04_evaluation.html"
    seen = open_page(page, ARTIFACTS / "04_evaluation_matched.png")
    assert seen["images"] == 1 and seen["broken_images"] == 0  # the event study
    assert seen["min_image_width"] > 100
    assert seen["page_errors"] == [] and seen["blocked"] == []

"""The four notebooks on the sample city, end to end: executed, exported, read in Chromium.

One run of ``run_brief`` is shared by the tests of this module (it takes a minute or two), so
they are grouped on one xdist worker.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest

from hspwork.briefing import NOTEBOOKS, find_identifiers, officer_identifiers, run_brief

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("workbench")]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "workbench"
# Static figures each page must show (every interactive map has one beside it).
FIGURES = {
    "01_targeting": 6,
    "02_geofences": 1,
    "03_tracking": 6,
    "04_evaluation": 2,  # the event study and the visit-length curve
    "weekly_briefing": 3,
}


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory) -> Path:
    committed = ROOT / "data" / "sample"
    if (committed / "pings_app.parquet").is_file():
        return committed
    from hspwork.sample import make_sample_city

    folder = tmp_path_factory.mktemp("sample")
    make_sample_city(folder)
    return folder


@pytest.fixture(scope="module")
def brief(sample_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("brief")
    # check=True: any error output or raw collar number fails the run itself.
    return run_brief(sample_dir, out, progress=False, check=True)


def test_all_four_notebooks_ran_and_exported(brief):
    assert [run.name for run in brief.notebooks] == list(NOTEBOOKS)
    for run in brief.notebooks:
        assert run.executed.is_file() and run.html.is_file()
        assert run.problems == []
    assert brief.problems == []


def test_notebooks_wrote_their_work_files(brief):
    work = brief.work_dir
    for name in ("units.parquet", "hotspots.geojson", "selection.geojson", "selection.csv"):
        assert (work / "01_targeting" / name).is_file(), name
    selection = pd.read_csv(work / "01_targeting" / "selection.csv")
    assert len(selection) == 20 and selection["choice"].tolist() == list(range(1, 21))
    assert selection["place_id"].is_unique
    for name in ("fences.geojson", "fences.parquet", "catchments.geojson", "findings.csv"):
        assert (work / "02_geofences" / name).is_file(), name
    for name in ("visits.csv", "dosage.csv", "compliance.csv", "exceptions.csv", "quality.csv"):
        assert (work / "03_tracking" / name).is_file(), name
    for name in ("outcomes.csv", "effects.csv", "displacement.csv", "cost.csv", "panel.csv"):
        assert (work / "04_evaluation" / name).is_file(), name
    assert brief.weekly is not None and brief.weekly.is_file()
    index = (brief.out_dir / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{page.name}"' in index for page in brief.pages)


def test_tracking_tables_are_consistent(brief):
    tracking = brief.work_dir / "03_tracking"
    compliance = pd.read_csv(tracking / "compliance.csv")
    # The sample plan: 3 visits of 15 minutes a day at each of 20 patrolled places; a week
    # therefore plans 20 x 7 x 3 = 420 visits and 6,300 minutes.
    assert compliance["planned"].sum() == 420
    assert compliance["planned_minutes"].sum() == 6300
    assert (compliance["delivered_minutes"] <= compliance["planned_minutes"] + 1e-9).all()
    assert (compliance["done"] + compliance["partly"] + compliance["not_done"]).equals(
        compliance["planned"]
    )
    # Exceptions are exactly that week's taskings not done or partly done.
    exceptions = pd.read_csv(tracking / "exceptions.csv")
    assert len(exceptions) == compliance["planned"].sum() - compliance["done"].sum()
    assert exceptions["tasking_id"].is_unique
    matched = pd.read_csv(tracking / "matched_plan.csv")
    assert len(matched) == 5400  # every planned visit of the programme, matched or not
    for frame in (matched, exceptions, pd.read_csv(tracking / "visits.csv")):
        for column in ("officer", "delivered_by"):
            if column in frame.columns:
                assert frame[column].dropna().str.match(r"^OFF-[0-9a-f]{8}$").all(), column


def test_evaluation_recovers_the_planted_effect(brief, sample_dir):
    import json

    truth = json.loads((sample_dir / "ground_truth.json").read_text())["effect"]
    effects = pd.read_csv(brief.work_dir / "04_evaluation" / "effects.csv")
    model = effects.iloc[0]
    # The sample town plants an IRR of 0.8 in treated places; the estimate's interval covers it.
    assert model["ci_low"] <= truth["irr_treated"] <= model["ci_high"]
    assert model["irr"] < 1
    # a randomised trial, read as one: small-cluster intervals and a randomisation test
    assert model["interval"] == "cr2"
    assert effects["method"].str.startswith("randomisation inference (block)").any()
    design = json.loads((brief.work_dir / "04_evaluation" / "design.json").read_text())
    assert design["design"] == "randomised" and design["found"] == "randomised"


def test_no_collar_number_in_any_page_or_work_file(brief, sample_dir):
    collars = officer_identifiers(sample_dir)
    assert len(collars) >= 12  # the sample city's app and radio officers
    texts = {page.name: page.read_text(encoding="utf-8") for page in brief.pages}
    for path in brief.work_dir.rglob("*"):
        if path.suffix in (".csv", ".geojson", ".json"):
            texts[str(path.relative_to(brief.work_dir))] = path.read_text(encoding="utf-8")
    leaks = {name: sorted(find_identifiers(text, collars)) for name, text in texts.items()}
    assert {k: v for k, v in leaks.items() if v} == {}


def test_weekly_page_states_outcome_windows_and_changes(brief):
    import json

    evaluation = brief.work_dir / "04_evaluation"
    meta = json.loads((evaluation / "briefing.json").read_text())
    text = html.unescape((brief.out_dir / "weekly_briefing.html").read_text(encoding="utf-8"))
    # The windows behind "before" and "after" are dated on the page (the programme's 90 days,
    # not the week) and the raw change is restated from outcomes.csv, worked out here.
    assert f"before: {meta['periods']['before']}; after: {meta['periods']['after']}" in text
    crimes = pd.read_csv(evaluation / "outcomes.csv").set_index(["group", "period"])["crimes"]
    t0, t1 = crimes["treatment", "before"], crimes["treatment", "after"]
    change = f"{t1 / t0 - 1:+.0%}".replace("-", "\u2212")
    assert f"Crimes in treated places went from {t0:,} to {t1:,} ({change})" in text
    for caution in meta["cautions"]:
        assert caution in text
    # The sample plants beat B3's app positions 200 m off: chapter 3 must flag its hot spots
    # on the weekly page rather than let their taskings read as missed patrols.
    tracking = json.loads((brief.work_dir / "03_tracking" / "briefing.json").read_text())
    assert tracking["exception_notes"]
    for note in tracking["exception_notes"]:
        assert note in text


def test_weekly_page_first_screen_speaks_to_the_meeting(brief):
    import json

    from hspwork.briefing.weekly.assemble import fences_named

    page = (brief.out_dir / "weekly_briefing.html").read_text(encoding="utf-8")
    # The first screen: everything before the detail, as the reader sees it.
    first = re.sub(r"<[^>]+>", " ", page.split('<section class="detail"')[0])
    first = re.sub(r"\s+", " ", html.unescape(first))
    for heading in ("1. Patrols against target, this week (20 to 26 Oct 2025)",
                    "2. What was missed this week (20 to 26 Oct 2025), and why",
                    "3. Crime and harm: treated against control places", "4. What to do next"):  # fmt: skip
        assert heading in first, heading
    for word in ("GLM", "negbin", "quasi-Poisson", "standardised difference", "p = ", "IRR"):
        assert word not in first, word
    # The hot spots chapter 3 flags for location faults are named as faults, and to be tested.
    tracking = json.loads((brief.work_dir / "03_tracking" / "briefing.json").read_text())
    compliance = pd.read_csv(brief.work_dir / "03_tracking" / "compliance.csv")
    for fence in fences_named(tracking["exception_notes"], compliance["fence_id"].tolist()):
        assert fence in first.split("suspected location-data faults at")[1].split(".")[0]
        assert fence in first.split("Test the location data on the ground at")[1]


@pytest.mark.browser
def test_weekly_page_prints_on_a4(brief, print_a4):
    printed = print_a4(brief.out_dir / "weekly_briefing.html", "weekly_briefing_a4")
    assert printed["overflow"] == [], printed["overflow"]
    assert printed["figures"] == FIGURES["weekly_briefing"]
    assert min(printed["figure_fonts_pt"]) >= 8 - 1e-3
    if printed["page_texts"] is not None:
        # The four answers fit on the first sheet; the analyst notes come after.
        assert "What to do next" in printed["page_texts"][0]
        assert "Analyst notes" not in printed["page_texts"][0]


def test_interactive_maps_are_left_out_and_said_so(brief):
    # The fence editor (02), the map of chosen places and the 3D map (01) need JupyterLab's widget
    # manager, which a page could only fetch from a CDN: the pages leave them out and say so, and
    # the static maps carry the content.
    for name in ("01_targeting", "02_geofences"):
        text = (brief.out_dir / f"{name}.html").read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget-state+json" not in text, name
        assert "application/vnd.jupyter.widget-view+json" not in text, name
        assert "An interactive map stands here in JupyterLab" in text, name
    for page in brief.pages:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=", text), page.name


def test_pages_show_no_error_output(brief):
    for page in brief.pages:
        text = page.read_text(encoding="utf-8")
        assert "Traceback" not in text, page.name
        assert not re.search(r"\b\w+Error: ", text), page.name


@pytest.mark.browser
def test_pages_render_their_figures_offline(brief, open_page):
    for page in brief.pages:
        seen = open_page(page, ARTIFACTS / f"{page.stem}.png")
        assert seen["images"] == FIGURES[page.stem], page.name
        assert seen["broken_images"] == 0, page.name
        assert seen["min_image_width"] > 100, page.name
        assert seen["page_errors"] == [], page.name
        # Nothing at all is asked of the network: no script library, tile or data.
        assert seen["blocked"] == [], (page.name, seen["blocked"])
        # Numbers for people, as the browser shows them: no NaN, no scientific notation, no
        # raw True/False cells, no error output.
        text = seen["text"]
        assert not re.search(r"\bNaN\b|\bnan\b", text), page.name
        assert not re.search(r"\b\d+(?:\.\d+)?e[-+]\d+\b", text), page.name
        assert not [c for c in seen["cells"] if c in ("True", "False")], page.name
        assert "Traceback" not in text, page.name
        # Printed lines wrap at words: JupyterLab's own stylesheet breaks them anywhere.
        assert seen["pre_word_breaks"] in ([], ["normal"]), (page.name, seen["pre_word_breaks"])
        assert (ARTIFACTS / f"{page.stem}.png").stat().st_size > 10_000

"""The sample town with hostile names, end to end through ``hspwork brief``: nothing runs.

A fence named ``<script>alert(1)</script>``, a team ``x" onerror="alert(1)``, an offence
``<img src=x onerror=alert(1)>`` and a shift ``early/../../../x`` go through all four chapters,
the tasking sheets chapter 3 writes, the weekly page and the index; every page is opened in
Chromium with the network cut off. No dialog may open, no script element or event handler may
exist, each string must read as its text, and no file may land outside its folder.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hspwork.briefing import check_html, run_brief
from hspwork.sample.hostile import HOSTILE, make_hostile_sample

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("workbench")]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "workbench"
# Where each hostile string must be read as text (the pages that show that field).
SHOWN_ON = {
    "fence_name": ["02_geofences"],
    "team": ["03_tracking", "weekly_briefing"],
    "offence": ["01_targeting"],
    "shift": ["03_tracking", "weekly_briefing", "sheet"],
}


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


@pytest.fixture(scope="module")
def hostile_brief(tmp_path_factory):
    committed = ROOT / "data" / "sample"
    before = _digest(committed) if committed.is_dir() else None
    # Data and output share a folder of their own, which the path test searches whole.
    base = tmp_path_factory.mktemp("hostile")
    data = make_hostile_sample(base / "data")
    # The committed sample is read, never written.
    if before is not None:
        assert _digest(committed) == before
    out = base / "brief"
    out.mkdir()
    # check=True: a page with anything that would run, or a raw collar number, fails the run.
    return run_brief(data, out, progress=False, check=True)


def test_the_hostile_town_differs_where_it_should(tmp_path):
    data = make_hostile_sample(tmp_path / "data")
    assert HOSTILE["fence_name"] in (data / "hotspots.geojson").read_text()
    assert 'x"" onerror=""alert(1)' in (data / "roster.csv").read_text()  # CSV-quoted
    plan = (data / "tasking_plan.csv").read_text()
    assert HOSTILE["shift"] in plan and "Crew 3" not in plan
    crimes = (data / "crimes_force.csv").read_text()
    assert HOSTILE["offence"] in crimes
    assert HOSTILE["offence"] in (data / "harm_hostile.csv").read_text()


def _sheets(brief) -> list[Path]:
    return sorted((brief.work_dir / "03_tracking" / "sheets").glob("*.html"))


def test_every_page_passes_the_checks(hostile_brief):
    assert hostile_brief.problems == []
    names = {p.stem for p in hostile_brief.pages}
    assert names == {
        "01_targeting",
        "02_geofences",
        "03_tracking",
        "04_evaluation",
        "weekly_briefing",
    }
    assert _sheets(hostile_brief), "chapter 3 wrote no tasking sheet"
    for page in [*hostile_brief.pages, hostile_brief.index, *_sheets(hostile_brief)]:
        assert check_html(page) == [], page.name


def test_nothing_is_written_outside_its_folder(hostile_brief):
    # "early/../../../x" as a file name would climb from sheets/ to the work folder or above;
    # the run's own folder holds its data and its output, and nothing of other tests.
    top = hostile_brief.out_dir.parent
    stray = [p for p in top.rglob("x.*") if p.is_file()]
    assert stray == []
    sheets = hostile_brief.work_dir / "03_tracking" / "sheets"
    for path in sheets.rglob("*"):
        assert path.resolve().is_relative_to(sheets.resolve()), path


@pytest.mark.browser
def test_nothing_from_the_data_runs_in_chromium(hostile_brief, chromium):
    sheet = next(p for p in _sheets(hostile_brief) if "early" in p.name)
    pages = [*hostile_brief.pages, hostile_brief.index, sheet]
    seen_text = {}
    for path in pages:
        context = chromium.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        dialogs, errors, blocked = [], [], []
        page.on("dialog", lambda d, found=dialogs: (found.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e, found=errors: found.append(str(e)))

        def _route(route, found=blocked):
            if route.request.url.startswith(("file:", "data:")):
                route.continue_()
            else:
                found.append(route.request.url)
                route.abort()

        page.route("**/*", _route)
        page.goto(path.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(300)
        active = page.evaluate(
            """() => ({
                scripts: document.querySelectorAll('script').length,
                handlers: [...document.querySelectorAll('*')].filter(
                    e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
                broken: [...document.images].filter(i => !i.complete || !i.naturalWidth).length,
            })"""
        )
        seen_text["sheet" if path == sheet else path.stem] = page.inner_text("body")
        if path.stem == "weekly_briefing":
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "hostile_weekly_briefing.png"), full_page=True)
        context.close()
        assert dialogs == [], (path.name, dialogs)
        assert errors == [], (path.name, errors)
        assert blocked == [], (path.name, blocked)
        # Nothing to run at all: no script element, no event handler, no broken image.
        assert active == {"scripts": 0, "handlers": 0, "broken": 0}, (path.name, active)
    for field, value in HOSTILE.items():
        for stem in SHOWN_ON[field]:
            assert value in seen_text[stem], (field, stem)

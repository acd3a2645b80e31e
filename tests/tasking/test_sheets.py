"""Tasking sheets of routed plans: route order, journeys and a map per team, on A4."""

from __future__ import annotations

import base64
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from hspwork.tasking import StreetNetwork, optimise_routes, schedule, write_tasking_sheets
from hspwork.tasking.sheets import _sheet_html

KEY = "test-programme-key-0123456789"
CHROMIUM = "/usr/bin/chromium"


class Cells(HTMLParser):
    """Rows of every table body, and every image source, from a page."""

    def __init__(self):
        super().__init__()
        self.rows, self.images, self._row, self._cell = [], [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = ""
        elif tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def town():
    xs = [0, 400, 800, 1200, 1600, 2000]
    streets = gpd.GeoDataFrame(geometry=[LineString([(x, 0) for x in xs])], crs=27700)
    fences = gpd.GeoDataFrame(
        {
            "fence_id": [f"H{i}" for i in range(6)],
            "name": ["Mill <Lane>", "Station & Rd", "Park", "Quay", "Market", "Bridge"],
            "team": ["West"] * 3 + ["East"] * 3,
        },
        geometry=[box(x - 20, -20, x + 20, 20) for x in xs],
        crs=27700,
    )
    return fences, StreetNetwork(streets)


@pytest.fixture(scope="module")
def routed():
    fences, net = town()
    plan = schedule(fences, ["2025-09-01"], teams="team", network=net, seed=5)
    plan["officer"] = np.where(plan["team"] == "West", "PC4127", "PC9001")
    r = optimise_routes(plan, fences, net, officers=2, time_limit_s=1)
    return r, fences, net


def test_sheet_lists_visits_in_route_order_with_journeys_and_a_map(routed, tmp_path):
    r, fences, net = routed
    out = write_tasking_sheets(r, tmp_path, fences=fences, network=net, key=KEY)
    late = out[out["shift"] == "late"].iloc[0]
    text = Path(late["html"]).read_text()
    page = Cells()
    page.feed(text)
    # one map per team, a real PNG inside the page
    assert len(page.images) == 2
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    want = r[r["shift"] == "late"].sort_values(["team", "route", "order"])
    assert [row[0] for row in page.rows] == want["tasking_id"].tolist()
    # route.step, journey from and journey minutes as planned
    steps = [row[2] for row in page.rows]
    assert steps == [f"{a}.{b}" for a, b in zip(want["route"], want["order"])]
    walks = [row[-3] for row in page.rows]
    assert walks == [f"{m:.0f}" for m in want["travel_minutes"]]
    # team summaries: walking in all against time order
    for _, g in want.groupby("team"):
        total, before = g["travel_minutes"].sum(), g["time_order_travel_minutes"].sum()
        assert f"{total:.0f} minutes walking in all ({before:.0f} in time order)" in text
    # escaped, pseudonymised, A4
    assert "Mill &lt;Lane&gt;" in text and "Mill <Lane>" not in text
    assert "Station &amp; Rd" in text
    assert "PC4127" not in text and "PC9001" not in text
    assert "@page { size: A4" in text
    sheet = pd.read_csv(late["csv"])
    assert {"route", "order", "travel_minutes"} <= set(sheet.columns)
    assert sheet["tasking_id"].tolist() == want["tasking_id"].tolist()


def test_every_value_from_the_data_is_escaped():
    evil = "<script>alert(1)</script>"
    row = [(evil, ""), ("x", "num")]
    page = _sheet_html(date=evil, shift=evil, tz="UTC", visits=1, teams=[{
        "name": evil, "summary": evil, "map": None, "alt": evil, "rows": [row],
        "heads": [evil, "h"]}])  # fmt: skip
    assert "<script>" not in page and page.count("&lt;script&gt;") >= 5


def test_sheets_without_fences_have_no_map_and_time_order_plans_still_print(tmp_path):
    fences, net = town()
    plan = schedule(fences, ["2025-09-01"], teams="team", network=net, seed=5)
    out = write_tasking_sheets(plan, tmp_path, key=KEY)
    text = Path(out["html"].iloc[0]).read_text()
    assert "<img" not in text and "Route.step" not in text and "Walk (min)" in text


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists() and not shutil.which("chromium"),
                    reason="Debian's chromium is not installed")  # fmt: skip
def test_sheet_prints_on_a4_without_overflow(routed, tmp_path, chromium):
    r, fences, net = routed
    out = write_tasking_sheets(r, tmp_path, fences=fences, network=net, key=KEY)
    path = Path(out["html"].iloc[1]).resolve()
    page = chromium.new_page(viewport={"width": 703, "height": 1000})  # 186 mm at 96 dpi
    page.goto(path.as_uri())
    page.emulate_media(media="print")
    overflow = page.evaluate(
        "() => [document.documentElement.scrollWidth, "
        "Math.max(...[...document.querySelectorAll('table, img')]"
        ".map(e => e.getBoundingClientRect().right))]"
    )
    pdf = page.pdf(format="A4", print_background=True)
    page.close()
    assert overflow[0] <= 703 and overflow[1] <= 703, overflow
    assert pdf[:5] == b"%PDF-"
    # one page per team: the sections break before each team but the first
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 2


def test_hostile_shift_and_date_stay_inside_the_folder_and_cells_are_neutral(tmp_path):
    fences, net = town()
    plan = schedule(fences, ["2025-09-01"], teams="team", network=net, seed=5).head(4).copy()
    plan["shift"] = "early/../../../x"
    plan["team"] = '=HYPERLINK("http://evil","click")'
    out_dir = tmp_path / "deep" / "sheets"
    out = write_tasking_sheets(plan, out_dir, fences=fences, maps=False, key=KEY)
    written = [Path(p) for p in [*out["csv"], *out["html"]]]
    for path in written:
        assert out_dir.resolve() in path.resolve().parents, path
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "tasking_2025-09-01_early_.._.._.._x.csv",
        "tasking_2025-09-01_early_.._.._.._x.html",
    ]
    assert not (tmp_path / "x.csv").exists() and not list(tmp_path.glob("*x*.csv"))
    # The team cell would run as a formula in Excel; it is written as text.
    raw = Path(out["csv"].iloc[0]).read_text()
    assert "'=HYPERLINK" in raw and "\n=HYPERLINK" not in raw and ",=HYPERLINK" not in raw
    # Numbers stay numbers.
    assert pd.read_csv(out["csv"].iloc[0])["minutes"].dtype.kind in "if"

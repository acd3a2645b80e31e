"""Running a notebook with papermill, exporting it to HTML, and reading the page in Chromium."""

from __future__ import annotations

import base64
import html
import json
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

from hspwork.briefing import check_html, export_html, notebook_errors, run_notebook
from hspwork.errors import HspworkError

pytestmark = pytest.mark.xdist_group("workbench")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "workbench"


def _notebook(body: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("size_m = 10\nlabel = 'default'\nout = 'out.json'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# A tiny chapter"), params]
    nb.cells.append(nbformat.v4.new_code_cell(body))
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


FIGURE = """
import json, sys
import matplotlib
matplotlib.use("module://matplotlib_inline.backend_inline")
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(3, 2))
ax.bar(["a", "b"], [size_m, 2 * size_m])
ax.set_title(label)
plt.show()
json.dump({"executable": sys.executable, "size_m": size_m, "label": label}, open(out, "w"))
"""


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    source = folder / "tiny.ipynb"
    nbformat.write(_notebook(FIGURE), str(source))
    nb = run_notebook(
        source, folder / "executed" / "tiny.ipynb", {"size_m": 150, "label": "injected"}, cwd=folder
    )
    return folder, nb


def test_parameters_reach_the_kernel_of_this_python(executed):
    folder, nb = executed
    seen = json.loads((folder / "out.json").read_text())
    assert seen["size_m"] == 150 and seen["label"] == "injected"
    # The kernel is the environment running the tests, not some other python on PATH.
    assert Path(seen["executable"]).resolve() == Path(sys.executable).resolve()
    assert (folder / "executed" / "tiny.ipynb").is_file()
    assert notebook_errors(nb) == []
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert ["injected-parameters"] in tags


def test_export_embeds_the_figure_and_hides_code(executed):
    folder, nb = executed
    page = export_html(nb, folder / "tiny.html")
    text = page.read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == 1
    assert base64.b64decode(images[0])[:8] == b"\x89PNG\r\n\x1a\n"
    # Code hidden for the meeting room, shown on request (highlighted, so look for the cells).
    assert text.count('class="jp-InputArea jp-Cell-inputArea"') == 1  # the markdown cell
    with_code = export_html(nb, folder / "code.html", show_code=True).read_text()
    assert with_code.count('class="jp-InputArea jp-Cell-inputArea"') == 4
    assert check_html(page, ["150x"]) == []


def test_failing_cell_names_the_notebook_and_error(tmp_path):
    source = tmp_path / "broken.ipynb"
    nbformat.write(_notebook("raise ValueError('no crimes in window')"), str(source))
    executed = tmp_path / "broken-out.ipynb"
    with pytest.raises(
        HspworkError, match=r"broken.ipynb failed .*ValueError: no crimes in window"
    ):
        run_notebook(source, executed, cwd=tmp_path)
    nb = nbformat.read(str(executed), as_version=4)
    assert any("ValueError: no crimes in window" in p for p in notebook_errors(nb))
    page = export_html(nb, tmp_path / "broken.html")
    assert "a Python traceback is shown" in " ".join(check_html(page))


def test_missing_notebook_is_named(tmp_path):
    with pytest.raises(HspworkError, match=r"notebook .*nothing.ipynb not found; expected one of"):
        run_notebook(tmp_path / "nothing.ipynb", tmp_path / "x.ipynb")


@pytest.mark.browser
def test_page_renders_its_figure_offline_in_chromium(executed, open_page):
    folder, nb = executed
    page = export_html(nb, folder / "tiny_browser.html")
    seen = open_page(page, ARTIFACTS / "tiny.png")
    assert seen["images"] == 1 and seen["broken_images"] == 0
    assert seen["min_image_width"] > 100
    assert "A tiny chapter" in seen["text"]
    assert (ARTIFACTS / "tiny.png").stat().st_size > 1000


def test_brief_gives_the_kernels_a_one_off_pseudonym_key(tmp_path, monkeypatch):
    from hspwork.briefing import run_brief
    from hspwork.privacy import KEY_ENV

    monkeypatch.delenv(KEY_ENV, raising=False)
    folder = tmp_path / "notebooks"
    folder.mkdir()
    body = (
        "import os, json\n"
        f"key = os.environ.get({KEY_ENV!r}, '')\n"
        "json.dump({'key_length': len(key), 'size_m': size_m}, open('seen.json', 'w'))"
    )
    nb = _notebook(body)
    nb.cells[1].source = "data_dir = '.'\nwork_dir = '.'\nsize_m = 10"
    nbformat.write(nb, str(folder / "01_targeting.ipynb"))
    data = tmp_path / "data"
    data.mkdir()
    result = run_brief(
        data,
        tmp_path / "out",
        notebooks=["01_targeting"],
        notebook_dir=folder,
        parameters={"size_m": 150},
        progress=False,
    )
    seen = json.loads((result.work_dir / "seen.json").read_text())
    # 24 random bytes as hex: long enough for hspwork.privacy, and gone after the run.
    assert seen == {"key_length": 48, "size_m": 150}
    assert KEY_ENV not in os.environ
    assert any("one-off key" in note for note in result.notes)
    assert result.weekly is None and "no weekly briefing" in result.summary()
    assert (result.out_dir / "index.html").is_file()
    # The index says it once, in its banner, not again among its notes.
    index = (result.out_dir / "index.html").read_text(encoding="utf-8")
    assert index.count("one-off key") == 1


def test_brief_refuses_pages_that_show_a_collar_number(tmp_path):
    from hspwork.briefing import run_brief

    data = tmp_path / "data"
    data.mkdir()
    (data / "pings.csv").write_text("collar_no,time,x,y\n0427,2025-01-01T00:00Z,0,0\n")
    folder = tmp_path / "notebooks"
    folder.mkdir()
    # A chapter that forgot to pseudonymise: it prints the raw officer column.
    nb = _notebook(
        "import pandas as pd\n"
        "print(pd.read_csv(f'{data_dir}/pings.csv', dtype=str)['collar_no'].tolist())"
    )
    nb.cells[1].source = "data_dir = '.'\nwork_dir = '.'"
    nbformat.write(nb, str(folder / "01_targeting.ipynb"))
    with pytest.raises(
        HspworkError, match=r"01_targeting.html: raw officer identifier\(s\) shown: 0427"
    ):
        run_brief(
            data, tmp_path / "out", notebooks=["01_targeting"], notebook_dir=folder, progress=False
        )
    # Without the check the pages are written and the problem is listed, not hidden.
    result = run_brief(
        data,
        tmp_path / "out",
        notebooks=["01_targeting"],
        notebook_dir=folder,
        progress=False,
        check=False,
    )
    assert result.problems == ["01_targeting.html: raw officer identifier(s) shown: 0427"]
    assert "PROBLEM 01_targeting.html" in result.summary()


def test_a_one_off_key_is_stated_on_the_weekly_page_and_the_index(tmp_path, monkeypatch):
    from hspwork.briefing import run_brief
    from hspwork.privacy import KEY_ENV, ONE_OFF_KEY_NOTE

    folder = tmp_path / "notebooks"
    folder.mkdir()
    # A chapter that leaves the tables the weekly page reads, as chapter 3 does.
    body = (
        "import pandas as pd\n"
        "from hspwork.workfolder import WorkFolder\n"
        "work = WorkFolder(work_dir)\n"
        "work.write('tracking.compliance', pd.DataFrame({'fence_id': ['A'], "
        "'planned_minutes': [60.0], 'delivered_minutes': [30.0]}))\n"
        "work.write('tracking.briefing', {'target_compliance': 0.9, 'week': 'week 1'})"
    )
    nb = _notebook(body)
    nb.cells[1].source = "data_dir = '.'\nwork_dir = '.'"
    nbformat.write(nb, str(folder / "03_tracking.ipynb"))
    data = tmp_path / "data"
    data.mkdir()

    def brief(out):
        return run_brief(
            data, tmp_path / out, notebooks=["03_tracking"], notebook_dir=folder, progress=False
        )

    monkeypatch.delenv(KEY_ENV, raising=False)
    result = brief("one_off")
    for page in (result.weekly, result.index):
        assert ONE_OFF_KEY_NOTE in html.unescape(page.read_text(encoding="utf-8")), page.name
    # With the programme's key, the pseudonyms match from week to week: nothing to say.
    monkeypatch.setenv(KEY_ENV, "programme-2025-sampleton-key")
    result = brief("kept")
    for page in (result.weekly, result.index):
        assert "one-off key" not in page.read_text(encoding="utf-8"), page.name

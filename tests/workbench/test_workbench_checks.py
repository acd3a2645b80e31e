"""Checks that guard the briefings, the weekly page and the command's arguments."""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest

from hspwork.briefing import (
    check_html,
    find_identifiers,
    notebook_errors,
    officer_identifiers,
)
from hspwork.cli import build_parser, parse_param
from hspwork.errors import HspworkError


def test_find_identifiers_whole_tokens_only():
    text = "<td>4512</td> 145120 x4513 4513y PC-0007 0007 C12"
    found = find_identifiers(text, ["4512", "4513", "PC-0007", "C1"])
    # 4513 only appears glued to other word characters; C1 only inside C12.
    assert found == {"4512", "PC-0007"}


def test_find_identifiers_ignores_numbers_and_embedded_images():
    ids = ["4854", "9947"]
    text = (
        "<td>4854.5</td><td>12,4854</td><td>9,947</td><td>0.4854</td>"
        '<img src="data:image/png;base64,AAAA+4854/BBBB+9947="> '
    )
    assert find_identifiers(text, ids) == set()
    assert find_identifiers("<td>4854</td>", ids) == {"4854"}
    assert find_identifiers("officer 9947, then", ids) == {"9947"}


def test_find_identifiers_empty_list_finds_nothing():
    assert find_identifiers("anything 12", []) == set()
    assert find_identifiers("anything 12", ["", "  "]) == set()


def test_notebook_errors_finds_error_outputs_and_printed_tracebacks():
    nb = nbformat.v4.new_notebook()
    ok = nbformat.v4.new_code_cell("1")
    ok.outputs = [nbformat.v4.new_output("stream", name="stdout", text="fine\n")]
    bad = nbformat.v4.new_code_cell("1/0")
    bad.outputs = [
        nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="boom", traceback=[])
    ]
    printed = nbformat.v4.new_code_cell("traceback.print_exc()")
    printed.outputs = [
        nbformat.v4.new_output(
            "stream", name="stderr", text=["Traceback (most recent call last):\n", "  x\n"]
        )
    ]
    nb.cells = [ok, bad, printed]
    assert notebook_errors(nb) == [
        "cell 1: ZeroDivisionError: boom",
        "cell 2: a traceback was printed",
    ]


def test_check_html_reports_identifiers_and_tracebacks(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<pre>Traceback (most recent call last)</pre><td>4512</td><td>77</td>")
    problems = check_html(page, ["4512", "77", "9999"])
    assert problems == [
        "page.html: a Python traceback is shown",
        "page.html: raw officer identifier(s) shown: 4512, 77",
    ]
    clean = tmp_path / "clean.html"
    clean.write_text("<td>officer 3f9a1c</td><td>45120 pings</td>")
    assert check_html(clean, ["4512"]) == []


def test_officer_identifiers_reads_csv_and_parquet(tmp_path):
    pd.DataFrame({"officer": ["4512", "4513", None], "x": [0.0, 1.0, 2.0]}).to_csv(
        tmp_path / "pings_app.csv", index=False
    )
    pd.DataFrame({"collar_no": ["0007"], "x": [0.0]}).to_parquet(tmp_path / "pings_radio.parquet")
    pd.DataFrame({"Collar No": ["0042 "]}).to_csv(tmp_path / "pings_week.csv", index=False)
    pd.DataFrame({"officer": ["nope"]}).to_csv(tmp_path / "crimes.csv", index=False)
    # Leading zeros must survive: "0007" is not "7".
    assert officer_identifiers(tmp_path) == {"4512", "4513", "0007", "0042"}
    assert officer_identifiers(tmp_path / "missing") == set()


def test_parse_param_and_parser():
    assert parse_param("budget=20") == ("budget", 20)
    assert parse_param("fdr=0.05") == ("fdr", 0.05)
    assert parse_param("start=2024-01-01") == ("start", "2024-01-01")
    assert parse_param('names=["a","b"]') == ("names", ["a", "b"])
    with pytest.raises(HspworkError, match="NAME=VALUE with a Python name; got 'budget'"):
        parse_param("budget")
    with pytest.raises(HspworkError, match="got '2x=1'"):
        parse_param("2x=1")
    args = build_parser().parse_args(
        ["brief", "--out", "o", "--only", "03_tracking", "04_evaluation", "--param", "a=1"]
    )
    assert (args.out, args.data, args.work) == ("o", None, None)
    assert args.only == ["03_tracking", "04_evaluation"] and args.param == ["a=1"]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["brief", "--only", "05_nothing"])


def test_stored_notebooks_have_parameters_and_no_outputs():
    from hspwork.briefing import NOTEBOOKS, default_notebook_dir, notebook_title

    for name in NOTEBOOKS:
        nb = nbformat.read(str(default_notebook_dir() / f"{name}.ipynb"), as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.outputs == [] and c.execution_count is None for c in code), name
        tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, name
        # Every chapter reads the data folder and passes results through the work folder.
        assert "data_dir = " in tagged[0].source and "work_dir = " in tagged[0].source
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert notebook_title(nb).startswith(name[1] + ". ")


def test_cli_reports_a_missing_data_folder(tmp_path, capsys):
    from hspwork.cli import main

    missing = tmp_path / "nowhere"
    status = main(["brief", "--data", str(missing), "--out", str(tmp_path / "o"), "--quiet"])
    assert status == 1
    err = capsys.readouterr().err
    assert f"data folder {missing} not found" in err and "python -m hspwork.sample" in err


def test_cli_rejects_a_target_given_as_a_percentage(tmp_path, capsys):
    from hspwork.cli import main

    assert main(["brief", "--data", str(tmp_path), "--target-compliance", "90", "--quiet"]) == 1
    assert "target_compliance must be a share in (0, 1]; got 90.0" in capsys.readouterr().err


def test_cli_rejects_a_bad_param(tmp_path, capsys):
    from hspwork.cli import main

    assert main(["brief", "--data", str(tmp_path), "--param", "budget"]) == 1
    assert "--param expects NAME=VALUE" in capsys.readouterr().err


def test_index_links_every_page(tmp_path):
    from hspwork.briefing import write_index

    pages = [tmp_path / "01_targeting.html", tmp_path / "weekly_briefing.html"]
    text = write_index(tmp_path, pages, ["1. Targeting <map>", "Weekly"]).read_text()
    assert '<a href="01_targeting.html">1. Targeting &lt;map&gt;</a>' in text
    assert '<a href="weekly_briefing.html">Weekly</a>' in text
    # The manager's page is listed first, before the chapters.
    assert text.index("weekly_briefing.html") < text.index("01_targeting.html")


def test_run_brief_refuses_a_parameter_no_notebook_declares(tmp_path):
    from hspwork.briefing import default_notebook_dir, notebook_parameters, run_brief

    assert {"data_dir", "work_dir", "cell_size_m", "budget", "fdr"} <= notebook_parameters(
        default_notebook_dir() / "01_targeting.ipynb"
    )
    assert "target_compliance" in notebook_parameters(default_notebook_dir() / "03_tracking.ipynb")
    with pytest.raises(
        HspworkError, match=r"unknown parameter 'cell_size'; did you mean cell_size_m\?"
    ):
        run_brief(tmp_path, tmp_path / "out", parameters={"cell_size": 100}, progress=False)
    # A wrong type is refused before any notebook runs, naming the parameter and what is allowed.
    with pytest.raises(
        HspworkError, match=r"parameter budget: got 'twenty' \(text\); allowed: a whole number"
    ):
        run_brief(tmp_path, tmp_path / "out", parameters={"budget": "twenty"}, progress=False)


def test_run_brief_names_a_missing_notebook_folder(tmp_path):
    from hspwork.briefing import run_brief

    with pytest.raises(HspworkError, match=r"notebook folder .*nope not found.*--notebooks"):
        run_brief(tmp_path, tmp_path / "out", notebook_dir=tmp_path / "nope", progress=False)


# --------------------------------------------------------------------------------------------
# Nothing from the data runs: check_html refuses active content, readable() escapes
# --------------------------------------------------------------------------------------------

ACTIVE = {
    "<p><script>alert(1)</script></p>": "a <script> element",
    '<td><img src=x onerror="alert(1)"></td>': "an event-handler attribute onerror= on <img>",
    "<svg/onload=alert(1)>": "an event-handler attribute onload= on <svg>",
    '<a href=" java\tscript:alert(1)">x</a>': "a script URL in href= on <a>",
    '<iframe srcdoc="<b>x</b>"></iframe>': "an <iframe> element",
    '<script type="text/javascript">x()</script>': "a <script> element",
    '<meta http-equiv="refresh" content="0;url=http://x">': "a <meta http-equiv=refresh> redirect",
}


def test_check_html_refuses_content_that_would_run(tmp_path):
    for k, (snippet, what) in enumerate(ACTIVE.items()):
        page = tmp_path / f"p{k}.html"
        page.write_text(f"<html><body>{snippet}</body></html>")
        problems = check_html(page)
        assert len(problems) == 1 and what in problems[0], (snippet, problems)
        assert problems[0].startswith(f"p{k}.html: content that would run when the page is opened")


def test_check_html_passes_escaped_text_and_data_blocks(tmp_path):
    page = tmp_path / "ok.html"
    page.write_text(
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; x&quot; onerror=&quot;alert(1)</p>"
        '<td>x" onerror="alert(1)</td><p>on=1, onion=2</p>'
        '<script type="application/json">{"onload": "<b>"}</script>'
        '<img src="data:image/png;base64,AAAA" alt="onerror=1">'
        '<a href="03_tracking.html">chapter 3</a>'
    )
    assert check_html(page) == []


def test_readable_escapes_values_labels_and_names():
    from hspwork.briefing.checks import active_content
    from hspwork.display import readable

    hostile = "<img src=x onerror=alert(1)>"
    frame = pd.DataFrame(
        {
            "fence": ["<script>alert(1)</script>", 'x" onerror="alert(1)'],
            hostile: [1234.0, 5.5],
            "share": [0.4731, None],
            "p_value": [0.0001, 0.2],
            "detail": [{"name": hostile}, None],
        },
        index=pd.Index([hostile, "early/../../../x"], name="<b>place</b>"),
    )
    frame.columns.name = "<i>measure</i>"
    page = readable(frame, percent=["share"]).to_html()
    assert active_content(page) == []
    assert "<b>" not in page and "<i>" not in page
    # Numbers are formatted as before: thousands, decimals, percentages, p-values, missing.
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page)
    assert cells[:5] == ["&lt;script&gt;alert(1)&lt;/script&gt;", "1,234.0", "47%", "&lt;0.001",
                         "{&#39;name&#39;: &#39;&lt;img src=x onerror=alert(1)&gt;&#39;}"]  # fmt: skip
    assert cells[5:] == ["x&#34; onerror=&#34;alert(1)", "5.5", "\u2013", "0.200", "\u2013"]
    for text in ("&lt;img src=x onerror=alert(1)&gt;", "early/../../../x", "&lt;b&gt;place&lt;/b&gt;",
                 "&lt;i&gt;measure&lt;/i&gt;"):  # fmt: skip
        assert text in page, text
    whole = readable(pd.DataFrame({"crimes": [1234.0, 5.0]}), index=False).to_html()
    assert re.findall(r"<td[^>]*>(.*?)</td>", whole) == ["1,234", "5"]


def test_readable_escapes_multiindex_columns():
    from hspwork.display import readable

    columns = pd.MultiIndex.from_tuples([("<script>", "a"), ("b", "onerror=x>")])
    page = readable(pd.DataFrame([[1.0, 2.5]], columns=columns)).to_html()
    assert "&lt;script&gt;" in page and "onerror=x&gt;" in page and "<script>" not in page

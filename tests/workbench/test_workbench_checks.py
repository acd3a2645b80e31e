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
    weekly_briefing,
    weekly_briefing_from_work,
)
from hspwork.cli import build_parser, parse_param
from hspwork.errors import HspworkError, SchemaError
from hspwork.workfolder import WorkFolder


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


def _compliance():
    return pd.DataFrame(
        {
            "fence_id": ["A", "B", "C"],
            "planned_minutes": [300, 300, 400],
            "delivered_minutes": [300, 150, 270],
        }
    )


def test_weekly_briefing_states_overall_compliance(tmp_path):
    dosage = pd.DataFrame(
        {
            "fence_id": ["A", "B", "K"],
            "role": ["treatment", "treatment", "control"],
            "visits": [20, 10, 3],
            "officer_minutes": [300, 150, 45],
        }
    )
    outcomes = pd.DataFrame(
        {
            "group": ["treatment", "treatment", "control", "control"],
            "period": ["before", "after", "before", "after"],
            "crimes": [120, 90, 110, 108],
            "harm": [3650.0, 2900.0, 3400.0, 3390.0],
        }
    )
    exceptions = pd.DataFrame(
        {
            "tasking_id": range(15),
            "officer": ["OFF-a1b2c3"] * 15,
            "reason": ["device silent"] * 4 + ["heard elsewhere"] * 11,
            "pings_in_window": range(15),
        }
    )
    page = weekly_briefing(
        tmp_path / "w.html",
        compliance=_compliance(),
        target_compliance=0.9,
        dosage=dosage,
        outcomes=outcomes,
        exceptions=exceptions,
        week="week of 2024-03-04",
        max_exceptions=5,
    )
    text = page.read_text()
    # (300 + 150 + 270) / (300 + 300 + 400) = 720 / 1000 = 72%; B (50%) and C (67.5%) below.
    assert "72% of planned patrol minutes delivered (target 90%)" in text
    assert "720 of 1,000 minutes" in text
    assert "2 of 3 hot spots are below target" in text
    # 450 minutes over 30 visits = 15.0 minutes a visit.
    # Control place K is reported apart: 300 + 150 = 450 minutes over 20 + 10 visits = 15.0.
    assert "30 visits, 450 officer-minutes in the patrolled hot spots" in text
    assert "15.0 minutes a visit" in text
    assert "Control places received 45 officer-minutes." in text
    assert "15 exception(s) this week; the first 5 are listed." in text
    assert "By reason: heard elsewhere: 11; device silent: 4." in text
    assert "pings_in_window" not in text  # detail stays in the CSV
    assert text.count("<tr>") >= 5 + 1
    # Two embedded figures, no external resources at all.
    assert len(re.findall(r'src="data:image/png;base64,', text)) == 2
    assert "http://" not in text and "https://" not in text
    assert "week of 2024-03-04" in text


def test_weekly_briefing_counts_taskings_when_given(tmp_path):
    compliance = _compliance().assign(planned=[20, 20, 30], done=[20, 9, 18])
    text = weekly_briefing(
        tmp_path / "w.html", compliance=compliance, target_compliance=0.9
    ).read_text()
    # 47 of 70 taskings: 67%; the minutes headline is unchanged (72%).
    assert "72% of planned patrol minutes delivered" in text
    assert "47 of 70 taskings done (67%)." in text


def test_weekly_briefing_outcome_table_sums_by_group_and_period(tmp_path):
    outcomes = pd.DataFrame(
        {
            "group": ["treatment"] * 4 + ["control"] * 2,
            "period": ["before", "before", "after", "after", "before", "after"],
            "crimes": [1234, 1, 567, 2, 890, 880],
        }
    )
    text = weekly_briefing(
        tmp_path / "w.html", compliance=_compliance(), target_compliance=0.5, outcomes=outcomes
    ).read_text()
    section = text.split("<h2>3.")[1].split("<img")[0]
    rows = re.findall(r"<tr>\s*<th>(\w+)</th>(.*?)</tr>", section, flags=re.S)
    cells = {name: re.findall(r"<td>([^<]*)</td>", body) for name, body in rows}
    cells = {name: values for name, values in cells.items() if values}
    # Sums worked by hand, columns in the order given (before, after), then the change:
    # control 890 / 880 (880 / 890 - 1 = -1.1%); treatment 1234 + 1 = 1235 / 567 + 2 = 569
    # (569 / 1235 - 1 = -53.9%).
    assert cells == {
        "control": ["890", "880", "\u22121%"],
        "treatment": ["1,235", "569", "\u221254%"],
    }


def test_weekly_briefing_reads_outcomes_in_plain_words(tmp_path):
    outcomes = pd.DataFrame(
        {
            "group": ["treatment", "treatment", "control", "control"],
            "period": ["before", "after", "before", "after"],
            "crimes": [120, 90, 110, 108],
        }
    )
    effects = pd.DataFrame(
        {
            "outcome": ["crimes", "crimes"],
            "method": ["negbin GLM", "randomisation inference"],
            "irr": [0.8, float("nan")],
            "ci_low": [0.7, float("nan")],
            "ci_high": [0.95, float("nan")],
        }
    )
    text = weekly_briefing(
        tmp_path / "w.html",
        compliance=_compliance(),
        target_compliance=0.5,
        outcomes=outcomes,
        periods={"before": "3 Jun to 31 Aug 2025", "after": "1 Sep to 29 Nov 2025"},
        effects=effects,
        cautions=["Trends differed before the start."],
        exceptions=pd.DataFrame({"fence_id": ["A", "B", "A"], "reason": ["elsewhere"] * 3}),
        exception_notes=["HS11: location data may be off."],
    ).read_text()
    # 120 -> 90 is -25%; 110 -> 108 is -1.8%; relative (90/120) / (108/110) = 0.7639: -24%.
    assert "Crimes in treated places went from 120 to 90 (\u221225%)" in text
    assert "in control places from 110 to 108 (\u22122%)" in text
    assert "treated places changed by \u221224%" in text
    # IRR 0.8 (0.7 to 0.95): -20%, interval -30% to -5%; the row without an IRR is skipped.
    assert "crimes (negbin GLM): \u221220% against what the controls predict" in text
    assert "(95% interval \u221230% to \u22125%)" in text
    assert "before: 3 Jun to 31 Aug 2025; after: 1 Sep to 29 Nov 2025" in text
    assert "Read with care:</b> Trends differed before the start." in text
    assert "Check before acting:</b> HS11: location data may be off." in text
    assert "Most often missed: A (2), B (1)." in text


def test_weekly_briefing_rejects_bad_target_and_missing_columns(tmp_path):
    with pytest.raises(
        HspworkError, match=r"target_compliance must be a share in \(0, 1\]; got 90"
    ):
        weekly_briefing(tmp_path / "w.html", compliance=_compliance(), target_compliance=90)
    with pytest.raises(SchemaError, match=r"compliance lacks column\(s\) \['delivered_minutes'\]"):
        weekly_briefing(
            tmp_path / "w.html",
            compliance=_compliance().drop(columns="delivered_minutes"),
            target_compliance=0.9,
        )


def test_weekly_briefing_from_work_reads_tracking_tables(tmp_path):
    with pytest.raises(HspworkError, match="run chapter 03_tracking first"):
        weekly_briefing_from_work(tmp_path, tmp_path / "w.html")
    tracking = tmp_path / "03_tracking"
    tracking.mkdir()
    _compliance().to_csv(tracking / "compliance.csv", index=False)
    with pytest.raises(HspworkError, match="no compliance target"):
        weekly_briefing_from_work(tmp_path, tmp_path / "w.html")
    (tracking / "briefing.json").write_text('{"target_compliance": 0.6, "week": "week 9"}')
    with pytest.raises(HspworkError, match="written by another version of hspwork"):
        weekly_briefing_from_work(tmp_path, tmp_path / "w.html")
    WorkFolder(tmp_path).write("tracking.briefing", {"target_compliance": 0.6, "week": "week 9"})
    text = weekly_briefing_from_work(tmp_path, tmp_path / "w.html").read_text()
    assert "72% of planned patrol minutes delivered (target 60%)" in text
    assert "1 of 3 hot spots are below target" in text and "week 9" in text
    text = weekly_briefing_from_work(
        tmp_path, tmp_path / "w.html", target_compliance=0.5
    ).read_text()
    assert "(target 50%)" in text and "0 of 3 hot spots" in text


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

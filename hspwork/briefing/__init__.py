"""Run the four workbench notebooks with parameters and export them as offline HTML briefings.

The workbench is four ordered notebooks (``01_targeting``, ``02_geofences``, ``03_tracking``,
``04_evaluation``). Each reads the previous one's outputs from a *work folder* and writes its
own, so :func:`run_brief` runs them in order with papermill, exports each executed notebook to
HTML with nbconvert (static figures embedded as images; widget state embedded so interactive
maps come back when the page is opened online) and adds a one-page weekly performance briefing
(:func:`weekly_briefing`) for the performance meeting.

Three checks guard every page before it is handed over (:func:`check_html`): no error output
(a manager should never see a traceback), no raw officer identifier (collar numbers are
personal data; pages show pseudonyms only), and nothing that would run when the page is opened
(:func:`active_content`: a script or event handler can only have come from unescaped data).

The work folder's files and their columns are owned by :mod:`hspwork.workfolder`.
"""

from hspwork.briefing.checks import (
    active_content,
    check_html,
    find_identifiers,
    notebook_errors,
    officer_identifiers,
)
from hspwork.briefing.run import (
    NOTEBOOKS,
    BriefRun,
    NotebookRun,
    default_notebook_dir,
    export_html,
    notebook_parameters,
    notebook_title,
    run_brief,
    run_notebook,
    write_index,
)
from hspwork.briefing.weekly import weekly_briefing, weekly_briefing_from_work
from hspwork.display import readable

__all__ = [
    "NOTEBOOKS",
    "BriefRun",
    "NotebookRun",
    "active_content",
    "check_html",
    "default_notebook_dir",
    "export_html",
    "find_identifiers",
    "notebook_errors",
    "notebook_parameters",
    "notebook_title",
    "officer_identifiers",
    "readable",
    "run_brief",
    "run_notebook",
    "weekly_briefing",
    "weekly_briefing_from_work",
    "write_index",
]

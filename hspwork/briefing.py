"""Run the four workbench notebooks with parameters and export them as offline HTML briefings.

The workbench is four ordered notebooks (``01_targeting``, ``02_geofences``, ``03_tracking``,
``04_evaluation``). Each reads the previous one's outputs from a *work folder* and writes its
own, so :func:`run_brief` runs them in order with papermill, exports each executed notebook to
HTML with nbconvert (static figures embedded as images; widget state embedded so interactive
maps come back when the page is opened online) and adds a one-page weekly performance briefing
(:func:`weekly_briefing`) for the performance meeting.

Two checks guard every page before it is handed over (:func:`check_html`): no error output
(a manager should never see a traceback) and no raw officer identifier (collar numbers are
personal data; pages show pseudonyms only).

The work folder layout, which the notebooks write and :func:`weekly_briefing_from_work` reads::

    work/
      01_targeting/   units.parquet, hotspots.geojson, selection.csv
      02_geofences/   fences.geojson, fences.parquet
      03_tracking/    visits.csv, dosage.csv, compliance.csv, exceptions.csv   (pseudonymised)
      04_evaluation/  outcomes.csv, effects.csv, cost.csv
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hspwork.errors import HspworkError, SchemaError

__all__ = [
    "NOTEBOOKS",
    "BriefRun",
    "NotebookRun",
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

#: The workbench notebooks, in the order they must run (file stems in ``notebooks/``).
NOTEBOOKS: tuple[str, ...] = ("01_targeting", "02_geofences", "03_tracking", "04_evaluation")

_TRACEBACK = "Traceback (most recent call last)"
# Columns of an exception report shown on the weekly page (others stay in the CSV).
_EXCEPTION_COLUMNS = (
    "tasking_id",
    "fence_id",
    "date",
    "shift",
    "team",
    "officer",
    "status",
    "delivered_minutes",
    "reason",
)
# Plain headers for those columns on the page.
_EXCEPTION_HEADERS = {
    "tasking_id": "tasking",
    "fence_id": "hot spot",
    "officer": "officer (pseudonym)",
    "delivered_minutes": "minutes delivered",
}
_DATA_URI = re.compile(r"data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=]+")
# Column names under which exports carry the officer identifier (compared after lower-casing
# and turning anything but letters and digits into "_", as hspwork.io does).
_OFFICER_COLUMNS = ("officer", "collar_no", "collar_number", "collar", "officer_id", "issi")


def default_notebook_dir() -> Path:
    """The folder holding the workbench notebooks shipped with the source tree.

    Returns
    -------
    pathlib.Path
        ``notebooks/`` next to the ``hspwork`` package.

    Examples
    --------
    >>> default_notebook_dir().name
    'notebooks'
    """
    return Path(__file__).resolve().parent.parent / "notebooks"


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def notebook_errors(nb: Any) -> list[str]:
    """Error outputs found in an executed notebook.

    An error is an output of type ``error`` or a stream/display output carrying a Python
    traceback (code that caught an exception and printed it still shows a traceback to the
    reader).

    Parameters
    ----------
    nb : nbformat.NotebookNode or dict
        An executed notebook.

    Returns
    -------
    list of str
        One line per problem, naming the cell index; empty when clean.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> cell = nbformat.v4.new_code_cell("1/0")
    >>> cell.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError",
    ...                                        evalue="division by zero", traceback=[])]
    >>> nb.cells = [cell]
    >>> notebook_errors(nb)
    ['cell 0: ZeroDivisionError: division by zero']
    """
    problems = []
    for index, cell in enumerate(nb.get("cells", [])):
        for output in cell.get("outputs", []) or []:
            kind = output.get("output_type")
            if kind == "error":
                problems.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
                continue
            text = output.get("text", "")
            if kind in ("display_data", "execute_result"):
                text = output.get("data", {}).get("text/plain", "")
            if isinstance(text, list):
                text = "".join(text)
            if _TRACEBACK in text:
                problems.append(f"cell {index}: a traceback was printed")
    return problems


def find_identifiers(text: str, identifiers: Iterable[str]) -> set[str]:
    """Identifiers that occur in ``text`` as whole tokens.

    A collar number such as ``4512`` is found in ``"PC 4512 visited"`` but not inside the
    number ``145120``, so counts and coordinates do not raise false alarms.

    Parameters
    ----------
    text : str
        Text to search (HTML, CSV, ...).
    identifiers : iterable of str
        Raw officer identifiers that must not appear.

    Returns
    -------
    set of str
        The identifiers found.

    Examples
    --------
    >>> sorted(find_identifiers("PC 4512 and 145120 and C-77", ["4512", "4513", "C-77"]))
    ['4512', 'C-77']
    >>> find_identifiers("4513.5 metres, 24,513 pings", ["4513", "513"])
    set()
    """
    ids = sorted({str(i) for i in identifiers if str(i).strip()}, key=len, reverse=True)
    if not ids:
        return set()
    # Embedded images are base64: any digit run in them is noise, not a shown identifier.
    text = _DATA_URI.sub("", text)
    # A match glued to word characters, or inside a number such as 1234.5 or 12,345, is part
    # of a longer token (a count, a coordinate), not an identifier shown to the reader.
    pattern = re.compile(
        r"(?<![0-9A-Za-z_])(?<![0-9][.,])("
        + "|".join(re.escape(i) for i in ids)
        + r")(?![0-9A-Za-z_])(?![.,][0-9])"
    )
    return set(pattern.findall(text))


def _html_errors(text: str) -> list[str]:
    problems = []
    if _TRACEBACK in text:
        problems.append("a Python traceback is shown")
    # papermill puts this banner above a notebook that stopped on an error.
    if "An Exception was encountered at" in text:
        problems.append("the notebook stopped on an error")
    return problems


def check_html(path: str | Path, identifiers: Iterable[str] = ()) -> list[str]:
    """Problems in an exported page: error output, or a raw officer identifier.

    Parameters
    ----------
    path : str or Path
        The HTML file.
    identifiers : iterable of str
        Raw officer identifiers (collar numbers) that must not appear.

    Returns
    -------
    list of str
        One line per problem; empty when the page can be handed over.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> page = pathlib.Path(tempfile.mkdtemp()) / "p.html"
    >>> _ = page.write_text("<p>Officer 4512 spent 14 minutes</p>")
    >>> check_html(page, ["4512"])
    ['p.html: raw officer identifier(s) shown: 4512']
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    problems = [f"{path.name}: {p}" for p in _html_errors(text)]
    found = find_identifiers(text, identifiers)
    if found:
        shown = ", ".join(sorted(found)[:10])
        more = f" and {len(found) - 10} more" if len(found) > 10 else ""
        problems.append(f"{path.name}: raw officer identifier(s) shown: {shown}{more}")
    return problems


def _officer_column(columns: Iterable[str]) -> str | None:
    for column in columns:
        if re.sub(r"[^a-z0-9]+", "_", str(column).strip().lower()).strip("_") in _OFFICER_COLUMNS:
            return column
    return None


def officer_identifiers(data_dir: str | Path) -> set[str]:
    """Raw officer identifiers in the ping files of a data folder.

    Reads the officer column (``officer``, ``collar_no``, ``Collar No``, ``officer_id``, a radio's ``issi``, ...)
    of every ``*ping*`` CSV or Parquet file in ``data_dir``. These are the strings the
    briefings must never show.

    Parameters
    ----------
    data_dir : str or Path
        Folder with the force's (or the sample city's) input files.

    Returns
    -------
    set of str
        Empty when the folder holds no ping file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "pings.csv").write_text("Collar No,time,x,y\\n4512,2024-01-01T00:00Z,0,0\\n")
    >>> officer_identifiers(folder)
    {'4512'}
    """
    import pyarrow.parquet as pq

    found: set[str] = set()
    for path in sorted(Path(data_dir).glob("*ping*")):
        name = path.name.lower()
        if name.endswith(".parquet"):
            column = _officer_column(pq.read_schema(path).names)
            if column is None:
                continue
            values = pq.read_table(path, columns=[column]).column(0).to_pandas()
        elif name.endswith((".csv", ".csv.gz")):
            column = _officer_column(pd.read_csv(path, nrows=0).columns)
            if column is None:
                continue
            # Read as text so leading zeros survive: collar "0042" is not 42.
            values = pd.read_csv(path, usecols=[column], dtype=str)[column]
        else:
            continue
        found |= set(values.dropna().astype(str).str.strip().unique())
    found.discard("")
    return found


# --------------------------------------------------------------------------------------------
# Running and exporting
# --------------------------------------------------------------------------------------------


@dataclass
class NotebookRun:
    """One executed notebook: where its outputs went and how long it took."""

    name: str
    executed: Path
    html: Path | None
    seconds: float
    problems: list[str] = field(default_factory=list)


@dataclass
class BriefRun:
    """The result of :func:`run_brief`."""

    out_dir: Path
    work_dir: Path
    notebooks: list[NotebookRun]
    weekly: Path | None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    index: Path | None = None

    @property
    def pages(self) -> list[Path]:
        """Every HTML page written, notebooks first, then the weekly briefing."""
        pages = [run.html for run in self.notebooks if run.html is not None]
        return pages + ([self.weekly] if self.weekly is not None else [])

    def summary(self) -> str:
        """A few lines for the terminal."""
        lines = [f"{run.name}: {run.seconds:.1f} s -> {run.html}" for run in self.notebooks]
        if self.index is not None:
            lines.insert(0, f"briefings: {self.index}")
        if self.weekly is not None:
            lines.append(f"weekly briefing -> {self.weekly}")
        else:
            lines.append("no weekly briefing: the work folder has no 03_tracking/compliance.csv")
        lines.append(f"work folder: {self.work_dir}")
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"PROBLEM {p}" for p in self.problems]
        return "\n".join(lines)


def _kernel_manager_class() -> type:
    """A kernel manager talking to the kernel over local sockets (IPC) instead of TCP.

    Over TCP every kernel prints a warning about unencrypted traffic, which would alarm the
    user of ``hspwork brief``; IPC stays on this machine, so there is nothing to warn about.
    The kernel process's own log (start-up and shut-down chatter) is silenced too: what a
    cell prints reaches the notebook over the kernel protocol, and a kernel that dies is
    reported by papermill as an error.
    """
    import subprocess

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum

    class LocalKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc")

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw.setdefault("stderr", subprocess.DEVNULL)
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return LocalKernelManager


def run_notebook(
    notebook: str | Path,
    executed: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    cwd: str | Path | None = None,
    kernel_name: str = "python3",
    progress: bool | dict = False,
) -> Any:
    """Execute one notebook with papermill and return the executed notebook.

    Parameters
    ----------
    notebook : str or Path
        The stored notebook (its ``parameters`` cell holds the defaults).
    executed : str or Path
        Where the executed copy is written (kept even when a cell fails, to read the error).
    parameters : mapping, optional
        Values injected after the ``parameters`` cell.
    cwd : str or Path, optional
        Working directory of the kernel; the notebook's own folder when omitted, as in
        JupyterLab.
    kernel_name : str
        Jupyter kernel. ``python3`` resolves to the Python running this function, so the
        notebooks see the same environment as the caller.
    progress : bool or dict
        Show papermill's per-cell progress bar (a dict gives tqdm options).

    Returns
    -------
    nbformat.NotebookNode

    Raises
    ------
    HspworkError
        When a cell fails; the message names the notebook, the cell and the error, and
        where the executed copy was saved.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook = Path(notebook)
    executed = Path(executed)
    if not notebook.is_file():
        raise HspworkError(f"notebook {notebook} not found; expected one of {list(NOTEBOOKS)}")
    executed.parent.mkdir(parents=True, exist_ok=True)
    try:
        return papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=dict(parameters or {}),
            kernel_name=kernel_name,
            progress_bar=progress,
            cwd=str(cwd or notebook.parent),
            kernel_manager_class=_kernel_manager_class(),
        )
    except PapermillExecutionError as error:
        raise HspworkError(
            f"notebook {notebook.name} failed in cell {error.exec_count}: "
            f"{error.ename}: {error.evalue}; the executed copy is {executed}"
        ) from error


def notebook_title(nb: Any) -> str | None:
    """The first Markdown heading of a notebook, without the ``#`` marks.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_markdown_cell("Intro\\n\\n# 1. Targeting: where?\\nText")]
    >>> notebook_title(nb)
    '1. Targeting: where?'
    """
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        for line in str(cell.get("source", "")).splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return None


def write_index(out_dir: str | Path, pages: Sequence[Path], titles: Sequence[str]) -> Path:
    """Write ``index.html``: one link per briefing page, for opening the set from one place.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> page = write_index(out, [out / "01_targeting.html"], ["1. Targeting"])
    >>> '<a href="01_targeting.html">1. Targeting</a>' in page.read_text()
    True
    """
    out_dir = Path(out_dir)

    def links(pairs: list[tuple[Path, str]]) -> str:
        return "\n".join(
            f'<li><a href="{html.escape(Path(p).name)}">{html.escape(t)}</a></li>' for p, t in pairs
        )

    pairs = list(zip(pages, titles))
    # The weekly page is what a manager opens; it comes first, the analysts' chapters after.
    weekly = [(p, t) for p, t in pairs if Path(p).stem == "weekly_briefing"]
    chapters = [(p, t) for p, t in pairs if Path(p).stem != "weekly_briefing"]
    body = ""
    if weekly:
        body += f"<h2>For the performance meeting</h2><ul>{links(weekly)}</ul>"
    if chapters:
        heading = "<h2>The workbench chapters (for analysts)</h2>" if weekly else ""
        body += f"{heading}<ol>{links(chapters)}</ol>"
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Hot spots policing briefings</title>"
        "<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}"
        "h2{font-size:1.1em}</style></head>"
        f"<body><h1>Hot spots policing briefings</h1>{body}</body></html>"
    )
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def export_html(
    nb: Any,
    html_path: str | Path,
    *,
    title: str | None = None,
    show_code: bool = False,
) -> Path:
    """Export an executed notebook to one self-contained HTML file.

    Figures are embedded as ``data:`` images and the widget state saved during execution is
    embedded too, so interactive maps come back when the page is opened with a network; the
    static figure beside each map carries the content offline.

    Parameters
    ----------
    nb : nbformat.NotebookNode, str or Path
        An executed notebook or its file.
    html_path : str or Path
        Output file.
    title : str, optional
        Page title; the notebook's first heading (or the file name) when omitted.
    show_code : bool
        Include the code cells. Off by default: the pages are read in performance meetings;
        analysts read the code in the notebook itself.

    Returns
    -------
    pathlib.Path
        ``html_path``.
    """
    import nbformat
    from nbconvert import HTMLExporter

    if isinstance(nb, str | Path):
        nb = nbformat.read(str(nb), as_version=4)
    if title is None:
        title = notebook_title(nb) or Path(html_path).stem
    exporter = HTMLExporter(template_name="lab", embed_images=True)
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = not show_code
    exporter.exclude_output_prompt = True
    html_path = Path(html_path)
    resources = {"metadata": {"name": title}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(body, encoding="utf-8")
    return html_path


def notebook_parameters(notebook: str | Path) -> set[str]:
    """Names declared in a notebook's ``parameters`` cell.

    Raises
    ------
    HspworkError
        When the notebook is missing.

    Examples
    --------
    >>> sorted(notebook_parameters(default_notebook_dir() / "02_geofences.ipynb"))[:3]
    ['buffer_m', 'crimes_file', 'crs']
    """
    import papermill

    notebook = Path(notebook)
    if not notebook.is_file():
        raise HspworkError(f"notebook {notebook} not found; expected one of {list(NOTEBOOKS)}")
    return set(papermill.inspect_notebook(str(notebook)))


def _read_nb(path: Path) -> Any:
    import nbformat

    return nbformat.read(str(path), as_version=4)


def _run_all(
    names: Sequence[str],
    source: Path,
    out_dir: Path,
    work_dir: Path,
    parameters: Mapping[str, Any],
    identifiers: set[str],
    kernel_name: str,
    show_code: bool,
    progress: bool,
) -> list[NotebookRun]:
    from tqdm.auto import tqdm

    declared = {name: notebook_parameters(source / f"{name}.ipynb") for name in names}
    unused = set(parameters) - set().union(*declared.values())
    if unused:
        raise HspworkError(
            f"parameter(s) {sorted(unused)} are not declared by any of {list(names)}; "
            f"allowed: {sorted(set().union(*declared.values()))}"
        )
    runs: list[NotebookRun] = []
    bar = tqdm(names, desc="hspwork brief", unit="notebook", disable=not progress, position=0)
    for name in bar:
        bar.set_postfix_str(name)
        started = time.perf_counter()
        executed = out_dir / "executed" / f"{name}.ipynb"
        # Each notebook gets only the parameters it declares (a shared --param such as tz
        # reaches every chapter that has it).
        own = {k: v for k, v in parameters.items() if k in declared[name]}
        # A second bar under the notebooks' bar follows the cells of the running notebook.
        cells = {"desc": f"  {name}", "position": 1, "leave": False} if progress else False
        nb = run_notebook(
            source / f"{name}.ipynb",
            executed,
            own,
            cwd=work_dir,
            kernel_name=kernel_name,
            progress=cells,
        )
        page = export_html(nb, out_dir / f"{name}.html", show_code=show_code)
        problems = [f"{name}: {p}" for p in notebook_errors(nb)] + check_html(page, identifiers)
        runs.append(NotebookRun(name, executed, page, time.perf_counter() - started, problems))
    bar.close()
    return runs


def run_brief(
    data_dir: str | Path = "data/sample",
    out_dir: str | Path = "build",
    work_dir: str | Path | None = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    notebooks: Sequence[str] | None = None,
    notebook_dir: str | Path | None = None,
    target_compliance: float | None = None,
    show_code: bool = False,
    progress: bool = True,
    kernel_name: str = "python3",
    check: bool = True,
    make_sample: bool = False,
) -> BriefRun:
    """Run the workbench notebooks in order and write the HTML briefings.

    Parameters
    ----------
    data_dir : str or Path
        The force's input files (default: the sample city).
    out_dir : str or Path
        Where the HTML pages go (``NN_name.html`` and ``weekly_briefing.html``); executed
        notebooks go to ``out_dir/executed``.
    work_dir : str or Path, optional
        The work folder the notebooks pass results through; ``out_dir/work`` when omitted.
    parameters : mapping, optional
        Papermill parameters; each notebook receives those its ``parameters`` cell declares
        (``tz`` reaches every chapter). A name no notebook declares is an error.
    notebooks : sequence of str, optional
        Stems to run, in order; all four by default. A later notebook needs the earlier
        ones' outputs in the work folder.
    notebook_dir : str or Path, optional
        Where the notebooks are; :func:`default_notebook_dir` when omitted.
    target_compliance : float, optional
        Share of planned patrol minutes to deliver, for the weekly briefing; the value the
        tracking notebook wrote to the work folder when omitted.
    show_code : bool
        Include code cells in the pages.
    progress : bool
        Show a tqdm progress bar over the notebooks.
    kernel_name : str
        Jupyter kernel to run the notebooks with.
    check : bool
        Raise :class:`~hspwork.errors.HspworkError` when a page shows an error or a raw
        officer identifier (the problems are listed in the message).
    make_sample : bool
        When ``data_dir`` is missing or empty, generate the sample city into it first
        (``hspwork brief`` does this for its default ``data/sample``, so a fresh checkout
        works without a separate step).

    Returns
    -------
    BriefRun
    """
    data_dir = Path(data_dir).resolve()
    out_dir = Path(out_dir).resolve()
    work_dir = Path(work_dir).resolve() if work_dir is not None else out_dir / "work"
    source = Path(notebook_dir) if notebook_dir is not None else default_notebook_dir()
    if target_compliance is not None and not 0 < target_compliance <= 1:
        # Checked before an hour of notebooks runs, not after.
        raise HspworkError(
            f"target_compliance must be a share in (0, 1]; got {target_compliance!r}"
        )
    if not source.is_dir():
        raise HspworkError(
            f"notebook folder {source} not found: the workbench notebooks come with the source "
            "checkout (notebooks/); pass notebook_dir (--notebooks) to use another copy"
        )
    names = list(notebooks) if notebooks is not None else list(NOTEBOOKS)
    unknown = [n for n in names if n not in NOTEBOOKS]
    if unknown:
        raise HspworkError(f"unknown notebook(s) {unknown}; allowed: {list(NOTEBOOKS)}")
    notes = []
    if make_sample and (not data_dir.is_dir() or not any(data_dir.iterdir())):
        from hspwork.sample import make_sample_city

        make_sample_city(data_dir)
        notes.append(f"generated the sample city into {data_dir}")
    if not data_dir.is_dir():
        raise HspworkError(
            f"data folder {data_dir} not found; give --data a folder with crimes and pings "
            "(the sample city is made by `python -m hspwork.sample --out data/sample`)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    work_dir.mkdir(parents=True, exist_ok=True)
    base = {"data_dir": str(data_dir), "work_dir": str(work_dir)}
    base.update(parameters or {})
    identifiers = officer_identifiers(data_dir)

    from hspwork.privacy import KEY_ENV

    one_off_key = not os.environ.get(KEY_ENV)
    if one_off_key:
        # Pseudonyms need a secret key (hspwork ships none). Without the programme's key, a
        # random key for this run keeps the pages free of collar numbers; the tokens then do
        # not match other weeks' pages.
        os.environ[KEY_ENV] = secrets.token_hex(24)
        notes.append(
            f"officer pseudonyms use a one-off key; set {KEY_ENV} to the programme's secret "
            "to keep them the same from week to week"
        )
    try:
        runs = _run_all(
            names, source, out_dir, work_dir, base, identifiers, kernel_name, show_code, progress
        )
    finally:
        if one_off_key:
            os.environ.pop(KEY_ENV, None)

    weekly = None
    # The weekly page needs the tracking chapter's tables; without them it is reported missing.
    if (work_dir / "03_tracking" / "compliance.csv").is_file():
        weekly = weekly_briefing_from_work(
            work_dir, out_dir / "weekly_briefing.html", target_compliance=target_compliance
        )
    result = BriefRun(out_dir, work_dir, runs, weekly, notes=notes)
    titles = [notebook_title(_read_nb(run.executed)) or run.name for run in runs]
    if weekly is not None:
        titles.append("Weekly performance briefing")
    result.index = write_index(out_dir, result.pages, titles)
    result.problems = [p for run in runs for p in run.problems]
    if weekly is not None:
        result.problems += check_html(weekly, identifiers)
    if check and result.problems:
        raise HspworkError(
            "the briefings are not fit to hand over:\n  " + "\n  ".join(result.problems)
        )
    return result


# --------------------------------------------------------------------------------------------
# The weekly performance briefing
# --------------------------------------------------------------------------------------------


def readable(
    frame: pd.DataFrame,
    *,
    percent: Sequence[str] = (),
    decimals: int = 1,
    index: bool = True,
    na_rep: str = "\u2013",
) -> Any:
    """Format a table for readers of a notebook page: no raw floats, no NaN.

    Whole numbers get thousands separators, other numbers ``decimals`` places, the ``percent``
    columns (shares in 0..1) a percentage, p-value columns (``p_value``, ``p``) three places or
    "<0.001", and missing values ``na_rep``. The data are not changed: the CSV files keep full
    precision.

    Parameters
    ----------
    frame : DataFrame
        The table to show.
    percent : sequence of str
        Columns holding shares (0.473) to show as percentages (47%).
    decimals : int
        Decimal places of numbers that are not whole.
    index : bool
        Show the index (set False when it is only a row number).
    na_rep : str
        What a missing value reads as.

    Returns
    -------
    pandas.io.formats.style.Styler
        Displayed by Jupyter as an HTML table.

    Examples
    --------
    >>> t = pd.DataFrame({"crimes": [1234.0, 5.0], "share": [0.4731, None], "p_value": [0.0001, 0.2]})
    >>> html_text = readable(t, percent=["share"], index=False).to_html()
    >>> [v in html_text for v in ("1,234", "47%", "<0.001", "0.200", "\u2013")]
    [True, True, True, True, True]
    """
    import numpy as np

    def whole(v: Any) -> str:
        return f"{v:,.0f}"

    def number(v: Any) -> str:
        return f"{v:,.{decimals}f}"

    def share(v: Any) -> str:
        return f"{v:.0%}"

    def p_value(v: Any) -> str:
        return "<0.001" if v < 0.001 else f"{v:.3f}"

    formats: dict[Any, Any] = {}
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        name = column[-1] if isinstance(column, tuple) else column
        finite = values.dropna().to_numpy(dtype=float)
        if name in percent:
            formats[column] = share
        elif str(name) in ("p_value", "p"):
            formats[column] = p_value
        elif len(finite) and np.all(np.isfinite(finite)) and np.all(finite == np.round(finite)):
            formats[column] = whole
        else:
            formats[column] = number
    styler = frame.style.format(formats, na_rep=na_rep)
    if not index:
        styler = styler.hide(axis="index")
    return styler


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{what} lacks column(s) {missing}; it has {list(frame.columns)} and needs "
            f"{list(columns)}"
        )


def _figure_tag(fig: Any, alt: str) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _compliance_figure(compliance: pd.DataFrame, target: float) -> Any:
    from matplotlib.figure import Figure

    order = compliance.sort_values("minutes_share")
    fig = Figure(figsize=(6.2, max(2.2, 0.22 * len(order) + 0.8)))
    ax = fig.add_subplot()
    colours = ["#c0392b" if c < target else "#2e7d32" for c in order["minutes_share"]]
    ax.barh(order["fence_id"].astype(str), 100 * order["minutes_share"], color=colours)
    ax.axvline(100 * target, color="black", linestyle="--", linewidth=1)
    ax.text(100 * target, len(order) - 0.4, f" target {target:.0%}", va="bottom", fontsize=8)
    ax.set_xlabel("patrol minutes delivered, % of planned")
    ax.set_ylabel("hot spot")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title("Compliance by hot spot this week")
    return fig


def _outcome_figure(outcomes: pd.DataFrame) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.2, 2.6))
    measures = [m for m in ("crimes", "harm") if m in outcomes.columns]
    periods = list(dict.fromkeys(outcomes["period"]))
    for k, measure in enumerate(measures):
        ax = fig.add_subplot(1, len(measures), k + 1)
        table = outcomes.pivot_table(index="group", columns="period", values=measure, aggfunc="sum")
        table = table.reindex(columns=periods)
        table.plot.bar(ax=ax, rot=0, color=["#9e9e9e", "#1f77b4", "#ff7f0e"][: len(periods)])
        ax.set_title("harm (days)" if measure == "harm" else "recorded crimes")
        ax.set_ylabel("days of custody" if measure == "harm" else "crimes")
        ax.set_xlabel("places")
        ax.legend(fontsize=7, title=None)
    fig.tight_layout()
    return fig


def _change(before: float, after: float) -> str:
    """Percentage change in plain form ("-17%"); "n/a" when there was nothing before."""
    if not before:
        return "n/a"
    return f"{after / before - 1:+.0%}".replace("-", "\u2212")


def _outcome_section(
    outcomes: pd.DataFrame,
    periods: Mapping[str, str],
    effects: pd.DataFrame | None,
    cautions: Sequence[str],
) -> list[str]:
    """The outcome table (before, after, change per group) with a plain reading of it."""
    measures = [c for c in ("crimes", "harm") if c in outcomes.columns]
    sums = outcomes.groupby(["group", "period"], sort=False)[measures].sum()
    # Periods in the order given (before, after), not alphabetical.
    order = list(dict.fromkeys(outcomes["period"]))
    groups = list(dict.fromkeys(outcomes["group"]))
    first, last = order[0], order[-1]
    head = "".join(
        f"<th colspan='{len(order) + 1}'>{'harm (days)' if m == 'harm' else m}</th>"
        for m in measures
    )
    sub = "".join(
        "".join(f"<th>{html.escape(str(o))}</th>" for o in order) + "<th>change</th>"
        for _ in measures
    )
    rows = []
    for g in groups:
        cells = []
        for m in measures:
            values = [float(sums[m].get((g, o), 0.0)) for o in order]
            cells += [f"<td>{v:,.0f}</td>" for v in values]
            cells.append(f"<td>{_change(values[0], values[-1])}</td>")
        rows.append(f"<tr><th>{html.escape(str(g))}</th>{''.join(cells)}</tr>")
    table = (
        "<table class='t'><thead><tr><th></th>"
        + head
        + "</tr><tr><th>group</th>"
        + sub
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    notes = []
    if periods:
        notes.append(
            "; ".join(
                f"{html.escape(str(o))}: {html.escape(periods[o])}" for o in order if o in periods
            )
            + " (whole programme so far, not only this week)."
        )
    crimes = sums["crimes"]
    if {"treatment", "control"} <= set(groups) and len(order) > 1:
        t0, t1 = (
            float(crimes.get(("treatment", first), 0)),
            float(crimes.get(("treatment", last), 0)),
        )
        c0, c1 = float(crimes.get(("control", first), 0)), float(crimes.get(("control", last), 0))
        text = (
            f"Crimes in treated places went from {t0:,.0f} to {t1:,.0f} ({_change(t0, t1)}); "
            f"in control places from {c0:,.0f} to {c1:,.0f} ({_change(c0, c1)})."
        )
        if t0 and c0 and c1:
            text += (
                " Relative to the controls, treated places changed by "
                f"{_change(1.0, (t1 / t0) / (c1 / c0))}."
            )
        notes.append(text)
    if effects is not None and {"outcome", "irr", "ci_low", "ci_high"} <= set(effects.columns):
        for outcome, rows_ in effects.dropna(subset=["irr"]).groupby("outcome", sort=False):
            row = rows_.iloc[0]
            method = f" ({row['method']})" if "method" in row and pd.notna(row["method"]) else ""
            notes.append(
                f"Evaluation estimate for {outcome}{html.escape(method)}: "
                f"{_change(1.0, row['irr'])} against what the controls predict "
                f"(95% interval {_change(1.0, row['ci_low'])} to {_change(1.0, row['ci_high'])})."
            )
    notes.append(
        "A raw before/after difference is not proof of an effect; chapter 4 (evaluation) "
        "gives the estimate, its uncertainty and the checks of a fair comparison."
    )
    out = [table, "<p>" + " ".join(notes) + "</p>"]
    if cautions:
        out.append(
            "<p class='warn'><b>Read with care:</b> "
            + " ".join(html.escape(c) for c in cautions)
            + "</p>"
        )
    return out


def weekly_briefing(
    out_path: str | Path,
    *,
    compliance: pd.DataFrame,
    target_compliance: float,
    dosage: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    exceptions: pd.DataFrame | None = None,
    week: str | None = None,
    max_exceptions: int = 12,
    periods: Mapping[str, str] | None = None,
    effects: pd.DataFrame | None = None,
    cautions: Sequence[str] = (),
    exception_notes: Sequence[str] = (),
) -> Path:
    """Write the one-page weekly performance briefing for the performance meeting.

    The page answers four questions in this order, as the College of Policing's tracking
    guidance asks of a weekly data stocktake: did patrols reach the target (compliance),
    how much time did each hot spot receive (dosage), what happened to crime and harm in
    treated versus control places, and which taskings were missed (exceptions).

    Parameters
    ----------
    out_path : str or Path
        The HTML file to write (self-contained: figures are embedded images, no scripts).
    compliance : DataFrame
        One row per hot spot: ``fence_id``, ``planned_minutes``, ``delivered_minutes`` (each
        visit counted up to its planned minutes). Compliance on this page is delivered over
        planned minutes, per hot spot and overall. When ``planned`` and ``done`` (taskings)
        are present, as in :func:`hspwork.tasking.compliance_table`, the share of taskings
        done is stated too.
    target_compliance : float
        Share of planned minutes to deliver, in (0, 1].
    dosage : DataFrame, optional
        One row per hot spot: ``fence_id``, ``visits``, ``officer_minutes`` and, when known,
        ``patrol_minutes`` (minutes with at least one officer present).
    outcomes : DataFrame, optional
        ``group`` ("treatment"/"control"), ``period`` (e.g. "before"/"after"), ``crimes`` and
        optionally ``harm`` (days).
    exceptions : DataFrame, optional
        Taskings not performed, one row each (officers as pseudonyms), e.g. from
        :func:`hspwork.tasking.exception_report`: the follow-up columns (``tasking_id``,
        ``fence_id``, ``date``, ``shift``, ``team``, ``officer``, ``status``,
        ``delivered_minutes``, ``reason``) are shown when present, with counts by ``reason``.
    week : str, optional
        Label of the week, e.g. ``"week of 2024-03-04"``.
    max_exceptions : int
        Rows of the exception table shown; the total is always stated.
    periods : mapping, optional
        The dates each outcome ``period`` covers, e.g. ``{"before": "3 Jun to 31 Aug 2025"}``,
        stated under the outcome table (the outcome windows are longer than the week).
    effects : DataFrame, optional
        The evaluation's estimates (``04_evaluation/effects.csv``): rows with ``outcome``,
        ``method``, ``irr``, ``ci_low``, ``ci_high``; the first row per outcome with an
        ``irr`` is stated in plain words beside the raw before/after change.
    cautions : sequence of str
        Plain-words warnings from the evaluation (e.g. a failed pre-trend check), shown with
        the outcomes so that the meeting does not read more into them than they hold.
    exception_notes : sequence of str
        Plain-words warnings about the exceptions (e.g. hot spots whose location data look
        wrong, so that their missed taskings may not be missed patrols), shown above the list.

    Returns
    -------
    pathlib.Path
        ``out_path``.

    Raises
    ------
    SchemaError
        When a table lacks a needed column.
    HspworkError
        When ``target_compliance`` is outside (0, 1].

    Examples
    --------
    >>> import tempfile, pathlib
    >>> compliance = pd.DataFrame({"fence_id": ["A", "B"], "planned_minutes": [300, 300],
    ...                            "delivered_minutes": [270, 120]})
    >>> page = weekly_briefing(pathlib.Path(tempfile.mkdtemp()) / "w.html",
    ...                        compliance=compliance, target_compliance=0.9)
    >>> "65%" in page.read_text()  # 390 of 600 planned minutes
    True
    """
    if not 0 < target_compliance <= 1:
        raise HspworkError(
            f"target_compliance must be a share in (0, 1]; got {target_compliance!r}"
        )
    _require(compliance, ["fence_id", "planned_minutes", "delivered_minutes"], "compliance")
    compliance = compliance.copy()
    planned = compliance["planned_minutes"].astype(float)
    compliance["minutes_share"] = compliance["delivered_minutes"] / planned.where(planned > 0)
    planned_total = float(compliance["planned_minutes"].sum())
    delivered_total = float(compliance["delivered_minutes"].sum())
    overall = delivered_total / planned_total if planned_total > 0 else float("nan")
    below = int((compliance["minutes_share"] < target_compliance).sum())
    taskings = ""
    if {"planned", "done"} <= set(compliance.columns):
        done, planned_n = int(compliance["done"].sum()), int(compliance["planned"].sum())
        taskings = f" {done:,} of {planned_n:,} taskings done ({done / planned_n:.0%})."

    parts = [
        "<h1>Hot spots policing: weekly performance briefing</h1>",
        f"<p class='sub'>{html.escape(week)}</p>" if week else "",
        "<h2>1. Compliance against target</h2>",
        f"<p class='big'>{overall:.0%} of planned patrol minutes delivered "
        f"(target {target_compliance:.0%}): {delivered_total:,.0f} of {planned_total:,.0f} "
        f"minutes.{taskings} {below} of {len(compliance)} hot spots are below target.</p>",
        _figure_tag(_compliance_figure(compliance, target_compliance), "compliance by hot spot"),
    ]
    if dosage is not None:
        _require(dosage, ["fence_id", "visits", "officer_minutes"], "dosage")
        patrolled = dosage
        control_text = ""
        if "role" in dosage.columns:
            # Dosage is the treatment: report it for the patrolled places, and the time spent
            # in control places separately (it should be low; if not, the controls are patrolled).
            patrolled = dosage[dosage["role"] == "treatment"]
            control = dosage[dosage["role"] == "control"]
            control_text = (
                f" Control places received {float(control['officer_minutes'].sum()):,.0f} "
                "officer-minutes."
            )
        visits = float(patrolled["visits"].sum())
        minutes = float(patrolled["officer_minutes"].sum())
        text = (
            f"{visits:,.0f} visits, {minutes:,.0f} officer-minutes in the patrolled hot spots; "
            f"{minutes / visits:.1f} minutes a visit on average"
            if visits
            else "no visits recorded in the patrolled hot spots"
        )
        if "patrol_minutes" in patrolled.columns:
            text += (
                f"; {float(patrolled['patrol_minutes'].sum()):,.0f} patrol-minutes "
                "(time with at least one officer present)"
            )
        parts += [
            "<h2>2. Dosage</h2>",
            f"<p>{text}.{control_text} Dosage counts all time officers spent inside the "
            "fences, planned or not; compliance above counts only time on planned taskings, "
            "each visit up to its planned minutes, so the two differ. Evidence suggests stops "
            "of 10 to 15 minutes work best (Koper 1995).</p>",
        ]
    if outcomes is not None:
        _require(outcomes, ["group", "period", "crimes"], "outcomes")
        parts += ["<h2>3. Crime and harm: treated versus control places</h2>"]
        parts += _outcome_section(outcomes, periods or {}, effects, cautions)
        parts.append(
            _figure_tag(_outcome_figure(outcomes), "crime and harm, treated versus control")
        )
    if exceptions is not None:
        # The columns a sergeant needs to follow an exception up, when the report has them.
        brief_columns = [c for c in _EXCEPTION_COLUMNS if c in exceptions.columns]
        shown = exceptions.head(max_exceptions)
        if brief_columns:
            shown = shown[brief_columns]
        shown = shown.rename(columns=_EXCEPTION_HEADERS)
        reasons = ""
        if "reason" in exceptions.columns and len(exceptions):
            counts = exceptions["reason"].value_counts()
            reasons = " By reason: " + "; ".join(f"{r}: {n}" for r, n in counts.items()) + "."
        if "fence_id" in exceptions.columns and len(exceptions):
            # The hot spots missed most often are where a sergeant starts the conversation.
            most = exceptions["fence_id"].value_counts().head(5)
            reasons += (
                " Most often missed: " + ", ".join(f"{f} ({n})" for f, n in most.items()) + "."
            )
        parts += [
            "<h2>4. Exceptions: taskings not performed</h2>",
            f"<p>{len(exceptions)} exception(s) this week"
            + (f"; the first {len(shown)} are listed." if len(exceptions) > len(shown) else ".")
            + html.escape(reasons)
            + "</p>",
            "<p class='warn'><b>Check before acting:</b> "
            + " ".join(html.escape(n) for n in exception_notes)
            + "</p>"
            if exception_notes
            else "",
            shown.to_html(index=False, classes="t", float_format=lambda v: f"{v:.1f}")
            if len(shown)
            else "",
        ]
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:1em auto;color:#222}"
        "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.2em}.big{font-size:1.1em}"
        ".sub{color:#555}.warn{background:#fff3cd;padding:4px 8px}"
        "table.t{border-collapse:collapse;font-size:.85em}"
        "table.t td,table.t th{border:1px solid #ccc;padding:2px 6px}img{max-width:100%}"
    )
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Weekly performance briefing</title>"
        f"<style>{style}</style></head><body>" + "\n".join(parts) + "</body></html>"
    )
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(page, encoding="utf-8")
    return out_path


def _read_optional(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.is_file() else None


def weekly_briefing_from_work(
    work_dir: str | Path,
    out_path: str | Path,
    *,
    target_compliance: float | None = None,
) -> Path:
    """Write the weekly briefing from the tables the notebooks left in the work folder.

    Reads ``03_tracking/compliance.csv`` (required), ``03_tracking/dosage.csv``,
    ``03_tracking/exceptions.csv``, ``04_evaluation/outcomes.csv`` and
    ``03_tracking/briefing.json`` (``target_compliance``, ``week``, ``exception_notes``) when
    present, and from
    chapter 4 ``04_evaluation/effects.csv`` and ``04_evaluation/briefing.json`` (``periods``:
    the dates of each outcome period; ``cautions``: plain-words warnings) when present.

    Parameters
    ----------
    work_dir : str or Path
        The work folder.
    out_path : str or Path
        The HTML file to write.
    target_compliance : float, optional
        Overrides the target stored by the tracking notebook.

    Returns
    -------
    pathlib.Path
    """
    work_dir = Path(work_dir)
    tracking = work_dir / "03_tracking"
    compliance = _read_optional(tracking / "compliance.csv")
    if compliance is None:
        raise HspworkError(
            f"{tracking / 'compliance.csv'} not found; run notebook 03_tracking first"
        )
    meta_path = tracking / "briefing.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    evaluation = work_dir / "04_evaluation"
    eval_path = evaluation / "briefing.json"
    eval_meta = json.loads(eval_path.read_text()) if eval_path.is_file() else {}
    target = target_compliance if target_compliance is not None else meta.get("target_compliance")
    if target is None:
        raise HspworkError(
            "no compliance target: pass target_compliance or let notebook 03_tracking write "
            f"{meta_path}"
        )
    return weekly_briefing(
        out_path,
        compliance=compliance,
        target_compliance=float(target),
        dosage=_read_optional(tracking / "dosage.csv"),
        outcomes=_read_optional(work_dir / "04_evaluation" / "outcomes.csv"),
        exceptions=_read_optional(tracking / "exceptions.csv"),
        week=meta.get("week"),
        periods=eval_meta.get("periods"),
        effects=_read_optional(evaluation / "effects.csv"),
        cautions=eval_meta.get("cautions", ()),
        exception_notes=meta.get("exception_notes", ()),
    )

"""Run the workbench notebooks with parameters and export them as offline HTML pages."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hspwork.briefing.checks import check_html, notebook_errors, officer_identifiers
from hspwork.briefing.weekly import weekly_briefing_from_work
from hspwork.errors import HspworkError
from hspwork.workfolder import WorkFolder

#: The workbench notebooks, in the order they must run (file stems in ``notebooks/``).
NOTEBOOKS: tuple[str, ...] = ("01_targeting", "02_geofences", "03_tracking", "04_evaluation")


def default_notebook_dir() -> Path:
    """The folder holding the workbench notebooks, shipped inside the package.

    The repository keeps one copy, in its top-level ``notebooks/``; the package's
    ``hspwork/notebooks`` points there, so a source checkout, an editable install and a wheel
    all find the same notebooks.

    Examples
    --------
    >>> default_notebook_dir().name
    'notebooks'
    >>> (default_notebook_dir() / "01_targeting.ipynb").is_file()
    True
    """
    return Path(__file__).resolve().parents[1] / "notebooks"


def default_sample_dir() -> Path:
    """Where ``hspwork brief`` keeps the sample town: ``data/sample`` under the current folder.

    In a source checkout that is the committed sample; elsewhere it is generated there on
    first use (``python -m hspwork.sample --out data/sample``).
    """
    return Path("data/sample").resolve()


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
            lines.append("no weekly briefing: it needs chapter 3 (tracking) in the work folder")
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


def write_index(
    out_dir: str | Path,
    pages: Sequence[Path],
    titles: Sequence[str],
    *,
    skipped: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
    one_off_key: bool = False,
) -> Path:
    """Write ``index.html``: one link per briefing page, and what each chapter not run needs.

    Parameters
    ----------
    out_dir : str or Path
        The briefings folder.
    pages, titles : sequences
        The pages written and their titles.
    skipped : mapping, optional
        Chapter (notebook stem) -> what it needs, in plain words, for chapters not run.
    notes : sequence of str
        Lines for the reader (a generated sample, the programme file used).
    one_off_key : bool
        The pages' pseudonyms come from a key made for this run only: the index says so at
        the top (:data:`hspwork.privacy.ONE_OFF_KEY_NOTE`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> page = write_index(out, [out / "01_targeting.html"], ["1. Targeting"],
    ...                    skipped={"03_tracking": "officer locations"})
    >>> text = page.read_text()
    >>> '<a href="01_targeting.html">1. Targeting</a>' in text, "it needs officer locations" in text
    (True, True)
    """
    from hspwork.pages import render
    from hspwork.privacy import ONE_OFF_KEY_NOTE

    out_dir = Path(out_dir)
    pairs = list(zip(pages, titles))
    # The weekly page is what a manager opens; it comes first, the analysts' chapters after.
    weekly = [
        {"href": Path(p).name, "title": t} for p, t in pairs if Path(p).stem == "weekly_briefing"
    ]
    chapters = [
        {"href": Path(p).name, "title": t, "stem": Path(p).stem}
        for p, t in pairs
        if Path(p).stem != "weekly_briefing"
    ]
    for stem, needs in (skipped or {}).items():
        chapters.append(
            {"href": None, "title": _CHAPTER_TITLES.get(stem, stem), "needs": needs, "stem": stem}
        )
    chapters.sort(key=lambda page: page["stem"])
    groups = []
    if weekly:
        groups.append({"heading": "For the performance meeting", "ordered": False, "pages": weekly})
    elif skipped and "03_tracking" in skipped:
        needs = "chapter 3's tables (" + skipped["03_tracking"] + ")"
        groups.append({"heading": "For the performance meeting", "ordered": False,
                       "pages": [{"href": None, "title": "Weekly performance briefing", "needs": needs}]})  # fmt: skip
    if chapters:
        groups.append(
            {"heading": "The workbench chapters (for analysts)", "ordered": True, "pages": chapters}
        )
    page = render(
        "index.html.j2",
        title="Hot spots policing briefings",
        groups=groups,
        notes=list(notes),
        pseudonym_note=ONE_OFF_KEY_NOTE if one_off_key else None,
    )
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


_CHAPTER_TITLES = {
    "01_targeting": "1. Targeting: where are the hot spots?",
    "02_geofences": "2. Geofences: drawing the places officers patrol",
    "03_tracking": "3. Tracking: did patrols reach the hot spots?",
    "04_evaluation": "4. Evaluation: did crime and harm fall?",
}


def export_html(
    nb: Any,
    html_path: str | Path,
    *,
    title: str | None = None,
    show_code: bool = False,
) -> Path:
    """Export an executed notebook to one self-contained HTML file that fetches nothing.

    Figures are embedded as ``data:`` images. Interactive widgets (the fence editor, the maps)
    need JupyterLab's widget manager, which a page could only load from the internet, so they
    are left out: each is replaced by a line saying it is interactive in JupyterLab, and the
    static figure beside it carries the page. No script is loaded from outside the file
    (hspwork's ``offline`` template drops require.js, MathJax, Mermaid and the widget renderer).

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
    nb = without_widgets(nb)
    exporter = HTMLExporter(
        template_name="offline",
        extra_template_basedirs=[
            str(Path(__file__).resolve().parents[1] / "templates" / "nbconvert")
        ],
        embed_images=True,
    )
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = not show_code
    exporter.exclude_output_prompt = True
    html_path = Path(html_path)
    resources = {"metadata": {"name": title}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(body, encoding="utf-8")
    return html_path


_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_WIDGET_NOTE = (
    '<p class="hspwork-widget-note"><em>An interactive map stands here in JupyterLab: open this '
    "chapter's notebook to use it. The static figure above shows the same places.</em></p>"
)


def without_widgets(nb: Any) -> Any:
    """A copy of a notebook with its interactive widgets replaced by a note, and no widget state.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> cell = nbformat.v4.new_code_cell("editor")
    >>> cell.outputs = [nbformat.v4.new_output("display_data", data={
    ...     "application/vnd.jupyter.widget-view+json": {"model_id": "abc"}, "text/plain": "Editor"})]
    >>> nb.cells = [cell]
    >>> nb.metadata["widgets"] = {"state": {}}
    >>> out = without_widgets(nb)
    >>> "widgets" in out.metadata, list(out.cells[0].outputs[0].data)
    (False, ['text/html'])
    """
    import copy

    out = copy.deepcopy(nb)
    out.metadata.pop("widgets", None)
    for cell in out.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if _WIDGET_VIEW in data:
                output["data"] = {"text/html": _WIDGET_NOTE}
    return out


def notebook_parameters(notebook: str | Path) -> set[str]:
    """Names declared in a notebook's ``parameters`` cell.

    Raises
    ------
    HspworkError
        When the notebook is missing.

    Examples
    --------
    >>> sorted(notebook_parameters(default_notebook_dir() / "02_geofences.ipynb"))[:3]
    ['buffer_m', 'crimes_columns', 'crimes_path']
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

    # Registry names were checked already; each notebook takes those it declares.
    from hspwork.programme.parameters import PARAMETERS, _unknown

    declared = {name: notebook_parameters(source / f"{name}.ipynb") for name in names}
    unused = set(parameters) - set().union(*declared.values()) - set(PARAMETERS)
    if unused:
        raise _unknown(sorted(unused)[0])
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
    skipped: Mapping[str, str] | None = None,
    programme_file: bool = True,
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
    skipped : mapping, optional
        Chapters not run (stem -> what each needs, in plain words), listed on the index page
        (``hspwork brief --config`` finds them with :func:`hspwork.programme.check_programme`).
    programme_file : bool
        When ``data_dir`` holds a programme file (``hspwork.toml``), take its values as the
        defaults of ``parameters`` (``hspwork brief --config`` has read it already and passes
        False).

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
    from hspwork.programme.parameters import check_parameters

    given = dict(parameters or {})
    if programme_file and (data_dir / "hspwork.toml").is_file():
        toml = data_dir / "hspwork.toml"
        # A data folder that holds its programme file runs as that programme; the parameters
        # given here override the file's.
        from hspwork.programme import read_programme

        from_file = read_programme(toml).values
        from_file.pop("data_dir", None)
        from_file.pop("work_dir", None)
        given = {**from_file, **given}
        notes.append(f"parameters from the programme file {toml}")
    # Registry names are checked (type and range) now, before any notebook runs; other names
    # must be declared by a notebook being run (a force's own extra chapter, say).
    from hspwork.programme.parameters import PARAMETERS, RENAMED

    known = {
        k: v
        for k, v in given.items()
        if k in PARAMETERS or k in RENAMED or k.endswith("_pings_file")
    }
    base = check_parameters(known)
    base.update({k: v for k, v in given.items() if k not in known})
    base.update({"data_dir": str(data_dir), "work_dir": str(work_dir)})
    identifiers = officer_identifiers(data_dir, base)

    from hspwork.privacy import KEY_ENV

    one_off_key = not os.environ.get(KEY_ENV)
    if one_off_key:
        # Pseudonyms need a secret key (hspwork ships none). Without the programme's key, a
        # random key for this run keeps the pages free of collar numbers; the tokens then do
        # not match other weeks' pages.
        os.environ[KEY_ENV] = secrets.token_hex(24)
    try:
        runs = _run_all(
            names, source, out_dir, work_dir, base, identifiers, kernel_name, show_code, progress
        )
    finally:
        if one_off_key:
            os.environ.pop(KEY_ENV, None)

    weekly = None
    # The weekly page needs the tracking chapter's tables; without them it is reported missing.
    if WorkFolder(work_dir).exists("tracking.compliance"):
        weekly = weekly_briefing_from_work(
            work_dir,
            out_dir / "weekly_briefing.html",
            target_compliance=target_compliance,
            one_off_key=one_off_key,
        )
    # The index states a one-off key in its banner; the terminal hears it as a note.
    key_note = (
        [
            f"officer pseudonyms use a one-off key; set {KEY_ENV} to the programme's secret "
            "to keep them the same from week to week"
        ]
        if one_off_key
        else []
    )
    result = BriefRun(out_dir, work_dir, runs, weekly, notes=[*notes, *key_note])
    titles = [notebook_title(_read_nb(run.executed)) or run.name for run in runs]
    if weekly is not None:
        titles.append("Weekly performance briefing")
    result.index = write_index(
        out_dir, result.pages, titles, skipped=skipped, notes=notes, one_off_key=one_off_key
    )
    result.problems = [p for run in runs for p in run.problems]
    if weekly is not None:
        result.problems += check_html(weekly, identifiers)
    if check and result.problems:
        raise HspworkError(
            "the briefings are not fit to hand over:\n  " + "\n  ".join(result.problems)
        )
    return result

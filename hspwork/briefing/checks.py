"""Checks every page passes before it is handed over.

No error output, no raw officer identifier, and nothing that runs: the pages are emailed round
a force, and their fence names, offence labels, team and shift names come from outside.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd

from hspwork.privacy import is_identifier_column

_TRACEBACK = "Traceback (most recent call last)"
_DATA_URI = re.compile(r"data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=]+")
# The only <script> elements a page may hold: data blocks, which browsers never run.
_DATA_SCRIPT_TYPES = frozenset(
    {
        "application/json",
        "application/ld+json",
        "application/vnd.jupyter.widget-state+json",
        "application/vnd.jupyter.widget-view+json",
    }
)
# Elements that load or run another document or plug-in, or redirect every link of the page.
_ACTIVE_TAGS = frozenset({"iframe", "frame", "frameset", "object", "embed", "applet", "base"})
# Attributes holding a URL, where "javascript:" runs code when followed.
_URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}
)
_SCRIPT_URL = re.compile(r"^(javascript|vbscript):|^data:text/html", re.IGNORECASE)


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


class _ActiveContent(HTMLParser):
    """Collects what in a page could run: scripts, event handlers, script URLs, plug-ins."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, int] = {}

    def _add(self, what: str) -> None:
        self.found[what] = self.found.get(what, 0) + 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            kind = values.get("type", "").split(";")[0].strip().lower()
            if kind not in _DATA_SCRIPT_TYPES:
                self._add("a <script> element")
        if tag in _ACTIVE_TAGS:
            self._add(f"an <{tag}> element")
        if tag == "meta" and values.get("http-equiv", "").strip().lower() == "refresh":
            self._add("a <meta http-equiv=refresh> redirect")
        for name, value in values.items():
            if name.startswith("on"):
                self._add(f"an event-handler attribute {name}= on <{tag}>")
            elif name == "srcdoc":
                self._add(f"a srcdoc= document on <{tag}>")
            elif name in _URL_ATTRIBUTES:
                # Browsers ignore control characters and spaces inside the scheme.
                url = re.sub(r"[\x00-\x20]+", "", value)
                if _SCRIPT_URL.match(url):
                    self._add(f"a script URL in {name}= on <{tag}>")

    handle_startendtag = handle_starttag


def active_content(text: str) -> list[str]:
    """What in an HTML page could run code when it is opened, one line per kind with a count.

    The library's pages hold no script at all: figures are images, tables are text. So any
    executable ``<script>`` (one without a JSON data ``type``), any event-handler attribute
    (``onerror=``, ``onload=``...), a ``javascript:`` URL, or an ``<iframe>``/``<object>``/
    ``<embed>``/``<base>`` element can only have come from the data (a fence name, an offence
    label, a team name) written into the page without escaping. The page is parsed as a browser
    would read its tags (:class:`html.parser.HTMLParser`); escaped text such as
    ``&lt;script&gt;`` is text and is not reported.

    Parameters
    ----------
    text : str
        The page's HTML.

    Returns
    -------
    list of str
        Empty when nothing can run.

    Examples
    --------
    >>> active_content('<p>&lt;script&gt;alert(1)&lt;/script&gt; x" onerror="y</p>')
    []
    >>> active_content('<td><img src=x onerror=alert(1)></td><script>alert(2)</script>')
    ['an event-handler attribute onerror= on <img> (1)', 'a <script> element (1)']
    >>> active_content('<script type="application/json">{"a": 1}</script>')
    []
    """
    parser = _ActiveContent()
    parser.feed(text)
    parser.close()
    return [f"{what} ({n})" for what, n in parser.found.items()]


def check_html(path: str | Path, identifiers: Iterable[str] = ()) -> list[str]:
    """Problems in an exported page: error output, a raw officer identifier, or active content.

    Parameters
    ----------
    path : str or Path
        The HTML file.
    identifiers : iterable of str
        Raw officer identifiers (collar numbers) that must not appear.

    Returns
    -------
    list of str
        One line per problem; empty when the page can be handed over. Code that would run
        when the page is opened (:func:`active_content`) is a problem: a page is refused
        rather than emailed round a force with a script in it.

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
    active = active_content(text)
    if active:
        problems.append(
            f"{path.name}: content that would run when the page is opened, written from the "
            f"data without escaping: {'; '.join(active)}"
        )
    found = find_identifiers(text, identifiers)
    if found:
        shown = ", ".join(sorted(found)[:10])
        more = f" and {len(found) - 10} more" if len(found) > 10 else ""
        problems.append(f"{path.name}: raw officer identifier(s) shown: {shown}{more}")
    return problems


def officer_identifiers(
    data_dir: str | Path, parameters: Mapping[str, Any] | None = None
) -> set[str]:
    """Raw officer identifiers in the files a run reads: pings, the roster and the plan.

    Reads every identifier column (:func:`hspwork.privacy.is_identifier_column`: ``officer``,
    ``collar_no``, ``Collar No``, ``officer_id``, a radio's ``issi``, any column named in
    ``$HSPWORK_IDENTIFIER_COLUMNS``...) of the files the run reads: the ping files of
    ``parameters["pings_paths"]`` (every ``*ping*`` CSV or Parquet file of ``data_dir`` when
    not given), and the roster and the plan (``roster_path``, ``plan_path``; when not given,
    the chapters' defaults ``roster.csv`` and ``tasking_plan.csv`` if ``data_dir`` holds them).
    Relative paths are read from ``data_dir``, absolute ones where they are: the files scanned
    are the files the chapters read. These are the strings the briefings must never show.

    Parameters
    ----------
    data_dir : str or Path
        Folder that the run's relative paths are read from.
    parameters : mapping, optional
        The run's parameters (``pings_paths``, ``roster_path``, ``plan_path``).

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
    from hspwork.programme.sources import resolve

    parameters = parameters or {}
    if "pings_paths" in parameters:
        paths = [p for spec in parameters["pings_paths"].values() for p in resolve(data_dir, spec)]
    else:
        paths = sorted(Path(data_dir).glob("*ping*"))
    for key in ("roster_path", "plan_path"):
        if key in parameters:
            paths += resolve(data_dir, parameters[key])
        else:
            from hspwork.programme.parameters import PARAMETERS

            # The chapter reads its default file when the run does not name one.
            default = Path(data_dir) / PARAMETERS[key].default
            paths += [default] if default.is_file() else []
    files: list[Path] = []
    for path in paths:
        files += sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
    found: set[str] = set()
    for path in files:
        found |= _identifiers_in(path)
    found.discard("")
    return found


def _identifiers_in(path: Path) -> set[str]:
    import pyarrow.parquet as pq

    name = path.name.lower()
    if name.endswith(".parquet"):
        columns = [c for c in pq.read_schema(path).names if is_identifier_column(c)]
        if not columns:
            return set()
        table = pq.read_table(path, columns=columns)
        values = [table.column(c).to_pandas() for c in columns]
    elif name.endswith((".csv", ".csv.gz")):
        header = pd.read_csv(path, nrows=0, encoding_errors="replace").columns
        columns = [c for c in header if is_identifier_column(c)]
        if not columns:
            return set()
        # Read as text so leading zeros survive: collar "0042" is not 42.
        frame = pd.read_csv(path, usecols=columns, dtype=str, encoding_errors="replace")
        values = [frame[c] for c in columns]
    else:
        return set()
    found: set[str] = set()
    for column in values:
        found |= set(column.dropna().astype(str).str.strip().unique())
    return found

"""Tables and figures formatted for the people who read the pages: no raw floats, no NaN.

Tables are written into pages that are emailed round a force, and their text (fence names,
offence labels, team and shift names) comes from outside: every cell, index label, column name
and axis name is HTML-escaped, so a fence named ``<script>...</script>`` reads as that text
and runs nowhere.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["readable", "show"]


def readable(
    frame: pd.DataFrame,
    *,
    percent: Sequence[str] = (),
    decimals: int = 1,
    index: bool = True,
    na_rep: str = "\u2013",
    rows: int | None = None,
    file: str | None = None,
) -> Any:
    """Format a table for readers of a notebook page: no raw floats, no NaN.

    Whole numbers get thousands separators, other numbers ``decimals`` places, the ``percent``
    columns (shares in 0..1) a percentage, p-value columns (``p_value``, ``p``) three places or
    "<0.001", and missing values ``na_rep``. The data are not changed: the CSV files keep full
    precision. Text is HTML-escaped: cell values (other objects, such as a dict, as their
    text), index labels, column names and the names of both axes.

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
    rows : int, optional
        Show the first ``rows`` rows only; the table's caption then says so ("showing 10 of
        40 rows").
    file : str, optional
        The work-folder file that holds every row, named in that caption.

    Returns
    -------
    pandas.io.formats.style.Styler
        Displayed by Jupyter as an HTML table.

    Examples
    --------
    >>> t = pd.DataFrame({"crimes": [1234.0, 5.0], "share": [0.4731, None], "p_value": [0.0001, 0.2]})
    >>> html_text = readable(t, percent=["share"], index=False).to_html()
    >>> [v in html_text for v in ("1,234", "47%", "&lt;0.001", "0.200", "\u2013")]
    [True, True, True, True, True]
    >>> "showing 1 of 2 rows (all of them are in t.csv)" in readable(t, rows=1, file="t.csv").to_html()
    True
    >>> named = pd.DataFrame({"<b>": ["<script>"]}, index=pd.Index(['x" onerror="y'], name="<i>"))
    >>> page = readable(named).to_html()
    >>> [v in page for v in ("&lt;b&gt;", "&lt;script&gt;", "x&#34; onerror=&#34;y", "&lt;i&gt;")]
    [True, True, True, True]
    """
    import numpy as np

    def whole(v: Any) -> str:
        return f"{v:,.0f}"

    def number(v: Any) -> str:
        return f"{v:,.{decimals}f}"

    def share(v: Any) -> str:
        # A share that rounds to 0% but is not zero reads "<1%": "0%" would say none.
        return "&lt;1%" if 0 < v < 0.005 else f"{v:.0%}"

    def p_value(v: Any) -> str:
        return "&lt;0.001" if v < 0.001 else f"{v:.3f}"

    caption = None
    if rows is not None and len(frame) > rows:
        caption = f"showing {rows} of {len(frame):,} rows" + (
            f" (all of them are in {file})" if file else ""
        )
        frame = frame.head(rows)
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
    shown = _escaped_names(_as_text(frame))
    # escape="html" escapes text cells before formatting; the number formats write no markup.
    styler = shown.style.format(formats, na_rep=html.escape(na_rep), escape="html")
    styler = styler.format_index(escape="html", axis=0)
    styler = styler.format_index(header_label, escape="html", axis=1)
    if not index:
        styler = styler.hide(axis="index")
    if caption is not None:
        styler = styler.set_caption(html.escape(caption))
    return styler


#: Column names that read better otherwise than by the general rule of :func:`header_label`.
HEADER_LABELS = {
    "pai": "PAI",
    "gi_bin": "Gi* bin",
    "gi_z": "Gi* z-score",
    "gi_p": "Gi* p",
    "gi_sig": "Gi* significant",
    "irr": "rate ratio",
    "ci_low": "95% interval, low",
    "ci_high": "95% interval, high",
    "fence_id": "hot spot",
    "place_id": "place",
    "officer_minutes": "officer-minutes",
    "mean_speed_mps": "mean speed (m/s)",
}
_UNIT_SUFFIXES = (
    ("_minutes", " (minutes)"),
    ("_hours", " (hours)"),
    ("_days", " (days)"),
    ("_km", " (km)"),
    ("_m2", " (m\u00b2)"),
    ("_m", " (m)"),
    ("_s", " (s)"),
    ("_gbp", " (\u00a3)"),
)


def header_label(name: Any) -> Any:
    """A column name as a reader sees it: words, with the unit in brackets.

    :data:`HEADER_LABELS` names its own exceptions; other names already in words (no
    underscore) are kept; otherwise a unit suffix becomes a bracket, a leading ``n_`` (a count) goes,
    and underscores become spaces. The data keep their names: only the page changes.

    Examples
    --------
    >>> [header_label(n) for n in ("cell_size_m", "n_cells", "harm_days", "share_of_harm", "pai")]
    ['cell size (m)', 'cells', 'harm (days)', 'share of harm', 'PAI']
    >>> header_label("radius (m)"), header_label("crimes"), header_label(3)
    ('radius (m)', 'crimes', 3)
    """
    if isinstance(name, str) and name in HEADER_LABELS:
        return HEADER_LABELS[name]
    if not isinstance(name, str) or "_" not in name or " " in name:
        return name
    text, unit = name, ""
    for suffix, bracket in _UNIT_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text, unit = text[: -len(suffix)], bracket
            break
    if text.startswith("n_") and len(text) > 2:
        text = text[2:]
    return text.replace("_", " ") + unit


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text columns hold only text or missing values (a dict becomes its text).

    The Styler escapes only ``str`` cells; any other object would reach the page as its raw
    ``str()``.
    """

    def text(v: Any) -> Any:
        if v is None or isinstance(v, str | int | float | bool) or v is pd.NA or v is pd.NaT:
            return v
        return str(v)

    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object:
            out[column] = values.map(text)
    return out


def _escaped_names(frame: pd.DataFrame) -> pd.DataFrame:
    """The axis names as readers see them, escaped: the Styler writes them as they are."""

    def escape(names: Sequence[Any]) -> list[Any]:
        return [html.escape(header_label(n)) if isinstance(n, str) else n for n in names]

    frame.index = frame.index.set_names(escape(frame.index.names))
    frame.columns = frame.columns.set_names(escape(frame.columns.names))
    return frame


def show(fig: Any) -> None:
    """Show a figure once, as a static image that survives HTML export, and release it.

    In a notebook, a matplotlib figure left open is drawn twice (once when returned, once at
    the end of the cell); this displays it once and closes it.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    display(fig)
    plt.close(fig)

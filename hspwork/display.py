"""Tables and figures formatted for the people who read the pages: no raw floats, no NaN."""

from __future__ import annotations

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


def show(fig: Any) -> None:
    """Show a figure once, as a static image that survives HTML export, and release it.

    In a notebook, a matplotlib figure left open is drawn twice (once when returned, once at
    the end of the cell); this displays it once and closes it.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    display(fig)
    plt.close(fig)

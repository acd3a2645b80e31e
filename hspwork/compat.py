"""Old argument names kept for one release: they still work, with a warning naming the new one.

The glossary (docs/glossary.md) gives each word one meaning; arguments renamed to follow it
(``max_gap`` -> ``max_gap_minutes`` and so on) accept the old name until the next release.
"""

from __future__ import annotations

import warnings

from hspwork.errors import HspworkError


class _Unset:
    """The default of a deprecated argument: "not given" (None can be a real value)."""

    def __repr__(self) -> str:
        return "<not given>"


UNSET = _Unset()


def renamed(where: str, old: str, old_value, new: str, new_value, new_default, stacklevel=3):
    """The value to use for argument ``new`` when the caller may have used its old name.

    Examples
    --------
    >>> renamed("dwell", "max_gap", UNSET, "max_gap_minutes", 5.0, None)
    5.0
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     renamed("dwell", "max_gap", 4.0, "max_gap_minutes", None, None)
    ...     print(w[0].category.__name__, str(w[0].message))
    4.0
    FutureWarning dwell(max_gap=...) is deprecated and will be removed in the next release; use max_gap_minutes=... (docs/glossary.md)
    """
    if old_value is UNSET:
        return new_value
    warnings.warn(
        f"{where}({old}=...) is deprecated and will be removed in the next release; "
        f"use {new}=... (docs/glossary.md)",
        FutureWarning,
        stacklevel=stacklevel,
    )
    if not _same(new_value, new_default):
        raise HspworkError(f"{where}: give {new}= or its old name {old}=, not both")
    return old_value


def _same(a, b) -> bool:
    try:
        return bool(a is b or a == b)
    except (TypeError, ValueError):  # frames and arrays do not compare to a single truth value
        return a is b

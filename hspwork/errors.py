"""Exceptions and warnings that hspwork raises for its users.

Errors name what was received and what is allowed; warnings are their own classes so a user can
filter them (``warnings.simplefilter("error", DataDroppedWarning)`` in a strict pipeline).
"""

from __future__ import annotations


class HspworkError(ValueError):
    """Base class for input errors that a user can fix."""


class CRSError(HspworkError):
    """Geometry or coordinates without a usable coordinate reference system."""


class SchemaError(HspworkError):
    """An input lacks columns that are needed, or has values of the wrong kind."""


class HspworkWarning(UserWarning):
    """Base class for warnings that a user must read."""


class DataDroppedWarning(HspworkWarning):
    """Rows were dropped by a loader or cleaner; the attached report says which and why."""


class CRSMismatchWarning(HspworkWarning):
    """Two inputs were in different CRSs and one was converted to the other's."""

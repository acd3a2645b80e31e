"""hspwork: a hot spots policing workbench for police crime analysts.

Targeting -> geofences -> tracking -> evaluation, with tasking and briefings along the way.
This module only re-exports the public API.
"""

from hspwork.errors import (
    CRSError,
    CRSMismatchWarning,
    DataDroppedWarning,
    HspworkError,
    HspworkWarning,
    SchemaError,
)
from hspwork.harm import harm_table, harm_weights
from hspwork.io import read_crimes, read_fences, read_pings, read_streets, write_fences
from hspwork.report import LoadReport, RowLedger

__version__ = "0.1.0"

__all__ = [
    "CRSError",
    "CRSMismatchWarning",
    "DataDroppedWarning",
    "HspworkError",
    "HspworkWarning",
    "LoadReport",
    "RowLedger",
    "SchemaError",
    "harm_table",
    "harm_weights",
    "read_crimes",
    "read_fences",
    "read_pings",
    "read_streets",
    "write_fences",
]

"""A force's programme, described once: the parameter registry, the programme file, the checks.

* :mod:`hspwork.programme.parameters` - every chapter parameter: meaning, default, what is allowed;
* :mod:`hspwork.programme.file` - the commented TOML programme file (read with :mod:`tomllib`);
* :mod:`hspwork.programme.init` - ``hspwork init``: a programme file from the data it has;
* :mod:`hspwork.programme.check` - ``hspwork check``: the data read and what can run;
* :mod:`hspwork.programme.sources` and :mod:`hspwork.programme.windows` - paths, boundaries and
  windows, given or derived from the data (and said so).
"""

from hspwork.programme.check import ChapterStatus, CheckResult, check_programme
from hspwork.programme.file import Programme, read_programme, write_programme
from hspwork.programme.init import init_programme, parse_ping_spec
from hspwork.programme.parameters import (
    CHAPTERS,
    PARAMETERS,
    Parameter,
    check_parameters,
    parameters_for,
)
from hspwork.programme.sources import data_boundary, resolve, resolve_one
from hspwork.programme.windows import Window, last_whole_week, window_text

__all__ = [
    "CHAPTERS",
    "PARAMETERS",
    "ChapterStatus",
    "CheckResult",
    "Parameter",
    "Programme",
    "Window",
    "check_parameters",
    "check_programme",
    "data_boundary",
    "init_programme",
    "last_whole_week",
    "parameters_for",
    "parse_ping_spec",
    "read_programme",
    "resolve",
    "resolve_one",
    "window_text",
    "write_programme",
]

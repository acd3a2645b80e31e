"""Argument checks and the finishing step every loader shares."""

from __future__ import annotations

import pandas as pd
from pyproj import CRS

from hspwork.errors import CRSError, HspworkError
from hspwork.report import LoadReport, RowLedger, attach_report


def check_zone_and_crs(tz, crs, to_crs):
    """Check the ``tz``, ``crs`` and ``to_crs`` arguments before any work, naming a bad one."""
    if tz is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise HspworkError(
                f"tz={tz!r} is not a time zone; give an IANA name such as 'Europe/London' or 'UTC'"
            ) from None
    checked = []
    for name, value in (("crs", crs), ("to_crs", to_crs)):
        if value is None:
            checked.append(None)
            continue
        try:
            checked.append(CRS.from_user_input(value))
        except Exception:  # pyproj raises its own CRSError
            raise CRSError(
                f"{name}={value!r} is not a CRS pyproj knows; give an EPSG code such as "
                "'EPSG:27700' (British National Grid) or 'EPSG:4326' (longitude/latitude)"
            ) from None
    return tz, checked[0], checked[1]


def finish(
    frame: pd.DataFrame, ledger: RowLedger, warn: bool, report: LoadReport | None = None
) -> pd.DataFrame:
    """Attach the report (JSON form, see :func:`hspwork.report.report_of`) and warn on drops."""
    report = ledger.report() if report is None else report
    attach_report(frame, report)
    if warn:
        report.warn(stacklevel=4)
    return frame

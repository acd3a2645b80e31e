"""Daily tasking sheets: a CSV and a printable HTML page per date and shift."""

from __future__ import annotations

import html
from pathlib import Path

import geopandas as gpd
import pandas as pd

from hspwork.privacy import pseudonymise_frame
from hspwork.tasking._common import PLAN_COLUMNS, _need

# --------------------------------------------------------------------------- tasking sheets

_CSS = """
body { font-family: Arial, Helvetica, sans-serif; margin: 1.5em; color: #111; }
h1 { font-size: 1.3em; margin-bottom: 0.2em; } p.meta { color: #444; margin-top: 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.95em; }
th, td { border: 1px solid #999; padding: 4px 8px; text-align: left; }
th { background: #e8e8e8; } td.tick { width: 3em; }
@media print { body { margin: 0.5cm; } h2 { page-break-before: always; } h2.first { page-break-before: avoid; } }
"""


def write_tasking_sheets(
    plan: pd.DataFrame,
    out_dir: str | Path,
    *,
    fences: gpd.GeoDataFrame | None = None,
    tz: str = "Europe/London",
    pseudonymise: bool = True,
    key: str | bytes | None = None,
) -> pd.DataFrame:
    """Write a CSV and a printable HTML tasking sheet per date and shift.

    Times are shown in local clock time. Officers (if the plan names them) are shown as
    keyed-hash pseudonyms unless ``pseudonymise=False``. Place names come from ``fences``
    (``name`` column) when given.

    Returns
    -------
    DataFrame
        ``date``, ``shift``, ``visits``, ``csv``, ``html`` (paths written).
    """
    _need(plan, PLAN_COLUMNS, "plan")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    p = plan.copy()
    if pseudonymise and "officer" in p.columns:
        p = pseudonymise_frame(p, ["officer"], key=key)
    local = p["planned_start"].dt.tz_convert(tz)
    p["start_local"] = local.dt.strftime("%H:%M")
    p["end_local"] = (local + pd.to_timedelta(p["minutes"], unit="min")).dt.strftime("%H:%M")
    if fences is not None and "name" in fences.columns:
        names = fences.drop_duplicates("fence_id", keep="last").set_index("fence_id")["name"]
        p["place"] = p["fence_id"].map(names).fillna(p["fence_id"])
    else:
        p["place"] = p["fence_id"]
    cols = ["tasking_id", "team", *(["officer"] if "officer" in p.columns else []),
            "start_local", "end_local", "fence_id", "place", "minutes"]  # fmt: skip
    if "travel_minutes" in p.columns:
        cols += ["travel_from", "travel_minutes"]
    written = []
    for (date, shift), g in p.groupby(["date", "shift"], sort=True):
        g = g.sort_values(["team", "planned_start"])
        stem = f"tasking_{date}_{shift}"
        csv_path = out / f"{stem}.csv"
        sheet = g[cols].copy()
        if "travel_minutes" in sheet.columns:
            sheet["travel_minutes"] = sheet["travel_minutes"].round(1)
        sheet.to_csv(csv_path, index=False)
        html_path = out / f"{stem}.html"
        html_path.write_text(_sheet_html(sheet, str(date), str(shift)), encoding="utf-8")
        written.append((date, shift, len(g), str(csv_path), str(html_path)))
    return pd.DataFrame(written, columns=["date", "shift", "visits", "csv", "html"])


def _sheet_html(sheet: pd.DataFrame, date: str, shift: str) -> str:
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Tasking {esc(date)} {esc(shift)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Hot spot tasking: {esc(date)}, {esc(shift)} shift</h1>",
        f"<p class='meta'>{len(sheet)} visits. Times are local. Tick each visit when done; "
        "record why if it was not.</p>",
    ]
    heads = {"tasking_id": "Ref", "team": "Team", "officer": "Officer", "start_local": "Start",
             "end_local": "End", "fence_id": "Spot", "place": "Place", "minutes": "Minutes",
             "travel_from": "From", "travel_minutes": "Journey (min)"}  # fmt: skip
    for i, (team, g) in enumerate(sheet.groupby("team", sort=True)):
        cls = " class='first'" if i == 0 else ""
        parts.append(f"<h2{cls}>{esc(str(team))}</h2><table><thead><tr>")
        parts += [f"<th>{esc(heads.get(c, c))}</th>" for c in g.columns if c != "team"]
        parts.append("<th>Done</th></tr></thead><tbody>")
        for _, r in g.iterrows():  # one row per planned visit on a printed page
            cells = "".join(
                f"<td>{esc('' if pd.isna(r[c]) else str(r[c]))}</td>"
                for c in g.columns
                if c != "team"
            )
            parts.append(f"<tr>{cells}<td class='tick'>&#9744;</td></tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "".join(parts)

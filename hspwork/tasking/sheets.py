"""Daily tasking sheets: a CSV and a printable A4 HTML page per date and shift.

Each team has its section: how many visits and how far they walk, a small route map (a static
PNG embedded in the page, so the file prints and mails on its own), and the visits in route
order with their start, end, journey and a box to tick. The page is written by one function,
:func:`_sheet_html`, from a Jinja2 template with autoescaping: every value from the data is
escaped.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import geopandas as gpd
import pandas as pd

from hspwork.pages import render
from hspwork.privacy import pseudonymise_frame
from hspwork.safe import atomic_write, contained, neutralise_cells, safe_filename
from hspwork.tasking._common import PLAN_COLUMNS, _need
from hspwork.tasking.network import StreetNetwork

# column -> (header on the page, cell class)
_HEADS = {
    "tasking_id": ("Ref", ""),
    "officer": ("Officer", ""),
    "step": ("Route.step", "num"),
    "start_local": ("Start", "time"),
    "end_local": ("End", "time"),
    "fence_id": ("Spot", ""),
    "place": ("Place", ""),
    "travel_from": ("From", ""),
    "travel_minutes": ("Walk (min)", "num"),
}


def _png_data_uri(fig, dpi: int = 150) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def write_tasking_sheets(
    plan: pd.DataFrame,
    out_dir: str | Path,
    *,
    fences: gpd.GeoDataFrame | None = None,
    network: StreetNetwork | None = None,
    depot=None,
    tz: str = "Europe/London",
    pseudonymise: bool = True,
    key: str | bytes | None = None,
    maps: bool = True,
) -> pd.DataFrame:
    """Write a CSV and a printable A4 HTML tasking sheet per date and shift.

    Visits are listed per team in route order (``route`` and ``order`` from
    :func:`hspwork.tasking.optimise_routes`; by planned start otherwise), with the journey
    to each. With ``fences`` each team's section has a route map (``maps=False`` leaves them
    out), along ``network`` when given, and place names from the ``name`` column.
    Times are shown in local clock time. Officers (if the plan names them) are shown as
    keyed-hash pseudonyms unless ``pseudonymise=False``.

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
    routed = "route" in p.columns and "order" in p.columns
    cols = ["tasking_id", "team", *(["officer"] if "officer" in p.columns else []),
            *(["route", "order"] if routed else []),
            "start_local", "end_local", "fence_id", "place", "minutes"]  # fmt: skip
    if "travel_minutes" in p.columns:
        cols += ["travel_from", "travel_minutes"]
    written = []
    for (date, shift), g in p.groupby(["date", "shift"], sort=True):
        g = g.sort_values(["team", "route", "order"] if routed else ["team", "planned_start"])
        # Dates and shift names come from the plan: contained to the folder asked for.
        stem = f"tasking_{safe_filename(date)}_{safe_filename(shift)}"
        csv_path = contained(out, f"{stem}.csv")
        sheet = g[cols].copy()
        if "travel_minutes" in sheet.columns:
            sheet["travel_minutes"] = sheet["travel_minutes"].round(1)
        with atomic_write(csv_path) as tmp:
            neutralise_cells(sheet).to_csv(tmp, index=False)
        teams = [
            _team_section(str(team), t, plan, fences, network, depot, date, shift, maps)
            for team, t in g.groupby("team", sort=True)
        ]
        html_path = contained(out, f"{stem}.html")
        with atomic_write(html_path) as tmp:
            tmp.write_text(
                _sheet_html(date=str(date), shift=str(shift), tz=tz, visits=len(g), teams=teams),
                encoding="utf-8",
            )
        written.append((date, shift, len(g), str(csv_path), str(html_path)))
    return pd.DataFrame(written, columns=["date", "shift", "visits", "csv", "html"])


def _team_section(team, t, plan, fences, network, depot, date, shift, maps) -> dict:
    """What one team's part of a sheet shows (plain values; the template escapes them)."""
    routes = t["route"].nunique() if "route" in t.columns else 1
    parts = [f"{len(t)} visits", f"{routes} route{'s' if routes != 1 else ''}"]
    if "travel_minutes" in t.columns:
        walk = t["travel_minutes"].sum() + (
            t["return_minutes"].sum() if "return_minutes" in t else 0
        )
        text = f"{walk:.0f} minutes walking in all"
        if "time_order_travel_minutes" in t.columns:
            before = t["time_order_travel_minutes"].sum() + (
                t["time_order_return_minutes"].sum() if "time_order_return_minutes" in t else 0
            )
            text += f" ({before:.0f} in time order)"
        parts.append(text)
    map_uri = None
    if maps and fences is not None:
        from hspwork.tasking.travel import plot_route_map

        fig = plot_route_map(plan, fences, network, date=date, shift=shift, team=team,
                             depot=depot)  # fmt: skip
        map_uri = _png_data_uri(fig)
    rows = []
    for _, r in t.iterrows():  # one row per planned visit on a printed page
        cells = {
            "tasking_id": r["tasking_id"],
            "officer": r.get("officer"),
            "step": f"{r['route']}.{r['order']}" if "route" in t.columns else None,
            "start_local": r["start_local"],
            "end_local": r["end_local"],
            "fence_id": r["fence_id"],
            "place": r["place"],
            "travel_from": r.get("travel_from"),
            "travel_minutes": None if pd.isna(r.get("travel_minutes", float("nan")))
            else f"{r['travel_minutes']:.0f}",
        }  # fmt: skip
        rows.append(
            [("" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v),
              _HEADS[c][1]) for c, v in cells.items() if c in _shown(t)]
        )  # fmt: skip
    return {
        "name": team,
        "summary": "; ".join(parts) + ".",
        "map": map_uri,
        "alt": f"Route map for {team}, {shift} shift, {date}",
        "rows": rows,
        "heads": [_HEADS[c][0] for c in _HEADS if c in _shown(t)],
    }


def _shown(t: pd.DataFrame) -> list[str]:
    cols = ["tasking_id"]
    if "officer" in t.columns:
        cols.append("officer")
    if "route" in t.columns:
        cols.append("step")
    cols += ["start_local", "end_local", "fence_id", "place"]
    if "travel_minutes" in t.columns:
        cols += ["travel_from", "travel_minutes"]
    return cols


def _sheet_html(**context) -> str:
    """The whole sheet page from the template; every value is escaped by Jinja2."""
    teams = context["teams"]
    heads = teams[0]["heads"] if teams else []
    return render("tasking_sheet.html.j2", heads=heads, **context)

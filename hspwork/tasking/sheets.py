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
from jinja2 import Environment
from markupsafe import Markup

from hspwork.privacy import pseudonymise_frame
from hspwork.tasking._common import PLAN_COLUMNS, _need
from hspwork.tasking.network import StreetNetwork

_CSS = """
@page { size: A4 portrait; margin: 12mm 12mm 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: Arial, Helvetica, sans-serif; font-size: 10pt; color: #111; margin: 0; }
@media screen { body { max-width: 186mm; margin: 1.5em auto; } }
@media print { a { color: #111; text-decoration: none; } }
h1 { font-size: 14pt; margin: 0 0 1mm; }
p.meta { color: #444; margin: 0 0 3mm; }
section.team { break-before: page; page-break-before: always; }
section.team.first { break-before: avoid; page-break-before: avoid; }
h2 { font-size: 12pt; margin: 0 0 1mm; }
p.summary { margin: 0 0 2mm; }
figure.map { margin: 0 0 3mm; break-inside: avoid; page-break-inside: avoid; }
figure.map img { display: block; width: 100%; max-height: 105mm; object-fit: contain; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 1px solid #999; padding: 2px 4px; text-align: left; vertical-align: top; }
th { background: #e8e8e8; }
td.num { text-align: right; white-space: nowrap; }
td.time { white-space: nowrap; }
td.tick { width: 9mm; text-align: center; font-size: 12pt; }
td.why { width: 32mm; }
"""

_SHEET = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Tasking {{ date }} {{ shift }}</title><style>{{ css }}</style></head><body>
<h1>Hot spot tasking: {{ date }}, {{ shift }} shift</h1>
<p class="meta">{{ visits }} visits. Times are local ({{ tz }}). Walk the visits in route order;
tick each one when done, and say why when it was not.</p>
{% for team in teams %}
<section class="team{% if loop.first %} first{% endif %}">
<h2>{{ team.name }}</h2>
<p class="summary">{{ team.summary }}</p>
{% if team.map %}<figure class="map"><img alt="{{ team.alt }}" src="{{ team.map }}"></figure>{% endif %}
<table><thead><tr>{% for h in heads %}<th>{{ h }}</th>{% endfor %}<th>Done</th><th>If not, why</th></tr></thead>
<tbody>
{% for row in team.rows %}<tr>{% for cell, cls in row %}<td class="{{ cls }}">{{ cell }}</td>{% endfor %}<td class="tick">&#9744;</td><td class="why"></td></tr>
{% endfor %}</tbody></table>
</section>
{% endfor %}
</body></html>
"""

_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

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
        stem = f"tasking_{date}_{shift}"
        csv_path = out / f"{stem}.csv"
        sheet = g[cols].copy()
        if "travel_minutes" in sheet.columns:
            sheet["travel_minutes"] = sheet["travel_minutes"].round(1)
        sheet.to_csv(csv_path, index=False)
        teams = [
            _team_section(str(team), t, plan, fences, network, depot, date, shift, maps)
            for team, t in g.groupby("team", sort=True)
        ]
        html_path = out / f"{stem}.html"
        html_path.write_text(
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
    # the style sheet is ours, not data: it goes in as it is
    return _ENV.from_string(_SHEET).render(css=Markup(_CSS), heads=heads, **context)

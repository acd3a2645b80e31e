"""The sample town with hostile names: for proving that nothing in the data can run on a page.

Fence names, offence labels, team and shift names come from outside a force's analysts' control
(supplier exports, hand-typed rosters). :func:`make_hostile_sample` writes a copy of the sample
town in which one fence, one offence, one team and one shift carry the strings an attacker or a
careless supplier would send, so that ``hspwork brief`` can be run on it end to end and every
page checked: nothing from the data may run, and every string must read as the text it is.
The committed sample is only read, never changed.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd

from hspwork.errors import HspworkError

__all__ = ["HOSTILE", "make_hostile_sample"]

#: What each hostile field becomes, and the sample value it replaces.
HOSTILE = {
    "fence_name": "<script>alert(1)</script>",
    "team": 'x" onerror="alert(1)',
    "offence": "<img src=x onerror=alert(1)>",
    "shift": "early/../../../x",
}
_REPLACED = {"team": "Crew 3", "offence": "Vehicle crime", "shift": "early"}
_FENCE = "HS01"  # a treated hot spot: its name reaches chapter 2's fence table


def make_hostile_sample(out_dir: str | Path, source: str | Path | None = None) -> Path:
    """Write the sample town to ``out_dir`` with hostile fence, offence, team and shift names.

    Changes to the copy (the values are :data:`HOSTILE`):

    - ``hotspots.geojson``: the name of hot spot HS01;
    - ``crimes_force.csv``: every "Vehicle crime" committed before the programme began becomes
      the hostile offence label (chapter 1 lists the offences of the targeting window), and a
      harm table (``harm_hostile.csv``: the shipped Cambridge table with that label added at
      the weight of vehicle crime) is named in ``hspwork.toml`` so the harm figures are
      unchanged. Crimes during the programme keep their label: chapter 4 prices them with the
      shipped harm table whatever ``harm_scheme`` says, and would refuse an offence it lacks;
    - ``roster.csv`` and ``tasking_plan.csv``: team "Crew 3";
    - ``tasking_plan.csv``: shift "early", a name that is also a path outside any folder (and
      the same shift in the programme file's ``shift_hours``, which the plan's shifts must
      match).

    Parameters
    ----------
    out_dir : str or Path
        The folder to write (made if needed).
    source : str or Path, optional
        The sample town to copy; the committed ``data/sample`` of a source checkout when it is
        there, else one generated into ``out_dir`` first.

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Examples
    --------
    >>> import tempfile
    >>> folder = make_hostile_sample(tempfile.mkdtemp())  # doctest: +SKIP
    >>> "Crew 3" in (folder / "roster.csv").read_text()  # doctest: +SKIP
    False
    """
    from hspwork.harm import harm_table
    from hspwork.sample import FILES, make_sample_city

    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if source is None:
        committed = Path(__file__).resolve().parents[2] / "data" / "sample"
        source = committed if (committed / "hspwork.toml").is_file() else None
    if source is None:
        make_sample_city(out)
    else:
        for name in FILES:
            shutil.copyfile(Path(source) / name, out / name)

    path = out / "hotspots.geojson"
    fences = json.loads(path.read_text(encoding="utf-8"))
    for feature in fences["features"]:
        if feature["properties"]["fence_id"] == _FENCE:
            feature["properties"]["name"] = HOSTILE["fence_name"]
    path.write_text(json.dumps(fences), encoding="utf-8")

    # Read and written as text, so every other value keeps its exact spelling.
    crimes = pd.read_csv(out / "crimes_force.csv", dtype=str, keep_default_na=False)
    # The programme's first day, from the sample's own programme file ("YYYY-MM-DD" sorts as text).
    start = re.search(r'programme_start = "([0-9-]+)"', (out / "hspwork.toml").read_text())
    if start is None:
        raise HspworkError(f"{out / 'hspwork.toml'} names no programme_start")
    before = crimes["committed_from"] < start.group(1)
    crimes.loc[before & (crimes["offence"] == _REPLACED["offence"]), "offence"] = HOSTILE["offence"]
    crimes.to_csv(out / "crimes_force.csv", index=False, lineterminator="\n")
    table = harm_table("cambridge")
    weight = table.loc[table["offence"] == _REPLACED["offence"]].iloc[[0]]
    pd.concat([table, weight.assign(offence=HOSTILE["offence"])], ignore_index=True).to_csv(
        out / "harm_hostile.csv", index=False, lineterminator="\n"
    )

    for name in ("roster.csv", "tasking_plan.csv"):
        frame = pd.read_csv(out / name, dtype=str, keep_default_na=False)
        frame["team"] = frame["team"].replace(_REPLACED["team"], HOSTILE["team"])
        if "shift" in frame.columns:
            frame["shift"] = frame["shift"].replace(_REPLACED["shift"], HOSTILE["shift"])
        frame.to_csv(out / name, index=False, lineterminator="\n")

    # The harm table is read by the notebooks from their own working folder: give it whole.
    toml = out / "hspwork.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace(
        'harm_scheme = "cambridge"', f"harm_scheme = {json.dumps(str(out / 'harm_hostile.csv'))}"
    )
    if str(out / "harm_hostile.csv") not in text:
        raise HspworkError(f"{toml} has no harm_scheme line to point at the hostile harm table")
    # The programme's shifts carry the same name as the plan's, as a force's would.
    shift_key = f"{json.dumps(_REPLACED['shift'])} = ["
    if shift_key in text:
        text = text.replace(shift_key, f"{json.dumps(HOSTILE['shift'])} = [")
    toml.write_text(text, encoding="utf-8")
    return out

"""``hspwork check``: read the programme and its data in seconds, and say what can run.

Before an hour of notebooks starts, :func:`check_programme` reads every source the programme
names (with its counts), checks every parameter (the registry already refused bad types and
ranges when the file was read), checks the windows against the data, and lists which chapters
can run with what is present, and what each missing one needs, in plain words.

Examples
--------
>>> from hspwork.programme import check_programme
>>> result = check_programme({"crimes_path": None})
>>> result.chapters["01_targeting"].runnable
False
>>> print(result.chapters["01_targeting"].needs)
recorded crime (crimes_path)
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hspwork.errors import HspworkError
from hspwork.programme.parameters import CHAPTERS, PARAMETERS
from hspwork.programme.sources import resolve_one
from hspwork.programme.windows import Window

__all__ = ["ChapterStatus", "CheckResult", "SourceStatus", "check_programme"]

_TITLES = {
    "01_targeting": "1. Targeting",
    "02_geofences": "2. Geofences",
    "03_tracking": "3. Tracking",
    "04_evaluation": "4. Evaluation",
}


@dataclass
class SourceStatus:
    """One source the programme names: what was read, or why it could not be."""

    name: str
    given: bool
    ok: bool
    text: str
    rows: int | None = None


@dataclass
class ChapterStatus:
    """Whether a chapter can run, and if not, what it needs (plain words)."""

    chapter: str
    runnable: bool
    needs: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return _TITLES[self.chapter]


@dataclass
class CheckResult:
    """What :func:`check_programme` found."""

    values: dict[str, Any]
    sources: dict[str, SourceStatus]
    chapters: dict[str, ChapterStatus]
    problems: list[str]
    seconds: float = 0.0
    derived: dict[str, str] = field(default_factory=dict)

    @property
    def runnable(self) -> list[str]:
        """Chapters that can run, in order."""
        return [c for c in CHAPTERS if self.chapters[c].runnable]

    def summary(self) -> str:
        """The report ``hspwork check`` prints."""
        lines = ["Sources:"]
        for status in self.sources.values():
            mark = "ok " if status.ok else ("-- " if not status.given else "ERR")
            lines.append(f"  {mark} {status.name}: {status.text}")
        if self.derived:
            lines.append("Derived from the data:")
            lines += [f"  {name}: {text}" for name, text in self.derived.items()]
        lines.append("Chapters:")
        for status in self.chapters.values():
            if status.runnable:
                lines.append(f"  can run   {status.title}")
            else:
                lines.append(f"  cannot    {status.title}: needs {status.needs}")
            lines += [f"            note: {n}" for n in status.notes]
        if self.problems:
            lines.append("Problems:")
            lines += [f"  {p}" for p in self.problems]
        lines.append(f"(checked in {self.seconds:.1f} s)")
        return "\n".join(lines)


def _value(values: Mapping[str, Any], name: str) -> Any:
    return values[name] if name in values else PARAMETERS[name].default


def _read(name: str, sources: dict[str, SourceStatus], reader, describe) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = reader()
    except HspworkError as error:
        sources[name] = SourceStatus(name, True, False, str(error))
        return None
    # RuntimeError: pyogrio's errors for a file GDAL cannot open (DataSourceError) are
    # RuntimeErrors; without it a corrupt boundary, districts or streets file stopped the check.
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
        sources[name] = SourceStatus(
            name, True, False, f"could not be read: {type(error).__name__}: {error}"
        )
        return None
    text, rows = describe(frame)
    sources[name] = SourceStatus(name, True, True, text, rows)
    return frame


def _report_text(frame: pd.DataFrame) -> str:
    from hspwork.report import LoadReport

    report = frame.attrs.get("load_report")
    if isinstance(report, LoadReport):
        return report.summary()
    if isinstance(report, Mapping) and hasattr(LoadReport, "from_dict"):
        return LoadReport.from_dict(report).summary()
    return f"{len(frame):,} rows"


def _month_only(crimes: pd.DataFrame) -> bool:
    width = (crimes["occurred_to"] - crimes["occurred_from"]).dt.total_seconds()
    return bool(len(width) and (width >= 27 * 86400).mean() > 0.5)


def _span(crimes: pd.DataFrame, tz: str) -> str:
    """The local days the crimes cover, in words (a police.uk month to its last day)."""
    return Window.derive(crimes["occurred_from"], tz=tz, ends=crimes["occurred_to"]).text


def check_programme(
    values: Mapping[str, Any], *, data_dir: str | Path | None = None
) -> CheckResult:
    """Read every source of a programme and say which chapters can run.

    Parameters
    ----------
    values : mapping
        Checked parameter values (from :func:`~hspwork.programme.read_programme` or
        :func:`~hspwork.programme.parameters.check_parameters`); missing ones take their
        defaults, except the data paths, which are "not given" unless present.
    data_dir : str or Path, optional
        Folder relative paths are read from; ``values["data_dir"]`` when omitted.

    Returns
    -------
    CheckResult
    """
    import geopandas as gpd

    import hspwork
    from hspwork import fences as hf

    started = time.perf_counter()
    values = dict(values)
    base = Path(data_dir if data_dir is not None else values.get("data_dir", "."))
    tz, crs = _value(values, "tz"), _value(values, "crs")
    sources: dict[str, SourceStatus] = {}
    problems: list[str] = []
    derived: dict[str, str] = {}

    def given(name: str) -> Any:
        return values.get(name)

    def absent(name: str, what: str) -> None:
        sources[name] = SourceStatus(name, False, False, f"not given ({what})")

    def spec(name: str) -> Any:
        try:
            return resolve_one(base, given(name))
        except HspworkError as error:
            sources[name] = SourceStatus(name, True, False, str(error))
            return None

    # --- crimes
    crimes = None
    if given("crimes_path"):
        path = spec("crimes_path")
        if path is not None:

            def describe_crimes(frame: pd.DataFrame) -> tuple[str, int]:
                text = _report_text(frame)
                if len(frame):
                    text += f"; {_span(frame, tz)}"
                    if _month_only(frame):
                        text += "; month-only times (no hour-of-day or weekday profiles)"
                return text, len(frame)

            crimes = _read(
                "crimes_path",
                sources,
                lambda: hspwork.read_crimes(
                    path,
                    columns=given("crimes_columns") or None,
                    tz=tz,
                    crs=crs,
                    harm=_value(values, "harm_scheme"),
                    warn=False,
                ),
                describe_crimes,
            )
    else:
        absent("crimes_path", "recorded crime")

    # --- boundary, fences, streets
    boundary = None
    if given("boundary_path"):
        path = spec("boundary_path")
        if path is not None:
            boundary = _read(
                "boundary_path",
                sources,
                lambda: gpd.read_file(path),
                lambda b: (
                    f"{len(b)} polygon(s), CRS {b.crs.to_string() if b.crs else 'none'}",
                    len(b),
                ),
            )
    else:
        absent("boundary_path", "the area the crimes cover is drawn instead")
    fences = None
    if given("fences_path"):
        path = spec("fences_path")
        if path is not None:
            fences = _read(
                "fences_path",
                sources,
                lambda: hf.from_file(path),
                lambda f: (
                    f"{f['fence_id'].nunique()} fences; roles "
                    + ", ".join(f"{k} {v}" for k, v in f["role"].value_counts().items()),
                    len(f),
                ),
            )
    else:
        absent("fences_path", "chapter 1's chosen places become the fences")
    if given("districts_path"):
        path = spec("districts_path")
        if path is not None:
            _read("districts_path", sources, lambda: gpd.read_file(path),
                  lambda d: (f"{len(d)} districts", len(d)))  # fmt: skip
    else:
        absent("districts_path", "the 3D harm map drills down to hot spots only")
    if given("streets_path"):
        path = spec("streets_path")
        if path is not None:
            _read("streets_path", sources, lambda: gpd.read_file(path),
                  lambda s: (f"{len(s):,} street lines", len(s)))  # fmt: skip
    else:
        absent("streets_path", "the fence editor shows no streets")

    # --- pings, plan, roster
    pings_given = given("pings_paths") or {}
    ping_rows: dict[str, pd.DataFrame] = {}
    for source, paths in pings_given.items():
        name = f"pings_paths.{source}"
        try:
            path = resolve_one(base, paths)
        except HspworkError as error:
            sources[name] = SourceStatus(name, True, False, str(error))
            continue
        frame = _read(
            name,
            sources,
            lambda path=path, source=source: hspwork.read_pings(
                path, source=source, columns=given("pings_columns") or None, tz=tz, crs=crs,
                warn=False,
            ),
            lambda p: (_report_text(p) + f"; {p['officer'].nunique()} officers", len(p)),
        )  # fmt: skip
        if frame is not None:
            ping_rows[source] = frame[["officer", "time"]]
    if not pings_given:
        absent("pings_paths", "officer locations")
    plan = None
    if given("plan_path"):
        path = spec("plan_path")
        if path is not None:
            plan = _read(
                "plan_path",
                sources,
                lambda: pd.read_csv(path, dtype=str),
                lambda p: (f"{len(p):,} planned visits, columns {list(p.columns)}", len(p)),
            )
            if plan is not None:
                from hspwork.tasking import PLAN_COLUMNS

                missing = [c for c in PLAN_COLUMNS if c not in plan.columns]
                if missing:
                    sources["plan_path"].ok = False
                    sources["plan_path"].text += f"; lacks column(s) {missing}"
                    plan = None
    else:
        absent("plan_path", "the tasking plan")
    roster = None
    if given("roster_path"):
        path = spec("roster_path")
        if path is not None:
            roster = _read(
                "roster_path",
                sources,
                lambda: pd.read_csv(path, dtype=str),
                lambda r: (
                    f"{len(r)} officers in {r['team'].nunique() if 'team' in r else 0} teams",
                    len(r),
                ),
            )
            if roster is not None and not {"officer", "team"} <= set(roster.columns):
                sources["roster_path"].ok = False
                sources[
                    "roster_path"
                ].text += f"; needs columns officer, team (has {list(roster.columns)})"
                roster = None
    else:
        absent("roster_path", "who is in which team")

    for status in sources.values():
        if status.given and not status.ok:
            problems.append(f"{status.name}: {status.text}")

    # --- windows against the data
    chapters = {c: ChapterStatus(c, True) for c in CHAPTERS}
    programme_start = given("programme_start")
    if programme_start is None and fences is not None:
        from hspwork.fences.formats import UNDATED_FENCES_FROM

        dated = fences["valid_from"][fences["valid_from"] > UNDATED_FENCES_FROM]
        if len(dated):
            programme_start = str(dated.min().tz_convert(tz).date())
            derived["programme_start"] = f"{programme_start} (the fences' first start date)"
    if crimes is not None and len(crimes):
        end = given("targeting_end") or programme_start
        try:
            window = Window.derive(
                crimes["occurred_from"], tz=tz, start=given("targeting_start"), end=end,
                what="the crimes", ends=crimes["occurred_to"],
            )  # fmt: skip
            inside = int(window.contains(crimes["occurred_from"]).sum())
            if window.note:
                derived["targeting window"] = f"{window.text} ({window.note})"
            if inside == 0:
                problems.append(
                    f"the targeting window ({window.text}) holds none of the crimes, which run "
                    f"from {_span(crimes, tz)}; set targeting_start and "
                    "targeting_end inside that span, or leave them empty to use it all"
                )
                chapters["01_targeting"] = ChapterStatus(
                    "01_targeting", False, "a targeting window that holds crimes"
                )
        except HspworkError as error:
            problems.append(f"targeting window: {error}")
            chapters["01_targeting"] = ChapterStatus("01_targeting", False, str(error))
    if boundary is None and crimes is not None and len(crimes) and not given("boundary_path"):
        from hspwork.programme.sources import BOUNDARY_RULE

        derived["boundary"] = BOUNDARY_RULE.format(ratio=0.1, margin_m=250.0)

    # --- chapters
    if crimes is None or not len(crimes):
        for chapter in ("01_targeting", "02_geofences", "04_evaluation"):
            chapters[chapter] = ChapterStatus(chapter, False, "recorded crime (crimes_path)")
    if not chapters["01_targeting"].runnable and fences is None:
        if chapters["02_geofences"].runnable:
            chapters["02_geofences"] = ChapterStatus(
                "02_geofences",
                False,
                "chapter 1's chosen places, or the programme's fences (fences_path)",
            )
    needs = []
    if not chapters["02_geofences"].runnable:
        needs.append("fences from chapter 2")
    if not ping_rows:
        needs.append("officer locations (pings_paths: app, radio, vehicle or handheld exports)")
    if plan is None:
        needs.append("a tasking plan (plan_path: one row per planned visit)")
    elif "officer" not in plan.columns and roster is None:
        needs.append("a team roster (roster_path: CSV officer, team), as the plan tasks teams")
    if needs:
        chapters["03_tracking"] = ChapterStatus("03_tracking", False, "; ".join(needs))
    elif week := given("week_start"):
        times = pd.concat([p["time"] for p in ping_rows.values()])
        start = pd.Timestamp(week).tz_localize(tz).tz_convert("UTC")
        if not ((times >= start) & (times < start + pd.Timedelta(days=7))).any():
            problems.append(f"week_start {week}: the location data hold no pings that week")
    needs = []
    notes = []
    if not chapters["02_geofences"].runnable:
        needs.append("fences from chapter 2")
    # Without fences of its own the programme's fences are chapter 1's chosen places, all
    # patrolled: a chosen set, evaluated against matched comparison places found among
    # chapter 1's micro places. Control fences make it a trial or a roll-out instead.
    roles = set(fences["role"].astype(str)) if fences is not None else {"treatment"}
    if "treatment" not in roles:
        needs.append(
            "fences with role treatment, the patrolled places (fences_path with a role "
            f"column, or roles set in chapter 2); the fences have roles {sorted(roles)}"
        )
    elif "control" not in roles:
        if not chapters["01_targeting"].runnable:
            if chapters["02_geofences"].runnable:
                needs.append(
                    "chapter 1's micro places, among which a chosen set of places finds its "
                    "matched comparison places (the fences have no control places)"
                )
        else:
            notes.append(
                "no control places: evaluated as a chosen set, against matched comparison "
                "places from chapter 1's micro places"
            )
    if programme_start is None:
        needs.append("the programme's start date (programme_start)")
    elif crimes is not None and len(crimes):
        start = pd.Timestamp(programme_start).tz_localize(tz).tz_convert("UTC")
        if not (crimes["occurred_from"] >= start).any():
            needs.append(f"recorded crime after the programme start ({programme_start})")
    if needs:
        chapters["04_evaluation"] = ChapterStatus("04_evaluation", False, "; ".join(needs))
    else:
        chapters["04_evaluation"].notes.extend(notes)
        if not chapters["03_tracking"].runnable:
            chapters["04_evaluation"].notes.append(
                "without chapter 3's patrol times the cost section and 'How long should "
                "visits be?' are left out"
            )
    return CheckResult(values, sources, chapters, problems, time.perf_counter() - started, derived)

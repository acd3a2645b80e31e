"""The programme's windows at their edges: local days, the day after the last, whole weeks.

A window is half-open, ``[start, end)``, in the programme's local days: a force writing
``targeting_start = 2025-03-30`` and ``targeting_end = 2025-03-31`` means the one day 30 March,
which in London runs from 00:00 GMT to 23:00 UTC (the clocks go forward at 01:00 GMT). Each
expected date, instant and sentence below is worked out by hand from the calendar in the
comment: October 2025 has Mondays on the 13th, 20th and 27th, and British Summer Time runs from
30 March 01:00 UTC to 26 October 01:00 UTC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from hspwork.errors import HspworkError
from hspwork.programme import Window, last_whole_week, read_programme, window_text
from hspwork.programme.windows import local_day

LONDON = "Europe/London"


def utc(*stamps: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(stamps), utc=True, format="ISO8601"))


def test_the_programme_files_windows_are_its_local_days(tmp_path):
    path = tmp_path / "hspwork.toml"
    path.write_text(
        '[data]\ntz = "Europe/London"\n'
        "[windows]\nprogramme_start = 2025-09-01\nprogramme_end = 2025-11-30\n",
        encoding="utf-8",
    )
    v = read_programme(path).values
    w = Window.from_dates(v["programme_start"], v["programme_end"], tz=v["tz"])
    # 1 Sep 2025 is in summer time: local midnight is 23:00 UTC the day before; 30 Nov is GMT
    assert w.start_utc == pd.Timestamp("2025-08-31 23:00", tz="UTC")
    assert w.end_utc == pd.Timestamp("2025-11-30 00:00", tz="UTC")
    assert w.start_utc.unit == "ns" and w.end_utc.unit == "ns"
    # September 30 + October 31 + November 29 (the 30th is the day after) = 90 days
    assert w.days == 90
    assert w.text == "1 Sep 2025 to 29 Nov 2025"
    assert w.note == ""


def test_a_window_of_the_spring_forward_day_is_one_day_of_23_hours():
    w = Window.from_dates("2025-03-30", "2025-03-31", tz=LONDON)
    assert w.days == 1 and w.text == "30 Mar 2025"
    assert w.end_utc - w.start_utc == pd.Timedelta(hours=23)
    two = Window.from_dates(dt.date(2025, 3, 30), dt.date(2025, 4, 1), tz=LONDON)
    assert two.days == 2 and two.text == "30 Mar 2025 to 31 Mar 2025"


@pytest.mark.parametrize(
    ("start", "end"), [("2025-09-01", "2025-09-01"), ("2025-09-02", "2025-09-01")]
)
def test_a_window_that_does_not_end_after_it_starts_is_refused(start, end):
    with pytest.raises(HspworkError) as caught:
        Window.from_dates(start, end, tz=LONDON)
    assert str(caught.value) == (
        f"a window must end after it starts; got {start} to {end} (the end is the day after the "
        "last day counted)"
    )


def test_the_time_zone_and_the_wording_are_named_in_each_call():
    # keyword-only: a time zone cannot be taken for a date, nor a fix for a description
    with pytest.raises(TypeError):
        Window.from_dates("2025-09-01", "2025-09-02", LONDON)
    with pytest.raises(TypeError):
        Window.derive(CRIMES, LONDON)
    w = Window.from_dates("2025-09-01", "2025-09-02", tz=LONDON)
    with pytest.raises(TypeError):
        w.keep(pd.DataFrame({"at": CRIMES}), "at", "crimes", "set targeting_start")


def test_a_window_is_fixed_once_made():
    w = Window.from_dates("2025-09-01", "2025-09-02", tz=LONDON)
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.tz = "UTC"


def test_the_window_holds_its_first_instant_and_not_the_day_after():
    w = Window.from_dates("2025-10-26", "2025-10-27", tz=LONDON)  # the clocks go back: 25 hours
    # local midnight 26 Oct is 25 Oct 23:00 UTC (BST); midnight 27 Oct is 27 Oct 00:00 UTC (GMT)
    times = utc(
        "2025-10-25 22:59:59.999999999",
        "2025-10-25 23:00:00",
        "2025-10-26 23:59:59.999999999",
        "2025-10-27 00:00:00",
    )
    assert w.contains(times).tolist() == [False, True, True, False]
    frame = pd.DataFrame({"at": times, "n": [1, 2, 3, 4]})
    assert w.keep(frame, "at", what="pings", fix="x")["n"].tolist() == [2, 3]
    with pytest.raises(HspworkError) as caught:
        w.keep(frame.iloc[[0, 3]], "at", what="pings", fix="set week_start")
    assert str(caught.value) == "no pings in the window (26 Oct 2025); set week_start"


def test_local_day_of_a_naive_and_an_aware_time():
    # naive: read as local already
    assert local_day("2025-10-26 23:30", LONDON) == pd.Timestamp("2025-10-26", tz=LONDON)
    # 19 Oct 23:30 UTC is 20 Oct 00:30 BST: the local day is the Monday
    assert local_day(pd.Timestamp("2025-10-19 23:30", tz="UTC"), LONDON) == pd.Timestamp(
        "2025-10-20", tz=LONDON
    )


def test_window_text_of_one_and_two_days():
    assert window_text(pd.Timestamp("2025-03-30"), pd.Timestamp("2025-03-31")) == "30 Mar 2025"
    assert window_text(pd.Timestamp("2025-03-30"), pd.Timestamp("2025-04-01")) == (
        "30 Mar 2025 to 31 Mar 2025"
    )


# ------------------------------------------------------------------------------ derived windows

CRIMES = utc("2024-01-03 10:00", "2024-03-30 23:30")  # 23:30 GMT: the local day is 30 March


def test_both_ends_derived_from_the_data_are_its_span():
    w = Window.derive(CRIMES, tz=LONDON, what="the crimes")
    assert (w.start.date(), w.end.date()) == (dt.date(2024, 1, 3), dt.date(2024, 3, 31))
    assert w.note == "derived: the crimes' span"


def test_data_ending_on_the_day_the_clocks_go_back_keep_that_day():
    # 26 Oct 2025 lasts 25 hours in London: its local midnight plus 24 hours is 23:00 the same
    # day, so the day after must be counted on the calendar, not in hours
    crimes = utc("2025-10-20 10:00", "2025-10-26 18:00")
    w = Window.derive(crimes, tz=LONDON)
    assert w.end.date() == dt.date(2025, 10, 27) and w.text == "20 Oct 2025 to 26 Oct 2025"
    assert w.contains(crimes).tolist() == [True, True]


def test_one_end_given_and_the_other_derived():
    w = Window.derive(CRIMES, tz=LONDON, start="2024-02-01", what="the crimes")
    assert (w.start.date(), w.end.date()) == (dt.date(2024, 2, 1), dt.date(2024, 3, 31))
    assert w.note == "end derived from the crimes"
    w = Window.derive(CRIMES, tz=LONDON, end="2024-03-01", what="the crimes")
    assert (w.start.date(), w.end.date()) == (dt.date(2024, 1, 3), dt.date(2024, 3, 1))
    assert w.note == "start derived from the crimes"


def test_both_ends_given_need_no_data():
    w = Window.derive(utc(), tz=LONDON, start="2024-01-01", end="2024-02-01")
    assert (w.start.date(), w.end.date(), w.note) == (dt.date(2024, 1, 1), dt.date(2024, 2, 1), "")


def test_an_end_to_derive_from_no_dated_rows_is_refused_naming_it():
    with pytest.raises(HspworkError) as caught:
        Window.derive(utc(), tz=LONDON, what="the crimes")
    assert str(caught.value) == (
        "the window's start and end must be given: the crimes hold no dated rows to derive it from"
    )
    with pytest.raises(HspworkError) as caught:
        Window.derive(
            pd.Series([pd.NaT], dtype="datetime64[ns, UTC]"), tz=LONDON, start="2024-01-01"
        )
    assert str(caught.value) == (
        "the window's end must be given: the data hold no dated rows to derive it from"
    )


def test_police_uk_months_run_to_the_next_months_start():
    months = pd.Series(pd.to_datetime(["2024-01-01", "2024-03-01"]).tz_localize(LONDON))
    w = Window.derive(months, tz=LONDON, ends=months + pd.DateOffset(months=1))
    # March runs to 1 April 00:00: its last instant is 31 March, so the window ends on 1 April
    assert (w.start.date(), w.end.date()) == (dt.date(2024, 1, 1), dt.date(2024, 4, 1))


def test_a_time_window_ending_one_nanosecond_after_midnight_covers_that_midnight():
    start = pd.Series([pd.Timestamp("2024-03-31 12:00", tz=LONDON)])
    ends = pd.Series([pd.Timestamp("2024-04-01", tz=LONDON) + pd.Timedelta(1, "ns")])
    w = Window.derive(start, tz=LONDON, ends=ends)
    # [31 Mar 12:00, 1 Apr 00:00:00.000000001) holds the instant 1 Apr 00:00: 1 April is covered
    assert w.end.date() == dt.date(2024, 4, 2)


def test_an_end_not_after_its_start_leaves_the_span_alone():
    times = utc("2024-01-03 10:00", "2024-03-30 10:00")
    # the second row's end is before its start (bad data): its own time still counts
    ends = utc("2024-01-03 10:00", "2024-03-01 00:00")
    w = Window.derive(times, tz=LONDON, ends=ends)
    assert w.end.date() == dt.date(2024, 3, 31)


# ------------------------------------------------------------------------------ whole weeks


def week_of(first: str, last: str) -> pd.Series:
    """Hourly pings from local midnight of ``first`` to 23:00 local on ``last``."""
    stamps = pd.date_range(f"{first} 00:00", f"{last} 23:00", freq="h", tz=LONDON)
    return pd.Series(stamps.tz_convert("UTC"))


def test_a_week_of_data_monday_to_sunday_is_the_whole_week():
    # Mon 20 Oct to Sun 26 Oct: the day after is Mon 27; 27 - 7 = Mon 20
    assert last_whole_week(week_of("2025-10-20", "2025-10-26"), LONDON) == dt.date(2025, 10, 20)


def test_data_ending_on_a_saturday_give_the_week_before():
    # Mon 13 Oct to Sat 25 Oct: the week of the 20th lacks its Sunday; the day after is Sun 26,
    # 26 - 7 = Sun 19, back to its Monday: 13 Oct
    assert last_whole_week(week_of("2025-10-13", "2025-10-25"), LONDON) == dt.date(2025, 10, 13)


def test_data_ending_on_a_monday_give_the_week_just_ended():
    # Wed 15 Oct to Mon 27 Oct: the day after is Tue 28, 28 - 7 = Tue 21, its Monday the 20th
    assert last_whole_week(week_of("2025-10-15", "2025-10-27"), LONDON) == dt.date(2025, 10, 20)


def test_data_without_a_whole_week_are_refused_naming_their_days():
    with pytest.raises(HspworkError) as caught:
        last_whole_week(week_of("2025-10-20", "2025-10-25"), LONDON)  # Monday to Saturday
    assert str(caught.value) == (
        "the data (2025-10-20 to 2025-10-25) hold no whole Monday-to-Sunday week; give week_start"
    )
    with pytest.raises(HspworkError) as caught:
        last_whole_week(pd.Series([pd.NaT], dtype="datetime64[ns, UTC]"), LONDON)
    assert str(caught.value) == "no dated rows to find a whole week in; give week_start"

"""The weekly performance page, for the performance meeting.

The page is read by a chief inspector in five minutes: its first screen answers compliance
against target (this week and its trend), what was missed and why (suspected location-data
faults apart from missed patrols), crime and harm in treated against control places, and what
to do next; the analysts' methods, test results and cautions follow below.

- :mod:`~hspwork.briefing.weekly.assemble` works out what the page says from the work folder's
  tables (numbers and plain words, no HTML);
- :mod:`~hspwork.briefing.weekly.figures` draws the figures at print size (no text under 8 pt,
  legends clear of the bars);
- :mod:`~hspwork.briefing.weekly.page` writes the page through the autoescaping template
  ``weekly.html.j2`` (:func:`hspwork.pages.render`).
"""

from hspwork.briefing.weekly.assemble import exception_kinds
from hspwork.briefing.weekly.page import weekly_briefing, weekly_briefing_from_work

__all__ = ["exception_kinds", "weekly_briefing", "weekly_briefing_from_work"]

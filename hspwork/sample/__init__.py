"""A deterministic sample city with planted truths, for teaching, notebooks and tests.

``make_sample_city(out_dir, seed=20251101)`` writes a fictional town in British National Grid
("Sampleton"): streets, beats, two years and three months of crimes (a force export and the
open police.uk format), a 40-spot hot spots trial with a planted 20% effect, a tasking plan,
officer pings from phone apps and Airwave radios, and ``ground_truth.json`` with every number
that was planted. ``python -m hspwork.sample --out data/sample`` does the same from a shell.
:func:`write_police_uk_archive` (``--archive DIR``) writes the crimes again as a force's open-data
download: a police.uk archive folder of monthly files.

Examples
--------
>>> from hspwork.sample import OFFENCE_GROUPS, POLICE_UK_TYPE
>>> len(OFFENCE_GROUPS), len(set(POLICE_UK_TYPE.values()))
(17, 13)
"""

from hspwork.sample.archive import ArchiveSummary, write_police_uk_archive
from hspwork.sample.city import DEFAULT_SEED, FILES, SampleSummary, load_truth, make_sample_city
from hspwork.sample.crimes import OFFENCE_GROUPS, POLICE_UK_TYPE

__all__ = [
    "DEFAULT_SEED",
    "FILES",
    "OFFENCE_GROUPS",
    "POLICE_UK_TYPE",
    "ArchiveSummary",
    "SampleSummary",
    "load_truth",
    "make_sample_city",
    "write_police_uk_archive",
]

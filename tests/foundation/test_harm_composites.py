"""The police.uk composite harm weights equal the mix their own rows state."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

from hspwork.harm import harm_table

MIX = re.compile(r"(\d+)% ([a-z -]+?) \((\d+)\)")


def _composites():
    t = harm_table()
    rows = t[(t["scheme"] == "police_uk") & t["basis"].str.contains("mix:")]
    return [(r.offence, r.harm_days, r.basis) for r in rows.itertuples()]


@pytest.mark.parametrize(("offence", "days", "basis"), _composites())
def test_composite_weight_is_its_stated_mix(offence, days, basis):
    parts = MIX.findall(basis)
    assert len(parts) >= 2, basis
    shares = np.array([float(p[0]) for p in parts]) / 100
    weights = np.array([float(p[2]) for p in parts])
    # the shares describe the whole category
    assert_allclose(shares.sum(), 1.0, atol=1e-9)
    # the stated component weights are the force-group rows' weights
    t = harm_table()
    force = t[t["scheme"] == "force_group"].set_index("offence")["harm_days"]
    names = {
        "with injury": "Violence with injury",
        "without injury": "Violence without injury",
        "other sexual": "Sexual offences",
        "rape": "Rape",
        "residential": "Residential burglary",
        "non-residential": "Non-residential burglary",
        "criminal damage": "Criminal damage",
        "arson": "Arson",
    }
    for (_, name, w), expected in zip(parts, weights):
        assert force[names[name.strip()]] == float(w) == expected
    # the weight is the mix, rounded to whole days
    assert abs(days - shares @ weights) <= 0.5, (offence, days, shares @ weights)


def test_violence_and_sexual_offences_by_hand():
    t = harm_table()
    row = t[(t["scheme"] == "police_uk") & (t["offence"] == "Violence and sexual offences")]
    # 0.30*365 + 0.58*10 + 0.10*182 + 0.02*2555 = 109.5 + 5.8 + 18.2 + 51.1 = 184.6
    assert_allclose(row["harm_days"].iloc[0], 185.0)


def test_own_table_with_unusable_weights_is_refused_by_name():
    import pandas as pd

    from hspwork.errors import SchemaError

    bad = pd.DataFrame({"offence": ["Robbery", "Theft", "Arson"], "harm_days": ["365", "ten", ""]})
    with pytest.raises(
        SchemaError, match=r"harm_days must be a number of days >= 0.*'Theft': 'ten'.*'Arson'"
    ):
        harm_table(bad)
    neg = pd.DataFrame({"offence": ["Robbery"], "harm_days": [-5]})
    with pytest.raises(SchemaError, match=r"'Robbery': -5"):
        harm_table(neg)

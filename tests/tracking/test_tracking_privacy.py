"""Keyed-hash pseudonyms: an independent HMAC gives the same tokens."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from hspwork.errors import HspworkError
from hspwork.privacy import pseudonym_key, pseudonymise, pseudonymise_frame

KEY = "programme-2025-sampleton-key"


def test_tokens_are_hmac_sha256_prefix():
    want = "OFF-" + hmac.new(KEY.encode(), b"4157", hashlib.sha256).hexdigest()[:8]
    got = pseudonymise(["4157", "4157", None, "3883"], key=KEY)
    assert got[0] == got[1] == want
    assert pd.isna(got[2]) and got[3] != want
    assert pseudonymise(["4157"], key=KEY + "-other")[0] != want  # another programme, another token
    assert pseudonymise(["4157"], key=KEY, prefix="PC", length=10)[0].startswith("PC-")


def test_key_from_environment_and_refusals(monkeypatch):
    monkeypatch.setenv("HSPWORK_PSEUDONYM_KEY", KEY)
    assert pseudonymise(["4157"])[0] == pseudonymise(["4157"], key=KEY)[0]
    monkeypatch.delenv("HSPWORK_PSEUDONYM_KEY")
    with pytest.raises(HspworkError, match="no pseudonym key"):
        pseudonymise(["4157"])
    with pytest.raises(HspworkError, match="has 5 bytes; at least 16"):
        pseudonym_key("short")
    with pytest.raises(HspworkError, match=r"length=2: allowed 4\.\.64"):
        pseudonymise(["1"], key=KEY, length=2)


def test_frame_keeps_index_and_other_columns():
    df = pd.DataFrame(
        {"officer": ["a", "b"], "delivered_by": ["b", None], "minutes": [1.0, 2.0]}, index=[10, 20]
    )
    out = pseudonymise_frame(df, ["officer", "delivered_by", "absent"], key=KEY)
    assert out.index.tolist() == [10, 20] and out["minutes"].tolist() == [1.0, 2.0]
    assert out.loc[20, "officer"] == out.loc[10, "delivered_by"]
    assert pd.isna(out.loc[20, "delivered_by"])
    assert df["officer"].tolist() == ["a", "b"]  # the input is not changed


def test_two_officers_sharing_a_token_is_refused():
    # 3,000 collar numbers into 16**4 = 65,536 four-digit tokens: the expected number of
    # clashing pairs is C(3000, 2) / 65,536 = 68.6, and the chance of none is below 1e-29
    # (birthday bound). The independent HMAC below finds the clash first, so the test does not
    # rest on luck; then pseudonymise must refuse rather than merge two officers.
    ids = [str(4000 + k) for k in range(3000)]
    short = [hmac.new(KEY.encode(), i.encode(), hashlib.sha256).hexdigest()[:4] for i in ids]
    assert len(set(short)) < len(ids)
    with pytest.raises(HspworkError, match=r"3000 identifiers gave colliding 4-digit tokens"):
        pseudonymise(ids, key=KEY, length=4)
    # the same officers at 16 digits: no clash (checked independently), one token each
    long = {hmac.new(KEY.encode(), i.encode(), hashlib.sha256).hexdigest()[:16] for i in ids}
    assert len(long) == len(ids)
    out = pseudonymise(ids, key=KEY, length=16)
    assert out.nunique() == len(ids)
    assert out[0] == "OFF-" + hmac.new(KEY.encode(), b"4000", hashlib.sha256).hexdigest()[:16]

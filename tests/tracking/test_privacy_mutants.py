"""Boundaries and loops of the pseudonyms that mutation testing found untested.

Each token is checked against an independent HMAC-SHA256 computed here.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from hspwork.errors import HspworkError
from hspwork.privacy import (
    pseudonym_key,
    pseudonymise,
    pseudonymise_frame,
    pseudonymise_identifiers,
)

KEY = "programme-2025-sampleton-key"


def token(value: str, length: int = 8, key: str = KEY) -> str:
    return "OFF-" + hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()[:length]


@pytest.mark.parametrize("empty", ["", b""])
def test_an_empty_key_is_no_key(empty, monkeypatch):
    monkeypatch.delenv("HSPWORK_PSEUDONYM_KEY", raising=False)
    with pytest.raises(HspworkError, match="no pseudonym key"):
        pseudonym_key(empty)


def test_a_key_of_exactly_sixteen_bytes_is_enough():
    assert pseudonym_key("k" * 16) == b"k" * 16
    with pytest.raises(HspworkError, match="has 15 bytes"):
        pseudonym_key("k" * 15)


@pytest.mark.parametrize("length", [4, 64])
def test_lengths_four_and_sixty_four_are_allowed(length):
    got = pseudonymise(["4157"], key=KEY, length=length)[0]
    assert got == token("4157", length)
    assert len(got) == 4 + length  # "OFF-" and the hex digits


@pytest.mark.parametrize("length", [3, 65])
def test_lengths_outside_four_to_sixty_four_are_refused(length):
    with pytest.raises(HspworkError, match=f"length={length}: allowed"):
        pseudonymise(["4157"], key=KEY, length=length)


def test_identifier_columns_after_other_columns_are_still_pseudonymised():
    df = pd.DataFrame({"minutes": [5.0], "team": ["B"], "officer": ["PC1"]})
    out = pseudonymise_identifiers(df, key=KEY)
    assert out["officer"].tolist() == [token("PC1")]
    assert out["team"].tolist() == ["B"]


def test_a_column_already_tokens_does_not_stop_the_next_one():
    df = pd.DataFrame({"officer": [token("PC1")], "collar_no": ["4512"]})
    out = pseudonymise_identifiers(df, key=KEY)
    assert out["officer"].tolist() == [token("PC1")]  # left as it was
    assert out["collar_no"].tolist() == [token("4512")]


def test_pseudonymise_frame_replaces_the_named_columns():
    df = pd.DataFrame({"officer": ["PC1", "PC2"], "minutes": [10.0, 5.0]})
    out = pseudonymise_frame(df, key=KEY)
    assert out["officer"].tolist() == [token("PC1"), token("PC2")]
    assert df["officer"].tolist() == ["PC1", "PC2"]  # the input is not changed
    assert out.attrs["pseudonymised"] == ["officer"]

"""The top-level API: every advertised name resolves and is documented."""

import inspect
import subprocess
import sys

import pytest

import hspwork


@pytest.mark.parametrize("name", hspwork.__all__)
def test_public_name_resolves_and_has_a_docstring(name):
    obj = getattr(hspwork, name)
    if inspect.isfunction(obj) or inspect.isclass(obj):
        assert inspect.getdoc(obj), f"hspwork.{name} has no docstring"


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'gi_star'"):
        hspwork.gi_star  # noqa: B018


def test_assign_names_do_not_clash():
    from hspwork.evaluation import assign as evaluation_assign
    from hspwork.units import assign as units_assign

    assert hspwork.assign is units_assign
    assert hspwork.assign_places is evaluation_assign


def test_import_is_light():
    # Reading crimes must not pull in statsmodels, the map widgets or numba kernels.
    code = "import sys, hspwork; hspwork.read_crimes; print(sorted(m for m in ('statsmodels', 'ipyleaflet', 'numba') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

"""The wheel carries the notebooks and templates, and works outside the source checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    # A copy of the checkout, so the build leaves nothing behind in the working tree.
    src = out / "src"
    ignore = shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "test-artifacts",
                                    "__pycache__", "node_modules", "work", "briefings")  # fmt: skip
    shutil.copytree(ROOT, src, ignore=ignore, symlinks=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(src)],
        check=True,
    )  # fmt: skip
    return next(out.glob("hspwork-*.whl"))


@pytest.mark.slow
def test_wheel_holds_the_notebooks_templates_and_widget_code(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for chapter in ("01_targeting", "02_geofences", "03_tracking", "04_evaluation"):
        assert f"hspwork/notebooks/{chapter}.ipynb" in names
    assert "hspwork/templates/index.html.j2" in names
    assert "hspwork/templates/nbconvert/offline/index.html.j2" in names
    assert "hspwork/templates/nbconvert/offline/conf.json" in names
    assert "hspwork/widgets/static/harm3d.js" in names
    assert "hspwork/data/harm_cambridge.csv" in names
    # One copy in the repository: the package's folder points at the top-level notebooks/.
    assert (ROOT / "hspwork" / "notebooks").is_symlink()


@pytest.mark.slow
def test_installed_wheel_runs_init_and_check_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
    )  # fmt: skip
    exports = tmp_path / "exports"
    exports.mkdir()
    shutil.copy(ROOT / "data/sample/crimes_police_uk.csv", exports / "street.csv")
    env = {**os.environ, "PYTHONPATH": str(target)}
    script = (
        "import hspwork, sys; from hspwork.cli import main; "
        "from hspwork.briefing import default_notebook_dir; "
        "print(hspwork.__file__); print(default_notebook_dir()); "
        "sys.exit(main(sys.argv[1:]))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, "init", "prog", "--crimes", "exports/street.csv"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    installed, notebooks = run.stdout.splitlines()[:2]
    assert installed.startswith(str(target)) and notebooks.startswith(str(target))
    check = subprocess.run(
        [sys.executable, "-c", script, "check", "--config", "prog/hspwork.toml"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert "can run   1. Targeting" in check.stdout

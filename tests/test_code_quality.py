"""ruff and mypy --strict stay clean on the package (run as part of the suite)."""

import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).parent.parent


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed, but CI must run it (pip install -e '.[dev]')")
        pytest.skip(f"{name} is not installed here (pip install -e '.[dev]' brings it)")
    return path


def test_ruff_finds_nothing():
    result = subprocess.run(
        [_tool("ruff"), "check", "simulator", "tests", "benchmarks", "notebooks", "examples", "tools"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict_finds_nothing():
    result = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_package_is_marked_as_typed():
    assert (ROOT / "simulator" / "py.typed").exists()

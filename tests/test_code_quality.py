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


# The checker (simulator/capture/checker/) reads as RFC steps: no function over 80 lines or of cyclomatic
# complexity 20 or more (radon's measure; issue 23 split four functions of complexity 47 to 96 into steps).
CHECKER_LINES, CHECKER_COMPLEXITY = 80, 20


def checker_functions() -> dict[str, tuple[int, int]]:
    """Every function and method of the checker package: (lines, cyclomatic complexity)."""
    radon = pytest.importorskip("radon.complexity", reason="radon is in the dev extra: pip install -e '.[dev]'")
    found = {}
    for path in sorted((ROOT / "simulator" / "capture" / "checker").glob("*.py")):
        for block in radon.cc_visit(path.read_text()):
            for function in [block, *getattr(block, "methods", [])]:
                if not hasattr(function, "methods"):  # a function or a method, not a class
                    found[f"{path.stem}.{function.name}"] = (
                        function.endline - function.lineno + 1,
                        function.complexity,
                    )
    return found


def test_no_checker_function_is_over_80_lines_or_of_complexity_20():
    found = checker_functions()
    assert len(found) > 50  # (the package is there, and radon reads it)
    too_big = {name: size for name, size in found.items() if size[0] > CHECKER_LINES or size[1] >= CHECKER_COMPLEXITY}
    assert not too_big, f"(lines, complexity) over the limits: {too_big}"

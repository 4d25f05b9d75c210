"""README.md stays true: CI runs its test command, and its examples run."""

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    command = 'pip install -e ".[dev]" && python -m pytest'
    assert command in README
    assert command in ci.splitlines()


def test_the_readme_lists_every_built_in_scenario():
    from simulator import builtin_names

    for name in builtin_names():
        assert re.search(rf"^{name}\s", README, re.MULTILINE), name


def test_the_python_examples_in_the_readme_run():
    blocks = re.findall(r"```python\n(.*?)```", README, re.DOTALL)
    assert blocks
    for block in blocks:
        subprocess.run([sys.executable, "-c", block], check=True, capture_output=True, cwd=ROOT)

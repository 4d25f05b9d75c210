"""README.md stays true and short: CI runs its test command, its examples run, and its links lead somewhere."""

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


def test_the_readme_gives_the_set_up_command_and_the_quick_loop():
    assert "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && tcpsim demo" in README
    assert 'python -m pytest -m "not slow and not live and not notebooks and not external"' in README


def test_the_readme_is_a_short_guide():
    lines = len(README.splitlines())
    assert lines <= 300, f"README.md has {lines} lines; the detail belongs in docs/ (at most 300 here)"


def test_the_python_examples_in_the_readme_run():
    # The README may have none; the docs' examples are run by tests/test_docs.py.
    for block in re.findall(r"```python\n(.*?)```", README, re.DOTALL):
        subprocess.run([sys.executable, "-c", block], check=True, capture_output=True, cwd=ROOT)


def test_every_relative_link_in_the_readme_leads_to_a_file():
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    relative = [t for t in targets if not re.match(r"[a-z]+:", t) and not t.startswith("#")]
    assert relative
    missing = [t for t in relative if not (ROOT / t.split("#")[0]).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"

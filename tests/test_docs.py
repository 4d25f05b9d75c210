"""The documentation site (mkdocs.yml, docs/) builds without a warning, every page is in the nav, and its examples
are true: the Python runs and every built-in scenario is listed."""

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).parent.parent
DOCS = ROOT / "docs"
MKDOCS_YML = (ROOT / "mkdocs.yml").read_text()
PAGES = sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md"))


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.DOTALL)


def _nav() -> list[str]:
    """The files the nav of mkdocs.yml names."""
    nav = MKDOCS_YML.split("\nnav:\n", 1)[1]
    return re.findall(r"([\w./-]+\.(?:md|ipynb))\s*$", nav, re.MULTILINE)


def _mkdocs() -> None:
    """Skip where the docs extra is not installed, but fail under CI, which must build the site."""
    missing = [name for name in ("mkdocs", "material", "mkdocs_jupyter") if importlib.util.find_spec(name) is None]
    if missing:
        message = f"{', '.join(missing)} not installed here (pip install -e '.[docs]' brings them)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}, but CI must build the documentation site")
        pytest.skip(message)


def test_the_site_builds_strictly_without_a_warning(tmp_path):
    _mkdocs()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    site = tmp_path / "site"
    # the lessons and the diagrams come from where they live in the repository, not from copies under docs/
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert (site / "notebooks" / notebook.stem / "index.html").exists(), notebook.name
    assert (site / "diagrams" / "lost_syn-ladder.svg").exists()
    assert not (site / "hooks").exists(), "the build hook is no page of the site"
    assert not (site / "overrides").exists(), "the theme override is no page of the site"


def test_every_page_is_in_the_nav():
    nav = _nav()
    assert "index.md" in nav
    missing = [page for page in PAGES if page not in nav and not page.startswith("hooks/")]
    assert not missing, f"pages not in the nav of mkdocs.yml: {missing}"


def test_every_lesson_is_in_the_nav_and_nothing_in_the_nav_is_missing():
    nav = _nav()
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"notebooks/{notebook.name}" in nav, notebook.name
    repository_files = {"CHANGELOG.md"}  # added to the build by docs/hooks/repo_files.py, as the lessons are
    for entry in nav:
        where = ROOT / entry if entry in repository_files or entry.startswith("notebooks/") else DOCS / entry
        assert where.exists(), f"mkdocs.yml names {entry}, which does not exist"


def test_the_scenarios_page_lists_every_built_in_scenario():
    from simulator import builtin_names

    page = (DOCS / "guide" / "scenarios.md").read_text()
    for name in builtin_names():
        assert re.search(rf"^{name}\s", page, re.MULTILINE), name


def test_the_scenario_file_reference_gives_every_key_a_scenario_may_set():
    from simulator.sim import scenario

    page = (DOCS / "reference" / "scenario-file.md").read_text()
    keys = scenario._ENDPOINT_KEYS | scenario._LINK_KEYS | scenario._TOP_KEYS | scenario._BOTTLENECK_KEYS
    keys |= scenario._FAULT_KEYS | scenario._INJECT_KEYS
    missing = sorted(key for key in keys if not re.search(rf"(?<![\w-]){key}(?![\w-])", page))
    assert not missing, f"docs/reference/scenario-file.md does not show {missing}"


def test_the_scenario_file_reference_example_loads_as_a_scenario():
    from simulator.sim.scenario import parse

    page = (DOCS / "reference" / "scenario-file.md").read_text()
    example = re.findall(r"```toml\n(.*?)```", page, re.DOTALL)[0]
    scenario = parse(example, source="scenario-file.md")
    assert [spec.name for spec in scenario.endpoints] == ["client", "server"]


@pytest.mark.parametrize("page", [page for page in PAGES if _python_blocks((DOCS / page).read_text())])
def test_the_python_examples_on_a_page_run(page):
    for block in _python_blocks((DOCS / page).read_text()):
        result = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 0, f"{page}:\n{block}\n{result.stderr}"


def test_there_are_python_examples_to_run():
    blocks = [block for page in PAGES for block in _python_blocks((DOCS / page).read_text())]
    assert blocks

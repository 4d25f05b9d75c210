"""The course: every notebook runs top to bottom (students' and instructor's copies), outputs are
never committed, and the committed files are exactly what notebooks/build.py writes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook extra is not installed: pip install -e '.[dev]'")
nbclient = pytest.importorskip("nbclient", reason="the notebook extra is not installed: pip install -e '.[dev]'")

ROOT = Path(__file__).parent.parent
FOLDER = ROOT / "notebooks"
STUDENT = sorted(FOLDER.glob("*.ipynb"))
INSTRUCTOR = sorted((FOLDER / "instructor").glob("*.ipynb"))


def execute(path: Path, tmp_path: Path) -> nbformat.NotebookNode:
    book = nbformat.read(path, as_version=4)
    # files a lesson writes (captures) go to tmp_path, not into the repository
    client = nbclient.NotebookClient(
        book, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    return book


def test_there_are_seven_lessons_with_an_instructor_copy_each():
    assert len(STUDENT) == 7
    assert [p.name for p in INSTRUCTOR] == [p.name for p in STUDENT]


@pytest.mark.parametrize("path", STUDENT + INSTRUCTOR, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_notebooks_are_stored_without_outputs(path):
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path.name} has stored outputs"


def test_the_committed_notebooks_are_what_the_builder_writes(tmp_path):
    sys.path.insert(0, str(FOLDER))
    try:
        import build
    finally:
        sys.path.remove(str(FOLDER))
    for written in build.build(tmp_path):
        committed = FOLDER / written.relative_to(tmp_path)
        assert committed.read_text() == written.read_text(), f"{committed} is stale: run python notebooks/build.py"


@pytest.mark.parametrize("path", STUDENT + INSTRUCTOR, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_notebook_runs_top_to_bottom(path, tmp_path):
    book = execute(path, tmp_path)
    text = "\n".join(
        out.get("text", "") for cell in book.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
    )
    if path.parent.name == "instructor":
        assert "not answered yet" not in text and "✗ not quite" not in text
    else:
        assert "not answered yet" in text  # the questions wait for the student

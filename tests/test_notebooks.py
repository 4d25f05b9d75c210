"""The course: every notebook runs top to bottom (students' and instructor's copies), outputs are
never committed, and the committed files are exactly what notebooks/build.py writes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.notebooks

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


def test_there_are_eight_lessons_with_an_instructor_copy_each():
    assert len(STUDENT) == 8
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


def test_the_stepper_shows_a_panel_and_a_static_step_for_renders_without_widgets():
    pytest.importorskip("ipywidgets")
    from simulator.present.notebook import Stepper

    bundle = Stepper("lost_syn_ack")._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    static = bundle["text/html"]
    assert "<svg" in static and "step 16 of 16" in static and "SND.NXT" in static


def test_without_ipywidgets_the_stepper_is_a_static_figure(monkeypatch):
    from simulator.present.notebook import Stepper

    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets now fails
    bundle = Stepper("three_way_handshake")._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"} and "install ipywidgets" in bundle["text/plain"]
    assert "<svg" in bundle["text/html"]


def test_the_stepper_buttons_move_one_step_and_the_knobs_run_again():
    pytest.importorskip("ipywidgets")
    from simulator.present.notebook import Stepper

    stepper = Stepper("data_transfer")
    panel = stepper.widget()
    back, forward = panel.children[0].children[1], panel.children[0].children[2]
    slider, html = panel.children[0].children[4], panel.children[2]
    total = stepper.steps
    back.click()
    assert slider.value == total - 1 and f"step {total - 1} of {total}" in html.value
    forward.click()
    forward.click()  # cannot go past the end
    assert slider.value == total
    knobs, rerun = panel.children[1].children[:-1], panel.children[1].children[-1]
    next(k for k in knobs if k.description == "loss").value = 0.3
    rerun.click()
    assert slider.value == 0 and "step 0 of" in html.value
    assert any(e.kind == "drop" for e in stepper.trace.events)  # the new run lost segments

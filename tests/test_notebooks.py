"""The course: every notebook runs top to bottom (students' and instructor's copies), outputs are
never committed, and the committed files are exactly what notebooks/build.py writes."""

from __future__ import annotations

import json
import re
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
    first, back, forward, last = panel.children[0].children[:4]
    slider, html = panel.children[0].children[4], panel.children[1]
    total = stepper.steps
    last.click()
    back.click()
    assert slider.value == total - 1 and f"step {total - 1} of {total}" in html.value
    forward.click()
    forward.click()  # cannot go past the end
    assert slider.value == total
    first.click()
    assert slider.value == 0
    knobs, rerun = panel.children[2].children[:-1], panel.children[2].children[-1]
    next(k for k in knobs if k.description == "loss").value = 0.3
    rerun.click()
    assert slider.value == 0 and "step 0 of" in html.value
    assert any(e.kind == "drop" for e in stepper.trace.events)  # the new run lost segments


# ------------------------------------------------------------ issue 24, items 9 and 10
def test_the_stepper_opens_at_the_first_step_so_the_first_click_moves():
    pytest.importorskip("ipywidgets")
    from simulator.present.notebook import Stepper

    stepper = Stepper("three_way_handshake")
    panel = stepper.widget()
    slider, forward, html = panel.children[0].children[4], panel.children[0].children[2], panel.children[1]
    assert slider.value == 0
    forward.click()
    assert slider.value == 1 and "step 1 of 13" in html.value


def test_the_stepper_knobs_start_from_the_scenarios_own_settings_and_keep_them():
    pytest.importorskip("ipywidgets")
    from simulator.present import notebook as nb

    stepper = nb.Stepper(nb.scenario("data_transfer", loss=0.2, seed=7))
    panel = stepper.widget()
    knobs = {k.description: k for k in panel.children[2].children[:-1]}
    assert knobs["loss"].value == pytest.approx(0.2)
    assert knobs["seed"].value == 7 and knobs["client ISN"].value == 1000
    assert knobs["server window"].style.description_width == "initial"  # the label is not cut
    knobs["seed"].value = 8
    panel.children[2].children[-1].click()  # run again: a new seed, the same loss
    assert nb.scenario("data_transfer", loss=0.2, seed=8).run().to_json() == stepper.trace.to_json()


def test_the_stepper_buttons_need_no_emoji_font():
    pytest.importorskip("ipywidgets")
    from simulator.present.notebook import Stepper

    buttons = Stepper("three_way_handshake").widget().children[0].children[:4]
    assert all(ord(ch) < 0x2600 for b in buttons for ch in b.description)


@pytest.mark.parametrize(
    ("answer", "expected", "right"),
    [(1, 1.0, True), ("1", 1.0, True), ("7.0", 7, True), (7.0004, 7.0, False), ("SF", "SF", True), (True, 1, False)],
)
def test_check_compares_numbers_by_value(answer, expected, right, capsys):
    from simulator.present.notebook import check

    assert check("q", answer, expected) is right
    out = capsys.readouterr().out
    assert ("✓ right" in out) is right


def test_check_segment_can_keep_its_reason_for_a_later_question(capsys):
    from simulator.present import notebook as nb

    trace = nb.run("three_way_handshake")
    nb.check_segment(trace, 2, "flags", "SA", why=False)
    assert "Why" not in capsys.readouterr().out  # the reason tells the ack, asked next
    nb.check_segment(trace, 2, "ack", 1)
    assert "Why: server answers the SYN" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("lesson", "question", "answers"),
    [
        ("04_loss_and_retransmission", "time of the fourth SYN", ["7.0"]),
        ("06_simulation_vs_reality", "conforms", ["conforms to the model"]),
        ("06_simulation_vs_reality", "Zeek state", ["Zeek state SF"]),
        ("06_simulation_vs_reality", "rows that agree", ["rows agree"]),
    ],
)
def test_no_answer_is_printed_above_its_question(lesson, question, answers, tmp_path):
    """Issue 24, item 9: lessons 4 and 6 printed the answers just above their questions."""
    book = execute(FOLDER / f"{lesson}.ipynb", tmp_path)
    code = [c for c in book.cells if c.cell_type == "code"]
    asked = next(i for i, c in enumerate(code) if f"check({question!r}" in c.source)
    above = "\n".join(out.get("text", "") for c in code[:asked] for out in c.get("outputs", []))
    assert not any(a in above for a in answers), question
    assert "why='0 + 1 + 2 + 4'" not in "".join(c.source for c in code)


def test_lesson_6_writes_its_files_into_a_temporary_folder(tmp_path):
    book = execute(FOLDER / "06_simulation_vs_reality.ipynb", tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing in the folder the notebook runs in
    printed = "\n".join(
        out.get("text", "") for c in book.cells if c.cell_type == "code" for out in c.get("outputs", [])
    )
    assert "tcpsim-lesson6-" in printed
    folder = re.search(r"\S*tcpsim-lesson6-[^/\s]+", printed)
    assert folder is not None and not Path(folder.group()).exists()  # gone when the kernel stopped

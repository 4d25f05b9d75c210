"""A lesson in a real JupyterLab, driven by Debian's Chromium through Selenium (issue 24, item 10).

The server listens on 127.0.0.1 only, with a token, in a folder of its own; the browser is the
system's (chromium and chromium-driver from Debian, as .ci/run installs them: no download).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.notebooks, pytest.mark.external, pytest.mark.slow]

ROOT = Path(__file__).parent.parent
LESSON = ROOT / "notebooks" / "01_three_way_handshake.ipynb"
TOKEN = "tcpsim-browser-test"


def _needed():
    missing = [tool for tool in ("chromium", "chromedriver") if shutil.which(tool) is None]
    try:
        import jupyterlab  # noqa: F401
        import selenium  # noqa: F401
    except ImportError as exc:
        missing.append(exc.name or "a Python package")
    if missing:
        message = f"the browser test needs {', '.join(missing)} (apt-get install chromium chromium-driver; pip install selenium jupyterlab)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lesson_with_two_answers(folder: Path) -> Path:
    """Lesson 1 with one question answered right (6.0 for 6: a number by value) and one wrong."""
    book = json.loads(LESSON.read_text())
    cells = [c for c in book["cells"] if c["cell_type"] == "code"]
    value = next(c for c in cells if "check('segments in the simultaneous open'" in "".join(c["source"]))
    value["source"] = "".join(value["source"]).replace("answer = None", "answer = 6.0")
    flags = next(c for c in cells if "check_segment(trace, 2, 'flags'" in "".join(c["source"]))
    flags["source"] = "".join(flags["source"]).replace("answer = None", 'answer = "FIN"')
    path = folder / "lesson.ipynb"
    path.write_text(json.dumps(book))
    return path


@pytest.fixture
def lab(tmp_path):
    _needed()
    _lesson_with_two_answers(tmp_path)
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--ServerApp.token={TOKEN}",
            f"--ServerApp.root_dir={tmp_path}",
            f"--LabApp.app_settings_dir={ROOT / 'jupyter'}",  # the course's setting, as the docs start it
            "--LabApp.news_url=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("JupyterLab did not start")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture
def browser():
    _needed()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _menu(driver, menu: str, item: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.XPATH, f"//div[contains(@class,'lm-MenuBar-itemLabel') and text()='{menu}']").click()
    driver.find_element(By.XPATH, f"//div[contains(@class,'lm-Menu-itemLabel') and text()='{item}']").click()


def _text(driver) -> str:
    return driver.find_element("css selector", ".jp-NotebookPanel").text


def _wait_for(driver, predicate, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"the page never showed {what}")
        time.sleep(0.3)


def test_a_lesson_in_jupyterlab_steps_checks_answers_and_reopens(lab, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{lab}/lab/tree/lesson.ipynb?token={TOKEN}")
    _wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"), "the notebook")
    _wait_for(browser, lambda: "Idle" in browser.find_element(By.CSS_SELECTOR, "body").text, "an idle kernel")
    _menu(browser, "Run", "Run All Cells")
    forward = "//button[normalize-space()='▶']"
    _wait_for(browser, lambda: browser.find_elements(By.XPATH, forward), "the stepper's buttons")
    _wait_for(browser, lambda: "step 0 of 13" in _text(browser), "the stepper at its first step")

    def panel() -> str:
        return browser.find_element(By.XPATH, forward + "/ancestor::div[contains(@class,'widget-vbox')][1]").text

    browser.find_element(By.XPATH, forward).click()
    _wait_for(browser, lambda: "step 1 of 13" in panel(), "step 1 after one click")
    browser.find_element(By.XPATH, forward).click()
    browser.find_element(By.XPATH, forward).click()
    _wait_for(browser, lambda: "step 3 of 13" in panel(), "step 3")
    assert "SYN seq=0" in panel() and "SYN-SENT" in panel()  # the ladder and the TCB changed
    browser.find_element(By.XPATH, "//button[normalize-space()='◀']").click()
    _wait_for(browser, lambda: "step 2 of 13" in panel(), "step 2 after one click back")

    _wait_for(browser, lambda: "segments in the simultaneous open: ✓ right" in _text(browser), "the right verdict")
    assert "segment 2, flags: ✗ not quite: it is SYN,ACK" in _text(browser)

    _menu(browser, "File", "Save Notebook")
    time.sleep(2)
    _menu(browser, "Kernel", "Shut Down Kernel")
    time.sleep(2)
    browser.get(f"{lab}/lab/tree/lesson.ipynb?token={TOKEN}&reset")
    _wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"), "the saved notebook")
    time.sleep(5)
    seen = _text(browser)
    assert "Error displaying widget" not in seen, "a student reopening the lesson sees an error, not the stepper"
    assert "step 2 of 13" in seen  # the stepper as it was left, from the saved state

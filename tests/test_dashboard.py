"""The dashboard and the HTML report in a real browser: Debian's Chromium, driven by Playwright (no browser download).

Skips, saying why, where Chromium (apt-get install chromium), Playwright or Solara is missing.
"""

import contextlib
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MINI = ROOT / "tests" / "fixtures" / "mini.yaml"
RUNS = 200  # the dashboard's default number of replicates (negsim.dashboard.RUNS_DEFAULT)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium: apt-get install chromium (Debian's package)")
playwright = pytest.importorskip("playwright.sync_api", reason="no Playwright: pip install -e '.[test]'")
pytest.importorskip("solara", reason="no Solara: pip install -e '.[dashboard]'")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, proc, log: Path, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"the dashboard exited with {proc.returncode}: {log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.3)
    raise AssertionError("the dashboard did not start listening within a minute")


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    port = _free_port()
    negsim = Path(sys.executable).with_name("negsim")
    log = tmp_path_factory.mktemp("dashboard") / "server.log"  # a file, not a pipe: a full pipe would stall the server
    with open(log, "w") as out:
        proc = subprocess.Popen([str(negsim), "dashboard", str(MINI), "--port", str(port)], stdout=out,
                                stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"))  # fmt: skip
    try:
        _wait_for(port, proc, log)
        yield Server(f"http://127.0.0.1:{port}/", log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


class Server(str):
    """The dashboard's address, with the file its server writes to (for the message of a failing wait)."""

    def __new__(cls, url: str, log: Path):
        self = super().__new__(cls, url)
        self.log = log
        return self


def _wait(page, selector: str, timeout: int, log: Path, console: list[str]) -> None:
    """``page.wait_for_selector``; a timeout fails with what the page shows, what its console said and the server's log."""
    try:
        page.wait_for_selector(selector, timeout=timeout)
    except playwright.Error as e:
        shown = "(unreadable)"
        with contextlib.suppress(playwright.Error):
            shown = re.sub(r"\s+", " ", page.inner_text("body"))[:2000]
        raise AssertionError(
            f"{selector!r} not shown within {timeout / 1000:g} s: {e}\n"
            f"the page shows: {shown}\n"
            f"its console: {console[-20:]}\n"
            f"the server's log: {log.read_text()[-3000:] if log.exists() else '(none)'}"
        ) from None


COUNT = re.compile(r"([\d,]+) / ([\d,]+) replicates")


def _count(page) -> tuple[int, int] | None:
    """The dashboard's count of replicates done ("120 / 200 replicates") as numbers, or None while it is not shown."""
    with contextlib.suppress(playwright.Error):
        if page.locator(".negsim-count").count():
            m = COUNT.fullmatch(page.locator(".negsim-count").first.inner_text().strip())
            if m:
                return int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))
    return None


def _watch_count(page, until, seconds: float = 120) -> list[tuple[int, int]]:
    """The counts the page shows, polled every 100 ms until ``until()`` holds (the last read after it holds)."""
    seen, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        finished = until()
        c = _count(page)
        if c is not None and (not seen or seen[-1] != c):
            seen.append(c)
        if finished:
            break
        page.wait_for_timeout(100)
    return seen


def _agreement(page) -> str:
    row = page.locator("tr", has_text="P(agreement)").first
    return re.sub(r"\s+", " ", row.inner_text()).strip()


def test_the_dashboard_runs_moves_a_slider_and_shows_new_probabilities_and_a_survival_plot(browser, dashboard):
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    outside = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:http://127.0.0.1"))
            else None
        ),
    )
    console = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"page error: {e}"))
    page.goto(dashboard, timeout=60_000)
    _wait(page, "text=P(agreement)", 120_000, dashboard.log, console)
    _wait(page, f"text={RUNS} / {RUNS} replicates", 10_000, dashboard.log, console)
    assert _count(page) == (RUNS, RUNS)  # the count of the first run ends at N / N
    before = _agreement(page)
    assert re.search(r"P\(agreement\) \d+\.\d% \[\d+\.\d%, \d+\.\d%\]", before), before
    assert page.locator("text=Survival of the pact").count() == 1 and page.locator("img").count() >= 2
    slider = page.locator(".v-input", has_text="actors.RUS.reservation").locator("[role=slider]").first
    slider.focus()
    slider.press("End")  # the slider's maximum: Russia needs more than mini's package gives it
    _wait(page, "text=actors.RUS.reservation=1", 60_000, dashboard.log, console)

    def table_replaced() -> bool:  # the new run replaces the table when it is done
        with contextlib.suppress(playwright.Error):
            return bool(page.locator("tr", has_text="P(agreement)").count()) and _agreement(page) != before
        return False

    counts = _watch_count(page, table_replaced)
    after = _agreement(page)
    assert after != before, (before, after)
    assert counts and counts[-1] == (RUNS, RUNS) == _count(page), counts  # the count ends at N / N and stays there
    assert all(total == RUNS for _, total in counts) and [n for n, _ in counts] == sorted(n for n, _ in counts), counts
    assert page.locator("text=Survival of the pact").count() == 1 and page.locator("img").count() >= 2
    out = ROOT / "results" / "dashboard.png"
    out.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(out), full_page=False)
    assert out.stat().st_size > 10_000
    assert outside == [], outside  # nothing is fetched from a network


def test_the_html_report_renders_in_the_browser(browser, tmp_path):
    from negsim.cli import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["run", str(MINI), "--runs", "40", "-q", "--out", str(tmp_path / "r")]) == 0
        assert main(["report", str(tmp_path / "r")]) == 0
    page = browser.new_page()
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file://", "data:")) else None)
    page.goto((tmp_path / "r" / "report.html").as_uri())
    assert page.locator("h2", has_text="Headline probabilities").count() == 1
    assert page.locator("svg").count() >= 3
    box = page.locator("svg").first.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100  # drawn, not an empty element
    assert outside == []

"""The web app end to end: `assistant ui` on 127.0.0.1 over a small analysed store, driven in headless Chromium
(Debian's package, via the playwright library; `make browser` installs it). Saves a screenshot of each page:
to docs/screenshots/ with UPDATE_SCREENSHOTS=1 (`make screenshots`), else to a temporary folder, so a test
run leaves the working tree clean."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import WEB_NOW, _free_port, wait_until_serving

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = (Path(__file__).resolve().parent.parent / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS")
         else Path(tempfile.gettempdir()) / "assistant-screenshots")
WAIT = 60_000  # ms: a shared 2-core CI machine can be slow to answer the first event


@pytest.fixture(scope="module")
def app_url(analysed_web_store, tmp_path_factory):
    """`assistant ui` in a subprocess on a free port, over a private copy of the analysed sample store."""
    root = tmp_path_factory.mktemp("web-e2e")
    shutil.copytree(analysed_web_store, root / "store")
    port = _free_port()
    env = {**os.environ, "ASSISTANT_STORE": str(root / "store"), "ASSISTANT_EMBEDDER": "hashing",
           "ASSISTANT_LLM_BACKEND": "none", "ASSISTANT_NOW": WEB_NOW, "GRADIO_ANALYTICS_ENABLED": "False"}
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "ui", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    wait_until_serving(url, proc, root / "server.log", "the web app", timeout=120, poll=0.5, request_timeout=2,
                       tail=3000)
    yield url
    proc.send_signal(signal.SIGTERM)  # Gradio stops on SIGTERM (not SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    assert "Traceback" not in (root / "server.log").read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(WAIT)
    page.goto(app_url, wait_until="load")
    yield page
    context.close()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def choose_file(page, component: str, path: Path) -> None:
    """Put a file in a File component and wait until the page shows it.

    With the machine under heavy load, the file chosen first was not picked up in 2 of about 10 full runs
    (the cause was not found; the same test alone never failed); choosing it again is what a user would do."""
    for attempt in range(3):
        page.locator(f"{component} input[type=file]").set_input_files(str(path))
        try:
            page.locator(component).get_by_text(path.name).wait_for(timeout=20_000)
            return
        except Exception:
            if attempt == 2:
                raise


def screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(800)  # let charts finish their transition
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_chat_answers_with_clickable_citations(page):
    page.locator("#chat-backend").get_by_text("none").wait_for()
    question = page.locator("#chat-question textarea")
    question.fill("What do customers say about pricing?")
    question.press("Enter")
    bot = page.locator('[data-testid="bot"]').filter(has_text="[1]").last
    bot.wait_for()
    assert "price" in bot.inner_text().lower()
    sources = page.locator("#chat-sources label")
    sources.nth(2).wait_for()
    assert sources.count() >= 3 and sources.first.inner_text().startswith("[1]")
    sources.nth(1).click()
    card = page.locator("#chat-card .feedback-card")
    page.wait_for_function("() => document.querySelector('#chat-card .feedback-id')?.textContent.length > 1")
    assert sources.nth(1).inner_text()[5:15] in card.inner_text() or "Sentiment" in card.inner_text()
    for field in ("Date", "Channel", "Customer", "Sentiment", "Category", "Theme"):
        assert field in card.inner_text()
    # the picture shows the question and the tool call, not the end of the answer
    page.evaluate("() => document.querySelectorAll('#chat-bot *').forEach(e => {"
                  " if (e.scrollHeight > e.clientHeight + 4) e.scrollTop = 0; })")
    screenshot(page, "chat")


def test_dashboard_charts_have_data(page):
    open_tab(page, "Dashboard")
    page.locator("#dashboard-summary").get_by_text("items").first.wait_for()
    for chart in ("#chart-volume", "#chart-channels", "#chart-languages"):
        page.locator(f"{chart} .mark-rect path").first.wait_for()
        assert page.locator(f"{chart} .mark-rect path").count() > 3, chart
    for chart in ("#chart-negative", "#chart-sentiment"):
        page.locator(f"{chart} .mark-line path").first.wait_for()
    rows = page.locator("#dashboard-demands [role=row][data-index]")
    assert rows.count() >= 5
    third = page.locator('#dashboard-demands [data-testid="cell-2-2"]')
    label = third.inner_text().strip()
    third.click()
    page.locator("#dashboard-breakdown h3").get_by_text(label).wait_for()  # that demand's breakdown
    assert "importance" in page.locator("#dashboard-breakdown").inner_text()
    screenshot(page, "dashboard")

    # a filter applies to every chart: one category left in the volume chart's legend
    page.locator("#dashboard-status")  # present before applying
    since = page.get_by_label("From").first
    since.fill("2026-09-01")
    page.locator("#dashboard-apply").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#chart-volume [aria-roledescription=axis]')]"
        ".some(a => (a.getAttribute('aria-label') || '').includes('2026-08-31'))")


def test_several_sessions_at_once(browser, app_url):
    """Three browser sessions open the dashboard together; each gets its charts."""
    contexts = [browser.new_context(viewport={"width": 1200, "height": 900}) for _ in range(3)]
    try:
        pages = [context.new_page() for context in contexts]
        for page in pages:
            page.set_default_timeout(WAIT)
            page.goto(app_url, wait_until="load")
        for page in pages:
            open_tab(page, "Dashboard")
        for page in pages:
            page.locator("#chart-volume .mark-rect path").first.wait_for()
            assert "items" in page.locator("#dashboard-summary").inner_text()
    finally:
        for context in contexts:
            context.close()


def test_explore_searches_and_exports(page):
    open_tab(page, "Explore")
    page.locator("#explore-table [role=row][data-index]").nth(4).wait_for()
    page.locator("#explore-query textarea, #explore-query input").first.fill("配送太慢了")
    page.locator("#explore-search").click()
    page.locator("#explore-status").get_by_text("nearest to").wait_for()
    page.locator('#explore-table [data-testid="cell-0-10"]').click()
    page.locator('#explore-table [data-testid="cell-0-0"]').get_by_text("✓").wait_for()
    page.locator("#explore-export").click()
    page.locator("#explore-status").get_by_text("Exported 1 item to").wait_for()
    screenshot(page, "explore")


def test_upload_a_csv_and_see_it_counted(page, tmp_path):
    open_tab(page, "Data")
    stats = page.locator("#data-stats")
    stats.get_by_text("items in").wait_for()
    before = int(stats.inner_text().split(" items")[0].replace(",", "").strip())
    upload = tmp_path / "web_upload.csv"
    upload.write_text("text,date,customer\n"
                      "The delivery was two hours late and the box was warm,2026-11-07,C7001\n"
                      "配送太慢了，菜都不新鲜了,2026-11-07,C7002\n"
                      "Checkout crashed twice,yesterday-ish,C7003\n", encoding="utf-8")
    choose_file(page, "#data-files", upload)
    page.locator("#data-ingest").click()
    page.locator("#data-summary").get_by_text("added").wait_for()
    summary = page.locator("#data-summary").inner_text()
    assert "added 2" in summary and "rejected 1" in summary
    page.locator("#data-rejected [role=gridcell]").get_by_text("web_upload.csv").first.wait_for()
    stats.get_by_text(f"{before + 2:,} items").wait_for()
    screenshot(page, "data")


def test_draft_a_reply(page):
    open_tab(page, "Replies")
    page.locator("#replies-item input").click()
    page.get_by_role("option").first.click()
    page.locator("#replies-card .feedback-card").wait_for()
    page.locator("#replies-history [role=row][data-index]").first.wait_for()
    page.locator("#replies-draft").click()
    page.wait_for_function("() => (document.querySelector('#replies-text textarea')?.value || '').length > 40")
    page.locator("#replies-status").get_by_text("backend").wait_for()
    screenshot(page, "replies")


def test_plan_and_record_an_action(page):
    open_tab(page, "Plans")
    page.locator("#plans-breakdown").get_by_text("Priority").wait_for()
    page.locator("#plans-draft").click()
    page.wait_for_function("() => (document.querySelector('#plans-text textarea')?.value || '').length > 40")
    page.locator("#plans-date input, #plans-date textarea").first.fill("2026-09-21")
    page.locator("#plans-record").click()
    page.locator('#plans-effects [data-testid="cell-0-1"]').get_by_text("2026-09-21").wait_for()
    verdict = page.locator('#plans-effects [data-testid="cell-0-7"]').inner_text()
    assert len(verdict) > 30  # the measured effect in plain words
    screenshot(page, "plans")

"""A real server and a real browser: the app on 127.0.0.1 (a free port, a temporary SQLite database
seeded with the demo data) and Debian's Chromium driven by Playwright.

Where Chromium or Playwright is missing or cannot start, every browser test is skipped with the cause.
axe-core is read from ``AXE_CORE_JS`` or ``node_modules/axe-core/axe.min.js`` (npm install, ignored by git).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(os.environ.get("AXE_CORE_JS", ROOT / "node_modules" / "axe-core" / "axe.min.js"))
SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "demo-pass-2026"
USERS = {
    "city": "city@ulyanovsk.example.org",
    "city_ko": "city@sejong.example.org",
    "coordinator": "coordinator@responder.example.org",
    "provider": "provider@medasia.example.org",
    "admin": "admin@responder.example.org",
}
#: The journeys written in English sign in the demo's Russian city user (Ульяновск reads Russian) in
#: English; the others read their demo language (Sejong's user: Korean).
READS_IN = {USERS["city"]: "en"}


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    """The application served by werkzeug in a thread, on a seeded temporary database."""
    from werkzeug.serving import make_server

    import health_responder.models  # noqa: F401
    from health_responder import create_app
    from health_responder.extensions import db
    from tests.demo import demo_copy

    url, reports = demo_copy(tmp_path_factory.mktemp("live"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-test",
            "DATABASE_URL": url,
            "REPORTS_DIR": reports,
            "LOG_JSON": False,
        }
    )
    with app.app_context():
        from sqlmodel import select

        from health_responder.auth.models import User

        emails = list(USERS.values())
        languages = (
            dict(db.session.execute(select(User.email, User.locale).where(User.email.in_(emails))).all())
            | READS_IN
        )
        db.session.remove()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access line per request in the test output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield SimpleNamespace(app=app, url=f"http://127.0.0.1:{server.server_port}", languages=languages)
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _restore_language(live, email: str) -> None:
    """The language the user had in the demo: a journey that switched it must not change the next one's."""
    from sqlmodel import select

    from health_responder.auth.models import User
    from health_responder.extensions import db

    with live.app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user.locale != live.languages[email]:
            user.locale = live.languages[email]
            db.session.commit()
        db.session.remove()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium, or a skip that says why there is none."""
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (done by .ci/run) to run browser tests"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        pytest.skip(f"the playwright package is not installed ({error}): pip install -e '.[dev]'")
    manager = sync_playwright().start()
    try:
        chromium = manager.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception as error:  # noqa: BLE001 - any launch failure means "no usable browser here"
        manager.stop()
        pytest.skip(f"Chromium at {CHROMIUM} could not be launched: {str(error).splitlines()[0][:300]}")
    yield chromium
    chromium.close()
    manager.stop()


def sign_in(live, page, who: str):
    """Log ``page`` in as the demo user ``who`` (its language as the demo has it) and wait for the dashboard."""
    _restore_language(live, USERS[who])
    page.goto("/login")
    page.get_by_label("Email").fill(USERS[who])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")
    return page


@pytest.fixture
def open_as(live, browser):
    """``open_as("city")`` → a page of a fresh browser context, logged in as that demo user."""
    contexts = []

    def login(who: str, bypass_csp: bool = False):
        context = browser.new_context(
            base_url=live.url,
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
            bypass_csp=bypass_csp,
            locale="en-US",
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if who is None:
            return page
        return sign_in(live, page, who)

    yield login
    for context in contexts:
        context.close()

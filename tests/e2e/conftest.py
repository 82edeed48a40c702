"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Never run ``playwright install``: the browser is Debian's ``chromium`` package
(``make test-system-deps``). Without it every test here is skipped.

``live_server`` needs a transactional database. Its flush after each test is
followed by post_migrate, which rebuilds the page tree and the 事務局 group
(``cms.site_tree``, ``network.signal_handlers``), so no snapshot is needed.

Playwright's sync API keeps an asyncio loop running in the main thread; Django
then keeps connections in a context variable that its final teardown does not
see, so they are closed here (an open one keeps PostgreSQL from dropping the
test database).
"""

import os
from pathlib import Path

from django.db import connections

import pytest

# Playwright's sync API keeps an event loop running in the main thread for the
# whole session; Django would otherwise refuse ORM calls made from the test code
# (and from the tests that run after these in the same process).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Screenshots go outside the work tree on purpose (never committed).
SHOTS = Path(os.environ.get("E2E_SHOTS_DIR", "/tmp/shots"))  # noqa: S108
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    """Skip the browser tests (and never launch anything) when Debian's Chromium is missing."""
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} not found: install Debian's Chromium (make test-system-deps)"
    )
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found: install Debian's Chromium (make test-system-deps)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ja-JP", "timezone_id": "Asia/Tokyo"}


@pytest.fixture(scope="package", autouse=True)
def _close_connections_after_e2e(django_db_blocker):
    yield
    with django_db_blocker.unblock():
        connections.close_all()


@pytest.fixture
def site(live_server, page):
    """The live server's base URL; the page fails fast instead of waiting 30 s."""
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(15_000)
    return live_server.url.rstrip("/")


@pytest.fixture
def shot():
    """shot(page, name): full-page screenshot into /tmp/shots/<name>.png (outside the repo)."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def _shot(page, name):
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot

"""Browser tests: headless Chromium from the distribution, driven by the plain Playwright sync API.

Playwright's own browser downloads are never used (no `playwright install`): the suite launches
/usr/bin/chromium, which .ci/run installs. Without it the tests skip locally and fail in CI.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if item.get_closest_marker("django_db") is None:
            # The live server needs committed data. serialized_rollback keeps the flush after the test from
            # re-creating content types, which a later serialized_rollback test (tests/integration) restores.
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Kept on the item so the page fixture's teardown knows whether the test failed.
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. Module scope (not session) so the Playwright event loop, and the
    DJANGO_ALLOW_ASYNC_UNSAFE it requires, end before the next, non-browser, module runs."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install the Debian package chromium (bash .ci/run does)."
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # The sync API runs an asyncio loop in this thread; Django would otherwise refuse ORM calls from tests.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # While Playwright's loop runs, asgiref hands this thread a fresh, empty set of Django connections; give it
    # the test database's own ones back, or setup and flush (and serialized_rollback) act on a stranger.
    django_connections = {alias: connections[alias] for alias in connections}
    playwright = sync_playwright().start()
    for alias, connection in django_connections.items():
        connections[alias] = connection
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def requested_urls() -> list[str]:
    """Every URL the page requested, in order (filled by the ``page`` fixture)."""
    return []


@pytest.fixture
def server_errors() -> list[str]:
    """``"<status> <url>"`` of every response with a 5xx status (filled by the ``page`` fixture)."""
    return []


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or parts.hostname in LOCAL_HOSTS


@pytest.fixture
def page(request, browser, live_server, requested_urls, server_errors):
    """A fresh browser context and page for each test; a screenshot lands in test-artifacts/ on failure.

    Requests to any other origin than the live server are recorded and aborted (no CDN, ever).
    """
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.url)
    context.set_default_timeout(10_000)

    def route(route):
        if is_local(route.request.url):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("request", lambda req: requested_urls.append(req.url))
    page.on("response", lambda res: res.status >= 500 and server_errors.append(f"{res.status} {res.url}"))
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()

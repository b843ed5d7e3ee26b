"""In a real browser: the API's interactive docs work offline, with a token from the screen.

Debian's chromium through Playwright against the app on a real port, with the
browser tests' fixtures (``tests/test_browser.py``).
"""

from __future__ import annotations

import pytest

from tests.test_browser import (  # noqa: F401 - the browser tests' fixtures, used by name
    assert_no_browser_errors,
    live_server,
    log_in,
    page,
)

pytestmark = pytest.mark.browser


def test_a_token_from_the_screen_works_in_the_interactive_docs(page, live_server):  # noqa: F811
    """Make a token on the API tokens screen, paste it into Swagger UI's Authorize dialog
    and call GET /api/v1/me from the docs page: every file from this site, no CSP refusal."""
    foreign = []
    page.on("request", lambda request: foreign.append(request.url)
            if not request.url.startswith(live_server.url) else None)
    log_in(page, "harbin_manager", "/admin/api_tokens/")
    page.fill("#name", "swagger")
    page.click("form.api-token-new button[type=submit]")
    secret = page.inner_text(".api-token-value").strip()
    assert secret.startswith("bo_")
    page.goto("/api/docs")
    page.wait_for_selector(".opblock")
    page.click(".btn.authorize")
    page.fill(".auth-container input", secret)
    page.click(".auth-btn-wrapper .btn.authorize")
    page.click(".auth-btn-wrapper .btn-done")
    me = page.locator(".opblock", has=page.locator("[data-path='/api/v1/me']"))
    me.locator(".opblock-summary").click()
    me.locator(".try-out__btn").click()
    me.locator(".execute").click()
    status = me.locator(".live-responses-table .response .response-col_status").first
    assert status.inner_text().strip() == "200"
    assert '"username": "harbin_manager"' in me.locator(".live-responses-table").inner_text()
    assert foreign == []
    assert_no_browser_errors(page)

"""In Chromium: a list row's delete button submits the page's one delete form, after a confirmation.

The row actions are rendered once per page (issue 7, item 15): each row's delete
icon is ``<button form="delete-form" name="id" value="...">`` and the page's one
form carries the return URL and the CSRF token. This checks that a real browser
sends it so (the ``form`` attribute, the button's own value), that the form's
single ``onsubmit`` asks first, and that nothing on the page is refused by the
Content-Security-Policy.
"""

from __future__ import annotations

import threading

import pytest

from backoffice.models import Contact
from tests.conftest import CHROMIUM_FLAGS, TIMEOUT_MS, _unavailable
from tests.test_browser import (  # noqa: F401 -- live_server: a fixture
    live_server,
    log_in,
)

pytestmark = pytest.mark.browser


def _in_own_thread(test, *args):
    """Run ``test(browser, *args)`` with a Chromium of its own, in a thread of its own:
    Playwright's sync API refuses to start a second time in a thread where the suite's
    session-wide browser (tests/test_browser.py) already runs its event loop."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"playwright is not installed ({exc})")
    failures = []

    def run():
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=args[0], headless=True,
                                                     args=CHROMIUM_FLAGS)
                try:
                    test(browser, *args[1:])
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 -- handed to the test's own thread
            failures.append(exc)

    worker = threading.Thread(target=run, name="row-actions-browser")
    worker.start()
    worker.join(timeout=180)
    assert not worker.is_alive(), "the browser test did not finish"
    if failures:
        raise failures[0]


def _delete_from_the_list(browser, live_server):  # noqa: F811
    live_server.bind()
    context = browser.new_context(locale="en-US", base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    contact = live_server.world.harbin_contact
    log_in(page, "admin", "/admin/contact/")
    button = page.locator(f"button[form='delete-form'][value='{contact.id}']")
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    button.click()
    assert asked == ["Are you sure you want to delete this record?"]
    assert "/admin/contact/" in page.url and button.count() == 1  # dismissed: nothing sent
    page.once("dialog", lambda dialog: answer(dialog, True))
    with page.expect_navigation():
        button.click()
    assert "Record was successfully deleted." in page.inner_text("body")
    assert page.locator(f"button[form='delete-form'][value='{contact.id}']").count() == 0
    assert not Contact.select().where(Contact.id == contact.id).exists()
    assert not problems, problems  # no script error, nothing refused by the CSP
    context.close()


def test_delete_from_the_list_asks_then_deletes(chromium_path, live_server):  # noqa: F811
    _in_own_thread(_delete_from_the_list, chromium_path, live_server)

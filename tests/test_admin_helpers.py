"""Helpers for the admin tests: read a form the way a browser would, and submit it.

(No tests here; the admin test modules import from it.)
"""

from __future__ import annotations

from html.parser import HTMLParser

from tests.conftest import csrf_token


class _FormReader(HTMLParser):
    """The fields of the page's admin form (class "admin-form"), with their current values."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.values: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "admin-form" in (a.get("class") or ""):
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values[name] = a.get("value", "y")
            elif a.get("type") not in ("submit", "button"):
                self.values[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.options[name] = []
        elif tag == "option" and self._select:
            self.options[self._select].append(a.get("value"))
            if "selected" in a or self._select not in self.values:
                self.values[self._select] = a.get("value")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def read_form(html: str) -> _FormReader:
    reader = _FormReader()
    reader.feed(html)
    return reader


def form_values(client, url: str) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return read_form(page.get_data(as_text=True)).values


def submit(client, url: str, changes: dict | None = None, follow=True):
    """Open ``url``'s form, change some fields (None removes one), and post it."""
    values = form_values(client, url)
    for key, value in (changes or {}).items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return client.post(url, data=values, follow_redirects=follow)


def token(client) -> str:
    return csrf_token(client.get("/admin/").get_data(as_text=True))


def post(client, url: str, data: dict, follow=False):
    """A state-changing request with the session's CSRF token, as a page's form would send it."""
    return client.post(url, data={"csrf_token": token(client), **data},
                       follow_redirects=follow)

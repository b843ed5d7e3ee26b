"""Redirects stay on this site: ``url=``, ``next=``, the language switch, the referrer.

Flask-Admin's own check lets ``http:x`` through (it resolves it against this
host), and werkzeug writes it as ``http:///x``, which a browser follows to the
host ``x``. Whatever builds a redirect, the answer's ``Location`` must be a path
on this site; the check below is literal, not the code's own helper.
"""

from __future__ import annotations

import pytest
from flask import redirect

from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.test_admin_helpers import read_form

#: targets seen or known to send a browser elsewhere
OFF_SITE = [
    "http://elsewhere",
    "http%3A%2F%2Felsewhere",
    "https://elsewhere.example/x",
    "http:x",
    "HTTP:x",
    "http:/x",
    "https:elsewhere.example",
    "http:elsewhere.example/a",
    "http:%2F%2Felsewhere",
    "//x",
    "///elsewhere.example",
    "////elsewhere.example",
    "\\\\x",
    "/\\x",
    "\\/x",
    "/\t/x",
    " //x",
    "javascript:alert(1)",
    "data:text/html,x",
    "//localhost@elsewhere.example",
]


def _stays_here(location: str | None) -> bool:
    """A path on this site, or this site's own address; nothing a browser reads otherwise."""
    if location is None:
        return True
    for prefix in ("http://localhost/", "https://localhost/"):
        if location.startswith(prefix):
            location = location[len(prefix) - 1:]
    return (location.startswith("/") and not location.startswith("//")
            and "\\" not in location and all(ord(c) > 0x20 for c in location))


def _office_url(app) -> str:
    from tests.test_security import _admin_view_url
    return _admin_view_url(app, "Office")


@pytest.fixture
def admin_client(client, auth, world):
    assert auth.login("admin", PASSWORD, follow=False).status_code == 302
    return client


@pytest.mark.parametrize("target", OFF_SITE)
def test_details_without_id_never_sends_off_site(app, admin_client, target):
    response = admin_client.get(f"{_office_url(app)}/details/", query_string={"url": target})
    assert response.status_code in (301, 302, 303, 307, 308)
    assert _stays_here(response.headers.get("Location")), response.headers.get("Location")


@pytest.mark.parametrize("target", ["http:x", "//x", "https://elsewhere.example/x"])
def test_pages_never_link_an_off_site_return_target(app, admin_client, world, target):
    url = _office_url(app)
    for path, args in ((f"{url}/details/", {"id": world.harbin.id}),
                       (f"{url}/edit/", {"id": world.harbin.id}), (f"{url}/new/", {})):
        response = admin_client.get(path, query_string={**args, "url": target},
                                    follow_redirects=True)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert f'href="{target}"' not in page and f'value="{target}"' not in page, path


@pytest.mark.parametrize("target", ["http:x", "https://elsewhere.example/x", "//x"])
def test_saving_an_edit_never_answers_with_an_off_site_location(app, admin_client, world,
                                                                target):
    url = _office_url(app)
    edit = f"{url}/edit/?id={world.harbin.id}"
    values = read_form(admin_client.get(edit).get_data(as_text=True)).values
    values["name"] = "Harbin office (renamed)"
    response = admin_client.post(edit, data={**values, "url": target})
    assert response.status_code < 500
    assert _stays_here(response.headers.get("Location")), response.headers.get("Location")
    response = admin_client.post(f"{edit}&url={target}", data=values)
    assert response.status_code < 500
    assert _stays_here(response.headers.get("Location")), response.headers.get("Location")


@pytest.mark.parametrize("target", ["http:x", "https://elsewhere.example/x"])
def test_actions_and_deletes_never_answer_with_an_off_site_location(app, admin_client, world,
                                                                    target):
    url = _office_url(app)
    token = csrf_token(admin_client.get(f"{url}/").get_data(as_text=True))
    for path, data in ((f"{url}/action/", {"action": "no-such-action", "rowid": "1"}),
                       (f"{url}/delete/", {"id": "not-a-number"})):
        response = admin_client.post(path, data={**data, "csrf_token": token, "url": target})
        assert response.status_code < 500, path
        assert _stays_here(response.headers.get("Location")), (path, response.headers)


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_next_never_sends_off_site(client, world, target):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                           "csrf_token": token, "next": target})
    assert response.status_code == 302
    assert _stays_here(response.headers["Location"]), response.headers["Location"]
    # and once logged in, the login page's GET with the same next=
    response = client.get("/login", query_string={"next": target})
    assert response.status_code == 302
    assert _stays_here(response.headers["Location"]), response.headers["Location"]


def test_login_next_on_this_site_is_kept(client, world):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                           "csrf_token": token, "next": "/admin/office/?page=1"})
    assert response.headers["Location"] == "/admin/office/?page=1"


@pytest.mark.parametrize("target", OFF_SITE)
def test_language_switch_never_sends_off_site(client, world, target):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/language", data={"language": "en", "csrf_token": token,
                                              "next": target})
    assert response.status_code == 302
    assert _stays_here(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("referrer", [
    "http://elsewhere.example/admin/",
    "http://localhost//elsewhere.example/x",
    "http://localhost/\\elsewhere.example",
    "http://localhost/%09/elsewhere.example",
    "http:x",
    "//elsewhere.example/",
])
def test_language_switch_never_follows_a_foreign_referrer(client, world, referrer):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/language", data={"language": "en", "csrf_token": token},
                           headers={"Referer": referrer})
    assert response.status_code == 302
    assert _stays_here(response.headers["Location"]), response.headers["Location"]


def test_language_switch_goes_back_to_the_page_it_was_clicked_on(client, world):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/language", data={"language": "en", "csrf_token": token},
                           headers={"Referer": "http://localhost/login?next=%2Fadmin%2F"})
    assert response.headers["Location"] == "/login?next=%2Fadmin%2F"


def test_any_off_site_location_is_rewritten_to_the_admin_home(make_app, app):
    """The central check: even a view of this app that redirects elsewhere stays here."""
    application = make_app()

    @application.route("/test-goes-elsewhere")
    def goes_elsewhere():
        return redirect("http:x")

    @application.route("/test-goes-home")
    def goes_home():
        return redirect("http://localhost/admin/office/")

    c = application.test_client()
    assert c.get("/test-goes-elsewhere").headers["Location"] == "/admin/"
    assert c.get("/test-goes-home").headers["Location"] == "http://localhost/admin/office/"
    # werkzeug's own trailing-slash redirect is absolute and stays as it is
    response = c.get("/admin")
    assert response.status_code in (301, 308)
    assert response.headers["Location"] in ("http://localhost/admin/", "/admin/")

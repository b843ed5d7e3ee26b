"""CSRF on every state-changing request, security headers, friendly error pages."""

from __future__ import annotations

import pytest
from flask import abort

from backoffice.models import Customer, Office
from backoffice.security import SECURITY_HEADERS
from tests.conftest import csrf_token


def assert_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/login", "/no-such-page", "/admin/"])
def test_headers_on_every_kind_of_response(client, path):
    assert_security_headers(client.get(path))


def test_headers_on_static_files_and_redirects(client):
    assert_security_headers(client.get("/admin/static/admin/js/helpers.js"))
    assert_security_headers(client.get("/"))


def test_content_security_policy_allows_only_this_site():
    policy = SECURITY_HEADERS["Content-Security-Policy"]
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["form-action"] == "'self'"
    for value in directives.values():
        assert "http" not in value and "*" not in value


def test_logged_in_pages_are_not_cached(client, auth, world):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    auth.login("admin")
    assert client.get("/admin/").headers["Cache-Control"] == "no-store"


def test_session_cookie_is_http_only_and_same_site(client, auth, world):
    response = auth.login("admin", follow=False)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_csrf_failure_is_a_clear_400_page(client):
    response = client.post("/login", data={"username": "a", "password": "b",
                                           "csrf_token": "forged"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form has expired or did not come from this site" in page
    assert "Traceback" not in page
    assert_security_headers(response)


def test_csrf_failure_as_json_for_scripts(client):
    response = client.post("/logout", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "expired" in response.get_json()["error"]


def test_a_token_from_another_session_is_refused(app, client, auth, world):
    other = app.test_client()
    foreign = csrf_token(other.get("/login").get_data(as_text=True))
    auth.login("admin")
    response = client.post("/logout", data={"csrf_token": foreign})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 200  # still logged in


def _admin_view_url(app, model: str) -> str:
    admin = app.extensions["backoffice_admin"]
    for view in admin._views:
        if getattr(view, "model", None) is not None and view.model.__name__ == model:
            return view.url
    pytest.skip(f"no admin view for {model} yet")


def test_admin_create_edit_delete_refused_without_token(app, client, auth, world):
    url = _admin_view_url(app, "Customer")
    auth.login("admin")
    customer = world.harbin_customer
    before = (Customer.select().count(), customer.name)
    data = {"code": "C-NEW-1", "name": "Forged Ltd", "industry": "x", "office": world.harbin.id}
    assert client.post(f"{url}/new/", data=data).status_code == 400
    assert client.post(f"{url}/edit/?id={customer.id}",
                       data={**data, "version": customer.version}).status_code == 400
    assert client.post(f"{url}/delete/", data={"id": customer.id}).status_code == 400
    after = Customer.get_by_id(customer.id)
    assert (Customer.select().count(), after.name) == before


def test_admin_forms_carry_a_csrf_token(app, client, auth, world):
    url = _admin_view_url(app, "Office")
    auth.login("admin")
    page = client.get(f"{url}/edit/?id={world.harbin.id}").get_data(as_text=True)
    form = page[page.index('class="admin-form"'):]
    assert 'name="csrf_token"' in form.split("</form>")[0], \
        "admin forms need form_base_class = flask_wtf.FlaskForm (CSRFProtect checks every POST)"
    assert Office.select().count() == 2


# -- error pages ------------------------------------------------------------------

@pytest.fixture
def error_app(make_app, app):
    """An app with routes that fail in each way, and without exception propagation."""
    application = make_app()

    @application.route("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    @application.route("/forbidden")
    def forbidden():
        abort(403)

    application.testing = False
    application.config["PROPAGATE_EXCEPTIONS"] = False
    return application


def test_500_is_a_friendly_page_without_details(error_app):
    response = error_app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page and "Nothing was saved" in page
    assert "secret internal detail" not in page and "Traceback" not in page
    assert_security_headers(response)


def test_403_page(error_app):
    response = error_app.test_client().get("/forbidden", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 403
    assert "无权访问" in response.get_data(as_text=True)


def test_404_page(client):
    response = client.get("/admin/no-such-screen/")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Not found" in page and "Back to the start page" in page


def test_405_page(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "This page cannot be used this way." in response.get_data(as_text=True)


def test_json_errors_for_scripts(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "Not found"}


def test_viewer_is_refused_an_editors_screen(app, client, auth, world):
    url = _admin_view_url(app, "Customer")
    auth.login("viewer")
    response = client.get(f"{url}/new/")
    assert response.status_code in (302, 403)
    if response.status_code == 403:
        assert "Access denied" in response.get_data(as_text=True)

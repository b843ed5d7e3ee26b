"""Office scoping in the admin: a Harbin office manager never sees nor changes a Guangzhou row.

The walk is generic: it visits EVERY registered ScopedModelView, finds rows the
user may not see, and tries every endpoint on them; a new screen is covered
the day it is registered.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from wtfpeewee.fields import SelectQueryField

from backoffice.access import visible
from backoffice.admin.base import ScopedModelView
from backoffice.models import AuditEntry, Customer, Site, Unit
from tests.test_admin_helpers import post, read_form, submit

USER = "harbin_manager"


def scoped_views(app):
    admin = app.extensions["backoffice_admin"]
    return [v for v in admin._views if isinstance(v, ScopedModelView)]


def hidden_rows(view, user):
    """Rows of the view's model this user may not see."""
    pk = view.model._meta.primary_key
    seen = visible(view.model, user).select(pk)
    return list(view.model.select().where(pk.not_in(seen)).order_by(pk))


def snapshot(model):
    return sorted(tuple(sorted((k, str(v)) for k, v in row.items()))
                  for row in model.select().dicts())


def test_every_model_view_is_scoped(app):
    """No screen bypasses the base: every model view is a ScopedModelView, and none re-opens a hole."""
    from flask_admin.model import BaseModelView
    admin = app.extensions["backoffice_admin"]
    for view in admin._views:
        if isinstance(view, BaseModelView):
            assert isinstance(view, ScopedModelView), view.endpoint
            for method in ("get_query", "get_one", "get_list", "action_delete", "delete_model",
                           "create_form", "edit_form", "_create_ajax_loader", "_save",
                           "scoped_select", "_handle_view"):
                assert getattr(type(view), method) is getattr(ScopedModelView, method), (
                    f"{view.endpoint} overrides {method}: extend test_scoping for it")


def test_walk_every_endpoint_with_another_offices_ids(app, client, auth, world):
    user = world.users[USER]
    auth.login(USER)
    walked = []
    for view in scoped_views(app):
        ep = view.endpoint
        assert client.get(f"/admin/{ep}/").status_code == 200
        rows = hidden_rows(view, user)
        if view.model.office_filter(user.office_id) is None:
            assert not rows  # shared by every office (the catalogue)
            continue
        if not rows:
            continue  # the world has no foreign row of this kind (a later screen's table)
        walked.append(ep)
        before, audits = snapshot(view.model), AuditEntry.select().count()
        for row in rows:
            rid = row.get_id()
            assert client.get(f"/admin/{ep}/details/?id={rid}").status_code == 404, ep
            edit = client.get(f"/admin/{ep}/edit/?id={rid}").status_code
            assert edit in (403, 404), ep
            status = post(client, f"/admin/{ep}/edit/?id={rid}",
                          {"name": "hacked", "version": getattr(row, "version", 1)}).status_code
            assert status in (403, 404), ep
            assert post(client, f"/admin/{ep}/delete/", {"id": rid}).status_code in (403, 404)
            status = post(client, f"/admin/{ep}/action/", {"action": "delete", "rowid": rid})
            assert status.status_code in (302, 403), ep
            assert client.get(f"/admin/{ep}/ajax/update/").status_code in (403, 404, 405)
        # list and export show only the user's rows
        pk = view.model._meta.primary_key
        mine = {r.get_id() for r in visible(view.model, user).select(pk)}
        export = client.get(f"/admin/{ep}/export/csv/")
        assert export.status_code == 200
        lines = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
        assert len(lines) - 1 == len(mine), ep
        assert snapshot(view.model) == before, ep
        assert AuditEntry.select().count() == audits, ep
    assert {"office", "staff", "customer", "site", "contact", "contract", "unit",
            "audit"} <= set(walked)


def test_ajax_lookups_return_only_own_office(app, client, auth, world):
    user = world.users[USER]
    auth.login(USER)
    checked = 0
    for view in scoped_views(app):
        for name, loader in view._form_ajax_refs.items():
            page = client.get(f"/admin/{view.endpoint}/ajax/lookup/?name={name}&query=")
            assert page.status_code == 200
            ids = {item[0] for item in json.loads(page.get_data(as_text=True))}
            pk = loader.model._meta.primary_key
            mine = {r.get_id() for r in visible(loader.model, user).select(pk)}
            assert ids and ids <= mine, (view.endpoint, name)
            # the Guangzhou row is not found even by its exact name
            for term in ("Guangzhou", "CAN"):
                page = client.get(f"/admin/{view.endpoint}/ajax/lookup/?name={name}&query={term}")
                assert json.loads(page.get_data(as_text=True)) == []
            checked += 1
    assert checked >= 4


def test_relation_pickers_offer_only_own_office(app, client, auth, world):
    user = world.users[USER]
    auth.login(USER)
    checked = 0
    for view in scoped_views(app):
        page = client.get(f"/admin/{view.endpoint}/new/")
        if page.status_code == 403:
            continue  # read-only for this user
        options = read_form(page.get_data(as_text=True)).options
        for field in view._create_form_class():
            if isinstance(field, SelectQueryField):
                pk = field.model._meta.primary_key
                allowed = {str(o.get_id()) for o in visible(field.model, user).select(pk)}
                offered = set(options[field.name]) - {"__None"}
                assert offered and offered <= allowed, (view.endpoint, field.name)
                checked += 1
    assert checked >= 2  # at least the customer's office and the unit's product


def test_foreign_ids_in_forms_are_refused(client, auth, world):
    auth.login(USER)
    g = world
    customers = Customer.select().count()
    # the office picker: a Harbin manager cannot put a customer in Guangzhou
    page = submit(client, "/admin/customer/new/",
                  {"code": "C-X-1", "name": "X", "office": str(g.guangzhou.id)})
    assert "Not a valid choice" in page.get_data(as_text=True)
    assert Customer.select().count() == customers
    # an ajax picker: a site for a Guangzhou customer
    sites = Site.select().count()
    page = submit(client, "/admin/site/new/",
                  {"customer": str(g.guangzhou_customer.id), "name": "Sneaky"})
    assert "Failed to create record" in page.get_data(as_text=True)  # the id resolves to nothing
    assert Site.select().count() == sites
    # moving a Harbin unit onto a Guangzhou contract
    unit = Unit.get_by_id(g.harbin_unit.id)
    page = submit(client, f"/admin/unit/edit/?id={unit.id}",
                  {"contract": str(g.guangzhou_contract.id), "site": "__None"})
    assert page.status_code == 200
    after = Unit.get_by_id(unit.id)
    assert (after.contract_id, after.customer_id, after.version) == (
        unit.contract_id, unit.customer_id, unit.version)
    # moving the customer to another office through a forged select value
    page = submit(client, f"/admin/customer/edit/?id={g.harbin_customer.id}",
                  {"office": str(g.guangzhou.id)})
    assert Customer.get_by_id(g.harbin_customer.id).office_id == g.harbin.id


def test_warranty_lookup_is_scoped(client, auth, world):
    auth.login(USER)
    body = client.get("/admin/warranty/?serial=SN-CAN-0001").get_data(as_text=True)
    assert "No unit with serial number SN-CAN-0001" in body
    assert "Guangzhou" not in body


@pytest.mark.parametrize("endpoint", ["customer", "unit", "contract"])
def test_viewer_of_an_office_reads_only_that_office(client, auth, world, endpoint):
    auth.login("viewer")  # a viewer with an office sees that office only
    body = client.get(f"/admin/{endpoint}/").get_data(as_text=True)
    assert "Guangzhou" not in body and "CAN-" not in body


def test_only_an_engineers_scope_adds_the_rows_assigned_to_them(world):
    """An office's staff see their office's rows, and an engineer also the rows assigned to
    them (the tickets they were sent to in another office, and what hangs on those). Only
    engineers are assigned (a ticket is dispatched to an engineer), and anyone's own rows
    (their API tokens) are in their office: so for the office manager and the viewer the
    scope is the office's condition alone, with no OR beside it (the office's indexes
    serve it: bench/bench_tickets.py, the manager's page), and every table gives the same
    rows as the office's rows OR the assigned ones."""
    from backoffice.models import MODELS, Staff, Ticket
    from backoffice.services import tickets, tokens
    from backoffice.services.tickets import Report
    from tests.factories import TESTS
    canton = tickets.open_ticket(TESTS, Report(summary="alarm", serial="SN-CAN-0001"))
    tickets.reply(TESTS, canton, "on the way")
    tickets.dispatch(TESTS, canton, Staff.get(Staff.username == "harbin_engineer"))
    tickets.pause(TESTS, canton, "no access to the site")
    for who in ("harbin_manager", "viewer", "harbin_engineer"):
        tokens.create(world.users[who], "crm")
    checked = 0
    for who in ("harbin_manager", "viewer", "harbin_engineer"):
        user = world.users[who]
        for model in MODELS:
            office = (model.office_filter(user.office_id) if hasattr(model, "office_filter")
                      else None)
            if office is None:  # shared by every office, or never scoped
                continue
            assigned = model.assigned_filter(user.id)
            either = office if assigned is None else office | assigned
            pk = model._meta.primary_key
            seen = {r.get_id() for r in visible(model, user).select(pk)}
            assert seen == {r.get_id() for r in model.select(pk).where(either)}, (who, model)
            checked += 1
    assert checked > 30
    manager, engineer = world.users["harbin_manager"], world.users["harbin_engineer"]
    sql, _params = visible(Ticket, manager).sql()
    assert " OR " not in sql and '"office_id" = ' in sql
    sql, _params = visible(Ticket, engineer).sql()
    assert " OR " in sql  # their office's, or sent to them
    assert visible(Ticket, engineer).where(Ticket.id == canton.id).exists()
    assert not visible(Ticket, manager).where(Ticket.id == canton.id).exists()

"""The home page counts only what the user's offices hold, and shows their latest changes."""

import re

from backoffice.admin.home import local_today
from backoffice.db import acting_as


def _figures(html):
    return [int(v.replace(",", "")) for v in re.findall(r'class="h3 mb-0 figure">([\d,]+)<', html)]


def test_admin_sees_every_office(world, client, auth):
    auth.login("admin")
    html = client.get("/admin/").get_data(as_text=True)
    # offices, customers, active contracts, units in use, in warranty, ending soon, under repair
    assert _figures(html)[:4] == [2, 2, 2, 2]
    assert "all offices" in html


def test_office_manager_sees_own_office_only(world, client, auth):
    with acting_as("someone-in-guangzhou"):
        world.guangzhou_customer.notes = "visited"
        world.guangzhou_customer.save()
    auth.login("harbin_manager")
    html = client.get("/admin/").get_data(as_text=True)
    assert _figures(html)[:4] == [1, 1, 1, 1]
    assert "Harbin office" in html
    assert "someone-in-guangzhou" not in html  # another office's change
    assert "Harbin Power Works" in html  # the own office's latest changes


def test_warranty_counts_follow_the_stored_dates(world, client, auth):
    unit = world.harbin_unit
    unit.warranty_by_hand = True
    unit.warranty_start, unit.warranty_end = unit.warranty_start, unit.warranty_start
    unit.save()  # its warranty ended long ago
    auth.login("harbin_manager")
    figures = _figures(client.get("/admin/").get_data(as_text=True))
    assert figures[4] == 0  # in warranty today
    auth.logout()
    auth.login("guangzhou_manager")
    figures = _figures(client.get("/admin/").get_data(as_text=True))
    other = world.guangzhou_unit
    with client.application.test_request_context():
        today = local_today()
    assert figures[3] == 1
    assert figures[4] == int(other.warranty_start <= today <= other.warranty_end)

"""``/api/v1/units`` and ``/api/v1/me``: a unit by serial, its warranty on a day, who is calling.

The unit is found among those the token's owner may see (another office's is a
404); the warranty verdict is :func:`backoffice.services.warranty.warranty_status`
(the rule engine's ``coverage``): in or out, who pays, and what decided it.
"""

from __future__ import annotations

from flask import g

from ..access import visible
from ..clock import today
from ..i18n import _
from ..labels import reason_text
from ..models import Contract, Customer, Office, Product, Site, Unit
from ..services.warranty import warranty_status
from . import bearer
from .common import api_blueprint
from .errors import ApiError
from .schemas import MeSchema, UnitSchema, WarrantyQuerySchema, WarrantySchema

blp = api_blueprint("api_units", __name__, url_prefix="/api/v1/units",
                description="Units by serial number, and their warranty on a day.")
me = api_blueprint("api_me", __name__, url_prefix="/api/v1/me",
               description="Who the token acts as.")

#: a serial number in a path (Unit.serial holds 40 characters)
SERIAL = "<string(minlength=1, maxlength=40):serial>"


def find(user, serial: str) -> Unit:
    serial = serial.strip().upper()
    unit = None
    if serial and "\x00" not in serial:
        unit = visible(Unit, user).where(Unit.serial == serial).get_or_none()
    if unit is None:
        raise ApiError(404, "not_found", _("No unit with serial number %(serial)s in the "
                                           "offices you can see.", serial=serial))
    return unit


@blp.route(f"/{SERIAL}", methods=["GET"])
@blp.response(200, UnitSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(404, response="NOT_FOUND")
def read_unit(serial):
    """One installed unit: product, customer, site, contract and warranty dates"""
    unit = find(bearer.current(), serial)
    product = Product.get_by_id(unit.product_id)
    customer = Customer.get_by_id(unit.customer_id)
    office = Office.get_by_id(customer.office_id)
    site = Site.get_or_none(Site.id == unit.site_id) if unit.site_id else None
    contract = Contract.get_or_none(Contract.id == unit.contract_id) if unit.contract_id \
        else None
    return {
        "serial": unit.serial, "status": unit.status,
        "product": {"model": product.model, "name": product.name, "grade": product.grade},
        "customer": {"code": customer.code, "name": customer.name},
        "site": {"id": site.id, "name": site.name} if site else None,
        "contract": contract.number if contract else None,
        "office": {"code": office.code, "name": office.name},
        "installed_on": unit.installed_on, "accepted_on": unit.accepted_on,
        "warranty_start": unit.warranty_start, "warranty_end": unit.warranty_end,
    }


@blp.route(f"/{SERIAL}/warranty", methods=["GET"])
@blp.arguments(WarrantyQuerySchema, location="query")
@blp.response(200, WarrantySchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(404, response="NOT_FOUND")
def unit_warranty(query, serial):
    """Is the unit in warranty on a day (default today), who pays, and what decided it"""
    unit = find(bearer.current(), serial)
    on = query.get("on") or today()
    status = warranty_status(unit, on)
    return {"serial": unit.serial, "on": on, "covered": status.covered,
            "charge": status.charge, "reason": status.reason,
            "decided_by": status.decided_by, "explanation": reason_text(status)}


@me.route("", methods=["GET"])
@me.response(200, MeSchema)
@me.alt_response(401, response="UNAUTHORIZED")
def whoami():
    """The member of staff the token acts as, and the token's name"""
    staff = bearer.current()
    office = Office.get_or_none(Office.id == staff.office_id) if staff.office_id else None
    return {"username": staff.username, "name": staff.name, "role": staff.role,
            "office": office.code if office else None, "token": g.api_token.name}

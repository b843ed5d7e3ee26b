"""Warranty look-up: a serial number and a date -> the unit, its customer, in or out of warranty.

The verdict comes from :func:`backoffice.services.warranty.warranty_status`; this
screen only finds the unit (within the user's offices) and shows the answer:
in or out of warranty, who pays (``charge``) and what decided it (the term set and
its rule in the reader's language, :func:`backoffice.labels.reason_text`, or a
plugin's ``decided_by`` as its author wrote it).
"""

from __future__ import annotations

from flask import request
from flask_admin import expose
from flask_login import current_user
from wtforms import DateField, Form, StringField
from wtforms.validators import InputRequired, Length, Optional

from ..access import scoped
from ..clock import today
from ..i18n import _, _l
from ..labels import Charge, UnitStatus, choices, reason_text
from ..models import Customer, Product, Unit
from ..services.warranty import warranty_status
from .base import SecureView

#: the service's reasons, listed so the catalogue can translate them
REASONS = {
    "in warranty": _l("in warranty"),
    "warranty ended": _l("warranty ended"),
    "before warranty start": _l("before warranty start"),
    "not accepted yet: warranty has not started": _l("not accepted yet: warranty has not started"),
}


#: who pays, for each ``Charge`` value
CHARGES = {
    Charge.FREE: _l("Free of charge"),
    Charge.CHARGEABLE: _l("Chargeable to the customer"),
    Charge.NEGOTIATE: _l("The parties negotiate"),
    Charge.UNDETERMINED: _l("Depends on the root cause of the fault"),
}


class LookupForm(Form):
    serial = StringField(_l("Serial number"), validators=[InputRequired(), Length(max=40)])
    on = DateField(_l("On"), validators=[Optional()])


class WarrantyView(SecureView):
    @expose("/", methods=("GET",))  # a look-up changes nothing: GET, bookmarkable
    def index(self):
        form = LookupForm(request.args)
        if not form.on.raw_data or not form.on.raw_data[0]:
            form.on.data = today()  # the service center's today, not the server's
        result = message = None
        if request.args.get("serial") is not None and form.validate():
            serial = form.serial.data.strip().upper()
            unit = scoped(Unit.select(), Unit, current_user).where(
                Unit.serial == serial).get_or_none()
            if unit is None:
                message = _("No unit with serial number %(serial)s in the offices you can see.",
                            serial=serial)
            else:
                status = warranty_status(unit, form.on.data)
                result = {
                    "unit": unit, "status": status,
                    "reason": REASONS.get(status.reason, status.reason),
                    "charge": str(CHARGES.get(status.charge, status.charge)),
                    "status_label": dict(choices(UnitStatus)).get(unit.status, unit.status),
                    "customer": Customer.get_by_id(unit.customer_id),
                    "product": Product.get_by_id(unit.product_id),
                }
        return self.render("admin/warranty.html", form=form, result=result, message=message,
                           reason_text=reason_text)


def register(admin):
    admin.add_view(WarrantyView(name=_l("Warranty look-up"), endpoint="warranty"))

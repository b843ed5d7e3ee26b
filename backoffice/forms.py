"""Small helpers shared by every form of the back-office."""

from __future__ import annotations

from wtforms import DecimalField
from wtforms.fields.choices import SelectChoice


def select_choices(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms' :class:`SelectChoice` options.

    WTForms 3.3 deprecates plain tuples (3.4 drops them); the rest of the code
    keeps the pairs, which Flask-Admin's list filters and labels also read.
    """
    return [choice if isinstance(choice, SelectChoice) else SelectChoice(*choice)
            for choice in pairs]


class FiniteDecimalField(DecimalField):
    """WTForms' ``DecimalField`` without NaN and infinity: "NaN", "Infinity" and "sNaN"
    parse as decimals there, and a signalling NaN then breaks ``NumberRange`` and
    ``float()`` with a ValueError (a 500). Such a value is "Not a valid decimal value"."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))

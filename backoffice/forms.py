"""Small helpers shared by every form of the back-office."""

from __future__ import annotations

from wtforms.fields.choices import SelectChoice


def select_choices(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms' :class:`SelectChoice` options.

    WTForms 3.3 deprecates plain tuples (3.4 drops them); the rest of the code
    keeps the pairs, which Flask-Admin's list filters and labels also read.
    """
    return [choice if isinstance(choice, SelectChoice) else SelectChoice(*choice)
            for choice in pairs]

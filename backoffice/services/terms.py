"""Term sets: publishing a sheet as the next version, headquarters' only way to change terms.

A version never changes once written; a contract keeps the version it names
until someone moves it (:func:`backoffice.services.contracts.move_to_version`).
"""

from __future__ import annotations

import json

from peewee import IntegrityError

from ..access import Action, require
from ..db import current_actor
from ..i18n import _
from ..models import RuleViolation, TermSet, TermSetVersion
from ..terms import STANDARD, Terms, diff
from .core import changing


def publish(user, terms: Terms, note: str = "") -> TermSetVersion:
    """Store ``terms`` as the next version of the term set it names (created if new).

    Refused (:class:`RuleViolation`) when the content equals the latest
    version's (code ``unchanged``) or another editor published the same number
    first (code ``stale``).
    """
    require(user, Action.MANAGE_TERMS, TermSet)
    data = terms.as_dict()
    try:
        with changing(user):
            term_set = TermSet.get_or_none(TermSet.name == terms.name)
            if term_set is None:
                term_set = TermSet(name=terms.name, title=terms.title)
                term_set.save()
            elif term_set.title != terms.title:
                term_set.title = terms.title
                term_set.save()
            latest = term_set.latest()
            publisher = current_actor().name
            if latest is None and terms.name == STANDARD.name and diff(STANDARD.as_dict(), data):
                # "charter v1" always means the built-in standard terms that unpinned
                # contracts use, so a changed charter starts at v2
                latest = TermSetVersion(term_set=term_set, number=1,
                                        data=json.dumps(STANDARD.as_dict()),
                                        published_by=publisher,
                                        note="the standard charter terms")
                latest.save()
            if latest is not None and not diff(latest.values(), data):
                raise RuleViolation(_("%(version)s already has exactly these terms; "
                                      "nothing to publish.", version=str(latest)),
                                    code="unchanged")
            version = TermSetVersion(term_set=term_set,
                                     number=(latest.number + 1) if latest else 1,
                                     data=json.dumps(data, ensure_ascii=False),
                                     published_by=publisher, note=note.strip())
            version.save()
            return version
    except IntegrityError:
        raise RuleViolation(_("Someone published a version of %(name)s at the same "
                              "time; reload and try again.", name=terms.name),
                            code="stale") from None

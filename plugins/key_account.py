"""Key accounts: a faster reply, a named engineer first, and extra notice channels.

Settings (all optional)::

    {"key_account": {"reply_minutes": 30, "engineer": "zhang.wei",
                     "sms": "13800000000", "extra_visits": 1}}

* ``reply_minutes``: the definite reply is due this many minutes after receipt.
* ``engineer``: this engineer (username) is proposed first for dispatch.
* ``sms``: send every notice of the contract to this mobile number too.
* ``extra_visits``: return visits a year on top of the term set's.
"""

import datetime as dt

from backoffice.hookspecs import Channel, Deadline, hookimpl

__version__ = "1.0"

KNOWN = {"reply_minutes", "engineer", "sms", "extra_visits"}


@hookimpl
def reply_deadline(settings):
    minutes = settings.get("reply_minutes")
    if minutes is None:
        return None
    return Deadline(within=dt.timedelta(minutes=minutes),
                    decided_by=f"key_account: reply in {minutes} min")


@hookimpl
def dispatch_ranking(candidates, settings):
    wanted = settings.get("engineer")
    if not wanted:
        return None
    first = [c for c in candidates if getattr(c.engineer, "username", c.engineer) == wanted]
    return first + [c for c in candidates if c not in first]


@hookimpl
def notification_channels(settings):
    return [Channel("sms", settings["sms"])] if settings.get("sms") else []


@hookimpl
def visit_frequency(terms, settings):
    extra = settings.get("extra_visits")
    return terms.visits_per_year + extra if extra else None


@hookimpl
def check_settings(settings):
    problems = [f"unknown setting {key!r}" for key in settings if key not in KNOWN]
    minutes = settings.get("reply_minutes")
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)
                                or not 1 <= minutes <= 1440):
        problems.append("reply_minutes must be a whole number of minutes from 1 to 1440")
    sms = settings.get("sms")
    if sms is not None and not (isinstance(sms, str) and sms.isdigit() and 6 <= len(sms) <= 15):
        problems.append("sms must be a phone number of 6 to 15 digits")
    extra = settings.get("extra_visits")
    if extra is not None and (isinstance(extra, bool) or not isinstance(extra, int)
                              or not 1 <= extra <= 12):
        problems.append("extra_visits must be a whole number from 1 to 12")
    return problems

"""Arrival within 4 h for sites near the office, in business hours.

A contract that enables this plugin gets an arrival deadline of 4 h when the site
is within ``radius_km`` (default 50) of the serving office and the fault was
received Monday to Friday between 08:30 and 17:30 local time. Otherwise it has
no opinion, and the contract's term set (ultimately the charter) decides.

Enable it for a contract (the contract's *Plugins* field)::

    {"near_site_4h": {}}                      # 50 km
    {"near_site_4h": {"radius_km": 30}}       # a tighter radius
"""

import datetime as dt

from backoffice.hookspecs import Deadline, hookimpl

__version__ = "1.0"

OPENS, CLOSES = dt.time(8, 30), dt.time(17, 30)


@hookimpl
def arrival_deadline(received, distance_km, settings):
    radius = settings.get("radius_km", 50)
    in_hours = received.weekday() < 5 and OPENS <= received.time() <= CLOSES
    if distance_km <= radius and in_hours:
        # a duration: the service counts it on the contract's clock
        return Deadline(within=dt.timedelta(hours=4),
                        decided_by=f"near_site_4h: 4 h within {radius:g} km in business hours")
    return None


@hookimpl
def check_settings(settings):
    problems = [f"unknown setting {key!r}" for key in settings if key != "radius_km"]
    radius = settings.get("radius_km", 50)
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not 0 < radius <= 500:
        problems.append("radius_km must be a number of km between 0 and 500")
    return problems

"""Geography: how far a site is from an office, and how that figure was obtained.

The charter's arrival time depends on the *road* distance from the serving
office to the site. Where a site records its road distance, that is the figure;
else the great-circle distance times a road factor (``road_factor`` in the
config, 1.3 by default) estimates it. :class:`Distance` keeps the figure and how
it was obtained, so a ticket can say which it used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: the Earth's mean radius, km (the usual 6371: the figure is an estimate anyway)
EARTH_RADIUS_KM = 6371.0
#: no two places on Earth are farther apart by road than this (used to refuse nonsense)
MAX_DISTANCE_KM = 20000.0


def great_circle_km(lat1, lon1, lat2, lon2) -> float:
    """Haversine distance between two points given in degrees."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Distance:
    """A distance in km and how it was obtained: ``"road"`` (recorded) or ``"estimated"``."""

    km: float
    how: str
    road_factor: float | None = None

    @property
    def is_estimate(self) -> bool:
        return self.how == "estimated"


def site_distance(site, office, road_factor: float) -> Distance | None:
    """From ``office`` to ``site``: the site's recorded road distance, else the
    great-circle distance x ``road_factor``; ``None`` when neither can be had."""
    if site is not None and site.road_distance_km is not None:
        return Distance(float(site.road_distance_km), "road")
    if site is None or office is None or site.latitude is None or office.latitude is None:
        return None
    km = great_circle_km(office.latitude, office.longitude, site.latitude, site.longitude)
    return Distance(round(km * road_factor, 1), "estimated", road_factor)

"""The demo as plain data: :func:`build_plan` is deterministic for a seed and a date."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from ..geo import great_circle_km
from .data import (
    BRANDS,
    CITIES,
    CONTACT_TITLES,
    HEAD_OF_SERVICE,
    INDUSTRIES,
    KEY_STAFF,
    OFFICES,
    PRODUCTS,
    SKILLS,
    City,
    address,
    chinese_name,
    mobile,
)

SEED = 20260101
#: units the demo holds unless ``--units`` asks otherwise
DEFAULT_UNITS = 2400


@dataclass
class Plan:
    """The whole demo as plain data; rows refer to each other by natural keys."""
    offices: list[dict] = field(default_factory=list)
    staff: list[dict] = field(default_factory=list)
    products: list[dict] = field(default_factory=list)
    customers: list[dict] = field(default_factory=list)
    sites: list[dict] = field(default_factory=list)      # "customer": code, "key": (code, n)
    contacts: list[dict] = field(default_factory=list)
    contracts: list[dict] = field(default_factory=list)  # "customer": code
    units: list[dict] = field(default_factory=list)      # "contract", "product", "site" keys


def _bands(office: City) -> tuple[list, list, list]:
    """Catalogue cities within 100 km, 100-500 km and beyond 500 km of ``office``."""
    near, mid, far = [], [], []
    for city in CITIES.values():
        d = great_circle_km(office.lat, office.lon, city.lat, city.lon)
        if city.name == office.name:
            continue
        (near if d < 100 else mid if d <= 500 else far).append((d, city))
    far.sort(key=lambda pair: pair[0])
    return [c for _, c in near], [c for _, c in mid], [c for _, c in far[:8]]


def _nearest_office(city: City) -> str:
    """The city of the office nearest to ``city``."""
    return min((great_circle_km(city.lat, city.lon, CITIES[name].lat, CITIES[name].lon), name)
               for _, name, *_ in OFFICES)[1]


def _unit_dates(rng: random.Random, signed_on: dt.date, today: dt.date):
    """(installed_on, accepted_on, status) for a unit sold on ``signed_on``.

    Written with ``rng.random()`` only: the bulk path calls it a million times.
    """
    installed = signed_on + dt.timedelta(days=30 + int(rng.random() * 121))
    if installed > today:
        return None, None, "ordered" if rng.random() < 0.5 else "delivered"
    accepted = installed + dt.timedelta(days=7 + int(rng.random() * 39))
    if accepted > today:
        return installed, None, "installed"
    roll = rng.random()
    if roll < 0.04:
        status = "under_repair"
    elif roll < 0.06:
        status = "replaced"
    elif roll < 0.06 + 0.02 * (today - accepted).days / 365:  # older units retire
        status = "retired"
    else:
        status = "in_service"
    return installed, accepted, status


def build_plan(today: dt.date, units: int = DEFAULT_UNITS, seed: int = SEED) -> Plan:
    """The demo for ``today``: the same arguments always give the same plan."""
    rng = random.Random(seed)
    plan = Plan()

    for code, city_name, area, _ in OFFICES:
        city = CITIES[city_name]
        plan.offices.append({
            "code": code, "name": f"{city.name}办事处", "city": city.name, "province": city.province,
            "address": address(rng, city),
            "phone": f"{area}-{rng.randint(5, 8)}{rng.randint(0, 9999999):07d}"[:len(area) + 9],
            "latitude": Decimal(f"{city.lat:.6f}"), "longitude": Decimal(f"{city.lon:.6f}")})

    # staff: the named accounts, then a manager and 2-3 engineers per office
    taken = {login for _, login, *_ in KEY_STAFF}
    for name, login, role, office, skills in KEY_STAFF:
        plan.staff.append({"name": name, "username": login, "role": role, "office": office,
                               "skills": skills})
    named = [(role, office) for _, _, role, office, _ in KEY_STAFF]
    for code, *_ in OFFICES:
        people = [] if ("office_manager", code) in named else ["office_manager"]
        people += ["engineer"] * (rng.choice((2, 3, 3)) - named.count(("engineer", code)))
        for role in people:
            name, login = chinese_name(rng, taken)
            skills = ", ".join(sorted(rng.sample(SKILLS, rng.randint(2, 4))))
            plan.staff.append({"name": name, "username": login, "role": role, "office": code,
                                   "skills": skills})
    for person in plan.staff:
        person["phone"] = mobile(rng)
        person["email"] = f"{person['username']}@service.example.cn"
        # the demo's HQ account is the head of service: a breach that lasts reaches it
        person["head_of_service"] = person["username"] == HEAD_OF_SERVICE

    for model, name, grade, life, months, price in PRODUCTS:
        plan.products.append({"model": model, "name": name, "grade": grade,
                                  "design_life_years": life, "warranty_months": months,
                                  "notes": f"list price CNY {price:,}"})
    price = {model: p for model, *_, p in PRODUCTS}

    industries = list(INDUSTRIES)
    weights = [INDUSTRIES[i][0] for i in industries]
    names_taken: set[str] = set()
    for office_code, office_city, _, count in OFFICES:
        home = CITIES[office_city]
        near, mid, far = _bands(home)
        # customers are based in the office's city or in a city nearer to it than to any
        # other office; their other sites may be anywhere in the three distance bands
        local = [c for c in near + mid if _nearest_office(c) == home.name]
        for n in range(1, count + 1):
            industry = rng.choices(industries, weights)[0]
            _, patterns, kinds, buys = INDUSTRIES[industry]
            city = home if rng.random() < 0.65 or not local else rng.choice(local)
            for _attempt in range(20):
                name = rng.choice(patterns).format(c=city.name, b=rng.choice(BRANDS))
                if name not in names_taken:
                    break
            else:
                name = f"{name}（{n}）"
            names_taken.add(name)
            code = f"C-{office_code}-{n:03d}"
            plan.customers.append({
                "code": code, "name": name, "industry": industry, "office": office_code,
                "notes": "重点客户" if rng.random() < 0.15 else ""})

            # sites: the first in the customer's city, others near, 100-500 km or far away
            site_cities = [city]
            for _ in range(rng.choice((0, 1, 1, 2))):
                band = rng.choices(("near", "mid", "far"), (50, 35, 15))[0]
                pool = {"near": near, "mid": mid, "far": far}[band] or mid or far
                site_cities.append(rng.choice(pool))
            for k, site_city in enumerate(site_cities, start=1):
                lat = site_city.lat + rng.uniform(-0.04, 0.04)
                lon = site_city.lon + rng.uniform(-0.04, 0.04)
                road = None
                if rng.random() < 0.4:
                    d = great_circle_km(home.lat, home.lon, lat, lon)
                    road = Decimal(f"{d * rng.uniform(1.15, 1.45):.1f}")
                plan.sites.append({
                    "customer": code, "key": (code, k),
                    "name": f"{site_city.name}{rng.choice(kinds)}",
                    "address": address(rng, site_city), "city": site_city.name,
                    "province": site_city.province, "latitude": Decimal(f"{lat:.6f}"),
                    "longitude": Decimal(f"{lon:.6f}"), "road_distance_km": road})

            for _ in range(rng.randint(1, 3)):
                person, login = chinese_name(rng, set())
                plan.contacts.append({
                    "customer": code, "name": person, "title": rng.choice(CONTACT_TITLES),
                    "phone": mobile(rng), "email": f"{login}@{code.lower()}.example.cn"})

            for _ in range(rng.choice((1, 1, 2, 2, 3))):
                signed = today - dt.timedelta(days=rng.randint(15, 6 * 365))
                age = (today - signed).days
                status = ("completed" if age > 3 * 365 and rng.random() < 0.7
                          else "terminated" if rng.random() < 0.03
                          else "draft" if age < 120 and rng.random() < 0.25
                          else "active")
                contract = {
                    "number": None,  # below: by office and year, in signing order
                    "customer": code, "signed_on": signed, "status": status,
                    "warranty_months": rng.choice((None,) * 8 + (36, 60)),
                    "products": rng.sample(buys, rng.randint(1, min(3, len(buys)))),
                    "sites": [(code, k) for k in range(1, len(site_cities) + 1)],
                    "weight": rng.choice((1, 1, 2, 3, 5, 8)), "value": Decimal(0),
                    "notes": ""}
                plan.contracts.append(contract)

    # key customers' contracts since the premium term sheet came out run on it
    key_customers = {c["code"] for c in plan.customers if c["notes"]}
    for contract in plan.contracts:
        contract["terms"] = ("premium" if contract["customer"] in key_customers
                             and contract["signed_on"].year >= today.year - 3 else None)

    # contract numbers: HT<year>-<office>-<nnn>, numbered in signing order
    numbered: dict[tuple[str, int], int] = {}
    office_of = {c["code"]: c["office"] for c in plan.customers}
    for contract in sorted(plan.contracts, key=lambda c: (c["signed_on"], c["customer"])):
        key = (office_of[contract["customer"]], contract["signed_on"].year)
        numbered[key] = numbered.get(key, 0) + 1
        contract["number"] = f"HT{key[1]}-{key[0]}-{numbered[key]:03d}"

    # units: spread over the contracts that were signed (drafts have none yet)
    selling = [c for c in plan.contracts if c["status"] != "draft"]
    cumulative, total = [], 0
    for contract in selling:
        total += contract["weight"]
        cumulative.append(total)
    for seq in range(1, units + 1):
        contract = rng.choices(selling, cum_weights=cumulative)[0]
        product = rng.choice(contract["products"])
        installed, accepted, status = _unit_dates(rng, contract["signed_on"], today)
        if contract["status"] == "terminated" and status in ("ordered", "delivered"):
            status = "delivered"
        plan.units.append({
            "serial": f"{product}-{contract['signed_on']:%y}{seq:07d}",
            "product": product, "contract": contract["number"],
            "site": rng.choice(contract["sites"]) if installed else None,
            "installed_on": installed, "accepted_on": accepted, "status": status})
        contract["value"] += Decimal(price[product])
    for contract in plan.contracts:
        if contract["value"] == 0:  # drafts and contracts without units: a quotation
            contract["value"] = Decimal(price[contract["products"][0]] * rng.randint(1, 4))
        contract["value"] = (contract["value"] * Decimal(rng.uniform(0.85, 1.15))
                             ).quantize(Decimal(100))
    return plan

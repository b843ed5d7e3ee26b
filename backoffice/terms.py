"""Term sheets: the numbers of a contract family, as data headquarters edits without code.

A sheet is a TOML document (``rules/charter.toml`` is the standard charter)::

    name = "premium"
    title = "Premium service"
    clock = "china-business"   # optional: "24x7" (the default) or a business calendar

    [reply]
    hours = 1

    [arrival]
    # bands, nearest first; a band covers distances above the previous band's
    # max_km up to and including its own; the last band has no max_km
    bands = [{max_km = 100, hours = 4}, {max_km = 500, hours = 8}, {hours = 16}]

    [replacement]
    earliest_days = 5
    latest_days = 10

    [warranty]
    months = 24          # optional: else the contract's, else the product's

    [visits]
    per_year = 1

    [escalation]
    warning_share = 0.75   # optional: warn when this share of a milestone's time is gone
    head_after_hours = 4   # optional: a breach this old goes to HQ's head of service

:func:`parse_sheet` validates a sheet and returns its :class:`Terms`; every
problem is a :class:`SheetError` naming the key and what is wrong. Sheets load
into the database as numbered versions of a term set
(:mod:`backoffice.models.terms`); :func:`diff` shows what changed between two.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any

from .clock import ALWAYS_ON, CLOCKS
from .i18n import _


class SheetError(ValueError):
    """A term sheet is invalid; the message names the key and the problem."""


@dataclass(frozen=True)
class Band:
    max_km: float | None  # None: every distance beyond the previous band
    hours: float


#: the charter's escalation numbers (a sheet without ``[escalation]`` has these)
DEFAULT_WARNING_SHARE = 0.75
DEFAULT_HEAD_AFTER_HOURS = 4.0


@dataclass(frozen=True)
class Terms:
    """The numbers in force for a contract, and their name for ``decided_by``."""

    name: str
    version: int
    title: str
    reply_hours: float
    bands: tuple[Band, ...]
    replacement_earliest_days: int
    replacement_latest_days: int
    warranty_months: int | None
    visits_per_year: int
    #: the clock deadlines count on: ``24x7`` (elapsed time) or a business calendar's name
    clock: str = ALWAYS_ON
    #: the share of a milestone's time after which the clock watcher warns (0 < share < 1)
    warning_share: float = DEFAULT_WARNING_SHARE
    #: hours after a breach at which it goes up to headquarters' head of service
    head_after_hours: float = DEFAULT_HEAD_AFTER_HOURS

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    def band_for(self, distance_km: float) -> tuple[Band, str]:
        """The band a distance falls in, and its name ("arrival band 100-500 km")."""
        lower = 0.0
        for band in self.bands:
            if band.max_km is None:
                return band, f"arrival band over {_km(lower)} km"
            if distance_km <= band.max_km:
                return band, f"arrival band {_km(lower)}-{_km(band.max_km)} km"
            lower = band.max_km
        raise AssertionError("the last band is open-ended")  # parse_sheet guarantees it

    def as_dict(self) -> dict[str, Any]:
        """The sheet's content as plain data (what a version stores and a diff compares)."""
        data: dict[str, Any] = {
            "name": self.name, "title": self.title,
            "reply": {"hours": _n(self.reply_hours)},
            "arrival": {"bands": [({"max_km": _n(b.max_km)} if b.max_km is not None else {})
                                  | {"hours": _n(b.hours)} for b in self.bands]},
            "replacement": {"earliest_days": self.replacement_earliest_days,
                            "latest_days": self.replacement_latest_days},
            "visits": {"per_year": self.visits_per_year},
        }
        if self.warranty_months is not None:
            data["warranty"] = {"months": self.warranty_months}
        if self.clock != ALWAYS_ON:  # left out at the default, so older versions compare equal
            data["clock"] = self.clock
        escalation = {key: _n(value) for key, value, default in (
            ("warning_share", self.warning_share, DEFAULT_WARNING_SHARE),
            ("head_after_hours", self.head_after_hours, DEFAULT_HEAD_AFTER_HOURS))
            if value != default}
        if escalation:  # left out at the defaults, as the clock is
            data["escalation"] = escalation
        return data


def _n(value: float):
    """Whole numbers as int, so a stored sheet reads 2, not 2.0."""
    return int(value) if float(value).is_integer() else value


def _km(value: float) -> str:
    return f"{value:g}"


SCHEMA = {
    "name": str, "title": str, "clock": str,
    "reply": {"hours": float},
    "arrival": {"bands": list},
    "replacement": {"earliest_days": int, "latest_days": int},
    "warranty": {"months": int},
    "visits": {"per_year": int},
    "escalation": {"warning_share": float, "head_after_hours": float},
}
REQUIRED = ("name", "reply.hours", "arrival.bands", "replacement.earliest_days",
            "replacement.latest_days")


def _number(value, key: str, kind: type, where: str):
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        if kind is float:
            raise SheetError(_("%(where)s: %(key)s must be a number, got %(value)s",
                               where=where, key=key, value=repr(value)))
        raise SheetError(_("%(where)s: %(key)s must be an integer, got %(value)s",
                           where=where, key=key, value=repr(value)))
    return float(value) if kind is float else value


def _check_shape(data: dict, schema: dict, where: str, prefix: str = "") -> None:
    for key, value in data.items():
        path = prefix + key
        if key not in schema:
            raise SheetError(_("%(where)s: unknown key %(key)s", where=where, key=repr(path)))
        expected = schema[key]
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                raise SheetError(_("%(where)s: %(path)s must be a table", where=where,
                                   path=path))
            _check_shape(value, expected, where, path + ".")
        elif expected in (int, float):
            _number(value, path, expected, where)
        elif not isinstance(value, expected):
            raise SheetError(_("%(where)s: %(path)s must be %(type)s, got %(value)s",
                               where=where, path=path, type=expected.__name__,
                               value=repr(value)))


def _get(data: dict, path: str, default=None):
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return default
        data = data[part]
    return data


#: arrays and inline tables nest at most this deep in a sheet (a real one: 2, the bands);
#: tomllib parses nesting by recursion, and 2,000 levels exhaust Python's stack
MAX_NESTING = 20

#: what the nesting count skips (strings and comments, whose brackets do not nest) and
#: the brackets it counts
_TOKENS = re.compile(  # a string always matches (to its end, or the text's): linear time
    r'"""(?:\\.|[^\\])*?(?:"""|\\?\Z)|\'\'\'.*?(?:\'\'\'|\Z)'
    r'|"(?:\\.|[^"\\\n])*+(?:"|(?=\n)|\\?\Z)|\'[^\'\n]*+(?:\'|(?=\n)|\Z)|#[^\n]*|[\[\]{}]',
    re.DOTALL)


def nesting(text: str) -> int:
    """How deep arrays and inline tables (and ``[table]`` headers) nest in TOML ``text``."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth = max(depth - 1, 0)
    return deepest


def parse_sheet(text: str, where: str = "sheet", version: int = 1) -> Terms:
    """Validate TOML ``text`` and return its :class:`Terms`; ``where`` prefixes errors."""
    too_deep = SheetError(_("%(where)s: arrays and tables nest deeper than %(max)d levels",
                            where=where, max=MAX_NESTING))
    if nesting(text) > MAX_NESTING:
        raise too_deep
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SheetError(_("%(where)s: not valid TOML (%(error)s)", where=where,
                           error=str(exc))) from None
    except RecursionError:  # nesting the count above missed (it is not a full parser)
        raise too_deep from None
    return terms_from_dict(data, where, version)


def terms_from_dict(data: dict, where: str = "sheet", version: int = 1) -> Terms:
    _check_shape(data, SCHEMA, where)
    for path in REQUIRED:
        if _get(data, path) is None:
            raise SheetError(_("%(where)s: %(path)s is required", where=where, path=path))
    name = data["name"].strip()
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise SheetError(_("%(where)s: name must be letters, digits, - or _, got %(name)s",
                           where=where, name=repr(name)))
    reply = _number(data["reply"]["hours"], "reply.hours", float, where)
    if not 0 < reply <= 720:
        raise SheetError(_("%(where)s: reply.hours must be above 0 and at most 720, "
                           "got %(hours)s", where=where, hours=f"{reply:g}"))
    bands = _bands(data["arrival"]["bands"], where)
    earliest = data["replacement"]["earliest_days"]
    latest = data["replacement"]["latest_days"]
    if not 0 <= earliest <= latest <= 365:
        raise SheetError(_("%(where)s: replacement needs 0 <= earliest_days <= latest_days "
                           "<= 365, got %(earliest)s..%(latest)s", where=where,
                           earliest=earliest, latest=latest))
    months = _get(data, "warranty.months")
    if months is not None and not 0 <= months <= 600:
        raise SheetError(_("%(where)s: warranty.months must be between 0 and 600, "
                           "got %(months)s", where=where, months=months))
    visits = _get(data, "visits.per_year", 1)
    if not 1 <= visits <= 52:
        raise SheetError(_("%(where)s: visits.per_year must be between 1 and 52, "
                           "got %(visits)s", where=where, visits=visits))
    clock = data.get("clock", ALWAYS_ON).strip()
    if clock not in CLOCKS:
        raise SheetError(_("%(where)s: clock must be one of %(clocks)s, got %(clock)s",
                           where=where, clocks=", ".join(CLOCKS), clock=repr(clock)))
    share = _number(_get(data, "escalation.warning_share", DEFAULT_WARNING_SHARE),
                    "escalation.warning_share", float, where)
    if not 0 < share < 1:
        raise SheetError(_("%(where)s: escalation.warning_share must be above 0 and below 1, "
                           "got %(share)s", where=where, share=f"{share:g}"))
    head_after = _number(_get(data, "escalation.head_after_hours", DEFAULT_HEAD_AFTER_HOURS),
                         "escalation.head_after_hours", float, where)
    if not 0 < head_after <= 720:
        raise SheetError(_("%(where)s: escalation.head_after_hours must be above 0 and at most "
                           "720, got %(hours)s", where=where, hours=f"{head_after:g}"))
    return Terms(name=name, version=version, title=data.get("title", "").strip() or name,
                 reply_hours=reply, bands=bands, replacement_earliest_days=earliest,
                 replacement_latest_days=latest, warranty_months=months,
                 visits_per_year=visits, clock=clock, warning_share=share,
                 head_after_hours=head_after)


def _bands(raw: list, where: str) -> tuple[Band, ...]:
    if not raw:
        raise SheetError(_("%(where)s: arrival.bands needs at least one band", where=where))
    bands, previous = [], 0.0
    for index, item in enumerate(raw):
        key = f"arrival.bands[{index}]"
        if not isinstance(item, dict):
            raise SheetError(_("%(where)s: %(key)s must be a table like "
                               "{max_km = 100, hours = 6}", where=where, key=key))
        unknown = set(item) - {"max_km", "hours"}
        if unknown:
            raise SheetError(_("%(where)s: unknown key %(key)s", where=where,
                               key=f"{key}.{min(unknown)}"))
        if "hours" not in item:
            raise SheetError(_("%(where)s: %(path)s is required", where=where,
                               path=f"{key}.hours"))
        hours = _number(item["hours"], f"{key}.hours", float, where)
        if not 0 < hours <= 720:
            raise SheetError(_("%(where)s: %(path)s must be above 0 and at most 720",
                               where=where, path=f"{key}.hours"))
        last = index == len(raw) - 1
        max_km = item.get("max_km")
        if last and max_km is not None:
            raise SheetError(_("%(where)s: %(key)s is the last band and must have no max_km "
                               "(it covers every farther distance)", where=where, key=key))
        if not last:
            if max_km is None:
                raise SheetError(_("%(where)s: %(path)s is required (only the last band "
                                   "is open-ended)", where=where, path=f"{key}.max_km"))
            max_km = _number(max_km, f"{key}.max_km", float, where)
            if max_km <= previous:
                raise SheetError(_("%(where)s: %(path)s must be above %(previous)s",
                                   where=where, path=f"{key}.max_km", previous=f"{previous:g}"))
            previous = max_km
        bands.append(Band(max_km, hours))
    return tuple(bands)


#: the built-in charter's title (also ``rules/charter.toml``'s), shown translated
STANDARD_TITLE = "Standard charter terms"


def title_label(title: str) -> str:
    """A term set's title for people: the built-in charter's in the reader's language, a
    title headquarters typed exactly as typed."""
    return _("Standard charter terms") if title == STANDARD_TITLE else title


#: the charter's standard terms, used for contracts pinned to no term set
#: (``rules/charter.toml`` holds the same numbers; a test keeps them equal)
STANDARD = terms_from_dict({
    "name": "charter", "title": STANDARD_TITLE,
    "reply": {"hours": 2},
    "arrival": {"bands": [{"max_km": 100, "hours": 6}, {"max_km": 500, "hours": 12},
                          {"hours": 24}]},
    "replacement": {"earliest_days": 5, "latest_days": 10},
    "visits": {"per_year": 1},
}, "standard terms")


def flatten(data: dict, prefix: str = "") -> dict[str, Any]:
    """``{"reply": {"hours": 2}}`` -> ``{"reply.hours": 2}``; band lists by index."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = prefix + key
        if isinstance(value, dict):
            out.update(flatten(value, path + "."))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                out.update(flatten(item, f"{path}[{index}].") if isinstance(item, dict)
                           else {f"{path}[{index}]": item})
        else:
            out[path] = value
    return out


@dataclass(frozen=True)
class Change:
    key: str
    old: Any  # None: added
    new: Any  # None: removed


def diff(old: dict, new: dict) -> list[Change]:
    """What changed between two sheets' data, key by key, in key order."""
    a, b = flatten(old), flatten(new)
    return [Change(key, a.get(key), b.get(key)) for key in sorted(set(a) | set(b))
            if a.get(key) != b.get(key)]


def to_toml(data: dict) -> str:
    """A sheet's data as TOML text (the format ``rules/*.toml`` use)."""
    lines = [f"name = {_toml_value(data['name'])}", f"title = {_toml_value(data['title'])}"]
    if "clock" in data:
        lines.append(f"clock = {_toml_value(data['clock'])}")
    for table in ("reply", "arrival", "replacement", "warranty", "visits"):
        if table in data:
            lines += ["", f"[{table}]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in data[table].items()]
    return "\n".join(lines) + "\n"


def _toml_value(value) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return str(value)

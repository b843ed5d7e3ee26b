"""``backoffice plugins ...`` and ``backoffice terms ...``: the rule engine from the shell.

Bad arguments print one line on stderr and exit 2, and write nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..clock import local, zone
from ..i18n import _
from ..labels import Milestone, label
from ..models import Contract, RuleViolation, RunState, TermSet, TermSetVersion
from ..plugins import current_engine, registry
from ..services import contracts as contract_service
from ..services import whatif
from ..services.deadlines import compute_deadlines
from ..services.terms import publish
from ..terms import STANDARD, SheetError, diff, parse_sheet
from . import TEXT, Group, acting_user, as_option, fail

#: ``terms diff`` and ``--terms`` take version numbers up to this (a 64-bit id is nonsense)
MAX_VERSION = 1_000_000

#: ``terms load`` reads at most this many characters (the charter's sheet is under 1,000)
MAX_SHEET_CHARS = 1_000_000


def _engine():
    return current_engine()


# -- plugins ---------------------------------------------------------------------

@click.group("plugins", cls=Group,
             help="Rule plugins: what is loaded, and whether contracts use them well.")
def plugins_group():
    pass


@plugins_group.command("list", help="Loaded plugins in load order: source, version, hooks, "
                                    "contracts using each.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@with_appcontext
def plugins_list(as_json):
    rows = registry(_engine())
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        version = f" {row['version']}" if row["version"] else ""
        click.echo(f"{row['name']}{version}  [{row['source']}: {row['location']}]")
        click.echo(_("    hooks: %(hooks)s", hooks=", ".join(row["hooks"]) or "-"))
        if row["source"] != "default":
            click.echo(_("    contracts: %(contracts)s",
                         contracts=", ".join(row["contracts"]) or "-"))
        if row["failures"]:
            click.echo(_("    failures: %(failures)s", failures=row["failures"]))


@plugins_group.command("check", help="Load every plugin, check every contract's plugin "
                                     "settings and pinned term set; one line per problem.")
@with_appcontext
def plugins_check():
    engine = _engine()
    problems = [_("plugin %(name)s (%(where)s) implements no hook",
                  name=name, where=engine.plugins[name].location) for name in engine.idle()]
    for contract in Contract.select().order_by(Contract.number):
        problems += [_("contract %(number)s: %(problem)s", number=contract.number, problem=p)
                     for p in contract_service.plugin_problems(contract)]
        if contract.term_set_version_id is not None:
            version = TermSetVersion.get_or_none(TermSetVersion.id == contract.term_set_version_id)
            try:
                version.terms()
            except (AttributeError, ValueError) as exc:
                problems.append(_("contract %(number)s: pinned term set is unusable "
                                  "(%(error)s)", number=contract.number, error=str(exc)))
    for line in problems:
        click.echo(line, err=True)
    if problems:
        raise SystemExit(1)
    click.echo(_("ok: %(plugins)d plugin(s) loaded, %(contracts)d contract(s) checked",
                 plugins=len(engine.plugins), contracts=Contract.select().count()))


@plugins_group.command("reset-failures", help="Set the failure counts back to zero, of every "
                                              "plugin or of NAME, for every instance.")
@click.argument("name", required=False, type=TEXT)
@with_appcontext
def plugins_reset_failures(name):
    engine = _engine()
    if name is not None and name not in engine.plugins and not engine.failure_count(name):
        fail(_("no plugin named %(name)s is loaded or has failures counted", name=repr(name)))
    click.echo(_("reset %(count)d failure count(s), one per plugin and hook",
                 count=engine.reset_failures(name)))


# -- terms -----------------------------------------------------------------------

@click.group("terms", cls=Group,
             help="Term sheets: load, list, compare and preview their deadlines.")
def terms_group():
    pass


@terms_group.command("load", help="Validate a TOML term sheet and store it as a new version.")
@click.argument("file", type=TEXT)  # TEXT, not click.Path: a NUL would make it raise
@click.option("--note", default="", type=TEXT, help="Why this version (shown in its history).")
@click.option("--as", "as_user", default=None, metavar="USER", type=TEXT,
              help="Publish as this user (headquarters or an administrator); default: "
                   "the operator, recorded as cli:<your login name>.")
@with_appcontext
def terms_load(file, note, as_user):
    actor = acting_user(as_user)
    file = Path(file)
    try:
        with file.open(encoding="utf-8") as stream:  # a bounded read: /dev/zero ends too
            text = stream.read(MAX_SHEET_CHARS + 1)
    except (OSError, UnicodeDecodeError) as exc:
        fail(_("%(file)s: cannot read (%(error)s)", file=str(file),
               error=f"{exc.__class__.__name__}: {exc}"))
    if len(text) > MAX_SHEET_CHARS:
        fail(_("%(file)s: a term sheet has at most %(max)s characters", file=str(file),
               max=f"{MAX_SHEET_CHARS:,}"))
    try:
        terms = parse_sheet(text, str(file))
    except SheetError as exc:
        fail(str(exc))
    try:
        version = publish(actor, terms, note or f"loaded from {file.name}")
    except RuleViolation as exc:
        fail(f"{file}: {exc}")
    click.echo(_("stored %(version)s (published by %(actor)s)", version=str(version),
                 actor=version.published_by))


@terms_group.command("list", help="Term sets, their versions and the contracts pinned to each.")
@with_appcontext
def terms_list():
    unpinned = Contract.select().where(Contract.term_set_version.is_null()).count()
    click.echo(_("%(label)s (built-in standard terms): %(count)d contract(s)",
                 label=STANDARD.label, count=unpinned))
    for version in TermSetVersion.select().order_by(TermSetVersion.term_set,
                                                    TermSetVersion.number):
        pinned = Contract.select().where(Contract.term_set_version == version).count()
        click.echo(_("%(version)s  %(at)s UTC by %(actor)s: %(count)d contract(s)",
                     version=str(version), at=f"{version.created_at:%Y-%m-%d %H:%M}",
                     actor=version.published_by or "-", count=pinned))


def _version(name: str, number: int):
    if not 1 <= number <= MAX_VERSION:
        fail(_("term set %(name)s has no version %(number)d", name=name, number=number))
    term_set = TermSet.get_or_none(TermSet.name == name)
    if term_set is None:
        fail(_("no term set named %(name)s", name=repr(name)))
    version = TermSetVersion.get_or_none((TermSetVersion.term_set == term_set)
                                         & (TermSetVersion.number == number))
    if version is None:
        fail(_("term set %(name)s has no version %(number)d", name=name, number=number))
    return version


@terms_group.command("diff", help="What changed in term set SET from version V1 to V2.")
@click.argument("set_name", metavar="SET", type=TEXT)
@click.argument("v1", type=int)
@click.argument("v2", type=int)
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def terms_diff(set_name, v1, v2, as_json):
    old, new = _version(set_name, v1), _version(set_name, v2)
    changes = diff(old.values(), new.values())
    if as_json:
        click.echo(json.dumps([{"key": c.key, "old": c.old, "new": c.new} for c in changes],
                              ensure_ascii=False))
        return
    click.echo(f"--- {old}\n+++ {new}")
    for change in changes:
        click.echo(f"{change.key}: {_show(change.old)} -> {_show(change.new)}")
    if not changes:
        click.echo(_("(no differences)"))


def _show(value) -> str:
    return _("(none)") if value is None else json.dumps(value, ensure_ascii=False)


@terms_group.command("preview", help="The deadlines of a fault, without a ticket.")
@click.option("--distance-km", required=True, type=TEXT,
              help="Road distance from the serving office.")
@click.option("--received", required=True, type=TEXT,
              help="When the report was logged, ISO 8601 (no offset: the configured zone).")
@click.option("--contract", "number", default=None, type=TEXT,
              help="Contract number (default: none, the standard charter terms).")
@click.option("--confirmed", default=None, type=TEXT,
              help="Day a replacement was confirmed (adds the replacement window).")
@click.option("--terms", "version_spec", default=None, type=TEXT,
              help="Preview under another term-set version, e.g. premium:2.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def terms_preview(distance_km, received, number, confirmed, version_spec, as_json):
    contract = None
    if number:
        contract = Contract.get_or_none(Contract.number == number.strip().upper())
        if contract is None:
            fail(_("no contract numbered %(number)s", number=repr(number)))
    terms = None
    if version_spec:
        name, _sep, ver = version_spec.partition(":")
        if not ver.isdigit() or not ver.isascii():
            fail(_("--terms must look like premium:2, got %(spec)s", spec=repr(version_spec)))
        terms = _version(name, int(ver)).terms()
    try:
        result = compute_deadlines(received, distance_km, contract, confirmed, terms=terms)
    except ValueError as exc:
        fail(str(exc))
    data = result.as_json()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(_("contract: %(contract)s   terms: %(terms)s   plugins: %(plugins)s",
                 contract=data["contract"] or "-", terms=data["term_set"],
                 plugins=", ".join(data["plugins"]) or "-"))
    if "clock" in data:
        click.echo(_("clock: %(clock)s (working time only)", clock=data["clock"]))
    for kind, item in data["deadlines"].items():
        when = item.get("due") or f"{item['earliest']} .. {item['latest']}"
        click.echo(f"{kind:12} {when:27} {item['decided_by']}")
    if data.get("estimated"):
        click.echo(_("estimate: the calendar has no data for a year these deadlines count "
                     "over; headquarters can enter that year's days"), err=True)
    for failure in data["plugin_failures"]:  # the traceback is in the log
        click.echo(_("plugin %(plugin)s failed in %(hook)s: %(error)s (the next plugin "
                     "decided)", plugin=failure["plugin"], hook=failure["hook"],
                     error=failure["error"]), err=True)


@terms_group.command("whatif", help="Before moving contracts to version V: how the past "
                                    "tickets of the set's contracts met or missed each "
                                    "milestone under the terms they had, and how they would "
                                    "have under V, per office.")
@click.option("--term-set", "set_name", required=True, type=TEXT, metavar="NAME",
              help="The term set (for the charter: every contract on the standard terms too).")
@click.option("--version", "number", required=True, type=TEXT, metavar="V",
              help="The version of that set to count under, e.g. 2.")
@click.option("--since", default=None, type=TEXT, metavar="DATE",
              help="Only tickets received on or after this day, e.g. 2026-01-01 (the "
                   "service center's zone); default: every ticket.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@as_option
@with_appcontext
def terms_whatif(set_name, number, since, as_json, as_user):
    actor = acting_user(as_user)
    try:
        run = whatif.start(actor, set_name, number, since)
    except RuleViolation as exc:
        fail(str(exc))
    # a command waits for its answer, whatever the size (progress on stderr for a large one)
    run = whatif.execute(run.id, progress=_progress if run.total > whatif.INLINE_LIMIT
                         else None)
    if run.state != RunState.DONE:
        fail(_("the what-if count failed: %(error)s", error=run.error), code=1)
    data = run.counts()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    for line in whatif_lines(data):
        click.echo(line)


def _progress(done: int, total: int) -> None:
    click.echo(_("counted %(done)s of %(total)s tickets", done=f"{done:,}",
                 total=f"{total:,}"), err=True)


def whatif_lines(data: dict) -> list[str]:
    """A what-if result as the lines ``terms whatif`` prints: a heading, then a table with
    two rows an office (reply, arrival) and the totals."""
    under, count = data["label"], f"{data['tickets']:,}"
    as_of = f"{local(dt.datetime.fromisoformat(data['as_of'])):%Y-%m-%d %H:%M} ({zone()})"
    if data["since"]:
        heading = _("What-if %(version)s: %(count)s ticket(s) of %(name)s's contracts "
                    "received since %(since)s, as of %(as_of)s", version=under, count=count,
                    name=data["term_set"], since=data["since"], as_of=as_of)
    else:
        heading = _("What-if %(version)s: %(count)s ticket(s) of %(name)s's contracts, as of "
                    "%(as_of)s", version=under, count=count, name=data["term_set"],
                    as_of=as_of)
    short = f"v{data['version']}"  # the heading names the set
    header = [_("office"), _("milestone"), _("tickets"), _("met now"), _("missed now"),
              _("open now"), _("met under %(v)s", v=short),
              _("missed under %(v)s", v=short), _("open under %(v)s", v=short)]
    rows = []
    for name, row in [(o["office"], o) for o in data["offices"]] + [(_("total"),
                                                                     data["total"])]:
        for index, milestone in enumerate((Milestone.REPLY, Milestone.ARRIVAL)):
            counts = row[milestone.value]
            rows.append([name if index == 0 else "", label(milestone),
                         str(row["tickets"]) if index == 0 else "",
                         *(str(counts["now"][k]) for k in whatif.OUTCOMES),
                         *(str(counts["under"][k]) for k in whatif.OUTCOMES)])
    lines = [heading, *_table([header, *rows])]
    if data["skipped"]:
        lines.append(_("%(count)d ticket(s) skipped: no deadline can be counted for their "
                       "distance or time", count=data["skipped"]))
    if data["plugin_failures"]:
        lines.append(_("%(count)d plugin failure(s) while deciding (the next plugin decided; "
                       "see the log)", count=data["plugin_failures"]))
    return lines


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row))
            .rstrip() for row in rows]


COMMANDS = [plugins_group, terms_group]

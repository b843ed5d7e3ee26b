"""Property-based fuzz (Hypothesis) of every admin form and every command's options.

Admin: every ModelView of the app's Flask-Admin (``app.extensions["backoffice_admin"]``)
is found, its create form's fields read, and Hypothesis posts generated values into
its create form and into the edit form of one of its rows, logged in as the
administrator, with the form's CSRF token and, when editing, the ``version`` the
page carried: text (control characters, NUL, very long, formulas), integers far out
of range, decimals with NaN and Infinity, dates from year 1 to 9999, unknown
choices, and ids for relation fields (existing ones, 2**63 and beyond, negative,
full-width digits). Commands: every command and sub-command (the click groups,
walked as tests/test_cli_garbage.py walks them) gets generated values for each of
its options and arguments.

What must hold, on SQLite and PostgreSQL: no 500 and no ERROR record in the log
(Flask logs every unhandled exception there), no traceback in a page or an output;
a refusal (a form shown again, a 4xx; an exit status 2) writes nothing: every
table's row count, the audit trail's included, is what it was, and an edited row
is unchanged.

Bounds (the suite stays fast): :data:`FORM_EXAMPLES` examples per create or edit
form, :data:`COMMAND_EXAMPLES` per command; ``FUZZ_FORM_EXAMPLES``,
``FUZZ_COMMAND_EXAMPLES`` raise them for a deeper run, ``FUZZ_SHRINK=1`` shrinks a
failure to its smallest example (slower). Under ``CI=true`` the examples are
derandomized, so CI is reproducible. No example database is written.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import socket
import traceback
from pathlib import Path

import click
import flask.cli
from click.testing import CliRunner
from flask.cli import ScriptInfo
from flask_admin.contrib.peewee import ModelView
from flask_admin.model.fields import AjaxSelectField
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from peewee import ForeignKeyField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
)
from wtfpeewee.fields import SelectQueryField

from backoffice import worker as worker_module
from backoffice.cli import MIGRATION_NAME
from backoffice.cli import cli as backoffice_group
from backoffice.db import database
from backoffice.labels import StockItemKind
from backoffice.models import MODELS, CalendarDay, Staff, StaffLeave, StockItem
from backoffice.services import replacements, stock, tickets
from backoffice.services.tickets import Report
from tests.conftest import csrf_token
from tests.factories import make
from tests.test_cli_garbage import discover, takes_a_path, value_params

IN_CI = os.environ.get("CI", "").lower() == "true"
FORM_EXAMPLES = int(os.environ.get("FUZZ_FORM_EXAMPLES", "12"))
COMMAND_EXAMPLES = int(os.environ.get("FUZZ_COMMAND_EXAMPLES", "10"))
PREMIUM = Path(__file__).resolve().parent.parent / "rules" / "premium.toml"

settings.register_profile(
    "backoffice-fuzz",
    deadline=None, database=None, print_blob=False, report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
    phases=[Phase.explicit, Phase.generate]
    + ([Phase.shrink] if os.environ.get("FUZZ_SHRINK") == "1" else []))
settings.register_profile("backoffice-fuzz-ci", settings.get_profile("backoffice-fuzz"),
                          derandomize=True)
#: applied per test (never loaded globally: other tests' Hypothesis settings stay theirs)
PROFILE = settings.get_profile("backoffice-fuzz-ci" if IN_CI else "backoffice-fuzz")

# -- values ------------------------------------------------------------------------------

#: text a careless user or an attacker types (surrogates cannot travel in a form post)
NASTY_TEXT = ["", " ", "\x00", "a\x00b", "\x01", "tab\there", "line\nbreak", "\x1b[31m",
              "\u202eevil", "=HYPERLINK(\"http://x\",\"y\")", "<script>alert(1)</script>",
              "x" * 256, "长" * 300, "x" * 20_000, "NaN", "Infinity", "-0", "１２３",
              "9999-12-31", "0001-01-01", "null", "' OR 1=1 --", "%", "_", "\\"]
BIG_NUMBERS = [2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**20, -(2**63) - 1]

texts = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=40),
                  st.text(alphabet=st.characters(codec="ascii"), min_size=1, max_size=12))
integers = st.one_of(st.integers(-1000, 1000).map(str), st.sampled_from(BIG_NUMBERS).map(str),
                     st.integers().map(str), st.sampled_from(["", " 1", "１", "1.5", "1e3",
                                                              "0x10", "+1", "1_000"]), texts)
decimals = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.sampled_from(["NaN", "nan", "Infinity", "-Infinity", "inf", "1e400", "-1e400", "1e-400",
                     "12345678901234567890.123456789", "", "１２.５", "45.8", "-200", "0"]),
    texts)
dates = st.one_of(st.dates().map(dt.date.isoformat),
                  st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)).map(dt.date.isoformat),
                  st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30", "2026-13-01",
                                   "", "2026-1-1", "26-11-2026", "２０２６-01-01"]), texts)
datetimes = st.one_of(st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
                      st.sampled_from(["9999-12-31 23:59:59", "0001-01-01 00:00:00", ""]),
                      dates, texts)
booleans = st.sampled_from([None, "y", "", "false", "0", "on", "\x00"])


def ids(existing: list[int]) -> st.SearchStrategy:
    """A relation field's value: an existing id mostly, else one that cannot exist."""
    strange = st.one_of(st.sampled_from(BIG_NUMBERS + [0, -1]).map(str),
                        st.sampled_from(["", "__None", "１", " 1", "1.0", "+1", "0x1", "1e3"]),
                        st.integers().map(str), texts)
    return st.one_of(st.sampled_from(existing or [1]).map(str), strange) if existing \
        else strange


def choices_of(field) -> list[str]:
    values = []
    for choice in field.choices or []:
        value = getattr(choice, "value", None)
        if value is None and isinstance(choice, (tuple, list)):
            value = choice[0]
        values.append("" if value is None else str(value))
    return values


def field_strategy(view, field) -> st.SearchStrategy | None:
    """Generated values for one form field, by its type (``None``: not posted)."""
    model_field = view.model._meta.fields.get(field.name)
    if isinstance(field, (AjaxSelectField, SelectQueryField)) or isinstance(model_field,
                                                                            ForeignKeyField):
        related = model_field.rel_model if isinstance(model_field, ForeignKeyField) else None
        existing = [r.id for r in related.select(related.id).order_by(related.id).limit(5)] \
            if related is not None else []
        return ids(existing)
    if isinstance(field, BooleanField):
        return booleans
    if isinstance(field, SelectField):
        return st.one_of(st.sampled_from(choices_of(field) or [""]), texts)
    if isinstance(field, DateTimeField):
        return datetimes
    if isinstance(field, DateField):
        return dates
    if isinstance(field, (DecimalField, FloatField)):
        return decimals
    if isinstance(field, IntegerField):
        return integers
    if isinstance(field, HiddenField):
        return None  # the version: set from the page
    return texts


def fuzzed_fields(form) -> list:
    return [f for f in form if f.name not in ("csrf_token", "version")
            and not isinstance(f, HiddenField)]


def _shaped_like(text: str) -> st.SearchStrategy:
    """Another value of the same shape ("HRB" -> "QZT", "K-HRB-1" -> "K-PLM-7"): letters
    stay letters of their case and digits digits, so a unique code is new and still valid."""
    def char(c):
        if c.isascii() and c.isupper():
            return st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        if c.isascii() and c.islower():
            return st.sampled_from("abcdefghijklmnopqrstuvwxyz")
        if c.isascii() and c.isdigit():
            return st.sampled_from("0123456789")
        return st.just(c)
    return st.tuples(*[char(c) for c in text]).map("".join) if text else st.just("")


def posted_value(field) -> str | None:
    """What the browser posts for ``field`` as the form shows it (None: not posted)."""
    if isinstance(field, BooleanField):
        return "y" if field.data else None
    if isinstance(field, (AjaxSelectField, SelectQueryField)):
        data = field.data
        return str(data.get_id()) if data is not None and hasattr(data, "get_id") else "__None"
    if isinstance(field, SelectField):
        return "" if field.data is None else str(field.data)
    value = field._value()
    return "" if value is None else str(value)


def valid_guess(view, field) -> st.SearchStrategy:
    """A plausible valid value for a model with no row to start from."""
    model_field = view.model._meta.fields.get(field.name)
    if isinstance(model_field, ForeignKeyField):
        related = model_field.rel_model
        existing = [str(r.id) for r in related.select(related.id).limit(5)]
        return st.sampled_from(existing or ["__None"])
    if isinstance(field, BooleanField):
        return st.sampled_from([None, "y"])
    if isinstance(field, SelectField):
        return st.sampled_from([c for c in choices_of(field) if c] or [""])
    if isinstance(field, DateTimeField):
        return st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 12, 31)).map(
            lambda d: d.strftime("%Y-%m-%d %H:%M:%S"))
    if isinstance(field, DateField):
        return st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat)
    if isinstance(field, (DecimalField, FloatField, IntegerField)):
        return st.integers(0, 20).map(str)
    return st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=3, max_size=8)


def baselines(view, row, unique_fresh: bool) -> dict[str, st.SearchStrategy]:
    """Per field, a valid value: ``row``'s own (a create gets fresh values for its unique
    columns), or a plausible guess when there is no row."""
    if row is None:
        form = view._create_form_class(formdata=None, meta={"csrf": False})
        return {f.name: valid_guess(view, f) for f in fuzzed_fields(form)}
    form = view._edit_form_class(formdata=None, obj=row, meta={"csrf": False})
    out = {}
    for field in fuzzed_fields(form):
        value = posted_value(field)
        model_field = view.model._meta.fields.get(field.name)
        if unique_fresh and model_field is not None and model_field.unique:
            out[field.name] = (_shaped_like(value) if isinstance(value, str) and value
                               else valid_guess(view, field))
        else:
            out[field.name] = st.just(value)
    return out


#: the hidden version an edit form carries, as a tampered page would post it
versions = st.one_of(st.integers(-5, 5).map(str), st.sampled_from(BIG_NUMBERS).map(str), texts)


def form_values(view, form, base: dict[str, st.SearchStrategy],
                editing: bool = False) -> st.SearchStrategy:
    """A form as a user would post it, one or two fields at a time made nasty: garbage in
    every field stops at the first form error, garbage in one reaches the save. An edit's
    hidden ``version`` is one of the fields that may be tampered with."""
    nasty = {f.name: field_strategy(view, f) for f in fuzzed_fields(form)}
    if editing and "version" in form:
        nasty["version"] = versions
    names = sorted(n for n in nasty if nasty[n] is not None and (n in base or n == "version"))
    if not names:
        return st.fixed_dictionaries(base)

    def build(chosen):
        return st.fixed_dictionaries({n: nasty[n] if n in chosen else base[n]
                                      for n in [*base, *(["version"] if "version" in chosen
                                                         else [])]})
    return st.sets(st.sampled_from(names), min_size=1, max_size=min(2, len(names))).flatmap(
        build)


# -- the database ------------------------------------------------------------------------

def row_counts() -> dict[str, int]:
    """Every table's row count (the audit trail's included), in one query."""
    tables = [model._meta.table_name for model in MODELS]
    sql = "SELECT " + ", ".join(f'(SELECT COUNT(*) FROM "{t}")' for t in tables)
    return dict(zip(tables, database.execute_sql(sql).fetchone(), strict=True))


def stored(model, pk) -> dict:
    row = model.get_or_none(model._meta.primary_key == pk)
    return dict(row.__data__) if row is not None else {}


# -- the admin ---------------------------------------------------------------------------

VERSION_RE = re.compile(r'name="version"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="version"')


def model_views(app) -> list[ModelView]:
    admin = app.extensions["backoffice_admin"]
    return [view for view in admin._views if isinstance(view, ModelView)]


def describe(kind, view, values, response, errors) -> str:
    shown = {k: (v if len(str(v)) <= 80 else f"{str(v)[:40]}...({len(str(v))} chars)")
             for k, v in values.items()}
    logs = "; ".join(f"{r.name}: {r.getMessage()[:120]} " + (
        "".join(traceback.format_exception_only(*r.exc_info[:2])).strip()[:300]
        if r.exc_info else "") for r in errors)
    return f"{kind} {view.endpoint}: status {response.status_code} for {shown!r} {logs}"


class Fuzz:
    """What one run found: the failing examples, and how many examples ran per form."""

    def __init__(self):
        self.failures: list[str] = []
        self.examples: dict[str, int] = {}
        self.skipped: list[str] = []

    def run(self, label: str, strategy, check) -> None:
        self.examples[label] = 0

        @settings(PROFILE, max_examples=self.max_examples)
        @given(values=strategy)
        def examples(values):
            self.examples[label] += 1
            check(values)

        try:
            examples()
        except Exception as exc:  # noqa: BLE001 -- every failure is reported, none lost
            inner = exc.exceptions[0] if isinstance(exc, BaseExceptionGroup) else exc
            message = (str(inner).splitlines() or [""])[0]
            self.failures.append(message if isinstance(inner, AssertionError)
                                 else f"{label}: {type(inner).__name__}: {message}")

    max_examples = FORM_EXAMPLES


def post_checked(client, caplog, url, view, kind, values, token, version, pk):
    """Post one example; assert no 500, no ERROR log, nothing written on refusal."""
    data = {k: v for k, v in values.items() if v is not None}
    data["csrf_token"] = token
    if version is not None and "version" not in values:  # else: a tampered version
        data["version"] = version
    before = row_counts()
    row_before = stored(view.model, pk) if pk is not None else None
    caplog.clear()
    response = client.post(url, data=data)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    body = response.get_data(as_text=True)
    assert response.status_code < 500 and not errors and "Traceback" not in body, describe(
        kind, view, values, response, errors)
    assert "/login" not in (response.location or ""), "the fuzz lost its session"
    if response.status_code != 302:  # the form again, or a 4xx: a refusal writes nothing
        assert row_counts() == before, describe(f"{kind} (refused, yet written)", view,
                                                values, response, errors)
        if pk is not None:
            assert stored(view.model, pk) == row_before, describe(
                f"{kind} (refused, yet the row changed)", view, values, response, errors)
    return response


def fault_and_stock(world) -> None:
    """Rows for the screens whose records come from a service (a ticket is logged, stock
    moves, a replacement is confirmed), so their screens are opened too, and a calendar
    day and a leave, so that their edit forms are fuzzed whatever the create fuzz made."""
    manager = world.users["harbin_manager"]
    ticket = tickets.open_ticket(manager, Report(summary="UPS alarm", serial="SN-HRB-0001"))
    connector = make(StockItem, category=StockItemKind.CONNECTOR, name="SC-12 connector")
    stock.receive(manager, world.harbin, connector, 5, "from the factory")
    replacements.confirm(manager, ticket)
    make(StaffLeave, staff=world.users["harbin_engineer"], starts_on=dt.date(2026, 12, 1),
         ends_on=dt.date(2026, 12, 5), reason="leave")
    make(CalendarDay, calendar="china-business", day=dt.date(2026, 11, 30), kind="working",
         note="make-up working day")


def test_every_admin_form_survives_generated_input(app, world, client, auth, caplog):
    """No 500 and nothing written on refusal, for every create and edit form."""
    fault_and_stock(world)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a bug is then a 500 and an ERROR record
    caplog.set_level(logging.ERROR)
    auth.login("admin")
    admin_id = world.users["admin"].id
    fuzz = Fuzz()
    for view in model_views(app):
        pk_field = view.model._meta.primary_key

        def last_row(view=view, pk_field=pk_field):
            query = view.model.select().order_by(pk_field.desc())
            if view.model is Staff:
                query = query.where(Staff.id != admin_id)  # the fuzz's own account stays
            return query.first()

        new_url = f"/admin/{view.endpoint}/new/"
        page = client.get(new_url)
        if page.status_code == 200:
            token = csrf_token(page.get_data(as_text=True))
            with app.test_request_context():
                form = view._create_form_class(formdata=None, meta={"csrf": False})
                strategy = form_values(view, form, baselines(view, last_row(), True))
            fuzz.run(f"create {view.endpoint}", strategy,
                     lambda values, v=view, u=new_url, t=token: post_checked(
                         client, caplog, u, v, "create", values, t, None, None))
        else:
            fuzz.skipped.append(f"create {view.endpoint} ({page.status_code})")
        row = last_row()  # one the create fuzz made will do
        if row is None:
            fuzz.skipped.append(f"edit {view.endpoint} (no row)")
            continue
        pk = row.get_id()
        edit_url = f"/admin/{view.endpoint}/edit/?id={pk}"
        state = {}

        def load(url=edit_url, state=state):
            page = client.get(url)
            state["status"] = page.status_code
            if page.status_code == 200:
                html = page.get_data(as_text=True)
                state["token"] = csrf_token(html)
                match = VERSION_RE.search(html)
                state["version"] = (match.group(1) or match.group(2)) if match else None

        load()
        if state["status"] != 200:
            fuzz.skipped.append(f"edit {view.endpoint} ({state['status']})")
            continue

        def edit(values, v=view, url=edit_url, pk=pk, state=state, load=load):
            response = post_checked(client, caplog, url, v, "edit", values, state["token"],
                                    state["version"], pk)
            if response.status_code == 302:
                load()  # a saved edit moves the version on

        with app.test_request_context():
            form = view._edit_form_class(formdata=None, meta={"csrf": False})
            strategy = form_values(view, form, baselines(view, row, False), editing=True)
        fuzz.run(f"edit {view.endpoint}", strategy, edit)
    total = sum(fuzz.examples.values())
    print(f"\nadmin fuzz: {total} examples over {len(fuzz.examples)} forms "
          f"({FORM_EXAMPLES} each); not fuzzed: {fuzz.skipped or 'none'}")
    assert len(fuzz.examples) >= 2 * 8, fuzz.examples  # create and edit, 8 domain screens
    assert not fuzz.failures, f"{len(fuzz.failures)} form(s) failed:\n" + "\n".join(
        fuzz.failures)


# -- the command line --------------------------------------------------------------------

#: values that reach deeper than garbage does: names and numbers the world has
KNOWN = ["admin", "viewer", "harbin_manager", "HRB", "CAN", "K-HRB-1", "SN-HRB-0001",
         "premium", "charter", "viewer", "office_manager", "engineer", "hq", "1", "2",
         "120", "2026-11-26T09:00", "2026-11-27", "premium:1", "json", "yaml", "rule"]
cli_text = st.one_of(st.sampled_from(KNOWN), texts,
                     st.text(alphabet=st.characters(min_codepoint=1), max_size=30))
#: file names: one component in the test's own directory (no "/": nothing escapes it)
file_names = st.one_of(st.just(str(PREMIUM)), st.just("sheet.toml"), st.just("."),
                       st.just("no-such-dir/x"),
                       st.text(alphabet=st.characters(exclude_characters="/\x00",
                                                      exclude_categories=("Cs",)),
                               min_size=1, max_size=20))
sheets = st.one_of(
    st.just(PREMIUM.read_text(encoding="utf-8")),
    st.builds(lambda n, v: f"x = {'[' * n}{v}{']' * n}", st.integers(0, 3000),
              st.sampled_from(["1", "", "'['"])),
    st.builds(lambda head, v: PREMIUM.read_text(encoding="utf-8").replace("hours = 1", head + v),
              st.sampled_from(["hours = ", "hours = '", "x = "]),
              st.sampled_from(["nan", "inf", "1e400", "-1", "1" * 30, "{a={b=1}}", "\x00"])),
    st.text(max_size=200))


def param_strategy(path, param) -> st.SearchStrategy:
    if takes_a_path(param) or (path == ("terms", "load") and param.name == "file"):
        return file_names
    kind = param.type
    if isinstance(kind, click.Choice):
        return st.one_of(st.sampled_from([str(c) for c in kind.choices]), cli_text)
    if isinstance(kind, (click.types.IntParamType, click.types.FloatParamType)):
        return st.one_of(integers, cli_text)
    return cli_text


#: what each command always gets: ``up`` never serves, ``run`` gets a port in use
FORCED = {("up",): ["--no-serve"]}
#: parameters left alone: the port ``run`` must not get free, and Flask's
#: import-anything --cert (a generated name could import a module with side effects)
LEFT_ALONE = {("run",): {"port", "cert", "key"}}


def command_line(path, command, values, flags) -> list[str]:
    options, positional = [], []
    for param in command.params:
        if isinstance(param, click.Option) and param.is_flag and param.name in flags:
            options.append(max(param.opts, key=len))
        elif param.name in values:
            if isinstance(param, click.Argument):
                positional.append(values[param.name])
            else:
                options.append(f"{max(param.opts, key=len)}={values[param.name]}")
    return [*path, *FORCED.get(path, []), *options, *(["--", *positional] if positional else [])]


class _StopsAtOnce:
    """A worker consumer that returns from ``run`` at once (a fuzzed ``worker`` would
    otherwise run until killed)."""

    def run(self):
        return None


def test_every_command_survives_generated_options(app, world, runner, tmp_path, monkeypatch):
    """No traceback, exit 0 or 2 (``plugins check``: 1 for problems found), one line for a
    refusal and nothing written, for generated values of every option and argument."""
    monkeypatch.chdir(tmp_path)
    real_getaddrinfo = socket.getaddrinfo

    def offline(host, *args, **kwargs):  # no DNS traffic: names other than localhost fail
        if host not in ("localhost", "127.0.0.1", "::1"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kwargs)

    def never_serve(*args, **kwargs):
        raise AssertionError("run would have served")

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    monkeypatch.setattr(flask.cli, "run_simple", never_serve)
    # ``worker`` with good options starts and, here, stops at once (it would run forever)
    monkeypatch.setattr(worker_module.Worker, "consumer", lambda self, threads=2: _StopsAtOnce())
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    busy = holder.getsockname()[1]
    group_runner = CliRunner()
    fuzz = Fuzz()
    fuzz.max_examples = COMMAND_EXAMPLES
    for path, command, through_group in discover(app):
        if isinstance(command, click.Group):
            continue
        left_alone = LEFT_ALONE.get(path, set())
        params = [p for p in value_params(command) if p.name not in left_alone]
        flags = [p.name for p in command.params if isinstance(p, click.Option) and p.is_flag
                 and p.expose_value and p.name not in ("reload", "debugger")]
        if not params and not flags:
            continue
        required = {p.name: param_strategy(path, p) for p in params if p.required}
        optional = {p.name: param_strategy(path, p) for p in params if not p.required}
        strategy = st.tuples(st.fixed_dictionaries(required, optional=optional),
                             st.sets(st.sampled_from(flags)) if flags else st.just(set()),
                             sheets)

        def check(drawn, path=path, command=command, through_group=through_group):
            values, chosen, sheet = drawn
            if path == ("db", "makemigration") and MIGRATION_NAME.fullmatch(
                    values.get("name", "")):
                return  # a valid name would write a migration file into the repository
            (tmp_path / "sheet.toml").write_text(sheet, encoding="utf-8", errors="replace")
            args = command_line(path, command, values, chosen)
            if path == ("run",):
                args = [args[0], f"--port={busy}", *args[1:]]
            stdin = "correct-horse-1\n"
            before = row_counts()
            if through_group:
                result = group_runner.invoke(backoffice_group, args, input=stdin,
                                             obj=ScriptInfo(create_app=lambda: app))
            else:
                result = runner.invoke(args=args, input=stdin)
            shown = " ".join(repr(a)[:50] for a in args)
            assert result.exception is None or isinstance(result.exception, SystemExit), (
                f"{shown}: {type(result.exception).__name__}: {result.exception}")
            assert "Traceback" not in result.output, f"{shown}: a traceback"
            allowed = (0, 1, 2) if path == ("plugins", "check") else (0, 2)
            assert result.exit_code in allowed, f"{shown}: exit {result.exit_code}: " \
                f"{result.output[-200:]!r}"
            if result.exit_code == 2:
                lines = [line for line in result.stderr.splitlines() if line.strip()]
                assert len(lines) == 1, f"{shown}: {len(lines)} lines: {result.stderr[:200]!r}"
                assert row_counts() == before, f"{shown}: refused, yet written"

        fuzz.run(" ".join(path), strategy, check)
    holder.close()
    total = sum(fuzz.examples.values())
    print(f"\ncommand fuzz: {total} examples over {len(fuzz.examples)} commands "
          f"({COMMAND_EXAMPLES} each)")
    assert len(fuzz.examples) >= 10, fuzz.examples
    assert not fuzz.failures, f"{len(fuzz.failures)} command(s) failed:\n" + "\n".join(
        fuzz.failures)

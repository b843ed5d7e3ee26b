"""The command line's promise, for every command: bad input is one line on stderr, exit
status 2, and nothing written; valid input exits 0; never a traceback.

Every command and sub-command is found by walking the click groups (the app's
``app.cli``, where ``init_app`` attaches the back-office's commands, and the
``backoffice`` group's own ``run``, ``shell`` and ``routes``), so a new command is
covered the day it is added. Each option and argument that takes a value gets, one
at a time, every value of :data:`GARBAGE` while the others keep a valid baseline
(:data:`BASELINE`, or ``x``); every group also gets an unknown sub-command and an
unknown option. A refusal must leave every table's row count as it was.

A few cases need a real process: ``up`` on a port in use or an impossible host,
``users create`` with no terminal, an unknown top-level command and an argument
that is not UTF-8 (only ``execve`` can hand those over).
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import click
import flask.cli
import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from backoffice import worker as worker_module
from backoffice.cli import MIGRATION_NAME
from backoffice.cli import cli as backoffice_group
from backoffice.db import database
from backoffice.models import MODELS
from tests.factories import publish

ROOT = Path(__file__).resolve().parent.parent
BACKOFFICE = ROOT / ".venv" / "bin" / "backoffice"
PREMIUM = ROOT / "rules" / "premium.toml"
PASSWORD = "correct-horse-1"

#: what a careless user or an attacker types, by kind
GARBAGE = {
    "huge": "99999999999999999999",
    "negative": "-1",
    "empty": "",
    "spaces": "   ",
    "nul": "a\x00b",
    "control": "a\x01\x1b[31mb\x7f",
    "long": "x" * 100_000,
    "not utf-8": "caf\udce9",  # what Python makes of the byte 0xE9 in argv
    "unknown choice": "no-such-choice",
    "overflow float": "1e400",
    "nan": "NaN",
    "far date": "9999-12-31T23:59",
    "old date": "0001-01-01T00:00",
    # a missing directory on the way: the kernel refuses it before a writer could write
    "traversal": "../no-such-dir/../../../etc/passwd",
    "chinese": "不存在的名称",
}

#: the garbage that only an in-process call can pass: execve refuses a NUL in argv, so
#: the libraries' own file types (click.Path, click.File: Flask's run --cert, --key,
#: flask-smorest's openapi write) are not asked to handle it; our TEXT refuses it
IN_PROCESS_ONLY = {"nul"}


def takes_a_path(param: click.Parameter) -> bool:
    return isinstance(param.type, (click.Path, click.File, flask.cli.CertParamType,
                                   flask.cli.SeparatedPathType))

_serial = itertools.count(1)

#: a valid value per command and parameter (a callable gives a fresh one each time);
#: flags set True are passed; anything else not listed gets "x"
BASELINE = {
    ("up",): {"no_serve": True},  # in-process, ``up`` never serves
    ("users", "create"): {"username": lambda: f"new.user{next(_serial)}", "role": "viewer",
                          "password_stdin": True},
    ("users", "set-password"): {"username": "viewer", "password_stdin": True},
    ("users", "activate"): {"username": "viewer"},
    ("users", "deactivate"): {"username": "viewer"},
    ("terms", "load"): {"file": str(PREMIUM)},
    ("terms", "diff"): {"set_name": "premium", "v1": "1", "v2": "1"},
    ("terms", "preview"): {"distance_km": "120", "received": "2026-11-26T09:00"},
    ("run",): {"host": "127.0.0.1"},  # and the port held by ``busy_port``
}

#: input for commands that read standard input
STDIN = {("users", "create"): PASSWORD + "\n", ("users", "set-password"): PASSWORD + "\n"}


def row_counts() -> dict[str, int]:
    """Every table's row count, in one query."""
    tables = [model._meta.table_name for model in MODELS]
    sql = "SELECT " + ", ".join(f'(SELECT COUNT(*) FROM "{t}")' for t in tables)
    return dict(zip(tables, database.execute_sql(sql).fetchone(), strict=True))


def leaves(group: click.Group, prefix: tuple = ()):
    """(path, command) for every command under ``group``, groups walked."""
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            yield prefix + (name,), command
            yield from leaves(command, prefix + (name,))
        else:
            yield prefix + (name,), command


def discover(app) -> list[tuple[tuple, click.Command, bool]]:
    """(path, command, through the backoffice group) for every command there is."""
    found = [(path, command, False) for path, command in leaves(app.cli)]
    own = {path for path, _, _ in found}
    found += [(path, command, True) for path, command in leaves(backoffice_group)
              if path not in own]
    return found


def value_params(command: click.Command) -> list[click.Parameter]:
    """The parameters that take a value (flags and --help aside)."""
    return [p for p in command.params
            if isinstance(p, click.Argument) or (isinstance(p, click.Option) and not p.is_flag
                                                 and p.expose_value)]


def argv(path: tuple, command: click.Command, values: dict) -> list[str]:
    """The command line for ``values`` (parameter name -> str, or True for a flag)."""
    options, positional = [], []
    for param in command.params:
        if param.name not in values:
            continue
        value = values[param.name]
        if isinstance(param, click.Argument):
            positional.append(value)
        elif value is True:
            options.append(max(param.opts, key=len))
        else:  # --opt=value: a value starting with "-" stays a value
            options.append(f"{max(param.opts, key=len)}={value}")
    return [*path, *options, *(["--", *positional] if positional else [])]


def baseline(path: tuple, command: click.Command) -> dict:
    base = BASELINE.get(path, {})
    values = {name: (value() if callable(value) else value) for name, value in base.items()}
    for param in value_params(command):
        if param.required and param.name not in values:
            values[param.name] = "x"
    return values


@dataclass
class Outcome:
    label: str
    args: list
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None
    changed: dict


def problems_of(outcome: Outcome) -> list[str]:
    """What breaks the promise in one run."""
    found = []
    shown = " ".join(repr(a)[:60] for a in outcome.args)
    if outcome.exception is not None and not isinstance(outcome.exception, SystemExit):
        found.append(f"{type(outcome.exception).__name__}: {outcome.exception}")
    if "Traceback" in outcome.stdout + outcome.stderr:
        found.append("a traceback in the output")
    if outcome.exit_code not in (0, 2):
        found.append(f"exit status {outcome.exit_code}")
    if outcome.exit_code == 2:
        lines = [line for line in outcome.stderr.splitlines() if line.strip()]
        if len(lines) != 1:
            found.append(f"{len(lines)} lines on stderr: {outcome.stderr[:300]!r}")
        if outcome.changed:
            found.append(f"refused, yet written: {outcome.changed}")
    return [f"{outcome.label}: {shown}: {problem}" for problem in found]


@pytest.fixture
def busy_port():
    """A port something already listens on (``run`` must refuse it, never serve)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.fixture
def offline(monkeypatch):
    """Host names resolve only if they are localhost or an address (no DNS traffic), and
    Flask's development server would fail the test rather than serve."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host not in ("localhost", "127.0.0.1", "::1"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    def run_simple(*args, **kwargs):
        raise AssertionError("run would have served")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(flask.cli, "run_simple", run_simple)
    # ``worker`` with good options would run until killed: here it stops at once
    monkeypatch.setattr(worker_module.Worker, "consumer",
                        lambda self, threads=2: StopsAtOnce())


class StopsAtOnce:
    """A worker consumer whose ``run`` returns at once."""

    def run(self):
        return None


@pytest.fixture
def invoke(app, runner, busy_port, offline, tmp_path, monkeypatch):
    """Run one command line in-process, in an empty directory (a command that writes a file,
    as ``openapi write`` does, writes it there), and report what came of it."""
    monkeypatch.chdir(tmp_path)
    group_runner = CliRunner()

    def run(label: str, args: list, through_group: bool, stdin: str | None = None) -> Outcome:
        if args[:1] == ["run"]:
            args = [*args[:1], f"--port={busy_port}", *args[1:]]
        before = row_counts()
        if through_group:  # run, shell, routes: the backoffice group's own
            result = group_runner.invoke(backoffice_group, args, input=stdin or "",
                                         obj=ScriptInfo(create_app=lambda: app))
        else:
            result = runner.invoke(args=args, input=stdin or "")
        after = row_counts()
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        return Outcome(label, args, result.exit_code, result.stdout, result.stderr,
                       result.exception, changed)
    return run


def test_every_command_keeps_the_promise_for_every_garbage_value(app, world, invoke):
    publish_premium()
    cases = 0
    problems = []
    commands = discover(app)
    assert {("demo",), ("up",), ("users", "create"), ("terms", "preview"), ("run",),
            ("db", "makemigration")} <= {path for path, _, _ in commands}
    for path, command, through_group in commands:
        if isinstance(command, click.Group):
            for label, args in (("unknown command", [*path, "no-such-command"]),
                                ("unknown option", [*path, "--no-such-option"])):
                problems += problems_of(invoke(label, args, through_group))
                cases += 1
            bare = invoke("bare group", list(path), through_group)
            problems += problems_of(bare)
            if bare.exit_code != 0 or "Usage:" not in bare.stdout:
                problems.append(f"{path}: a bare group shows its help, exit 0")
            cases += 1
            continue
        stdin = STDIN.get(path)
        problems += problems_of(invoke("unknown option", [*path, "--no-such-option"],
                                       through_group, stdin))
        problems += problems_of(invoke("extra argument", [*path, *argv(
            path, command, baseline(path, command))[len(path):], "extra"], through_group, stdin))
        cases += 2
        for param in value_params(command):
            for kind, value in GARBAGE.items():
                if takes_a_path(param) and kind in IN_PROCESS_ONLY:
                    continue
                if path == ("db", "makemigration") and MIGRATION_NAME.fullmatch(value):
                    continue  # a valid name would write a migration file
                values = baseline(path, command) | {param.name: value}
                outcome = invoke(f"{' '.join(path)} {param.name}={kind}",
                                 argv(path, command, values), through_group, stdin)
                problems += problems_of(outcome)
                cases += 1
    print(f"\ncli garbage: {cases} cases over {len(commands)} commands and groups")
    assert not problems, f"{len(problems)} of {cases} cases broke the promise:\n" + "\n".join(
        problems)
    assert cases > 300


def publish_premium():
    from backoffice.terms import parse_sheet
    publish(parse_sheet(PREMIUM.read_text(encoding="utf-8"), "premium.toml"))


# -- the findings of issue 7, item 10, one by one --------------------------------------

def one_line(result, message: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_demo_refuses_a_huge_unit_count_before_writing(runner):
    before = row_counts()
    result = runner.invoke(args=["demo", "--units", "99999999999999999999"])
    one_line(result, "99999999999999999999 is not in the range 1<=x<=5000000")
    assert row_counts() == before


def test_the_demo_itself_bounds_units_before_writing(app):
    from backoffice import demo
    before = row_counts()
    with pytest.raises(demo.DemoRefused, match="1 to 5,000,000 units"):
        demo.seed("development", units=demo.MAX_UNITS + 1)
    assert row_counts() == before


@pytest.mark.parametrize("sheet", [
    "x = " + "[" * 2000 + "]" * 2000,
    "x = " + "{a = " * 2000 + "1" + "}" * 2000,
    "name = 'deep'\nx = " + "[" * 21 + "]" * 21,
])
def test_terms_load_refuses_a_deeply_nested_sheet(runner, tmp_path, sheet):
    path = tmp_path / "deep.toml"
    path.write_text(sheet, encoding="utf-8")
    before = row_counts()
    one_line(runner.invoke(args=["terms", "load", str(path)]),
             "deep.toml: arrays and tables nest deeper than 20 levels")
    assert row_counts() == before


def test_nesting_skips_strings_and_comments():
    from backoffice.terms import MAX_NESTING, nesting, parse_sheet
    assert nesting("a = [[1], {b = '[[[['}] # [[[[[[[[") == 2
    assert nesting('x = """a\\"""[""" ]\ny = "\\\\" [') == 1
    assert MAX_NESTING == 20
    text = PREMIUM.read_text(encoding="utf-8")
    assert parse_sheet(text + "# " + "[" * 500 + "\n").name == "premium"


def test_terms_diff_refuses_a_64_bit_version(runner, world):
    publish_premium()
    one_line(runner.invoke(args=["terms", "diff", "premium", "99999999999999999999", "1"]),
             "term set premium has no version 99999999999999999999")


@pytest.mark.parametrize("received, year", [("9999-12-31T23:59", "9999"),
                                            ("0001-01-01T00:00", "0001")])
def test_terms_preview_refuses_years_out_of_range_in_one_line(runner, received, year):
    one_line(runner.invoke(args=["terms", "preview", "--distance-km", "10",
                                 "--received", received]),
             f"{year}-")
    result = runner.invoke(args=["terms", "preview", "--distance-km", "10",
                                 "--received", received])
    assert "outside the years 1900 to 2200" in result.stderr


def test_up_refuses_an_impossible_host_before_migrating(runner):
    before = row_counts()
    one_line(runner.invoke(args=["up", "--host", "256.1.1.1", "--no-serve"]),
             "--host '256.1.1.1' is neither an IP address nor a host name")
    assert row_counts() == before


def test_users_create_reads_an_aborted_prompt_as_one_line(runner, world):
    before = row_counts()
    one_line(runner.invoke(args=["users", "create", "newbie", "--role", "viewer"], input=""),
             "no password given: nothing written")
    assert row_counts() == before


def test_text_with_a_nul_is_refused_at_the_door(runner, world):
    before = row_counts()
    one_line(runner.invoke(args=["users", "deactivate", "view\x00er"]),
             "holds the character U+0000, which text may not hold")
    assert row_counts() == before


def test_a_migration_name_is_checked_before_a_file_is_written(runner, tmp_path):
    one_line(runner.invoke(args=["db", "makemigration", "../../escape"]),
             "a migration name is 1 to 60 lower-case letters")


def test_run_still_serves_on_a_free_port(app, monkeypatch):
    """The checks wrapped around Flask's ``run`` let a good host and port through."""
    served = []
    monkeypatch.setattr(flask.cli, "run_simple", lambda host, port, *a, **k: served.append(
        (host, port)))
    with socket.socket() as probe:  # a port that is free now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(backoffice_group, ["run", "--port", str(port)],
                                obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, (result.output, result.exception)
    assert served == [("127.0.0.1", port)]


# -- real processes ----------------------------------------------------------------------

def backoffice(db_url: str, tmp_path: Path, *args, stdin=subprocess.DEVNULL):
    (tmp_path / "no-plugins").mkdir(exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "BACKOFFICE_DATABASE_URL": db_url,
           "BACKOFFICE_SECRET_KEY": "test-secret-key-0123456789",
           "BACKOFFICE_PLUGINS_DIR": str(tmp_path / "no-plugins")}
    return subprocess.run([str(BACKOFFICE), *args], env=env, cwd=tmp_path, stdin=stdin,
                          capture_output=True, timeout=120, check=False)


def one_line_process(result, message: bytes) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert b"Traceback" not in result.stdout + result.stderr


def test_up_on_a_port_in_use_and_users_create_without_a_terminal(app, db_url, tmp_path):
    """One line, exit 2, nothing written: the database is empty, and an ``up`` that went
    ahead would migrate and seed it."""
    before = row_counts()
    database.close()  # SQLite: let the other process write if it wrongly would
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = str(holder.getsockname()[1])
        one_line_process(backoffice(db_url, tmp_path, "up", "--port", port),
                         f"cannot listen on 127.0.0.1 port {port}: ".encode())
    one_line_process(backoffice(db_url, tmp_path, "users", "create", "root", "--role", "admin"),
                     b"standard input is not a terminal")
    assert row_counts() == before


@pytest.mark.parametrize("args, message", [
    (["up", "--host", "256.1.1.1"], b"--host '256.1.1.1' is neither an IP address nor a host"),
    (["no-such-command"], b"No such command 'no-such-command'. (backoffice --help)"),
    (["terms", "diff", os.fsdecode(b"caf\xe9"), "1", "2"], b"holds the character U+DCE9"),
])
def test_processes_refuse_before_touching_the_database(tmp_path, args, message):
    """An impossible host, an unknown command, an argument that is not UTF-8 (only a real
    process gets one): one line, exit 2, and the database file is never even created."""
    database_file = tmp_path / "never.db"
    one_line_process(backoffice(f"sqlite:///{database_file}", tmp_path, *args), message)
    assert not database_file.exists()

"""The user documentation stays true to the product.

(a) every ``backoffice <command> [<sub>]`` in README.md and docs/*.md exists;
(b) every key of config.example.toml is documented in docs/operations.md;
(c) every relative link in README.md and docs/*.md points to an existing file;
(d) the README's set-up block has exactly two commands and ``.ci/run`` runs the second.

Each check is a function that returns its problems; the ``*_can_fail`` tests feed
it a broken document to show that it does catch what it is meant to catch.
No database is needed: the commands are looked up in the CLI's command tree
and asked for ``--help``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from backoffice import create_app
from backoffice.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]

FENCE_RE = re.compile(r"^(```|~~~)[^\n]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)
SPAN_RE = re.compile(r"`([^`\n]+)`")
#: "backoffice" as a command: at the start, after a space, a "$ " prompt or a path
COMMAND_RE = re.compile(r"(?:^|(?<=[\s/]))backoffice((?:[ \t]+[^\s`|]+){0,2})")
#: "`backoffice terms load` / `list` / `diff`": the later spans are subcommands too
SLASH_LIST_RE = re.compile(r"`backoffice[ \t]+([a-z][a-z-]*)[^`]*`((?:[ \t]*/[ \t]*`[^`]+`)+)")
NAME_RE = re.compile(r"^[a-z][a-z-]*$")
LINK_RE = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


# -- the command tree -------------------------------------------------------------------

@pytest.fixture(scope="module")
def docs_app(tmp_path_factory):
    """An app for the CLI only: nothing connects to its (temporary) database."""
    tmp = tmp_path_factory.mktemp("docs")
    return create_app({"database_url": f"sqlite:///{tmp / 'docs.db'}",
                       "secret_key": "docs-test-secret-key-0123",
                       "plugins_dir": str(ROOT / "plugins")},
                      instance_path=str(tmp / "instance"))


@pytest.fixture(scope="module")
def command_tree(docs_app) -> dict[str, set[str] | None]:
    """Top-level command -> its subcommands (None: not a group), as ``backoffice`` has them.

    The ``backoffice`` group is Flask's: its own commands (run, shell, routes) plus
    the app's (``app.cli``).
    """
    commands = {**cli.commands, **docs_app.cli.commands}
    return {name: set(cmd.commands) if isinstance(cmd, click.Group) else None
            for name, cmd in commands.items()}


def code_texts(markdown: str) -> list[str]:
    """The text of every fenced block and inline code span."""
    blocks = [m.group(2) for m in FENCE_RE.finditer(markdown)]
    rest = FENCE_RE.sub("", markdown)
    return blocks + SPAN_RE.findall(rest)


def mentioned_commands(markdown: str) -> set[tuple[str, ...]]:
    """Every ``backoffice <word> [<word>]`` in code, as a tuple of its words."""
    found: set[tuple[str, ...]] = set()
    for text in code_texts(markdown):
        for line in text.splitlines():
            line = line.split(" #", 1)[0]  # shell comments say what a command does
            for match in COMMAND_RE.finditer(line):
                words = match.group(1).split()
                if words and NAME_RE.match(words[0]):
                    found.add(tuple(w for w in words[:2]))
    for match in SLASH_LIST_RE.finditer(FENCE_RE.sub("", markdown)):
        first = match.group(1)
        for span in SPAN_RE.findall(match.group(2)):
            word = span.split()[0]
            if NAME_RE.match(word):
                found.add((first, word, "/"))  # a sibling of `first`, or its subcommand
    return found


def resolve(words, tree) -> list[str]:
    """The command words of a mention, e.g. ["users", "create"] or ["up"].

    After a plain command the next word is an argument (``backoffice up now``);
    in a slash list after a plain command (`` `backoffice run` / `shell` ``)
    each item is a command of its own.
    """
    name = words[0]
    if len(words) == 3:  # from a slash list
        return [words[1]] if tree.get(name, ()) is None else [name, words[1]]
    if tree.get(name) is None or len(words) < 2 or not NAME_RE.match(words[1]):
        return [name]
    return [name, words[1]]


def unknown_commands(mentions, tree) -> list[str]:
    """The mentions that are not commands of ``tree``."""
    problems = set()
    for words in mentions:
        if words[0] not in tree:
            problems.add(f"backoffice {words[0]}: no such command")
            continue
        args = resolve(words, tree)
        if args[0] not in tree:
            problems.add(f"backoffice {args[0]}: no such command")
        elif len(args) == 2 and args[1] not in tree[args[0]]:
            problems.add(f"backoffice {' '.join(args)}: no such subcommand")
    return sorted(problems)


def test_the_docs_mention_commands():
    mentions = set().union(*(mentioned_commands(p.read_text(encoding="utf-8")) for p in PAGES))
    assert ("users", "create") in mentions
    assert ("terms", "preview") in mentions
    assert ("db", "upgrade") in mentions


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_mentioned_command_exists(page, command_tree, docs_app):
    mentions = mentioned_commands(page.read_text(encoding="utf-8"))
    assert unknown_commands(mentions, command_tree) == []
    runner = CliRunner()
    for args in sorted({tuple(resolve(words, command_tree)) for words in mentions}):
        result = runner.invoke(cli, [*args, "--help"],
                               obj=ScriptInfo(create_app=lambda: docs_app))
        assert result.exit_code == 0, f"backoffice {' '.join(args)} --help: {result.output}"


def test_command_check_can_fail(command_tree):
    page = ("Run `backoffice users frobnicate NAME`, then `backoffice nosuch`.\n\n"
            "```sh\nbackoffice terms publish rules/x.toml   # not a command\n```\n"
            "| `backoffice db upgrade` / `status` / `rollback` | ... |\n"
            "| `backoffice run` / `shell` / `serve` | ... |\n")
    mentions = mentioned_commands(page)
    assert unknown_commands(mentions, command_tree) == [
        "backoffice db rollback: no such subcommand",
        "backoffice nosuch: no such command",
        "backoffice serve: no such command",
        "backoffice terms publish: no such subcommand",
        "backoffice users frobnicate: no such subcommand",
    ]
    ok = "`backoffice up --port 5055`, `.venv/bin/backoffice db status`, `backoffice demo --units 5`"
    assert unknown_commands(mentioned_commands(ok), command_tree) == []


# -- configuration keys -------------------------------------------------------------------

def config_keys() -> list[str]:
    return list(tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8")))


def undocumented_keys(keys, markdown: str) -> list[str]:
    """Keys that the page never names in backticks (`key`)."""
    return [key for key in keys if f"`{key}`" not in markdown]


def test_every_config_key_is_in_operations():
    keys = config_keys()
    assert "database_url" in keys and "export_max_rows" in keys
    page = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert undocumented_keys(keys, page) == []


def test_config_check_can_fail():
    assert undocumented_keys(["page_size", "road_factor"], "Set `page_size`; road_factor.") \
        == ["road_factor"]


# -- relative links ---------------------------------------------------------------------------

def broken_links(page: Path, markdown: str) -> list[str]:
    """Relative link targets in ``markdown`` (of ``page``) that are not existing files."""
    problems = []
    for target in LINK_RE.findall(FENCE_RE.sub("", markdown)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
            continue  # http:, mailto:, ... and anchors in the same page
        path = target.split("#", 1)[0]
        if not (page.parent / path).exists():
            problems.append(f"{page.name}: {target}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_exists(page):
    assert broken_links(page, page.read_text(encoding="utf-8")) == []


def test_the_pages_link_to_each_other():
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("administrators.md", "headquarters.md", "operations.md", "plugins.md"):
        assert f"]({name}" in index
        assert f"](docs/{name}" in readme
    assert "](docs/README.md)" in readme


def test_link_check_can_fail():
    page = ROOT / "docs" / "README.md"
    text = ("[ok](operations.md#production) [web](https://example.com) [top](#x) "
            "[gone](missing.md) [up](../nope/README.md#a)")
    assert broken_links(page, text) == ["README.md: missing.md", "README.md: ../nope/README.md#a"]


# -- the README's two set-up commands -----------------------------------------------------------

def setup_commands(readme: str) -> list[str]:
    """The commands of the first code block under the "Set-up" heading."""
    match = re.search(r"^##[^\n]*Set-up[^\n]*\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL)
    assert match, "no Set-up section in the README"
    block = FENCE_RE.search(match.group(1))
    assert block, "no code block in the README's Set-up section"
    lines = [line.split("#", 1)[0].strip() for line in block.group(2).splitlines()]
    return [line for line in lines if line]


def runs(script: str, command: str) -> bool:
    """True when a non-comment line of ``script`` runs ``command`` (optionally via exec)."""
    for line in script.splitlines():
        line = line.strip()
        if line.startswith("#"):
            continue
        if re.fullmatch(r"(exec\s+)?" + re.escape(command), line):
            return True
    return False


def test_readme_has_two_setup_commands_and_ci_runs_the_second():
    commands = setup_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(commands) == 2, commands
    assert runs((ROOT / ".ci" / "run").read_text(encoding="utf-8"), commands[1])


def test_setup_check_can_fail():
    three = "## Set-up\n\n```sh\nbash a   # one\nbash b\nbash c\n```\n\n## Next\n"
    assert setup_commands(three) == ["bash a", "bash b", "bash c"]
    script = "#!/bin/sh\n# bash scripts/test\nexec bash scripts/test -x\n"
    assert not runs(script, "bash scripts/test")
    assert runs("set -e\nexec bash scripts/test\n", "bash scripts/test")

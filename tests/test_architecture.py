"""The layout shows the architecture: the import graph is a ladder, read bottom-up.

A module imports only from its own rung or the rungs below it (function-level
imports count: a lazy import is still a dependency), there is no import cycle,
the rule engine's pluggy manager is called from one module only, and the typed
facade has one method for every hook.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from backoffice import hookspecs
from backoffice.plugins import RuleEngine

PACKAGE = Path(__file__).resolve().parent.parent / "backoffice"

#: rungs, bottom first; a module belongs to the first rung whose prefix it has
LADDER = [
    ("ground", ["backoffice.config", "backoffice.db", "backoffice.clock", "backoffice.geo",
                "backoffice.i18n", "backoffice.labels", "backoffice.terms",
                "backoffice.forms", "backoffice.calendars"]),
    ("models", ["backoffice.models"]),
    ("rule engine", ["backoffice.hookspecs", "backoffice.default_plugins",
                     "backoffice.plugins"]),
    ("access", ["backoffice.access"]),
    ("services", ["backoffice.services", "backoffice.migrate"]),
    ("doors", ["backoffice.admin", "backoffice.api", "backoffice.auth", "backoffice.security",
               "backoffice.commands", "backoffice.cli", "backoffice.demo",
               "backoffice.testing", "backoffice.hookdoc", "backoffice.worker",
               "backoffice.__main__"]),
    ("app", ["backoffice"]),
]


def module_names() -> dict[str, Path]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts)
        mods[name.removesuffix(".__init__")] = path
    return mods


def imports_of(name: str, path: Path, mods: dict) -> set[str]:
    """Every backoffice module ``name`` imports, at any depth of its code."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base
                       for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        for target in targets:
            while target and target not in mods:
                target = target.rsplit(".", 1)[0] if "." in target else ""
            # a module's own package (its __init__) is where it lives, not a dependency
            if target and target != name and not name.startswith(target + "."):
                found.add(target)
    return found


def rung(name: str) -> int:
    for index, (_label, prefixes) in enumerate(LADDER):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return index
    raise AssertionError(f"{name} is on no rung of the ladder: add it to LADDER")


def test_no_import_cycle():
    mods = module_names()
    edges = {m: imports_of(m, p, mods) for m, p in mods.items()}
    cycles = []
    done: set[str] = set()

    def visit(node, path):
        for nxt in sorted(edges[node]):
            if nxt in path:
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in done:
                done.add(nxt)
                visit(nxt, path + [nxt])
    for start in sorted(mods):
        if start not in done:
            done.add(start)
            visit(start, [start])
    assert cycles == []


def test_every_import_goes_down_the_ladder():
    mods = module_names()
    upward = [f"{m} ({LADDER[rung(m)][0]}) imports {t} ({LADDER[rung(t)][0]})"
              for m, p in mods.items() for t in sorted(imports_of(m, p, mods))
              if rung(t) > rung(m)]
    assert upward == []


def test_a_model_imports_no_rule_engine_service_or_door():
    mods = module_names()
    wrong = [f"{m} imports {t}" for m, p in mods.items() if m.startswith("backoffice.models")
             for t in imports_of(m, p, mods) if rung(t) > rung("backoffice.models")]
    assert wrong == []


def test_hookspecs_import_no_ui_library():
    tree = ast.parse((PACKAGE / "hookspecs.py").read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not [n for n in names if n.split(".")[0] in {"flask", "flask_admin", "wtforms"}]


def test_hooks_are_called_from_the_plugin_manager_only():
    callers = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                     if ".hook." in p.read_text() and p.name != "plugins.py")
    assert callers == []


@pytest.mark.parametrize("hook", sorted(hookspecs.DECLARATIONS))
def test_the_facade_has_a_method_for_every_hook(hook):
    method = getattr(RuleEngine, hook, None)
    assert callable(method), f"RuleEngine has no method {hook}"
    spec = inspect.signature(getattr(hookspecs, hook)).parameters
    facade = inspect.signature(method).parameters
    # every argument a plugin can name is one the facade passes (settings is the engine's)
    missing = set(spec) - set(facade) - {"settings"}
    assert not missing, f"{hook}: the facade does not take {sorted(missing)}"

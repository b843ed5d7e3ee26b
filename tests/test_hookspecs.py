"""Every hook is documented where it is declared, has a result type, a test and a charter
answer; these checks fail as soon as a hook is added without them (as datasette's
``test_plugin_hooks_have_tests``)."""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

import pluggy
import pytest

from backoffice import hookspecs
from backoffice.default_plugins import charter

TESTS = Path(__file__).resolve().parent


def hook_names(module) -> list[str]:
    return sorted(name for name, value in vars(module).items()
                  if hasattr(value, f"{hookspecs.PROJECT}_spec"))


def hooks_with_tests() -> set[str]:
    names = set()
    for path in TESTS.glob("test_*.py"):
        names |= set(re.findall(r"^def test_hook_(\w+)\(", path.read_text(), re.MULTILINE))
    return names


def documentation_problems(module) -> list[str]:
    """What is missing from each hook's docstring in ``module``."""
    problems = []
    for name in hook_names(module):
        spec = getattr(module, name)
        doc = inspect.getdoc(spec) or ""
        first = doc.splitlines()[0] if doc else ""
        firstresult = getattr(spec, f"{hookspecs.PROJECT}_spec").get("firstresult")
        combines = "First non-None" if firstresult else ("joined", "Asked only")
        if not any(word in first for word in ([combines] if firstresult else combines)):
            problems.append(f"{name}: the first line must say how results combine")
        for arg in inspect.signature(spec).parameters:
            if f":param {arg}:" not in doc:
                problems.append(f"{name}: parameter {arg} is not documented")
        if ":returns:" not in doc:
            problems.append(f"{name}: the return value is not documented")
        if "Example" not in doc or "@hookimpl" not in doc:
            problems.append(f"{name}: no example implementation")
        if name not in getattr(module, "DECLARATIONS", {}):
            problems.append(f"{name}: not declared with decision() or collection()")
    return problems


def test_every_hook_is_documented_where_it_is_declared():
    assert documentation_problems(hookspecs) == []


def test_the_documentation_check_can_fail():
    marker = pluggy.HookspecMarker(hookspecs.PROJECT)
    bare = types.ModuleType("bare")

    @marker(firstresult=True)
    def decide(contract, settings):
        """Decides something."""
    bare.decide = decide
    assert documentation_problems(bare) == [
        "decide: the first line must say how results combine",
        "decide: parameter contract is not documented",
        "decide: parameter settings is not documented",
        "decide: the return value is not documented",
        "decide: no example implementation",
        "decide: not declared with decision() or collection()"]


def test_every_hook_has_a_test():
    missing = set(hook_names(hookspecs)) - hooks_with_tests()
    assert not missing, f"hooks without a test_hook_<name> test: {sorted(missing)}"


def test_no_test_names_a_hook_that_does_not_exist():
    # test_hook_coverage_plugin and similar extra tests share a prefix with their hook
    unknown = {t for t in hooks_with_tests()
               if not any(t == h or t.startswith(h + "_") for h in hook_names(hookspecs))}
    assert not unknown


def test_declarations_name_exactly_the_hooks():
    assert sorted(hookspecs.DECLARATIONS) == hook_names(hookspecs)


@pytest.mark.parametrize("hook", hook_names(hookspecs))
def test_the_charter_answers_every_single_decision(hook):
    """So a decision always falls through to an answer, a plugin failing or not."""
    spec = getattr(hookspecs, hook)
    if getattr(spec, f"{hookspecs.PROJECT}_spec").get("firstresult"):
        impl = getattr(charter, hook, None)
        assert impl is not None, f"the charter does not implement {hook}"
        assert getattr(impl, f"{hookspecs.PROJECT}_impl")["trylast"]

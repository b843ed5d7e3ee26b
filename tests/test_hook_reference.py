"""``docs/hooks.md`` is what ``backoffice.hookdoc`` renders from the hookspecs, and every hook
describes every parameter: a docstring changed without running ``python -m
backoffice.hookdoc`` fails here, and so does a hook added without its ``:param:`` texts.

The planted tests load a copy of ``backoffice/hookspecs.py`` with one change (an edited
docstring, a removed description, a new hook and value object) to show that each check
catches what it is meant to, and that the generator follows the module it is given.
"""

from __future__ import annotations

import difflib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from backoffice import hookdoc, hookspecs

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "hooks.md"
SOURCE = Path(hookspecs.__file__).read_text(encoding="utf-8")
#: the first ``:param NAME: text`` of the module, whatever hook it belongs to
FIRST_PARAM = re.search(r"^    :param (\w+): (\S+)", SOURCE, re.MULTILINE)


def out_of_date(expected: str, actual: str) -> str:
    """A short diff for the failure message (the page is long)."""
    diff = difflib.unified_diff(actual.splitlines(), expected.splitlines(), "docs/hooks.md",
                                "render()", lineterm="", n=1)
    return "docs/hooks.md is out of date: run python -m backoffice.hookdoc\n" + "\n".join(
        list(diff)[:30])


def planted(tmp_path, monkeypatch, old: str, new: str):
    """A copy of backoffice.hookspecs with ``old`` replaced by ``new``, imported."""
    assert old in SOURCE, f"the hookspecs no longer contain {old!r}: choose another plant"
    path = tmp_path / "planted_hookspecs.py"
    path.write_text(SOURCE.replace(old, new, 1), encoding="utf-8")
    name = "backoffice._planted_hookspecs"  # inside the package: relative imports work
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def test_docs_hooks_md_is_generated_from_the_hookspecs():
    expected = hookdoc.render()
    actual = PAGE.read_text(encoding="utf-8")
    assert actual == expected, out_of_date(expected, actual)


def test_every_hook_parameter_and_return_is_described():
    assert hookdoc.problems() == []


def test_the_page_has_every_hook_value_object_received_object_and_fixed_list():
    text = PAGE.read_text(encoding="utf-8")
    for name in hookdoc._hooks(hookspecs):
        assert f"#### `{name[1]}`" in text
    for cls in hookdoc._value_objects(hookspecs):
        assert f"### `{cls.__name__}`" in text
    for name in ("Contract", "Customer", "Site", "Unit", "Product", "Terms"):
        assert f"### `{name}`" in text
    from backoffice.labels import FIXED_LISTS
    for name, enum in FIXED_LISTS.items():
        assert f"### {name}\n" in text
        for member in enum:
            assert f"| `{member.value}` |" in text
    # the stored codes, not their labels: "telecom", not "Telecommunications" alone
    assert "| `telecom` | `Industry.TELECOM` | Telecommunications |" in text
    assert "| `rail` | `Industry.RAIL` | Rail transit |" in text


def test_an_edited_docstring_makes_the_page_out_of_date(tmp_path, monkeypatch):
    param, word = FIRST_PARAM.groups()
    module = planted(tmp_path, monkeypatch, f":param {param}: {word}",
                     f":param {param}: PLANTED {word}")
    rendered = hookdoc.render(module)
    assert f"- `{param}`" in rendered and "PLANTED" in rendered
    assert rendered != PAGE.read_text(encoding="utf-8")


def test_a_parameter_without_description_is_a_problem(tmp_path, monkeypatch):
    param, _word = FIRST_PARAM.groups()
    module = planted(tmp_path, monkeypatch, f":param {param}:", f":parameter {param}:")
    found = hookdoc.problems(module)
    assert len(found) == 1 and f"parameter {param} has no :param: description" in found[0]
    assert f"- `{param}`" in hookdoc.render(module)  # still listed, marked undescribed
    assert "*(not described)*" in hookdoc.render(module)


def test_a_new_hook_parameter_and_value_object_are_documented(tmp_path, monkeypatch):
    addition = '''

# -- training --------------------------------------------------------------------

@hookspec(firstresult=True)
def training_offer(customer, market: str, contract, terms, settings) -> Offer | None:
    """Which training a customer is offered. First non-None result wins.

    :param customer: the customer to train.
    :param market: the market segment, e.g. ``"rail"``.
    :param contract: the contract.
    :param terms: the terms in force.
    :param settings: this plugin's settings for the contract.
    :returns: an :class:`Offer`, or ``None``.

    Example::

        @hookimpl
        def training_offer():
            return Offer("lecture")
    """


@dataclass(frozen=True)
class Offer:
    """A training offer."""

    kind: str
    #: how many people may attend
    seats: int = 10


if "__all__" in globals():
    __all__ = [*__all__, "Offer"]
'''
    module = planted(tmp_path, monkeypatch, SOURCE, SOURCE + addition)
    rendered = hookdoc.render(module)
    assert "### Training\n\n#### `training_offer`" in rendered
    assert "- `market` (`str`): the market segment, e.g. `\"rail\"`." in rendered
    assert "- `customer` ([`Customer`](#customer)): the customer to train." in rendered
    assert "**Returns** `Offer | None`: an [`Offer`](#offer), or `None`." in rendered
    assert "def training_offer():\n    return Offer(\"lecture\")" in rendered
    assert "| `seats` | `int` | `10` | how many people may attend |" in rendered
    assert hookdoc.problems(module) == []


def test_a_dataclass_left_out_of_all_is_a_problem(tmp_path, monkeypatch):
    if not hasattr(hookspecs, "__all__"):
        pytest.skip("the hookspecs module has no __all__")
    module = planted(tmp_path, monkeypatch, SOURCE,
                     SOURCE + "\n\n@dataclass\nclass Forgotten:\n    x: int = 0\n")
    assert hookdoc.problems(module) == [
        ("dataclass Forgotten is not in __all__: export it (the reference then documents it) "
         "or name it _Forgotten")]


def test_check_says_in_one_line_when_the_page_is_out_of_date(tmp_path, capsys):
    page = tmp_path / "hooks.md"
    assert hookdoc.main(["--check", "--output", str(page)]) == 1  # missing
    page.write_text(hookdoc.render().replace("First", "Frist", 1), encoding="utf-8")
    assert hookdoc.main(["--check", "--output", str(page)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "is missing" in err and "is out of date: run" in err
    assert hookdoc.main(["--output", str(page)]) == 0
    assert capsys.readouterr().out.startswith("wrote ")
    assert hookdoc.main(["--check", "--output", str(page)]) == 0
    assert capsys.readouterr() == ("", "")


def test_the_command_checks_the_real_page():
    result = subprocess.run([sys.executable, "-m", "backoffice.hookdoc", "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr

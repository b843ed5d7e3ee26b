"""The integrators' hook reference, ``docs/hooks.md``, generated from the code it describes.

The hooks are documented where they are declared (``backoffice/hookspecs.py``);
a hand-written copy of that would drift the day a parameter is added. So the
reference is rendered by introspection: every hook with its result mode (read
from pluggy's spec options), its parameters with their annotations and
``:param:`` texts, its return type and ``:returns:`` text and its example;
every value object (the dataclasses of the hookspecs module); the attributes of
the objects the hooks receive (the models and ``Terms`` named by a hook
parameter); and the stored codes of every fixed list (:data:`labels.FIXED_LISTS`),
so the words of the docs are the codes in the database.

``python -m backoffice.hookdoc`` writes the page; ``--check`` writes nothing and
exits 1 with one line when the page is out of date (``tests/test_hook_reference.py``
does the same). Nothing here knows a hook by name: a new hook, parameter, value
object or fixed list shows up on the next run.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import re
import sys
import textwrap
from pathlib import Path
from types import ModuleType

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "hooks.md"

#: parameters whose object is documented below though no model has its name
EXTRA_OBJECTS = {"terms": ("backoffice.terms", "Terms")}

PEEWEE_TYPES = {
    "AUTO": "int", "BIGAUTO": "int", "INT": "int", "BIGINT": "int", "SMALLINT": "int",
    "VARCHAR": "str", "CHAR": "str", "TEXT": "str", "DECIMAL": "Decimal", "FLOAT": "float",
    "DOUBLE": "float", "REAL": "float", "BOOL": "bool", "DATE": "date",
    "DATETIME": "datetime", "TIME": "time", "UUID": "UUID", "BLOB": "bytes",
}

BANNER_RE = re.compile(r"^# -- (.+?) -*\s*$")
FIELD_RE = re.compile(r"^:(param|returns?)(?:\s+(?:[^:]*\s)?(\w+))?:\s*(.*)$")
ROLE_RE = re.compile(r":(\w+):`(~?)([^`<]+?)(?:\s*<([^>]+)>)?`")
MARK_RE = re.compile("\x00([^\x00\x01]*)\x01([^\x00]*)\x00")


def render(specs: ModuleType | None = None) -> str:
    """The Markdown of ``docs/hooks.md`` for ``specs`` (default: backoffice.hookspecs)."""
    if specs is None:
        from . import hookspecs as specs
    return _Page(specs).markdown()


def problems(specs: ModuleType | None = None) -> list[str]:
    """What the reference would have to leave out: undescribed parameters and returns,
    and public dataclasses the module does not export."""
    if specs is None:
        from . import hookspecs as specs
    found = []
    for _group, name, spec in _hooks(specs):
        doc = _Doc.of(spec)
        params = list(inspect.signature(spec).parameters)
        for param in params:
            if not doc.params.get(param):
                found.append(f"hook {name}: parameter {param} has no :param: description")
        for param in doc.params:
            if param not in params:
                found.append(f"hook {name}: :param {param}: names no parameter")
        if not doc.returns:
            found.append(f"hook {name}: no :returns: description")
    exported = getattr(specs, "__all__", None)
    for cls in _dataclasses(specs):
        if exported is not None and cls.__name__ not in exported:
            found.append(f"dataclass {cls.__name__} is not in __all__: export it (the "
                         f"reference then documents it) or name it _{cls.__name__}")
    return found


# -- reading the hookspecs module -----------------------------------------------------

def _project(specs) -> str:
    return getattr(specs, "PROJECT", "backoffice")


def _hooks(specs) -> list[tuple[str, str, object]]:
    """(section banner, name, spec function) of every hook, in declaration order."""
    marker = f"{_project(specs)}_spec"
    hooks = sorted(((value.__code__.co_firstlineno, name, value)
                    for name, value in vars(specs).items()
                    if inspect.isfunction(value) and hasattr(value, marker)))
    banners = []
    try:
        for number, line in enumerate(inspect.getsource(specs).splitlines(), 1):
            match = BANNER_RE.match(line)
            if match:
                banners.append((number, match.group(1)))
    except (OSError, TypeError):  # no source: one section
        pass
    result = []
    for line, name, spec in hooks:
        above = [title for number, title in banners if number < line]
        result.append((_capital(above[-1]) if above else "Hooks", name, spec))
    return result


def _declaration(specs, name: str, spec):
    """The hook's declaration (answer type, scope) if the module declares one."""
    decl = getattr(specs, "DECLARATIONS", {}).get(name)
    return decl if decl is not None else getattr(spec, f"{_project(specs)}_decl", None)


def _value_objects(specs) -> list[type]:
    """The dataclasses a plugin builds or receives, in the order the module defines them:
    those it exports (``__all__``, if it has one), not the hooks' own declarations."""
    exported = getattr(specs, "__all__", None)
    return [cls for cls in _dataclasses(specs) if exported is None or cls.__name__ in exported]


def _dataclasses(specs) -> list[type]:
    declaration_types = {type(d) for d in getattr(specs, "DECLARATIONS", {}).values()}
    found = [value for name, value in vars(specs).items()
             if inspect.isclass(value) and dataclasses.is_dataclass(value)
             and value.__module__ == specs.__name__ and value not in declaration_types
             and not name.startswith("_")]
    return sorted(found, key=_line_of)


def _line_of(obj) -> int:
    try:
        return inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        return 0


def _received_objects(specs) -> list[type]:
    """The models (and ``Terms``) that hooks receive, found by parameter name."""
    import importlib

    from . import models
    params = {p for _g, _n, spec in _hooks(specs) for p in inspect.signature(spec).parameters}
    chosen = [m for m in models.MODELS if {m.__name__.lower(), _snake(m.__name__)} & params]
    for param, (module, name) in EXTRA_OBJECTS.items():
        if param in params:
            chosen.append(getattr(importlib.import_module(module), name))
    # the dataclasses those refer to by type (Terms.bands holds Band)
    for cls in list(chosen):
        if dataclasses.is_dataclass(cls):
            chosen.extend(c for c in _referenced_dataclasses(cls) if c not in chosen)
    return chosen


def _referenced_dataclasses(cls) -> list[type]:
    module = sys.modules.get(cls.__module__)
    found = []
    for f in dataclasses.fields(cls):
        for word in re.findall(r"[A-Z]\w*", str(f.type)):
            value = getattr(module, word, None)
            if inspect.isclass(value) and dataclasses.is_dataclass(value) and value is not cls \
                    and value not in found:
                found.append(value)
    return found


# -- docstrings ------------------------------------------------------------------------

@dataclasses.dataclass
class _Doc:
    summary: str
    params: dict[str, str]
    returns: str
    body: str

    @classmethod
    def of(cls, obj) -> _Doc:
        """Split a docstring into its summary, ``:param:``/``:returns:`` fields and the rest."""
        lines = (inspect.getdoc(obj) or "").splitlines()
        end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
        summary = " ".join(line.strip() for line in lines[:end])
        fields: list[tuple[str, list[str]]] = []  # ("param:NAME" or "returns", its lines)
        rest: list[str] = []
        reading = False
        for line in lines[end:]:
            match = FIELD_RE.match(line)
            if match:
                kind, name, text = match.groups()
                key = f"param:{name}" if kind == "param" and name else "returns"
                fields.append((key, [text.strip()]))
                reading = True
            elif reading and line[:1].isspace() and line.strip():
                fields[-1][1].append(line.strip())  # an indented continuation line
            else:
                reading = False
                rest.append(line)
        texts = {key: " ".join(parts).strip() for key, parts in fields}
        params = {key[len("param:"):]: text for key, text in texts.items()
                  if key.startswith("param:")}
        return cls(summary, params, texts.get("returns", ""), "\n".join(rest).strip("\n"))


# -- the page -----------------------------------------------------------------------------

class _Page:
    """Renders the page; links are marked while writing and resolved once every heading
    (and so every anchor) is known."""

    def __init__(self, specs):
        self.specs = specs
        self.out: list[str] = []
        self.anchors: dict[str, str] = {}
        self.slugs: dict[str, int] = {}
        self.hooks = _hooks(specs)
        self.objects = _value_objects(specs)
        self.received = _received_objects(specs)
        from . import labels
        self.labels = labels
        self.lists = dict(labels.FIXED_LISTS)
        self.list_names = {enum.__name__: name for name, enum in self.lists.items()}

    # -- output helpers

    def heading(self, level: int, text: str, *keys: str) -> None:
        slug = _slug(text)
        if slug in self.slugs:  # GitHub numbers repeated headings: x, x-1, x-2
            self.slugs[slug] += 1
            slug = f"{slug}-{self.slugs[slug]}"
        else:
            self.slugs[slug] = 0
        for key in keys:
            self.anchors.setdefault(key, slug)
        self.out += ["#" * level + " " + text, ""]

    def para(self, *lines: str) -> None:
        self.out += [*lines, ""]

    def markdown(self) -> str:
        self.intro()
        self.hook_sections()
        self.value_objects()
        self.received_objects()
        self.fixed_lists()
        text = "\n".join(self.out).rstrip("\n") + "\n"
        return MARK_RE.sub(self._link, text)

    def _link(self, match) -> str:
        keys, shown = match.group(1).split(","), match.group(2)
        for key in keys:
            if key in self.anchors:
                return f"[{shown}](#{self.anchors[key]})"
        return shown

    # -- sections

    def intro(self) -> None:
        module = self.specs.__name__
        self.heading(1, "Hook reference")
        self.para("<!-- Generated from backoffice/hookspecs.py by `python -m backoffice.hookdoc`."
                  " Do not edit: change the docstrings and run it again. -->")
        self.para(f"Every hook of the rule engine, as `{module}` declares it, the values a "
                  "hook returns, the attributes of the objects it receives, and the stored "
                  "codes of the fixed lists. How to write, ship, enable and test a plugin is "
                  "in [plugins.md](plugins.md).")
        self.para("| hook | result mode | answer |", "| --- | --- | --- |",
                  *(f"| {_mark(name, name, code=True)} | {self.mode(name, spec, short=True)} | "
                    f"{_cell(self.answer(name, spec))} |" for _g, name, spec in self.hooks))
        doc = inspect.getdoc(self.specs) or ""
        rest = doc.split("\n\n", 1)[1] if "\n\n" in doc else ""
        if rest.strip():
            self.heading(2, "How the hooks are asked")
            self.para(self.md(rest))

    def hook_sections(self) -> None:
        self.heading(2, "Hooks")
        group = None
        for title, name, spec in self.hooks:
            if title != group:
                group = title
                self.heading(3, title)
            self.hook(name, spec)

    def hook(self, name: str, spec) -> None:
        doc = _Doc.of(spec)
        self.heading(4, f"`{name}`", name)
        if doc.summary:
            self.para(self.md(doc.summary))
        self.para("```python", f"{name}({_params(spec)}){_return(spec)}", "```")
        facts = [f"- **Result mode:** {self.mode(name, spec)}"]
        scope = self.scope(name, spec)
        if scope:
            facts.append(f"- **Asked of:** {scope}")
        self.para(*facts)
        parameters = inspect.signature(spec).parameters
        if parameters:
            lines = ["**Parameters**", ""]
            for param in parameters.values():
                lines.append(f"- `{param.name}`{self.param_type(param)}: "
                             f"{self.md(doc.params.get(param.name) or '*(not described)*')}"
                             f"{self.codes_of(param.name)}")
            self.para(*lines)
        returned = _annotation(inspect.signature(spec).return_annotation)
        self.para(f"**Returns**{f' `{returned}`' if returned else ''}: "
                  f"{self.md(doc.returns or '*(not described)*')}")
        if doc.body:
            self.para(self.md(doc.body))

    def mode(self, name: str, spec, short: bool = False) -> str:
        opts = getattr(spec, f"{_project(self.specs)}_spec", {}) or {}
        if opts.get("firstresult"):
            text = ("first result" if short else
                    "first result (`firstresult=True`): the first answer that is not `None` "
                    "wins, and the implementations after it are not asked.")
        else:
            text = ("collect" if short else
                    "collect: every implementation is asked and the lists they return are "
                    "joined (`None` adds nothing).")
        if opts.get("historic"):
            text += " Historic: a plugin registered later is called too."
        return text

    def scope(self, name: str, spec) -> str:
        decl = _declaration(self.specs, name, spec)
        scope = getattr(decl, "scope", None)
        if scope is None:
            if name in getattr(self.specs, "GLOBAL_HOOKS", ()):
                scope = "global"
            elif name in getattr(self.specs, "OWN_PLUGIN_HOOKS", ()):
                scope = "own"
            else:
                scope = "contract"
        return {
            "contract": "the plugins the contract enables, in the order it lists them, "
                        "then the defaults (the charter).",
            "global": "every loaded plugin, whatever the contract.",
            "own": "only the plugin whose settings are checked.",
        }.get(scope, f"`{scope}`")

    def answer(self, name: str, spec) -> str:
        """The type the engine checks the answer against, linked where documented."""
        decl = _declaration(self.specs, name, spec)
        if decl is not None:
            result, item = decl.result, decl.item
            if getattr(decl, "collect", False):
                result, item = list, decl.result
        else:
            result = getattr(self.specs, "RESULT_TYPES", {}).get(name)
            item = None
            opts = getattr(spec, f"{_project(self.specs)}_spec", {}) or {}
            if result is not None and not opts.get("firstresult"):
                result, item = list, result
        if result is None:
            return _annotation(inspect.signature(spec).return_annotation) or "-"
        text = self.type_name(result)
        if item is not None and item is not object:
            text += " of " + self.type_name(item)
        return text

    def type_name(self, kind: type) -> str:
        name = getattr(kind, "__name__", str(kind))
        return _mark(name, name, code=True)

    def param_type(self, param) -> str:
        annotation = _annotation(param.annotation)
        if annotation:
            return f" (`{annotation}`)"
        for cls in self.received:
            if param.name in (cls.__name__.lower(), _snake(cls.__name__)):
                return f" ({_mark(cls.__name__, cls.__name__, code=True)})"
        return ""

    def codes_of(self, name: str) -> str:
        """A pointer to the fixed list a parameter or field holds a code of."""
        listed = self.fixed_list_for(name)
        return f" Stored codes: {_mark('list:' + listed, listed)}." if listed else ""

    def fixed_list_for(self, *names: str) -> str | None:
        return next((n for n in names if n in self.lists), None)

    # -- value objects and received objects

    def value_objects(self) -> None:
        if not self.objects:
            return
        self.heading(2, "Value objects")
        self.para(f"The dataclasses of `{self.specs.__name__}`: the values hooks return "
                  "(and a few they receive). They are frozen: build a new one, do not change "
                  "one you were given.")
        for cls in self.objects:
            self.dataclass(cls)

    def received_objects(self) -> None:
        if not self.received:
            return
        self.heading(2, "Objects the hooks receive")
        self.para("The records a hook is passed are peewee models. Treat them as read-only: "
                  "a decision changes nothing in the database. A foreign "
                  "key attribute (`unit.contract`) reads the related row from the database; "
                  "its `_id` twin (`unit.contract_id`) does not. Dates are `datetime.date`, "
                  "amounts and coordinates `decimal.Decimal`.")
        for cls in self.received:
            if dataclasses.is_dataclass(cls):
                self.dataclass(cls)
            else:
                self.model(cls)

    def dataclass(self, cls: type) -> None:
        self.heading(3, f"`{cls.__name__}`", cls.__name__)
        self.para(f"`from {cls.__module__} import {cls.__name__}`")
        # a dataclass without a docstring gets its signature as one: not worth showing
        own = cls.__doc__ or ""
        if own and not own.startswith(cls.__name__ + "("):
            self.para(self.md(inspect.cleandoc(own)))
        comments = _comments(cls)
        rows = []
        for f in dataclasses.fields(cls):
            meaning = (self.md(comments.get(f.name, "")) + self.codes_of(f.name)).strip()
            keyword = " (keyword only)" if getattr(f, "kw_only", False) else ""
            rows.append([f"`{_cell(str(f.type))}`", _default(f) + keyword, meaning, f.name])
        with_meaning = any(row[2] for row in rows)
        header = "| field | type | default |" + (" meaning |" if with_meaning else "")
        lines = [header, "| --- " * header.count(" |") + "|"]
        for kind, default, meaning, name in rows:
            lines.append(f"| `{name}` | {kind} | {_cell(default)} |"
                         + (f" {_cell(meaning)} |" if with_meaning else ""))
        self.para(*lines)
        self.members(cls)

    def model(self, model) -> None:
        self.heading(3, f"`{model.__name__}`", model.__name__)
        doc = model.__doc__ or ""  # a class's own docstring: not inherited
        head = f"`{model.__module__.rsplit('.', 1)[0]}.{model.__name__}`, table " \
               f"`{model._meta.table_name}`"
        self.para(head + (f": {self.md(inspect.cleandoc(doc))}" if doc else "."))
        comments = _comments(model)
        rows = ["| attribute | type | null | default | meaning |",
                "| --- | --- | --- | --- | --- |"]
        for field in model._meta.sorted_fields:
            meaning = getattr(field, "help_text", None) or comments.get(field.name, "")
            meaning = self.md(meaning)
            listed = self.fixed_list_for(f"{model._meta.table_name} {field.name}",
                                         f"{model.__name__.lower()} {field.name}", field.name)
            if listed:
                meaning += f" Stored codes: {_mark('list:' + listed, listed)}."
            rows.append(f"| `{field.name}` | {self.field_type(field)} | "
                        f"{'yes' if field.null else 'no'} | {_cell(_field_default(field))} | "
                        f"{_cell(meaning.strip())} |")
        self.para(*rows)
        backrefs = sorted((fk.backref, fk.model.__name__) for fk in model._meta.backrefs
                          if fk.backref and fk.backref != "+")
        if backrefs:
            self.para("Rows that point here (each a query): " + ", ".join(
                f"`{model.__name__.lower()}.{name}` ({_mark(other, other, code=True)})"
                for name, other in backrefs) + ".")
        self.members(model)

    def field_type(self, field) -> str:
        rel = getattr(field, "rel_model", None)
        if rel is not None:
            return (f"{_mark(rel.__name__, rel.__name__, code=True)} "
                    f"(id in `{field.column_name}`)")
        kind = PEEWEE_TYPES.get(str(field.field_type).upper(), type(field).__name__)
        max_length = getattr(field, "max_length", None)
        return f"`{kind}`" + (f" (max {max_length})" if max_length else "")

    def members(self, cls: type) -> None:
        """Properties and documented public methods the class itself defines."""
        lines = []
        for name, value in vars(cls).items():
            if name.startswith("_"):
                continue
            if isinstance(value, property):
                doc = (value.fget.__doc__ or "").strip().split("\n\n")[0]
                annotation = _annotation(inspect.signature(value.fget).return_annotation)
                shown = f"`{name}`" + (f" (`{annotation}`)" if annotation else "")
                lines.append(f"- {shown}, a property" + (f": {self.md(doc)}" if doc else ""))
            elif isinstance(value, (classmethod, staticmethod)) or inspect.isfunction(value):
                function = value.__func__ if isinstance(value, (classmethod, staticmethod)) \
                    else value
                doc = (function.__doc__ or "").strip()
                if not doc:
                    continue
                skip = 0 if isinstance(value, staticmethod) else 1
                lines.append(f"- `{name}({_params(function, skip)}){_return(function)}`: "
                             f"{self.md(inspect.cleandoc(doc).split(chr(10) * 2)[0])}")
        if lines:
            self.para("Also:", "", *lines)

    # -- fixed lists

    def fixed_lists(self) -> None:
        self.heading(2, "Fixed lists")
        self.para("A fixed list's codes are what the database stores and what a plugin "
                  "compares with (`customer.industry == \"telecom\"`, `cause == "
                  "\"customer_use\"`). Each list is a `StrEnum` in `backoffice.labels`: a "
                  "member equals its code (`Industry.TELECOM == \"telecom\"`). The label is "
                  "what people see, in their language; the English one is shown.")
        for name, enum in self.lists.items():
            self.heading(3, name, "list:" + name, enum.__name__)
            self.para(f"`{enum.__module__}.{enum.__name__}`")
            rows = ["| code | member | label (English) |", "| --- | --- | --- |"]
            for member in enum:
                rows.append(f"| `{member.value}` | `{enum.__name__}.{member.name}` | "
                            f"{_cell(self.english(member))} |")
            self.para(*rows)

    def english(self, member) -> str:
        from flask import has_app_context
        if has_app_context():
            from flask_babel import force_locale
            with force_locale("en"):
                return self.labels.label(member)
        return self.labels.label(member)

    # -- reStructuredText to Markdown

    def md(self, text: str) -> str:
        """The docstring markup the hookspecs use, as Markdown: roles, ``literals``,
        ``::`` code blocks, bullets and definition lists (each paragraph on one line)."""
        blocks: list[tuple[str, list[str]]] = []  # (kind, lines): para, item, code
        lines = text.splitlines()
        i = 0
        while i < len(lines):
            line, stripped = lines[i], lines[i].strip()
            indented = line[:1].isspace()
            current = blocks[-1] if blocks else None
            if not stripped:
                blocks.append(("gap", []))
            elif stripped.startswith(("* ", "- ")) and not indented:
                blocks.append(("item", [stripped[2:]]))
            elif (not indented and i + 1 < len(lines) and lines[i + 1][:1].isspace()
                  and lines[i + 1].strip() and (current is None or current[0] != "para")):
                blocks.append(("item", [stripped + ":"]))  # a definition list's term
            elif current is not None and current[0] in ("para", "item"):
                current[1].append(stripped)
            else:
                blocks.append(("para", [stripped]))
            if stripped.endswith("::"):  # the paragraph introduces a code block
                intro = blocks[-1][1]
                intro[-1] = intro[-1][:-2].rstrip() + (":" if intro[-1][:-2].strip() else "")
                block, i = [], i + 1
                while i < len(lines) and (not lines[i].strip() or lines[i][:1].isspace()):
                    block.append(lines[i])
                    i += 1
                blocks.append(("code", [textwrap.dedent("\n".join(block)).strip("\n")]))
                continue
            i += 1
        out: list[str] = []
        previous = "gap"
        for kind, parts in blocks:
            if kind == "gap":
                previous = kind
                continue
            if out and not (kind == "item" and previous == "item"):
                out.append("")
            if kind == "code":
                out += ["```python", parts[0], "```"]
            else:
                joined = self.inline(" ".join(p for p in parts if p))
                if kind == "item":
                    joined = "- " + joined
                if joined.strip():
                    out.append(joined)
            previous = kind
        return "\n".join(out).strip("\n")

    def inline(self, text: str) -> str:
        text = re.sub(r"``(.+?)``", r"`\1`", text)

        def role(match):
            kind, short, target, explicit = match.groups()
            target = (explicit or target).strip()
            name = target.rsplit(".", 1)[-1]
            shown = match.group(3).strip() if explicit else (name if short else target)
            keys = [name]
            if kind == "class" and name in self.list_names:
                keys.append("list:" + self.list_names[name])
            return _mark(",".join(keys), shown, code=not explicit)
        return ROLE_RE.sub(role, text)


# -- small helpers ---------------------------------------------------------------------------

def _mark(keys: str, shown: str, code: bool = False) -> str:
    """A link to be resolved once every anchor is known (plain text if none matches)."""
    return f"\x00{keys}\x01{f'`{shown}`' if code else shown}\x00"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _annotation(annotation) -> str:
    if annotation is inspect.Parameter.empty or annotation is inspect.Signature.empty:
        return ""
    if isinstance(annotation, str):
        return annotation
    return getattr(annotation, "__name__", None) or str(annotation)


def _params(function, skip: int = 0) -> str:
    shown = []
    for param in list(inspect.signature(function).parameters.values())[skip:]:
        text = param.name
        annotation = _annotation(param.annotation)
        if annotation:
            text += f": {annotation}"
        if param.default is not inspect.Parameter.empty:
            text += f" = {param.default!r}" if annotation else f"={param.default!r}"
        shown.append(text)
    return ", ".join(shown)


def _return(function) -> str:
    annotation = _annotation(inspect.signature(function).return_annotation)
    return f" -> {annotation}" if annotation else ""


def _default(f) -> str:
    if f.default is not dataclasses.MISSING:
        return f"`{_value(f.default)}`"
    if f.default_factory is not dataclasses.MISSING:
        factory = f.default_factory
        if factory in (dict, list, tuple, set, frozenset):
            return f"`{factory()!r}`"
        return f"`{getattr(factory, '__name__', factory)}()`"
    return "required"


def _field_default(field) -> str:
    default = field.default
    if callable(default):
        return f"`{getattr(default, '__name__', default)}()`"
    if default is None:
        return ""
    return f"`{_value(default)}`"


def _value(value) -> str:
    if isinstance(value, str):
        return json.dumps(str(value), ensure_ascii=False)
    return repr(value)


def _cell(text: str) -> str:
    """Text for a table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _comments(cls: type) -> dict[str, str]:
    """Attribute comments of ``cls`` and its own bases: ``#:`` lines above an attribute,
    else a trailing ``  # comment`` on its line."""
    comments: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass is object or klass.__module__.split(".")[0] in ("peewee", "playhouse"):
            continue
        try:
            lines = inspect.getsource(klass).splitlines()
        except (OSError, TypeError):
            continue
        pending: list[str] = []
        for line in lines[1:]:
            stripped = line.strip()
            if stripped.startswith("#:"):
                pending.append(stripped[2:].strip())
                continue
            match = re.match(r"(\w+)\s*[:=]", stripped)
            if match and pending:
                comments[match.group(1)] = " ".join(pending)
            elif match and "  # " in line:
                comments[match.group(1)] = line.split("  # ", 1)[1].strip()
            pending = []
    return comments


# -- the command ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m backoffice.hookdoc",
        description="Write docs/hooks.md, the hook reference, from backoffice/hookspecs.py.")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when the file is not what it would be")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="the file to write or check (default: docs/hooks.md)")
    args = parser.parse_args(argv)
    text = render()
    shown = _shown(args.output)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            state = "missing" if current is None else "out of date"
            print(f"{shown} is {state}: run python -m backoffice.hookdoc", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {shown}")
    found = problems()
    for problem in found:
        print(f"warning: {problem}", file=sys.stderr)
    return 1 if found else 0


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())

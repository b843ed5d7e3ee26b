"""The rule engine's plugin manager: load order, per-contract plugin sets, typed calls.

Load order (fixed, and shown by ``backoffice plugins list``):

1. installed distributions' entry points in the ``backoffice`` group;
2. ``.py`` files and packages in ``PLUGINS_DIR`` (default ``plugins/``), by name;
3. the defaults (:data:`DEFAULT_PLUGINS`: the charter, as ``trylast`` plugins).

``PLUGINS_ALLOW`` (if not empty) and ``PLUGINS_BLOCK`` filter steps 1 and 2 by
plugin name; the defaults always load because every decision falls back to them.
A plugin that cannot be imported or registered, or implements a hook that does
not exist (``check_pending``), stops start-up with a one-line
:class:`~backoffice.config.ConfigError` naming it.

At run time every hook call goes through :meth:`RuleEngine.call`, which asks a
contract's enabled plugins (in the order its ``plugins`` setting lists them) and
then the defaults, one implementation at a time, so that a plugin which raises
or answers with the wrong type is logged with its name, the contract and the
hook, counted in :attr:`RuleEngine.failures`, and skipped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import importlib.metadata
import importlib.util
import json
import logging
import sys
import threading
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

import pluggy
from flask import current_app, has_app_context

from . import hookspecs
from .config import ConfigError

logger = logging.getLogger("backoffice.plugins")

ENTRY_POINT_GROUP = "backoffice"
#: the package's own plugins: name -> module
DEFAULT_PLUGINS = {"charter": "backoffice.default_plugins.charter"}
EXTENSION_KEY = "backoffice_rules"


@dataclass
class PluginInfo:
    """A loaded plugin, as the registry shows it."""

    name: str
    source: str          # "entry point", "plugins dir", "default" or "test"
    location: str        # distribution, file path or module
    version: str
    plugin: object = field(repr=False)

    @property
    def is_default(self) -> bool:
        return self.source == "default"


@dataclass
class Failure:
    """How often a plugin failed in a hook, and the last time's details."""

    count: int = 0
    last_error: str = ""
    last_contract: str = ""
    last_at: dt.datetime | None = None


class RuleEngine:
    """One plugin manager per app, with its loaded plugins and failure counts."""

    def __init__(self, *, plugins_dir: str | Path | None = None, allow=(), block=(),
                 timezone: str = "Asia/Shanghai", entry_points: bool = True):
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins_dir = Path(plugins_dir) if plugins_dir else None
        self.allow, self.block = set(allow), set(block)
        self.tz = zoneinfo.ZoneInfo(timezone)
        self.use_entry_points = entry_points
        self.plugins: dict[str, PluginInfo] = {}
        self.failures: dict[tuple[str, str], Failure] = {}
        self._lock = threading.Lock()

    # -- loading -----------------------------------------------------------------

    def load(self) -> RuleEngine:
        if self.use_entry_points:
            self._load_entry_points()
        if self.plugins_dir is not None and self.plugins_dir.is_dir():
            self._load_directory(self.plugins_dir)
        for name, module_name in DEFAULT_PLUGINS.items():
            self.register(importlib.import_module(module_name), name, "default", module_name,
                          _package_version())
        self.check()
        return self

    def _wanted(self, name: str) -> bool:
        if name in DEFAULT_PLUGINS:
            raise ConfigError(f"plugin {name!r}: the name is taken by a default plugin")
        return name not in self.block and (not self.allow or name in self.allow)

    def _load_entry_points(self) -> None:
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
                         key=lambda ep: ep.name):
            if not self._wanted(ep.name):
                continue
            dist = ep.dist
            where = f"{dist.name} {dist.version}" if dist else ep.value
            try:
                plugin = ep.load()
            except Exception as exc:  # any import-time error stops start-up, named
                raise ConfigError(f"plugin {ep.name!r} (entry point {ep.value} from {where}) "
                                  f"failed to load: {type(exc).__name__}: {exc}") from exc
            self.register(plugin, ep.name, "entry point", where, dist.version if dist else "")

    def _load_directory(self, directory: Path) -> None:
        for path in sorted(directory.iterdir()):
            if path.name.startswith(("_", ".")):
                continue
            if path.suffix == ".py" and path.is_file():
                name, init = path.stem, path
            elif path.is_dir() and (path / "__init__.py").is_file():
                name, init = path.name, path / "__init__.py"
            else:
                continue
            if not self._wanted(name):
                continue
            module = _import_path(name, init, package=path.is_dir())
            self.register(module, name, "plugins dir", str(path),
                          str(getattr(module, "__version__", "")))

    def register(self, plugin, name: str, source: str = "test", location: str = "",
                 version: str = "") -> None:
        """Add ``plugin`` under ``name``; a broken plugin raises a one-line ConfigError."""
        if name in self.plugins:
            raise ConfigError(f"plugin {name!r} ({source} {location}) is already loaded from "
                              f"{self.plugins[name].source} {self.plugins[name].location}")
        try:
            self.pm.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise ConfigError(f"plugin {name!r} ({source} {location}): "
                              f"{_one_line(exc)}") from exc
        self.plugins[name] = PluginInfo(name, source, location or name, version, plugin)

    def unregister(self, name: str) -> None:
        info = self.plugins.pop(name)
        self.pm.unregister(info.plugin, name=name)

    def check(self) -> None:
        """Fail on a hook implementation that matches no hook (a misspelt name)."""
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            name = self.pm.get_name(exc.plugin) or "?"
            raise ConfigError(f"plugin {name!r}: {_one_line(exc)}") from exc

    # -- what is loaded ------------------------------------------------------------

    def hooks_of(self, name: str) -> list[str]:
        plugin = self.plugins[name].plugin
        return sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ())

    def defaults(self) -> list[str]:
        return [name for name, info in self.plugins.items() if info.is_default]

    # -- calling hooks ---------------------------------------------------------------

    def call(self, hook: str, *, contract=None, enabled: dict | None = None, **kwargs):
        """Ask ``hook`` for ``contract``: the one typed entry point to every hook.

        ``enabled`` (plugin name -> settings) overrides the contract's own plugin
        set, for previews. ``terms`` is filled in from the contract when the hook
        takes it and the caller did not pass it. Returns the first valid answer
        (``firstresult`` hooks; ``None`` if nobody answered) or the joined lists.
        """
        if hook in hookspecs.OWN_PLUGIN_HOOKS:
            raise TypeError(f"hook {hook} is asked of one plugin: use check_settings()")
        caller = getattr(self.pm.hook, hook)
        spec = caller.spec
        if "contract" in spec.argnames:
            kwargs["contract"] = contract
        if "terms" in spec.argnames and "terms" not in kwargs:
            from .models.terms import terms_for
            kwargs["terms"] = terms_for(contract)
        for key, value in kwargs.items():  # plugins see times in the center's zone
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                kwargs[key] = value.astimezone(self.tz)
        missing = set(spec.argnames) - set(kwargs) - {"settings"}
        if missing:
            raise TypeError(f"hook {hook} needs {', '.join(sorted(missing))}")
        if enabled is None:
            enabled = contract.enabled_plugins() if contract is not None else {}
        if hook not in hookspecs.GLOBAL_HOOKS:
            for name in enabled:
                if name not in self.plugins:  # e.g. removed from this deployment
                    self._failed(name, hook, contract, "enabled by the contract but not loaded")
        first = spec.opts.get("firstresult", False)
        expected = hookspecs.RESULT_TYPES[hook]
        collected = []
        for impl in self._implementations(caller, hook, enabled):
            name = impl.plugin_name
            args = dict(kwargs, settings=enabled.get(name, {}))
            try:
                result = impl.function(*[args[a] for a in impl.argnames],
                                       **{a: args[a] for a in impl.kwargnames if a in args})
            except Exception as exc:  # noqa: BLE001 - a plugin never takes the caller down
                self._failed(name, hook, contract, f"{type(exc).__name__}: {exc}")
                continue
            if result is None:
                continue
            problem = _type_problem(result, expected, first) or _value_problem(hook, result,
                                                                                kwargs)
            if problem:
                self._failed(name, hook, contract, problem)
                continue
            if first:
                return self._signed(result, name)
            collected.extend(result)
        return None if first else collected

    def _implementations(self, caller, hook, enabled):
        # pluggy calls the last registered first; keep that order within each group
        impls = list(reversed(caller.get_hookimpls()))
        if hook in hookspecs.GLOBAL_HOOKS:
            return impls
        by_name = {}
        for impl in impls:
            by_name.setdefault(impl.plugin_name, []).append(impl)
        chosen = [impl for name in enabled if name in self.plugins
                  and not self.plugins[name].is_default for impl in by_name.get(name, ())]
        return chosen + [i for i in impls if self.plugins[i.plugin_name].is_default]

    def _signed(self, result, name: str):
        """Make sure a decision says who took it."""
        if not dataclasses.is_dataclass(result) or not hasattr(result, "decided_by"):
            return result
        if not result.decided_by:
            return dataclasses.replace(result, decided_by=name)
        if not self.plugins[name].is_default and not result.decided_by.startswith(name):
            return dataclasses.replace(result, decided_by=f"{name}: {result.decided_by}")
        return result

    def _failed(self, plugin: str, hook: str, contract, message: str) -> None:
        label = str(contract) if contract is not None else "-"
        logger.warning("rule plugin %s failed in hook %s for contract %s: %s",
                       plugin, hook, label, message)
        with self._lock:
            failure = self.failures.setdefault((plugin, hook), Failure())
            failure.count += 1
            failure.last_error, failure.last_contract = message[:500], label
            failure.last_at = dt.datetime.now(dt.UTC)

    def failure_count(self, plugin: str) -> int:
        return sum(f.count for (name, _), f in self.failures.items() if name == plugin)

    def check_settings(self, name: str, settings: dict) -> list[str]:
        """The plugin's own verdict on ``settings`` (``[]`` when it has no check)."""
        caller = self.pm.hook.check_settings
        for impl in caller.get_hookimpls():
            if impl.plugin_name != name:
                continue
            try:
                result = impl.function(settings)
            except Exception as exc:  # noqa: BLE001 - a broken check is itself a problem
                self._failed(name, "check_settings", None, f"{type(exc).__name__}: {exc}")
                return [f"{name}: could not check its settings ({type(exc).__name__}: {exc})"]
            if result is None:
                return []
            problem = _type_problem(result, str, False)
            if problem:
                self._failed(name, "check_settings", None, problem)
                return [f"{name}: {problem}"]
            return [f"{name}: {p}" for p in result]
        return []


def _type_problem(result, expected: type, first: bool) -> str | None:
    def wrong(value, kind):
        return not isinstance(value, kind) or (kind is int and isinstance(value, bool))
    if first:
        if wrong(result, expected):
            return f"returned {type(result).__name__}, expected {expected.__name__}"
        return None
    if not isinstance(result, (list, tuple)):
        return f"returned {type(result).__name__}, expected a list"
    for item in result:
        if wrong(item, expected):
            return f"returned a list holding {type(item).__name__}, expected {expected.__name__}"
    return None


def _value_problem(hook: str, result, kwargs: dict) -> str | None:
    """Answers of the right type that still make no sense."""
    if hook in ("reply_deadline", "arrival_deadline") and result.due < kwargs["received"]:
        return f"returned a deadline ({result.due.isoformat()}) before receipt"
    if hook == "replacement_window" and result.earliest < _day(kwargs["confirmed"]):
        return f"returned a window starting ({result.earliest}) before confirmation"
    if hook == "visit_frequency" and not 1 <= result <= 365:
        return f"returned {result} visits a year"
    return None


def _day(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _package_version() -> str:
    try:
        return importlib.metadata.version("backoffice")
    except importlib.metadata.PackageNotFoundError:
        return ""


def _import_path(name: str, path: Path, package: bool):
    """Import a plugin file or package by path; an error names the plugin and stops start-up."""
    module_name = f"backoffice_plugin_{name}"
    spec = importlib.util.spec_from_file_location(
        module_name, path, submodule_search_locations=[str(path.parent)] if package else None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # a package's relative imports need it
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise ConfigError(f"plugin {name!r} (plugins dir {path}) failed to import: "
                          f"{type(exc).__name__}: {_one_line(exc)}") from exc
    return module


# -- per-contract plugin settings ------------------------------------------------------

class SettingsError(ValueError):
    """A contract's ``plugins`` value is not a JSON object of objects."""


def parse_plugin_settings(raw: str | dict | None) -> dict:
    """A contract's ``plugins`` JSON as ``{name: settings}``; ValueError names the problem."""
    if raw is None or raw == "":
        return {}
    data = raw
    if isinstance(raw, str):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SettingsError(f"Plugins must be a JSON object ({exc.msg} at line {exc.lineno}, "
                             f"column {exc.colno}).") from None
    if not isinstance(data, dict):
        raise SettingsError('Plugins must be a JSON object like {"near_site_4h": {}}.')
    for name, settings in data.items():
        if not isinstance(settings, dict):
            raise SettingsError(f"The settings of plugin {name} must be a JSON object.")
    return data


def check_contract_plugins(raw) -> list[str]:
    """Every problem with a contract's plugin list and settings (``[]``: all fine)."""
    from .i18n import _
    try:
        enabled = parse_plugin_settings(raw)
    except ValueError as exc:
        return [str(exc)]
    engine = current_engine(fallback=False)
    if engine is None:  # outside an app only the shape can be checked
        return []
    problems = []
    for name, settings in enabled.items():
        info = engine.plugins.get(name)
        if info is None:
            problems.append(_("Plugin %(name)s is not loaded (see backoffice plugins list).",
                              name=name))
        elif info.is_default:
            problems.append(_("Plugin %(name)s is a default and always on.", name=name))
        else:
            problems.extend(engine.check_settings(name, settings))
    return problems


def contracts_using(name: str) -> list[str]:
    """Numbers of the contracts that enable plugin ``name``."""
    from .models import Contract
    query = (Contract.select(Contract.number, Contract.plugins)
             .where(Contract.plugins.contains(f'"{name}"')).order_by(Contract.number))
    return [c.number for c in query if name in c.enabled_plugins()]


def registry(engine: RuleEngine, with_contracts: bool = True) -> list[dict]:
    """What ``plugins list`` and the registry page show, in load order."""
    rows = []
    for name, info in engine.plugins.items():
        rows.append({
            "name": name, "source": info.source, "location": info.location,
            "version": info.version, "hooks": engine.hooks_of(name),
            "contracts": contracts_using(name) if with_contracts and not info.is_default
            else [],
            "failures": engine.failure_count(name),
        })
    return rows


# -- the app's engine ------------------------------------------------------------------

_fallback: RuleEngine | None = None


def current_engine(fallback: bool = True) -> RuleEngine | None:
    """The current app's engine; outside an app, the defaults alone (or ``None``)."""
    global _fallback
    if has_app_context() and EXTENSION_KEY in current_app.extensions:
        return current_app.extensions[EXTENSION_KEY]
    if not fallback:
        return None
    if _fallback is None:
        _fallback = RuleEngine(entry_points=False).load()
    return _fallback


def init_app(app) -> None:
    engine = RuleEngine(plugins_dir=app.config["PLUGINS_DIR"],
                        allow=app.config["PLUGINS_ALLOW"], block=app.config["PLUGINS_BLOCK"],
                        timezone=app.config["TIMEZONE"])
    app.extensions[EXTENSION_KEY] = engine.load()

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

At run time every decision goes through the engine's typed facade (one method
per hook: :meth:`RuleEngine.reply_deadline`, :meth:`RuleEngine.coverage`, ...),
which asks a contract's enabled plugins (in the order its ``plugins`` setting
lists them) and then the defaults, one implementation at a time, so that a
plugin which raises or answers with the wrong type is logged with its name, the
contract and the hook (and the traceback), counted in the engine's failure store
(:attr:`RuleEngine.failures`; the app's is shared by every process, in the
database or in Redis: :mod:`backoffice.models.plugin_failures`), and skipped.
The pluggy manager itself is private to the engine; the order of
implementations per contract is computed once and cached, so a decision costs
little more than the arithmetic it makes.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import importlib
import importlib.metadata
import importlib.util
import logging
import sys
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pluggy
from flask import current_app, has_app_context

from . import hookspecs
from .config import ConfigError
from .hookspecs import Coverage, Deadline, Period, Staffing, Window
from .i18n import _
from .models import Contract, TermSetVersion
from .models.plugin_failures import Failure, FailureStore, MemoryFailureStore
from .terms import STANDARD, Terms

logger = logging.getLogger("backoffice.plugins")

ENTRY_POINT_GROUP = "backoffice"
#: the package's own plugins: name -> module
DEFAULT_PLUGINS = {"charter": "backoffice.default_plugins.charter",
                   "channels": "backoffice.default_plugins.channels"}
EXTENSION_KEY = "backoffice_rules"


@dataclass
class PluginInfo:
    """A loaded plugin, as the registry shows it."""

    name: str
    source: str          # a labels.PluginSource: "entry point", "plugins dir", "default", "test"
    location: str        # distribution, file path or module
    version: str
    plugin: object = field(repr=False)

    @property
    def is_default(self) -> bool:
        return self.source == "default"


class RuleEngine:
    """One plugin manager per app, its loaded plugins, failure counts, and the typed facade.

    The pluggy manager is private: the back-office asks for decisions through the
    facade methods below (one per hook, see :mod:`backoffice.hookspecs`), which
    call the implementations one at a time in the contract's order.
    """

    def __init__(self, *, plugins_dir: str | Path | None = None, allow=(), block=(),
                 timezone: str = "Asia/Shanghai", entry_points: bool = True,
                 failure_store: FailureStore | None = None):
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self.plugins_dir = Path(plugins_dir) if plugins_dir else None
        self.allow, self.block = set(allow), set(block)
        self.tz = zoneinfo.ZoneInfo(timezone)
        self.use_entry_points = entry_points
        self.plugins: dict[str, PluginInfo] = {}
        #: where failures are counted: this process's memory unless the app gives a shared one
        self.failure_store = failure_store if failure_store is not None else MemoryFailureStore()
        #: (hook, enabled plugin names) -> the implementations to ask, in order
        self._chains: dict[tuple[str, tuple[str, ...]], _Chain] = {}
        #: term-set version id -> its Terms (a published version never changes)
        self._terms: dict[int, Terms] = {}

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
                name = path.stem
            elif path.is_dir() and (path / "__init__.py").is_file():
                name = path.name
            else:
                continue
            if not self._wanted(name):
                continue
            module = import_plugin_path(path)
            self.register(module, name, "plugins dir", str(path),
                          str(getattr(module, "__version__", "")))

    def register(self, plugin, name: str, source: str = "test", location: str = "",
                 version: str = "") -> None:
        """Add ``plugin`` under ``name``; a broken plugin raises a one-line ConfigError.

        A plugin other than the defaults may not order itself (``tryfirst``,
        ``trylast``) or wrap other plugins (``wrapper``, ``hookwrapper``): the
        contract's list decides who is asked first, and the charter comes last.
        """
        if name in self.plugins:
            raise ConfigError(f"plugin {name!r} ({source} {location}) is already loaded from "
                              f"{self.plugins[name].source} {self.plugins[name].location}")
        try:
            self._pm.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise ConfigError(f"plugin {name!r} ({source} {location}): "
                              f"{_one_line(exc)}") from exc
        if source != "default":
            marked = self._ordering_markers(plugin)
            if marked:
                self._pm.unregister(plugin, name=name)
                raise ConfigError(
                    f"plugin {name!r} ({source} {location}): {marked}; a contract's plugins "
                    "are asked in the contract's order, so tryfirst, trylast and wrappers "
                    "are refused")
        self.plugins[name] = PluginInfo(name, source, location or name, version, plugin)
        self._chains.clear()

    def _ordering_markers(self, plugin) -> str:
        found = []
        for caller in self._pm.get_hookcallers(plugin) or ():
            for impl in caller.get_hookimpls():
                if impl.plugin is not plugin:
                    continue
                for marker in ("tryfirst", "trylast", "wrapper", "hookwrapper"):
                    if getattr(impl, marker, False):
                        found.append(f"{caller.name} is marked {marker}")
        return ", ".join(sorted(found))

    def unregister(self, name: str) -> None:
        info = self.plugins.pop(name)
        self._pm.unregister(info.plugin, name=name)
        self._chains.clear()

    def check(self) -> None:
        """Fail on a hook implementation that matches no hook (a misspelt name)."""
        try:
            self._pm.check_pending()
        except pluggy.PluginValidationError as exc:
            name = self._pm.get_name(exc.plugin) or "?"
            raise ConfigError(f"plugin {name!r}: {_one_line(exc)}") from exc

    # -- what is loaded ------------------------------------------------------------

    def hooks_of(self, name: str) -> list[str]:
        plugin = self.plugins[name].plugin
        return sorted(caller.name for caller in self._pm.get_hookcallers(plugin) or ())

    def defaults(self) -> list[str]:
        return [name for name, info in self.plugins.items() if info.is_default]

    def idle(self) -> list[str]:
        """Loaded plugins that implement no hook (a helper module dropped in the plugins dir)."""
        return [name for name in self.plugins if not self.hooks_of(name)]

    def forget_terms(self) -> None:
        """Read every term-set version again when next asked. A published version never
        changes, so a serving process never needs this; the test suite does, as it empties
        the database (and so reuses the versions' ids) under one engine."""
        self._terms.clear()

    def terms_for(self, contract) -> Terms:
        """The terms in force for ``contract``: its pinned version's, else the standard ones."""
        version_id = contract.term_set_version_id if contract is not None else None
        if version_id is None:
            return STANDARD
        terms = self._terms.get(version_id)
        if terms is None:
            terms = self._terms[version_id] = TermSetVersion.get_by_id(version_id).terms()
        return terms

    # -- the typed facade: one method per hook ---------------------------------------

    def reply_deadline(self, contract, received: dt.datetime, *, ticket=None,
                       terms: Terms | None = None, enabled: dict | None = None) -> Deadline:
        """When the definite reply is due (see :func:`backoffice.hookspecs.reply_deadline`)."""
        return self._decide("reply_deadline", contract, enabled, {
            "received": self._local(received), "ticket": ticket, "terms": terms})

    def arrival_deadline(self, contract, received: dt.datetime, distance_km: float, *,
                         site=None, ticket=None, terms: Terms | None = None,
                         enabled: dict | None = None) -> Deadline:
        """When an engineer must be on site (:func:`~backoffice.hookspecs.arrival_deadline`)."""
        return self._decide("arrival_deadline", contract, enabled, {
            "received": self._local(received), "distance_km": distance_km, "site": site,
            "ticket": ticket, "terms": terms})

    def replacement_window(self, contract, confirmed: dt.date, *, terms: Terms | None = None,
                           enabled: dict | None = None) -> Window:
        """When a replacement must be on site (:func:`~backoffice.hookspecs.replacement_window`)."""
        return self._decide("replacement_window", contract, enabled, {
            "confirmed": confirmed, "terms": terms})

    def warranty_period(self, contract, unit, product, *, terms: Terms | None = None,
                        enabled: dict | None = None) -> Period:
        """A unit's warranty dates (:func:`~backoffice.hookspecs.warranty_period`)."""
        return self._decide("warranty_period", contract, enabled, {
            "unit": unit, "product": product, "terms": terms})

    def coverage(self, contract, unit, on: dt.date, cause: str | None = None, *,
                 terms: Terms | None = None, enabled: dict | None = None) -> Coverage:
        """Whether a service is covered and who pays (:func:`~backoffice.hookspecs.coverage`)."""
        return self._decide("coverage", contract, enabled, {
            "unit": unit, "on": on, "cause": cause, "terms": terms})

    def dispatch_ranking(self, contract, ticket, candidates: list, *,
                         terms: Terms | None = None, enabled: dict | None = None) -> list:
        """Engineers to propose, best first (:func:`~backoffice.hookspecs.dispatch_ranking`)."""
        return self._decide("dispatch_ranking", contract, enabled, {
            "ticket": ticket, "candidates": list(candidates), "terms": terms})

    def escalation_ladder(self, contract, ticket, *, terms: Terms | None = None,
                          enabled: dict | None = None) -> list:
        """Who is warned when (:func:`~backoffice.hookspecs.escalation_ladder`)."""
        return self._decide("escalation_ladder", contract, enabled, {
            "ticket": ticket, "terms": terms})

    def negotiation_steps(self, contract, ticket, cause: str | None, *,
                          terms: Terms | None = None, enabled: dict | None = None) -> list:
        """The steps of a liability negotiation (:func:`~backoffice.hookspecs.negotiation_steps`)."""
        return self._decide("negotiation_steps", contract, enabled, {
            "ticket": ticket, "cause": cause, "terms": terms})

    def duty_staffing(self, contract, request, *, terms: Terms | None = None,
                      enabled: dict | None = None) -> Staffing:
        """What an on-duty request needs (:func:`~backoffice.hookspecs.duty_staffing`)."""
        return self._decide("duty_staffing", contract, enabled, {
            "request": request, "terms": terms})

    def visit_frequency(self, contract, customer, *, terms: Terms | None = None,
                        enabled: dict | None = None) -> int:
        """Return visits a year (:func:`~backoffice.hookspecs.visit_frequency`)."""
        return self._decide("visit_frequency", contract, enabled, {
            "customer": customer, "terms": terms})

    def notification_channels(self, contract, *, ticket=None, milestone: str = "",
                              level: str = "", enabled: dict | None = None) -> list:
        """Extra channels of one notice of a contract's ticket (every plugin's lists joined:
        :func:`~backoffice.hookspecs.notification_channels`)."""
        return self._collect("notification_channels", contract, enabled, {
            "ticket": ticket, "milestone": milestone, "level": level})

    def notice_senders(self) -> dict[str, object]:
        """The sender of each channel kind (:func:`~backoffice.hookspecs.notice_senders`):
        a plugin's sender of a kind takes the place of the built-in one."""
        senders: dict[str, object] = {}
        # the defaults answer last (trylast), so a plugin's sender is seen first and kept
        for sender in self._collect("notice_senders", None, {}, {}, accept=_is_sender):
            senders.setdefault(sender.kind, sender)
        return senders

    def admin_views(self, accept: Callable[[object], bool] | None = None) -> list:
        """Every loaded plugin's extra admin views; ``accept`` refuses wrong objects (the
        admin passes "is a Flask-Admin view": the rule engine imports no UI library)."""
        return self._collect("admin_views", None, {}, {}, accept=accept)

    def check_settings(self, name: str, settings: dict) -> list[str]:
        """The plugin's own verdict on ``settings`` (``[]`` when it has no check)."""
        for impl in self._pm.hook.check_settings.get_hookimpls():
            if impl.plugin_name != name:
                continue
            try:
                result = impl.function(settings)
            except Exception as exc:  # noqa: BLE001 - a broken check is itself a problem
                self._failed(name, "check_settings", None, f"{type(exc).__name__}: {exc}", exc)
                return [f"{name}: could not check its settings ({type(exc).__name__}: {exc})"]
            if result is None:
                return []
            problem = _type_problem(result, str, True)
            if problem:
                self._failed(name, "check_settings", None, problem)
                return [f"{name}: {problem}"]
            return [f"{name}: {p}" for p in result]
        return []

    def check_contract_plugins(self, enabled: dict) -> list[str]:
        """Every problem with a contract's enabled plugins and their settings."""
        problems = []
        for name, settings in enabled.items():
            info = self.plugins.get(name)
            if info is None:
                problems.append(_("Plugin %(name)s is not loaded (see backoffice plugins "
                                  "list).", name=name))
            elif info.is_default:
                problems.append(_("Plugin %(name)s is a default and always on.", name=name))
            else:
                problems.extend(self.check_settings(name, settings))
        return problems

    # -- asking, one implementation at a time -------------------------------------------

    def _local(self, value: dt.datetime) -> dt.datetime:
        """Plugins see times in the center's zone."""
        if value.tzinfo is None:
            raise TypeError(f"expected an aware datetime, got {value!r}")
        return value if value.tzinfo is self.tz else value.astimezone(self.tz)

    def _chain(self, hook: str, enabled: dict) -> _Chain:
        key = (hook, tuple(enabled))
        chain = self._chains.get(key)
        if chain is None:
            chain = self._chains[key] = self._build_chain(hook, key[1])
        return chain

    def _build_chain(self, hook: str, names: tuple[str, ...]) -> _Chain:
        decl = hookspecs.DECLARATIONS[hook]
        # pluggy calls the last registered first; keep that order within each group
        impls = list(reversed(getattr(self._pm.hook, hook).get_hookimpls()))
        if decl.scope == "global":
            chosen = impls
        else:
            by_name: dict[str, list] = {}
            for impl in impls:
                by_name.setdefault(impl.plugin_name, []).append(impl)
            chosen = [impl for name in names if name in self.plugins
                      and not self.plugins[name].is_default for impl in by_name.get(name, ())]
            chosen += [i for i in impls if self.plugins[i.plugin_name].is_default]
        steps = tuple((impl.plugin_name, impl.function, tuple(impl.argnames)
                       + tuple(impl.kwargnames)) for impl in chosen)
        missing = () if decl.scope == "global" else tuple(
            name for name in names if name not in self.plugins)
        return _Chain(decl, steps, missing)

    def _decide(self, hook: str, contract, enabled: dict | None, args: dict):
        if enabled is None:
            enabled = contract.enabled_plugins() if contract is not None else {}
        if args.get("terms", True) is None:
            args["terms"] = self.terms_for(contract)
        args["contract"] = contract
        chain = self._chain(hook, enabled)
        for name in chain.missing:  # e.g. removed from this deployment
            self._failed(name, hook, contract, "enabled by the contract but not loaded")
        decl = chain.decl
        for name, function, argnames in chain.steps:
            args["settings"] = enabled.get(name, _NO_SETTINGS)
            try:
                result = function(**{a: args[a] for a in argnames})
            except Exception as exc:  # noqa: BLE001 - a plugin never takes the caller down
                self._failed(name, hook, contract, f"{type(exc).__name__}: {exc}", exc)
                continue
            if result is None:
                continue
            problem = (_type_problem(result, decl.result, False)
                       or (decl.item and _type_problem(result, decl.item, True))
                       or (decl.sense and decl.sense(result, args)))
            if problem:
                self._failed(name, hook, contract, problem)
                continue
            return self._signed(result, name)
        raise RuleEngineError(f"no plugin answered {hook} for contract "
                              f"{contract if contract is not None else '-'} (not even the "
                              "defaults)")

    def _collect(self, hook: str, contract, enabled: dict | None, args: dict, accept=None):
        if enabled is None:
            enabled = contract.enabled_plugins() if contract is not None else {}
        args["contract"] = contract
        chain = self._chain(hook, enabled)
        for name in chain.missing:
            self._failed(name, hook, contract, "enabled by the contract but not loaded")
        collected = []
        for name, function, argnames in chain.steps:
            args["settings"] = enabled.get(name, _NO_SETTINGS)
            try:
                result = function(**{a: args[a] for a in argnames})
            except Exception as exc:  # noqa: BLE001
                self._failed(name, hook, contract, f"{type(exc).__name__}: {exc}", exc)
                continue
            if result is None:
                continue
            problem = _type_problem(result, chain.decl.result, True)
            if problem is None and accept is not None:
                wrong = [item for item in result if not accept(item)]
                if wrong:
                    problem = f"returned a list holding {type(wrong[0]).__name__}"
            if problem:
                self._failed(name, hook, contract, problem)
                continue
            collected.extend(result)
        return collected

    def _signed(self, result, name: str):
        """Make sure a decision says who took it. A reason code (``why``) is the defaults'
        vocabulary: another plugin's answer is shown by its ``decided_by``, as written."""
        decided_by = getattr(result, "decided_by", None)
        if decided_by is None:
            return result
        default = self.plugins[name].is_default
        changes = {}
        if not default and getattr(result, "why", None) is not None:
            changes["why"] = None
        if not decided_by:
            changes["decided_by"] = name
        elif not default and not decided_by.startswith(name):
            changes["decided_by"] = f"{name}: {decided_by}"
        return dataclasses.replace(result, **changes) if changes else result

    # -- failures ------------------------------------------------------------------------

    @contextlib.contextmanager
    def recording(self):
        """Collect the plugin failures of the block (a preview shows them); yields a list of
        ``(plugin, hook, message)``."""
        seen: list[tuple[str, str, str]] = []
        token = _recorded.set(seen)
        try:
            yield seen
        finally:
            _recorded.reset(token)

    def _failed(self, plugin: str, hook: str, contract, message: str,
                exc: BaseException | None = None) -> None:
        label = str(contract) if contract is not None else "-"
        logger.warning("rule plugin %s failed in hook %s for contract %s: %s",
                       plugin, hook, label, message, exc_info=exc)
        try:
            self.failure_store.record(plugin, hook, label, message[:500])
        except Exception:  # counting never takes the caller down
            logger.exception("rule plugin %s failed in hook %s and the failure could not be "
                             "counted (%s store)", plugin, hook, self.failure_store.where)
        seen = _recorded.get()
        if seen is not None:
            seen.append((plugin, hook, message))

    @property
    def failures(self) -> dict[tuple[str, str], Failure]:
        """Every (plugin, hook) with failures counted, as the store has them now (the app's
        store: every process's)."""
        return self.failure_store.counts()

    def failure_count(self, plugin: str) -> int:
        return failure_totals(self.failures).get(plugin, 0)

    def reset_failures(self, plugin: str | None = None) -> int:
        """Set ``plugin``'s failure counts (every plugin's: ``None``) back to zero; returns
        how many (plugin, hook) figures were removed."""
        return self.failure_store.reset(plugin)


class RuleEngineError(RuntimeError):
    """No implementation answered a decision, not even the defaults (a broken deployment)."""


@dataclass(frozen=True)
class _Chain:
    decl: hookspecs.HookDecl
    steps: tuple[tuple[str, Callable, tuple[str, ...]], ...]
    missing: tuple[str, ...]


_NO_SETTINGS: dict = {}
_recorded: contextvars.ContextVar[list | None] = contextvars.ContextVar("plugin_failures",
                                                                        default=None)


def failure_totals(failures: dict[tuple[str, str], Failure]) -> dict[str, int]:
    """Each plugin's failures, all hooks together."""
    totals: dict[str, int] = {}
    for (plugin, _hook), failure in failures.items():
        totals[plugin] = totals.get(plugin, 0) + failure.count
    return totals


def _type_problem(result, expected: type, each: bool) -> str | None:
    """Why ``result`` (each item of it, with ``each``) is not of type ``expected``."""
    def wrong(value, kind):
        return not isinstance(value, kind) or (kind is int and isinstance(value, bool))
    if not each:
        if wrong(result, expected):
            return f"returned {type(result).__name__}, expected {expected.__name__}"
        return None
    if not isinstance(result, (list, tuple)):
        return f"returned {type(result).__name__}, expected a list"
    for item in result:
        if wrong(item, expected):
            return f"returned a list holding {type(item).__name__}, expected {expected.__name__}"
    return None


def _is_sender(value) -> bool:
    return isinstance(getattr(value, "kind", None), str) and callable(getattr(value, "send",
                                                                          None))


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _package_version() -> str:
    try:
        return importlib.metadata.version("backoffice")
    except importlib.metadata.PackageNotFoundError:
        return ""


def import_plugin_path(path: str | Path):
    """Import a plugin file or package directory by path, as the plugins directory does;
    an error names the plugin and stops start-up."""
    path = Path(path)
    package = path.is_dir()
    name = path.name if package else path.stem
    init = path / "__init__.py" if package else path
    module_name = f"backoffice_plugin_{name}"
    spec = importlib.util.spec_from_file_location(
        module_name, init, submodule_search_locations=[str(path)] if package else None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # a package's relative imports need it
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise ConfigError(f"plugin {name!r} (plugins dir {path}) failed to import: "
                          f"{type(exc).__name__}: {_one_line(exc)}") from exc
    return module


# -- the registry page and ``plugins list`` ----------------------------------------------

def contracts_using(name: str) -> list[str]:
    """Numbers of the contracts that enable plugin ``name``."""
    query = (Contract.select(Contract.number, Contract.plugins)
             .where(Contract.plugins.contains(f'"{name}"')).order_by(Contract.number))
    return [c.number for c in query if name in c.enabled_plugins()]


def registry(engine: RuleEngine, with_contracts: bool = True) -> list[dict]:
    """What ``plugins list`` and the registry page show, in load order."""
    rows = []
    totals = failure_totals(engine.failures)  # one read of the store
    for name, info in engine.plugins.items():
        rows.append({
            "name": name, "source": info.source, "location": info.location,
            "version": info.version, "hooks": engine.hooks_of(name),
            "contracts": contracts_using(name) if with_contracts and not info.is_default
            else [],
            "failures": totals.get(name, 0),
        })
    return rows


# -- the app's engine ------------------------------------------------------------------

def current_engine() -> RuleEngine:
    """The current app's engine. Outside an app context there is none, and asking is an
    error: a worker task that forgot its app would otherwise decide with the wrong plugins."""
    if not has_app_context() or EXTENSION_KEY not in current_app.extensions:
        raise RuntimeError("no rule engine: decisions need the app context of a back-office "
                           "app (create_app(); with app.app_context(): ...)")
    return current_app.extensions[EXTENSION_KEY]


def init_app(app, failure_store: FailureStore | None = None) -> None:
    """The app's engine; ``failure_store``: where it counts failures (``create_app`` passes
    the shared one the settings choose; none: this process's memory)."""
    engine = RuleEngine(plugins_dir=app.config["PLUGINS_DIR"],
                        allow=app.config["PLUGINS_ALLOW"], block=app.config["PLUGINS_BLOCK"],
                        timezone=app.config["TIMEZONE"], failure_store=failure_store)
    app.extensions[EXTENSION_KEY] = engine.load()

    @app.teardown_appcontext
    def _count_failures(exc):
        # a failure counted inside a transaction is stored by the store's writer once the
        # transaction is over: a request or a command ends when it has been
        engine.failure_store.flush()

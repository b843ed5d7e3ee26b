"""Testing helpers for rule plugins, and the pytest plugin that brings them to a plugin's repo.

An integrator tests a plugin from the plugin's own repository, where there is no
back-office checkout and no conftest to copy. So this module is registered with
pytest through the ``pytest11`` entry point (as pytest's ``pytester`` and
``tox.pytest`` are): installing the back-office is enough for these fixtures to
exist in every pytest run.

``backoffice_app``
    an app on a throw-away SQLite database (migrated once per session, copied
    for each test), with its app context pushed and the database connected.
    Installed plugins (entry points) are loaded, as in production; the plugins
    directory is an empty one of the test's own. ``backoffice_settings``
    (a dict, ``{}``) adds settings: override that fixture to change them.
``register_plugin``
    ``register_plugin(plugin, name=None)`` loads a plugin until the test ends
    and returns the engine. A plugin of that name already loaded (the installed
    release, from its entry point) is replaced for the test and put back after.

and plain functions: :func:`plugin_registered` (the same as a context manager),
:func:`load_plugin` (import a plugin file or package by path),
:func:`enable_plugin` (enable it for a contract), :func:`decide` (ask a decision
as the back-office does), and ``make_office`` ... ``make_unit``, which make the
rows a decision is for. They are the one place that knows how to make those
rows, so they can follow the back-office's services as those grow.

The back-office's own suite overrides ``backoffice_app`` with its ``app``
fixture (SQLite and PostgreSQL), so the same fixtures serve both.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import itertools
import json
import shutil
from decimal import Decimal
from pathlib import Path


def _operator(name: str):
    from .access import Operator
    return Operator(name)


# -- registering plugins for a test ------------------------------------------------------

def _engine():
    """The app's rule engine; a test without an app context is told which fixture it needs."""
    from flask import has_app_context

    from .plugins import current_engine
    if not has_app_context():
        raise RuntimeError("a rule plugin test needs an app context: use the backoffice_app "
                           "fixture (or register_plugin, which uses it)")
    return current_engine()


@contextlib.contextmanager
def plugin_registered(plugin, name: str | None = None, engine=None):
    """Register ``plugin`` (a module, class or object with ``@hookimpl`` functions) for the
    block, checked as at start-up (a misspelt hook raises ConfigError); yields the engine.

    A plugin of the same name that is already loaded (installed from an entry point, or
    from the plugins directory) is unregistered for the block and registered again after
    it, so a working copy can be tested where the released one is installed.
    """
    engine = engine or _engine()
    name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
    original = engine.plugins.get(name)
    if original is not None:
        if original.is_default:
            raise ValueError(f"plugin {name!r} is a default plugin; register yours under "
                             "another name")
        engine.unregister(name)
    try:
        engine.register(plugin, name, source="test",
                        location=str(getattr(plugin, "__file__", "") or "test"))
        try:
            engine.check()
            yield engine
        finally:
            engine.unregister(name)
    finally:
        if original is not None:
            _register_again(engine, original)


def _register_again(engine, info) -> None:
    """Put a replaced plugin back exactly as it was loaded (source, location, version)."""
    extra = {"version": info.version} if "version" in inspect.signature(
        engine.register).parameters else {}
    engine.register(info.plugin, info.name, source=info.source, location=info.location,
                    **extra)


def load_plugin(path) -> object:
    """Import a plugin file (or package directory) by path, as the plugins directory does."""
    from .plugins import import_plugin_path
    return import_plugin_path(Path(path))


def enable_plugin(contract, name: str, **settings) -> None:
    """Enable plugin ``name`` for ``contract`` with ``settings`` and save the contract.

    Checked as the contract rules screen checks it: a plugin that is not loaded, or
    settings its ``check_settings`` finds wrong, raise RuleViolation and nothing changes.
    """
    from .models import RuleViolation
    from .services import records
    before = contract.plugins
    enabled = dict(contract.enabled_plugins())
    enabled[name] = settings
    contract.plugins = json.dumps(enabled)
    try:  # through the records service, as every door saves a contract
        records.save(_operator("tests"), contract)
    except RuleViolation:
        contract.plugins = before
        raise


def decide(hook: str, contract=None, **args):
    """Ask decision ``hook`` for ``contract`` as the back-office does: the contract's
    plugins in its order, then the charter. ``args`` are the hook's other parameters
    (``terms`` and ``settings`` are filled in), e.g.
    ``decide("reply_deadline", contract, received=when)``."""
    engine = _engine()
    ask = getattr(engine, hook, None)
    return ask(contract=contract, **args)  # the typed facade: one method per hook


# -- rows to decide for --------------------------------------------------------------------

_numbers = itertools.count(1)


def _saved_record(record):
    """``record`` saved through the records service (derivations, checks, audit)."""
    from .services import records
    return records.save(_operator("tests"), record)


def _saved(model_class, /, **fields):
    return _saved_record(model_class(**fields))


def make_office(**fields):
    """An office (Harbin's coordinates unless given)."""
    from .models import Office
    n = next(_numbers)
    return _saved(Office, **{
        "code": f"T{n:03d}", "name": f"Test office {n}", "city": "Harbin",
        "province": "Heilongjiang", "latitude": Decimal("45.803775"),
        "longitude": Decimal("126.534967"), **fields})


def make_customer(office=None, **fields):
    """A customer of ``office`` (a new office if none), in the ``power`` industry."""
    from .models import Customer
    n = next(_numbers)
    return _saved(Customer, **{
        "code": f"C-TEST-{n}", "name": f"Test customer {n}", "industry": "power",
        "office": office or make_office(), **fields})


def make_site(customer=None, **fields):
    """A site of ``customer`` (a new customer if none), at its office's coordinates."""
    from .models import Site
    customer = customer or make_customer()
    office = customer.office
    n = next(_numbers)
    return _saved(Site, **{
        "customer": customer, "name": f"Test site {n}", "city": office.city,
        "latitude": office.latitude, "longitude": office.longitude, **fields})


def make_contract(customer=None, **fields):
    """An active contract of ``customer`` (a new customer if none), on the standard terms
    and with no plugin enabled (see :func:`enable_plugin`)."""
    from .models import Contract
    n = next(_numbers)
    return _saved(Contract, **{
        "number": f"K-TEST-{n}", "customer": customer or make_customer(),
        "signed_on": dt.date(2025, 1, 10), "value": Decimal(100000), **fields})


def make_product(**fields):
    """A catalogue product: grade A, 15 years of design life, 24 months of warranty."""
    from .models import Product
    n = next(_numbers)
    return _saved(Product, **{
        "model": f"TEST-{n}", "name": f"Test product {n}", "grade": "A",
        "design_life_years": 15, "warranty_months": 24, **fields})


def make_unit(contract=None, site=None, product=None, **fields):
    """A unit under ``contract`` at ``site`` (new ones if none), installed on 2025-02-01
    and accepted on 2025-02-10; its customer and warranty dates derived as on every save."""
    from .models import Unit
    contract = contract or make_contract()
    n = next(_numbers)
    unit = Unit(**{
        "serial": f"SN-TEST-{n}", "product": product or make_product(), "contract": contract,
        "site": site or make_site(contract.customer), "installed_on": dt.date(2025, 2, 1),
        "accepted_on": dt.date(2025, 2, 10), **fields})
    return _saved_record(unit)  # its customer and warranty dates derived, as on every save


# -- the pytest plugin ------------------------------------------------------------------------

try:
    import pytest
except ImportError:  # pragma: no cover - pytest is only needed to test plugins
    pytest = None

if pytest is not None:
    @pytest.fixture
    def backoffice_settings() -> dict:
        """Extra settings for ``backoffice_app``; override this fixture to change them."""
        return {}

    @pytest.fixture(scope="session")
    def _backoffice_migrated_db(tmp_path_factory) -> Path:
        """A SQLite database migrated once per session: each test starts from a copy."""
        from .db import database
        from .migrate import upgrade
        folder = tmp_path_factory.mktemp("backoffice")
        path = folder / "migrated.db"
        app = _test_app({"database_url": f"sqlite:///{path}"}, folder)
        with app.app_context():
            database.connect(reuse_if_open=True)
            upgrade()
            # the copies are of the file alone: write the WAL into it first (a pooled
            # connection stays open, so closing would not checkpoint)
            database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            database.close()
        return path

    @pytest.fixture
    def backoffice_app(backoffice_settings, _backoffice_migrated_db, tmp_path):
        """An app on a throw-away migrated SQLite database, app context pushed, connected."""
        from .db import database
        from .migrate import upgrade
        settings = dict(backoffice_settings)
        own_database = "database_url" not in settings
        if own_database:
            path = tmp_path / "backoffice.db"
            shutil.copyfile(_backoffice_migrated_db, path)
            settings["database_url"] = f"sqlite:///{path}"
        app = _test_app(settings, tmp_path)
        with app.app_context():
            database.connect(reuse_if_open=True)
            if not own_database:
                upgrade()
            yield app
            if not database.is_closed():
                database.close()

    @pytest.fixture
    def register_plugin(backoffice_app):
        """``register_plugin(plugin, name=None)``: the plugin is loaded until the test ends
        (replacing a loaded plugin of that name, which is put back after); returns the
        engine."""
        with contextlib.ExitStack() as stack:
            def register(plugin, name=None):
                return stack.enter_context(plugin_registered(plugin, name))
            yield register


def _test_app(settings: dict, folder: Path):
    """An app for tests: the given settings over test defaults, and no ``BACKOFFICE_*``
    variable of the developer's shell (it would point the tests at a real database)."""
    import os

    from . import create_app
    plugins_dir = folder / "plugins"
    plugins_dir.mkdir(exist_ok=True)
    config = {"secret_key": "backoffice-testing-secret-key", "plugins_dir": str(plugins_dir),
              **settings}
    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("BACKOFFICE_")]:
            patch.delenv(key)
        app = create_app(config, instance_path=str(folder / "instance"))
    app.config.update(TESTING=True)
    return app

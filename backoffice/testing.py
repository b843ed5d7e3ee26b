"""Testing helpers for rule plugins (like ``tox.pytest``).

In a test with an app context (the back-office's ``app`` fixture)::

    from backoffice.testing import enable_plugin, load_plugin, plugin_registered

    def test_my_plugin(app, contract):
        with plugin_registered(my_plugin, "my_plugin"):
            enable_plugin(contract, "my_plugin", radius_km=30)
            ...

or, with ``pytest_plugins = ["backoffice.testing"]`` in a ``conftest.py``, the
``register_plugin`` fixture: ``register_plugin(my_plugin, "my_plugin")``; the
plugin is removed again when the test ends.
"""

from __future__ import annotations

import contextlib
import json

from .plugins import current_engine


@contextlib.contextmanager
def plugin_registered(plugin, name: str | None = None, engine=None):
    """Register ``plugin`` (a module, class or object with ``@hookimpl`` functions) for
    the block, checked as at start-up (a misspelt hook raises ConfigError); yields the engine."""
    engine = engine or current_engine(fallback=False)
    if engine is None:
        raise RuntimeError("plugin_registered needs an app context (use the app fixture)")
    name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
    engine.register(plugin, name, "test", "test")
    try:
        engine.check()
        yield engine
    finally:
        engine.unregister(name)


def load_plugin(path) -> object:
    """Import a plugin file (or package directory) by path, as the plugins directory does."""
    from pathlib import Path

    from .plugins import _import_path
    path = Path(path)
    init = path / "__init__.py" if path.is_dir() else path
    return _import_path(path.stem, init, package=path.is_dir())


def enable_plugin(contract, name: str, **settings) -> None:
    """Enable plugin ``name`` for ``contract`` with ``settings`` and save the contract."""
    enabled = contract.enabled_plugins()
    enabled[name] = settings
    contract.plugins = json.dumps(enabled)
    contract.save()


try:
    import pytest
except ImportError:  # pragma: no cover - pytest is only needed to test plugins
    pytest = None

if pytest is not None:
    @pytest.fixture
    def register_plugin(app):
        """``register_plugin(plugin, name=None)``: the plugin is loaded until the test ends."""
        with contextlib.ExitStack() as stack:
            def register(plugin, name=None):
                return stack.enter_context(plugin_registered(plugin, name))
            yield register

"""The back-office of an equipment maker's customer service center.

:func:`create_app` builds the Flask app: configuration, database, login and
security, languages, the rule engine, the admin and the CLI, each from its own
``init_app``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from .config import ConfigError, default_database_url, load_settings

__all__ = ["ConfigError", "create_app"]


def create_app(config=None, *, instance_path: str | None = None) -> Flask:
    """Build the app from ``config`` (a mapping, a TOML path, or None for the defaults)."""
    settings = load_settings(config)
    app = Flask(__name__, instance_path=instance_path,
                instance_relative_config=True)
    app.config.update({key.upper(): value for key, value in settings.items()})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = default_database_url(app.instance_path)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _development_secret(app.instance_path)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["env"] == "production",
        FLASK_ADMIN_SWATCH="cerulean",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )

    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    from . import admin, api, auth, cli, db, i18n, plugins, security, worker
    from .models.plugin_failures import store_for
    db.init_app(app)
    # rule-plugin failures counted for every process: in Redis if redis_url, else the database
    plugins.init_app(app, failure_store=store_for(app.config))
    i18n.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    admin.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    worker.init_app(app)
    return app


def _development_secret(instance_path: str) -> str:
    """Outside production a random key is kept in the instance folder, shared by processes."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        os.chmod(path, 0o600)
    return path.read_text().strip()

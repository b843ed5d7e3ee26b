"""Configuration: defaults, then a TOML file, then ``BACKOFFICE_*`` environment overrides.

Every key is declared once in :data:`SETTINGS` with its type, default and meaning;
``config.example.toml`` documents the same keys (a test keeps the two in step).
A wrong key or value raises :class:`ConfigError` with one line naming it, and the
CLI turns that into a one-line message and exit status 2.

A relative ``plugins_dir`` read from a TOML file is taken relative to that file's
folder, so a deployment's config and its plugins travel together whatever
directory the service starts in; from an environment variable, a mapping or the
default it stays relative to the working directory. A ``plugins_dir`` that was
set (not the default) but is not a directory is logged as a warning: the
back-office starts, with no plugins from it.
"""

from __future__ import annotations

import logging
import os
import tomllib
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger("backoffice.config")

ENV_PREFIX = "BACKOFFICE_"
LANGUAGES = ("en", "zh_Hans_CN")


class ConfigError(Exception):
    """A configuration key or value is wrong; the message names it in one line."""


@dataclass(frozen=True)
class Setting:
    type: type
    default: Any
    help: str
    choices: tuple | None = None


SETTINGS: dict[str, Setting] = {
    "env": Setting(str, "development", "development or production", ("development", "production")),
    "database_url": Setting(
        str, "", "sqlite:///path/to.db or postgresql://user@host:5432/name; "
        "empty = SQLite file in the instance folder"),
    "secret_key": Setting(str, "", "signs sessions and CSRF tokens; required in production"),
    "default_language": Setting(str, "en", "language when neither user nor browser chooses",
                                LANGUAGES),
    "timezone": Setting(str, "Asia/Shanghai", "local time zone of the service center"),
    "plugins_dir": Setting(str, "plugins", "directory of rule plugins loaded by path "
                           "(relative: to the config file's folder, else the working directory)"),
    "plugins_allow": Setting(list, [], "if not empty, only these plugins are loaded"),
    "plugins_block": Setting(list, [], "plugins never loaded"),
    "trusted_proxies": Setting(int, 0, "reverse proxies in front of the app whose "
                               "X-Forwarded-* headers are believed (0: none)"),
    "road_factor": Setting(float, 1.3, "great-circle km x factor = road km, when unknown"),
    "travel_speed_kmh": Setting(float, 60.0, "average road speed of an engineer going to a "
                                "site (the dispatch recommendation's 'can be there in time')"),
    "login_max_failures": Setting(int, 5, "failed logins before an account/address is locked"),
    "login_lockout_minutes": Setting(int, 15, "how long the lock lasts"),
    "page_size": Setting(int, 50, "rows per admin list page"),
    "export_max_rows": Setting(int, 50000, "largest CSV/XLSX export"),
    "public_url": Setting(str, "http://127.0.0.1:5000", "the address people open the "
                          "back-office at (the links in notices)"),
    "redis_url": Setting(str, "", "redis://host:6379/0: the worker's queue and the shared "
                         "plugin-failure counters in Redis; empty = in the database (the "
                         "queue: a SQLite file in the instance folder)"),
    "worker_queue": Setting(str, "", "the worker's queue as a SQLite file; empty = "
                            "worker.db in the instance folder (unused with redis_url)"),
    "watch_poll_seconds": Setting(int, 5, "how often the worker's clock watcher looks for "
                                  "tickets whose check has come"),
    "notice_lease_seconds": Setting(int, 300, "how long a worker may take to send one "
                                    "notice before another worker sends it again"),
    "mail_host": Setting(str, "", "SMTP server for notices; empty = notices by mail are "
                         "written to the log instead"),
    "mail_port": Setting(int, 25, "SMTP port (587 for STARTTLS, 465 for SSL, as a rule)"),
    "mail_security": Setting(str, "none", "none, starttls or ssl",
                             ("none", "starttls", "ssl")),
    "mail_username": Setting(str, "", "SMTP login (empty: no login)"),
    "mail_password": Setting(str, "", "SMTP password"),
    "mail_sender": Setting(str, "backoffice@localhost", "From: address of notices"),
    "mail_timeout_seconds": Setting(int, 20, "how long one SMTP conversation may take"),
}


def _coerce(key: str, setting: Setting, value: Any, source: str) -> Any:
    expected = setting.type
    if isinstance(value, str) and expected is not str and source.startswith("env"):
        try:
            if expected is list:
                value = [v.strip() for v in value.split(",") if v.strip()]
            elif expected is int:
                value = int(value)
            elif expected is float:
                value = float(value)
        except ValueError:
            raise ConfigError(f"{source}: {key} must be {expected.__name__}, got {value!r}")
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, expected) or isinstance(value, bool):
        raise ConfigError(f"{source}: {key} must be {expected.__name__}, got {value!r}")
    if setting.choices and value not in setting.choices:
        raise ConfigError(f"{source}: {key} must be one of {', '.join(setting.choices)}, "
                          f"got {value!r}")
    return value


def load_settings(config: str | os.PathLike | dict | None = None,
                  environ: dict | None = None) -> dict[str, Any]:
    """Return the validated settings (lower-case keys).

    ``config`` is a mapping (tests), a TOML file path, or ``None``: then
    ``$BACKOFFICE_CONFIG`` names the file, and with no file the defaults apply.
    """
    environ = os.environ if environ is None else environ
    values = {key: s.default for key, s in SETTINGS.items()}
    source = "config"
    folder = None  # the TOML file's folder, which a relative plugins_dir is relative to
    if config is None and environ.get(ENV_PREFIX + "CONFIG"):
        config = environ[ENV_PREFIX + "CONFIG"]
    if isinstance(config, (str, os.PathLike)):
        source = str(config)
        folder = Path(os.path.abspath(config)).parent
        try:
            with open(config, "rb") as fh:
                config = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"{source}: no such config file")
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML ({exc})")
    set_by = {}  # key -> where it was set, for the keys that are not defaults
    for key, value in (config or {}).items():
        if key not in SETTINGS:
            raise ConfigError(f"{source}: unknown key {key!r}")
        values[key] = _coerce(key, SETTINGS[key], value, source)
        set_by[key] = source
    if folder is not None and "plugins_dir" in set_by:
        values["plugins_dir"] = _relative_to(folder, values["plugins_dir"])
    for key, setting in SETTINGS.items():
        env_key = ENV_PREFIX + key.upper()
        if env_key in environ:
            values[key] = _coerce(key, setting, environ[env_key], f"env {env_key}")
            set_by[key] = f"env {env_key}"
    _check(values)
    plugins_dir = values["plugins_dir"]
    if "plugins_dir" in set_by and plugins_dir and not Path(plugins_dir).is_dir():
        logger.warning("%s: plugins_dir %s is not a directory; no plugins are loaded from it",
                       set_by["plugins_dir"], os.path.abspath(plugins_dir))
    return values


def _relative_to(folder: Path, value: str) -> str:
    """``value`` as a path relative to ``folder`` when it is relative (empty stays empty)."""
    return str(folder / value) if value and not Path(value).is_absolute() else value


def _check(values: dict[str, Any]) -> None:
    try:
        zoneinfo.ZoneInfo(values["timezone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"config: timezone {values['timezone']!r} is not a known time zone")
    url = values["database_url"]
    if url and not url.startswith(("sqlite:", "postgres://", "postgresql://")):
        raise ConfigError(f"config: database_url must start with sqlite:// or postgresql://, "
                          f"got {url!r}")
    if values["env"] == "production" and len(values["secret_key"]) < 16:
        raise ConfigError("config: secret_key must be set (16+ characters) in production")
    if not 0 <= values["trusted_proxies"] <= 5:
        raise ConfigError(f"config: trusted_proxies must be between 0 and 5, "
                          f"got {values['trusted_proxies']}")
    if values["redis_url"] and not values["redis_url"].startswith(("redis://", "rediss://",
                                                                   "unix://")):
        raise ConfigError(f"config: redis_url must start with redis://, rediss:// or unix://, "
                          f"got {values['redis_url']!r}")
    if not 1 <= values["mail_port"] <= 65535:
        raise ConfigError(f"config: mail_port must be between 1 and 65535, "
                          f"got {values['mail_port']}")
    for key in ("login_max_failures", "login_lockout_minutes", "page_size", "export_max_rows",
                "mail_timeout_seconds", "notice_lease_seconds", "watch_poll_seconds"):
        if values[key] < 1:
            raise ConfigError(f"config: {key} must be at least 1, got {values[key]}")
    if values["road_factor"] < 1:
        raise ConfigError(f"config: road_factor must be at least 1, got {values['road_factor']}")
    if not 1 <= values["travel_speed_kmh"] <= 300:
        raise ConfigError(f"config: travel_speed_kmh must be between 1 and 300, "
                          f"got {values['travel_speed_kmh']}")


def default_database_url(instance_path: str | Path) -> str:
    return f"sqlite:///{Path(instance_path) / 'backoffice.db'}"

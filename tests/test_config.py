import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from backoffice import create_app
from backoffice.config import SETTINGS, ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_example_config_documents_every_key_with_its_default():
    text = (ROOT / "config.example.toml").read_text()
    example = tomllib.loads(text)
    assert set(example) == set(SETTINGS)
    for key, setting in SETTINGS.items():
        assert example[key] == setting.default, key
        # a comment right above each key says what it is for
        assert re.search(rf"#[^\n]*\n(#[^\n]*\n)*{key} =", text), key


def test_defaults_without_any_config(tmp_path):
    app = create_app({}, instance_path=str(tmp_path / "inst"))
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'inst' / 'backoffice.db'}"
    assert app.config["DEFAULT_LANGUAGE"] == "en"
    assert len(app.config["SECRET_KEY"]) >= 32
    # the development secret is kept, so several processes share it
    again = create_app({}, instance_path=str(tmp_path / "inst"))
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_toml_file_then_environment(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('default_language = "zh_Hans_CN"\npage_size = 20\n')
    settings = load_settings(str(path), environ={"BACKOFFICE_PAGE_SIZE": "30",
                                                 "BACKOFFICE_DATABASE_URL": "sqlite:///x.db"})
    assert settings["default_language"] == "zh_Hans_CN"
    assert settings["page_size"] == 30
    assert settings["database_url"] == "sqlite:///x.db"


def test_config_file_named_by_environment(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('timezone = "Asia/Urumqi"\n')
    assert load_settings(None, environ={"BACKOFFICE_CONFIG": str(path)})["timezone"] == \
        "Asia/Urumqi"


@pytest.mark.parametrize("config, environ, message", [
    ({"colour": "blue"}, {}, "unknown key 'colour'"),
    ({"page_size": "ten"}, {}, "page_size must be int"),
    ({"default_language": "fr"}, {}, "default_language must be one of en, zh_Hans_CN"),
    ({"timezone": "Mars/Olympus"}, {}, "timezone 'Mars/Olympus' is not a known time zone"),
    ({"database_url": "mysql://x"}, {}, "database_url must start with"),
    ({"env": "production"}, {}, "secret_key must be set"),
    ({}, {"BACKOFFICE_LOGIN_MAX_FAILURES": "many"}, "env BACKOFFICE_LOGIN_MAX_FAILURES"),
    ({"road_factor": 0.5}, {}, "road_factor must be at least 1"),
])
def test_wrong_key_or_value_names_it(config, environ, message):
    with pytest.raises(ConfigError) as info:
        load_settings(config, environ=environ)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_cli_reports_config_error_in_one_line(tmp_path):
    env = {"BACKOFFICE_PAGE_SIZE": "lots", "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "backoffice", "db", "status"], env=env, check=False,
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: env BACKOFFICE_PAGE_SIZE: page_size must be int, got 'lots'"]


# -- plugins_dir: relative to the config file that sets it ------------------------------------

def test_relative_plugins_dir_in_a_file_is_relative_to_the_file(tmp_path, monkeypatch):
    folder = tmp_path / "etc"
    (folder / "rules-plugins").mkdir(parents=True)
    path = folder / "config.toml"
    path.write_text('plugins_dir = "rules-plugins"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the service starts in another directory
    settings = load_settings("../etc/config.toml", environ={})
    assert Path(settings["plugins_dir"]) == folder / "rules-plugins"
    # named by BACKOFFICE_CONFIG, the same
    settings = load_settings(None, environ={"BACKOFFICE_CONFIG": str(path)})
    assert Path(settings["plugins_dir"]) == folder / "rules-plugins"


def test_absolute_plugins_dir_in_a_file_is_kept(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(f'plugins_dir = "{tmp_path / "abs"}"\n')
    assert load_settings(str(path), environ={})["plugins_dir"] == str(tmp_path / "abs")


def test_plugins_dir_from_environment_or_default_is_relative_to_the_working_directory(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('page_size = 20\n')  # a file that does not set plugins_dir
    assert load_settings(str(path), environ={})["plugins_dir"] == "plugins"
    settings = load_settings(str(path), environ={"BACKOFFICE_PLUGINS_DIR": "site-plugins"})
    assert settings["plugins_dir"] == "site-plugins"
    # the environment wins over the file, and is not moved to the file's folder
    path.write_text('plugins_dir = "from-file"\n')
    settings = load_settings(str(path), environ={"BACKOFFICE_PLUGINS_DIR": "site-plugins"})
    assert settings["plugins_dir"] == "site-plugins"
    assert load_settings({"plugins_dir": "mapped"}, environ={})["plugins_dir"] == "mapped"


def test_a_plugins_dir_set_but_missing_is_a_warning(tmp_path, caplog):
    path = tmp_path / "config.toml"
    path.write_text('plugins_dir = "nowhere"\n')
    with caplog.at_level("WARNING", logger="backoffice.config"):
        settings = load_settings(str(path), environ={})
    assert Path(settings["plugins_dir"]) == tmp_path / "nowhere"
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("backoffice.config", "WARNING",
         (f"{path}: plugins_dir {tmp_path / 'nowhere'} is not a directory; "
          "no plugins are loaded from it"))]
    caplog.clear()
    with caplog.at_level("WARNING", logger="backoffice.config"):
        load_settings(str(path), environ={"BACKOFFICE_PLUGINS_DIR": str(tmp_path / "gone")})
    assert [r.getMessage() for r in caplog.records] == [
        (f"env BACKOFFICE_PLUGINS_DIR: plugins_dir {tmp_path / 'gone'} is not a directory; "
         "no plugins are loaded from it")]


def test_the_default_plugins_dir_missing_is_not_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)  # no plugins/ here, and nobody asked for one
    (tmp_path / "there").mkdir()
    with caplog.at_level("WARNING", logger="backoffice.config"):
        load_settings({}, environ={})
        load_settings({"plugins_dir": "there"}, environ={})
        load_settings({"plugins_dir": ""}, environ={})  # empty: no plugins directory at all
    assert caplog.records == []

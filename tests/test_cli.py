"""The ``backoffice`` command itself: every command listed, and bad situations in one line."""

import subprocess
import sys

import pytest


def _run(tmp_path, *args, **env):
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env}
    return subprocess.run([sys.executable, "-m", "backoffice", *args], env=environ,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          check=False)


def test_help_lists_every_command(tmp_path):
    result = _run(tmp_path, "--help",
                  BACKOFFICE_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 0, result.stderr
    for command in ("db", "demo", "up", "users", "plugins", "terms", "run", "shell"):
        assert f"  {command} " in result.stdout, command


@pytest.mark.parametrize("url, message", [
    ("postgresql://postgres@127.0.0.1:1/nothing", "error: database: connection to server"),
    ("sqlite:///{tmp}/never-migrated.db",
     "error: database: no such table: staff (run `backoffice db upgrade`)"),
])
def test_database_trouble_is_one_line_and_exit_2(tmp_path, url, message):
    result = _run(tmp_path, "users", "list",
                  BACKOFFICE_DATABASE_URL=url.format(tmp=tmp_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr

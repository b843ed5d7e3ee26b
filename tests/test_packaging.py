"""The back-office installed from its wheel is whole, and every install gets the tested versions.

The wheel is built from a copy of the working tree and installed with
``--no-deps`` into a new virtual environment under ``tmp_path``; the
dependencies come from this test run's environment through a ``.pth`` line
(a plain path: the editable install's own ``.pth`` there is not run, so the
checkout stays out of sight). Every command then runs with its working
directory in ``tmp_path``: what the wheel lacks (migrations, term sheets,
templates, translations) shows up as a failure here, not in production.

The other checks hold pyproject.toml, constraints.txt and scripts/lib.sh to
each other: every dependency has an upper bound, and constraints.txt pins a
release inside it, which ``scripts/lib.sh`` installs.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = sorted(p.stem for p in (ROOT / "migrations").glob("[0-9][0-9][0-9]_*.py"))
#: calendar-versioned data with no API: newer is always right (see pyproject.toml)
UNBOUNDED = {"tzdata"}
#: left out of the copy the wheel is built from: the checkout's own state
NOT_SOURCE = {".git", ".venv", "build", "dist", "instance", ".pytest_cache", ".ruff_cache",
              "node_modules"}


def _ignore(directory: str, names: list[str]) -> set[str]:
    top = Path(directory) == ROOT
    return {n for n in names if (top and n in NOT_SOURCE) or n == "__pycache__"
            or n.endswith((".pyc", ".egg-info", ".db"))}


def _env(**settings: str) -> dict[str, str]:
    """This environment without anything that points back at the checkout."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BACKOFFICE_", "PYTHON", "FLASK_"))}
    env.update(BACKOFFICE_SECRET_KEY="packaging-test-secret-0123", **settings)
    return env


def _run(args, cwd: Path, **settings: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=_env(**settings), check=False,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The ``bin`` directory of a new venv holding the wheel, and nothing of the checkout."""
    tmp = tmp_path_factory.mktemp("packaging")
    shutil.copytree(ROOT, tmp / "src", ignore=_ignore)
    build = _run([sys.executable, "-m", "pip", "wheel", tmp / "src", "--no-deps", "-q",
                  "-w", tmp / "dist"], cwd=tmp)
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp / "dist").glob("backoffice-*.whl")

    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    install = _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
                    "--no-index", "-q", wheel], cwd=tmp)
    assert install.returncode == 0, install.stderr
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                cwd=tmp).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "_test_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n")
    return venv / "bin"


@pytest.fixture
def workdir(tmp_path) -> Path:
    (tmp_path / "run").mkdir()
    return tmp_path / "run"


def test_the_wheel_is_imported_from_the_venv(installed, workdir):
    where = _run([installed / "python", "-c",
                  ("import backoffice, backoffice.migrations, backoffice.sheets\n"
                   "for m in (backoffice, backoffice.migrations, backoffice.sheets):\n"
                   "    print(m.__file__)")], cwd=workdir)
    assert where.returncode == 0, where.stderr
    venv = installed.parent.resolve()
    for line in where.stdout.split():
        assert Path(line).resolve().is_relative_to(venv), where.stdout
        assert not Path(line).resolve().is_relative_to(ROOT), where.stdout


def test_the_wheel_migrates_and_seeds_the_demo(installed, workdir):
    url = f"sqlite:///{workdir / 'backoffice.db'}"
    upgrade = _run([installed / "backoffice", "db", "upgrade"], cwd=workdir,
                   BACKOFFICE_DATABASE_URL=url)
    assert upgrade.returncode == 0, upgrade.stderr
    assert f"applied {len(MIGRATIONS)} migration(s)" in upgrade.stdout

    demo = _run([installed / "backoffice", "demo"], cwd=workdir, BACKOFFICE_DATABASE_URL=url)
    assert demo.returncode == 0, demo.stderr

    with sqlite3.connect(workdir / "backoffice.db") as db:
        applied = [name for (name,) in db.execute("SELECT name FROM migratehistory ORDER BY id")]
        sheets = {name for (name,) in db.execute("SELECT name FROM term_set")}
    assert applied == MIGRATIONS
    assert {"charter", "premium"} <= sheets


def test_the_wheel_serves_its_templates_and_translations(installed, workdir):
    url = f"sqlite:///{workdir / 'backoffice.db'}"
    assert _run([installed / "backoffice", "db", "upgrade"], cwd=workdir,
                BACKOFFICE_DATABASE_URL=url).returncode == 0
    page = _run([installed / "python", "-c",
                 ("from backoffice import create_app\n"
                  "client = create_app().test_client()\n"
                  "r = client.get('/login', headers={'Accept-Language': 'zh-CN'})\n"
                  "print(r.status_code, r.get_data(as_text=True))")],
                cwd=workdir, BACKOFFICE_DATABASE_URL=url)
    assert page.returncode == 0, page.stderr
    assert page.stdout.startswith("200 ")
    assert "登录" in page.stdout  # "Log in", from the wheel's compiled catalogue


# -- versions ----------------------------------------------------------------------------

def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return [Requirement(r) for r in [*project["dependencies"], *extras]]


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not name==version"
            pins[canonicalize_name(name)] = version
    return pins


def unbounded(requirements) -> list[str]:
    """The requirements that any future major release would satisfy."""
    return [str(r) for r in requirements if canonicalize_name(r.name) not in UNBOUNDED
            and not any(s.operator in ("<", "<=", "==", "~=") for s in r.specifier)]


def unpinned(requirements, pins) -> list[str]:
    """The requirements that constraints.txt does not pin to a release inside their range."""
    problems = []
    for r in requirements:
        version = pins.get(canonicalize_name(r.name))
        if version is None or not r.specifier.contains(version, prereleases=True):
            problems.append(f"{r} (constraints.txt: {version or 'missing'})")
    return problems


def test_every_dependency_has_an_upper_bound():
    assert unbounded(_requirements()) == []


def test_constraints_pin_every_dependency_inside_its_range():
    pins = _pins()
    assert unpinned(_requirements(), pins) == []
    assert "backoffice" not in pins  # the package itself is never constrained


def test_version_checks_can_fail():
    assert unbounded([Requirement("flask>=3"), Requirement("tzdata")]) == ["flask>=3"]
    assert unpinned([Requirement("flask>=3.1,<4")], {"flask": "4.0.0"}) == [
        "flask<4,>=3.1 (constraints.txt: 4.0.0)"]
    assert unpinned([Requirement("pluggy<2")], {}) == ["pluggy<2 (constraints.txt: missing)"]


def test_the_scripts_install_with_the_constraints():
    lib = (ROOT / "scripts" / "lib.sh").read_text()
    install = re.search(r"^\s*\.venv/bin/python -m pip install .*$", lib, re.MULTILINE)
    assert install and "-c constraints.txt" in install.group(0)
    digest = re.search(r"^\s*digest=.*$", lib, re.MULTILINE)
    assert digest and all(f in digest.group(0)
                          for f in ("pyproject.toml", "setup.py", "constraints.txt"))

"""The units list against Django's admin on the same 1,000 units, interleaved request by request.

Issue 7, item 15: a list page should cost at most 0.7x Django admin's CPU per request
at 1k units. This measures it, in one process, both through in-process test clients:

* ours: ``/admin/unit/`` of a back-office database built as ``bench_units_list.py``
  builds its small one (its :func:`build`: 300 customers, 1,200 contracts, 1,000 units
  from the demo's bulk path), through Flask's test client, logged in as the administrator;
* Django's: a minimal project written into a temporary directory (``benchapp``: Office,
  Customer, Site, Contract, Product, Unit, and a ``ModelAdmin`` for Unit with the same
  columns as ours: serial, product, contract, customer, site, status, accepted on,
  warranty end; ``list_per_page = 50``, ``list_select_related`` on the four foreign
  keys, ``search_fields = ("^serial",)``, ``list_filter = ("status",)``, ordered by
  serial), over a copy of the SAME rows (same ids), through ``django.test.Client``,
  logged in as a superuser (``force_login``; database sessions, Django's default).

The pages: page 1, the filter status = retired, a search for one serial. Each round asks
every page of ours and of Django's in turn (which goes first alternates every round), and
times each request as wall time (``time.perf_counter``) and this process's CPU time
(``time.process_time``: Python, the templates and, on SQLite, the database engine; the
PostgreSQL server's CPU is not in it). Before timing, it checks that both sides show the
same serials on each page. It prints the medians and ours / Django's; the exit status is 1
when a CPU ratio is over 0.7. ``--profile search`` prints where our search page's CPU goes (cProfile).

    pip install -e '.[bench]'        # or: .venv/bin/pip install django
    .venv/bin/python bench/bench_django_units.py [--database sqlite|postgres] [--units 1000]
        [--repeat 30] [--profile page|filter|search]

On PostgreSQL our database and Django's are two throw-away databases on 127.0.0.1:5432
(user postgres), ``backoffice_bench_<random>``, created here and dropped at the end, even
on failure. Django's connection is persistent (``CONN_MAX_AGE = None``), as ours is
pooled. Not part of the test suite (nothing imports it; Django is no dependency).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import re
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_units_list import (  # (after the path)
    PASSWORD,
    build,
    filter_arg,
    login_as,
    throwaway_databases,
)

from backoffice import create_app
from backoffice.db import database
from backoffice.labels import UnitStatus
from backoffice.models import Contract, Customer, Office, Product, Site, Unit

TARGET = 0.7
SERIAL_RE = re.compile(r"UPS-\d00-\d{9}")

# -- Django's side: a minimal project, written into the temporary directory ------------

MODELS_PY = '''
from django.db import models


class Office(models.Model):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Customer(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    office = models.ForeignKey(Office, models.PROTECT)

    def __str__(self):
        return f"{self.name} ({self.code})"


class Site(models.Model):
    customer = models.ForeignKey(Customer, models.PROTECT)
    name = models.CharField(max_length=120)

    def __str__(self):
        return self.name


class Contract(models.Model):
    number = models.CharField(max_length=30, unique=True)
    customer = models.ForeignKey(Customer, models.PROTECT)
    signed_on = models.DateField()

    def __str__(self):
        return self.number


class Product(models.Model):
    model = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    grade = models.CharField(max_length=20)

    def __str__(self):
        return f"{self.model} {self.name}"


class Unit(models.Model):
    serial = models.CharField(max_length=40, unique=True)
    product = models.ForeignKey(Product, models.PROTECT)
    contract = models.ForeignKey(Contract, models.PROTECT)
    customer = models.ForeignKey(Customer, models.PROTECT)
    site = models.ForeignKey(Site, models.PROTECT, null=True)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, db_index=True)
    installed_on = models.DateField(null=True)
    accepted_on = models.DateField(null=True, db_index=True)
    warranty_start = models.DateField(null=True)
    warranty_end = models.DateField(null=True, db_index=True)
    warranty_by_hand = models.BooleanField(default=False)
    notes = models.TextField(default="", blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["status", "serial"])]

    def __str__(self):
        return self.serial
'''

ADMIN_PY = '''
from django.contrib import admin

from .models import Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("serial", "product", "contract", "customer", "site", "status",
                    "accepted_on", "warranty_end")
    list_select_related = ("product", "contract", "customer", "site")
    list_per_page = 50
    search_fields = ("^serial",)
    list_filter = ("status",)
    ordering = ("serial",)
'''

URLS_PY = '''
from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
'''


def write_project(folder: Path) -> None:
    """The ``benchapp`` package and its URLs, importable from ``folder``."""
    app = folder / "benchapp"
    app.mkdir()
    (app / "__init__.py").write_text("")
    labels = {s.value: s.value.replace("_", " ").capitalize() for s in UnitStatus}
    (app / "models.py").write_text(
        f"STATUS_CHOICES = {sorted(labels.items())!r}\n" + textwrap.dedent(MODELS_PY))
    (app / "admin.py").write_text(textwrap.dedent(ADMIN_PY))
    (folder / "bench_urls.py").write_text(textwrap.dedent(URLS_PY))
    sys.path.insert(0, str(folder))


def configure_django(folder: Path, database_url: str | None) -> None:
    """Settings as ``startproject`` writes them, the database aside: a SQLite file in
    ``folder``, or the PostgreSQL database ``database_url`` names."""
    import django
    from django.conf import settings
    if database_url is None:
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(folder / "django.db")}
    else:
        from urllib.parse import urlsplit
        url = urlsplit(database_url)
        db = {"ENGINE": "django.db.backends.postgresql", "NAME": url.path.lstrip("/"),
              "USER": url.username, "HOST": url.hostname, "PORT": url.port}
    db["CONN_MAX_AGE"] = None  # persistent, as our pool keeps connections
    settings.configure(
        DEBUG=False, SECRET_KEY="bench-django-secret-key-0123456789", ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=["django.contrib.admin", "django.contrib.auth",
                        "django.contrib.contenttypes", "django.contrib.sessions",
                        "django.contrib.messages", "django.contrib.staticfiles", "benchapp"],
        MIDDLEWARE=["django.middleware.security.SecurityMiddleware",
                    "django.contrib.sessions.middleware.SessionMiddleware",
                    "django.middleware.common.CommonMiddleware",
                    "django.middleware.csrf.CsrfViewMiddleware",
                    "django.contrib.auth.middleware.AuthenticationMiddleware",
                    "django.contrib.messages.middleware.MessageMiddleware",
                    "django.middleware.clickjacking.XFrameOptionsMiddleware"],
        ROOT_URLCONF="bench_urls",
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [],
                    "APP_DIRS": True,
                    "OPTIONS": {"context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages"]}}],
        DATABASES={"default": db}, DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        LANGUAGE_CODE="en-us", TIME_ZONE="Asia/Shanghai", USE_I18N=True, USE_TZ=True,
        STATIC_URL="static/",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    django.setup()


def copy_rows_to_django() -> None:
    """The back-office database's offices, customers, sites, contracts, products and units,
    same ids, into Django's tables (the peewee connection must be open)."""
    from benchapp import models as m
    from django.core.management import call_command
    call_command("migrate", run_syncdb=True, verbosity=0)
    copies = [(Office, m.Office, ("id", "code", "name")),
              (Customer, m.Customer, ("id", "code", "name", "office_id")),
              (Site, m.Site, ("id", "customer_id", "name")),
              (Contract, m.Contract, ("id", "number", "customer_id", "signed_on")),
              (Product, m.Product, ("id", "model", "name", "grade")),
              (Unit, m.Unit, ("id", "serial", "product_id", "contract_id", "customer_id",
                              "site_id", "status", "installed_on", "accepted_on",
                              "warranty_start", "warranty_end", "warranty_by_hand", "notes",
                              "created_at", "updated_at"))]
    utc = dt.UTC
    for ours, theirs, names in copies:
        rows = []
        for row in ours.select().order_by(ours.id):
            values = {n: getattr(row, n) for n in names}
            for name in ("created_at", "updated_at"):  # stored naive UTC, as ours
                if name in values:
                    values[name] = values[name].replace(tzinfo=utc)
            rows.append(theirs(**values))
        theirs.objects.bulk_create(rows, batch_size=500)
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def django_client():
    from django.contrib.auth.models import User
    from django.test import Client
    user = User.objects.create_superuser("admin", "admin@example.com", PASSWORD)
    client = Client()
    client.force_login(user)
    return client


# -- the measurement ---------------------------------------------------------------------

def serials(body: str) -> list[str]:
    """The serials a list page shows, in order, each once."""
    return list(dict.fromkeys(SERIAL_RE.findall(body)))


def timed(get, url: str):
    """One request: (wall s, CPU s, body)."""
    wall, cpu = time.perf_counter(), time.process_time()
    page = get(url)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert page.status_code == 200, (url, page.status_code)
    return wall, cpu, page.content if hasattr(page, "content") else page.get_data()


def profile(get, url: str, times: int = 50) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(times):
        get(url)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
    return out.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--profile", metavar="WORD", default="",
                        help="print where our pages' CPU goes for the pages whose name has "
                             "WORD (cProfile: page, filter, search)")
    args = parser.parse_args(argv)
    try:
        import django
    except ImportError:
        print("error: Django is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-django-") as tmp, \
            throwaway_databases(args.database, Path(tmp)) as new_database:
        folder = Path(tmp)
        (folder / "no-plugins").mkdir()
        app = create_app({"database_url": new_database(args.units),
                          "secret_key": "bench-secret-key-0123456789",
                          "plugins_dir": str(folder / "no-plugins")},
                         instance_path=str(folder / "instance"))
        with app.app_context():
            serial = build(args.units)
        write_project(folder)
        configure_django(folder, None if args.database == "sqlite" else new_database(0))
        with app.app_context():
            database.connect(reuse_if_open=True)
            copy_rows_to_django()
            database.close()
        ours = app.test_client()
        with app.app_context():
            login_as(ours, "admin")
        theirs = django_client()
        status = filter_arg(app, "Status")
        pages = {  # name: (our url, Django's url)
            "units: page 1": ("/admin/unit/", "/admin/benchapp/unit/"),
            "units: filter (status)": (f"/admin/unit/?{status}=retired",
                                       "/admin/benchapp/unit/?status__exact=retired"),
            "units: search (serial)": (f"/admin/unit/?search={serial}",
                                       f"/admin/benchapp/unit/?q={serial}"),
        }
        sides = {"ours": ours.get, "Django": theirs.get}
        for name, urls in pages.items():  # warm-up, and both show the same rows
            shown = {}
            for (side, get), url in zip(sides.items(), urls, strict=True):
                for _ in range(3):
                    *_, body = timed(get, url)
                shown[side] = serials(body.decode())
            assert shown["ours"] and shown["ours"] == shown["Django"], (name, shown)
            print(f"  {name}: both show the same {len(shown['ours'])} serials", flush=True)
        times = {(n, s): ([], []) for n in pages for s in sides}
        started = time.perf_counter()
        for round_ in range(args.repeat):
            for name, urls in pages.items():
                order = list(zip(sides.items(), urls, strict=True))
                for (side, get), url in (order if round_ % 2 == 0 else order[::-1]):
                    wall, cpu, _body = timed(get, url)
                    times[name, side][0].append(wall)
                    times[name, side][1].append(cpu)
        elapsed = time.perf_counter() - started
        reports = {name: profile(ours.get, urls[0]) for name, urls in pages.items()
                   if args.profile and args.profile in name}
    print(f"\nunits list, ours against Django {django.__version__}'s admin, {args.units:,} units "
          f"on {args.database}, {dt.date.today()}: median of {args.repeat} requests per side "
          f"and page, interleaved ({elapsed:.1f}s); ms; target CPU ratio <= {TARGET}x")
    print(f"{'':<26}{'wall':>10}{'':>18}{'CPU':>10}")
    print(f"{'':<26}{'ours':>10}{'Django':>10}{'ratio':>8}{'ours':>10}{'Django':>10}{'ratio':>8}")
    worst = 0.0
    for name in pages:
        (wo, co), (wd, cd) = ([statistics.median(v) * 1000 for v in times[name, side]]
                              for side in sides)
        worst = max(worst, co / cd)
        print(f"{name:<26}{wo:>10.1f}{wd:>10.1f}{wo / wd:>7.2f}x{co:>10.1f}{cd:>10.1f}"
              f"{co / cd:>7.2f}x{'' if co / cd <= TARGET else '  OVER'}")
    for name, report in reports.items():
        print(f"\nours, {name}, 50 requests (cProfile, cumulative):\n{report}")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

"""Which packages the distribution holds, and where two of them live in the repository.

The project's layout keeps the schema migrations (``migrations/``) and the term
sheets (``rules/``) at the top level, where developers and headquarters find
them; an installed back-office needs both inside its package. So the build maps
them in: ``migrations/`` is ``backoffice.migrations``, ``rules/`` is
``backoffice.sheets``, in a wheel and in an editable install alike (setuptools'
editable finder maps the same names to the checkout). The code reaches them
through ``importlib.resources``, never through a path relative to the checkout.

This lives here rather than in pyproject.toml because the package list is
computed: ``tool.setuptools.packages.find`` cannot be combined with the two
mapped packages, and a hand-written list would silently lose the next
subpackage. Metadata, dependencies and package data stay in pyproject.toml.
"""

from setuptools import find_packages, setup

MAPPED = {"backoffice.migrations": "migrations", "backoffice.sheets": "rules"}

setup(
    packages=[*find_packages(include=["backoffice", "backoffice.*"]), *MAPPED],
    package_dir=MAPPED,
)

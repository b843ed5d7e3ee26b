"""Term sheets (``*.toml``), installed as ``backoffice.sheets`` (see setup.py).

This file only makes the folder a package, so that the sheets ship inside the
installed back-office; the sheets themselves are data, read as text.
"""

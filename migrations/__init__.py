"""Schema migrations, installed as ``backoffice.migrations`` (see setup.py).

peewee-migrate runs the numbered files (``NNN_name.py``) of this directory in
order and skips this one; nothing imports them as modules.
"""

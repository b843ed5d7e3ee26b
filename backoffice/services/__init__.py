"""Use cases shared by the admin, the CLI, the API and the worker: one function per change.

A service takes plain values (or a record a form has filled) and the acting
user, asks :mod:`backoffice.access` whether the user may, asks the rule engine
for every decision, writes in one transaction with its audit rows, and returns
the model objects, or raises :class:`~backoffice.models.RuleViolation` with a
stable ``code`` and a translated message. Views never decide; models never call
up here.

Modules: :mod:`.records` (save and delete any record), :mod:`.units`,
:mod:`.contracts`, :mod:`.terms`, :mod:`.users`, :mod:`.customer_file`,
:mod:`.warranty`, :mod:`.deadlines`, :mod:`.overview`.
"""

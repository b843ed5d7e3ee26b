"""What-if runs: "how would past tickets have fared under this term-set version?", kept with
their progress so a large history can be counted in the worker while headquarters watches.

A run is a job record, not business data: it is written by
:mod:`backoffice.services.whatif` only (queued, running with ``done`` of ``total``
tickets, then done with its ``result`` or failed with its ``error``), never edited by
hand, and not audited (``requested_by`` says who asked).
"""

from __future__ import annotations

import json
from enum import StrEnum

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .core import BaseModel, utcnow
from .terms import TermSet, TermSetVersion


class RunState(StrEnum):
    """Where a what-if run stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class WhatIfRun(BaseModel):
    """One what-if count of a term set's past tickets under one of its versions."""

    term_set = ForeignKeyField(TermSet, backref="whatif_runs", index=True, on_delete="CASCADE")
    version = ForeignKeyField(TermSetVersion, backref="whatif_runs", index=True,
                              on_delete="CASCADE")
    #: only tickets received on or after this day (in the service center's zone); None: all
    since = DateField(null=True)
    requested_by = CharField(max_length=60, default="")
    state = CharField(max_length=10, default=RunState.QUEUED)
    #: tickets counted so far, of ``total`` (the count when the run was started)
    done = IntegerField(default=0)
    total = IntegerField(default=0)
    #: the counts as JSON (see :func:`backoffice.services.whatif.compute`); "" until done
    result = TextField(default="")
    error = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)

    @classmethod
    def office_filter(cls, office_id):
        return None  # headquarters' table: the doors let only HQ and administrators in

    @property
    def finished(self) -> bool:
        return self.state in (RunState.DONE, RunState.FAILED)

    def counts(self) -> dict | None:
        """The stored result, or None before the run is done."""
        return json.loads(self.result) if self.result else None

    def __str__(self):
        return f"what-if #{self.id}"

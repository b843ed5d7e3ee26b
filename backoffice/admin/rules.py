"""Rule screens for headquarters: term sets (each save a new version), the deadline
preview (with the contracts a version would change) and the plugin registry.

Views never decide: the preview calls :mod:`backoffice.services.deadlines`, the
term-set editor :func:`backoffice.services.terms.publish`, the contract rules
:mod:`backoffice.services.contracts`.
"""

from __future__ import annotations

import math
from typing import ClassVar

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from peewee import JOIN
from wtforms import (
    Form,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..access import CHANGES, Action, scoped
from ..calendars import CALENDAR_TITLES, CALENDARS
from ..clock import ALWAYS_ON, now
from ..forms import FiniteDecimalField, select_choices
from ..i18n import _, _l
from ..labels import Milestone, lazy_label, reason_text, source_label
from ..models import Contract, Customer, RuleViolation, TermSet, TermSetVersion, WhatIfRun
from ..plugins import current_engine, registry
from ..services import contracts as contract_service
from ..services import whatif as whatif_service
from ..services.deadlines import compute_deadlines, impact_of
from ..services.terms import publish
from ..terms import STANDARD, SheetError, terms_from_dict, title_label
from .base import ScopedModelView, SecureView, parse_id


class RulesView(SecureView):
    # the rule screens are for those who may manage terms (the access module's matrix)
    read_roles = tuple(CHANGES["term_set"][Action.MANAGE_TERMS])


# -- term sets ---------------------------------------------------------------------

class TermsForm(FlaskForm):
    """A term sheet as a form: the numbers headquarters may change without code."""

    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=40)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=120)])
    reply_hours = FiniteDecimalField(_l("Reply within (hours)"), validators=[InputRequired()])
    bands = TextAreaField(
        _l("Arrival bands"), validators=[InputRequired()],
        description=_l("One band a line, nearest first: up-to km and hours, e.g. \"100 6\"; "
                       "the last line is \"* hours\" for every farther distance."))
    earliest_days = IntegerField(_l("Replacement from (days after confirmation)"),
                                 validators=[InputRequired()])
    latest_days = IntegerField(_l("Replacement until (days after confirmation)"),
                               validators=[InputRequired()])
    warranty_months = IntegerField(_l("Warranty months (empty: the contract's or product's)"),
                                   validators=[Optional()])
    visits_per_year = IntegerField(_l("Return visits a year"), validators=[InputRequired()])
    clock = SelectField(_l("Deadlines count on"), default=ALWAYS_ON, choices=select_choices(
        [(ALWAYS_ON, _l("Elapsed time, around the clock (24x7)")),
         *((name, CALENDAR_TITLES.get(name, name)) for name in CALENDARS)]))
    note = StringField(_l("Why this change"), validators=[InputRequired(), Length(max=500)])

    #: which form field a sheet key's error belongs to
    FIELDS: ClassVar[dict[str, str]] = {
        "name": "name", "title": "title", "reply": "reply_hours", "arrival": "bands",
        "replacement": "earliest_days", "warranty": "warranty_months",
        "visits": "visits_per_year", "clock": "clock"}

    def fill(self, data: dict) -> None:
        self.name.data, self.title.data = data["name"], data.get("title", "")
        self.reply_hours.data = data["reply"]["hours"]
        self.bands.data = "\n".join(f"{b.get('max_km', '*')} {b['hours']}"
                                    for b in data["arrival"]["bands"])
        self.earliest_days.data = data["replacement"]["earliest_days"]
        self.latest_days.data = data["replacement"]["latest_days"]
        self.warranty_months.data = data.get("warranty", {}).get("months")
        self.visits_per_year.data = data.get("visits", {}).get("per_year", 1)
        self.clock.data = data.get("clock", ALWAYS_ON)

    def sheet(self):
        """The form as validated :class:`~backoffice.terms.Terms`, or ``None`` with errors set."""
        bands = []
        for number, line in enumerate(self.bands.data.strip().splitlines(), 1):
            parts = line.split()
            try:
                if len(parts) != 2:
                    raise ValueError
                hours = float(parts[1])
                bands.append({"hours": hours} if parts[0] == "*"
                             else {"max_km": float(parts[0]), "hours": hours})
            except ValueError:
                self.bands.errors = [_("Line %(number)d: write up-to km and hours, like "
                                       "\"100 6\", or \"* 24\" for the last band.",
                                       number=number)]
                return None
        data = {"name": self.name.data.strip(), "title": (self.title.data or "").strip(),
                "reply": {"hours": float(self.reply_hours.data)}, "arrival": {"bands": bands},
                "replacement": {"earliest_days": self.earliest_days.data,
                                "latest_days": self.latest_days.data},
                "visits": {"per_year": self.visits_per_year.data}}
        if self.warranty_months.data is not None:
            data["warranty"] = {"months": self.warranty_months.data}
        if self.clock.data and self.clock.data != ALWAYS_ON:
            data["clock"] = self.clock.data
        try:
            return terms_from_dict(data, _("form"))
        except SheetError as exc:
            message = str(exc).partition(": ")[2]
            key = message.replace("unknown key ", "").strip("'").split(".")[0].split(" ")[0]
            field = getattr(self, self.FIELDS.get(key.split("[")[0], "note"))
            field.errors = [*field.errors, message]
            return None


class MoveForm(FlaskForm):
    contracts = SelectMultipleField(_l("Contracts"), coerce=int)


class WhatIfForm(FlaskForm):
    """What-if before moving contracts: a version of the set, and from which day."""

    version = SelectField(_l("Count under version"), coerce=str)
    since = StringField(_l("Tickets received since"), validators=[Optional(), Length(max=30)],
                        description=_l("A day in the service center's zone; empty: every "
                                       "ticket of the set's contracts"))


def _whatif_form(versions) -> WhatIfForm:
    form = WhatIfForm()
    form.version.choices = select_choices([(str(v.id), str(v)) for v in versions])
    if not form.is_submitted() and versions:
        form.version.data = str(versions[0].id)  # the newest: the one about to be moved to
    return form


class TermSetsView(RulesView):
    @expose("/")
    def index(self):
        sets = list(TermSet.select().order_by(TermSet.name))
        unpinned = Contract.select().where(Contract.term_set_version.is_null()).count()
        return self.render("admin/rules/terms_index.html", sets=sets, standard=STANDARD,
                           unpinned=unpinned, pinned=_pinned_counts(), title_label=title_label)

    @expose("/<set_name>/")
    def history(self, set_name):
        term_set = TermSet.get_or_none(TermSet.name == set_name) or abort(404)
        return self._history(term_set)

    def _history(self, term_set, whatif_form: WhatIfForm | None = None):
        versions = _versions_of(term_set)
        latest = versions[0] if versions else None
        movable = list(_movable(term_set, latest).order_by(Contract.number)) if latest else []
        form = MoveForm()
        form.contracts.choices = select_choices(
            [(c.id, f"{c.number} ({_joined_label(c)})") for c in movable])
        return self.render("admin/rules/terms_history.html", term_set=term_set,
                           versions=versions, pinned=_pinned_counts(), move_form=form,
                           latest=latest, title_label=title_label,
                           whatif_form=whatif_form or _whatif_form(versions),
                           runs=whatif_service.recent_runs(term_set, 5),
                           states=_run_states())

    @expose("/<set_name>/whatif", methods=("GET", "POST"))
    def whatif(self, set_name):
        """What-if before moving contracts: POST starts a run (counted at once when the
        history is small, else by the worker); GET shows one (``?run=ID``: its progress,
        refreshing, then its counts per office) and the set's recent runs."""
        term_set = TermSet.get_or_none(TermSet.name == set_name) or abort(404)
        versions = _versions_of(term_set)
        form = _whatif_form(versions)
        if request.method == "POST":
            if form.validate():
                version = next(v for v in versions if str(v.id) == form.version.data)
                try:
                    run = whatif_service.start(current_user, term_set, version,
                                               form.since.data)
                except RuleViolation as exc:
                    field = form.since if exc.field == "since" else form.version
                    field.errors = [*field.errors, str(exc)]
                else:
                    run = whatif_service.run_now_or_queue(run, enqueue=_worker_enqueue())
                    return redirect(url_for(".whatif", set_name=set_name, run=run.id))
            return self._history(term_set, form)
        run = None
        if request.args.get("run") is not None:
            run = WhatIfRun.get_or_none((WhatIfRun.id == parse_id(request.args["run"]))
                                        & (WhatIfRun.term_set == term_set)) or abort(404)
        return self.render("admin/rules/whatif.html", term_set=term_set, run=run,
                           result=run.counts() if run else None, form=form,
                           runs=whatif_service.recent_runs(term_set, 10),
                           states=_run_states(), milestones=_MILESTONES)

    @expose("/<set_name>/move", methods=("POST",))
    def move(self, set_name):
        """Move the chosen contracts to the set's latest version (one contract at a time, to
        any version: *Contract rules*)."""
        term_set = TermSet.get_or_none(TermSet.name == set_name) or abort(404)
        latest = term_set.latest() or abort(404)
        form = MoveForm()
        form.contracts.choices = select_choices(
            [(c.id, c.number) for c in _movable(term_set, latest)])
        if not form.validate():
            flash(_("Choose the contracts to move."), "error")
            return redirect(url_for(".history", set_name=set_name))
        try:
            moved = contract_service.move_to_version(current_user, form.contracts.data, latest)
        except RuleViolation as exc:
            flash(_("Nothing was moved: %(error)s", error=str(exc)), "error")
            return redirect(url_for(".history", set_name=set_name))
        flash(_("Moved %(contracts)s to %(version)s.", contracts=", ".join(moved),
                version=str(latest)), "success")
        return redirect(url_for(".history", set_name=set_name))

    @expose("/<set_name>/edit", methods=("GET", "POST"))
    def edit(self, set_name):
        term_set = TermSet.get_or_none(TermSet.name == set_name)
        latest = term_set.latest() if term_set else None
        if latest is None and set_name != STANDARD.name:
            abort(404)
        return self._edit_form(latest.values() if latest else STANDARD.as_dict(),
                               fixed_name=set_name)

    @expose("/new", methods=("GET", "POST"))
    def new(self):
        return self._edit_form(STANDARD.as_dict() | {"name": "", "title": ""}, fixed_name=None)

    def _edit_form(self, current: dict, fixed_name: str | None):
        form = TermsForm()
        if request.method == "GET":
            form.fill(current)
            form.note.data = ""
        if fixed_name:
            form.name.data = fixed_name  # editing publishes a version of *this* set
        if request.method == "POST" and form.validate():
            terms = form.sheet()
            if terms is not None and fixed_name is None and TermSet.get_or_none(
                    TermSet.name == terms.name):
                form.name.errors = [_("A term set named %(name)s exists: edit it instead.",
                                      name=terms.name)]
            elif terms is not None:
                try:
                    version = publish(current_user, terms, form.note.data)
                except RuleViolation as exc:
                    form.note.errors = [str(exc)]
                else:
                    flash(_("Published %(version)s.", version=str(version)), "success")
                    return redirect(url_for(".history", set_name=terms.name))
        return self.render("admin/rules/terms_edit.html", form=form, fixed_name=fixed_name)


def _worker_enqueue():
    """Hands a large what-if run to the worker's ``whatif.run`` task (None: no worker)."""
    worker = current_app.extensions.get("worker")
    if worker is None:
        return None
    return lambda run_id: worker.enqueue("whatif.run", run_id)


def _versions_of(term_set) -> list:
    """The set's versions, newest first."""
    return list(TermSetVersion.select().where(TermSetVersion.term_set == term_set)
                .order_by(TermSetVersion.number.desc()))


#: a what-if result's milestones, in the order its table shows them
_MILESTONES = tuple((m.value, lazy_label(m)) for m in (Milestone.REPLY, Milestone.ARRIVAL))


def _run_states() -> dict[str, str]:
    return {"queued": _("Queued: waiting for the worker"), "running": _("Counting"),
            "done": _("Counted"), "failed": _("The count failed")}


def _pinned_counts() -> dict[int, int]:
    from peewee import fn
    rows = (Contract.select(Contract.term_set_version, fn.COUNT(Contract.id).alias("n"))
            .where(Contract.term_set_version.is_null(False))
            .group_by(Contract.term_set_version).tuples())
    return dict(rows)


#: the version filter's value for the contracts on the built-in standard terms
STANDARD_FILTER = "standard"


def _standard_label() -> str:
    return _("%(label)s (standard)", label=STANDARD.label)


def _movable(term_set, latest):
    """The contracts this set's page may move to its latest version: those pinned to one of
    its older versions (and, for the charter, those on the built-in standard terms).

    Moving a contract from one term set to another is a decision about that contract,
    made one at a time under *Contract rules*; so the list stays as long as the set's
    own contracts, not every contract of the company.
    """
    older = (TermSetVersion.select(TermSetVersion.id)
             .where((TermSetVersion.term_set == term_set) & (TermSetVersion.id != latest.id)))
    condition = Contract.term_set_version.in_(older)
    if term_set.name == STANDARD.name:
        condition |= Contract.term_set_version.is_null()
    return _contracts_with_labels().where(condition)


def _contracts_with_labels():
    """Contracts (scoped) with their customer and pinned version's set in the same query."""
    query = (Contract.select(Contract, Customer, TermSetVersion, TermSet)
             .join(Customer)
             .switch(Contract).join(TermSetVersion, JOIN.LEFT_OUTER)
             .join(TermSet, JOIN.LEFT_OUTER))
    return scoped(query, Contract, current_user)


def _joined_label(contract) -> str:
    """The pinned version's label from a :func:`_contracts_with_labels` row (no query)."""
    if contract.term_set_version_id is None:
        return _standard_label()
    version = contract.term_set_version
    return f"{version.term_set.name} v{version.number}"


def _version_choices() -> list[tuple[str, str]]:
    """The version filter: the standard terms, then every stored version (one query)."""
    rows = (TermSetVersion.select(TermSetVersion.id, TermSetVersion.number, TermSet.name)
            .join(TermSet).order_by(TermSet.name, TermSetVersion.number).tuples())
    return [(STANDARD_FILTER, _standard_label())] + [
        (str(pk), f"{name} v{number}") for pk, number, name in rows]


# -- a contract's rules: pinned version and plugins --------------------------------------

class ContractRulesForm(FlaskForm):
    term_set_version = SelectField(_l("Term set version"), coerce=str)
    plugins = TextAreaField(_l("Plugins"), description=_l(
        'A JSON object: each enabled plugin with its settings, in the order they are asked, '
        'e.g. {"near_site_4h": {"radius_km": 30}}. Empty: none.'))
    seen_version = HiddenField()


class ContractRulesView(RulesView):
    """Each contract's pinned term-set version and plugins: set here one contract at a time
    (any version), or moved in bulk to a set's latest version on the term-set page."""

    @expose("/")
    def index(self):
        search = (request.args.get("q") or "").strip()
        versions = _version_choices()
        wanted = request.args.get("version") or ""
        if wanted not in {value for value, _label in versions}:
            wanted = ""  # an unknown or stale filter value shows every contract
        query = _contracts_with_labels()
        if search:
            query = query.where(
                ScopedModelView._prefix_match(Contract.number, search.upper())
                | Customer.name.contains(search) | Customer.code.contains(search))
        if wanted == STANDARD_FILTER:
            query = query.where(Contract.term_set_version.is_null())
        elif wanted:
            query = query.where(Contract.term_set_version == int(wanted))
        size = max(int(current_app.config.get("PAGE_SIZE", 50)), 1)
        count = query.order_by().count()
        pages = max(math.ceil(count / size), 1)
        try:
            page = min(max(int(request.args.get("page", 1)), 1), pages)
        except ValueError:
            page = 1
        contracts = list(query.order_by(Contract.number).limit(size).offset((page - 1) * size))
        args = {k: v for k, v in (("q", search), ("version", wanted)) if v}
        return self.render("admin/rules/contracts.html", contracts=contracts,
                           label=_joined_label, search=search, version=wanted,
                           versions=versions, page=page, pages=pages, count=count,
                           page_url=lambda n: url_for(".index", page=n, **args))

    @expose("/<int:contract_id>/", methods=("GET", "POST"))
    def edit(self, contract_id):
        contract = Contract.get_or_none(Contract.id == contract_id) or abort(404)
        form = ContractRulesForm()
        form.term_set_version.choices = select_choices(
            [("", _standard_label())] + _version_choices()[1:])
        if request.method == "GET":
            form.term_set_version.data = str(contract.term_set_version_id or "")
            form.plugins.data = contract.plugins
            form.seen_version.data = str(contract.version)
        elif form.validate():
            try:
                contract_service.set_rules(
                    current_user, contract,
                    term_set_version_id=int(form.term_set_version.data or 0) or None,
                    plugins=form.plugins.data, seen_version=_version_seen(form, contract))
            except RuleViolation as exc:
                target = getattr(form, exc.field or "", None) or form.plugins
                target.errors = [*target.errors, str(exc)]
            else:
                flash(_("Saved the rules of contract %(number)s.", number=contract.number),
                      "success")
                return redirect(url_for(".index"))
        return self.render("admin/rules/contract_edit.html", form=form, contract=contract)


# -- preview -------------------------------------------------------------------------

class PreviewForm(Form):
    distance_km = FiniteDecimalField(_l("Distance (km)"),
                                     validators=[InputRequired(), NumberRange(0, 20000)])
    received = StringField(_l("Received"), validators=[DataRequired()],
                           description=_l("e.g. 2026-11-26T09:00 (local time)"))
    contract = StringField(_l("Contract"), validators=[Optional(), Length(max=30)],
                           description=_l("Contract number; empty: the standard terms"))
    confirmed = StringField(_l("Replacement confirmed on"), validators=[Optional()])
    version = SelectField(_l("Term set version"), coerce=str, default="")


class PreviewView(RulesView):
    @expose("/", methods=("GET",))  # a preview changes nothing: GET, bookmarkable
    def index(self):
        form = PreviewForm(request.args)
        versions = list(TermSetVersion.select(TermSetVersion, TermSet).join(TermSet)
                        .order_by(TermSet.name, TermSetVersion.number))
        form.version.choices = select_choices([("", _("(as pinned)"))] + [
            (str(v.id), f"{v.term_set.name} v{v.number}") for v in versions])
        if not request.args.get("received"):
            form.received.data = now().strftime("%Y-%m-%dT%H:%M")
        number = (form.contract.data or "").strip().upper()
        result = impacts = version = error = None
        if request.args and form.validate():
            contract = None
            if number:
                contract = scoped(Contract.select(), Contract, current_user).where(
                    Contract.number == number).get_or_none()
            if number and contract is None:
                form.contract.errors = [*form.contract.errors,
                                        _("No contract %(number)s.", number=number)]
            else:
                version = (TermSetVersion.get_or_none(
                    TermSetVersion.id == int(form.version.data)) if form.version.data else None)
                try:
                    result = compute_deadlines(form.received.data, form.distance_km.data,
                                               contract, form.confirmed.data or None,
                                               terms=version.terms() if version else None)
                    if version is not None:
                        impacts = impact_of(version, form.received.data, form.distance_km.data,
                                            form.confirmed.data or None)
                except ValueError as exc:
                    error = str(exc)
        suggestions = _contract_suggestions(number)
        return self.render("admin/rules/preview.html", form=form, result=result,
                           impacts=impacts, version=version, error=error,
                           suggestions=suggestions, reason_text=reason_text)


def _contract_suggestions(typed: str, limit: int = 50) -> list[str]:
    """At most ``limit`` contract numbers for the preview's datalist: those starting with
    what was typed, else the most recently signed."""
    query = scoped(Contract.select(Contract.number), Contract, current_user)
    if typed:
        query = query.where(ScopedModelView._prefix_match(Contract.number, typed)).order_by(
            Contract.number)
    else:
        query = query.order_by(Contract.signed_on.desc(), Contract.number)
    return [number for (number,) in query.limit(limit).tuples()]


# -- plugin registry -------------------------------------------------------------------

class PluginsView(RulesView):
    @expose("/")
    def index(self):
        engine = current_engine()
        failures = sorted(((plugin, hook, f) for (plugin, hook), f in engine.failures.items()),
                          key=lambda row: (row[0], row[1]))
        return self.render("admin/rules/plugins.html", rows=registry(engine),
                           failures=failures, source_label=source_label)


def register(admin):
    category = _l("Rules")
    admin.add_view(TermSetsView(name=_l("Term sets"), endpoint="rules_terms",
                                url="/admin/rules/terms", category=category))
    admin.add_view(ContractRulesView(name=_l("Contract rules"), endpoint="rules_contracts",
                                     url="/admin/rules/contracts", category=category))
    admin.add_view(PreviewView(name=_l("Deadline preview"), endpoint="rules_preview",
                               url="/admin/rules/preview", category=category))
    admin.add_view(PluginsView(name=_l("Plugins"), endpoint="rules_plugins",
                               url="/admin/rules/plugins", category=category))


def register_plugin_views(admin, accept) -> None:
    """The views rule plugins add (``admin_views`` hook); ``accept`` refuses non-views."""
    for view in current_engine_of(admin).admin_views(accept=accept):
        admin.add_view(view)


def current_engine_of(admin):
    """The engine of the app the admin belongs to (admin set-up runs before any request)."""
    with admin.app.app_context():
        return current_engine()


def _version_seen(form, contract) -> int:
    """The contract version the editor saw (a missing or garbled value: stale, not a 500)."""
    try:
        return int(form.seen_version.data)
    except (TypeError, ValueError):
        raise RuleViolation(_("This form was opened without a version; reload the record "
                              "and apply your change again."), "plugins", "stale") from None

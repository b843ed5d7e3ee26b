"""The SLA dashboard: one page of charts, each with its figures as a table and a CSV file.

The figures are :func:`backoffice.services.dashboard.dashboard`'s (office scoping
there); this screen only names and draws them:

* every chart has a table of exactly its figures under it (screen readers and
  printing get the numbers; the chart is a picture of the table, ``role="img"``
  with a label) and a CSV download of that table
  (``/admin/dashboard/export/<table>.csv``, UTF-8 with a byte-order mark, each
  cell through :func:`backoffice.admin.export.cell`, so no text becomes a formula);
* the charts are drawn by ``static/dashboard.js`` with Apache ECharts and the map
  of China, both vendored under ``static/vendor/`` (nothing from a CDN), from the
  JSON in the page's ``<script type="application/json" id="dashboard-data">``,
  whose labels are already in the reader's language;
* headquarters (and anyone who sees every office) may narrow the page to one office
  (``?office=<id>``); an office that is not one of the user's is a message on the
  page, and the page shows the user's own figures.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import format_decimal, format_percent
from flask_login import current_user
from markupsafe import Markup

from ..access import sees_all_offices, visible
from ..i18n import _, _l, current_language
from ..labels import Milestone, label
from ..models import Office, RuleViolation, Ticket
from ..services import dashboard as service
from ..services.dashboard import MILESTONES, OPEN_ORDER, Risk
from .base import SecureView, strict_id
from .export import BOM, cell
from .filters import ByCode
from .formatting import local_minute
from .home import list_url
from .tickets import DueWithin2h, Overdue, state_label

#: how each risk is drawn: colour and shape (so the map reads in black and white too)
RISK_STYLE = {Risk.ON_TIME: ("#2e7d32", "circle"), Risk.WARNED: ("#ef8f00", "triangle"),
              Risk.BREACHED: ("#c62828", "diamond")}
RISK_LABELS = {Risk.ON_TIME: _l("On time"), Risk.WARNED: _l("Warned"),
               Risk.BREACHED: _l("Breached")}
MILESTONE_COLOURS = {Milestone.REPLY: "#1565c0", Milestone.ARRIVAL: "#6a1b9a",
                     Milestone.REPLACEMENT: "#00838f"}
OFFICE_COLOUR = "#263238"
#: site rows shown in the page's map table (the CSV has them all)
SITES_SHOWN = 100


# -- tables ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    label: str
    #: text, int, hours, share (a fraction), rate (a :class:`~backoffice.services.dashboard.Tally`),
    #: date
    kind: str = "int"


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list]
    footer: list | None = None
    note: str = ""

    def html_cell(self, column: Column, value) -> str | Markup:
        if value is None or value == "":
            return "—"
        if column.kind == "int":
            return format_decimal(value)
        if column.kind == "hours":
            return format_decimal(round(value, 1), "#,##0.0")
        if column.kind == "share":
            return format_percent(value, "#,##0.0%")
        if column.kind == "rate":
            if not value.due:
                return "—"
            return Markup('{} <span class="text-muted small">({}/{})</span>').format(
                format_percent(value.rate, "#,##0.0%"), format_decimal(value.met),
                format_decimal(value.due))
        if column.kind == "date":
            return value.isoformat()
        return str(value)

    def csv_headers(self) -> list:
        headers = []
        for column in self.columns:
            if column.kind == "rate":
                headers += [_("%(what)s: met", what=column.label),
                            _("%(what)s: due", what=column.label),
                            _("%(what)s: met rate", what=column.label)]
            else:
                headers.append(column.label)
        return [cell(h) for h in headers]

    def csv_row(self, row) -> list:
        cells = []
        for column, value in zip(self.columns, row, strict=True):
            if column.kind == "rate":
                cells += [value.met, value.due, round(value.rate, 4) if value.due else ""]
            elif column.kind == "hours" and value is not None:
                cells.append(round(value, 2))
            elif column.kind == "share" and value is not None:
                cells.append(round(value, 4))
            else:
                cells.append(cell(value))
        return cells

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.csv_headers())
        for row in self.rows + ([self.footer] if self.footer else []):
            writer.writerow(self.csv_row(row))
        return BOM + out.getvalue()


def _office_names(figures) -> dict[int, str]:
    return {o.id: o.name for o in figures.offices}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def tables(figures, all_sites: bool = False) -> dict[str, Table]:
    """Every table of the page, by key, in the reader's language."""
    names = _office_names(figures)
    milestone_columns = [Column(label(m)) for m in MILESTONES]
    result = {}
    result["state"] = Table(
        "state", _("Open tickets by state"), [Column(_("State"), "text"), Column(_("Open tickets"))],
        [[state_label(s), figures.open_by_state[s]] for s in OPEN_ORDER],
        [_("Total"), figures.open_total])
    breach_rows = [[o.name, *[figures.breaches.get(o.id, {}).get(m, 0) for m in MILESTONES],
                    sum(figures.breaches.get(o.id, {}).values())] for o in figures.offices]
    result["breaches"] = Table(
        "breaches", _("Breaches this month by office and milestone"),
        [Column(_("Office"), "text"), *milestone_columns, Column(_("Total"))], breach_rows,
        [_("Total"), *[figures.breaches_of(m) for m in MILESTONES], figures.breaches_total])
    result["met_rate"] = Table(
        "met_rate", _("Met rate by month"),
        [Column(_("Month"), "text"), *[Column(label(m), "rate") for m in MILESTONES],
         Column(_("All milestones"), "rate")],
        [[m.first_day.strftime("%Y-%m"), *[m.counts[k] for k in MILESTONES], m.total]
         for m in figures.months],
        note=_("A milestone counts in the month it was due: met when done by its due time; "
               "missed when done later or still open past it."))
    result["bands"] = Table(
        "bands", _("Arrival on site by distance band"),
        [Column(_("Distance band"), "text"), Column(_("Deadline (h)"), "hours"),
         Column(_("Arrivals")), Column(_("On time")), Column(_("On-time share"), "share"),
         Column(_("Median hours"), "hours"), Column(_("Mean hours"), "hours")],
        [[band_label(b), b.hours_due, b.arrivals, b.on_time, _share(b.on_time, b.arrivals),
          b.median_hours, b.mean_hours] for b in figures.bands],
        note=_("Tickets received in the twelve months shown, from receipt to the engineer's "
               "arrival (time waiting on the customer included)."))
    result["late_offices"] = Table(
        "late_offices", _("Replacements late by office"),
        [Column(_("Office"), "text"), Column(_("Waiting past the window")),
         Column(_("Delivered late"))],
        [[names.get(oid, ""), *counts] for oid, counts in sorted(
            figures.late_by_office.items(), key=lambda kv: names.get(kv[0], ""))],
        [_("Total"), sum(w for w, _d in figures.late_by_office.values()),
         sum(d for _w, d in figures.late_by_office.values())])
    result["late"] = Table(
        "late", _("Late replacements"),
        [Column(_("Ticket"), "text"), Column(_("Office"), "text"),
         Column(_("Faulty unit"), "text"), Column(_("Latest day"), "date"),
         Column(_("Delivered on"), "date"), Column(_("Days late"))],
        [[r.ticket_number, r.office_code, r.faulty_serial, r.latest, r.delivered_on,
          r.days_late] for r in figures.late_listed],
        note=_("The latest %(n)d, waiting ones first.", n=service.LATE_LISTED))
    result["risk"] = Table(
        "risk", _("Open tickets by office and risk"),
        [Column(_("Office"), "text"), Column(_("Open tickets")),
         *[Column(str(RISK_LABELS[r])) for r in Risk.ORDER]],
        [[o.name, sum(figures.risk_by_office.get(o.id, {}).values()),
          *[figures.risk_by_office.get(o.id, {}).get(r, 0) for r in Risk.ORDER]]
         for o in figures.offices],
        [_("Total"), sum(sum(v.values()) for v in figures.risk_by_office.values()),
         *[figures.risk_total(r) for r in Risk.ORDER]],
        note=_("Open tickets not on the map (their site has no coordinates): %(n)d",
               n=figures.unplaced) if figures.unplaced else "")
    sites = figures.sites if all_sites else figures.sites[:SITES_SHOWN]
    result["sites"] = Table(
        "sites", _("Open tickets at their sites"),
        [Column(_("Site"), "text"), Column(_("Customer"), "text"), Column(_("Office"), "text"),
         Column(_("Open tickets")), Column(_("Risk"), "text"), Column(_("Ticket numbers"), "text")],
        [[p.name, p.customer, p.office_code, p.tickets, str(RISK_LABELS[p.risk]),
          " ".join(p.numbers)] for p in sites],
        note=_("The %(shown)d most at risk of %(all)d sites; the CSV file has them all.",
               shown=len(sites), all=len(figures.sites))
        if len(sites) < len(figures.sites) else "")
    return result


def band_label(band) -> str:
    if band.lower is None:
        return _("Distance unknown")
    if band.upper is None:
        return _("Over %(km)s km", km=format_decimal(band.lower))
    return _("%(low)s to %(high)s km", low=format_decimal(band.lower),
             high=format_decimal(band.upper))


# -- charts ------------------------------------------------------------------------------------

def _percent(value: float | None):
    return None if value is None else round(value * 100, 1)


def charts(figures) -> dict:
    """What ``dashboard.js`` draws: each chart's kind, categories and series (labels in
    the reader's language), and the map's points."""
    offices = figures.offices
    months = [m.first_day.strftime("%Y-%m") for m in figures.months]
    late_offices = [o for o in offices if o.id in figures.late_by_office]
    # the offices with a breach, most first (the table lists every office)
    breached = sorted((o for o in offices if sum(figures.breaches.get(o.id, {}).values())),
                      key=lambda o: (-sum(figures.breaches[o.id].values()), o.code))
    bands = [b for b in figures.bands if b.lower is not None or b.arrivals]
    no_data = _("Nothing to show yet")
    return {
        "locale": "ZH" if current_language() == "zh_Hans_CN" else "EN",
        "charts": [
            {"id": "state", "kind": "bar", "categories": [state_label(s) for s in OPEN_ORDER],
             "series": [{"name": _("Open tickets"), "color": "#1565c0",
                         "data": [figures.open_by_state[s] for s in OPEN_ORDER]}],
             "empty": no_data if not figures.open_total else ""},
            {"id": "breaches", "kind": "bar", "horizontal": True, "stack": True,
             "categories": [o.name for o in breached],
             "series": [{"name": label(m), "color": MILESTONE_COLOURS[m],
                         "data": [figures.breaches[o.id][m] for o in breached]}
                        for m in MILESTONES],
             "empty": no_data if not figures.breaches_total else ""},
            {"id": "met_rate", "kind": "line", "unit": "%", "max": 100, "categories": months,
             "series": [{"name": label(m), "color": MILESTONE_COLOURS[m],
                         "data": [_percent(month.rate(m)) for month in figures.months]}
                        for m in MILESTONES]
             + [{"name": _("All milestones"), "color": OFFICE_COLOUR, "width": 3,
                 "data": [_percent(month.rate()) for month in figures.months]}],
             "empty": no_data if all(m.rate() is None for m in figures.months) else ""},
            {"id": "bands", "kind": "bar", "unit": "h",
             "categories": [band_label(b) for b in bands],
             "series": [
                 {"name": _("Median hours"), "color": "#1565c0",
                  "data": [service.hours(b.median_hours) for b in bands]},
                 {"name": _("Mean hours"), "color": "#90caf9",
                  "data": [service.hours(b.mean_hours) for b in bands]},
                 {"name": _("Deadline (h)"), "color": "#c62828", "type": "scatter",
                  "data": [b.hours_due for b in bands]}],
             "empty": no_data if not any(b.arrivals for b in figures.bands) else ""},
            {"id": "late_offices", "kind": "bar", "stack": True, "horizontal": True,
             "categories": [o.name for o in late_offices],
             "series": [{"name": _("Waiting past the window"), "color": "#c62828",
                         "data": [figures.late_by_office[o.id][0] for o in late_offices]},
                        {"name": _("Delivered late"), "color": "#ef8f00",
                         "data": [figures.late_by_office[o.id][1] for o in late_offices]}],
             "empty": _("No late replacements") if not late_offices else ""},
        ],
        "map": {
            "id": "map",
            "offices": {"name": _("Offices"), "color": OFFICE_COLOUR,
                        "points": [{"name": o.name, "value": [o.longitude, o.latitude],
                                    "open": sum(figures.risk_by_office.get(o.id, {}).values())}
                                   for o in offices]},
            "risks": [{"key": r, "name": str(RISK_LABELS[r]), "color": RISK_STYLE[r][0],
                       "symbol": RISK_STYLE[r][1],
                       "points": [{"name": p.name, "value": [p.longitude, p.latitude, p.tickets],
                                   "customer": p.customer, "office": p.office_code,
                                   "numbers": p.numbers,
                                   "counts": [p.counts[k] for k in Risk.ORDER]}
                                  for p in figures.sites if p.risk == r]}
                      for r in Risk.ORDER],
            "words": {"open": _("Open tickets"),
                      "risks": [str(RISK_LABELS[r]) for r in Risk.ORDER]},
        },
    }


# -- the page ----------------------------------------------------------------------------------

def _office_choices():
    return [(o.id, o.name, o.code) for o in visible(Office, current_user).order_by(Office.code)]


class SlaDashboardView(SecureView):
    """The SLA dashboard (every role; each sees what office scoping lets them)."""

    @property
    def extra_js(self):
        return [url_for("static", filename=name) for name in (
            "vendor/echarts/echarts.min.js", "vendor/echarts-maps/china.js", "dashboard.js")]

    def _figures(self):
        """The figures for the office asked for (``?office=``), or, when it is not one of
        the user's, the user's own with the refusal to show."""
        raw = request.args.get("office", "")
        refused = None
        office_id = None
        if raw:
            office_id = strict_id(raw)
            if office_id is None:
                refused = _("Choose an office from the list.")
        try:
            figures = service.dashboard(current_user, office_id)
        except RuleViolation as exc:
            refused, figures = str(exc), service.dashboard(current_user)
        return figures, refused

    @expose("/")
    def index(self):
        figures, refused = self._figures()
        office = figures.office
        code_filter = [(ByCode, Ticket.office, office.code)] if office else []
        links = {
            "due_soon": list_url(self.admin, "ticket",
                                 [(DueWithin2h, Ticket.next_due, "1"), *code_filter]),
            "overdue": list_url(self.admin, "ticket",
                                [(Overdue, Ticket.next_due, "1"), *code_filter]),
        }
        args = {"office": office.id} if office else {}
        return self.render(
            "admin/dashboard.html", figures=figures, tables=tables(figures),
            charts=charts(figures), refused=refused, links=links, export_args=args,
            offices=_office_choices() if sees_all_offices(current_user) else [],
            at=local_minute(figures.at))

    @expose("/export/<table>.csv")
    def export(self, table):
        figures, refused = self._figures()
        if refused:
            flash(refused, "error")
            return redirect(url_for(".index"))
        name, table = table, tables(figures, all_sites=True).get(table)
        if table is None:
            abort(404)
        stamp = time.strftime("%Y-%m-%d_%H-%M", figures.at.timetuple())
        scope = f"_{figures.office.code}" if figures.office else ""
        filename = f"sla-dashboard_{name}{scope}_{stamp}.csv".replace("/", "-")
        return Response(table.csv(), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment;filename={filename}"})


def register(admin):
    admin.add_view(SlaDashboardView(name=_l("SLA dashboard"), category=_l("Fault tickets"),
                                    endpoint="sla_dashboard", url="/admin/dashboard"))


__all__ = ["SlaDashboardView", "band_label", "charts", "tables"]

"""The home page: the user's offices at a glance, the latest changes, a warranty look-up."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from flask import current_app
from flask_admin import expose
from flask_login import current_user

from ..services.overview import ENDING_SOON_DAYS, overview
from .base import TABLE_LABELS, HomeView


def local_today() -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(current_app.config["TIMEZONE"])).date()


class DashboardView(HomeView):
    @expose("/")
    def index(self):
        today = local_today()
        return self.render("admin/home.html", today=today, figures=overview(current_user, today),
                           ending_soon_days=ENDING_SOON_DAYS, table_labels=TABLE_LABELS)

"""API tokens: make one (its secret is shown once, on the page that made it) and revoke one.

Everyone may open the screen and manage their own tokens; an administrator sees
everyone's, revokes any and may make one for another account (the rule is the
tokens service's, :mod:`backoffice.services.tokens`). The secret is shown in
the answer to the POST that made it, never stored, never put in a URL or the
session, and the page is not cached.
"""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from ..access import Action, may
from ..i18n import _, _l
from ..models import RuleViolation, Staff
from ..models.api import NAME_MAX
from ..services import tokens, users
from .base import SecureView, parse_id


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)],
                       description=_l("What uses it, e.g. call centre CRM."))
    username = StringField(_l("For the account"), validators=[Optional(), Length(max=40)],
                           description=_l("Empty: your own account."))


class TokensView(SecureView):
    def _render(self, form=None, secret=None, made=None, status=200):
        manages_others = may(current_user, Action.UPDATE, Staff)
        form = form or TokenForm()
        if not manages_others:
            del form.username
        rows = list(tokens.tokens_of(current_user))
        return self.render("admin/api_tokens.html", form=form, rows=rows, secret=secret,
                           made=made, manages_others=manages_others), status

    @expose("/", methods=("GET",))
    def index(self):
        return self._render()

    @expose("/new", methods=("POST",))
    def create(self):
        form = TokenForm()
        if not form.validate():
            return self._render(form, status=400)
        staff = current_user
        wanted = (form.username.data or "").strip()
        if wanted and may(current_user, Action.UPDATE, Staff):
            staff = users.by_username(wanted)
            if staff is None:
                form.username.errors.append(_("No account named %(name)s.", name=wanted))
                return self._render(form, status=400)
        try:
            made = tokens.create(current_user, form.name.data, staff)
        except RuleViolation as exc:
            target = form.username if exc.field == "staff" and "username" in form else form.name
            target.errors.append(str(exc))
            return self._render(form, status=400)
        return self._render(secret=made.secret, made=made.token, status=201)

    @expose("/<token_id>/revoke", methods=("POST",))
    def revoke(self, token_id):
        token = tokens.token_for(current_user, parse_id(token_id))
        if token is None:  # not yours (or no such token): as if it did not exist
            return self._render(status=404)
        try:
            tokens.revoke(current_user, token)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("Token %(name)s is revoked: it no longer works.", name=token.name),
                  "success")
        return redirect(url_for(".index"))


def register(admin):
    admin.add_view(TokensView(name=_l("API tokens"), endpoint="api_tokens"))

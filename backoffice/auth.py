"""Login and logout, the session's life, the login throttle and the language switch.

* ``/login`` (GET form, POST username/password/csrf_token) and ``/logout`` (POST).
* ``/account``: the logged-in user's own page (any role): change the password
  (current one + the new one twice; the other sessions end, this one stays) and
  the language. It is drawn in the admin's layout (navbar, menu, log out).
* Every session carries the account's ``session_epoch`` (its session
  generation, kept in the database) from the moment it logged in, and every
  request compares it with the account's: logging out, a deactivation and a
  password change move the generation on (see :class:`~backoffice.models.Staff`),
  so every session of the account ends for good, on every server, including a
  copy of the cookie taken before the logout and a session that sat idle while
  the account was deactivated and then re-activated.
* The throttle counts failures in :class:`~backoffice.models.LoginAttempt`, so
  every instance sharing the database sees the same count: after
  ``LOGIN_MAX_FAILURES`` failures for a username (since its last success) or
  from an address within ``LOGIN_LOCKOUT_MINUTES``, logins are refused, even
  with the right password, until the window has passed. Count and check are one
  step (:func:`reserve_attempt`): the attempt is written as a failure first and
  counted with the others in one transaction serialised per username and per
  address, and only then is the password looked at. Checking first and writing
  afterwards let 40 parallel tries all see "below the limit".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_admin import expose
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from .admin.base import SecureView
from .clock import utcnow
from .config import LANGUAGES
from .db import database, is_postgres
from .forms import select_choices
from .i18n import LANGUAGE_NAMES, _, _l
from .models import LoginAttempt, RuleViolation, Staff
from .security import is_local_target
from .services import users as user_service

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to open this page.")
login_manager.login_message_category = "warning"
#: a session whose address or browser changes is ended
login_manager.session_protection = "strong"

#: session key holding the account's ``session_epoch`` at login
EPOCH_KEY = "_staff_epoch"
#: session key holding a language chosen without (or before) logging in
LANGUAGE_KEY = "language"

_dummy_hash: str | None = None


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


#: the shortest password ``Staff.set_password`` accepts
PASSWORD_MIN_LENGTH = 8


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=[
        DataRequired(), Length(min=PASSWORD_MIN_LENGTH, max=200,
                               message=_l("A password needs at least 8 characters."))])
    confirm_password = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))])


class LanguageForm(FlaskForm):
    # "" = follow the browser; the choices' labels are built per request (translated)
    language = SelectField(_l("Language"))  # the choice itself is checked (pre_validate)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = select_choices([("", _("Follow the browser"))] + [
            (code, LANGUAGE_NAMES[code]) for code in LANGUAGES])


# -- throttle -------------------------------------------------------------------

def _window_start() -> dt.datetime:
    return utcnow() - dt.timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])


#: PostgreSQL advisory-lock namespaces (the two-key form) of the throttle's serialised section
_LOCK_USERNAME, _LOCK_ADDRESS = 0x6C6F6731, 0x6C6F6732


def _lock_key(text: str) -> int:
    """A 32-bit signed key for ``text`` (a collision only makes two names wait for each other)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big",
                          signed=True)


def _failures(username: str, remote_addr: str) -> tuple[int, int]:
    """Recent failures: (for the username since its last success, from the address)."""
    since = _window_start()
    last_success = (LoginAttempt.select(LoginAttempt.at)
                    .where((LoginAttempt.username == username) & LoginAttempt.success
                           & (LoginAttempt.at >= since))
                    .order_by(LoginAttempt.at.desc()).limit(1).scalar())
    user_since = max(since, last_success) if last_success else since
    by_user = (LoginAttempt.select()
               .where((LoginAttempt.username == username) & ~LoginAttempt.success
                      & (LoginAttempt.at >= user_since))
               .count())
    by_addr = (LoginAttempt.select()
               .where((LoginAttempt.remote_addr == remote_addr) & ~LoginAttempt.success
                      & (LoginAttempt.at >= since))
               .count())
    return by_user, by_addr


def reserve_attempt(username: str, remote_addr: str) -> tuple[int, bool]:
    """Record an attempt as a failure, then count: ``(its id, locked)``.

    Both happen in one transaction that no other attempt for the same username
    or address can interleave with: on SQLite every transaction begins
    IMMEDIATE (one writer at a time, see :mod:`backoffice.db`); on PostgreSQL
    two transaction-level advisory locks, always username first, then address
    (so two attempts never wait for each other in a circle). Each attempt thus
    counts every attempt before it, its own included, and at most
    ``LOGIN_MAX_FAILURES`` failures can ever be below the limit: the rest are
    refused without their password being looked at. The caller settles the
    attempt with :func:`settle_attempt` once it knows the answer.
    """
    username, remote_addr = username[:60], remote_addr[:64]
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    with database.atomic():
        if is_postgres():
            for namespace, key in ((_LOCK_USERNAME, username), (_LOCK_ADDRESS, remote_addr)):
                database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)",
                                     (namespace, _lock_key(key)))
        attempt = LoginAttempt.insert(username=username, remote_addr=remote_addr,
                                      success=False).execute()
        by_user, by_addr = _failures(username, remote_addr)
    return attempt, max(by_user, by_addr) > limit  # the counts include this attempt


def settle_attempt(attempt_id: int, success: bool, *, forget_success: bool = False) -> None:
    """A reserved attempt's outcome: a failure stays as recorded; a success is marked
    (it forgives the username's earlier failures), or forgotten with ``forget_success``."""
    if not success:
        return
    if forget_success:
        LoginAttempt.delete().where(LoginAttempt.id == attempt_id).execute()
    else:
        LoginAttempt.update(success=True).where(LoginAttempt.id == attempt_id).execute()


def _check_credentials(username: str, password: str):
    """The active account for these credentials, or None (same cost either way)."""
    global _dummy_hash
    staff = Staff.get_or_none(Staff.username == username)
    if staff is None or not staff.password_hash:
        if _dummy_hash is None:
            _dummy_hash = generate_password_hash("not-a-password", method=Staff.password_method)
        check_password_hash(_dummy_hash, password)  # no timing hint that the name is unknown
        return None
    if not staff.check_password(password) or not staff.is_active:
        return None
    return staff


def _safe_next(target: str | None) -> str:
    """Only a path on this site; anything else goes to the admin home."""
    return target if is_local_target(target) else url_for("admin.index")


# -- views ------------------------------------------------------------------------

@bp.route("/")
def index():
    return redirect(url_for("admin.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(_safe_next(form.next.data))
    status = 200
    if form.validate_on_submit():
        username = form.username.data.strip()
        remote_addr = request.remote_addr or "unknown"
        attempt, locked = reserve_attempt(username, remote_addr)
        if locked:  # refused without looking at the password (and counted as a failure)
            minutes = current_app.config["LOGIN_LOCKOUT_MINUTES"]
            flash(_("Too many failed logins. Logging in is blocked for %(minutes)s minutes; "
                    "try again later or ask an administrator.", minutes=minutes), "danger")
            status = 429
        else:
            staff = _check_credentials(username, form.password.data)
            settle_attempt(attempt, staff is not None)
            if staff is not None:
                keep = session.get(LANGUAGE_KEY)
                session.clear()
                if keep:
                    session[LANGUAGE_KEY] = keep
                login_user(staff)
                session[EPOCH_KEY] = staff.session_epoch
                return redirect(_safe_next(form.next.data))
            flash(_("Wrong username or password."), "danger")
            status = 401
    elif request.method == "POST":
        flash(_("Enter your username and password."), "danger")
        status = 400
    return render_template("login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    keep = session.get(LANGUAGE_KEY)
    if current_user.is_authenticated:
        # every session of the account ends, copies of this cookie included
        current_user.end_sessions()
    logout_user()
    session.clear()
    if keep:
        session[LANGUAGE_KEY] = keep
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def set_language():
    """Remember a language: on the account when logged in, and in the session."""
    language = request.form.get("language", "")
    if language not in LANGUAGES and language != "":
        abort(400, _("Unknown language."))
    problem = _remember_language(language)
    if problem:
        flash(problem, "warning")
    return redirect(_safe_next(request.form.get("next") or _referrer_path()))


def _remember_language(language: str) -> str | None:
    """Keep ``language`` ("" = the browser's) in the session and on the account; a problem or None."""
    if language:
        session[LANGUAGE_KEY] = language
    else:  # follow the browser again
        session.pop(LANGUAGE_KEY, None)
    if current_user.is_authenticated and current_user.language != language:
        user_service.set_language(current_user, language)  # a preference: not audited
    return None


# -- my account ---------------------------------------------------------------------

class AccountPage(SecureView):
    """Lends the admin's layout (navbar, menu, log out) to ``/account``; never added to the menu."""

    @expose("/")
    def index(self):  # not routed: the page is served by the auth blueprint
        abort(404)


def _render_account(password_form=None, language_form=None, status=200):
    """The account page, drawn through an unlisted admin page (so no menu item is active)."""
    page = AccountPage(name=_("My account"), endpoint="account")
    page.admin = current_app.extensions["backoffice_admin"]
    if language_form is None:
        language_form = LanguageForm(language=current_user.language or "")
    html = page.render("account.html", password_form=password_form or PasswordChangeForm(),
                       language_form=language_form, min_length=PASSWORD_MIN_LENGTH)
    return html, status


@bp.route("/account")
@login_required
def account():
    return _render_account()


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    """Current password + the new one twice; success ends every other session of the account."""
    form = PasswordChangeForm()
    if not form.validate():
        return _render_account(password_form=form, status=400)
    remote_addr = request.remote_addr or "unknown"
    username = current_user.username
    attempt, locked = reserve_attempt(username, remote_addr)  # the throttle guards this door too
    if locked:
        form.current_password.errors.append(_(
            "Too many failed attempts; try again in %(minutes)s minutes.",
            minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"]))
        return _render_account(password_form=form, status=429)
    right = current_user.check_password(form.current_password.data)
    settle_attempt(attempt, right, forget_success=True)  # only wrong ones count, as ever
    if not right:
        form.current_password.errors.append(_("This is not your current password."))
        return _render_account(password_form=form, status=400)
    staff = Staff.get_by_id(current_user.id)
    try:  # a new password moves session_epoch on: other sessions end
        user_service.set_password(current_user, staff, form.new_password.data)
    except RuleViolation as exc:
        form.new_password.errors.append(str(exc))
        return _render_account(password_form=form, status=400)
    session[EPOCH_KEY] = staff.session_epoch  # ...but this one stays
    flash(_("Your password has been changed. Your other sessions have been logged out."),
          "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/language", methods=["POST"])
@login_required
def change_language():
    form = LanguageForm()
    if not form.validate():
        return _render_account(language_form=form, status=400)
    problem = _remember_language(form.language.data)
    if problem:
        form.language.errors.append(problem)
        return _render_account(language_form=form, status=400)
    flash(_("Your language has been saved."), "success")
    return redirect(url_for("auth.account"))


def _referrer_path() -> str | None:
    """The page the switch was clicked on, when it is on this site."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


# -- set-up -----------------------------------------------------------------------

def _load_user(user_id):
    try:
        staff = Staff.get_or_none(Staff.id == int(user_id))
    except (TypeError, ValueError):
        return None
    if (staff is None or not staff.is_active
            or session.get(EPOCH_KEY) != staff.session_epoch):  # deactivated, password changed
        for key in ("_user_id", "_fresh", "_id", EPOCH_KEY):
            session.pop(key, None)  # for good: reactivating the account does not revive it
        return None
    return staff


def _forget_request_caches():
    """Per-request caches kept on ``g`` start empty, even when an app context outlives requests.

    Flask-Login (the user), Flask-WTF (the CSRF token) and Flask-Babel (the locale)
    cache on ``g``, which lives as long as the app context; a test or script that
    holds one app context around several requests would otherwise see the user,
    the token and the language of the first request.
    """
    for name in ("_login_user", "csrf_token", "_flask_babel"):
        g.pop(name, None)


def init_app(app):
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_request_caches)
    app.register_blueprint(bp)

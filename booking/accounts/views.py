"""Register, log in and out, reset and change passwords, profile and tokens, and the admin's
departments, audit and outbox pages."""
from __future__ import annotations

import functools
import json
from datetime import date, datetime, time, timezone

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking import navigation, panels, personal_data
from booking.accounts import personal  # noqa: F401  (registers its part of a person's data)
from booking.accounts import services
from booking.accounts.forms import (SCOPE_LABELS, ChangePasswordForm, DeleteAccountForm, DepartmentForm, EmptyForm,
                                    ForgotPasswordForm, LoginForm, ProfileForm, RegisterDetailsForm, RegisterForm,
                                    ResetPasswordForm, TokenForm)
from booking.accounts.models import ActorType, ApiToken, Department, Role, User, hash_token
from booking.accounts.rules import can_administer, can_view_audit, can_view_outbox, scopes_for
from booking.api.pagination import paginate
from booking.audit import links as audit_links
from booking.audit.changes import changes as audit_changes
from booking.audit.fields import field_label
from booking.audit.models import AuditEvent
from booking.database import utcnow
from booking.errors import Conflict, DomainError
from booking.extensions import db
from booking.formatting import compact_time, local_date
from booking.notifications import kinds
from booking.notifications import services as notifications
from booking.notifications.models import OutboxAttachment, OutboxMessage, OutboxStatus
from booking.site import flash_errors, safe_next
from booking.unit_of_work import unit_of_work

bp = Blueprint("accounts", __name__)

audit_links.register("Department", _l("Department"), "accounts.edit_department", "department_id")
audit_links.register("User", _l("User"))
audit_links.register("Organisation", _l("Organisation"))
audit_links.register("OutboxMessage", _l("E-mail"))

navigation.add("accounts.departments", _l("Departments"), visible=can_administer, order=85)
navigation.add("accounts.users", _l("Users"), visible=can_administer, order=86)
navigation.add("accounts.audit_log", _l("Audit log"), visible=can_view_audit, order=90)
navigation.add("accounts.outbox", _l("Outbox"), visible=can_view_outbox, order=95)
navigation.add("accounts.profile", _l("Profile"), visible=lambda u: u.is_authenticated, order=10, group="account")


def _links(kind: str, token: str | None = None, *, next_page: str | None = None) -> str:
    """The absolute links the account e-mails carry (services give the kind and the token)."""
    endpoints = {"register": "accounts.register_details", "reset": "accounts.reset_password",
                 "login": "accounts.login"}
    values = {"token": token} if token else {}
    if next_page and kind in ("register", "login"):
        values["next"] = next_page  # where the person was going when they started
    return current_app.config["BASE_URL"] + url_for(endpoints[kind], **values)


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Step 1: the address. Every address gets the same answer (and the same work); the
    e-mail says whether to go on with registering or to log in."""
    if current_user.is_authenticated:
        return redirect(url_for("site.index"))
    form = RegisterForm()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        next_page = safe_next() if request.values.get("next") else None
        with unit_of_work():
            services.request_registration(form.email.data, locale=str(get_locale()),
                                          links=functools.partial(_links, next_page=next_page))
        return render_template("accounts/register_sent.html", email=form.email.data.strip(),
                               hours=current_app.config["REGISTRATION_LINK_MAX_AGE"] // 3600)
    return render_template("accounts/register.html", form=form), status


@bp.route("/register/<token>", methods=["GET", "POST"])
def register_details(token: str):
    """Step 2, from the e-mailed link: the person and their organisation."""
    if current_user.is_authenticated:
        return redirect(url_for("site.index"))
    try:
        email = services.registration_email(token)
    except DomainError as exc:
        flash_errors(exc)
        return redirect(url_for("accounts.login" if isinstance(exc, Conflict) else "accounts.register"))
    form = RegisterDetailsForm()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            with unit_of_work():
                user = services.register(email=email, name=form.name.data, password=form.password.data,
                                         organisation_name=form.organisation_name.data,
                                         actor_type=ActorType(form.actor_type.data),
                                         business_id=form.business_id.data, address=form.address.data or "",
                                         # Only a language the person chose; otherwise keep following the browser.
                                         locale=session.get("locale"))
        except DomainError as exc:
            flash_errors(exc, form)
        else:
            _log_in(user)
            flash(_("Welcome, %(name)s. Your account and %(org)s are ready.", name=user.name,
                    org=user.current_organisation.name), "success")
            return redirect(safe_next())
    return render_template("accounts/register_details.html", form=form, email=email), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(landing_endpoint(current_user)))
    form = LoginForm()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        cookie = request.cookies.get(services.DEVICE_COOKIE)
        device = services.known_device(cookie, form.email.data)  # this browser has logged in here before
        if services.is_login_throttled(form.email.data, request.remote_addr, device):
            flash(_("Too many failed attempts. Wait a few minutes, or reset your password."), "error")
            status = 429
        else:
            user = services.authenticate(form.email.data, form.password.data)  # slow: before the write
            with unit_of_work():
                services.record_login(form.email.data, request.remote_addr, user, device)
            if user is not None:
                _log_in(user)
                flash(_("You are logged in."), "success")
                response = redirect(safe_next(landing_endpoint(user)))
                response.set_cookie(services.DEVICE_COOKIE, services.device_cookie(user.email, cookie),
                                    max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                                    secure=current_app.config["SESSION_COOKIE_SECURE"])
                return response
            flash(_("The e-mail address or password is wrong."), "error")
            status = 401
    return render_template("accounts/login.html", form=form), status


def landing_endpoint(user) -> str:
    """Where a person lands after logging in when no `next` page was asked for: a manager on
    their inbox, an admin on the city overview, everyone else on the front page."""
    if user.role == Role.admin:
        return "stats.overview"
    if user.role == Role.facility_manager:
        return "reservations.inbox"
    return "site.index"


def _log_in(user) -> None:
    """A new session for this browser (kept in the database), then Flask-Login's cookie."""
    with unit_of_work():
        services.start_session(user, user_agent=request.user_agent.string, remote_addr=request.remote_addr)
    login_user(user)


@bp.post("/logout")
def logout():
    EmptyForm().validate_on_submit() or abort(400)
    if current_user.is_authenticated:
        with unit_of_work():
            services.end_session(current_user._get_current_object())
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("site.index"))


@bp.post("/profile/sessions/end")
@login_required
def log_out_everywhere():
    """End every session of the user, this one included (a lost phone, a shared computer)."""
    EmptyForm().validate_on_submit() or abort(400)
    with unit_of_work():
        ended = services.log_out_everywhere(current_user._get_current_object())
    logout_user()
    flash(ngettext("You are logged out of %(num)d session, this one included.",
                   "You are logged out of all %(num)d sessions, this one included.", ended), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Every address gets a message and the same answer: the reset link, or why there is none."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with unit_of_work():
            services.request_password_reset(form.email.data, locale=str(get_locale()), links=_links)
        flash(_("We have sent a message to that address. If an account uses it, the message has a link to set "
                "a new password, which works once, for %(minutes)d minutes.",
                minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = services.user_for_reset_token(token)
    if user is None:
        flash(_("This link has expired or was already used. Ask for a new one."), "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with unit_of_work():
            services.set_password(user, form.password.data, action="user.password_reset")
        flash(_("Your password is changed. Log in with the new one."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.get("/profile")
@login_required
def profile():
    return _render_profile()


def _render_profile(status=200, **forms):
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                                .order_by(ApiToken.created_dt.desc())).all()
    forms.setdefault("profile_form", ProfileForm(obj=current_user, locale=current_user.locale or ""))
    forms.setdefault("password_form", ChangePasswordForm())
    forms.setdefault("token_form", token_form())
    me = current_user._get_current_object()
    return render_template("accounts/profile.html", tokens=tokens, action_form=EmptyForm(), kinds=kinds, now=utcnow(),
                           settings=notifications.settings_for(me.id),
                           sessions=services.open_sessions(me), this_session=hash_token(me.session_token or ""),
                           panels=panels.render("profile"), **forms), status


@bp.post("/profile")
@login_required
def update_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _render_profile(422, profile_form=form)
    with unit_of_work():
        services.update_profile(current_user, name=form.name.data, locale=form.locale.data)
    if form.locale.data:
        session["locale"] = form.locale.data
    else:
        session.pop("locale", None)  # "follow my browser" wins over an earlier choice too
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("accounts.profile"))


@bp.post("/profile/notifications")
@login_required
def update_notifications():
    """Which optional messages come by e-mail (the others always do), and when reminders come."""
    offered = dict(kinds.BOOKER, **(kinds.MANAGER if current_user.is_staff else {}))
    chosen = set(request.form.getlist("email"))
    new_requests = request.form.get("new_requests", "at_once")
    chosen.discard("new_request")
    if current_user.is_staff and new_requests in ("at_once", "digest"):
        chosen.add("new_request")
    with unit_of_work():
        notifications.save_settings(current_user.id, muted={k for k in offered if k not in chosen},
                                    request_digest=current_user.is_staff and new_requests == "digest",
                                    reminder_hours=request.form.get("reminder_hours", kinds.DEFAULT_REMINDER_HOURS,
                                                                    type=int))
    flash(_("Your notification settings are saved."), "success")
    return redirect(url_for("accounts.profile") + "#notifications")


@bp.post("/profile/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.change_password(current_user, form.current.data, form.password.data)
        except DomainError as exc:
            flash_errors(exc, form)
        else:
            flash(_("Your password is changed."), "success")
            return redirect(url_for("accounts.profile"))
    return _render_profile(422, password_form=form)


def token_form() -> TokenForm:
    """The token form offering only the scopes the user's tokens may have."""
    form = TokenForm()
    form.scopes.choices = [(s, SCOPE_LABELS[s]) for s in scopes_for(current_user)]
    return form


@bp.post("/profile/tokens")
@login_required
def create_token():
    form = token_form()
    if not form.validate_on_submit():
        return _render_profile(422, token_form=form)
    try:
        with unit_of_work():
            _row, token = services.issue_api_token(current_user._get_current_object(), form.name.data,
                                                   form.scopes.data, expires_days=form.expires_in_days.data or None)
    except DomainError as exc:
        flash_errors(exc, form)
        return _render_profile(422, token_form=form)
    return render_template("accounts/token_created.html", token=token, name=form.name.data)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    EmptyForm().validate_on_submit() or abort(400)
    with unit_of_work():
        services.revoke_api_token(current_user, token_id)
    flash(_("The token is revoked. Programs using it can no longer call the API."), "success")
    return redirect(url_for("accounts.profile"))


@bp.post("/organisation/switch")
@login_required
def switch_organisation():
    EmptyForm().validate_on_submit() or abort(400)
    with unit_of_work():
        organisation = services.switch_organisation(current_user, request.form.get("organisation_id", type=int))
    flash(_("You now act for %(org)s.", org=organisation.name), "success")
    return redirect(safe_next())


# --- admin and manager pages -----------------------------------------------------------

def _date_arg(name: str, end_of_day: bool = False):
    value = request.args.get(name, "")
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=timezone.utc)


@bp.get("/admin/audit")
@login_required
def audit_log():
    if not can_view_audit(current_user):
        abort(403)
    stmt = select(AuditEvent).order_by(AuditEvent.created_dt.desc(), AuditEvent.id.desc())
    if not current_user.is_admin:
        stmt = stmt.where(AuditEvent.department_id.in_(current_user.department_ids or {-1}))
    filters = {k: request.args.get(k, "").strip() for k in ("action", "object_type", "actor", "from", "to")}
    if filters["action"]:
        stmt = stmt.where(AuditEvent.action.startswith(filters["action"]))
    if filters["object_type"]:
        stmt = stmt.where(AuditEvent.object_type == filters["object_type"])
    if filters["actor"]:
        stmt = stmt.where(AuditEvent.actor_label.contains(filters["actor"].lower()))
    if (start := _date_arg("from")) is not None:
        stmt = stmt.where(AuditEvent.created_dt >= start)
    if (end := _date_arg("to", end_of_day=True)) is not None:
        stmt = stmt.where(AuditEvent.created_dt <= end)
    page = max(request.args.get("page", 1, type=int), 1)
    events, total = paginate(stmt, page, 50)
    object_types = db.session.scalars(select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)).all()
    now = utcnow()
    rows = [(e, audit_changes(e.before, e.after), audit_links.describe(e.object_type, e.object_id)) for e in events]
    return render_template("accounts/audit_log.html", rows=rows, total=total, page=page, per_page=50, now=now,
                           filters=filters, object_types=object_types,
                           audit_value=lambda value: _audit_value(value, now), audit_field=field_label)


def _audit_value(value, now: datetime) -> str:
    """A recorded value in words: instants in local time (compact), dates, yes/no, lists."""
    if value is None or value == "":
        return "–"
    if isinstance(value, datetime):
        return compact_time(value, now=now)
    if isinstance(value, date):
        return local_date(value, "d MMM y")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_audit_value(v, now) for v in value) or "–"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@bp.get("/admin/outbox")
@login_required
def outbox():
    if not can_view_outbox(current_user):
        abort(403)
    status = request.args.get("status", "")
    # The attachments' names with the page's messages, not one query per message.
    stmt = select(OutboxMessage).options(selectinload(OutboxMessage.attachments).load_only(
        OutboxAttachment.filename)).order_by(OutboxMessage.id.desc())
    if status in OutboxStatus.__members__:
        stmt = stmt.where(OutboxMessage.status == OutboxStatus(status))
    page = max(request.args.get("page", 1, type=int), 1)
    messages, total = paginate(stmt, page, 25)
    # Messages the e-mail job has yet to write (none runs under a bare `flask run`): as they would read now.
    previews = {m.id: notifications.preview(m) for m in messages if m.text_body is None and m.recipe}
    return render_template("accounts/outbox.html", messages=messages, previews=previews, total=total, page=page,
                           per_page=25,
                           status=status, statuses=list(OutboxStatus),
                           smtp_configured=bool(current_app.config["MAIL_SERVER"]))


@bp.post("/admin/outbox/<int:message_id>/resend")
@login_required
def resend(message_id: int):
    if not can_view_outbox(current_user):
        abort(403)
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    with unit_of_work():
        notifications.resend(message, actor=current_user)
    flash(_("The e-mail to %(to)s is queued to be sent again.", to=message.to), "success")
    return redirect(url_for("accounts.outbox", status=request.args.get("status", "")))


@bp.get("/admin/departments")
@login_required
def departments():
    if not can_administer(current_user):
        abort(403)
    stmt = select(Department).options(selectinload(Department.managers)).order_by(Department.name)
    return render_template("accounts/departments.html", departments=db.session.scalars(stmt).all())


@bp.route("/admin/departments/<int:department_id>", methods=["GET", "POST"])
@login_required
def edit_department(department_id: int):
    department = db.session.get(Department, department_id) or abort(404)
    if not can_administer(current_user):
        abort(403)
    form = DepartmentForm(obj=department)
    if not form.is_submitted():
        form.set_translations(department)
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_department(department, description=form.description.data or "",
                                           contact_email=form.contact_email.data,
                                           decision_days=form.decision_days.data,
                                           translations=form.translations(), actor=current_user)
        except DomainError as exc:
            flash_errors(exc, form)
        else:
            flash(_("%(name)s is saved.", name=department.name), "success")
            return redirect(url_for("accounts.departments"))
    return render_template("accounts/department_edit.html", department=department, form=form), status


@bp.get("/admin/users")
@login_required
def users():
    """The city's users: find one by name or e-mail, see their role and whether they may log in."""
    if not can_administer(current_user):
        abort(403)
    q = request.args.get("q", "").strip()[:200]
    stmt = select(User).options(selectinload(User.memberships)).order_by(User.name, User.id)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(db.or_(db.func.lower(User.name).like(like), User.email.like(like)))
    page = max(request.args.get("page", 1, type=int), 1)
    found, total = paginate(stmt, page, 50)
    return render_template("accounts/users.html", users=found, total=total, page=page, per_page=50, q=q,
                           action_form=EmptyForm(), failures=services.recent_login_failures(),
                           window_minutes=current_app.config["LOGIN_FAILURE_WINDOW"] // 60)


@bp.post("/admin/users/<int:user_id>/active")
@login_required
def set_user_active(user_id: int):
    """Deactivate (every session of theirs ends at once) or reactivate a user."""
    if not can_administer(current_user):
        abort(403)
    EmptyForm().validate_on_submit() or abort(400)
    user = db.session.get(User, user_id) or abort(404)
    active = request.form.get("active") == "1"
    try:
        with unit_of_work():
            services.set_active(current_user._get_current_object(), user, active)
    except DomainError as exc:
        flash_errors(exc)
    else:
        flash(_("%(name)s can log in again.", name=user.name) if active else
              _("%(name)s is deactivated and logged out everywhere.", name=user.name), "success")
    return redirect(url_for("accounts.users", q=request.args.get("q", "")))


@bp.get("/profile/data.json")
@login_required
def download_data():
    """Everything the city's Infrashare holds about the person, as one JSON file."""
    data = personal_data.collect(current_user._get_current_object())
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="my-infrashare-data.json"'})


@bp.route("/profile/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    """The person deletes their account, after their password and a clear statement of what stays."""
    form = DeleteAccountForm()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.delete_account(current_user._get_current_object(), form.password.data)
        except DomainError as exc:
            flash_errors(exc, form)
        else:
            logout_user()
            flash(_("Your account is deleted. Thank you for using Infrashare."), "info")
            return redirect(url_for("site.index"))
    return render_template("accounts/delete.html", form=form), status

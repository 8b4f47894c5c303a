"""Seasonal round pages: the public list of open rounds and their rules; an organisation's
application (several wish rows, no JavaScript needed), its result with the explanation in
words, the nearest alternatives and the prices, accept or decline; the department's round:
open it, watch applications, run the allocator, review a weekly grid per facility, move,
remove or lock allocations (conflicts shown at once), run again, publish.

Every route: load or 404 (also when the user may not see it) → can_* or 403 → form → one
service call in one unit of work.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from booking import navigation, panels
from booking.accounts.models import Department, Organisation, Role, User
from booking.errors import DomainError
from booking.extensions import db
from booking.facilities.availability import local_instant
from booking.facilities.models import Facility
from booking.seasons import messages, personal, rules, services  # noqa: F401  (personal: its part of a person's data)
from booking.seasons.forms import ApplicationForm, MoveForm, RoundForm
from booking.seasons.messages import (ACTOR_LABELS, AGE_LABELS, APPLICATION_LABELS, FREQUENCY_LABELS,
                                      PARITY_LABELS, RESPONSE_LABELS, STATE_LABELS, WEEKDAYS)
from booking.seasons.models import AgeGroup, Allocation, Application, Frequency, Round, RoundState
from booking.site import attempt, flash_errors
from booking.unit_of_work import unit_of_work

bp = Blueprint("seasons", __name__)
GRID_STEP = 30  # minutes per row of the weekly grid


def _is_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in (Role.admin, Role.facility_manager)


navigation.add("seasons.index", _l("Seasonal rounds"), order=32)


@bp.record_once
def _template_globals(state):
    messages.init_app(state.app)
    state.app.jinja_env.globals.update(
        round_state_labels=STATE_LABELS, age_labels=AGE_LABELS, frequency_labels=FREQUENCY_LABELS,
        parity_labels=PARITY_LABELS, application_labels=APPLICATION_LABELS, response_labels=RESPONSE_LABELS,
        actor_labels=ACTOR_LABELS, season_weekday_labels=WEEKDAYS,
        round_state=lambda round_: STATE_LABELS[rules.shown_state(round_, datetime.now(_zone()))])


def _rounds_panel(organisation=None, **page) -> dict:
    if organisation is None:
        return {"season_applications": [], "open_rounds": []}
    found = db.session.scalars(select(Application).where(Application.organisation_id == organisation.id)
                               .order_by(Application.id.desc()).limit(10))
    return {"season_applications": list(found), "open_rounds": services.public_rounds()}


panels.register("organisation_reservations", "seasons", "seasons/_organisation_panel.html", _rounds_panel, order=45)


# --- loading ------------------------------------------------------------------------------------------

def _me() -> User:
    return current_user._get_current_object()


def _round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None or not rules.can_view_round(current_user, round_):
        abort(404)
    return round_


def _managed(round_id: int) -> Round:
    round_ = _round(round_id)
    if not rules.can_manage_round(current_user, round_):
        abort(404 if round_.state == RoundState.draft else 403)
    return round_


def _allocation(allocation_id: int) -> Allocation:
    allocation = db.session.get(Allocation, allocation_id)
    if allocation is None or not rules.can_manage_round(current_user, allocation.round):
        abort(404)
    return allocation


def _own_application(round_id: int):
    """The round and the acting organisation's application to it; 404 if it has none."""
    round_ = _round(round_id)
    organisation = _acting_organisation()
    application = services.application_of(round_, organisation.id) if organisation else None
    if application is None:
        abort(404)
    return round_, application


def _acting_organisation() -> Organisation | None:
    """The organisation the member acts for: `?organisation_id=` if a member of it, else the current one."""
    wanted = request.values.get("organisation_id", type=int)
    if wanted is not None:
        return next((m.organisation for m in current_user.memberships if m.organisation_id == wanted), None)
    if current_user.current_organisation is not None:
        return current_user.current_organisation
    return current_user.memberships[0].organisation if current_user.memberships else None


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


# --- public --------------------------------------------------------------------------------------------

@bp.route("/rounds")
def index():
    """Open rounds for everyone; a member's applications; a manager's rounds."""
    mine = services.applications_of(_me()) if current_user.is_authenticated else []
    managed = services.managed_rounds(_me()) if _is_staff(current_user) else []
    return render_template("seasons/index.html", rounds=services.public_rounds(), applications=mine,
                           managed=managed, can_create=_is_staff(current_user))


@bp.route("/rounds/<int:round_id>")
def detail(round_id: int):
    round_ = _round(round_id)
    organisation = _acting_organisation() if current_user.is_authenticated else None
    application = services.application_of(round_, organisation.id) if organisation else None
    return render_template("seasons/detail.html", round=round_, rules_=rules.rules_of(round_),
                           organisation=organisation, application=application,
                           window_open=rules.window_open(round_, datetime.now(_zone())),
                           can_manage=rules.can_manage_round(current_user, round_))


# --- the organisation ---------------------------------------------------------------------------------

@bp.route("/rounds/<int:round_id>/apply", methods=["GET", "POST"])
@login_required
def apply(round_id: int):
    round_ = _round(round_id)
    organisation = _acting_organisation()
    if organisation is None:
        abort(403)
    application = services.application_of(round_, organisation.id)
    form = ApplicationForm(facilities=round_.facilities)
    changed = request.method == "POST" and form.change_rows(request.form)
    if request.method == "GET":
        if application is not None and application.wishes:
            form.load_wishes(application.wishes)
            form.based_in_city.data, form.note.data = application.based_in_city, application.note
        else:
            form.set_facilities_again()
    if not changed and form.validate_on_submit():
        rows = form.used_rows()
        data = services.ApplicationInput(
            wishes=[services.WishInput(purpose=row.purpose.data or "", weekday=row.weekday.data,
                                       earliest=row.earliest.data, latest=row.latest.data,
                                       duration_minutes=row.duration.data, facility_ids=row.ranked(),
                                       participants=row.participants.data or 1,
                                       age_group=AgeGroup(row.age_group.data), frequency=Frequency(row.frequency.data))
                    for row in rows],
            based_in_city=form.based_in_city.data, note=form.note.data or "")
        try:
            with unit_of_work():
                services.save_application(_me(), round_, organisation, data)
        except DomainError as exc:
            form.place_wish_errors(exc.field_messages, rows)
            flash_errors(type(exc)(*exc.messages, field_errors=exc.field_messages), form)
        else:
            flash(_("Your application is saved. You can change it until the deadline."), "success")
            return redirect(url_for("seasons.result", round_id=round_.id, organisation_id=organisation.id))
    return render_template("seasons/apply.html", form=form, round=round_, organisation=organisation,
                           application=application)


@bp.route("/rounds/<int:round_id>/withdraw", methods=["POST"])
@login_required
def withdraw(round_id: int):
    round_, application = _own_application(round_id)
    ok, _done = attempt(services.withdraw_application, _me(), application)
    if ok:
        flash(_("Your application is withdrawn."), "success")
    return redirect(url_for("seasons.detail", round_id=round_.id))


def _wish_view(wish, facility_names: dict[int, str]) -> dict:
    allocation = wish.allocation
    dates, total_cents = services.series_prices(allocation) if allocation is not None else (0, 0)
    return {"wish": wish, "allocation": allocation, "dates": dates, "total_cents": total_cents,
            "explanation": messages.explain(wish.reasons, facility_names, granted=allocation is not None),
            "alternatives": [{**a, "facility": facility_names.get(a["facility_id"], "")}
                             for a in wish.alternatives or []]}


@bp.route("/rounds/<int:round_id>/application")
@login_required
def result(round_id: int):
    """The organisation's application and, once published, its result with the explanation."""
    round_, application = _own_application(round_id)
    names = {f.id: f.name for f in round_.facilities}
    shown = round_.state == RoundState.published
    left_out = [x for x in round_.left_out or []
                if x["allocation_id"] in {a.id for a in services.allocations_of(application)}]
    return render_template("seasons/result.html", round=round_, application=application, published=shown,
                           wishes=[_wish_view(w, names) for w in application.wishes], left_out=left_out,
                           window_open=rules.window_open(round_, datetime.now(_zone())))


@bp.route("/rounds/<int:round_id>/respond", methods=["POST"])
@login_required
def respond(round_id: int):
    round_, application = _own_application(round_id)
    accept = request.form.get("answer") == "accept"
    ok, _done = attempt(services.respond, _me(), application, accept)
    if ok:
        flash(_("Thank you: your season is confirmed.") if accept
              else _("You declined the season; its coming dates are cancelled."), "success")
    return redirect(url_for("seasons.result", round_id=round_.id, organisation_id=application.organisation_id))


# --- the department ------------------------------------------------------------------------------------

def _departments_for(user) -> list[Department]:
    if user.role == Role.admin:
        return list(db.session.scalars(select(Department).order_by(Department.name)))
    return sorted(user.departments, key=lambda d: d.name)


def _fill_round_form(form: RoundForm, round_: Round | None) -> None:
    user = _me()
    departments = _departments_for(user)
    choices = [(d.id, d.name) for d in departments]
    if user.role == Role.admin:
        choices = [(None, _("City-wide (every department)"))] + choices
    form.department.choices = choices
    department_ids = [d.id for d in departments]
    facilities = db.session.scalars(select(Facility).where(Facility.department_id.in_(department_ids or [0]))
                                    .order_by(Facility.name))
    form.facilities.choices = [(f.id, f.name) for f in facilities]
    if round_ is not None:
        form.department.render_kw = {"disabled": True}


def _round_input(form: RoundForm, department_id: int | None) -> services.RoundInput:
    zone = _zone()
    ids = form.facilities.data or []
    facilities = list(db.session.scalars(select(Facility).where(Facility.id.in_(ids or [0])))) if ids else []
    weights = {key: getattr(form, f"weight_{key}").data or 1 for key in ACTOR_LABELS}
    return services.RoundInput(
        name=form.name.data or "", description=form.description.data or "",
        season_start=form.season_start.data, season_end=form.season_end.data,
        opens_dt=local_instant(form.opens.data, time(0), zone),
        closes_dt=local_instant(form.closes.data + timedelta(days=1), time(0), zone),
        facilities=facilities, department_id=department_id,
        cap_minutes_per_week=form.cap_hours.data * 60 if form.cap_hours.data else None,
        priority_rules={"actor_weights": weights, "youth_bonus": form.youth_bonus.data or 0,
                        "city_bonus": form.city_bonus.data or 0, "continuity_bonus": form.continuity_bonus.data or 0})


@bp.route("/rounds/new", methods=["GET", "POST"])
@login_required
def create():
    if not _is_staff(current_user):
        abort(403)
    form = RoundForm()
    _fill_round_form(form, None)
    if form.validate_on_submit():
        department_id = form.department.data
        ok, made = attempt(services.create_round, _me(), _round_input(form, department_id), form=form)
        if ok:
            flash(_("The round is saved as a draft. Open it when it is ready."), "success")
            return redirect(url_for("seasons.manage", round_id=made.id))
    return render_template("seasons/round_form.html", form=form, round=None)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@login_required
def edit(round_id: int):
    round_ = _managed(round_id)
    form = RoundForm()
    _fill_round_form(form, round_)
    if request.method == "GET":
        zone = _zone()
        form.name.data, form.description.data = round_.name, round_.description
        form.department.data = round_.department_id
        form.season_start.data, form.season_end.data = round_.season_start, round_.season_end
        form.opens.data = round_.opens_dt.astimezone(zone).date()
        form.closes.data = (round_.closes_dt.astimezone(zone) - timedelta(seconds=1)).date()
        form.facilities.data = [f.id for f in round_.facilities]
        form.cap_hours.data = round_.cap_minutes_per_week // 60 if round_.cap_minutes_per_week else None
        found = rules.rules_of(round_)
        for key in ACTOR_LABELS:
            getattr(form, f"weight_{key}").data = found["actor_weights"].get(key, 1)
        form.youth_bonus.data, form.city_bonus.data = found["youth_bonus"], found["city_bonus"]
        form.continuity_bonus.data = found["continuity_bonus"]
    if form.validate_on_submit():
        ok, _done = attempt(services.update_round, _me(), round_, _round_input(form, round_.department_id), form=form)
        if ok:
            flash(_("The round is saved."), "success")
            return redirect(url_for("seasons.manage", round_id=round_.id))
    return render_template("seasons/round_form.html", form=form, round=round_)


@bp.route("/rounds/<int:round_id>/<any(open, close, allocate, publish):action>", methods=["POST"])
@login_required
def act(round_id: int, action: str):
    round_ = _managed(round_id)
    use_case = {"open": services.open_round, "close": services.close_round, "allocate": services.allocate,
                "publish": services.publish}[action]
    extra = {}
    if action == "allocate":  # the solver runs before the unit of work: its seconds hold no write lock
        try:
            extra["proposal"] = services.propose(_me(), round_)
        except DomainError as exc:
            flash_errors(exc)
            return redirect(url_for("seasons.manage", round_id=round_.id))
    ok, _done = attempt(use_case, _me(), round_, **extra)
    if ok:
        flash({"open": _("The round is open for applications."), "close": _("The round is closed."),
               "allocate": _("The allocation is proposed: review it below."),
               "publish": _("The round is published: the series are booked and every applicant is told.")}[action],
              "success")
    return redirect(url_for("seasons.manage", round_id=round_.id))


def _grid(round_: Round, facility: Facility, allocations: list[Allocation], clashing: set[int]) -> dict:
    """A week of one facility as table rows (every half hour from its earliest opening to its
    latest closing) and, per weekday, the allocations starting in each row."""
    hours = [h for h in facility.opening_hours]
    first = min((h.start_time.hour * 60 + h.start_time.minute for h in hours), default=8 * 60)
    last = max((h.end_time.hour * 60 + h.end_time.minute for h in hours if h.end_time > h.start_time),
               default=22 * 60)
    for a in allocations:
        first = min(first, rules.minutes_of(a.start_time))
        last = max(last, rules.minutes_of(a.end_time))
    first -= first % GRID_STEP
    rows = []
    for start in range(first, last, GRID_STEP):
        cells = []
        for weekday in range(7):
            here = [a for a in allocations if a.weekday == weekday
                    and start <= rules.minutes_of(a.start_time) < start + GRID_STEP]
            busy = any(a.weekday == weekday and rules.minutes_of(a.start_time) < start + GRID_STEP
                       and rules.minutes_of(a.end_time) > start for a in allocations)
            cells.append({"starting": here, "busy": busy, "clash": any(a.id in clashing for a in here)})
        rows.append({"label": messages.minutes_label(start), "cells": cells})
    return {"facility": facility, "rows": rows}


@bp.route("/rounds/<int:round_id>/manage")
@login_required
def manage(round_id: int):
    round_ = _managed(round_id)
    applications = services.active_applications(round_)
    clashes = services.conflicts(round_) if round_.allocations else []
    clashing = {i for pair in clashes for i in pair}
    grids = [_grid(round_, f, [a for a in round_.allocations if a.facility_id == f.id], clashing)
             for f in round_.facilities]
    names = {f.id: f.name for f in round_.facilities}
    unallocated = [w for a in applications for w in a.wishes if w.allocation is None]
    move_forms = {}
    for allocation in round_.allocations:
        form = MoveForm(prefix=f"a{allocation.id}")
        form.facility.choices = [(f.id, f.name) for f in round_.facilities]
        form.facility.data, form.weekday.data = allocation.facility_id, allocation.weekday
        form.start_time.data, form.parity.data = allocation.start_time, allocation.parity
        move_forms[allocation.id] = form
    return render_template("seasons/manage.html", round=round_, applications=applications, grids=grids,
                           clashes=clashes, clashing=clashing, names=names, unallocated=unallocated,
                           move_forms=move_forms, explain=messages.explain,
                           now=datetime.now(_zone()), may_allocate=rules.may_allocate(round_, datetime.now(_zone())))


@bp.route("/rounds/allocations/<int:allocation_id>/move", methods=["POST"])
@login_required
def move(allocation_id: int):
    allocation = _allocation(allocation_id)
    round_ = allocation.round
    form = MoveForm(prefix=f"a{allocation.id}")
    form.facility.choices = [(f.id, f.name) for f in round_.facilities]
    if not form.validate_on_submit():
        for f in form:
            for e in f.errors:
                flash(f"{f.label.text}: {e}", "error")
        return redirect(url_for("seasons.manage", round_id=round_.id))
    facility = db.session.get(Facility, form.facility.data)
    ok, found = attempt(services.move_allocation, _me(), allocation, facility=facility, weekday=form.weekday.data,
                     start_time=form.start_time.data, parity=form.parity.data)
    if ok:
        if found:
            flash(_("Moved, but it now overlaps another allocation: see the conflicts marked below."), "error")
        else:
            flash(_("The allocation is moved."), "success")
    return redirect(url_for("seasons.manage", round_id=round_.id) + f"#allocation-{allocation.id}")


@bp.route("/rounds/allocations/<int:allocation_id>/remove", methods=["POST"])
@login_required
def remove(allocation_id: int):
    allocation = _allocation(allocation_id)
    round_id = allocation.round_id
    ok, _done = attempt(services.remove_allocation, _me(), allocation)
    if ok:
        flash(_("The allocation is removed."), "success")
    return redirect(url_for("seasons.manage", round_id=round_id))


@bp.route("/rounds/allocations/<int:allocation_id>/lock", methods=["POST"])
@login_required
def lock(allocation_id: int):
    allocation = _allocation(allocation_id)
    locked = request.form.get("locked") == "1"
    ok, _done = attempt(services.set_locked, _me(), allocation, locked)
    if ok:
        flash(_("Locked: the allocator keeps it when run again.") if locked else _("Unlocked."), "success")
    return redirect(url_for("seasons.manage", round_id=allocation.round_id) + f"#allocation-{allocation.id}")

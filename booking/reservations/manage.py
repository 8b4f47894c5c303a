"""The managers' reservation pages: the inbox (pending requests by decision deadline),
decisions, and a facility's calendar with internal blocks, check-in and no-shows.

Routes live on the reservations blueprint (endpoints stay `reservations.inbox` and so on).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from booking.accounts.forms import ACTOR_TYPE_LABELS
from booking import panels
from booking.api.pagination import paginate
from booking.database import utcnow
from booking.errors import DomainError
from booking.extensions import db
from booking.facilities.availability import local_day_bounds, local_instant
from booking.facilities import services as facility_services
from booking.facilities.models import Facility
from booking.facilities.search import week_start
from booking.formatting import local_time, time_range
from booking.reservations import rules, services
from booking.reservations.forms import ApproveForm, BlockForm, RejectForm, ReturnForm
from booking.reservations.models import Reservation, ReservationStatus
from booking.pricing import subsidy
from booking.reservations.views import (_button_pressed, _decidable, _local_date_arg, _managed_facility,
                                        answer_rows, bp, group_entries, price_context, start_label)
from booking.site import flash_errors, safe_next
from booking.unit_of_work import unit_of_work

S = ReservationStatus
INBOX_PAGE = 100
CALENDAR_STATUSES = (S.held, S.pending, S.confirmed, S.completed, S.no_show)


# --- closures that land on bookings (a panel of the facility's closures page) ----------------

panels.register("facility_closures", "affected", "reservations/_closure_conflicts.html",
                lambda facility, **page: {"conflicts": services.reservations_in_closures(facility)})
facility_services.count_affected_with(services.count_in_closures)


# --- the manager's inbox and decisions -------------------------------------------------------

@bp.get("/reservations/inbox")
@login_required
def inbox():
    if not rules.can_view_inbox(current_user):
        abort(403)
    now = utcnow()
    page = max(request.args.get("page", 1, type=int), 1)
    pending, total = paginate(services.manager_inbox(current_user), page, INBOX_PAGE)
    facilities = select(Facility).order_by(Facility.name)
    if not current_user.is_admin:
        facilities = facilities.where(Facility.department_id.in_(current_user.department_ids or [-1]))
    return render_template("reservations/inbox.html", entries=group_entries(pending), now=now, total=total,
                           page=page, per_page=INBOX_PAGE, overdue=services.count_overdue_for(current_user, now=now),
                           facilities=db.session.scalars(facilities).all(), panels=panels.render("inbox"))


def agenda(facility: Facility, first_day: date, days: int, *, now: datetime) -> list[tuple[date, list]]:
    """The facility's reservations and blocks day by day, each with its hours that day as
    words (one spanning several days is on each of them)."""
    zone = ZoneInfo(facility.timezone)
    window_start = local_day_bounds(first_day, zone).start
    window_end = local_day_bounds(first_day + timedelta(days=days - 1), zone).end
    rows = [r for r in db.session.scalars(services.visible_reservations(
        current_user, facility_id=facility.id, statuses=[s.value for s in CALENDAR_STATUSES], from_dt=window_start,
        to_dt=window_end)) if r.is_blocking(now) or r.status in (S.completed, S.no_show)]
    result = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        bounds = local_day_bounds(day, zone)
        items = []
        for r in rows:
            if r.start_dt < bounds.end and r.end_dt > bounds.start:
                hours = (start_label(r.start_dt, r.end_dt, facility.timezone) if r.start_dt >= bounds.start
                         else time_range(r.start_dt, r.end_dt, facility.timezone))
                items.append((r, hours))
        result.append((day, items))
    return result


def _subsidy_warning(reservation: Reservation, now: datetime) -> dict | None:
    """Whether approving would take a company past the subsidy ceiling (de minimis): at the
    quoted price, and if the manager made it free."""
    kept, organisation = reservation.price, reservation.organisation
    if kept is None or organisation is None or not subsidy.is_company(organisation):
        return None
    at_quote = subsidy.would_exceed_ceiling(organisation, kept.undiscounted_gross_cents - kept.gross_cents, now=now)
    if_free = subsidy.would_exceed_ceiling(organisation, kept.undiscounted_gross_cents, now=now)
    if not (at_quote or if_free):
        return None
    return {"at_quote": at_quote, "if_free": if_free, "received_cents": subsidy.subsidy_received(organisation.id, now=now),
            "ceiling_cents": subsidy.ceiling_cents()}


def _decide_page(reservation: Reservation, status: int = 200, **forms):
    forms.setdefault("approve_form", ApproveForm(formdata=None))
    forms.setdefault("reject_form", RejectForm(formdata=None))
    forms.setdefault("return_form", ReturnForm(formdata=None))
    facility = reservation.facility
    now = utcnow()
    monday = week_start(reservation.start_dt.astimezone(ZoneInfo(facility.timezone)).date())
    series_pending = [r for r in reservation.series.reservations if r.status == S.pending] if reservation.series else []
    return render_template(
        "reservations/decide.html", reservation=reservation, facility=facility, now=now, actor_types=ACTOR_TYPE_LABELS,
        **price_context(reservation), subsidy_warning=_subsidy_warning(reservation, now),
        days=agenda(facility, monday, 7, now=now), answers=answer_rows(reservation), series_pending=series_pending,
        history=(services.organisation_history(reservation.organisation_id, now=now)
                 if reservation.organisation_id else None), **forms), status


@bp.get("/reservations/<int:reservation_id>/decide")
@login_required
def decide(reservation_id: int):
    return _decide_page(_decidable(reservation_id))


def _decision(reservation_id: int, form_class, form_name: str, act):
    """A decision form posted: validate, run `act(reservation, form)` (a service call that
    returns the response), or show the decision page again with every reason."""
    reservation = _decidable(reservation_id)
    form = form_class()
    if not form.validate_on_submit():
        return _decide_page(reservation, 422, **{form_name: form})
    try:
        with unit_of_work():
            response = act(reservation, form)
        return response
    except DomainError as exc:
        flash_errors(exc, form)
        return _decide_page(reservation, exc.status, **{form_name: form})


def _back_to_inbox(message: str):
    flash(message, "success")
    return redirect(url_for("reservations.inbox"))


@bp.post("/reservations/<int:reservation_id>/approve")
@login_required
def approve(reservation_id: int):
    def act(reservation, form):
        note = form.internal_note.data
        if request.form.get("scope") == "series" and reservation.series is not None:
            approved = services.approve_series(current_user, reservation.series, internal_note=note)
        else:
            approved = [services.approve(current_user, reservation, internal_note=note,
                                         price_cents=form.decided_price_cents)]
        return _back_to_inbox(ngettext("Approved. The booker is told by e-mail.",
                                       "%(num)d occurrences approved. The booker is told by e-mail.", len(approved)))
    return _decision(reservation_id, ApproveForm, "approve_form", act)


@bp.post("/reservations/<int:reservation_id>/reject")
@login_required
def reject(reservation_id: int):
    def act(reservation, form):
        services.reject(current_user, reservation, form.reason.data, internal_note=form.internal_note.data)
        return _back_to_inbox(_("Declined. The reason is sent to the booker."))
    return _decision(reservation_id, RejectForm, "reject_form", act)


@bp.post("/reservations/<int:reservation_id>/return")
@login_required
def return_to_handling(reservation_id: int):
    def act(reservation, form):
        services.return_to_handling(current_user, reservation, internal_note=form.internal_note.data)
        flash(_("The request is back in handling, with a new decision deadline."), "success")
        return redirect(url_for("reservations.decide", reservation_id=reservation.id))
    return _decision(reservation_id, ReturnForm, "return_form", act)


# --- the facility's calendar for managers ---------------------------------------------------

def _calendar_page(facility: Facility, status: int = 200, block_form: BlockForm | None = None):
    zone = ZoneInfo(facility.timezone)
    now = utcnow()
    today = now.astimezone(zone).date()
    view = "day" if request.args.get("view") == "day" else "week"
    day = _local_date_arg("date", today)
    first = day if view == "day" else week_start(day)
    length = 1 if view == "day" else 7
    step = timedelta(days=length)
    return render_template(
        "reservations/calendar.html", facility=facility, view=view, day=day, today=today, now=now,
        days=agenda(facility, first, length, now=now), prev_day=(first - step).isoformat(),
        next_day=(first + step).isoformat(),
        block_form=block_form or BlockForm(formdata=None, start_date=day)), status


@bp.get("/reservations/calendar/<slug>")
@login_required
def calendar(slug: str):
    return _calendar_page(_managed_facility(slug))


@bp.post("/reservations/calendar/<slug>/blocks")
@login_required
def block(slug: str):
    """An internal block: maintenance or city use, occupying time without an organisation."""
    facility = _managed_facility(slug)
    form = BlockForm()
    if not form.validate_on_submit():
        return _calendar_page(facility, 422, block_form=form)
    zone = ZoneInfo(facility.timezone)
    start = local_instant(form.start_date.data, form.start_time.data, zone)
    end = local_instant(form.end_date.data or form.start_date.data, form.end_time.data, zone)
    try:
        with unit_of_work():
            services.create_internal_block(current_user, facility, start, end, title=form.title.data,
                                           internal_note=form.internal_note.data or "")
    except DomainError as exc:
        flash_errors(exc, form)
        return _calendar_page(facility, exc.status, block_form=form)
    flash(_("The time is blocked: %(when)s.", when=time_range(start, end, facility.timezone)), "success")
    return redirect(url_for("reservations.calendar", slug=slug, date=form.start_date.data.isoformat()))


# --- check-in and no-show: confirmed first, undone for a while ------------------------------

DAY_ACTIONS = {
    "check_in": {"act": services.check_in, "endpoint": "reservations.check_in"},
    "no_show": {"act": services.mark_no_show, "endpoint": "reservations.no_show"},
}


def _back_to_day(reservation: Reservation) -> str:
    """Where a day action returns: the page it came from (`next`), else the facility's day."""
    zone = ZoneInfo(reservation.facility.timezone)
    return safe_next() if request.values.get("next") else url_for(
        "reservations.calendar", slug=reservation.facility.slug, view="day",
        date=reservation.start_dt.astimezone(zone).date().isoformat())


def _day_action(reservation_id: int, name: str):
    """GET: the confirmation page (works without JavaScript). POST with `confirm`: do it; the
    booker is told once the undo window has passed. A POST without `confirm` shows the page."""
    reservation = _decidable(reservation_id)
    if request.method == "GET" or not request.form.get("confirm"):
        if request.method == "POST":
            _button_pressed()
        return render_template("reservations/confirm_day_action.html", reservation=reservation, action=name,
                               endpoint=DAY_ACTIONS[name]["endpoint"], back=_back_to_day(reservation),
                               window=services.undo_window(), now=utcnow())
    _button_pressed()
    try:
        with unit_of_work():
            DAY_ACTIONS[name]["act"](current_user, reservation)
    except DomainError as exc:
        flash_errors(exc)
    else:
        until = services.undo_until(reservation)
        message = (_("Checked in: %(title)s.", title=reservation.title) if name == "check_in"
                   else _("Marked as not shown up: %(title)s.", title=reservation.title))
        flash(message + " " + _("You can undo it until %(time)s; the booker is told after that.",
                                time=local_time(until, reservation.facility.timezone, "HH:mm")), "success")
    return redirect(_back_to_day(reservation))


@bp.route("/reservations/<int:reservation_id>/check-in", methods=["GET", "POST"])
@login_required
def check_in(reservation_id: int):
    return _day_action(reservation_id, "check_in")


@bp.route("/reservations/<int:reservation_id>/no-show", methods=["GET", "POST"])
@login_required
def no_show(reservation_id: int):
    return _day_action(reservation_id, "no_show")


@bp.post("/reservations/<int:reservation_id>/undo")
@login_required
def undo_day_action(reservation_id: int):
    """Take back a check-in or a no-show within the undo window."""
    reservation = _decidable(reservation_id)
    _button_pressed()
    was_no_show = reservation.status == S.no_show
    try:
        with unit_of_work():
            services.undo_day_action(current_user, reservation)
    except DomainError as exc:
        flash_errors(exc)
    else:
        flash(_("The no-show is undone: %(title)s is confirmed again.", title=reservation.title) if was_no_show
              else _("The check-in is undone: %(title)s.", title=reservation.title), "success")
    return redirect(_back_to_day(reservation))

"""Reservation pages: the booking flow, series, the booker's and the organisation's lists,
and the managers' inbox, decisions and facility calendar.

Booking takes one URL per step, so the browser's back button works:
choose (`/reservations/book/<slug>`, also on the facility page) → a 15-minute hold →
details → review (terms beside the button) → confirmation. The details are kept in the
signed session cookie between the details and the review step; the hold keeps the time.
A series goes choose → preview (every occurrence, skip the ones that cannot be booked,
the details and the terms) → confirmation.

Every route: log in → load or 404 → can_* or 403 → form → service → render. A route that
changes something runs its service calls in one `unit_of_work()`, which commits or rolls
back; services raise DomainError with every reason and the pages show them all. The
managers' pages (inbox, decisions, facility calendar) are in manage.py, on the same blueprint.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking import navigation, panels
from booking.audit import links as audit_links
from booking.reservations import personal  # noqa: F401  (registers its part of a person's data)
from booking.accounts.forms import EmptyForm
from booking.accounts.models import Organisation
from booking.api.pagination import paginate
from booking.database import utcnow
from booking.errors import DomainError, Message
from booking.extensions import db
from booking.facilities.availability import local_instant
from booking.facilities.models import Facility
from booking.facilities.rules import can_view_facility
from booking.facilities.schedules import ruleset_for
from booking.facilities.search import SearchTime, parse_date
from booking.pricing import services as pricing
from booking.reservations import month_grid, rules, services
from booking.reservations.forms import (CancelForm, ChangeTimeForm,
                                        MultiDayForm, RepeatForm, TermsForm, build_rrule,
                                        details_form)
from booking.reservations.models import HoldEnd, Reservation, ReservationStatus, Series
from booking.formatting import duration as format_duration
from booking.formatting import local_time, money, time_range
from booking.reservations.messages import status_message
from booking.site import flash_errors, safe_next
from booking.unit_of_work import unit_of_work

S = ReservationStatus
bp = Blueprint("reservations", __name__)

audit_links.register("Reservation", _l("Reservation"), "reservations.detail", "reservation_id")
audit_links.register("Series", _l("Recurring reservation"))

DRAFT = "reservation_draft"
WHEN = "EEE d MMM y HH:mm"  # how pages write an instant, in the facility's time zone
DAY_MINUTES = 24 * 60
MAX_DURATION_CHOICES = 48
NEXT_FREE_DAYS = 14        # how far the choose step looks for the next day with free times
LIST_PAGE = 100
# The tabs of a list of reservations (?show=…): links, so they work without JavaScript.
LIST_TABS = ("upcoming", "pending", "past", "cancelled")
CALENDAR_LIMIT = 500       # reservations a month of the calendar view shows at most


navigation.add("reservations.mine", _l("My reservations"), order=30,
               visible=lambda user: user.is_authenticated and bool(user.memberships))
navigation.add("reservations.inbox", _l("Inbox"), order=35, visible=rules.can_view_inbox, badge=services.count_pending_for)


# --- words and times ---------------------------------------------------------------------

def start_label(start: datetime, end: datetime, tz: str) -> str:
    """A start button's text: '10:00–12:00', with the end's date when it is on a later day."""
    zone = ZoneInfo(tz)
    first, last = start.astimezone(zone), end.astimezone(zone)
    if first.date() == last.date() or (last.time() == time(0) and (last.date() - first.date()).days == 1):
        return f"{first:%H:%M}–{last:%H:%M}"
    return f"{first:%H:%M}–{local_time(end, tz, 'EEE d MMM HH:mm')}"


def status_label(reservation: Reservation) -> str:
    return str(status_message(reservation.status))


def describe_rrule(rule: str) -> str:
    """'Weekly', 'Every 2 weeks', 'Monthly'… for a series' rule (the dates are listed anyway)."""
    parts = dict(p.split("=", 1) for p in rule.upper().split(";") if "=" in p)
    every = int(parts.get("INTERVAL", "1") or 1)
    frequency = parts.get("FREQ", "")
    if frequency == "WEEKLY":
        return ngettext("Weekly", "Every %(num)d weeks", every)
    if frequency == "MONTHLY":
        return ngettext("Monthly", "Every %(num)d months", every)
    if frequency == "DAILY":
        return ngettext("Daily", "Every %(num)d days", every)
    return _("Repeating")


def answer_rows(reservation: Reservation) -> list[tuple[str, str]]:
    """The answers to the facility's questions as (question, answer) in words."""
    labels = {str(q.id): q.t("label") for q in reservation.facility.questions}
    words = {True: _("Yes"), False: _("No")}
    return [(labels.get(key, key), words.get(value, value) if isinstance(value, bool) else str(value))
            for key, value in (reservation.answers or {}).items()]


@bp.app_context_processor
def _template_helpers():
    return {"reservation_time": time_range, "reservation_status": status_label,
            "reservation_rules": rules, "reservation_rule_text": describe_rrule, "hold_banner": hold_banner,
            "reservation_undo_until": services.undo_until}


def hold_banner() -> Markup:
    """On every page (base.html): the booking the person has started and not sent, the time
    left on its hold and a link back to finish it. Not on the steps that already show it."""
    if not current_user.is_authenticated or not current_user.memberships:
        return Markup("")
    held = services.open_hold(current_user.id)
    if held is None:
        return Markup("")
    here = request.view_args or {}
    if request.endpoint in ("reservations.details", "reservations.review") and here.get("reservation_id") == held.id:
        return Markup("")
    if request.endpoint in ("facilities.detail", "reservations.choose") and here.get("slug") == held.facility.slug:
        return Markup("")  # the booking panel there says it, with the way to continue
    now = utcnow()
    left = held.hold_expires_dt - now if held.hold_expires_dt else None
    finish = url_for("reservations.review" if _draft(held) else "reservations.details", reservation_id=held.id)
    return Markup(render_template("reservations/_hold_banner.html", held=held, finish_url=finish,
                                  minutes_left=max(1, -(-int(left.total_seconds()) // 60)) if left and left > timedelta(0)
                                  else None))


# --- loading, with 404 and 403 -----------------------------------------------------------

def _facility(slug: str) -> Facility:
    facility = db.session.scalar(select(Facility).where(Facility.slug == slug))
    if facility is None or not can_view_facility(current_user, facility):
        abort(404)
    return facility


def _managed_facility(slug: str) -> Facility:
    facility = _facility(slug)
    if not rules.can_block_facility(current_user, facility):
        abort(403)
    return facility


def _visible(reservation_id: int) -> Reservation:
    """The reservation if the user may see it; 404 otherwise (its existence is not revealed)."""
    reservation = services.get_reservation(reservation_id)
    if reservation is None or not rules.can_view_reservation(current_user, reservation):
        abort(404)
    return reservation


def _decidable(reservation_id: int) -> Reservation:
    """404 unless the user may see it (its existence is not revealed); 403 if they may see but not decide."""
    reservation = _visible(reservation_id)
    if not rules.can_decide_reservation(current_user, reservation):
        abort(403)
    return reservation


def _own_hold(reservation_id: int) -> Reservation:
    """A reservation the user is booking (details and review are only for the one who chose)."""
    reservation = services.get_reservation(reservation_id)
    if reservation is None or reservation.user_id != current_user.id:
        abort(404)
    return reservation


def _acting_organisation() -> Organisation | None:
    """The organisation the user books for: the one they act for, if they are a member."""
    organisation = current_user.current_organisation if current_user.is_authenticated else None
    if organisation is None and current_user.is_authenticated and current_user.memberships:
        organisation = current_user.memberships[0].organisation
    return organisation


def _button_pressed() -> None:
    if not EmptyForm().validate_on_submit():
        abort(400)


def _local_date_arg(name: str, default: date) -> date:
    try:
        return parse_date(request.args[name]) if request.args.get(name) else default
    except ValueError:
        return default


# --- choose a time -----------------------------------------------------------------------

def duration_choices(facility: Facility) -> list[tuple[int, str]]:
    """The durations the choose step offers: multiples of the slot within the facility's
    limits, up to a day (longer bookings give a start and an end date)."""
    limits = ruleset_for(facility)
    slot = int(limits.slot.total_seconds() // 60)
    low = int(limits.min_duration.total_seconds() // 60)
    high = min(int(limits.longest.total_seconds() // 60) if limits.longest else DAY_MINUTES, DAY_MINUTES)
    first = -(-low // slot) * slot
    values = list(range(first, high + 1, slot))
    if len(values) > MAX_DURATION_CHOICES:
        values = [v for v in values if v == first or v % 60 == 0]
    return [(v, format_duration(timedelta(minutes=v))) for v in values]


@dataclass
class Choice:
    """What the choose step shows: a day, a duration and the start times free for it."""
    facility: Facility
    day: date
    minutes: int
    durations: list[tuple[int, str]]
    starts: list[tuple[str, str]]          # (ISO start, button text)
    first_day: date
    last_day: date
    chosen: tuple[str, str] | None = None  # the start the URL asked for, if it is free
    chosen_taken: str | None = None        # … or its time, if it is not
    next_day: date | None = None
    organisation: Organisation | None = None
    keep: dict = field(default_factory=dict)  # query parameters the date form carries on
    refresh_url: str = ""
    repeat_form: RepeatForm | None = None
    multi_form: MultiDayForm | None = None
    out_of_range: Message | None = None    # why the asked day cannot be booked at all
    own_hold: Reservation | None = None    # a time the person holds here already (they came back)
    own_hold_url: str = ""                 # … and the step to finish booking it

    @property
    def multi_day(self) -> bool:
        return ruleset_for(self.facility).allow_multi_day

    @property
    def quota(self) -> tuple[int, int] | None:
        """(active reservations of the acting organisation here, the facility's limit), if it has one."""
        limit = self.facility.rules.max_active_per_organisation if self.facility.rules else None
        if not limit or self.organisation is None:
            return None
        return services.organisation_active_count(self.organisation.id, self.facility.id), limit

    @property
    def hold_url(self) -> str:
        return url_for("reservations.hold", slug=self.facility.slug, date=self.day.isoformat(), duration=self.minutes)

    def login_url(self, start_iso: str | None = None) -> str:
        """Log in, then come back to this choice (with the start, if one was picked)."""
        params = {"date": self.day.isoformat(), "duration": self.minutes}
        if start_iso:
            params["time"] = datetime.fromisoformat(start_iso).astimezone(ZoneInfo(self.facility.timezone)) \
                .strftime("%H:%M")
        return url_for("accounts.login", next=url_for("reservations.choose", slug=self.facility.slug, **params))


def _choice(facility: Facility, args, *, refresh_url: str, keep=(), repeat_form=None, multi_form=None) -> Choice:
    zone = ZoneInfo(facility.timezone)
    limits = ruleset_for(facility)
    now = utcnow()
    earliest, latest = limits.start_bounds(now)
    first_day, last_day = earliest.astimezone(zone).date(), latest.astimezone(zone).date()
    when = SearchTime.from_args(args)
    durations = duration_choices(facility)
    minutes = int(when.duration.total_seconds() // 60) if when.duration else None
    if minutes not in dict(durations):
        minutes = durations[0][0] if durations else int(limits.min_duration.total_seconds() // 60)
    day = when.date or first_day
    duration = timedelta(minutes=minutes)
    out_of_range = None
    if not first_day <= day <= last_day:
        # Explained, never silently replaced by another date: the person would book the wrong day.
        out_of_range = (Message("reservation.day_too_soon", day=day, first=first_day, minutes=limits.min_notice)
                        if day < first_day else
                        Message("reservation.day_too_far", day=day, last=last_day, days=limits.max_advance.days))

    def starts_on(some_day: date) -> list[datetime]:
        return services.bookable_start_times(facility, some_day, duration, now=now)

    starts = starts_on(day)
    choice = Choice(facility, day, minutes, durations, [(s.isoformat(), start_label(s, s + duration, facility.timezone))
                                                        for s in starts], first_day, last_day,
                    organisation=_acting_organisation(), refresh_url=refresh_url,
                    keep={k: args[k] for k in keep if args.get(k)},
                    repeat_form=repeat_form or RepeatForm(formdata=None),
                    multi_form=multi_form or MultiDayForm(formdata=None, start_date=day, end_date=day + timedelta(1)),
                    out_of_range=out_of_range)
    if current_user.is_authenticated and choice.organisation is not None:
        _keep_own_hold(choice, duration)
    if out_of_range is not None:
        choice.next_day = first_day if day < first_day else None
        return choice
    if when.time is not None:
        asked = local_instant(day, when.time, zone)
        match = [s for s in choice.starts if s[0] == asked.isoformat()]
        if match:
            choice.chosen = match[0]
        else:
            choice.chosen_taken = when.time.strftime("%H:%M")
    if not starts:
        candidate = max(day + timedelta(days=1), first_day)
        while candidate <= min(last_day, day + timedelta(days=NEXT_FREE_DAYS)):
            if starts_on(candidate):
                choice.next_day = candidate
                break
            candidate += timedelta(days=1)
    return choice


def _keep_own_hold(choice: Choice, duration: timedelta) -> None:
    """Someone who went back from the details keeps their held time: it is offered to continue
    with, and on its day, among the start buttons (it is busy only because they hold it)."""
    held = services.open_hold(current_user.id, choice.facility.id)
    if held is None:
        return
    choice.own_hold = held
    choice.own_hold_url = url_for("reservations.review" if _draft(held) else "reservations.details",
                                  reservation_id=held.id)
    local_start = held.start_dt.astimezone(ZoneInfo(choice.facility.timezone))
    if local_start.date() == choice.day and held.end_dt - held.start_dt == duration:
        start = held.start_dt.astimezone(timezone.utc)
        own = (start.isoformat(), start_label(held.start_dt, held.end_dt, choice.facility.timezone))
        if own[0] not in {s for s, _label in choice.starts}:
            choice.starts = sorted(choice.starts + [own], key=lambda s: datetime.fromisoformat(s[0]))


def facility_choice(facility: Facility) -> Choice:
    """The choose step inside the facility page (its date form reloads that page)."""
    return _choice(facility, request.args, refresh_url=url_for("facilities.detail", slug=facility.slug),
                   keep=("size",))


panels.register("facility", "booking", "reservations/_facility_booking.html",
                lambda facility, **page: {"choice": facility_choice(facility)}, order=10)


def _own_hold_of_search(facility: Facility, when: SearchTime, **page) -> dict:
    """The searched time, if it is the one the person holds here: then the facility page says
    so instead of calling it taken (it is, by them)."""
    if not (current_user.is_authenticated and when.date and when.time and current_user.memberships):
        return {"held": None}
    held = services.open_hold(current_user.id, facility.id)
    asked = local_instant(when.date, when.time, ZoneInfo(facility.timezone))
    if held is None or held.start_dt != asked:
        return {"held": None}
    return {"held": held, "finish_url": url_for("reservations.review" if _draft(held) else "reservations.details",
                                                reservation_id=held.id)}


panels.register("facility", "own_hold", "reservations/_facility_own_hold.html", _own_hold_of_search, order=5)


def _choose_page(facility: Facility, status: int = 200, **forms):
    choice = _choice(facility, request.args, refresh_url=url_for("reservations.choose", slug=facility.slug), **forms)
    return render_template("reservations/choose.html", facility=facility, choice=choice), status


@bp.get("/reservations/book/<slug>")
def choose(slug: str):
    return _choose_page(_facility(slug))


def _chosen_interval(facility: Facility, multi_form: MultiDayForm) -> tuple[datetime, datetime] | None:
    """The time the person picked: a start button (with the duration), or the multi-day fields."""
    zone = ZoneInfo(facility.timezone)
    if "multi_day" in request.form:
        if not multi_form.validate():
            return None
        start = local_instant(multi_form.start_date.data, multi_form.start_time.data, zone)
        end = local_instant(multi_form.end_date.data, multi_form.end_time.data, zone)
        if end <= start:
            multi_form.end_time.errors.append(_("The end must be after the start."))
            return None
        return start, end
    try:
        start = datetime.fromisoformat(request.form.get("start", ""))
        minutes = int(request.form.get("duration", ""))
    except ValueError:
        start, minutes = None, 0
    if start is None or start.tzinfo is None or minutes <= 0:
        flash(_("Choose a start time."), "error")
        return None
    return start, start + timedelta(minutes=minutes)


@bp.post("/reservations/book/<slug>")
@login_required
def hold(slug: str):
    """A start was chosen: hold it and go on to the details, or preview the series."""
    facility = _facility(slug)
    organisation = _acting_organisation()
    repeat_form, multi_form = RepeatForm(), MultiDayForm()
    if organisation is None:
        flash(_("Only members of an organisation can book. Join or register an organisation first."), "error")
        return _choose_page(facility, 403)
    chosen = _chosen_interval(facility, multi_form)
    if "multi_day" not in request.form:
        multi_form = None  # not filled in: show it with its defaults
    if not repeat_form.validate() or chosen is None:
        return _choose_page(facility, 422, repeat_form=repeat_form, multi_form=multi_form)
    start, end = chosen
    if repeat_form.repeat.data:
        return redirect(url_for("reservations.series", slug=slug, start=start.isoformat(), end=end.isoformat(),
                                **repeat_form.params()))
    try:
        with unit_of_work():
            reservation = services.hold(current_user, facility, organisation, start, end)
    except DomainError as exc:
        flash_errors(exc, multi_form)
        return _choose_page(facility, exc.status, repeat_form=repeat_form, multi_form=multi_form)
    return redirect(url_for("reservations.details", reservation_id=reservation.id))


# --- details and review --------------------------------------------------------------------

def _draft(reservation: Reservation) -> dict | None:
    draft = session.get(DRAFT)
    return draft if draft and draft.get("id") == reservation.id else None


def _draft_answers(draft: dict) -> dict:
    return {k.removeprefix("question_"): v for k, v in draft.items() if k.startswith("question_") and v}


def _choose_again(reservation: Reservation, *, with_time: bool = True) -> str:
    """The choose step for the same day and duration (and start), to pick a time again."""
    zone = ZoneInfo(reservation.facility.timezone)
    start = reservation.start_dt.astimezone(zone)
    params = {"date": start.date().isoformat(),
              "duration": int((reservation.end_dt - reservation.start_dt).total_seconds() // 60)}
    if with_time:
        params["time"] = start.strftime("%H:%M")
    return url_for("reservations.choose", slug=reservation.facility.slug, **params)


def _not_held(reservation: Reservation):
    """The page to show instead when the booking is no longer being made (or None)."""
    if reservation.status == S.held:
        return None
    if reservation.status != S.cancelled:
        return redirect(url_for("reservations.confirmation", reservation_id=reservation.id))
    return render_template("reservations/hold_gone.html", reservation=reservation, again=_choose_again(reservation),
                           expired=reservation.hold_end == HoldEnd.expired), 410


def price_context(reservation: Reservation) -> dict:
    """The reservation's kept price as a quote to show, and the fee a late cancellation costs."""
    kept = reservation.price
    if kept is None:
        return {"price": None, "late_fee_cents": None}
    return {"price": pricing.quote_of(kept), "kept_price": kept, "late_fee_cents": pricing.late_fee_for(kept)}


def _booking_context(reservation: Reservation) -> dict:
    """What the details and review steps both show: the time, the hold, who books, and the
    cancellation terms that will apply once it is booked."""
    now = utcnow()
    ruleset = ruleset_for(reservation.facility)
    return {"reservation": reservation, "facility": reservation.facility, "now": now,
            "again": _choose_again(reservation, with_time=False),
            "hold_expired": reservation.hold_expires_dt is not None and reservation.hold_expires_dt <= now,
            "cancel_deadline": rules.cancellation_deadline(reservation.start_dt, ruleset.cancellation_deadline),
            "late_cancellation": ruleset.late_cancellation, **price_context(reservation)}


@bp.route("/reservations/<int:reservation_id>/details", methods=["GET", "POST"])
@login_required
def details(reservation_id: int):
    reservation = _own_hold(reservation_id)
    if (instead := _not_held(reservation)) is not None:
        return instead
    facility = reservation.facility
    draft = _draft(reservation) or {"title": reservation.title, "attendees": reservation.attendees or 1}
    form = details_form(facility, data=draft)
    if form.validate_on_submit():
        session[DRAFT] = {"id": reservation.id, **{k: v for k, v in form.data.items() if k != "csrf_token"}}
        return redirect(url_for("reservations.review", reservation_id=reservation.id))
    return render_template("reservations/details.html", form=form, **_booking_context(reservation)), \
        422 if form.is_submitted() else 200


def _needs_manager(reservation: Reservation) -> bool:
    return reservation.facility.rules is not None and rules.needs_manager(
        ruleset_for(reservation.facility), reservation.organisation.actor_type,
        reservation.end_dt - reservation.start_dt)


def _terms_label(form, facility: Facility) -> None:
    if facility.current_terms is not None:
        form.accept_terms.label.text = _("I accept the terms (version %(version)d)",
                                         version=facility.current_terms.version)


@bp.route("/reservations/<int:reservation_id>/review", methods=["GET", "POST"])
@login_required
def review(reservation_id: int):
    reservation = _own_hold(reservation_id)
    if (instead := _not_held(reservation)) is not None:
        return instead
    draft = _draft(reservation)
    if draft is None:
        flash(_("Fill in the details first."), "info")
        return redirect(url_for("reservations.details", reservation_id=reservation.id))
    facility = reservation.facility
    form = TermsForm()
    _terms_label(form, facility)
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.submit(current_user, reservation, title=draft.get("title") or "",
                                purpose=draft.get("purpose") or "", attendees=draft.get("attendees") or 0,
                                answers=_draft_answers(draft), accept_terms=bool(form.accept_terms.data),
                                free_of_charge_reason=(draft.get("free_of_charge_reason") or "").strip())
        except DomainError as exc:
            flash_errors(exc, form)
            status = exc.status
        else:
            session.pop(DRAFT, None)
            return redirect(url_for("reservations.confirmation", reservation_id=reservation.id))
    questions = {f"question_{q.id}": q.t("label") for q in facility.questions}
    answers = [(questions[k], {"yes": _("Yes"), "no": _("No")}.get(v, v)) for k, v in draft.items()
               if k in questions and v not in (None, "")]
    return render_template("reservations/review.html", form=form, draft=draft, answers=answers,
                           needs_manager=_needs_manager(reservation) or bool(draft.get("free_of_charge_reason")),
                           **_booking_context(reservation)), status


@bp.post("/reservations/<int:reservation_id>/release")
@login_required
def release(reservation_id: int):
    """The person leaves the booking: free the time at once."""
    reservation = _own_hold(reservation_id)
    _button_pressed()
    with unit_of_work():
        services.release_hold(current_user, reservation)
    session.pop(DRAFT, None)
    flash(_("The time is released; nothing was booked."), "info")
    return redirect(_choose_again(reservation, with_time=False))


@bp.get("/reservations/<int:reservation_id>/confirmation")
@login_required
def confirmation(reservation_id: int):
    reservation = _visible(reservation_id)
    if reservation.status == S.held and reservation.user_id == current_user.id:
        return redirect(url_for("reservations.review", reservation_id=reservation.id))
    occurrences = reservation.series.reservations if reservation.series else [reservation]
    return render_template("reservations/confirmation.html", reservation=reservation, occurrences=occurrences,
                           facility=reservation.facility, **price_context(reservation))


# --- series ------------------------------------------------------------------------------

def _series_request(facility: Facility):
    """The series asked for in the query string: (start, end, RRULE), or None."""
    form = RepeatForm(formdata=request.args, meta={"csrf": False})
    try:
        start, end = (datetime.fromisoformat(request.args.get(k, "")) for k in ("start", "end"))
    except ValueError:
        return None
    if start.tzinfo is None or end.tzinfo is None or not form.validate() or not form.repeat.data:
        return None
    first = start.astimezone(ZoneInfo(facility.timezone)).date()
    rule = build_rrule(form.repeat.data, form.interval.data or 1, first, count=form.count.data, until=form.until.data)
    return start, end, rule


@bp.route("/reservations/book/<slug>/series", methods=["GET", "POST"])
@login_required
def series(slug: str):
    """Every occurrence with its conflicts and broken rules; skip some, give the details, book."""
    facility = _facility(slug)
    organisation = _acting_organisation()
    asked = _series_request(facility)
    if asked is None or organisation is None:
        flash(_("Choose a start time and how the series repeats."), "error")
        return redirect(url_for("reservations.choose", slug=slug))
    start, end, rule = asked
    form = details_form(facility, with_terms=facility.current_terms is not None, data={"attendees": 1})
    if facility.current_terms is not None:
        _terms_label(form, facility)
    status = 422 if form.is_submitted() else 200
    skipped = None
    if form.validate_on_submit():
        skipped = request.form.getlist("skip")
        try:
            with unit_of_work():
                made = services.create_series(
                    current_user, facility, organisation, start, end, rule, title=form.title.data, skip=skipped,
                    purpose=form.purpose.data or "", attendees=form.attendees.data or 0, answers=form.answers(),
                    free_of_charge_reason=(form.free_of_charge_reason.data or "").strip(),
                    accept_terms=bool(getattr(form, "accept_terms", None) and form.accept_terms.data))
        except DomainError as exc:
            flash_errors(exc, form)
            status = exc.status
        else:
            return redirect(url_for("reservations.confirmation", reservation_id=made.reservations[0].id))
    elif form.is_submitted():
        skipped = request.form.getlist("skip")
    try:
        preview = services.preview_series(current_user, facility, organisation, start, end, rule,
                                          attendees=form.attendees.data or 0)
    except DomainError as exc:
        flash_errors(exc)
        return redirect(url_for("reservations.choose", slug=slug, date=start.astimezone(
            ZoneInfo(facility.timezone)).date().isoformat()))
    if skipped is None:  # first visit: leave out what cannot be booked
        skipped = [o.date.isoformat() for o in preview.occurrences if not o.ok]
    prices = services.quote_occurrences(facility, organisation, preview.occurrences)
    total = sum(q.gross_cents for o, q in zip(preview.occurrences, prices)
                if q is not None and o.ok and o.date.isoformat() not in skipped)
    return render_template("reservations/series.html", facility=facility, form=form, preview=preview,
                           prices=prices, total_cents=total if any(prices) else None,
                           skipped=set(skipped), rule_text=describe_rrule(rule), organisation=organisation,
                           times=start_label(start, end, facility.timezone),
                           back=url_for("reservations.choose", slug=slug, date=preview.occurrences[0].date.isoformat(),
                                        duration=int((end - start).total_seconds() // 60))), status


# --- lists: mine and my organisation's ------------------------------------------------------

@dataclass
class Entry:
    """A line of a list: one reservation, or a series with its occurrences."""
    reservations: list[Reservation]
    cancel: services.ActionInfo | None = None
    change: services.ActionInfo | None = None

    @property
    def first(self) -> Reservation:
        return self.reservations[0]

    @property
    def series(self) -> Series | None:
        return self.first.series

    def status_summary(self) -> str:
        """'4 confirmed, 2 awaiting decision'."""
        counts = {}
        for reservation in self.reservations:
            counts[status_label(reservation)] = counts.get(status_label(reservation), 0) + 1
        return ", ".join(f"{n} {label}" for label, n in counts.items())


def group_entries(reservations: list[Reservation]) -> list[Entry]:
    """A series becomes one entry, placed where its first listed occurrence is."""
    entries: dict[tuple[str, int], Entry] = {}
    for reservation in reservations:
        key = ("series", reservation.series_id) if reservation.series_id else ("one", reservation.id)
        entries.setdefault(key, Entry([])).reservations.append(reservation)
    return list(entries.values())


def _tab_filter(stmt, show: str, now: datetime):
    """The reservations of one tab (?show=…), held times left out."""
    stmt = stmt.where(Reservation.status != S.held)
    if show == "upcoming":
        return stmt.where(Reservation.end_dt > now, Reservation.status.in_((S.pending, S.confirmed)))
    if show == "pending":
        return stmt.where(Reservation.end_dt > now, Reservation.status == S.pending)
    if show == "past":
        return stmt.where(Reservation.end_dt <= now, Reservation.status.not_in((S.cancelled, S.rejected)))
    # cancelled or declined; a released or expired hold was never a reservation
    return stmt.where(Reservation.status.in_((S.cancelled, S.rejected)), Reservation.hold_end.is_(None))


def _shown_month() -> date:
    """?month=YYYY-MM, else (or when it is not a month) this month where the city is."""
    try:
        return parse_date(f"{request.args.get('month', '')}-01")
    except ValueError:
        return month_grid.month_start(_city_today())


def _city_today() -> date:
    return utcnow().astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()


def _list_page(template_name: str, stmt, **context):
    now = utcnow()
    show = request.args.get("show") if request.args.get("show") in LIST_TABS else "upcoming"
    stmt = _tab_filter(stmt, show, now)
    if request.args.get("view") == "calendar":
        return _calendar_page(template_name, stmt, show, now, **context)
    if show in ("past", "cancelled"):
        stmt = stmt.order_by(None).order_by(Reservation.start_dt.desc(), Reservation.id.desc())
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total = paginate(stmt, page, LIST_PAGE)
    entries = group_entries(rows)
    for entry in entries:
        if entry.first.is_active:
            entry.cancel = services.cancellation_info(current_user, entry.first, now=now)
            entry.change = services.change_info(current_user, entry.first, now=now)
    return render_template(f"reservations/{template_name}.html", entries=entries, show=show, page=page,
                           per_page=LIST_PAGE, total=total, now=now, view="list", **context)


def _calendar_page(template_name: str, stmt, show: str, now: datetime, **context):
    """The tab's reservations as a month grid, each on the days it covers in its facility's zone."""
    first = _shown_month()
    from_dt, to_dt = month_grid.query_window(first)
    stmt = stmt.where(Reservation.end_dt > from_dt, Reservation.start_dt < to_dt).limit(CALENDAR_LIMIT + 1)
    rows = db.session.scalars(stmt).all()
    return render_template(f"reservations/{template_name}.html", show=show, now=now, view="calendar",
                           weeks=month_grid.month_weeks(rows[:CALENDAR_LIMIT], first), first_of_month=first,
                           more=len(rows) > CALENDAR_LIMIT, today=_city_today(),
                           prev_month=month_grid.shift_month(first, -1).strftime("%Y-%m"),
                           next_month=month_grid.shift_month(first, 1).strftime("%Y-%m"),
                           weekday_names=_weekday_names(), **context)


def _weekday_names() -> list[tuple[str, str]]:
    """(abbreviated, full) weekday names, Monday first, in the user's language."""
    short, wide = get_day_names("abbreviated", locale=get_locale()), get_day_names("wide", locale=get_locale())
    return [(short[i], wide[i]) for i in range(7)]


@bp.get("/reservations")
@login_required
def mine():
    """The reservations the user made."""
    stmt = services.visible_reservations(current_user).where(Reservation.user_id == current_user.id)
    return _list_page("mine", stmt)


@bp.get("/reservations/organisation")
@login_required
def organisation():
    """Every reservation of the organisation the user acts for, whoever made it."""
    acting = _acting_organisation()
    if acting is None or not rules.can_book_for(current_user, acting.id):
        abort(403)
    stmt = services.visible_reservations(current_user, organisation_id=acting.id).options(
        selectinload(Reservation.user))  # the list says who booked each
    return _list_page("organisation", stmt, organisation=acting, panels=panels.render("organisation_reservations", organisation=acting))


@bp.get("/reservations/<int:reservation_id>")
@login_required
def detail(reservation_id: int):
    reservation = _visible(reservation_id)
    now = utcnow()
    return render_template(
        "reservations/detail.html", reservation=reservation, facility=reservation.facility, now=now,
        **price_context(reservation),
        cancel=services.cancellation_info(current_user, reservation, now=now),
        change=services.change_info(current_user, reservation, now=now), answers=answer_rows(reservation),
        can_decide=rules.can_decide_reservation(current_user, reservation),
        occurrences=reservation.series.reservations if reservation.series else [])


def _scopes(form, reservation: Reservation) -> None:
    """Only a series offers a choice of occurrences."""
    if reservation.series is None:
        del form.scope


@bp.route("/reservations/<int:reservation_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(reservation_id: int):
    reservation = _visible(reservation_id)
    info = services.cancellation_info(current_user, reservation)
    form = CancelForm(scope=request.args.get("scope", "one"))
    _scopes(form, reservation)
    status = 422 if form.is_submitted() else 200
    if info.allowed and form.validate_on_submit():
        scope = form.scope.data if form.scope else "one"
        try:
            with unit_of_work():
                cancelled = services.cancel_occurrences(current_user, reservation, scope,
                                                        reason=form.reason.data or "")
        except DomainError as exc:
            flash_errors(exc, form)
            status = exc.status
        else:
            flash(ngettext("The reservation is cancelled and its time is free again.",
                           "%(num)d reservations are cancelled and their time is free again.", len(cancelled)),
                  "success")
            if any(r.late_cancellation_fee for r in cancelled):
                flash(_("It was cancelled after the free cancellation deadline, so a cancellation fee applies."),
                      "info")
            return redirect(safe_next("reservations.mine"))
    return render_template("reservations/cancel.html", reservation=reservation, facility=reservation.facility,
                           form=form, info=info, next=request.values.get("next", ""), **price_context(reservation)), \
        status


@bp.route("/reservations/<int:reservation_id>/change", methods=["GET", "POST"])
@login_required
def change(reservation_id: int):
    reservation = _visible(reservation_id)
    info = services.change_info(current_user, reservation)
    zone = ZoneInfo(reservation.facility.timezone)
    start, end = reservation.start_dt.astimezone(zone), reservation.end_dt.astimezone(zone)
    form = ChangeTimeForm(date=start.date(), start_time=start.time(), end_time=end.time(),
                          end_date=end.date() if end.date() != start.date() else None)
    _scopes(form, reservation)
    status = 422 if form.is_submitted() else 200
    if info.allowed and form.validate_on_submit():
        scope = form.scope.data if form.scope else "one"
        related = reservation.series.reservations if reservation.series else [reservation]
        prices_before = {r.id: r.price.gross_cents for r in related if r.price is not None}
        try:
            with unit_of_work():
                if scope == "one":
                    new_start = local_instant(form.date.data, form.start_time.data, zone)
                    end_day = form.end_date.data or (form.date.data if form.end_time.data > form.start_time.data
                                                     else form.date.data + timedelta(days=1))
                    changed = [services.change_time(current_user, reservation, new_start,
                                                    local_instant(end_day, form.end_time.data, zone))]
                else:
                    changed = services.change_occurrences(current_user, reservation, scope, form.start_time.data,
                                                          form.end_time.data)
        except DomainError as exc:
            flash_errors(exc, form)
            status = exc.status
        else:
            pending = [r for r in changed if r.status == S.pending]
            if pending and pending[0].decision_deadline_dt:
                flash(_("The new time is saved. It needs a manager's approval again; they decide by %(deadline)s.",
                        deadline=local_time(pending[0].decision_deadline_dt, reservation.facility.timezone, WHEN)),
                      "success")
            else:
                flash(_("The new time is saved."), "success")
            difference = sum(r.price.gross_cents - prices_before.get(r.id, 0) for r in changed if r.price is not None)
            if difference:
                flash(_("The price changes by %(difference)s with the new time.",
                        difference=("+" if difference > 0 else "−") + money(abs(difference))), "info")
            return redirect(url_for("reservations.detail", reservation_id=reservation.id))
    return render_template("reservations/change.html", reservation=reservation, facility=reservation.facility,
                           form=form, info=info), status


# The managers' pages register their routes on this blueprint.
from booking.reservations import manage  # noqa: E402,F401
from booking.reservations import department_calendar  # noqa: E402,F401

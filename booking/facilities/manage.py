"""Facility managers' pages: create, edit, publish, archive; hours, closures, rules, photos.

Every route: log in → load or 404 → can_manage_facility or 403 → form → slow work (reading an
upload, fetching a URL, decoding a photo) → `with unit_of_work():` service → redirect.
On SQLite the write lock is taken only for the unit of work, so a slow download or a big file
never holds up another user's booking.
Photos of published facilities are served here to anyone (`photo`), drafts only to managers.
"""
from __future__ import annotations

import io
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from booking import navigation, panels
from booking.accounts.forms import EmptyForm
from booking.accounts.models import Department
from booking.audit.services import events_for
from booking.database import utcnow
from booking.errors import DomainError, Message
from booking.extensions import db
from booking.facilities import calendar_sync, ical, importing, services
from booking.facilities.forms import (ACCESSIBILITY_LABELS, APPROVAL_LABELS, CATEGORY_LABELS, STATUS_LABELS,
                                      WEEKDAY_LABELS, CalendarSyncForm, ClosureForm, CsvImportForm, FacilityForm,
                                      IcalImportForm, OpeningHoursForm, PhotoEditForm, PhotoForm, QuestionForm, RulesForm,
                                      SpecialOpeningForm, StatusForm, TermsForm, AmenityForm, amenity_groups)
from booking.facilities.models import (Amenity, BookingQuestion, Closure, Facility, FacilityAmenity, FacilityPhoto,
                                       FacilityStatus)
from booking.facilities.rules import can_create_facility, can_edit_amenities, can_manage_facility, can_view_facility
from booking.site import flash_errors
from booking.storage import get_storage
from booking.unit_of_work import unit_of_work

bp = Blueprint("manage", __name__, url_prefix="/manage")

navigation.add("facilities.manage.index", _l("Manage facilities"), visible=can_create_facility, order=40)
navigation.add("facilities.manage.amenities", _l("Amenities"), visible=can_edit_amenities, order=65, group="account")

# How the history page names each audited change.
ACTION_LABELS = {
    "facility.created": _l("Created"),
    "facility.updated": _l("Details changed"),
    "facility.published": _l("Published"),
    "facility.archived": _l("Archived"),
    "facility.drafted": _l("Returned to draft"),
    "facility.hours_set": _l("Opening hours set"),
    "facility.hours_deleted": _l("Opening hours removed"),
    "facility.special_opening_set": _l("Special opening set"),
    "facility.special_opening_removed": _l("Special opening removed"),
    "facility.closure_added": _l("Closure added"),
    "facility.closure_removed": _l("Closure removed"),
    "facility.closures_imported": _l("Closures imported"),
    "facility.closure_calendar_set": _l("Closures kept in sync with a calendar"),
    "facility.closure_calendar_stopped": _l("Closures no longer kept in sync"),
    "facility.rules_updated": _l("Booking rules changed"),
    "facility.terms_published": _l("New terms of use"),
    "facility.question_added": _l("Question added"),
    "facility.question_updated": _l("Question changed"),
    "facility.photo_added": _l("Photo added"),
    "facility.photo_updated": _l("Photo changed"),
    "facility.photo_removed": _l("Photo removed"),
}


def _managed_departments() -> list[Department]:
    stmt = select(Department).order_by(Department.name)
    if not current_user.is_admin:
        stmt = stmt.where(Department.id.in_(current_user.department_ids or {-1}))
    return list(db.session.scalars(stmt))


def _scope() -> set[int] | None:
    """Department ids the current user may import into and export (None: all)."""
    return None if current_user.is_admin else set(current_user.department_ids)


def _load(facility_id: int) -> Facility:
    """The facility if the user manages it; 404 otherwise (a draft elsewhere is not revealed)."""
    facility = db.session.get(Facility, facility_id)
    if facility is None or not can_manage_facility(current_user, facility):
        abort(404)
    return facility


def _child(model, child_id: int, facility: Facility):
    item = db.session.get(model, child_id)
    if item is None or item.facility_id != facility.id:
        abort(404)
    return item


def _button_pressed() -> None:
    """A POST button with only a CSRF token: refuse a forged one."""
    if not EmptyForm().validate_on_submit():
        abort(400)


def _save(action, *args, form=None, success=None, **kwargs):
    """Run a service in one unit of work (committed, or on a refusal rolled back with its reasons
    put on the form). Returns (ok, result)."""
    try:
        with unit_of_work():
            result = action(*args, actor=current_user._get_current_object(), **kwargs)
    except DomainError as exc:
        flash_errors(exc, form)
        return False, None
    if success:
        flash(success, "success")
    return True, result


def closure_when(closure: Closure, tz_name: str) -> str:
    """'24 Dec 2030 – 26 Dec 2030' for whole days, else the local start and end times."""
    tz = ZoneInfo(tz_name)
    start, end = (dt.astimezone(tz).replace(tzinfo=None) for dt in (closure.start_dt, closure.end_dt))
    if start.time() == end.time() == time(0):
        first, last = start.date(), (end - timedelta(days=1)).date()
        return format_date(first) if first == last else f"{format_date(first)} – {format_date(last)}"
    if start.date() == end.date():
        return f"{format_date(start.date())} {format_time(start, 'short')}–{format_time(end, 'short')}"
    return f"{format_datetime(start, 'short')} – {format_datetime(end, 'short')}"


def _page(template: str, facility: Facility, status: int = 200, **context):
    return render_template(f"facilities/manage/{template}", facility=facility, status_labels=STATUS_LABELS,
                           action_form=EmptyForm(), closure_when=closure_when, **context), status


# --- the list, creating, the overview ------------------------------------------------------

@bp.get("/")
@login_required
def index():
    if not can_create_facility(current_user):
        abort(403)
    stmt = (select(Facility).options(selectinload(Facility.department))
            .join(Facility.department).order_by(Department.name, Facility.name))
    scope = _scope()
    if scope is not None:
        stmt = stmt.where(Facility.department_id.in_(scope or {-1}))
    status = request.args.get("status", "")
    if status in FacilityStatus.__members__:
        stmt = stmt.where(Facility.status == FacilityStatus(status))
    facilities = list(db.session.scalars(stmt))
    return render_template("facilities/manage/index.html", facilities=facilities, status=status,
                           status_labels=STATUS_LABELS, category_labels=CATEGORY_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if not can_create_facility(current_user):
        abort(403)
    form = FacilityForm()
    form.department_id.choices = [(d.id, d.name) for d in _managed_departments()]
    if form.validate_on_submit():
        if not can_create_facility(current_user, form.department_id.data):
            abort(403)
        ok, created = _save(services.create_facility, form=form, **form.values(),
                            success=_("The facility is saved as a draft. Add its opening hours, then publish it."))
        if ok:
            return redirect(url_for(".hours", facility_id=created.id))
    return render_template("facilities/manage/form.html", form=form, facility=None,
                           amenity_vocabulary=_vocabulary()), 422 if form.errors else 200


@bp.get("/<int:facility_id>")
@login_required
def facility(facility_id: int):
    facility = _load(facility_id)
    today = services.local_today(facility)
    versions = services.hours_versions(facility)
    current = services.version_on(facility, today)
    upcoming = [c for c in facility.closures if c.end_dt > utcnow()][:5]
    # The public page belongs to the discovery side; link to it when it is installed.
    public_url = (url_for("facilities.detail", slug=facility.slug)
                  if "facilities.detail" in current_app.view_functions else None)
    return _page("overview.html", facility, public_url=public_url, current_hours=versions.get(current),
                 current_from=current, later_versions=[v for v in versions if current is None or v > current],
                 upcoming_closures=upcoming, weekdays=WEEKDAY_LABELS, format_intervals=services.format_intervals,
                 category_labels=CATEGORY_LABELS, accessibility_labels=ACCESSIBILITY_LABELS,
                 approval_labels=APPROVAL_LABELS)


@bp.route("/<int:facility_id>/edit", methods=["GET", "POST"])
@login_required
def edit(facility_id: int):
    facility = _load(facility_id)
    form = FacilityForm(obj=facility)
    if request.method == "GET":
        form.amenities.data = "\n".join(f"{a.name}: {a.quantity}"
                                         for a in sorted(facility.amenities, key=lambda a: a.name.lower()))
        form.set_translations(facility)
        form.accessibility.data = [a.feature for a in facility.accessibility]
    form.department_id.choices = [(d.id, d.name) for d in _managed_departments()]
    if form.validate_on_submit():
        ok, changed = _save(services.update_facility, facility, form=form, **form.values())
        if ok:
            flash(_("The details are saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for(".facility", facility_id=facility.id))
    return _page("form.html", facility, 422 if form.errors else 200, form=form, amenity_vocabulary=_vocabulary())


@bp.post("/<int:facility_id>/status")
@login_required
def set_status(facility_id: int):
    facility = _load(facility_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    messages = {"published": _("%(name)s is published: anyone can now find and book it.", name=facility.name),
                "archived": _("%(name)s is archived: it is hidden and cannot be booked.", name=facility.name),
                "draft": _("%(name)s is a draft again: only managers see it.", name=facility.name)}
    _save(services.set_status, facility, form.status.data, success=messages[form.status.data])
    return redirect(url_for(".facility", facility_id=facility.id))


# --- opening hours and special openings ---------------------------------------------------

@bp.route("/<int:facility_id>/hours", methods=["GET", "POST"])
@login_required
def hours(facility_id: int):
    facility = _load(facility_id)
    versions = services.hours_versions(facility)
    today = services.local_today(facility)
    form = OpeningHoursForm()
    if form.validate_on_submit():
        ok, changed = _save(services.set_opening_hours, facility, form.valid_from.data, form.week(), form=form)
        if ok:
            flash(_("The opening hours from %(date)s are saved.", date=form.valid_from.data.isoformat())
                  if changed else _("Nothing was changed."), "success")
            return redirect(url_for(".hours", facility_id=facility.id))
    elif request.method == "GET":
        # Edit the version asked for, else start from the hours in force today.
        try:
            shown = date.fromisoformat(request.args.get("version", ""))
        except ValueError:
            shown = services.version_on(facility, today) or next(iter(versions), None)
        form.valid_from.data = shown if shown in versions else today
        for day, field in enumerate(form.days):
            field.data = services.format_intervals(versions.get(shown, {}).get(day, []))
    current = services.version_on(facility, today)
    return _page("hours.html", facility, 422 if form.errors else 200, form=form, versions=versions,
                 current=current, today=today, weekdays=WEEKDAY_LABELS, format_intervals=services.format_intervals)


@bp.post("/<int:facility_id>/hours/<valid_from>/delete")
@login_required
def delete_hours(facility_id: int, valid_from: str):
    facility = _load(facility_id)
    _button_pressed()
    try:
        day = date.fromisoformat(valid_from)
    except ValueError:
        abort(404)
    _save(services.delete_hours_version, facility, day,
          success=_("The opening hours from %(date)s are removed.", date=day.isoformat()))
    return redirect(url_for(".hours", facility_id=facility.id))


@bp.route("/<int:facility_id>/special", methods=["GET", "POST"])
@login_required
def special(facility_id: int):
    facility = _load(facility_id)
    form = SpecialOpeningForm()
    if form.validate_on_submit():
        ok, _result = _save(services.set_special_opening, facility, form.date.data, form.hours.parsed,
                            form.reason.data, form=form, success=_("The special opening hours are saved."))
        if ok:
            return redirect(url_for(".special", facility_id=facility.id))
    since = services.local_today(facility) - timedelta(days=30)
    by_date: dict[date, list] = {}
    for opening in facility.special_openings:
        if opening.date >= since:
            by_date.setdefault(opening.date, []).append(opening)
    openings = {day: (services.format_intervals((o.start_time, o.end_time) for o in items), items[0].reason)
                for day, items in by_date.items()}
    return _page("special.html", facility, 422 if form.errors else 200, form=form, openings=openings)


@bp.post("/<int:facility_id>/special/<day>/delete")
@login_required
def delete_special(facility_id: int, day: str):
    facility = _load(facility_id)
    _button_pressed()
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    _save(services.remove_special_opening, facility, when, success=_("The special opening hours are removed."))
    return redirect(url_for(".special", facility_id=facility.id))


# --- closures ---------------------------------------------------------------------------

def _closures_page(facility: Facility, form=None, ical_form=None, sync_form=None, status=200):
    show_all = request.args.get("all") == "1"
    since = utcnow() - timedelta(days=30)
    closures = [c for c in facility.closures if show_all or c.end_dt > since]
    return _page("closures.html", facility, status, form=form or ClosureForm(),
                 ical_form=ical_form or IcalImportForm(), sync_form=sync_form or CalendarSyncForm(),
                 sync_outcome=calendar_sync.outcome(facility), closures=closures, show_all=show_all,
                 panels=panels.render("facility_closures", facility=facility, closure_when=closure_when))


def _flash_affected(facility: Facility, closures: list[Closure]) -> None:
    """Tell the manager when closures land on active reservations (listed on the closures page)."""
    n = services.affected_reservations(facility, closures)
    if n:
        flash(ngettext("The closures land on %(num)d active reservation: it is listed below, to contact or cancel.",
                       "The closures land on %(num)d active reservations: they are listed below, to contact or "
                       "cancel.", n), "info")


@bp.route("/<int:facility_id>/closures", methods=["GET", "POST"])
@login_required
def closures(facility_id: int):
    facility = _load(facility_id)
    form = ClosureForm()
    if form.validate_on_submit():
        ok, added = _save(services.add_closure, facility, start_date=form.start_date.data,
                          end_date=form.end_date.data, start_time=form.start_time.data,
                          end_time=form.end_time.data, reason=form.reason.data, form=form,
                          success=_("The closure is added."))
        if ok:
            _flash_affected(facility, [added])
            return redirect(url_for(".closures", facility_id=facility.id))
    return _closures_page(facility, form=form, status=422 if form.errors else 200)


@bp.post("/<int:facility_id>/closures/<int:closure_id>/delete")
@login_required
def delete_closure(facility_id: int, closure_id: int):
    facility = _load(facility_id)
    closure = _child(Closure, closure_id, facility)
    _button_pressed()
    _save(services.remove_closure, facility, closure, success=_("The closure is removed."))
    return redirect(url_for(".closures", facility_id=facility.id))


# Flashes travel in the session cookie: name a few events left out, count the rest.
SHOWN_PROBLEMS = 5


def _read_calendar(form: IcalImportForm, facility: Facility) -> tuple[ical.Reading, str]:
    """Download or read the upload and expand the calendar: slow work, done before the unit of work."""
    if form.file.data:
        data = form.file.data.read(ical.MAX_BYTES + 1)  # one byte past the cap tells "too large"
        return importing.read_calendar(data, facility.timezone), form.file.data.filename or "upload.ics"
    data = importing.fetch_calendar(form.url.data)
    return importing.read_calendar(data, facility.timezone, field_name="url"), form.url.data


def _flash_left_out(problems: list[ical.Problem]) -> None:
    for problem in problems[:SHOWN_PROBLEMS]:
        uid = problem.uid if len(problem.uid) <= 60 else problem.uid[:60] + "…"
        flash(str(Message("facilities.calendar.left_out", summary=problem.summary[:80], uid=uid,
                          problem=problem.message)), "error")
    if len(problems) > SHOWN_PROBLEMS:
        flash(str(Message("facilities.calendar.more_left_out", n=len(problems) - SHOWN_PROBLEMS)), "error")


@bp.post("/<int:facility_id>/closures/import")
@login_required
def import_closures(facility_id: int):
    facility = _load(facility_id)
    form = IcalImportForm()
    if facility.closure_calendar_url:  # the next refresh would undo another calendar's closures
        _button_pressed()
        flash(_("The closures are kept in sync with a calendar: stop syncing before importing another one."),
              "error")
        return redirect(url_for(".closures", facility_id=facility.id))
    if form.validate_on_submit():
        try:
            reading, source = _read_calendar(form, facility)
        except DomainError as exc:
            flash_errors(exc, form)
        else:
            ok, counts = _save(importing.apply_calendar, facility, reading, source=source, form=form)
            if ok:
                flash(_("Calendar imported: %(added)d closures added, %(updated)d updated, %(removed)d removed, "
                        "%(unchanged)d unchanged.", **counts), "success")
                _flash_left_out(reading.problems)
                _flash_affected(facility, services.coming_closures(facility, imported=True))
                return redirect(url_for(".closures", facility_id=facility.id))
    return _closures_page(facility, ical_form=form, status=422)


@bp.post("/<int:facility_id>/closures/sync")
@login_required
def sync_closures(facility_id: int):
    """Keep the closures in sync with a calendar: read it now (before the unit of work), and only
    when it can be read store its address, so a mistyped address is told at once."""
    facility = _load(facility_id)
    form = CalendarSyncForm()
    if form.validate_on_submit():
        try:
            reading = calendar_sync.read(form.url.data, facility.timezone)
        except DomainError as exc:
            flash_errors(exc, form)
        else:
            ok, _counts = _save(calendar_sync.keep_in_sync, facility, form.url.data, reading, form=form)
            if ok:
                flash(_("The closures are now kept in sync with the calendar."), "success")
                _flash_outcome(facility)
                _flash_left_out(reading.problems)
                return redirect(url_for(".closures", facility_id=facility.id))
    return _closures_page(facility, sync_form=form, status=422)


@bp.post("/<int:facility_id>/closures/sync/refresh")
@login_required
def refresh_closures(facility_id: int):
    facility = _load(facility_id)
    _button_pressed()
    url = facility.closure_calendar_url
    if not url:
        abort(404)
    result = calendar_sync.try_read(url, facility.timezone)  # slow work, before the unit of work
    ok, _counts = _save(calendar_sync.record_refresh, facility, url, result)
    if ok:
        _flash_outcome(facility)
    return redirect(url_for(".closures", facility_id=facility.id))


@bp.post("/<int:facility_id>/closures/sync/stop")
@login_required
def stop_closure_sync(facility_id: int):
    facility = _load(facility_id)
    _button_pressed()
    _save(calendar_sync.stop_sync, facility,
          success=_("The closures are no longer kept in sync. The closures the calendar brought are kept."))
    return redirect(url_for(".closures", facility_id=facility.id))


def _flash_outcome(facility: Facility) -> None:
    category = "success" if facility.closure_calendar_ok else "error"
    for message in calendar_sync.outcome(facility):
        flash(str(message), "info" if getattr(message, "code", "") == "facilities.closure.lands_on" else category)


# --- booking rules, terms, questions -----------------------------------------------------

@bp.route("/<int:facility_id>/rules", methods=["GET", "POST"])
@login_required
def rules(facility_id: int):
    facility = _load(facility_id)
    form = RulesForm(obj=facility.rules)
    if request.method == "GET" and facility.rules is not None:
        form.approval_policy.data = facility.rules.approval_policy.value
        form.late_cancellation.data = facility.rules.late_cancellation.value
    if form.validate_on_submit():
        ok, changed = _save(services.update_rules, facility, form=form, **form.values())
        if ok:
            flash(_("The booking rules are saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for(".rules", facility_id=facility.id))
    return _page("rules.html", facility, 422 if form.errors else 200, form=form)


@bp.route("/<int:facility_id>/terms", methods=["GET", "POST"])
@login_required
def terms(facility_id: int):
    facility = _load(facility_id)
    form = TermsForm()
    if request.method == "GET" and facility.current_terms:
        form.text.data = facility.current_terms.text
        form.set_translations(facility.current_terms)
    if form.validate_on_submit():
        ok, version = _save(services.set_terms, facility, form.text.data, translations=form.translations(), form=form)
        if ok:
            flash(_("Version %(n)d of the terms is published.", n=version.version) if version
                  else _("The text is the same as the current version; nothing was changed."), "success")
            return redirect(url_for(".terms", facility_id=facility.id))
    return _page("terms.html", facility, 422 if form.errors else 200, form=form)


@bp.route("/<int:facility_id>/questions", methods=["GET", "POST"])
@login_required
def questions(facility_id: int):
    facility = _load(facility_id)
    form = QuestionForm()
    if form.validate_on_submit():
        ok, _result = _save(services.add_question, facility, **form.values(), position=form.position.data,
                            form=form, success=_("The question is added to the booking form."))
        if ok:
            return redirect(url_for(".questions", facility_id=facility.id))
    return _page("questions.html", facility, 422 if form.errors else 200, form=form)


@bp.route("/<int:facility_id>/questions/<int:question_id>", methods=["GET", "POST"])
@login_required
def edit_question(facility_id: int, question_id: int):
    facility = _load(facility_id)
    question = _child(BookingQuestion, question_id, facility)
    form = QuestionForm(obj=question)
    if request.method == "GET":
        form.kind.data = question.kind.value
        form.choices.data = "\n".join(question.choices or [])
        form.set_translations(question)
    if form.validate_on_submit():
        ok, _changed = _save(services.update_question, question, form=form, **form.values(),
                             position=form.position.data or 0, active=form.active.data,
                             success=_("The question is saved."))
        if ok:
            return redirect(url_for(".questions", facility_id=facility.id))
    return _page("question_edit.html", facility, 422 if form.errors else 200, form=form, question=question)


@bp.post("/<int:facility_id>/questions/<int:question_id>/remove")
@login_required
def remove_question(facility_id: int, question_id: int):
    facility = _load(facility_id)
    question = _child(BookingQuestion, question_id, facility)
    _button_pressed()
    _save(services.remove_question, question,
          success=_("The question is no longer asked. Earlier answers are kept."))
    return redirect(url_for(".questions", facility_id=facility.id))


# --- photos ---------------------------------------------------------------------------

@bp.route("/<int:facility_id>/photos", methods=["GET", "POST"])
@login_required
def photos(facility_id: int):
    facility = _load(facility_id)
    form = PhotoForm()
    if form.validate_on_submit():
        upload = form.photo.data
        # Read one byte past the limit: enough to tell "too large" without reading a huge file.
        data = upload.read(current_app.config["UPLOAD_MAX_BYTES"] + 1) if upload else b""
        try:
            prepared = services.prepare_photo(data)  # decoding and resizing: before the unit of work
        except DomainError as exc:
            flash_errors(exc, form)
        else:
            ok, _photo = _save(services.add_photo, facility, prepared, form.alt_text.data, form=form,
                               success=_("The photo is added."))
            if ok:
                return redirect(url_for(".photos", facility_id=facility.id))
    return _page("photos.html", facility, 422 if form.errors else 200, form=form,
                 edit_forms={p.id: PhotoEditForm(obj=p, prefix=f"p{p.id}") for p in facility.photos})


@bp.post("/<int:facility_id>/photos/<int:photo_id>")
@login_required
def edit_photo(facility_id: int, photo_id: int):
    facility = _load(facility_id)
    photo = _child(FacilityPhoto, photo_id, facility)
    form = PhotoEditForm(prefix=f"p{photo.id}")
    if form.validate_on_submit():
        _save(services.update_photo, photo, alt_text=form.alt_text.data, position=form.position.data,
              form=form, success=_("The photo is saved."))
    else:
        for message in [m for messages in form.errors.values() for m in messages]:
            flash(message, "error")
    return redirect(url_for(".photos", facility_id=facility.id))


@bp.post("/<int:facility_id>/photos/<int:photo_id>/delete")
@login_required
def delete_photo(facility_id: int, photo_id: int):
    facility = _load(facility_id)
    photo = _child(FacilityPhoto, photo_id, facility)
    _button_pressed()
    _save(services.remove_photo, photo, success=_("The photo is removed."))
    return redirect(url_for(".photos", facility_id=facility.id))


@bp.get("/photos/<key>")
def photo(key: str):
    """A facility photo (`size=thumb` or `full`): public for published facilities, else managers only."""
    size = request.args.get("size", "full")
    item = db.session.scalar(select(FacilityPhoto).where(FacilityPhoto.storage_key == key))
    if size not in ("full", "thumb") or item is None or not can_view_facility(current_user, item.facility):
        abort(404)  # a draft's photo is as invisible as the draft itself
    data = get_storage().load(services.photo_file_key(key, size, item.content_type))
    if data is None:
        abort(404)
    response = Response(data, mimetype=item.content_type)
    # A key never changes content (a new upload gets a new key), so it can be cached for long.
    public = item.facility.status == FacilityStatus.published
    response.headers["Cache-Control"] = f"{'public' if public else 'private'}, max-age=86400"
    response.set_etag(f"{key}-{size}")
    return response.make_conditional(request)


# --- history, CSV import and export -----------------------------------------------------

@bp.get("/<int:facility_id>/history")
@login_required
def history(facility_id: int):
    facility = _load(facility_id)
    return _page("history.html", facility, events=events_for(facility, limit=200), action_labels=ACTION_LABELS)


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_csv():
    if not can_create_facility(current_user):
        abort(403)
    form = CsvImportForm()
    report = None
    if form.validate_on_submit():
        data = form.file.data.read(importing.MAX_CSV_BYTES + 1)  # one byte past the cap tells "too large"
        # Reading and checking every row only reads: it runs before the unit of work.
        plan = importing.check_facilities(data, department_ids=_scope(), check_only=form.check_only.data)
        report = plan.report
        if report.ok and not report.checked_only:
            try:
                with unit_of_work():
                    report = importing.apply_import(plan, actor=current_user._get_current_object())
            except importing.ImportFailed as exc:
                report = exc.report
            else:
                flash(_("Import done: %(summary)s", summary=report.summary()), "success")
                return redirect(url_for(".index"))
    status = 422 if form.errors or (report and not report.ok) else 200
    return render_template("facilities/manage/import.html", form=form, report=report, columns=importing.all_columns(),
                           departments=_managed_departments()), status


@bp.get("/export.csv")
@login_required
def export_csv():
    if not can_create_facility(current_user):
        abort(403)
    out = io.StringIO()
    importing.export_facilities(out, department_ids=_scope())
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=facilities.csv"})


def _vocabulary():
    """The amenity vocabulary by group, listed beside the facility form's amenities."""
    return amenity_groups(db.session.scalars(select(Amenity)).all())


# --- the amenity vocabulary (admins) -----------------------------------------------------------

@bp.get("/amenities")
@login_required
def amenities():
    if not can_edit_amenities(current_user):
        abort(403)
    vocabulary = db.session.scalars(select(Amenity)).all()
    used = dict(db.session.execute(select(FacilityAmenity.amenity_id, func.count())
                                   .group_by(FacilityAmenity.amenity_id)).all())
    return render_template("facilities/manage/amenities.html", groups=amenity_groups(vocabulary), used=used)


@bp.route("/amenities/<int:amenity_id>", methods=["GET", "POST"])
@login_required
def edit_amenity(amenity_id: int):
    amenity = db.session.get(Amenity, amenity_id) or abort(404)
    if not can_edit_amenities(current_user):
        abort(403)
    form = AmenityForm(obj=amenity)
    if not form.is_submitted():
        form.set_translations(amenity)
    if form.validate_on_submit():
        ok, changed = _save(services.update_amenity, amenity, form=form, group=form.group.data, names=form.names())
        if ok:
            flash(_("%(name)s is saved.", name=amenity.t("name")) if changed else _("Nothing was changed."), "success")
            return redirect(url_for(".amenities") + f"#amenity-{amenity.id}")
    return render_template("facilities/manage/amenity_edit.html", amenity=amenity, form=form), \
        422 if form.errors else 200

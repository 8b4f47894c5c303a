"""Calendar pages: the feed a client polls (GET /calendars/<token>.ics), a reservation's own
.ics, and the pages where people create, list, revoke and renew their feeds.

A feed's address is a secret made once: it is shown right after creating (or renewing) the
feed, with a copy button and a webcal:// link, and never again (only its hash is stored).
"""
from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.http import is_resource_modified
from wtforms.fields.choices import SelectChoice

from booking import navigation, panels
from booking.accounts.forms import EmptyForm
from booking.accounts.models import Department
from booking.api.pagination import paginate
from booking.calendars import attachments  # noqa: F401  (subscribes the e-mail attachments to reservation events)
from booking.calendars import feeds, kinds, links, rules, services
from booking.calendars.forms import FollowForm, parse_follow
from booking.calendars.ics import write_calendar
from booking.calendars.messages import ALL_DEPARTMENTS, CALENDAR_NAMES, KIND_LABELS
from booking.calendars.models import CalendarFeed
from booking.database import utcnow
from booking.errors import DomainError, Message, RuleViolation
from booking.extensions import db
from booking.reservations.models import Reservation
from booking.reservations.rules import can_view_reservation
from booking.site import flash_errors, safe_next
from booking.unit_of_work import unit_of_work

bp = Blueprint("calendars", __name__)

navigation.add("calendars.feeds_page", _l("Calendars"), visible=lambda u: u.is_authenticated, order=15, group="account")

PUBLIC_CACHE = 300  # seconds a shared cache may keep a public (busy time) feed
ALL_PAGE = 100


# --- what clients fetch ----------------------------------------------------------------------

@bp.get("/calendars/<token>.ics")
def feed(token: str):
    """A feed: 404 for a token that is unknown, revoked, or whose owner lost the scope. A client
    that already has the current content gets a 304, without the feed being made again when
    nothing it is made from changed (services.feed_key)."""
    found = services.feed_for_token(token)
    if found is None:
        abort(404)
    feed, kind = found
    now = utcnow()
    locale = feed.owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    base = request.url_root
    key = services.feed_key(feed, kind, now, locale=locale, base=base)
    digest = last_modified = body = None
    if key == feed.content_key and feed.content_hash is not None and not is_resource_modified(
            request.environ, etag=feed.content_hash[:32], last_modified=feed.content_dt):
        last_modified = feed.content_dt
    else:
        with force_locale(locale):
            info = feeds.feed_info(kind.name, services.target_name(feed, kind))
            events = feeds.feed_events(services.feed_rows(feed, kind, now), public=kind.public, host=links.host(),
                                       now=now, reservation_link=links.reservation_link(base),
                                       facility_link=links.facility_link(base))
            body = write_calendar(info, events)
        digest = hashlib.sha256(body).hexdigest()
        last_modified = feed.content_dt if feed.content_hash == digest else now
    etag = (digest or feed.content_hash)[:32]
    if services.fetch_to_record(feed, digest, key, now):
        with unit_of_work():
            services.record_fetch(feed, digest, key, now)
    response = Response(body or b"", mimetype="text/calendar")
    response.set_etag(etag)
    response.last_modified = last_modified
    response.headers["X-Robots-Tag"] = "noindex"  # the address is a secret
    if kind.public:
        response.cache_control.public = True
        response.cache_control.max_age = PUBLIC_CACHE
    else:  # personal: no shared cache keeps it, and the client asks again each time (a 304 is cheap)
        response.cache_control.private = True
        response.cache_control.no_cache = True
    return response.make_conditional(request)


@bp.get("/reservations/<int:reservation_id>.ics")
@login_required
def reservation_ics(reservation_id: int):
    """A reservation as a calendar file; for a series, every occurrence still on."""
    reservation = db.session.get(Reservation, reservation_id)
    if reservation is None or not can_view_reservation(current_user, reservation):
        abort(404)  # its existence is not revealed
    now = utcnow()
    events = feeds.file_events(services.file_reservations(reservation), host=links.host(), now=now,
                               reservation_link=links.reservation_link(request.url_root))
    return Response(write_calendar(feeds.file_info(reservation), events), mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="reservation-{reservation.id}.ics"'})


# --- subscribe buttons on the pages of the domains below --------------------------------------

SUBSCRIBE = "calendars/_subscribe.html"
panels.register("facility", "subscribe", SUBSCRIBE, lambda facility, **page: {
    "follow": f"facility:{facility.id}",
    "text": _("When %(name)s is booked, in your calendar app: busy times only, without names.",
              name=facility.t("name"))}, order=80)
panels.register("profile", "subscribe", SUBSCRIBE, lambda **page: {
    "follow": f"user:{current_user.id}", "text": _("Your reservations in your calendar app, kept up to date.")})
panels.register("organisation_reservations", "subscribe", SUBSCRIBE, lambda organisation, **page: {
    "follow": f"organisation:{organisation.id}",
    "text": _("Every reservation of %(name)s in your calendar app, kept up to date.", name=organisation.name)})
panels.register("inbox", "subscribe", "calendars/_subscribe_manager.html")
panels.register("agreement", "subscribe", SUBSCRIBE, lambda agreement, **page: {
    "follow": f"agreement:{agreement.id}",
    "text": _("The pilot's reservations in your calendar app, kept up to date.")})


# --- managing feeds ---------------------------------------------------------------------------

def follow_choices(user) -> list[SelectChoice]:
    """What the feeds page offers the user to follow (facilities are followed from their pages)."""
    choices = []
    if user.memberships:
        choices.append((f"user:{user.id}", str(KIND_LABELS["user"])))
    for membership in user.memberships:
        choices.append((f"organisation:{membership.organisation_id}",
                        str(CALENDAR_NAMES["organisation"]) % {"name": membership.organisation.name}))
    if user.is_staff:
        departments = (db.session.scalars(select(Department).order_by(Department.name)).all() if user.is_admin
                       else sorted(user.departments, key=lambda d: d.name))
        choices.append(("manager:", str(CALENDAR_NAMES["manager"]) % {"name": ALL_DEPARTMENTS}))
        choices += [(f"manager:{d.id}", str(CALENDAR_NAMES["manager"]) % {"name": d.name}) for d in departments]
    return [SelectChoice(value, label) for value, label in choices]


def _rows(feed_list: list[CalendarFeed]) -> list[dict]:
    names = kinds.target_names(feed_list)
    allowed = services.still_allowed(feed_list)
    return [{"feed": f, "label": str(KIND_LABELS[f.kind.value]), "target": names.get((f.kind.value, f.target_id), "–"),
             "serving": allowed[f.id]} for f in feed_list]


@bp.get("/calendars")
@login_required
def feeds_page():
    form = FollowForm()
    form.follow.choices = follow_choices(current_user)
    mine = db.session.scalars(services.feeds_query(current_user)).unique().all()
    return render_template("calendars/feeds.html", form=form, rows=_rows(list(mine)), action_form=EmptyForm(),
                           can_list_all=rules.can_list_all_feeds(current_user))


def _created(feed: CalendarFeed, token: str):
    url = url_for("calendars.feed", token=token, _external=True)
    names = kinds.target_names([feed])
    name = feeds.calendar_name(feed.kind.value, names.get((feed.kind.value, feed.target_id), ""))
    return render_template("calendars/created.html", feed=feed, url=url, webcal=links.webcal(url),
                           name=name)


@bp.post("/calendars")
@login_required
def create_feed():
    form = FollowForm()
    follow = parse_follow(form.follow.data) if form.validate_on_submit() else None
    try:
        if follow is None:
            raise RuleViolation(Message("calendars.kind_unknown"))
        with unit_of_work():
            feed, token = services.create_feed(current_user, *follow)
    except DomainError as exc:
        flash_errors(exc)
        return redirect(safe_next("calendars.feeds_page"))
    return _created(feed, token)


def _manageable(feed_id: int) -> CalendarFeed:
    """The feed if the user may see it (owner, admin); 404 otherwise (another person's feed is not revealed)."""
    feed = services.get_feed(feed_id)
    if feed is None or not rules.can_manage_feed(current_user, feed):
        abort(404)
    return feed


@bp.post("/calendars/<int:feed_id>/revoke")
@login_required
def revoke_feed(feed_id: int):
    EmptyForm().validate_on_submit() or abort(400)
    feed = _manageable(feed_id)
    with unit_of_work():
        services.revoke_feed(current_user, feed)
    flash(_("The feed is revoked: its address no longer works. Remove the calendar from your calendar app."),
          "success")
    return redirect(safe_next("calendars.feeds_page"))


@bp.post("/calendars/<int:feed_id>/regenerate")
@login_required
def regenerate_feed(feed_id: int):
    EmptyForm().validate_on_submit() or abort(400)
    feed = _manageable(feed_id)
    try:
        with unit_of_work():
            token = services.regenerate_feed(current_user, feed)
    except DomainError as exc:
        flash_errors(exc)
        return redirect(url_for("calendars.feeds_page"))
    return _created(feed, token)


@bp.get("/calendars/all")
@login_required
def all_feeds():
    if not rules.can_list_all_feeds(current_user):
        abort(403)
    page = min(max(request.args.get("page", 1, type=int), 1), 10**6)
    found, total = paginate(services.feeds_query(), page, ALL_PAGE)
    return render_template("calendars/all.html", rows=_rows(found), action_form=EmptyForm(), page=page,
                           per_page=ALL_PAGE, total=total)

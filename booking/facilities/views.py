"""Public facility pages: the catalogue, find a time, the facility page and its calendars."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking import navigation
from booking.audit import links as audit_links
from booking.accounts.forms import ACTOR_TYPE_LABELS
from booking.accounts.models import ActorType
from booking.api.pagination import paginate
from booking.database import utcnow
from booking.extensions import db
from booking import panels
from booking.facilities import search
from booking.facilities.availability import Interval, first_fit, iter_start_times, local_day_bounds
from booking.facilities.ruleset import DAY, RuleSet
from booking.facilities.manage import bp as manage_bp
from booking.facilities.models import ApprovalPolicy, Facility, FacilityStatus, LateCancellation
from booking.facilities.rules import can_manage_facility, can_view_facility
from booking.facilities.schedules import availability_for, ruleset_for, load_for_schedules
from booking.facilities.forms import amenity_groups
from booking.facilities.search_forms import (CatalogueForm, FindTimeForm, FrontSearchForm, accessibility_label,
                                             category_label)
from booking.formatting import duration as format_duration
from booking.formatting import local_time

bp = Blueprint("facilities", __name__)
bp.register_blueprint(manage_bp)

audit_links.register("Facility", _l("Facility"), "facilities.manage.facility", "facility_id")
audit_links.register("Closure", _l("Closure"))

navigation.add("facilities.catalogue", _l("Facilities"), order=20)

PER_PAGE = 20
# Map tiles are progressive enhancement: without them (offline, blocked, MAP_TILE_URL="")
# the page shows the address and coordinates as text. Tests fetch nothing from outside.
SUGGESTIONS = 4  # other start times offered when the searched one is taken
MONTHS_TO_SKIP = 2  # months without a bookable day the facility page looks past for its month view
BOOKABLE_DAYS = {"mostly_free", "half_booked", "mostly_booked"}


def photo_url(photo, size: str = "thumb") -> str | None:
    """The URL of a stored photo (served by the manager blueprint; None if it is not installed)."""
    if "facilities.manage.photo" not in current_app.view_functions:
        return None
    return url_for("facilities.manage.photo", key=photo.storage_key, size=size)


def short_when(value: datetime, tz: str) -> str:
    """'Tue 14:00' within the coming days, else 'Tue 8 Dec 14:00' (in the facility's time)."""
    pattern = "EEE HH:mm" if value - utcnow() < timedelta(days=6) else "EEE d MMM HH:mm"
    return local_time(value, tz, pattern)


def _render(template: str, status: int = 200, **context):
    """Render with the helpers every discovery page uses."""
    return render_template(template, start_items=start_items, photo_url=photo_url, format_duration=format_duration, short_when=short_when,
                           category_label=category_label, accessibility_label=accessibility_label,
                           default_timezone=current_app.config["DEFAULT_TIMEZONE"], **context), status


def _choices(form, options: dict) -> None:
    if hasattr(form, "department"):
        form.department.choices = [("", _("Any department"))] + [(str(d.id), d.t("name")) for d in options["departments"]]
    form.district.choices = [("", _("Any district"))] + [(d, d) for d in options["districts"]]
    if hasattr(form, "amenity"):
        groups = amenity_groups(options["amenities"])
        form.amenity.choices = [(a.code, a.t("name")) for _, _, amenities in groups for a in amenities]
        # The checkboxes shown in fieldsets by group: (label, [option, …]).
        options_by_code = {option.data: option for option in form.amenity}
        form.amenity.groups = [(label, [options_by_code[a.code] for a in amenities]) for _, label, amenities in groups]


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


# --- the catalogue ------------------------------------------------------------------------

@bp.get("/facilities")
def catalogue():
    form = CatalogueForm(request.args)
    _choices(form, search.filter_options())
    if request.args and not form.validate():
        return _render("facilities/catalogue.html", 422, form=form, facilities=[], total=0, page=1, card_facts={},
                       per_page=PER_PAGE, states={}, when=search.SearchTime())
    query = search.CatalogueQuery(
        text=(form.q.data or "").strip(), category=form.category.data or None,
        department_id=_int(form.department.data), district=form.district.data or None,
        min_capacity=form.size.data, amenities=form.amenity.data or [], accessibility=form.accessibility.data or [],
        sort=form.sort.data or "name")
    when = search.SearchTime(date=form.date.data, time=form.time.data, size=form.size.data,
                             duration=timedelta(minutes=form.duration.data) if form.duration.data else None)
    page = form.page.data or 1
    window = _free_window(when) if form.free.data else None
    if window is None:
        facilities, total = paginate(search.catalogue_select(query), page, PER_PAGE)
    else:
        # Only places with free time then: the API's free filter, then the page's cards.
        ids, total = search.free_in_window(query, window, page, PER_PAGE)
        loaded = {f.id: f for f in db.session.scalars(search.catalogue_select(query).where(Facility.id.in_(ids)))}
        facilities = [loaded[i] for i in ids if i in loaded]
    states = search.free_states(facilities, utcnow(), when)
    in_force = _filters_in_force(form, when) if not total else []
    return _render("facilities/catalogue.html", form=form, facilities=facilities, total=total, page=page,
                   card_facts=panels.card_facts("catalogue", facilities),
                   per_page=PER_PAGE, states=states, when=when, in_force=in_force,
                   alternatives=_alternatives(form, when) if in_force else [],
                   map_tiles=current_app.config["MAP_TILE_URL"], map_attribution=current_app.config["MAP_ATTRIBUTION"])


def _filters_in_force(form: CatalogueForm, when: search.SearchTime) -> list[str]:
    """The catalogue's filters in words, for a search that found nothing."""
    said = []
    if (form.q.data or "").strip():
        said.append(_("the name contains “%(text)s”", text=form.q.data.strip()))
    if form.category.data:
        said.append(_("category: %(category)s", category=category_label(form.category.data)))
    labels = dict(form.department.choices)
    if form.department.data:
        said.append(_("department: %(department)s", department=labels.get(form.department.data, form.department.data)))
    if form.district.data:
        said.append(_("district: %(district)s", district=form.district.data))
    if when.date:
        day = format_date(when.date, "EEEE d MMMM")
        said.append(_("on %(day)s from %(time)s", day=day, time=when.time.strftime("%H:%M")) if when.time else
                    _("on %(day)s", day=day))
    if when.duration:
        said.append(_("for %(duration)s", duration=format_duration(when.duration)))
    if when.size:
        said.append(ngettext("for at least %(num)d person", "for at least %(num)d people", when.size))
    said.extend(_("with %(amenity)s", amenity=a) for a in form.amenity.data or [])
    said.extend(_("with %(feature)s", feature=str(accessibility_label(a)).lower()) for a in form.accessibility.data or [])
    if form.free.data and when.date:
        said.append(_("free then"))
    return said


def _alternatives(form: CatalogueForm, when: search.SearchTime) -> list[tuple[str, str]]:
    """Links that each relax one filter of a search that found nothing: the nearest alternatives."""
    multi = request.args.to_dict(flat=False)
    multi.pop("page", None)

    def link(label, **changes):
        query = dict(multi)
        for key, value in changes.items():
            if value is None:
                query.pop(key, None)
            else:
                query[key] = value if isinstance(value, list) else [value]
        return (label, url_for("facilities.catalogue", **query) + "#results")

    found = []
    if when.date:
        nxt = when.date + timedelta(days=1)
        found.append(link(_("the next day, %(day)s", day=format_date(nxt, "EEEE d MMMM")), date=nxt.isoformat()))
        found.append(link(_("any day"), date=None, time=None))
        if when.time:
            found.append(link(_("any time that day"), time=None))
    if when.size and when.size > 1:
        fewer = max(1, when.size // 2)
        found.append(link(ngettext("at least %(num)d person", "at least %(num)d people", fewer), size=str(fewer)))
    if when.duration and when.duration > timedelta(hours=1):
        shorter = int(when.duration.total_seconds() // 120)
        found.append(link(_("for %(duration)s", duration=format_duration(timedelta(minutes=shorter))),
                          duration=str(shorter)))
    if form.category.data:
        found.append(link(_("any category"), category=None))
    if form.district.data:
        found.append(link(_("any district"), district=None))
    if form.department.data:
        found.append(link(_("any department"), department=None))
    if (form.q.data or "").strip():
        found.append(link(_("any name"), q=None))
    for amenity in form.amenity.data or []:
        found.append(link(_("without %(amenity)s", amenity=amenity),
                          amenity=[a for a in multi.get("amenity", []) if a != amenity] or None))
    for feature in form.accessibility.data or []:
        found.append(link(_("without %(feature)s", feature=str(accessibility_label(feature)).lower()),
                          accessibility=[a for a in multi.get("accessibility", []) if a != feature] or None))
    return found


def _free_window(when: search.SearchTime) -> Interval | None:
    """The time a search asks to be free, in the city's time zone: from the date and time for
    the duration (an hour without one), or the whole day without a time; None without a date."""
    if when.date is None:
        return None
    start = when.start(current_app.config["DEFAULT_TIMEZONE"])
    if when.time is None:
        end = search.local_day_bounds(when.date, ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).end
    else:
        end = start + (when.duration or timedelta(hours=1))
    return Interval(start, end)


# --- the front page: the search first, and a few places that stand empty most ------------

UNDERUSED_SHOWN = 4
FREE_STATES = ("free_now", "free_from")


def _front_search(**page) -> dict:
    return {"form": FrontSearchForm(), "find_url": url_for("facilities.find"),
            "action": url_for("facilities.catalogue")}


def _front_underused(**page) -> dict:
    """The least used published facilities (by the stored recent utilisation), with their free state."""
    candidates = db.session.scalars(
        search.catalogue_select(search.CatalogueQuery(sort="least_used"))
        .where(Facility.recent_utilisation.is_not(None), Facility.capacity > 0)
        .limit(UNDERUSED_SHOWN * 3)).all()
    # Least used, but only those with free time to offer in the coming days.
    states = search.free_states(candidates, utcnow())
    facilities = [f for f in candidates if states[f.id].state in FREE_STATES][:UNDERUSED_SHOWN]
    return {"facilities": facilities, "states": states,
            "card_facts": panels.card_facts("catalogue", facilities), "photo_url": photo_url,
            "short_when": short_when, "category_label": category_label,
            "default_timezone": current_app.config["DEFAULT_TIMEZONE"]}


panels.register("front", "search", "facilities/_front_search.html", _front_search, order=10)
panels.register("front", "underused", "facilities/_front_underused.html", _front_underused, order=20)


# --- find a time --------------------------------------------------------------------------

@bp.get("/facilities/find")
def find():
    form = FindTimeForm(request.args)
    _choices(form, {"districts": search.published_districts()})  # the only choices it has from the database
    today = utcnow().astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()
    if "date_from" not in request.args:
        form.date_from.data = today
        form.date_to.data = today + timedelta(days=4)
        return _render("facilities/find.html", form=form, searched=False)
    if not form.validate():
        return _render("facilities/find.html", 422, form=form, searched=False)
    duration = timedelta(minutes=form.duration.data)
    request_ = search.TimeRequest(
        first_day=form.date_from.data, last_day=form.date_to.data, duration=duration, size=form.size.data,
        earliest=form.earliest.data, latest=form.latest.data, category=form.category.data or None,
        district=form.district.data or None)
    matches = search.find_time(request_, utcnow())
    page = form.page.data or 1
    shown = matches[(page - 1) * PER_PAGE:page * PER_PAGE]
    cards = search.cards([m.facility.id for m in shown])  # only the page's facilities become objects
    when = search.SearchTime(duration=duration, size=form.size.data)
    results, names, counts = [], {}, {}
    for match in shown:
        match.facility = cards[match.facility.id]
        links = StartLinks(match.facility, when)
        results.append((match, links(match.first_start),
                        _days(match.start_times(duration), match.slot, links, names, counts)))
    return _render("facilities/find.html", form=form, searched=True, results=results, total=len(matches),
                   page=page, per_page=PER_PAGE)


_CLOCK = [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(24 * 60)]  # "00:00" to "23:59"


class StartLink(NamedTuple):
    start: datetime
    label: str  # the local time, "14:00"
    url: str
    href: str   # the url escaped for an HTML attribute


class StartLinks:
    """Links to a facility's page with a start and the search pre-filled for booking. A week
    of a 24-hour facility has hundreds of starts, so the URL is built once and filled in."""

    def __init__(self, facility: Facility, when: search.SearchTime):
        self.zone = ZoneInfo(facility.timezone)
        rest = {k: v for k, v in when.params().items() if k in ("duration", "size")}
        self.base = url_for("facilities.detail", slug=facility.slug)
        self.tail = "".join(f"&{k}={v}" for k, v in rest.items()) + "#booking"

    def __call__(self, start: datetime) -> StartLink:
        return self.by_day([start])[start.astimezone(self.zone).date()][0]

    def by_day(self, starts: list[datetime]) -> dict[date, list[StartLink]]:
        """The links of many starts (in order), by local day, in one loop: a page has thousands.
        A day's links differ only in their label ("14:00", nothing to escape): the rest is
        escaped once a day, and on a day without a DST change the local time is one addition."""
        days: dict[date, list[StartLink]] = {}
        zone, tail, href_tail = self.zone, self.tail, str(escape(self.tail))
        links = prefix = href_prefix = offset = None
        day_start = day_end = starts[0] if starts else None
        for start in starts:
            if day_start <= start < day_end:
                local = start + offset
            else:
                local = start.astimezone(zone)
                day = local.date()
                prefix = f"{self.base}?date={day.isoformat()}&time="
                href_prefix = str(escape(prefix))
                links = days.setdefault(day, [])
                bounds = local_day_bounds(day, zone)
                offset = local.utcoffset()
                day_start, day_end = (bounds.start, bounds.end) if bounds.end - bounds.start == DAY else (start, start)
            label = _CLOCK[local.hour * 60 + local.minute]
            links.append(StartLink(start, label, prefix + label + tail, href_prefix + label + href_tail))
        return days


_start = attrgetter("start")


class StartDay(NamedTuple):
    day: date
    label: str  # "Fri 11 Dec"
    name: str   # "Friday 11 December", said to screen readers with each start
    runs: list[tuple[StartLink, StartLink]]  # consecutive starts as (first, last)
    starts: list[StartLink]
    count: str  # "12 start times"


def start_items(starts: list[StartLink], day_name: str) -> Markup:
    """<li><a href="{url}">{label}<span class="visually-hidden">, {day_name}</span></a></li>
    for each start: joined here, not looped in the template, as a page has thousands."""
    name = escape(day_name)
    return Markup("".join(f'<li><a href="{link.href}">{link.label}<span class="visually-hidden">, '
                          f'{name}</span></a></li>' for link in starts))


def _days(starts: list[datetime], slot: timedelta, links: StartLinks, names: dict, counts: dict) -> list[StartDay]:
    """Start times by local day. `names` caches each date's label and name across results, and
    `counts` each number's "N start times" (a page has a hundred days to say it of)."""
    days = []
    for day, day_links in links.by_day(starts).items():
        if day not in names:
            names[day] = (format_date(day, "EEE d MMM"), format_date(day, "EEEE d MMMM"))
        if (count := len(day_links)) not in counts:
            counts[count] = ngettext("%(num)d start time", "%(num)d start times", count)
        days.append(StartDay(day, *names[day], search.group_runs(day_links, slot, key=_start), day_links,
                             counts[count]))
    return days


# --- the facility page --------------------------------------------------------------------

def _date_arg(name: str, parse) -> date | None:
    try:
        return parse(request.args.get(name, "")) if request.args.get(name) else None
    except ValueError:
        return None


def _weekday_names() -> list[tuple[str, str]]:
    """(abbreviated, full) weekday names, Monday first, in the user's language."""
    short, wide = get_day_names("abbreviated", locale=get_locale()), get_day_names("wide", locale=get_locale())
    return [(short[i], wide[i]) for i in range(7)]


def _month(value: str) -> date:
    return search.parse_date(f"{value}-01")


@bp.get("/facilities/<slug>")
def detail(slug: str):
    facility = _load_facility(slug)
    if facility is None or not can_view_facility(current_user, facility):
        abort(404)
    when = search.SearchTime.from_args(request.args)
    zone = ZoneInfo(facility.timezone)
    now = utcnow()
    today = now.astimezone(zone).date()
    monday = search.week_start(_date_arg("week", search.parse_date) or when.date or today)
    limits = ruleset_for(facility)
    asked_month = _date_arg("month", _month)
    # Unless one is asked for, the month shown is the first with days that can still be booked:
    # not the end of a month already past, nor (for a seasonal place) months it is closed.
    first_bookable = limits.start_bounds(now)[0].astimezone(zone).date()
    first_of_month = asked_month or search.month_start(max(monday, first_bookable))

    load_for_schedules([facility.id])
    asked = when.start(facility.timezone)

    def calendars(first: date):
        """The availability behind the week, the month and the search check, and the month's days."""
        window = search.calendar_window(monday, first, facility.timezone)
        if asked and when.duration:
            window = Interval(min(window.start, asked - timedelta(days=1)),
                              max(window.end, asked + when.duration + timedelta(days=1)))
        found = availability_for([facility], window)[facility.id]
        return found, search.month_weeks(found, first, facility.timezone, today)

    found, month = calendars(first_of_month)
    candidate = first_of_month
    for _later in range(0 if asked_month else MONTHS_TO_SKIP):
        if _has_bookable_day(month):
            break
        candidate = search.month_start(candidate + timedelta(days=31))
        later = calendars(candidate)
        if _has_bookable_day(later[1]):
            (found, month), first_of_month = later, candidate

    return _render(
        "facilities/detail.html", facility=facility, when=when, search_params=when.params(), limits=limits,
        today=today, this_week=search.week_start(today).isoformat(), weekday_names=_weekday_names(),
        booking_minutes=int((when.duration or limits.min_duration).total_seconds() // 60),
        manage_url=url_for("facilities.manage.facility", facility_id=facility.id)
        if can_manage_facility(current_user, facility) and "facilities.manage.facility" in current_app.view_functions
        else None,
        panels=panels.render("facility", facility=facility, when=when, search_params=when.params(), limits=limits),
        map_tiles=current_app.config["MAP_TILE_URL"],
        map_attribution=current_app.config["MAP_ATTRIBUTION"],
        rules=rule_sentences(facility, limits), check=_check_search(facility, limits, found, when, now),
        is_public=facility.status == FacilityStatus.published,
        monday=monday, week=search.week_rows(found, monday, facility.timezone, now, limits),
        week_days=[monday + timedelta(days=i) for i in range(7)],
        first_of_month=first_of_month, month=month,
        key_facts=panels.card_facts("catalogue", [facility]).get(facility.id, []),
        prev_week=(monday - timedelta(days=7)).isoformat(), next_week=(monday + timedelta(days=7)).isoformat(),
        prev_month=(first_of_month - timedelta(days=1)).strftime("%Y-%m"),
        next_month=(first_of_month + timedelta(days=31)).strftime("%Y-%m"))


def _has_bookable_day(month) -> bool:
    return any(d is not None and d.label in BOOKABLE_DAYS for week in month for d in week)


def _load_facility(slug: str) -> Facility | None:
    return db.session.scalar(select(Facility).where(Facility.slug == slug).options(
        selectinload(Facility.department), selectinload(Facility.amenities), selectinload(Facility.accessibility),
        selectinload(Facility.photos), selectinload(Facility.terms)))


def _check_search(facility: Facility, limits: RuleSet, found, when: search.SearchTime, now: datetime):
    """Whether the searched time can be booked here, why not, and the next times that can."""
    if not (when.date and when.time and when.duration):
        return None
    start = when.start(facility.timezone)
    problems = []
    if when.size and when.size > facility.capacity:
        problems.append(_("This facility takes at most %(num)d people.", num=facility.capacity))
    if not limits.allows_duration(when.duration):
        problems.append(_("Bookings here last from %(min)s to %(max)s.", min=format_duration(limits.min_duration),
                          max=format_duration(limits.longest) if limits.longest else _("any length")))
    earliest, latest = limits.start_bounds(now)
    if start < earliest:
        problems.append(_("This is too soon: book at least %(notice)s ahead.",
                          notice=format_duration(limits.min_notice)))
    elif start > latest:
        problems.append(_("This is too far ahead: book at most %(days)s ahead.",
                          days=format_duration(limits.max_advance)))
    elif first_fit(found.free, when.duration, limits.slot, facility.timezone, earliest=start, latest=start) != start:
        problems.append(_("This time is not free (or not on the booking grid of every %(slot)s).",
                          slot=format_duration(limits.slot)))
    suggestions = []
    if problems and limits.allows_duration(when.duration):
        for candidate in iter_start_times(found.free, when.duration, limits.slot, facility.timezone,
                                          earliest=max(start, earliest), latest=latest):
            suggestions.append(candidate)
            if len(suggestions) == SUGGESTIONS:
                break
    return {"start": start, "end": start + when.duration, "problems": problems, "suggestions": suggestions}


def rule_sentences(facility: Facility, limits: RuleSet) -> list[str]:
    """The booking rules in plain words, for before anyone picks a time."""
    rules = facility.rules
    sentences = [
        _("Book at least %(notice)s and at most %(advance)s ahead.", notice=format_duration(limits.min_notice),
          advance=format_duration(limits.max_advance)) if limits.min_notice else
        _("Book at short notice, up to %(advance)s ahead.", advance=format_duration(limits.max_advance)),
        _("A booking lasts at least %(min)s and at most %(max)s.", min=format_duration(limits.min_duration),
          max=format_duration(limits.longest)) if limits.longest else
        _("A booking lasts at least %(min)s, with no upper limit.", min=format_duration(limits.min_duration)),
        _("Bookings can start every %(slot)s, counted from midnight.", slot=format_duration(limits.slot)),
        _("Bookings can last several days.") if limits.allow_multi_day else _("A booking lasts a day at most."),
    ]
    if limits.buffer_before and limits.buffer_after:
        sentences.append(_("%(before)s before and %(after)s after each booking are kept free for setting up "
                           "and clearing away.", before=format_duration(limits.buffer_before),
                           after=format_duration(limits.buffer_after)))
    elif limits.buffer_before:
        sentences.append(_("%(before)s before each booking is kept free for setting up.",
                           before=format_duration(limits.buffer_before)))
    elif limits.buffer_after:
        sentences.append(_("%(after)s after each booking is kept free for clearing away.",
                           after=format_duration(limits.buffer_after)))
    if rules is None:
        return sentences
    if rules.max_active_per_organisation:
        sentences.append(ngettext("An organisation can have %(num)d active booking here at a time.",
                                  "An organisation can have %(num)d active bookings here at a time.",
                                  rules.max_active_per_organisation))
        sentences.append(_("A recurring series counts as many bookings as it has dates in one week: a weekly "
                           "series for a whole season counts as one."))
    sentences.append(_approval_sentence(rules))
    if rules.late_cancellation == LateCancellation.fee:
        sentences.append(_("Cancel free of charge until %(deadline)s before the start; later, a fee applies.",
                           deadline=format_duration(timedelta(hours=rules.cancellation_deadline_hours))))
    else:
        sentences.append(_("Cancel until %(deadline)s before the start; after that a booking cannot be cancelled.",
                           deadline=format_duration(timedelta(hours=rules.cancellation_deadline_hours))))
    return sentences


def _approval_sentence(rules) -> str:
    if rules.approval_policy == ApprovalPolicy.automatic:
        return _("A booking that meets these rules is confirmed at once.")
    if rules.approval_policy == ApprovalPolicy.manual:
        return _("A manager approves each booking request.")
    conditions = []
    if rules.manual_actor_types:
        conditions.append(_("from %(types)s", types=", ".join(
            str(ACTOR_TYPE_LABELS.get(ActorType(t), t)) if t in ActorType.__members__ else t
            for t in rules.manual_actor_types)))
    if rules.manual_above_minutes:
        conditions.append(_("longer than %(duration)s",
                            duration=format_duration(timedelta(minutes=rules.manual_above_minutes))))
    if not conditions:
        return _("A booking that meets these rules is confirmed at once.")
    return _("A manager approves requests %(conditions)s; others are confirmed at once.",
             conditions=_(" or ").join(conditions))

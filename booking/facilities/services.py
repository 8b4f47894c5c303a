"""Facility use cases for managers: details, status, hours, closures, rules, terms, questions, photos.

Each function checks its input, collecting every reason before it refuses (a RuleViolation whose
reasons are coded Messages, worded in booking/facilities/messages.py), then changes the session
and publishes what happened (an audit event on the facility). It adds and flushes; the boundary's
unit of work commits (a view, the CLI or the CSV importer's caller), so a whole import is one
transaction and a refused change leaves nothing behind.
"""
from __future__ import annotations

import enum
import io
import re
import unicodedata
import uuid
import warnings
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select

from booking.accounts.models import ActorType, Department
from booking.audit.services import snapshot
from booking.content import clean_translations, content_language
from booking.database import utcnow
from booking.errors import Message, RuleViolation
from booking.events import Event, publish
from booking.extensions import db
from booking.facilities import messages  # noqa: F401 - registers the wording of this domain's codes
from booking.facilities.amenities import code_for, group_for, match_key
from booking.facilities.availability import local_instant
from booking.facilities.models import (ACCESSIBILITY_FEATURES, AMENITY_GROUPS, CATEGORIES, Amenity, ApprovalPolicy, BookingQuestion,
                                       BookingRules, Closure, Facility, FacilityAccessibility, FacilityAmenity,
                                       FacilityPhoto, FacilityStatus, FacilityTerms, LateCancellation,
                                       OpeningHours, QuestionKind, SpecialOpening)
from booking.storage import get_storage

MAX_CAPACITY = 1_000_000  # people: more than any venue holds, and far less than the column does

DETAIL_FIELDS = ("name", "department_id", "category", "description", "address", "district", "latitude",
                 "longitude", "capacity", "area_m2", "house_rules", "accessibility_notes", "timezone")
# `translations`: {"fi": {"name": …, "description": …}, …}, the languages other than the content language.
EDITABLE_FIELDS = DETAIL_FIELDS + ("amenities", "accessibility", "translations")
# The longest text of each translatable field, in any language.
TEXT_LIMITS = {"name": 200, "description": 20_000, "house_rules": 20_000, "accessibility_notes": 5_000}
RULE_FIELDS = ("slot_minutes", "min_duration_minutes", "max_duration_minutes", "min_notice_minutes",
               "max_advance_days", "buffer_before_minutes", "buffer_after_minutes", "allow_multi_day",
               "max_active_per_organisation", "approval_policy", "manual_actor_types", "manual_above_minutes",
               "cancellation_deadline_hours", "late_cancellation")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_BUFFER_MINUTES = 24 * 60
MAX_ADVANCE_DAYS = 5 * 365
PHOTO_MAX_SIDE = 1600
THUMB_MAX_SIDE = 480
# A real photo needs no more (a 45-megapixel camera makes 8192 × 5464); a "photo" with more is
# likely a decompression bomb: a 233 KB PNG of 60 megapixels took 880 MB to decode.
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


class TextError(ValueError):
    """Text a parser could not read (hours, weekdays, amenities), with every reason as a Message."""

    def __init__(self, *reasons: Message):
        super().__init__(*reasons)
        self.messages = list(reasons)

    def __str__(self) -> str:
        return " ".join(str(m) for m in self.messages)


def _refuse(problems: dict[str, list[Message]] | None = None, *reasons) -> None:
    if problems or reasons:
        raise RuleViolation(*reasons, field_errors={k: v for k, v in (problems or {}).items() if v})


def _add(problems: dict[str, list[Message]], name: str, message: Message) -> None:
    problems.setdefault(name, []).append(message)


def _record(action: str, facility: Facility, *, actor=None, before=None, after=None) -> None:
    publish(Event(action, facility, actor=actor, before=before, after=after))


def _plain(value):
    return value.value if isinstance(value, enum.Enum) else value


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only what changed, for a readable history."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


# --- text forms of hours and amenities (forms and the CSV share them) -----------------

_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?$")


def _parse_time(text: str, *, is_end: bool = False) -> time:
    match = _TIME.match(text.strip())
    if not match:
        raise TextError(Message("facilities.text.not_a_time", value=text.strip()))
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if is_end and hour == 24 and minute == 0:
        return time(0)  # 24:00 is the next midnight: an end at or before the start ends next day
    if hour > 23 or minute > 59:
        raise TextError(Message("facilities.text.not_a_time_of_day", value=text.strip()))
    return time(hour, minute)


def parse_intervals(text: str) -> list[tuple[time, time]]:
    """'08:00-12:00, 13:00-20:00' → [(08:00, 12:00), (13:00, 20:00)]; empty text → [].
    An end at or before the start (22:00-02:00, 00:00-24:00) runs into the next day."""
    spans = []
    for part in (p.strip() for p in (text or "").replace(";", ",").split(",")):
        if not part:
            continue
        pieces = re.split(r"\s*[-–—]\s*", part)
        if len(pieces) != 2:
            raise TextError(Message("facilities.text.not_an_interval", value=part))
        spans.append((_parse_time(pieces[0]), _parse_time(pieces[1], is_end=True)))
    return sorted(spans)


def _fmt(t: time, is_end: bool = False) -> str:
    return "24:00" if is_end and t == time(0) else t.strftime("%H:%M")


def format_intervals(spans) -> str:
    return ", ".join(f"{_fmt(s)}-{_fmt(e, True)}" for s, e in spans)


def _parse_days(text: str) -> list[int]:
    days: list[int] = []
    names = [d.lower() for d in WEEKDAYS]
    for piece in text.split(","):
        bounds = [b.strip().lower()[:3] for b in piece.split("-")]
        if len(bounds) not in (1, 2) or any(b not in names for b in bounds):
            raise TextError(Message("facilities.text.not_a_weekday", value=piece))
        first, last = names.index(bounds[0]), names.index(bounds[-1])
        if last < first:
            raise TextError(Message("facilities.text.days_backwards", value=piece))
        days.extend(range(first, last + 1))
    return days


def parse_week(text: str) -> dict[int, list[tuple[time, time]]]:
    """'Mon-Fri 08:00-12:00,13:00-20:00; Sat 10:00-16:00' → {0: [...], …, 5: [...]}.
    Days not named are closed. Raises ValueError with every problem found."""
    week: dict[int, list[tuple[time, time]]] = {}
    errors: list[Message] = []
    for segment in (s.strip() for s in (text or "").split(";")):
        if not segment:
            continue
        head, _sep, rest = segment.partition(" ")
        try:
            days = _parse_days(head)
            spans = parse_intervals(rest)
            if not spans:
                raise TextError(Message("facilities.text.days_without_hours", value=segment))
        except TextError as exc:
            errors.extend(exc.messages)
            continue
        for day in days:
            if day in week:
                errors.append(Message("facilities.text.day_twice", day=WEEKDAYS[day]))
            week[day] = spans
    if errors:
        raise TextError(*errors)
    return week


def format_week(week: dict[int, list[tuple[time, time]]]) -> str:
    """The compact form parse_week reads; consecutive days with equal hours are grouped."""
    segments = []
    day = 0
    while day < 7:
        spans = week.get(day)
        if not spans:
            day += 1
            continue
        last = day
        while last + 1 < 7 and week.get(last + 1) == spans:
            last += 1
        days = WEEKDAYS[day] if last == day else f"{WEEKDAYS[day]}-{WEEKDAYS[last]}"
        segments.append(f"{days} {format_intervals(spans).replace(', ', ',')}")
        day = last + 1
    return "; ".join(segments)


def parse_amenities(text: str) -> dict[str, int]:
    """'Projector:2; Wi-Fi' or one per line → {"Projector": 2, "Wi-Fi": 1}."""
    amenities: dict[str, int] = {}
    errors: list[Message] = []
    for item in (i.strip() for i in re.split(r"[;\n]", text or "")):
        if not item:
            continue
        name, sep, quantity = item.rpartition(":")
        if not sep:
            name, quantity = item, "1"
        name = name.strip()
        try:
            amount = int(quantity.strip())
        except ValueError:
            errors.append(Message("facilities.text.quantity_not_whole", value=item))
            continue
        if match_key(name) in (match_key(n) for n in amenities):
            errors.append(Message("facilities.text.listed_twice", name=name))
        amenities[name] = amount
    if errors:
        raise TextError(*errors)
    return amenities


def format_amenities(amenities: dict[str, int], separator: str = ";") -> str:
    return separator.join(f"{name}:{quantity}" for name, quantity in amenities.items())


# --- facility details ------------------------------------------------------------------

def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:100] or "facility"


SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


# Slugs that are pages of their own under /facilities/.
RESERVED_SLUGS = {"find"}


def unique_slug(name: str) -> str:
    base = slugify(name)
    if base in RESERVED_SLUGS:
        base = f"{base}-1"
    taken = set(db.session.scalars(select(Facility.slug).where(Facility.slug.like(f"{base}%"))))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return "/" in name or name == "UTC"


def facility_snapshot(facility: Facility) -> dict:
    data = snapshot(facility, DETAIL_FIELDS)
    data["amenities"] = {a.name: a.quantity for a in facility.amenities}
    data["accessibility"] = sorted(a.feature for a in facility.accessibility)
    data["translations"] = facility.translations or {}
    return data


def facility_problems(values: dict, facility: Facility | None = None) -> dict[str, list[Message]]:
    """Every reason the values (all of EDITABLE_FIELDS) cannot describe a facility."""
    problems: dict[str, list[Message]] = {}
    name = values.get("name") or ""
    if not name.strip():
        _add(problems, "name", Message("facilities.name_missing"))
    elif len(name) > 200:
        _add(problems, "name", Message("facilities.name_too_long", n=200))
    department_id = values.get("department_id")
    if department_id is None or db.session.get(Department, department_id) is None:
        _add(problems, "department_id", Message("facilities.department_missing"))
    elif name.strip():
        same = select(Facility.id).where(Facility.department_id == department_id,
                                         func.lower(Facility.name) == name.strip().lower())
        if facility is not None and facility.id is not None:
            same = same.where(Facility.id != facility.id)
        if db.session.scalar(same) is not None:
            _add(problems, "name", Message("facilities.name_taken", name=name.strip()))
    if values.get("category") not in CATEGORIES:
        _add(problems, "category", Message("facilities.category_unknown", list=", ".join(CATEGORIES)))
    capacity = values.get("capacity")
    if not isinstance(capacity, int) or capacity < 0:
        _add(problems, "capacity", Message("facilities.capacity_invalid"))
    elif capacity > MAX_CAPACITY:
        _add(problems, "capacity", Message("facilities.capacity_too_large", n=MAX_CAPACITY))
    area = values.get("area_m2")
    if area is not None and area < 0:
        _add(problems, "area_m2", Message("facilities.area_negative"))
    latitude, longitude = values.get("latitude"), values.get("longitude")
    if (latitude is None) != (longitude is None):
        _add(problems, "longitude" if latitude is not None else "latitude",
             Message("facilities.coordinates_half"))
    if latitude is not None and not -90 <= latitude <= 90:
        _add(problems, "latitude", Message("facilities.latitude_range"))
    if longitude is not None and not -180 <= longitude <= 180:
        _add(problems, "longitude", Message("facilities.longitude_range"))
    if not valid_timezone(values.get("timezone") or ""):
        _add(problems, "timezone", Message("facilities.timezone_unknown", value=values.get("timezone") or ""))
    for field, limit in (("address", 300), ("district", 100)):
        if len(values.get(field) or "") > limit:
            _add(problems, field, Message("facilities.too_long", n=limit))
    for language, fields in (values.get("translations") or {}).items():
        for field, text in fields.items():
            if len(text) > TEXT_LIMITS[field]:
                _add(problems, f"{field}_{language}", Message("facilities.too_long", n=TEXT_LIMITS[field]))
    for amenity, quantity in (values.get("amenities") or {}).items():
        if not amenity or len(amenity) > 100:
            _add(problems, "amenities", Message("facilities.amenity_name", n=100))
        if not isinstance(quantity, int) or quantity < 1:
            _add(problems, "amenities", Message("facilities.amenity_quantity", name=amenity))
    unknown = [f for f in values.get("accessibility") or () if f not in ACCESSIBILITY_FEATURES]
    if unknown:
        _add(problems, "accessibility", Message("facilities.accessibility_unknown", list=", ".join(unknown),
                                                known=", ".join(ACCESSIBILITY_FEATURES)))
    return problems


def normalise_details(values: dict) -> dict:
    """Trimmed strings, area to 0.1 m², a sorted set of features."""
    values = dict(values)
    for field in ("name", "description", "address", "district", "house_rules", "accessibility_notes", "timezone"):
        if values.get(field) is not None:
            values[field] = values[field].strip()
    if "translations" in values:
        values["translations"] = clean_translations(values["translations"], Facility.TRANSLATABLE)
    if values.get("area_m2") is not None:
        values["area_m2"] = Decimal(str(values["area_m2"])).quantize(Decimal("0.1"))
    for field in ("latitude", "longitude"):
        if values.get(field) is not None:
            values[field] = float(values[field])
    if "amenities" in values:
        values["amenities"] = {k.strip(): v for k, v in (values["amenities"] or {}).items()}
    if "accessibility" in values:
        values["accessibility"] = sorted(set(values["accessibility"] or ()))
    return values


def _apply_details(facility: Facility, values: dict) -> None:
    for field in DETAIL_FIELDS:
        if field in values:
            setattr(facility, field, values[field])
    if "translations" in values:
        facility.translations = values["translations"]
    if "amenities" in values:
        vocabulary = amenities_named(list(values["amenities"]))
        # By the entry itself: one just added to the vocabulary has no id yet.
        existing = {id(a.amenity): a for a in facility.amenities}
        wanted: dict[int, FacilityAmenity] = {}
        for name, quantity in values["amenities"].items():
            key = id(vocabulary[name])
            row = wanted.get(key) or existing.get(key) or FacilityAmenity(amenity=vocabulary[name])
            # Two names of one amenity ('Screen', 'Screens'): one row, the larger number.
            row.quantity = max(quantity, row.quantity if key in wanted else 0)
            wanted[key] = row
        facility.amenities = list(wanted.values())
    if "accessibility" in values:
        existing = {a.feature: a for a in facility.accessibility}
        facility.accessibility = [existing.get(f) or FacilityAccessibility(feature=f)
                                  for f in values["accessibility"]]


# --- the amenity vocabulary ------------------------------------------------------------

def amenity_index() -> dict[str, Amenity]:
    """Every amenity by the match key of its code and of its name in each language (one query)."""
    index: dict[str, Amenity] = {}
    for amenity in db.session.scalars(select(Amenity).order_by(Amenity.id)):
        names = [amenity.code, amenity.name] + [t.get("name", "") for t in (amenity.translations or {}).values()]
        for name in names:
            if name:
                index.setdefault(match_key(name), amenity)
    return index


def amenities_named(names: list[str]) -> dict[str, Amenity]:
    """The vocabulary entry each name means, in any language or as a code; a name the
    vocabulary lacks becomes a new entry (grouped by keyword) for an admin to translate."""
    index = amenity_index() if names else {}
    found: dict[str, Amenity] = {}
    for name in names:
        key = match_key(name)
        if key not in index:
            code, number = code_for(name), 2
            taken = {a.code for a in index.values()}
            while code in taken:
                code, number = f"{code_for(name)[:55]}_{number}", number + 1
            index[key] = Amenity(code=code, group=group_for(name), name=name.strip()[:100], translations={})
            db.session.add(index[key])
        found[name] = index[key]
    return found


def update_amenity(amenity: Amenity, *, group: str, names: dict[str, str], actor=None) -> bool:
    """Regroup an amenity and name it in each language (the content language's name is required)."""
    base = content_language()
    problems: dict[str, list[Message]] = {}
    if group not in AMENITY_GROUPS:
        _add(problems, "group", Message("facilities.amenity_group_unknown", list=", ".join(AMENITY_GROUPS)))
    if not (names.get(base) or "").strip():
        _add(problems, f"name_{base}", Message("facilities.amenity_name", n=100))
    for language, name in names.items():
        if len(name or "") > 100:
            _add(problems, f"name_{language}", Message("facilities.amenity_name", n=100))
    _refuse(problems)
    before = {"group": amenity.group, "name": amenity.name, "translations": amenity.translations or {}}
    amenity.group = group
    amenity.set_texts("name", {language: (name or "").strip() for language, name in names.items()}, base)
    after = {"group": amenity.group, "name": amenity.name, "translations": amenity.translations or {}}
    old, new = _diff(before, after)
    if not new:
        return False
    publish(Event("amenity.updated", amenity, actor=actor, before=old, after={"code": amenity.code, **new}))
    return True


def create_facility(*, actor=None, slug: str | None = None, **values) -> Facility:
    """A new draft facility with default booking rules. `values` are EDITABLE_FIELDS."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown facility fields: {sorted(unknown)}")
    values = normalise_details({"description": "", "address": "", "district": "", "house_rules": "",
                                "accessibility_notes": "", "translations": {}, "capacity": 0, "timezone": current_app.config["DEFAULT_TIMEZONE"],
                                "amenities": {}, "accessibility": [], **values})
    problems = facility_problems(values)
    if slug and (not SLUG_PATTERN.match(slug) or slug in RESERVED_SLUGS):
        _add(problems, "slug", Message("facilities.slug_invalid"))
    elif slug and db.session.scalar(select(Facility.id).where(Facility.slug == slug)) is not None:
        _add(problems, "slug", Message("facilities.slug_taken", slug=slug))
    _refuse(problems)
    facility = Facility(slug=slug or unique_slug(values["name"]), status=FacilityStatus.draft)
    _apply_details(facility, values)
    facility.rules = BookingRules(manual_actor_types=[])
    db.session.add(facility)
    db.session.flush()
    _record("facility.created", facility, actor=actor, after={"slug": facility.slug, **facility_snapshot(facility)})
    return facility


def update_facility(facility: Facility, *, actor=None, **values) -> bool:
    """Change the given EDITABLE_FIELDS. Returns whether anything changed."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown facility fields: {sorted(unknown)}")
    before = facility_snapshot(facility)
    values = normalise_details(values)
    current = {**before, "department_id": facility.department_id, "area_m2": facility.area_m2}
    _refuse(facility_problems({**current, **values}, facility))
    _apply_details(facility, values)
    old, new = _diff(before, facility_snapshot(facility))
    if not new:
        return False
    _record("facility.updated", facility, actor=actor, before=old, after=new)
    return True


STATUS_ACTIONS = {FacilityStatus.published: "facility.published", FacilityStatus.archived: "facility.archived",
                  FacilityStatus.draft: "facility.drafted"}


def set_status(facility: Facility, status: FacilityStatus | str, *, actor=None) -> None:
    """Publish, archive or return to draft. Only a facility with opening hours can be published."""
    status = FacilityStatus(status)
    if facility.status == status:
        return
    if status == FacilityStatus.published and not facility.opening_hours:
        _refuse(None, Message("facilities.publish_without_hours", name=facility.name))
    before = facility.status
    facility.status = status
    _record(STATUS_ACTIONS[status], facility, actor=actor, before={"status": before}, after={"status": status})


# --- opening hours ------------------------------------------------------------------------

def _minutes(span: tuple[time, time]) -> tuple[int, int]:
    start = span[0].hour * 60 + span[0].minute
    end = span[1].hour * 60 + span[1].minute
    return start, end if end > start else end + 24 * 60


def spans_problems(spans: list[tuple[time, time]]) -> list[Message]:
    """Intervals of one day must not overlap (an end after midnight counts into the next day)."""
    ordered = sorted(spans, key=_minutes)
    return [Message("facilities.hours.overlap", a=format_intervals([a]), b=format_intervals([b]))
            for a, b in zip(ordered, ordered[1:]) if _minutes(b)[0] < _minutes(a)[1]]


def hours_versions(facility: Facility) -> dict[date, dict[int, list[tuple[time, time]]]]:
    """{valid_from: {weekday: [(start, end), …]}} in date order."""
    versions: dict[date, dict[int, list[tuple[time, time]]]] = {}
    for row in facility.opening_hours:
        versions.setdefault(row.valid_from, {}).setdefault(row.weekday, []).append((row.start_time, row.end_time))
    for week in versions.values():
        for spans in week.values():
            spans.sort()
    return dict(sorted(versions.items()))


def version_on(facility: Facility, day: date) -> date | None:
    """The valid_from of the hours that apply on `day`."""
    earlier = [v for v in hours_versions(facility) if v <= day]
    return max(earlier) if earlier else None


def local_today(facility: Facility) -> date:
    return utcnow().astimezone(ZoneInfo(facility.timezone)).date()


def set_opening_hours(facility: Facility, valid_from: date, week: dict[int, list[tuple[time, time]]], *,
                      actor=None) -> bool:
    """Replace the weekly hours that start on `valid_from` (a new version if none starts then).
    Returns whether anything changed."""
    problems: dict[str, list[Message]] = {}
    if not isinstance(valid_from, date):
        _add(problems, "valid_from", Message("facilities.hours.valid_from_missing"))
    for day, spans in week.items():
        for message in spans_problems(spans):
            _add(problems, f"day_{day}", message)
    if not any(week.values()):
        _add(problems, "hours", Message("facilities.hours.none"))
    _refuse(problems)
    versions = hours_versions(facility)
    week = {day: sorted(spans) for day, spans in week.items() if spans}
    old = versions.get(valid_from)
    if old == week:
        return False
    facility.opening_hours = [h for h in facility.opening_hours if h.valid_from != valid_from] + [
        OpeningHours(valid_from=valid_from, weekday=day, start_time=start, end_time=end)
        for day, spans in week.items() for start, end in spans]
    _record("facility.hours_set", facility, actor=actor,
            before={"valid_from": valid_from, "hours": format_week(old)} if old else None,
            after={"valid_from": valid_from, "hours": format_week(week)})
    return True


def delete_hours_version(facility: Facility, valid_from: date, *, actor=None) -> None:
    versions = hours_versions(facility)
    if valid_from not in versions:
        return
    if len(versions) == 1 and facility.status == FacilityStatus.published:
        _refuse(None, Message("facilities.hours.last_version"))
    facility.opening_hours = [h for h in facility.opening_hours if h.valid_from != valid_from]
    _record("facility.hours_deleted", facility, actor=actor,
            before={"valid_from": valid_from, "hours": format_week(versions[valid_from])})


# --- special openings and closures -------------------------------------------------------

def set_special_opening(facility: Facility, day: date, spans: list[tuple[time, time]], reason: str, *,
                        actor=None) -> None:
    """Hours for one date that replace the weekly ones (all earlier special hours of that date go)."""
    problems: dict[str, list[Message]] = {}
    reason = (reason or "").strip()
    if not isinstance(day, date):
        _add(problems, "date", Message("facilities.special.date_missing"))
    if not spans:
        _add(problems, "hours", Message("facilities.special.hours_missing"))
    for message in spans_problems(spans):
        _add(problems, "hours", message)
    if not reason:
        _add(problems, "reason", Message("facilities.special.reason_missing"))
    elif len(reason) > 300:
        _add(problems, "reason", Message("facilities.too_long", n=300))
    _refuse(problems)
    old = [o for o in facility.special_openings if o.date == day]
    facility.special_openings = [o for o in facility.special_openings if o.date != day] + [
        SpecialOpening(date=day, start_time=start, end_time=end, reason=reason) for start, end in sorted(spans)]
    _record("facility.special_opening_set", facility, actor=actor,
            before={"date": day, "hours": format_intervals((o.start_time, o.end_time) for o in old),
                    "reason": old[0].reason} if old else None,
            after={"date": day, "hours": format_intervals(sorted(spans)), "reason": reason})


def remove_special_opening(facility: Facility, day: date, *, actor=None) -> None:
    old = [o for o in facility.special_openings if o.date == day]
    if not old:
        return
    facility.special_openings = [o for o in facility.special_openings if o.date != day]
    _record("facility.special_opening_removed", facility, actor=actor,
            before={"date": day, "hours": format_intervals((o.start_time, o.end_time) for o in old),
                    "reason": old[0].reason})


def closure_bounds(facility: Facility, start_date: date, end_date: date | None = None,
                   start_time: time | None = None, end_time: time | None = None) -> tuple[datetime, datetime]:
    """Local dates (and times) → a UTC interval. Without times: whole days, start_date to
    end_date inclusive. With times: from start_time on start_date to end_time on end_date."""
    tz = ZoneInfo(facility.timezone)
    end_date = end_date or start_date
    if start_time is None:
        return local_instant(start_date, time(0), tz), local_instant(end_date + timedelta(days=1), time(0), tz)
    return local_instant(start_date, start_time, tz), local_instant(end_date, end_time, tz)


def add_closure(facility: Facility, *, start_date: date, end_date: date | None = None,
                start_time: time | None = None, end_time: time | None = None, reason: str,
                actor=None) -> Closure:
    """Close the facility for whole days (no times), part of a day, or several days."""
    problems: dict[str, list[Message]] = {}
    reason = (reason or "").strip()
    if not isinstance(start_date, date):
        _add(problems, "start_date", Message("facilities.closure.start_missing"))
    if end_date is not None and isinstance(start_date, date) and end_date < start_date:
        _add(problems, "end_date", Message("facilities.closure.last_before_first"))
    if (start_time is None) != (end_time is None):
        _add(problems, "end_time" if start_time is not None else "start_time",
             Message("facilities.closure.times_half"))
    if not reason:
        _add(problems, "reason", Message("facilities.closure.reason_missing"))
    elif len(reason) > 300:
        _add(problems, "reason", Message("facilities.too_long", n=300))
    _refuse(problems)
    start_dt, end_dt = closure_bounds(facility, start_date, end_date, start_time, end_time)
    if end_dt <= start_dt:
        _refuse({"end_time": [Message("facilities.closure.ends_before_start")]})
    closure = Closure(start_dt=start_dt, end_dt=end_dt, reason=reason)
    facility.closures.append(closure)
    _record("facility.closure_added", facility, actor=actor,
            after={"start": start_dt, "end": end_dt, "reason": reason})
    return closure


def remove_closure(facility: Facility, closure: Closure, *, actor=None) -> None:
    facility.closures.remove(closure)
    _record("facility.closure_removed", facility, actor=actor,
            before={"start": closure.start_dt, "end": closure.end_dt, "reason": closure.reason,
                    "external_uid": closure.external_uid})


# Reservations sit above facilities: they tell, through this hook, how many of their active
# bookings a closure lands on (so a manager can be told after adding or importing closures).
_affected_counters: list = []


def count_affected_with(counter) -> None:
    """Register `counter(facility, closures) -> int` (the reservations domain does, at import)."""
    if counter not in _affected_counters:
        _affected_counters.append(counter)


def affected_reservations(facility: Facility, closures: list[Closure]) -> int:
    """How many active reservations the closures land on (0 when nothing above has registered)."""
    return sum(counter(facility, closures) for counter in _affected_counters) if closures else 0


def coming_closures(facility: Facility, *, imported: bool = False) -> list[Closure]:
    """The facility's closures that have not ended yet (only the imported ones if `imported`)."""
    now = utcnow()
    return [c for c in facility.closures if c.end_dt > now and (c.external_uid or not imported)]


def sync_imported_closures(facility: Facility, events: list[tuple[str, datetime, datetime, str]], *,
                           source: str, keep: set[str] = frozenset(), actor=None) -> dict[str, int]:
    """Make the facility's imported closures equal `events` [(uid, start, end, reason)]:
    update by UID, add new ones, remove those whose UID is gone. Closures of the events in `keep`
    (ones the calendar has but could not be read this time) stay as they are. Returns the counts."""
    closed = str(Message("facilities.closure.closed"))  # stored words, in the importer's language
    wanted = {uid: (start, end, (reason or "").strip()[:300] or closed) for uid, start, end, reason in events}
    counts = {"added": 0, "updated": 0, "removed": 0, "unchanged": 0}
    for closure in [c for c in facility.closures if c.external_uid]:
        if closure.external_uid.split("#", 1)[0] in keep and closure.external_uid not in wanted:
            continue
        if closure.external_uid not in wanted:
            facility.closures.remove(closure)
            counts["removed"] += 1
            continue
        start, end, reason = wanted.pop(closure.external_uid)
        if (closure.start_dt, closure.end_dt, closure.reason) == (start, end, reason):
            counts["unchanged"] += 1
        else:
            closure.start_dt, closure.end_dt, closure.reason = start, end, reason
            counts["updated"] += 1
    for uid, (start, end, reason) in wanted.items():
        facility.closures.append(Closure(start_dt=start, end_dt=end, reason=reason, external_uid=uid))
        counts["added"] += 1
    if counts["added"] or counts["updated"] or counts["removed"]:
        _record("facility.closures_imported", facility, actor=actor, after={"source": source, **counts})
    return counts


# --- booking rules, terms and questions ----------------------------------------------

def rules_problems(values: dict) -> dict[str, list[Message]]:
    """Every reason the rule values (all of RULE_FIELDS) do not make sense together."""
    problems: dict[str, list[Message]] = {}

    def whole(name, minimum, message):
        value = values.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            _add(problems, name, message)
            return False
        return True

    slot_ok = whole("slot_minutes", 1, Message("facilities.rules.slot"))
    if slot_ok and (24 * 60) % values["slot_minutes"]:
        _add(problems, "slot_minutes", Message("facilities.rules.slot_divides_day"))
    min_ok = whole("min_duration_minutes", 1, Message("facilities.rules.min_duration"))
    if slot_ok and min_ok and values["min_duration_minutes"] % values["slot_minutes"]:
        _add(problems, "min_duration_minutes", Message("facilities.rules.min_whole_slots", n=values["slot_minutes"]))
    maximum = values.get("max_duration_minutes")
    if maximum is not None and whole("max_duration_minutes", 1, Message("facilities.rules.max_duration")):
        if min_ok and maximum < values["min_duration_minutes"]:
            _add(problems, "max_duration_minutes", Message("facilities.rules.max_below_min"))
        if not values.get("allow_multi_day") and maximum > 24 * 60:
            _add(problems, "max_duration_minutes", Message("facilities.rules.max_over_day"))
    whole("min_notice_minutes", 0, Message("facilities.rules.notice"))
    if whole("max_advance_days", 1, Message("facilities.rules.advance_min")):
        if values["max_advance_days"] > MAX_ADVANCE_DAYS:
            _add(problems, "max_advance_days", Message("facilities.rules.advance_max", n=MAX_ADVANCE_DAYS))
    for name in ("buffer_before_minutes", "buffer_after_minutes"):
        if whole(name, 0, Message("facilities.rules.buffer_min")) and values[name] > MAX_BUFFER_MINUTES:
            _add(problems, name, Message("facilities.rules.buffer_max", n=MAX_BUFFER_MINUTES))
    if values.get("max_active_per_organisation") is not None:
        whole("max_active_per_organisation", 1, Message("facilities.rules.quota"))
    if values.get("manual_above_minutes") is not None:
        whole("manual_above_minutes", 1, Message("facilities.rules.manual_above"))
    whole("cancellation_deadline_hours", 0, Message("facilities.rules.cancellation_deadline"))
    unknown = [t for t in values.get("manual_actor_types") or () if t not in ActorType.__members__]
    if unknown:
        _add(problems, "manual_actor_types", Message("facilities.rules.actor_types_unknown", list=", ".join(unknown)))
    try:
        policy = ApprovalPolicy(values.get("approval_policy"))
    except ValueError:
        _add(problems, "approval_policy", Message("facilities.rules.approval_policy"))
    else:
        if (policy == ApprovalPolicy.conditional and not values.get("manual_actor_types")
                and values.get("manual_above_minutes") is None):
            _add(problems, "approval_policy", Message("facilities.rules.conditional_needs"))
    try:
        LateCancellation(values.get("late_cancellation"))
    except ValueError:
        _add(problems, "late_cancellation", Message("facilities.rules.late_cancellation"))
    return problems


def rules_snapshot(rules: BookingRules) -> dict:
    return snapshot(rules, RULE_FIELDS)


def update_rules(facility: Facility, *, actor=None, **values) -> bool:
    """Change the given RULE_FIELDS. Returns whether anything changed."""
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown rule fields: {sorted(unknown)}")
    if facility.rules is None:
        facility.rules = BookingRules(manual_actor_types=[])
        db.session.flush()
    before = rules_snapshot(facility.rules)
    if "manual_actor_types" in values:
        values["manual_actor_types"] = sorted(set(values["manual_actor_types"] or ()))
    merged = {**before, **{k: _plain(v) for k, v in values.items()}}
    _refuse(rules_problems(merged))
    for name, value in values.items():
        if name == "approval_policy":
            value = ApprovalPolicy(value)
        elif name == "late_cancellation":
            value = LateCancellation(value)
        setattr(facility.rules, name, value)
    old, new = _diff(before, rules_snapshot(facility.rules))
    if not new:
        return False
    _record("facility.rules_updated", facility, actor=actor, before=old, after=new)
    return True


def set_terms(facility: Facility, text: str, *, translations: dict | None = None, actor=None) -> FacilityTerms | None:
    """New text → a new version (earlier versions stay, as bookers accepted them). `translations`
    ({"fi": {"text": …}}) are part of the version; None leaves them out of the comparison. The
    same texts again change nothing and return None."""
    text = (text or "").strip()
    if not text:
        _refuse({"text": [Message("facilities.terms.missing")]})
    current = facility.current_terms
    unchanged_translations = translations is None  # None: the text alone decides (a new text starts untranslated)
    translations = clean_translations(translations, FacilityTerms.TRANSLATABLE)
    if current is not None and current.text == text and (
            unchanged_translations or (current.translations or {}) == translations):
        return None
    terms = FacilityTerms(version=(current.version + 1) if current else 1, text=text, translations=translations)
    facility.terms.append(terms)
    _record("facility.terms_published", facility, actor=actor, after={"version": terms.version})
    return terms


QUESTION_FIELDS = ("label", "kind", "choices", "required", "position", "active", "translations")


def question_problems(values: dict) -> dict[str, list[Message]]:
    problems: dict[str, list[Message]] = {}
    label = (values.get("label") or "").strip()
    if not label:
        _add(problems, "label", Message("facilities.question.label_missing"))
    elif len(label) > 300:
        _add(problems, "label", Message("facilities.too_long", n=300))
    for language, texts in (values.get("translations") or {}).items():
        if len(texts.get("label", "")) > 300:
            _add(problems, f"label_{language}", Message("facilities.too_long", n=300))
        written = texts.get("choices")
        if written and len(written.splitlines()) != len(values.get("choices") or []):
            _add(problems, f"choices_{language}", Message("facilities.question.choices_count"))
    try:
        kind = QuestionKind(values.get("kind"))
    except ValueError:
        _add(problems, "kind", Message("facilities.question.kind"))
        kind = None
    choices = values.get("choices") or []
    if kind == QuestionKind.choice:
        if len(choices) < 2:
            _add(problems, "choices", Message("facilities.question.too_few_choices"))
        if len({c.lower() for c in choices}) != len(choices):
            _add(problems, "choices", Message("facilities.question.choice_twice"))
        if any(len(c) > 100 for c in choices):
            _add(problems, "choices", Message("facilities.question.choice_too_long", n=100))
    return problems


def _question_values(values: dict) -> dict:
    values = dict(values)
    if "label" in values:
        values["label"] = (values["label"] or "").strip()
    if "choices" in values:
        values["choices"] = [c.strip() for c in values["choices"] or () if c and c.strip()]
    if "translations" in values:
        values["translations"] = clean_translations(values["translations"], BookingQuestion.TRANSLATABLE)
        for texts in values["translations"].values():  # one answer a line, no blank lines
            if "choices" in texts:
                texts["choices"] = "\n".join(line.strip() for line in texts["choices"].splitlines() if line.strip())
    return values


def add_question(facility: Facility, *, label: str, kind: QuestionKind | str = QuestionKind.text,
                 choices=(), required: bool = False, position: int | None = None, translations: dict | None = None,
                 actor=None) -> BookingQuestion:
    values = _question_values({"label": label, "kind": _plain(kind), "choices": list(choices),
                               "translations": translations or {}})
    _refuse(question_problems(values))
    kind = QuestionKind(values["kind"])
    if position is None:
        position = max((q.position for q in facility.questions), default=0) + 1
    question = BookingQuestion(label=values["label"], kind=kind,
                               choices=values["choices"] if kind == QuestionKind.choice else [],
                               required=bool(required), position=position, active=True,
                               translations=values["translations"])
    facility.questions.append(question)
    _record("facility.question_added", facility, actor=actor, after=snapshot(question, QUESTION_FIELDS))
    return question


def update_question(question: BookingQuestion, *, actor=None, **values) -> bool:
    unknown = set(values) - set(QUESTION_FIELDS)
    if unknown:
        raise TypeError(f"unknown question fields: {sorted(unknown)}")
    before = snapshot(question, QUESTION_FIELDS)
    values = _question_values(values)
    if "kind" in values:
        values["kind"] = _plain(values["kind"])
    _refuse(question_problems({**before, **values}))
    for name, value in values.items():
        setattr(question, name, QuestionKind(value) if name == "kind" else value)
    if question.kind != QuestionKind.choice:
        question.choices = []
    old, new = _diff(before, snapshot(question, QUESTION_FIELDS))
    if not new:
        return False
    _record("facility.question_updated", question.facility, actor=actor,
            before={"question_id": question.id, **old}, after={"question_id": question.id, **new})
    return True


def remove_question(question: BookingQuestion, *, actor=None) -> None:
    """Questions are retired, not deleted: earlier reservations keep their answers' meaning."""
    update_question(question, actor=actor, active=False)


# --- photos ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PreparedPhoto:
    """A checked photo, resized and re-encoded (metadata stripped), ready to store."""
    full: bytes
    thumb: bytes
    content_type: str
    width: int
    height: int


def _photo_problem(code: str, **params) -> RuleViolation:
    return RuleViolation(field_errors={"photo": [Message(f"facilities.photo.{code}", **params)]})


def _too_many_pixels() -> RuleViolation:
    return _photo_problem("too_many_pixels", n=PHOTO_MAX_PIXELS // 1_000_000)


def _encode(image: Image.Image, keep_alpha: bool) -> bytes:
    out = io.BytesIO()
    if keep_alpha:
        image.convert("RGBA").save(out, "PNG", optimize=True)
    else:
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()


def photo_file_key(storage_key: str, size: str, content_type: str) -> str:
    return f"photos/{storage_key}-{size}.{'png' if content_type == 'image/png' else 'jpg'}"


def prepare_photo(data: bytes) -> PreparedPhoto:
    """Check that `data` really is a photo of an accepted kind and size, then make its stored
    sizes (at most 1600 px, and a thumbnail). Slow and memory-hungry work: run it before the
    unit of work. The size in pixels is read from the header and checked BEFORE decoding."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    if len(data) > limit:
        raise _photo_problem("too_large", limit=limit / 1_000_000)
    if not data:
        raise _photo_problem("missing")
    try:
        with warnings.catch_warnings():
            # Pillow warns (or, past twice its own limit, refuses) at open; either is a bomb for us.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:  # reads the header only
                if probe.format not in PHOTO_FORMATS:
                    raise _photo_problem("not_an_image")
                if probe.width * probe.height > PHOTO_MAX_PIXELS:
                    raise _too_many_pixels()
                probe.verify()
            image = Image.open(io.BytesIO(data))
            keep_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
            # Scale down in place (JPEG decodes straight to a smaller size), then turn it upright:
            # one decoded copy at most, never three.
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE), Image.Resampling.LANCZOS)
            image = ImageOps.exif_transpose(image)  # phones store the rotation separately
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _photo_problem("not_an_image") from None
    thumb = image.copy()
    thumb.thumbnail((THUMB_MAX_SIDE, THUMB_MAX_SIDE), Image.Resampling.LANCZOS)
    return PreparedPhoto(full=_encode(image, keep_alpha), thumb=_encode(thumb, keep_alpha),
                         content_type="image/png" if keep_alpha else "image/jpeg",
                         width=image.width, height=image.height)


def add_photo(facility: Facility, photo: bytes | PreparedPhoto, alt_text: str, *, actor=None) -> FacilityPhoto:
    """Store and list a photo (bytes are checked and resized first, see prepare_photo)."""
    alt_text = (alt_text or "").strip()
    problems: dict[str, list[Message]] = {}
    if not alt_text:
        _add(problems, "alt_text", Message("facilities.photo.alt_missing"))
    elif len(alt_text) > 300:
        _add(problems, "alt_text", Message("facilities.too_long", n=300))
    if not isinstance(photo, PreparedPhoto):
        try:
            photo = prepare_photo(photo)
        except RuleViolation as exc:
            problems.update(exc.field_messages)
    _refuse(problems)
    key = uuid.uuid4().hex
    storage = get_storage()
    storage.save(photo_file_key(key, "full", photo.content_type), photo.full)
    storage.save(photo_file_key(key, "thumb", photo.content_type), photo.thumb)
    item = FacilityPhoto(storage_key=key, content_type=photo.content_type, width=photo.width, height=photo.height,
                         alt_text=alt_text, position=max((p.position for p in facility.photos), default=0) + 1)
    facility.photos.append(item)
    _record("facility.photo_added", facility, actor=actor,
            after={"photo": key, "alt_text": alt_text, "width": photo.width, "height": photo.height})
    return item


def update_photo(photo: FacilityPhoto, *, alt_text: str, position: int | None = None, actor=None) -> None:
    alt_text = (alt_text or "").strip()
    if not alt_text:
        _refuse({"alt_text": [Message("facilities.photo.alt_missing")]})
    before = {"alt_text": photo.alt_text, "position": photo.position}
    photo.alt_text = alt_text
    if position is not None:
        photo.position = position
    old, new = _diff(before, {"alt_text": photo.alt_text, "position": photo.position})
    if new:
        _record("facility.photo_updated", photo.facility, actor=actor,
                before={"photo": photo.storage_key, **old}, after={"photo": photo.storage_key, **new})


def remove_photo(photo: FacilityPhoto, *, actor=None) -> None:
    facility = photo.facility
    facility.photos.remove(photo)
    _record("facility.photo_removed", facility, actor=actor,
            before={"photo": photo.storage_key, "alt_text": photo.alt_text})
    db.session.flush()
    storage = get_storage()
    for size in ("full", "thumb"):
        storage.delete(photo_file_key(photo.storage_key, size, photo.content_type))

"""JSON routes for discovery: the catalogue, one facility, and its availability.

Public and stable: a regional portal federates several cities through these. Times are ISO 8601
with the offset of the facility's time zone; a timestamp without an offset is refused.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Annotated, NamedTuple
from zoneinfo import ZoneInfo

from flask import url_for
import sqlalchemy as sa
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from booking.api import api_user, route
from booking.api.pagination import Page, PageQuery, page_of
from booking.api.types import Count, Id, Instant, Text
from booking.accounts.models import Department
from booking.content import LANGUAGES, all_texts, content_language, current_language, translated
from booking.errors import NotFound
from booking.extensions import db, plain_rows
from booking.facilities import search
from booking.facilities.availability import Interval
from booking.facilities.models import (Amenity, BookingRules, Facility, FacilityAccessibility, FacilityAmenity,
                                       FacilityPhoto)
from booking.facilities.rules import can_view_facility
from booking.facilities.schedules import availability_for, in_ids_param, load_for_schedules
from booking.facilities.views import photo_url

MAX_WINDOW_DAYS = 62


def _check_window(start: datetime | None, end: datetime | None, names: str) -> None:
    if (start is None) != (end is None):
        raise ValueError(f"give both {names} or neither")
    if start is not None:
        if not (search.FIRST_DATE <= start.date() and end.date() <= search.LAST_DATE):
            raise ValueError(f"{names}: between {search.FIRST_DATE} and {search.LAST_DATE}")
        if end <= start:
            raise ValueError(f"{names}: the end must be after the start")
        if end - start > timedelta(days=MAX_WINDOW_DAYS):
            raise ValueError(f"{names}: at most {MAX_WINDOW_DAYS} days at a time")


class FacilityQuery(PageQuery):
    category: Text | None = Field(None, max_length=100, description="category code, e.g. `meeting_room`")
    department: Id | None = Field(None, description="department id")
    district: Text | None = Field(None, max_length=100)
    min_capacity: Count | None = Field(None, description="takes at least this many people")
    amenity: list[Annotated[Text, Field(max_length=100)]] = Field(
        default_factory=list, max_length=20, description="has every amenity, by its code (e.g. `projector`) or name (repeatable)")
    accessibility: list[Annotated[Text, Field(max_length=100)]] = Field(default_factory=list, max_length=20,
                                     description="has every accessibility feature, e.g. `step_free_access` (repeatable)")
    q: Text | None = Field(None, max_length=100, description="name contains")
    free_from: Instant | None = Field(None, description=(
        "with `free_to` (both or neither): only facilities with some free time between them"))
    free_to: Instant | None = Field(None, description=(
        f"end of that window: after `free_from`, at most {MAX_WINDOW_DAYS} days later, both between "
        f"{search.FIRST_DATE} and {search.LAST_DATE}"))

    @model_validator(mode="after")
    def _window(self):
        _check_window(self.free_from, self.free_to, "free_from and free_to")
        return self


class AvailabilityQuery(BaseModel):
    from_: Instant = Field(alias="from", description="start of the window, ISO 8601 with offset; before `to`")
    to: Instant = Field(description=(
        f"end of the window: after `from`, at most {MAX_WINDOW_DAYS} days later, both between "
        f"{search.FIRST_DATE} and {search.LAST_DATE}"))

    @model_validator(mode="after")
    def _window(self):
        _check_window(self.from_, self.to, "from and to")
        return self


class AmenityOut(BaseModel):
    code: str = Field(description="the amenity's code in the city's vocabulary (the `amenity` filter takes it)")
    group: str = Field(description="technology, furniture, kitchen, workshop, sports, outdoor, accessibility or other")
    name: str = Field(description="in the response's language (Content-Language), else the content language")
    quantity: int


class FacilityTexts(BaseModel):
    """A facility's texts in one language (empty: not written in it)."""
    name: str
    description: str
    house_rules: str
    accessibility_notes: str


class PhotoOut(BaseModel):
    url: str
    alt_text: str
    width: int
    height: int


class RulesOut(BaseModel):
    slot_minutes: int
    min_duration_minutes: int
    max_duration_minutes: int | None
    min_notice_minutes: int
    max_advance_days: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    allow_multi_day: bool
    max_active_per_organisation: int | None
    approval_policy: str
    cancellation_deadline_hours: int
    late_cancellation: str


class FacilityOut(BaseModel):
    id: int
    slug: str
    name: str
    category: str
    department_id: int
    department: str
    description: str
    address: str
    district: str
    latitude: float | None
    longitude: float | None
    capacity: int
    area_m2: float | None
    house_rules: str
    accessibility_notes: str
    timezone: str
    status: str
    amenities: list[AmenityOut]
    accessibility: list[str]
    photos: list[PhotoOut]
    rules: RulesOut | None
    url: str = Field(description="the facility's public page")
    untranslated: list[str] = Field(description=(
        "the texts given in the city's content language because they have no translation into the "
        "response's language (Content-Language)"))
    translations: dict[str, FacilityTexts] = Field(description=(
        "every language's texts, by language code (en, fi, sv); the content language's are the plain fields'"))


class IntervalOut(BaseModel):
    start: datetime
    end: datetime


class AvailabilityOut(BaseModel):
    timezone: str
    open: list[IntervalOut]
    busy: list[IntervalOut]
    free: list[IntervalOut]


def facility_out(facility: Facility) -> FacilityOut:
    rules = facility.rules
    # The reader's and the content language once, not once per text (a page has 50 facilities).
    language, base = current_language(), content_language()
    texts = {field: facility.translated(field, language, base) for field in Facility.TRANSLATABLE}
    every = {field: facility.texts(field, base) for field in Facility.TRANSLATABLE}
    return FacilityOut(
        id=facility.id, slug=facility.slug, name=texts["name"].text, category=facility.category,
        department_id=facility.department_id, department=facility.department.translated("name", language, base).text,
        description=texts["description"].text, address=facility.address or "", district=facility.district or "",
        latitude=facility.latitude, longitude=facility.longitude, capacity=facility.capacity,
        area_m2=float(facility.area_m2) if facility.area_m2 is not None else None,
        house_rules=texts["house_rules"].text, accessibility_notes=texts["accessibility_notes"].text,
        timezone=facility.timezone, status=facility.status.value,
        amenities=[AmenityOut(code=a.amenity.code, group=a.amenity.group,
                              name=a.amenity.translated("name", language, base).text, quantity=a.quantity)
                   for a in facility.amenities],
        accessibility=[a.feature for a in facility.accessibility],
        photos=[PhotoOut(url=url, alt_text=p.alt_text, width=p.width, height=p.height)
                for p in facility.photos if (url := photo_url(p, "full"))],
        rules=RulesOut(
            slot_minutes=rules.slot_minutes, min_duration_minutes=rules.min_duration_minutes,
            max_duration_minutes=rules.max_duration_minutes, min_notice_minutes=rules.min_notice_minutes,
            max_advance_days=rules.max_advance_days, buffer_before_minutes=rules.buffer_before_minutes,
            buffer_after_minutes=rules.buffer_after_minutes, allow_multi_day=rules.allow_multi_day,
            max_active_per_organisation=rules.max_active_per_organisation,
            approval_policy=rules.approval_policy.value,
            cancellation_deadline_hours=rules.cancellation_deadline_hours,
            late_cancellation=rules.late_cancellation.value) if rules else None,
        url=url_for("facilities.detail", slug=facility.slug, _external=True),
        untranslated=[field for field, text in texts.items() if text.missing],
        translations={language: FacilityTexts(**{field: every[field][language] for field in Facility.TRANSLATABLE})
                      for language in LANGUAGES},
    )


# The columns facilities_out reads: the facility's, its department's name and its rules'.
_RULES_COLUMNS = tuple(RulesOut.model_fields)
_COLUMNS = (Facility.id, Facility.slug, Facility.name, Facility.category, Facility.department_id,
            Department.name, Department.translations, Facility.description, Facility.address, Facility.district,
            Facility.latitude, Facility.longitude, Facility.capacity, Facility.area_m2, Facility.house_rules,
            Facility.accessibility_notes, Facility.timezone, Facility.status, Facility.translations,
            BookingRules.id, *[getattr(BookingRules, c) for c in _RULES_COLUMNS])
_TEXT_AT = {field: _COLUMNS.index(getattr(Facility, field)) for field in Facility.TRANSLATABLE}


class _Photo(NamedTuple):
    storage_key: str


# The statements of facilities_out, built once per kind of database (their ids are a parameter).
_statements: dict[str, tuple] = {}


def _page_statements() -> tuple:
    dialect = db.session.get_bind().dialect.name
    if dialect not in _statements:
        _statements[dialect] = (_lists(), select(*_COLUMNS).join(Department, Department.id == Facility.department_id)
                                .outerjoin(BookingRules, BookingRules.facility_id == Facility.id)
                                .where(in_ids_param(Facility.id)))
    return _statements[dialect]


def _lists():
    """The facilities' amenities (0), accessibility features (1) and photos (2) as one UNION ALL of
    (kind, facility_id, code | feature | storage key, group | alt text, name, translations,
    quantity | width, height, order, tie), each kind in the order of its relationship."""
    null = sa.null()
    amenities = (select(sa.literal_column("0", sa.Integer).label("kind"), FacilityAmenity.facility_id, Amenity.code,
                        Amenity.group, Amenity.name, Amenity.translations, FacilityAmenity.quantity,
                        sa.cast(null, sa.Integer), FacilityAmenity.amenity_id.label("sort"),
                        sa.cast(null, sa.Integer).label("tie"))
                 .join(Amenity, Amenity.id == FacilityAmenity.amenity_id)
                 .where(in_ids_param(FacilityAmenity.facility_id)))
    accessibility = select(sa.literal_column("1", sa.Integer), FacilityAccessibility.facility_id,
                           FacilityAccessibility.feature, null, null, null, null, null, null, null).where(
        in_ids_param(FacilityAccessibility.facility_id))
    photos = select(sa.literal_column("2", sa.Integer), FacilityPhoto.facility_id, FacilityPhoto.storage_key,
                    FacilityPhoto.alt_text, null, null, FacilityPhoto.width, FacilityPhoto.height,
                    FacilityPhoto.position, FacilityPhoto.id).where(in_ids_param(FacilityPhoto.facility_id))
    # Features sort by the database's collation, as the relationship's ORDER BY does.
    return sa.union_all(amenities, accessibility, photos).order_by(
        sa.literal_column("sort"), sa.literal_column("tie"), sa.literal_column("code"))


def facilities_out(ids: list[int]) -> list[dict]:
    """`facility_out(f).model_dump(mode="json")` of each facility, in the order of `ids`, read as
    plain rows in two queries: a page of 50 without building ORM objects or models, which was
    half the time of a free-room search (tests/facilities/test_api.py compares the two)."""
    if not ids:
        return []
    lists, facilities = _page_statements()
    amenities, accessibility, photos = defaultdict(list), defaultdict(list), defaultdict(list)
    language, base = current_language(), content_language()
    for kind, facility_id, text, group, name, translations, number, height, _, _ in plain_rows(lists, {"ids": ids}):
        if kind == 0:
            amenities[facility_id].append({"code": text, "group": group, "quantity": number, "name": translated(
                name or "", translations or {}, "name", language, base).text})
        elif kind == 1:
            accessibility[facility_id].append(text)
        elif url := photo_url(_Photo(text), "full"):
            photos[facility_id].append({"url": url, "alt_text": group, "width": number, "height": height})
    found = {}
    for row in plain_rows(facilities, {"ids": ids}):
        (facility_id, slug, _name, category, department_id, department, department_translations, _description,
         address, district, latitude, longitude, capacity, area_m2, _house_rules, _notes, tz, status, own,
         rules_id, *rules) = row
        own = own or {}
        texts = {field: translated(row[at] or "", own, field, language, base) for field, at in _TEXT_AT.items()}
        every = {field: all_texts(row[at] or "", own, field, base) for field, at in _TEXT_AT.items()}
        if rules_id is not None:
            rules = dict(zip(_RULES_COLUMNS, rules))
            rules["approval_policy"] = rules["approval_policy"].value
            rules["late_cancellation"] = rules["late_cancellation"].value
        found[facility_id] = {
            "id": facility_id, "slug": slug, "name": texts["name"].text, "category": category,
            "department_id": department_id,
            "department": translated(department or "", department_translations or {}, "name", language, base).text,
            "description": texts["description"].text, "address": address or "", "district": district or "",
            "latitude": latitude, "longitude": longitude, "capacity": capacity,
            "area_m2": float(area_m2) if area_m2 is not None else None,
            "house_rules": texts["house_rules"].text, "accessibility_notes": texts["accessibility_notes"].text,
            "timezone": tz, "status": status.value, "amenities": amenities[facility_id],
            "accessibility": accessibility[facility_id], "photos": photos[facility_id],
            "rules": rules if rules_id is not None else None,
            "url": url_for("facilities.detail", slug=slug, _external=True),
            "untranslated": [field for field, text in texts.items() if text.missing],
            "translations": {language: {field: every[field][language] for field in Facility.TRANSLATABLE}
                             for language in LANGUAGES},
        }
    return [found[i] for i in ids]


# The department and the rules (one each) come in the facilities' own query; the lists in one query each.
_FULL = (joinedload(Facility.department), joinedload(Facility.rules), selectinload(Facility.amenities),
         selectinload(Facility.accessibility), selectinload(Facility.photos))


@route("/facilities", summary="Published facilities, filtered", tag="facilities", auth="public",
       query=FacilityQuery, response=Page[FacilityOut])
def list_facilities(query: FacilityQuery):
    """The public catalogue, sorted by name. With `free_from` and `free_to`, only facilities
    that have some free time (open, not booked, buffers counted) in that window."""
    catalogue = search.CatalogueQuery(
        text=(query.q or "").strip(), category=query.category, department_id=query.department,
        district=query.district, min_capacity=query.min_capacity, amenities=query.amenity,
        accessibility=query.accessibility)
    if query.free_from is None:
        return page_of(search.catalogue_select(catalogue).options(*_FULL), query, facility_out)
    page_ids, total = search.free_in_window(catalogue, Interval(query.free_from, query.free_to), query.page,
                                            query.per_page)
    return {"items": facilities_out(page_ids), "total": total, "page": query.page, "per_page": query.per_page}


def _visible(facility_id: int) -> Facility:
    facility = db.session.scalar(select(Facility).where(Facility.id == facility_id).options(*_FULL))
    # Someone who may not see a draft is told it does not exist, as for the HTML page.
    if facility is None or not can_view_facility(api_user(), facility):
        raise NotFound("No published facility has this id.")
    return facility


@route("/facilities/<int:facility_id>", summary="One facility", tag="facilities", auth="optional",
       response=FacilityOut, errors=(404,))
def get_facility(facility_id: int):
    """A published facility; its managers also see it while it is a draft or archived."""
    return facility_out(_visible(facility_id))


@route("/facilities/<int:facility_id>/availability", summary="Open, busy and free time of a facility",
       tag="facilities", auth="optional", query=AvailabilityQuery, response=AvailabilityOut, errors=(404,))
def facility_availability(facility_id: int, query: AvailabilityQuery):
    """Intervals `[start, end)` within the window, with offsets in the facility's time zone.
    `busy` includes the buffers kept around bookings; `free` is open time a new booking may
    use, keeping the facility's own buffers clear of busy time."""
    facility = _visible(facility_id)
    load_for_schedules([facility.id])
    found = availability_for([facility], Interval(query.from_, query.to))[facility.id]
    zone = ZoneInfo(facility.timezone)

    def out(intervals):
        return [IntervalOut(start=i.start.astimezone(zone), end=i.end.astimezone(zone)) for i in intervals]

    return AvailabilityOut(timezone=facility.timezone, open=out(found.open), busy=out(found.busy),
                           free=out(found.free))

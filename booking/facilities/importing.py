"""Bulk facilities from CSV (import and export), and closures from iCalendar files or URLs.

The CSV format
==============
UTF-8 (a byte-order mark is fine), comma- or semicolon-separated, one facility per row, a
header row naming the columns (any order). `name`, `department` and `category` are
required; every other column is optional. `COLUMNS` below lists them with their meaning;
the upload page and assets/demo/README.md show the same list.

- A row updates an existing facility with the same `slug`, or else with the same name in
  the same department; otherwise it creates a new one (as a draft unless `status` says
  otherwise).
- A column left out of the file leaves that value as it is. An empty cell clears an
  optional value (description, amenities, the maximum duration, …) and keeps the current
  (or default) value of a required number such as `slot_minutes`.
- `amenities`: `Projector:2;Wi-Fi:1` (quantity 1 when left out). `accessibility`:
  `step_free_access;induction_loop`. `manual_actor_types`: `large_company;sme`.
- `opening_hours`: `Mon-Fri 08:00-12:00,13:00-20:00; Sat 10:00-16:00` (days not named are
  closed; `00:00-24:00` is the whole day; an end before the start runs past midnight).
  They apply from `hours_valid_from` (YYYY-MM-DD), or from today when it is empty.
- Durations are in minutes, `max_advance_days` in days, `cancellation_deadline_hours` in
  hours; `allow_multi_day` is yes or no.

Every row is checked before anything is written. If any row is wrong, the report lists
each bad row with its line number and reasons, and nothing is imported.
`export_facilities` writes the same format, so an export can be edited and imported back.
"""
from __future__ import annotations

import csv
import hashlib
import io
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from dateutil.rrule import rruleset, rrulestr
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar
from sqlalchemy import func, select

from booking.accounts.models import Department
from booking.database import utcnow
from booking.errors import DomainError, RuleViolation
from booking.extensions import db
from booking.facilities import services
from booking.facilities.availability import UTC, local_instant
from booking.facilities.models import Facility, FacilityStatus


@dataclass(frozen=True)
class Column:
    name: str
    description: object
    required: bool = False


COLUMNS = (
    Column("name", _l("The facility's name (unique within its department)."), True),
    Column("slug", _l("Its address in links, e.g. riverside-hall; made from the name when empty.")),
    Column("department", _l("The department's exact name; you must manage it."), True),
    Column("category", _l("One of: public_space, lab, recreational, venue, meeting_room, workshop, sports, "
                          "outdoor_area."), True),
    Column("status", _l("draft, published or archived; a new facility is a draft when empty.")),
    Column("description", _l("Free text.")),
    Column("address", _l("Street address.")),
    Column("district", _l("District or neighbourhood.")),
    Column("latitude", _l("Decimal degrees with a point, e.g. 62.2415.")),
    Column("longitude", _l("Decimal degrees with a point, e.g. 25.7482.")),
    Column("capacity", _l("People, a whole number.")),
    Column("area_m2", _l("Square metres, e.g. 120.5.")),
    Column("timezone", _l("IANA time zone; Europe/Helsinki when empty.")),
    Column("amenities", _l("Name:quantity pairs separated by ';', e.g. Projector:2;Wi-Fi:1.")),
    Column("accessibility", _l("Feature codes separated by ';': step_free_access, accessible_toilet, "
                               "induction_loop, accessible_parking, lift, braille_signage, quiet_room.")),
    Column("house_rules", _l("Free text.")),
    Column("opening_hours", _l("e.g. Mon-Fri 08:00-12:00,13:00-20:00; Sat 10:00-16:00.")),
    Column("hours_valid_from", _l("YYYY-MM-DD from which the opening hours apply; today when empty.")),
    Column("slot_minutes", _l("Slot grid in minutes (default 30).")),
    Column("min_duration_minutes", _l("Minimum duration in minutes (default 60).")),
    Column("max_duration_minutes", _l("Maximum duration in minutes; empty for none.")),
    Column("min_notice_minutes", _l("Minimum notice in minutes (default 1440).")),
    Column("max_advance_days", _l("How many days ahead bookings open (default 180).")),
    Column("buffer_before_minutes", _l("Minutes kept free before each booking.")),
    Column("buffer_after_minutes", _l("Minutes kept free after each booking.")),
    Column("allow_multi_day", _l("yes or no: bookings over several days.")),
    Column("max_active_per_organisation", _l("Active reservations per organisation at most; empty for none.")),
    Column("approval_policy", _l("automatic, manual or conditional.")),
    Column("manual_actor_types", _l("With conditional approval: actor types a manager decides for, "
                                    "separated by ';'.")),
    Column("manual_above_minutes", _l("With conditional approval: a manager decides bookings longer than this.")),
    Column("cancellation_deadline_hours", _l("Free cancellation until this many hours before the start.")),
    Column("late_cancellation", _l("refuse or fee: what happens after the deadline.")),
)
COLUMN_NAMES = tuple(c.name for c in COLUMNS)
_INT_RULES = ("slot_minutes", "min_duration_minutes", "min_notice_minutes", "max_advance_days",
              "buffer_before_minutes", "buffer_after_minutes", "cancellation_deadline_hours")
_NULLABLE_INT_RULES = ("max_duration_minutes", "max_active_per_organisation", "manual_above_minutes")
_TRUE, _FALSE = {"yes", "true", "1", "y"}, {"no", "false", "0", "n", ""}


@dataclass
class RowError:
    line: int
    name: str
    reasons: list[str]


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    checked_only: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return _("%(n)d rows have problems; nothing was imported.", n=len(self.errors))
        verb = _("would be") if self.checked_only else _("were")
        return _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged (%(verb)s).",
                 created=len(self.created), updated=len(self.updated), unchanged=len(self.unchanged), verb=verb)


@dataclass
class _Row:
    line: int
    name: str
    facility: Facility | None = None
    slug: str | None = None
    details: dict = field(default_factory=dict)
    rules: dict = field(default_factory=dict)
    status: FacilityStatus | None = None
    week: dict | None = None
    valid_from: date | None = None


def _read_rows(text: str):
    """(line number where the record starts, {column: cell}) for each non-empty record."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    yield 1, header
    start = reader.line_num + 1
    for cells in reader:
        if any(c.strip() for c in cells):
            yield start, cells
        start = reader.line_num + 1


def _parse_row(line: int, cells: dict, header: list[str], allowed_departments, errors: list[str]) -> _Row:
    """Typed values from the cells; problems of form go to `errors` with the column name."""
    def fail(column, message):
        errors.append(f"{column}: {message}")

    def number(column, kind=int):
        raw = cells[column].strip()
        if not raw:
            return None
        try:
            return kind(raw.replace(",", ".") if kind is not int else raw)
        except (ValueError, InvalidOperation):
            fail(column, _("'%(value)s' is not a number.", value=raw))
            return None

    row = _Row(line=line, name=cells.get("name", "").strip())
    present = set(header)
    department = None
    name = cells["department"].strip()
    department = db.session.scalar(select(Department).where(func.lower(Department.name) == name.lower()))
    if department is None:
        fail("department", _("there is no department called '%(name)s'.", name=name))
    elif allowed_departments is not None and department.id not in allowed_departments:
        fail("department", _("you do not manage the department '%(name)s'.", name=department.name))
    row.details["department_id"] = department.id if department else None
    for column in ("name", "category", "description", "address", "district", "house_rules", "timezone"):
        if column in present:
            row.details[column] = cells[column].strip()
    if not row.details.get("timezone"):
        row.details.pop("timezone", None)
    for column, kind in (("latitude", float), ("longitude", float), ("area_m2", Decimal)):
        if column in present:
            row.details[column] = number(column, kind)
    if "capacity" in present and cells["capacity"].strip():
        row.details["capacity"] = number("capacity")
    if "amenities" in present:
        try:
            row.details["amenities"] = services.parse_amenities(cells["amenities"])
        except ValueError as exc:
            fail("amenities", str(exc))
    if "accessibility" in present:
        row.details["accessibility"] = [f.strip() for f in cells["accessibility"].split(";") if f.strip()]
    if "slug" in present and cells["slug"].strip():
        row.slug = cells["slug"].strip().lower()
    if "status" in present and cells["status"].strip():
        try:
            row.status = FacilityStatus(cells["status"].strip().lower())
        except ValueError:
            fail("status", _("'%(value)s' is not draft, published or archived.", value=cells["status"].strip()))
    if "opening_hours" in present and cells["opening_hours"].strip():
        try:
            row.week = services.parse_week(cells["opening_hours"])
        except ValueError as exc:
            fail("opening_hours", str(exc))
    if "hours_valid_from" in present and cells["hours_valid_from"].strip():
        try:
            row.valid_from = date.fromisoformat(cells["hours_valid_from"].strip())
        except ValueError:
            fail("hours_valid_from", _("'%(value)s' is not a date like 2025-01-31.",
                                       value=cells["hours_valid_from"].strip()))
    for column in _INT_RULES:
        if column in present and cells[column].strip():
            row.rules[column] = number(column)
    for column in _NULLABLE_INT_RULES:
        if column in present:
            row.rules[column] = number(column)
    if "allow_multi_day" in present:
        flag = cells["allow_multi_day"].strip().lower()
        if flag not in _TRUE | _FALSE:
            fail("allow_multi_day", _("write yes or no."))
        row.rules["allow_multi_day"] = flag in _TRUE
    for column in ("approval_policy", "late_cancellation"):
        if column in present and cells[column].strip():
            row.rules[column] = cells[column].strip().lower()
    if "manual_actor_types" in present:
        row.rules["manual_actor_types"] = sorted({t.strip() for t in cells["manual_actor_types"].split(";")
                                                  if t.strip()})
    return row


def _find_facility(row: _Row) -> tuple[Facility | None, str | None]:
    """The facility the row describes, or a reason the row is ambiguous."""
    by_name = None
    if row.name and row.details.get("department_id"):
        by_name = db.session.scalar(select(Facility).where(
            Facility.department_id == row.details["department_id"], func.lower(Facility.name) == row.name.lower()))
    if row.slug:
        by_slug = db.session.scalar(select(Facility).where(Facility.slug == row.slug))
        if by_slug is not None:
            return by_slug, None
        if by_name is not None:
            return None, _("slug: '%(slug)s' is not the slug of '%(name)s' (that is '%(actual)s').",
                           slug=row.slug, name=by_name.name, actual=by_name.slug)
    return by_name, None


def _row_problems(row: _Row) -> list[str]:
    """Whether the row, applied to its facility (or a new one), makes a valid facility."""
    facility = row.facility
    if facility is not None:
        current = {**services.facility_snapshot(facility), "area_m2": facility.area_m2}
        rules = services.rules_snapshot(facility.rules) if facility.rules else {}
        has_hours = bool(facility.opening_hours)
        status = facility.status
    else:
        current = {"description": "", "address": "", "district": "", "house_rules": "", "capacity": 0,
                   "latitude": None, "longitude": None, "area_m2": None, "amenities": {}, "accessibility": [],
                   "timezone": current_app.config["DEFAULT_TIMEZONE"]}
        rules = {"slot_minutes": 30, "min_duration_minutes": 60, "max_duration_minutes": 480,
                 "min_notice_minutes": 1440, "max_advance_days": 180, "buffer_before_minutes": 0,
                 "buffer_after_minutes": 0, "allow_multi_day": False, "max_active_per_organisation": None,
                 "approval_policy": "automatic", "manual_actor_types": [], "manual_above_minutes": None,
                 "cancellation_deadline_hours": 24, "late_cancellation": "refuse"}
        has_hours = False
        status = FacilityStatus.draft
        if row.slug and not services.SLUG_PATTERN.match(row.slug):
            return [_("slug: a slug uses lower-case letters, digits and single hyphens.")]
    values = services.normalise_details({**current, **row.details})
    columns = {"department_id": "department"}
    problems = [f"{columns.get(k, k)}: {m}" for k, msgs in services.facility_problems(values, facility).items()
                for m in msgs]
    problems += [f"{k}: {m}" for k, msgs in services.rules_problems({**rules, **row.rules}).items() for m in msgs]
    if (row.status or status) == FacilityStatus.published and not (row.week or has_hours):
        problems.append(_("opening_hours: a published facility needs opening hours."))
    return problems


def import_facilities(data: bytes | str, *, actor=None, department_ids: set[int] | None = None,
                      check_only: bool = False) -> ImportReport:
    """Check every row; then, unless a row is bad or `check_only`, create or update them all.
    `department_ids`: the departments the importer may touch (None: any). The caller commits."""
    report = ImportReport(checked_only=check_only)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            report.errors.append(RowError(1, "", [_("The file is not UTF-8 text. Save it as 'CSV UTF-8'.")]))
            return report
    records = _read_rows(data)
    _line, header = next(records)
    missing = [c.name for c in COLUMNS if c.required and c.name not in header]
    unknown = [h for h in header if h not in COLUMN_NAMES]
    if missing or unknown or len(set(header)) != len(header):
        reasons = []
        if missing:
            reasons.append(_("Required columns are missing: %(list)s.", list=", ".join(missing)))
        if unknown:
            reasons.append(_("Unknown columns: %(list)s. Known columns: %(known)s.", list=", ".join(unknown),
                             known=", ".join(COLUMN_NAMES)))
        if len(set(header)) != len(header):
            reasons.append(_("A column is named twice."))
        report.errors.append(RowError(1, "", reasons))
        return report

    rows: list[_Row] = []
    seen: dict[object, int] = {}
    for line, cells in records:
        problems: list[str] = []
        if len(cells) != len(header):
            report.errors.append(RowError(line, cells[0] if cells else "", [
                _("The row has %(n)d cells but the header has %(m)d columns.", n=len(cells), m=len(header))]))
            continue
        row = _parse_row(line, dict(zip(header, cells)), header, department_ids, problems)
        if not problems:
            row.facility, ambiguity = _find_facility(row)
            if ambiguity:
                problems.append(ambiguity)
            elif row.facility and department_ids is not None and row.facility.department_id not in department_ids:
                problems.append(_("slug: '%(slug)s' is a facility of %(department)s, which you do not manage.",
                                  slug=row.facility.slug, department=row.facility.department.name))
            else:
                problems += _row_problems(row)
        for key in filter(None, (row.slug or (row.facility and row.facility.slug),
                                 (row.name.lower(), row.details.get("department_id")))):
            if key in seen:
                problems.append(_("This facility is also on line %(line)d.", line=seen[key]))
            seen.setdefault(key, line)
        if problems:
            report.errors.append(RowError(line, row.name, problems))
        rows.append(row)
    if report.errors or check_only:
        for row in rows:
            if not report.errors:
                (report.updated if row.facility else report.created).append(row.name)
        return report
    try:
        for row in rows:
            _apply(row, report, actor)
    except DomainError as exc:  # a check above missed something: keep the promise, write nothing
        db.session.rollback()
        report.errors.append(RowError(row.line, row.name, exc.all_reasons()))
        report.created, report.updated, report.unchanged = [], [], []
    return report


def _apply(row: _Row, report: ImportReport, actor) -> None:
    details = {k: v for k, v in row.details.items() if k in services.EDITABLE_FIELDS}
    if row.facility is None:
        facility = services.create_facility(actor=actor, slug=row.slug, **details)
        changed, bucket = True, report.created
    else:
        facility = row.facility
        changed, bucket = services.update_facility(facility, actor=actor, **details), report.updated
    if row.week:
        # Unchanged hours make no new version, so importing the same file twice changes nothing.
        today = services.local_today(facility)
        compared = row.valid_from or services.version_on(facility, today)
        if services.hours_versions(facility).get(compared) != row.week:
            changed = services.set_opening_hours(facility, row.valid_from or today, row.week, actor=actor) or changed
    if row.rules:
        changed = services.update_rules(facility, actor=actor, **row.rules) or changed
    if row.status is not None and row.status != facility.status:
        services.set_status(facility, row.status, actor=actor)
        changed = True
    (bucket if changed else report.unchanged).append(facility.name)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "value"):
        return value.value
    return str(value)


def export_facilities(out, *, department_ids: set[int] | None = None) -> int:
    """Write the facilities (of these departments, or all) as CSV in the import format.
    The opening hours are those in force today (or the first future ones). Returns the count."""
    stmt = select(Facility).join(Facility.department).order_by(Department.name, Facility.name)
    if department_ids is not None:
        stmt = stmt.where(Facility.department_id.in_(department_ids or {-1}))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMN_NAMES)
    count = 0
    for facility in db.session.scalars(stmt):
        versions = services.hours_versions(facility)
        valid_from = services.version_on(facility, services.local_today(facility)) or next(iter(versions), None)
        rules = services.rules_snapshot(facility.rules) if facility.rules else {}
        values = {
            **{k: getattr(facility, k) for k in ("name", "slug", "category", "status", "description", "address",
                                                 "district", "latitude", "longitude", "capacity", "area_m2",
                                                 "house_rules", "timezone")},
            "department": facility.department.name,
            "amenities": services.format_amenities({a.name: a.quantity for a in facility.amenities}),
            "accessibility": ";".join(a.feature for a in facility.accessibility),
            "opening_hours": services.format_week(versions[valid_from]) if valid_from else "",
            "hours_valid_from": valid_from.isoformat() if valid_from else "",
            **rules,
            "manual_actor_types": ";".join(rules.get("manual_actor_types") or ()),
        }
        writer.writerow([_cell(values.get(name)) for name in COLUMN_NAMES])
        count += 1
    return count


# --- closures from iCalendar -------------------------------------------------------------

MAX_CALENDAR_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 15
# Recurring events are expanded this far back and ahead of today.
RECURRENCE_PAST, RECURRENCE_AHEAD, MAX_OCCURRENCES = timedelta(days=365), timedelta(days=730), 2000


def fetch_calendar(url: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> bytes:
    """The body of an http(s) calendar URL, or a RuleViolation saying why not."""
    url = (url or "").strip()
    if not url.lower().startswith(("http://", "https://")):
        raise RuleViolation(field_errors={"url": [_("The address must start with http:// or https://.")]})
    request = urllib.request.Request(url, headers={"User-Agent": "Infrashare closure import",
                                                   "Accept": "text/calendar, */*"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            data = response.read(MAX_CALENDAR_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise RuleViolation(field_errors={"url": [_("The calendar server answered %(status)d %(reason)s.",
                                                    status=exc.code, reason=exc.reason)]}) from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RuleViolation(field_errors={"url": [_("The calendar could not be fetched: %(reason)s.",
                                                    reason=reason)]}) from None
    if len(data) > MAX_CALENDAR_BYTES:
        raise RuleViolation(field_errors={"url": [_("The calendar is larger than %(n)d MB.",
                                                    n=MAX_CALENDAR_BYTES // 1024 // 1024)]})
    return data


def _instant(value, tz: ZoneInfo) -> datetime:
    """A DTSTART-like value as a UTC instant: a date is local midnight, a floating time is local."""
    if not isinstance(value, datetime):
        return local_instant(value, time(0), tz)
    if value.tzinfo is None:
        return local_instant(value.date(), value.time(), tz)
    return value.astimezone(UTC)


def _uid(component) -> str:
    uid = str(component.get("UID") or "").strip()
    if not uid:  # without a UID, the event's own content is the best identity we have
        uid = "sha1:" + hashlib.sha1(component.to_ical()).hexdigest()
    return uid


def _occurrences(component, start, end, today: date):
    """(start, end) of each occurrence of a recurring event within the expansion window."""
    as_datetime = not isinstance(start, datetime)
    first = datetime.combine(start, time(0)) if as_datetime else start
    rules = rruleset()
    for rrule in component.get("RRULE") if isinstance(component.get("RRULE"), list) else [component.get("RRULE")]:
        rules.rrule(rrulestr(rrule.to_ical().decode(), dtstart=first, ignoretz=False))
    exdates = component.get("EXDATE") or []
    for exdate in exdates if isinstance(exdates, list) else [exdates]:
        for item in exdate.dts:
            value = item.dt
            rules.exdate(datetime.combine(value, time(0)) if not isinstance(value, datetime) else value)
    low = datetime.combine(today - RECURRENCE_PAST, time(0))
    high = datetime.combine(today + RECURRENCE_AHEAD, time(0))
    if first.tzinfo is not None:
        low, high = low.replace(tzinfo=first.tzinfo), high.replace(tzinfo=first.tzinfo)
    length = end - start
    for count, occurrence in enumerate(rules.between(low, high, inc=True)):
        if count >= MAX_OCCURRENCES:
            break
        occurrence_start = occurrence.date() if as_datetime else occurrence
        yield occurrence_start, occurrence_start + length


def closures_from_calendar(data: bytes, timezone: str, *, today: date | None = None) -> list[tuple]:
    """[(uid, start, end, summary)] of the calendar's events, as UTC instants.

    All-day events close whole local days (DTEND is exclusive); times without a zone are
    the facility's local time; recurring events are expanded (EXDATE and changed
    occurrences honoured) and each occurrence gets its own UID. Cancelled events are left out.
    """
    tz = ZoneInfo(timezone)
    today = today or utcnow().astimezone(tz).date()
    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise RuleViolation(field_errors={"file": [_("This is not an iCalendar (.ics) file: %(error)s",
                                                     error=exc)]}) from None
    events: dict[str, tuple] = {}
    overrides: dict[str, tuple | None] = {}
    for component in calendar.walk("VEVENT"):
        if "DTSTART" not in component:
            continue
        cancelled = str(component.get("STATUS", "")).upper() == "CANCELLED"
        uid = _uid(component)
        start = component.get("DTSTART").dt
        if "DTEND" in component:
            end = component.get("DTEND").dt
        elif "DURATION" in component:
            end = start + component.get("DURATION").dt
        else:
            end = start + timedelta(days=1) if not isinstance(start, datetime) else start
        summary = str(component.get("SUMMARY", "")).strip()
        if "RECURRENCE-ID" in component:  # one occurrence of a recurring event, moved or cancelled
            key = f"{uid}#{_instant(component.get('RECURRENCE-ID').dt, tz).isoformat()}"
            overrides[key] = None if cancelled else (key, _instant(start, tz), _instant(end, tz), summary)
        elif cancelled:
            continue
        elif "RRULE" in component:
            for occurrence_start, occurrence_end in _occurrences(component, start, end, today):
                begin = _instant(occurrence_start, tz)
                key = f"{uid}#{begin.isoformat()}"
                events[key] = (key, begin, _instant(occurrence_end, tz), summary)
        else:
            events[uid] = (uid, _instant(start, tz), _instant(end, tz), summary)
    for key, event in overrides.items():
        if event is None:
            events.pop(key, None)
        else:
            events[key] = event
    result = []
    for key, start, end, summary in events.values():
        if end <= start:
            continue
        if len(key) > 300:
            key = "sha1:" + hashlib.sha1(key.encode()).hexdigest()
        result.append((key, start, end, summary))
    return sorted(result, key=lambda e: e[1])


def import_closures(facility: Facility, data: bytes, *, source: str, actor=None) -> dict[str, int]:
    """Bring the facility's imported closures in line with the calendar. The caller commits."""
    if len(data) > MAX_CALENDAR_BYTES:
        raise RuleViolation(field_errors={"file": [_("The calendar is larger than %(n)d MB.",
                                                     n=MAX_CALENDAR_BYTES // 1024 // 1024)]})
    events = closures_from_calendar(data, facility.timezone)
    return services.sync_imported_closures(facility, events, source=source, actor=actor)

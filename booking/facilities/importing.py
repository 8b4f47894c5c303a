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
- At most MAX_CSV_BYTES, MAX_ROWS rows and MAX_CELL_CHARS characters a cell; no NUL characters.

Every row is checked before anything is written (`check_facilities`, which only reads). If any
row is wrong, the report lists each bad row with its line number and reasons, and nothing is
imported; else `apply_import` writes them all in the caller's unit of work.
`export_facilities` writes the same format, so an export can be edited and imported back.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from booking import csvfiles, fetching
from booking.accounts.models import Department
from booking.content import LANGUAGES, content_language
from booking.errors import DomainError, Message, RuleViolation
from booking.extensions import db
from booking.facilities import ical, services
from booking.facilities.models import Facility, FacilityStatus

MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_CELL_CHARS = 10_000


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False

    @property
    def description(self) -> Message:
        return Message(f"facilities.column.{self.name}")


COLUMNS = tuple(Column(name, name in ("name", "department", "category")) for name in (
    "name", "slug", "department", "category", "status", "description", "address", "district", "latitude",
    "longitude", "capacity", "area_m2", "timezone", "amenities", "accessibility", "house_rules",
    "accessibility_notes", "opening_hours",
    "hours_valid_from", "slot_minutes", "min_duration_minutes", "max_duration_minutes", "min_notice_minutes",
    "max_advance_days", "buffer_before_minutes", "buffer_after_minutes", "allow_multi_day",
    "max_active_per_organisation", "approval_policy", "manual_actor_types", "manual_above_minutes",
    "cancellation_deadline_hours", "late_cancellation"))
BASE_COLUMN_NAMES = tuple(c.name for c in COLUMNS)


@dataclass(frozen=True)
class ExtraColumns:
    """Columns a domain above facilities adds to the facility CSV (pricing: the base tariff),
    registered at import time so this module never imports that domain. Each function gets
    the row's cells (only the columns present), or the facility:
    `check(cells) -> (value, problems)` reads and checks them without writing;
    `apply(facility, value, actor) -> changed` writes, in the caller's unit of work;
    `export(facilities) -> {facility id: {column: text}}` reads them all at once (an export of
    a city must not query once per facility). The wording of each column is the message
    `facilities.column.<name>`, registered by that domain."""
    key: str
    columns: tuple[str, ...]
    check: Callable[[dict[str, str]], tuple[object, list[Message]]]
    apply: Callable[[Facility, object, object], bool]
    export: Callable[[list[Facility]], dict[int, dict[str, str]]]


_extra_columns: dict[str, ExtraColumns] = {}


def register_columns(extra: ExtraColumns) -> None:
    _extra_columns[extra.key] = extra


@dataclass(frozen=True)
class TranslationColumn(Column):
    """`name_sv`, `description_fi`, …: a text in a language other than the content language."""
    field: str = ""
    language: str = ""

    @property
    def description(self) -> Message:
        return Message("facilities.column.translation", field=self.field, language=self.language)


def translation_columns() -> tuple[TranslationColumn, ...]:
    """A column for each translatable text in each language but the content language (the
    plain column holds that one): `name_fi`, `name_sv`, `description_fi`, …"""
    base = content_language()
    return tuple(TranslationColumn(f"{field}_{language}", field=field, language=language)
                 for field in Facility.TRANSLATABLE for language in LANGUAGES if language != base)


def all_columns() -> tuple[Column, ...]:
    return (COLUMNS + translation_columns()
            + tuple(Column(name) for extra in _extra_columns.values() for name in extra.columns))


def column_names() -> tuple[str, ...]:
    return tuple(c.name for c in all_columns())


_INT_RULES = ("slot_minutes", "min_duration_minutes", "min_notice_minutes", "max_advance_days",
              "buffer_before_minutes", "buffer_after_minutes", "cancellation_deadline_hours")
_NULLABLE_INT_RULES = ("max_duration_minutes", "max_active_per_organisation", "manual_above_minutes")
_TRUE, _FALSE = {"yes", "true", "1", "y"}, {"no", "false", "0", "n", ""}


def _in_column(column: str, problem: Message) -> Message:
    """'capacity: 'many' is not a number.'"""
    return Message("facilities.import.cell", column=column, problem=problem)


def _shown(text: str, limit: int = 100) -> str:
    """A value quoted back in a message: no NUL, not the whole of a huge cell."""
    text = text.replace("\x00", "")
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass
class RowError:
    line: int
    name: str
    problems: list  # Messages (or words)

    @property
    def reasons(self) -> list[str]:
        return [str(p) for p in self.problems]


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

    def summary_message(self) -> Message:
        if self.errors:
            return Message("facilities.import.rows_with_problems", n=len(self.errors))
        return Message("facilities.import.checked" if self.checked_only else "facilities.import.done",
                       created=len(self.created), updated=len(self.updated), unchanged=len(self.unchanged))

    def summary(self) -> str:
        return str(self.summary_message())


class ImportFailed(RuleViolation):
    """A row the checks passed was refused while writing: the caller's unit of work rolls all back."""

    def __init__(self, report: ImportReport):
        super().__init__(report.summary_message())
        self.report = report


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
    extras: dict = field(default_factory=dict)   # ExtraColumns key → its checked value
    translations: dict = field(default_factory=dict)  # (field, language) → text, for the columns present


@dataclass
class ImportPlan:
    """A checked file: the report so far and the rows to write."""
    report: ImportReport
    rows: list[_Row] = field(default_factory=list)


def _text(data: bytes | str, report: ImportReport) -> str | None:
    if len(data) > MAX_CSV_BYTES:
        report.errors.append(RowError(1, "", [Message("facilities.import.too_large",
                                                      megabytes=fetching.megabytes(MAX_CSV_BYTES))]))
        return None
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            report.errors.append(RowError(1, "", [Message("facilities.import.not_utf8")]))
            return None
    # A lone CR (old Mac files) would stop the csv module; read it as the line break it is.
    return data.replace("\r\n", "\n").replace("\r", "\n")


def _records(text: str, report: ImportReport) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """The header and each non-empty record with the line where it starts; counted before any
    row is checked, so a huge file is refused at once. None (with the reason in the report) if
    the file is too long or a record cannot be read."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        start = reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                if len(records) == MAX_ROWS:
                    report.errors.append(RowError(1, "", [Message("facilities.import.too_many_rows", n=MAX_ROWS)]))
                    return None
                records.append((start, [csvfiles.unguard(c) for c in cells]))
            start = reader.line_num + 1
    except csv.Error:  # a cell past the csv module's own limit (128 KiB)
        report.errors.append(RowError(start, "", [Message("facilities.import.unreadable_line", n=MAX_CELL_CHARS)]))
        return None
    return header, records


def _header_problems(header: list[str]) -> list[Message]:
    missing = [c.name for c in COLUMNS if c.required and c.name not in header]
    known = column_names()
    unknown = [_shown(h, 50) for h in header if h not in known]
    problems = []
    if missing:
        problems.append(Message("facilities.import.columns_missing", list=", ".join(missing)))
    if unknown:
        problems.append(Message("facilities.import.columns_unknown", list=", ".join(unknown),
                                known=", ".join(known)))
    if len(set(header)) != len(header):
        problems.append(Message("facilities.import.column_twice"))
    return problems


def _cell_problems(cells: dict[str, str]) -> list[Message]:
    """Cells no text field may hold: over-long ones and NUL characters (PostgreSQL refuses them)."""
    problems = []
    for column, value in cells.items():
        if len(value) > MAX_CELL_CHARS:
            problems.append(_in_column(column, Message("facilities.import.cell_too_long", n=MAX_CELL_CHARS)))
        elif "\x00" in value:
            problems.append(_in_column(column, Message("facilities.import.cell_nul")))
    return problems


def _parse_row(line: int, cells: dict, header: list[str], departments: dict[str, Department], allowed_departments,
               errors: list[Message]) -> _Row:
    """Typed values from the cells; problems of form go to `errors` with the column name."""
    def fail(column, message):
        errors.append(_in_column(column, message))

    def number(column, kind=int):
        raw = cells[column].strip()
        if not raw:
            return None
        try:
            return kind(raw.replace(",", ".") if kind is not int else raw)
        except (ValueError, InvalidOperation):
            fail(column, Message("facilities.import.not_a_number", value=_shown(raw)))
            return None

    row = _Row(line=line, name=cells.get("name", "").strip())
    present = set(header)
    name = cells["department"].strip()
    department = departments.get(name.lower())
    if department is None:
        fail("department", Message("facilities.import.no_department", name=_shown(name)))
    elif allowed_departments is not None and department.id not in allowed_departments:
        fail("department", Message("facilities.import.not_your_department", name=department.name))
    row.details["department_id"] = department.id if department else None
    for column in ("name", "category", "description", "address", "district", "house_rules", "accessibility_notes",
                   "timezone"):
        if column in present:
            row.details[column] = cells[column].strip()
    row.translations = {(c.field, c.language): cells[c.name].strip() for c in translation_columns() if c.name in present}
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
        except services.TextError as exc:
            for message in exc.messages:
                fail("amenities", message)
    if "accessibility" in present:
        row.details["accessibility"] = [f.strip() for f in cells["accessibility"].split(";") if f.strip()]
    if "slug" in present and cells["slug"].strip():
        row.slug = cells["slug"].strip().lower()
    if "status" in present and cells["status"].strip():
        try:
            row.status = FacilityStatus(cells["status"].strip().lower())
        except ValueError:
            fail("status", Message("facilities.import.status_unknown", value=_shown(cells["status"].strip())))
    if "opening_hours" in present and cells["opening_hours"].strip():
        try:
            row.week = services.parse_week(cells["opening_hours"])
        except services.TextError as exc:
            for message in exc.messages:
                fail("opening_hours", message)
    if "hours_valid_from" in present and cells["hours_valid_from"].strip():
        try:
            row.valid_from = date.fromisoformat(cells["hours_valid_from"].strip())
        except ValueError:
            fail("hours_valid_from", Message("facilities.import.not_a_date",
                                             value=_shown(cells["hours_valid_from"].strip())))
    for column in _INT_RULES:
        if column in present and cells[column].strip():
            row.rules[column] = number(column)
    for column in _NULLABLE_INT_RULES:
        if column in present:
            row.rules[column] = number(column)
    if "allow_multi_day" in present:
        flag = cells["allow_multi_day"].strip().lower()
        if flag not in _TRUE | _FALSE:
            fail("allow_multi_day", Message("facilities.import.yes_or_no"))
        row.rules["allow_multi_day"] = flag in _TRUE
    for column in ("approval_policy", "late_cancellation"):
        if column in present and cells[column].strip():
            row.rules[column] = cells[column].strip().lower()
    if "manual_actor_types" in present:
        row.rules["manual_actor_types"] = sorted({t.strip() for t in cells["manual_actor_types"].split(";")
                                                  if t.strip()})
    for extra in _extra_columns.values():
        given = {c: cells[c] for c in extra.columns if c in present}
        if given:
            row.extras[extra.key], problems = extra.check(given)
            errors.extend(problems)
    return row


def _find_facility(row: _Row) -> tuple[Facility | None, Message | None]:
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
            return None, _in_column("slug", Message("facilities.import.slug_of_another", slug=row.slug,
                                                    name=by_name.name, actual=by_name.slug))
    return by_name, None


def _merge_translations(row: _Row) -> None:
    """The row's language columns over the facility's translations: a column left out keeps
    its text, an empty cell removes it."""
    if not row.translations:
        return
    merged = {language: dict(texts) for language, texts in ((row.facility.translations or {}) if row.facility
                                                           else {}).items()}
    for (field_name, language), text in row.translations.items():
        merged.setdefault(language, {})[field_name] = text
    row.details["translations"] = services.clean_translations(merged, Facility.TRANSLATABLE)


def _row_problems(row: _Row) -> list[Message]:
    """Whether the row, applied to its facility (or a new one), makes a valid facility."""
    facility = row.facility
    if facility is not None:
        current = {**services.facility_snapshot(facility), "area_m2": facility.area_m2}
        rules = services.rules_snapshot(facility.rules) if facility.rules else {}
        has_hours = bool(facility.opening_hours)
        status = facility.status
    else:
        current = {"description": "", "address": "", "district": "", "house_rules": "", "accessibility_notes": "",
                   "translations": {}, "capacity": 0,
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
            return [_in_column("slug", Message("facilities.import.slug_invalid"))]
    values = services.normalise_details({**current, **row.details})
    columns = {"department_id": "department"}
    problems = [_in_column(columns.get(k, k), m) for k, msgs in services.facility_problems(values, facility).items()
                for m in msgs]
    problems += [_in_column(k, m) for k, msgs in services.rules_problems({**rules, **row.rules}).items() for m in msgs]
    if (row.status or status) == FacilityStatus.published and not (row.week or has_hours):
        problems.append(_in_column("opening_hours", Message("facilities.import.published_without_hours")))
    return problems


def check_facilities(data: bytes | str, *, department_ids: set[int] | None = None,
                     check_only: bool = False) -> ImportPlan:
    """Read and check every row; nothing is written. `department_ids`: the departments the
    importer may touch (None: any). Run it before the unit of work: it is the slow part."""
    plan = ImportPlan(ImportReport(checked_only=check_only))
    report = plan.report
    text = _text(data, report)
    parsed = _records(text, report) if text is not None else None
    if parsed is None:
        return plan
    header, records = parsed
    problems = _header_problems(header)
    if problems:
        report.errors.append(RowError(1, "", problems))
        return plan

    departments = {d.name.lower(): d for d in db.session.scalars(select(Department))}
    seen: dict[object, int] = {}
    for line, cells in records:
        if len(cells) != len(header):
            report.errors.append(RowError(line, _shown(cells[0] if cells else ""), [
                Message("facilities.import.cell_count", n=len(cells), m=len(header))]))
            continue
        values = dict(zip(header, cells))
        problems = _cell_problems(values)
        if problems:
            report.errors.append(RowError(line, _shown(values.get("name", "")), problems))
            continue
        row = _parse_row(line, values, header, departments, department_ids, problems)
        if not problems:
            row.facility, ambiguity = _find_facility(row)
            if ambiguity:
                problems.append(ambiguity)
            elif row.facility and department_ids is not None and row.facility.department_id not in department_ids:
                problems.append(_in_column("slug", Message("facilities.import.slug_elsewhere", slug=row.facility.slug,
                                                      department=row.facility.department.name)))
            else:
                _merge_translations(row)
                problems += _row_problems(row)
        for key in filter(None, (row.slug or (row.facility and row.facility.slug),
                                 (row.name.lower(), row.details.get("department_id")))):
            if key in seen:
                problems.append(Message("facilities.import.also_on_line", line=seen[key]))
            seen.setdefault(key, line)
        if problems:
            report.errors.append(RowError(line, row.name, problems))
        plan.rows.append(row)
    if not report.errors:
        for row in plan.rows:
            (report.updated if row.facility else report.created).append(row.name)
    return plan


def apply_import(plan: ImportPlan, *, actor=None) -> ImportReport:
    """Create or update the rows of a checked plan, in the caller's unit of work. A refusal the
    checks missed raises ImportFailed, so the unit of work writes nothing."""
    report = ImportReport()
    for row in plan.rows:
        try:
            _apply(row, report, actor)
        except DomainError as exc:
            reasons = exc.messages + [_in_column(name, m) for name, msgs in exc.field_messages.items() for m in msgs]
            raise ImportFailed(ImportReport(errors=[RowError(row.line, row.name, reasons)])) from None
    return report


def import_facilities(data: bytes | str, *, actor=None, department_ids: set[int] | None = None,
                      check_only: bool = False) -> ImportReport:
    """Check every row; then, unless a row is bad or `check_only`, create or update them all
    (in the caller's unit of work, which commits)."""
    plan = check_facilities(data, department_ids=department_ids, check_only=check_only)
    if not plan.report.ok or check_only:
        return plan.report
    return apply_import(plan, actor=actor)


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
    for key, value in row.extras.items():
        changed = _extra_columns[key].apply(facility, value, actor) or changed
    (bucket if changed else report.unchanged).append(facility.name)


def _exported(value) -> str:
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
    stmt = (select(Facility).join(Facility.department).order_by(Department.name, Facility.name)
            .options(contains_eager(Facility.department), selectinload(Facility.opening_hours),
                     selectinload(Facility.rules), selectinload(Facility.amenities),
                     selectinload(Facility.accessibility)))
    if department_ids is not None:
        stmt = stmt.where(Facility.department_id.in_(department_ids or {-1}))
    writer = csvfiles.writer(out, lineterminator="\n")
    names = column_names()
    writer.writerow(names)
    facilities = list(db.session.scalars(stmt))
    extras = [extra.export(facilities) for extra in _extra_columns.values()]
    count = 0
    for facility in facilities:
        versions = services.hours_versions(facility)
        valid_from = services.version_on(facility, services.local_today(facility)) or next(iter(versions), None)
        rules = services.rules_snapshot(facility.rules) if facility.rules else {}
        values = {
            **{k: getattr(facility, k) for k in ("name", "slug", "category", "status", "description", "address",
                                                 "district", "latitude", "longitude", "capacity", "area_m2",
                                                 "house_rules", "accessibility_notes", "timezone")},
            **{c.name: ((facility.translations or {}).get(c.language) or {}).get(c.field, "")
               for c in translation_columns()},
            "department": facility.department.name,
            "amenities": services.format_amenities({a.name: a.quantity for a in
                                                    sorted(facility.amenities, key=lambda a: a.name.lower())}),
            "accessibility": ";".join(a.feature for a in facility.accessibility),
            "opening_hours": services.format_week(versions[valid_from]) if valid_from else "",
            "hours_valid_from": valid_from.isoformat() if valid_from else "",
            **rules,
            "manual_actor_types": ";".join(rules.get("manual_actor_types") or ()),
        }
        for exported in extras:
            values.update(exported.get(facility.id, {}))
        writer.writerow([_exported(values.get(name)) for name in names])
        count += 1
    return count


# --- closures from iCalendar -------------------------------------------------------------

def _calendar_too_large(field_name: str) -> RuleViolation:
    return RuleViolation(field_errors={field_name: [Message("facilities.calendar.too_large",
                                                            n=ical.MAX_BYTES // 1024 // 1024)]})


def fetch_calendar(url: str, timeout: float = fetching.TIMEOUT_SECONDS) -> bytes:
    """The body of an http(s) calendar URL on a public address, or a RuleViolation saying why not
    (in fixed words: never what the server sent). Run it before the unit of work."""
    try:
        return fetching.fetch(url, max_bytes=ical.MAX_BYTES, timeout=timeout, accept="text/calendar, */*").body
    except fetching.FetchError as exc:
        code = exc.reason.code
        if code == "fetch.too_large":
            raise _calendar_too_large("url") from None
        if code == "fetch.scheme":
            problem = Message("facilities.calendar.scheme")
        elif code == "fetch.status":
            problem = Message("facilities.calendar.status", status=exc.http_status, reason=exc.reason.params["phrase"])
        else:
            problem = Message("facilities.calendar.unreachable", reason=exc.reason)
        raise RuleViolation(field_errors={"url": [problem]}) from None


def read_calendar(data: bytes, timezone: str, *, today: date | None = None, field_name: str = "file") -> ical.Reading:
    """The closures of a calendar and the events left out (booking.facilities.ical). Slow: run it
    before the unit of work."""
    if len(data) > ical.MAX_BYTES:
        raise _calendar_too_large(field_name)
    try:
        return ical.read_calendar(data, timezone, today=today)
    except RuleViolation as exc:
        raise RuleViolation(field_errors={field_name: exc.messages}) from None


def closures_from_calendar(data: bytes, timezone: str, *, today: date | None = None) -> list[tuple]:
    """[(uid, start, end, summary)] of the calendar's events, as UTC instants (see read_calendar)."""
    return read_calendar(data, timezone, today=today).closures


def apply_calendar(facility: Facility, reading: ical.Reading, *, source: str, actor=None) -> dict[str, int]:
    """Bring the facility's imported closures in line with a read calendar; the closures of events
    that could not be read this time are kept. In the caller's unit of work."""
    return services.sync_imported_closures(facility, reading.closures, source=source, keep=reading.problem_uids,
                                           actor=actor)


def import_closures(facility: Facility, data: bytes, *, source: str, actor=None) -> dict[str, int]:
    """Read the calendar and apply it (for callers without slow-work concerns: the demo seed)."""
    return apply_calendar(facility, read_calendar(data, facility.timezone), source=source, actor=actor)

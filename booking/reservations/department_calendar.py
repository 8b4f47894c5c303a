"""The department-wide calendar: every facility of a department as a row, a week (a column per
day) or a day (a column per hour), with the reservations, internal blocks and closures in the
cells, each a link to act on it. A server-rendered table: keyboard access through its links,
headers for every row and column, no JavaScript. Managers see their departments; admins choose
any. Routes live on the reservations blueprint.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from booking import navigation
from booking.accounts.models import Department
from booking.accounts.rules import can_manage_department
from booking.database import utcnow
from booking.extensions import db
from booking.facilities.availability import local_day_bounds, local_instant
from booking.facilities.search import week_start
from booking.formatting import local_time
from booking.reservations import rules
from booking.reservations.services.board import BoardItem, board, department_facilities
from booking.reservations.views import _local_date_arg, bp

# The day view's hours unless something in the day lies outside them.
DAY_FIRST_HOUR, DAY_LAST_HOUR = 7, 22

navigation.add("reservations.department_calendar_home", _l("Department calendar"), order=36, visible=rules.can_view_inbox)


@dataclass
class Cell:
    """A table cell of a facility's row: empty, or what lies in it (a day view cell may span hours)."""
    span: int = 1
    items: list[tuple[BoardItem, str]] = field(default_factory=list)  # with its hours in words


def hour_cells(spans: list[tuple[int, int]], columns: int) -> list[tuple[int, int, list[int]]]:
    """Lay items out over `columns` hour columns: `spans` are each item's first and last column
    (sorted by start). Returns cells as (first column, width, indexes of the items in it); an item
    that overlaps the cell before it joins that cell (widening it), so the row stays a table row."""
    cells: list[tuple[int, int, list[int]]] = []
    cursor = 0
    for index, (first, last) in enumerate(spans):
        first, last = max(first, 0), min(last, columns - 1)
        if cells and first < cursor:
            start, width, members = cells[-1]
            members.append(index)
            if last >= cursor:
                cells[-1] = (start, last - start + 1, members)
                cursor = last + 1
            continue
        cells.extend((column, 1, []) for column in range(cursor, first))
        cells.append((first, last - first + 1, [index]))
        cursor = last + 1
    cells.extend((column, 1, []) for column in range(cursor, columns))
    return cells


def _departments() -> list[Department]:
    stmt = select(Department).order_by(Department.name)
    if not current_user.is_admin:
        stmt = stmt.where(Department.id.in_(current_user.department_ids or [-1]))
    return list(db.session.scalars(stmt))


@bp.get("/reservations/department-calendar")
@login_required
def department_calendar_home():
    """The calendar of the chosen department (`department`), else the first one the user may see."""
    if not rules.can_view_inbox(current_user):
        abort(403)
    chosen = request.args.get("department", type=int)
    departments = _departments()
    if chosen is None or not any(d.id == chosen for d in departments):
        if not departments:
            abort(404)
        chosen = departments[0].id
    view = "day" if request.args.get("view") == "day" else "week"
    return redirect(url_for("reservations.department_calendar", department_id=chosen, view=view,
                            date=request.args.get("date") or None))


@bp.get("/reservations/departments/<int:department_id>/calendar")
@login_required
def department_calendar(department_id: int):
    department = db.session.get(Department, department_id) or abort(404)
    if not can_manage_department(current_user, department.id):
        abort(403)
    zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    now = utcnow()
    today = now.astimezone(zone).date()
    view = "day" if request.args.get("view") == "day" else "week"
    day = _local_date_arg("date", today)
    first = day if view == "day" else week_start(day)
    length = 1 if view == "day" else 7
    days = [first + timedelta(days=n) for n in range(length)]
    start, end = local_day_bounds(days[0], zone).start, local_day_bounds(days[-1], zone).end
    facilities = department_facilities(department.id)
    found = board(facilities, start, end, now=now)
    if view == "week":
        columns = [local_day_bounds(d, zone) for d in days]
        rows = [(f, _week_cells(found.get(f.id, []), columns, f.timezone)) for f in facilities]
        headers = days
    else:
        columns = _hour_columns(day, zone, [item for items in found.values() for item in items])
        rows = [(f, _day_cells(found.get(f.id, []), columns, f.timezone)) for f in facilities]
        headers = [c.start for c in columns]
    step = timedelta(days=length)
    return render_template(
        "reservations/department_calendar.html", department=department, departments=_departments(), view=view,
        day=day, today=today, now=now, rows=rows, headers=headers, days=days, tz=zone.key,
        prev_day=(first - step).isoformat(), next_day=(first + step).isoformat())


def _label(item: BoardItem, bounds, tz: str) -> str:
    """The item's hours within one column's day: whole, from, until or through."""
    if item.start <= bounds.start and item.end >= bounds.end:
        return str(_l("all day"))
    start, end = max(item.start, bounds.start), min(item.end, bounds.end)
    return f"{local_time(start, tz, 'HH:mm')}–{local_time(end, tz, 'HH:mm')}"


def _week_cells(items: list[BoardItem], columns, tz: str) -> list[Cell]:
    return [Cell(items=[(item, _label(item, bounds, tz)) for item in items
                        if item.start < bounds.end and item.end > bounds.start]) for bounds in columns]


@dataclass(frozen=True)
class _Column:
    start: datetime
    end: datetime


def _hour_columns(day: date, zone: ZoneInfo, items: list[BoardItem]) -> list[_Column]:
    """The day view's hour columns: 07–22 local time, widened to what the day holds."""
    bounds = local_day_bounds(day, zone)
    first, last = DAY_FIRST_HOUR, DAY_LAST_HOUR
    for item in items:
        if item.start > bounds.start:
            first = min(first, item.start.astimezone(zone).hour)
        else:
            first = 0
        if item.end < bounds.end:
            ending = item.end.astimezone(zone)
            last = max(last, ending.hour + (1 if ending.minute else 0))
        else:
            last = 24
    edges = [local_instant(day, time(hour), zone) for hour in range(first, last)] + [
        bounds.end if last == 24 else local_instant(day, time(last), zone)]
    return [_Column(a, b) for a, b in zip(edges, edges[1:]) if b > a]


def _day_cells(items: list[BoardItem], columns: list[_Column], tz: str) -> list[Cell]:
    def column_of(moment: datetime) -> int:
        for index, column in enumerate(columns):
            if moment < column.end:
                return index
        return len(columns) - 1
    whole = _Column(columns[0].start, columns[-1].end)
    shown = [item for item in items if item.start < whole.end and item.end > whole.start]
    spans = [(column_of(max(item.start, whole.start)), column_of(min(item.end, whole.end) - timedelta(microseconds=1)))
             for item in shown]
    return [Cell(span=width, items=[(shown[i], _label(shown[i], whole, tz)) for i in members])
            for _first, width, members in hour_cells(spans, len(columns))]

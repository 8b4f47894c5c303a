"""Statistics use cases: the figures, summed by the database from the daily rollups.

    utilisation_rows(filters) -> list[Row]          # per interval and group (facility, category, …)
    summary(filters) -> Row                         # the whole filtered period in one row
    heatmap(filters) -> list[list[Cell]]            # weekday × local hour
    lead_times(filters) -> list[LeadTime]           # request to decision, per department
    pilots_by_state(filters) -> [(state, count)]   # pilot agreements meeting the period

Rollups are kept true by booking/stats/rollups.py. Nothing here loops over reservations,
except the lead-time percentiles, which read the manual decisions' two instants.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Date, func, literal, select

from booking.accounts.models import Department
from booking.agreements.models import AgreementStatus, PilotAgreement
from booking.extensions import db
from booking.facilities.models import Facility, FacilityStatus
from booking.reservations.models import Reservation, ReservationKind
from booking.stats import rollups, rules
from booking.stats.models import (HOURS, UtilisationBooker, UtilisationDay, UtilisationMonth, booked_hour,
                                  open_hour)

GROUPS = ("none", "facility", "category", "department", "district", "actor_type")
INTERVALS = ("all", "day", "week", "month", "year")
MAX_DAYS = 3 * 366 + 1          # one request covers at most three years …
MAX_DAYS_BY_DAY = 366 + 1       # … or one year day by day


@dataclass(frozen=True)
class Filters:
    first: date
    last: date
    group_by: str = "none"
    interval: str = "all"
    departments: frozenset[int] | None = None   # the viewer's scope; None: the whole city
    department_id: int | None = None
    facility_id: int | None = None
    category: str | None = None
    district: str | None = None
    public: bool = False                        # the open data: published facilities only


@dataclass
class Row:
    period: date | None
    key: object                 # the group's value: an id, a code or a name ("" for none)
    label: str
    open_minutes: int = 0
    booked_minutes: int = 0
    pending_minutes: int = 0
    reservations: int = 0
    completed: int | None = 0
    no_shows: int | None = 0
    cancellations: int | None = 0
    organisations: int = 0
    revenue_cents: int = 0
    subsidy_cents: int = 0

    @property
    def idle_minutes(self) -> int:
        return self.open_minutes - self.booked_minutes

    @property
    def utilisation(self) -> float:
        return rules.utilisation(self.booked_minutes, self.open_minutes)

    @property
    def no_show_rate(self) -> float | None:
        if self.no_shows is None or self.completed is None:
            return None
        return rules.rate(self.no_shows, self.completed + self.no_shows)

    @property
    def cancellation_rate(self) -> float | None:
        if self.cancellations is None:
            return None
        return rules.rate(self.cancellations, self.reservations + self.cancellations)


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _facilities(stmt, filters: Filters):
    """Only the facilities the filters and the viewer allow (the statement joins Facility)."""
    if filters.public:
        stmt = stmt.where(Facility.status == FacilityStatus.published)
    if filters.departments is not None:
        stmt = stmt.where(Facility.department_id.in_(filters.departments or {-1}))
    for column, value in ((Facility.department_id, filters.department_id), (Facility.id, filters.facility_id),
                          (Facility.category, filters.category), (Facility.district, filters.district)):
        if value not in (None, ""):
            stmt = stmt.where(column == value)
    return stmt


def _scoped(stmt, table, filters: Filters, first: date | None = None, last: date | None = None):
    """Rollup rows from `first` to `last` (the filters' period) of the facilities the filters
    and the viewer allow."""
    first, last = first or filters.first, last or filters.last
    return _facilities(stmt.join(Facility, Facility.id == table.facility_id)
                       .where(table.day >= first, table.day <= last), filters)


def _parts(filters: Filters) -> list[tuple[type, date, date]]:
    """Where to sum the period from: whole months from the month rows (84 a year per facility
    instead of 365), the days before and after them from the day rows. Days and weeks: the
    day rows only."""
    first, last = filters.first, filters.last
    if filters.interval in ("day", "week"):
        return [(UtilisationDay, first, last)]
    whole_first = first if first.day == 1 else rollups.month_bounds(first, first)[1] + timedelta(days=1)
    month_end = rollups.month_bounds(last, last)[1]
    whole_last = last if last == month_end else last.replace(day=1) - timedelta(days=1)
    if whole_first > whole_last:
        return [(UtilisationDay, first, last)]
    parts = [(UtilisationMonth, whole_first, whole_last)]
    if first < whole_first:
        parts.append((UtilisationDay, first, whole_first - timedelta(days=1)))
    if last > whole_last:
        parts.append((UtilisationDay, whole_last + timedelta(days=1), last))
    return parts


_GROUP_COLUMNS = {"facility": Facility.id, "category": Facility.category, "department": Facility.department_id,
                  "district": Facility.district}


def _bucket_column(table, interval: str, first: date):
    """SQL: the first day of the interval a rollup row falls in."""
    if interval == "all":
        return literal(first, Date)
    return rollups.period_start(table.day, interval)


def _add(row: Row, values: tuple) -> None:
    for name, value in zip(_SUMMED, values):
        setattr(row, name, getattr(row, name) + value)


_SUMMED = ("open_minutes", "booked_minutes", "pending_minutes", "reservations", "completed", "no_shows",
           "cancellations", "revenue_cents", "subsidy_cents")


def utilisation_rows(filters: Filters) -> list[Row]:
    """The figures per interval and group, ordered by period then group label."""
    actor = filters.group_by == "actor_type"
    found: dict[tuple, Row] = {}
    totals: dict[date | None, Row] = {}
    for table, first, last in _parts(filters):
        bucket = _bucket_column(table, filters.interval, filters.first).label("period")
        group = (literal("") if actor else _GROUP_COLUMNS.get(filters.group_by, literal(""))).label("grp")
        stmt = _scoped(select(bucket, group, *[func.sum(getattr(table, name)) for name in _SUMMED])
                       .select_from(table), table, filters, first, last).group_by(bucket, group)
        for period, key, *values in db.session.execute(stmt):
            period = _as_date(period) if filters.interval != "all" else None
            target = totals if actor else found
            index = period if actor else (period, key)
            if index not in target:
                target[index] = Row(period, key, "")
            _add(target[index], tuple(int(v or 0) for v in values))

    B = UtilisationBooker
    bucket = _bucket_column(B, filters.interval, filters.first).label("period")
    group = (B.actor_type if actor else _GROUP_COLUMNS.get(filters.group_by, literal(""))).label("grp")
    bookers = _scoped(select(bucket, group, func.count(func.distinct(B.organisation_id)), func.sum(B.booked_minutes),
                             func.sum(B.reservations), func.sum(B.revenue_cents), func.sum(B.subsidy_cents))
                      .select_from(B), B, filters).group_by(bucket, group)
    for period, key, organisations, booked, count, revenue, subsidy in db.session.execute(bookers):
        period = _as_date(period) if filters.interval != "all" else None
        if actor:
            key = getattr(key, "value", key)
            total = totals.get(period) or Row(period, "", "")
            # An actor type's share of the open hours of the facilities in the filter.
            found[(period, key)] = Row(period, key, "", total.open_minutes, int(booked or 0), 0, int(count or 0),
                                       None, None, None, int(organisations or 0), int(revenue or 0),
                                       int(subsidy or 0))
        elif (period, key) in found:
            found[(period, key)].organisations = int(organisations or 0)
    rows = list(found.values())
    _label(rows, filters.group_by)
    return sorted(rows, key=lambda r: (r.period or date.min, str(r.label).lower()))


def _label(rows: list[Row], group_by: str) -> None:
    names = {}
    if group_by == "facility":
        names = dict(db.session.execute(select(Facility.id, Facility.name).where(
            Facility.id.in_({r.key for r in rows} or {-1}))).all())
    elif group_by == "department":
        names = dict(db.session.execute(select(Department.id, Department.name).where(
            Department.id.in_({r.key for r in rows} or {-1}))).all())
    for row in rows:
        row.label = names.get(row.key, row.key if row.key is not None else "")


def summary(filters: Filters) -> Row:
    """The whole period and every facility in the filters, as one row."""
    rows = utilisation_rows(replace(filters, group_by="none", interval="all"))
    return rows[0] if rows else Row(None, "", "")


def least_used(filters: Filters, limit: int = 10, rows: list[Row] | None = None) -> list[Row]:
    """Facilities with open hours, least used first: candidates to promote or discount.
    `rows`: the filters' rows per facility for the whole period, when the caller has them."""
    rows = rows if rows is not None else utilisation_rows(replace(filters, group_by="facility", interval="all"))
    rows = [r for r in rows if r.open_minutes]
    return sorted(rows, key=lambda r: (r.utilisation, str(r.label).lower()))[:limit]


@dataclass
class Cell:
    weekday: int
    hour: int
    open_minutes: int
    booked_minutes: int

    @property
    def utilisation(self) -> float:
        return rules.utilisation(self.booked_minutes, self.open_minutes)


def heatmap(filters: Filters) -> list[list[Cell]]:
    """Seven rows (Monday first) of 24 cells: booked / open minutes in each local hour."""
    sums = {weekday: [0] * 48 for weekday in range(7)}
    for table, first, last in _parts(replace(filters, interval="all")):
        columns = ([func.sum(getattr(table, open_hour(h))) for h in HOURS]
                   + [func.sum(getattr(table, booked_hour(h))) for h in HOURS])
        stmt = _scoped(select(table.weekday, *columns).select_from(table), table, filters, first, last) \
            .group_by(table.weekday)
        for weekday, *values in db.session.execute(stmt):
            sums[weekday] = [a + int(b or 0) for a, b in zip(sums[weekday], values)]
    return [[Cell(weekday, hour, sums[weekday][hour], sums[weekday][24 + hour]) for hour in HOURS]
            for weekday in range(7)]


@dataclass
class LeadTime:
    department_id: int
    department: str
    decided: int
    automatic: int
    median_hours: float | None      # manual decisions only: an automatic one takes no time
    p90_hours: float | None

    @property
    def automatic_share(self) -> float | None:
        return rules.rate(self.automatic, self.decided)


def _period_instants(filters: Filters) -> tuple[datetime, datetime]:
    zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    return (datetime.combine(filters.first, time(0), zone),
            datetime.combine(filters.last + timedelta(days=1), time(0), zone))


def lead_times(filters: Filters) -> list[LeadTime]:
    """Requests decided in the period, per department: how many, the share decided
    automatically (by the rules, instantly), and the manual decisions' median and 90th
    percentile lead time from request to decision, in hours."""
    start, end = _period_instants(filters)
    R = Reservation
    automatic = R.decided_by_id.is_(None)

    def decided_in_period(stmt):
        return _facilities(stmt.join(Facility, Facility.id == R.facility_id).where(
            R.kind == ReservationKind.booking, R.decided_dt >= start, R.decided_dt < end), filters)

    decided, automatic_count, hours = defaultdict(int), defaultdict(int), defaultdict(list)
    for department_id, is_automatic, count in db.session.execute(decided_in_period(
            select(Facility.department_id, automatic, func.count()).select_from(R)).group_by(Facility.department_id,
                                                                                            automatic)):
        decided[department_id] += count
        if is_automatic:
            automatic_count[department_id] += count
    # Only the manual decisions' instants are read: an automatic one takes no time.
    for department_id, requested, decided_at in db.session.execute(decided_in_period(
            select(Facility.department_id, R.requested_dt, R.decided_dt).select_from(R)).where(~automatic)):
        hours[department_id].append(max(0.0, (decided_at - requested).total_seconds() / 3600))
    names = dict(db.session.execute(select(Department.id, Department.name).where(
        Department.id.in_(set(decided) or {-1}))).all())
    result = [LeadTime(d, names.get(d, ""), decided[d], automatic_count[d], rules.percentile(hours[d], 0.5),
                       rules.percentile(hours[d], 0.9)) for d in decided]
    return sorted(result, key=lambda x: x.department.lower())


# --- pilots ------------------------------------------------------------------------------------

def pilots_by_state(filters: Filters) -> list[tuple[AgreementStatus, int]]:
    """Pilot agreements whose period meets the filtered one, by state, in the viewer's
    departments (the host department); drafts stay their organisation's own business."""
    A = PilotAgreement
    stmt = (select(A.status, func.count()).where(A.start_date <= filters.last, A.end_date >= filters.first,
                                                 A.status != AgreementStatus.draft).group_by(A.status))
    if filters.departments is not None:
        stmt = stmt.where(A.host_department_id.in_(filters.departments))
    if filters.department_id is not None:
        stmt = stmt.where(A.host_department_id == filters.department_id)
    counts = dict(db.session.execute(stmt).all())
    return [(status, counts[status]) for status in AgreementStatus if status in counts]


def validate_period(first: date, last: date, interval: str) -> str | None:
    """The code of what is wrong with a requested period, or None (bounded work)."""
    if last < first:
        return "stats.period_reversed"
    limit = MAX_DAYS_BY_DAY if interval == "day" else MAX_DAYS
    if (last - first).days + 1 > limit:
        return "stats.period_too_long"
    return None


# re-exported for the boundaries (CLI, jobs, seed)
rebuild = rollups.rebuild
refresh_recent = rollups.refresh_recent

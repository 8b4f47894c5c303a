"""What the city gives: the subsidy ledger of companies (EU de minimis ceiling) and revenue
and subsidy per facility, department and actor type.

    subsidy_received(organisation_id, *, now=None) -> int        # rolling three years, gross cents
    would_exceed_ceiling(organisation, extra_subsidy_cents, *, now=None) -> bool
    subsidy_ledger(*, now=None) -> list[LedgerRow]               # every company-type organisation
    revenue_report(user, first, last, group_by) -> list[ReportRow]

Subsidy is a snapshot's list value minus its price, both with VAT (the cautious measure), for
prices that are owed or invoiced; a reservation counts from its start, for three years.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import func, select

from booking.accounts.models import ActorType, Department, Organisation, Role
from booking.database import utcnow
from booking.extensions import db
from booking.facilities.models import Facility
from booking.pricing.models import BillingStatus, PriceSnapshot
from booking.pricing.terms import COMPANY_TYPES

SUBSIDY_YEARS = 3
OWED = (BillingStatus.billable, BillingStatus.invoiced)
GROUPS = ("facility", "department", "actor_type")


def ledger_start(now: datetime) -> datetime:
    return now - relativedelta(years=SUBSIDY_YEARS)


def ceiling_cents() -> int:
    return current_app.config["SUBSIDY_CEILING_CENTS"]


def is_company(organisation: Organisation) -> bool:
    return organisation.actor_type.value in COMPANY_TYPES


def subsidy_received(organisation_id: int, *, now: datetime | None = None) -> int:
    stmt = select(func.coalesce(func.sum(PriceSnapshot.subsidy_cents), 0)).where(
        PriceSnapshot.organisation_id == organisation_id, PriceSnapshot.billing_status.in_(OWED),
        PriceSnapshot.start_dt >= ledger_start(now or utcnow()))
    return int(db.session.scalar(stmt))


def would_exceed_ceiling(organisation: Organisation, extra_subsidy_cents: int, *, now: datetime | None = None) -> bool:
    """Whether granting `extra_subsidy_cents` more would take a company past the ceiling over
    the rolling three years (a manager is warned before approving). Never for non-companies."""
    if not is_company(organisation):
        return False
    return subsidy_received(organisation.id, now=now) + extra_subsidy_cents > ceiling_cents()


@dataclass(frozen=True)
class LedgerRow:
    organisation: Organisation
    subsidy_cents: int
    reservations: int
    ceiling_cents: int

    @property
    def remaining_cents(self) -> int:
        return max(0, self.ceiling_cents - self.subsidy_cents)

    @property
    def share(self) -> float:
        return self.subsidy_cents / self.ceiling_cents if self.ceiling_cents else 0.0

    @property
    def is_over(self) -> bool:
        return self.subsidy_cents > self.ceiling_cents


def subsidy_ledger(*, now: datetime | None = None) -> list[LedgerRow]:
    """Each company-type organisation's subsidy over the rolling three years, largest first."""
    since = ledger_start(now or utcnow())
    totals = (select(PriceSnapshot.organisation_id, func.sum(PriceSnapshot.subsidy_cents).label("subsidy"),
                     func.count(PriceSnapshot.id).label("count"))
              .where(PriceSnapshot.billing_status.in_(OWED), PriceSnapshot.start_dt >= since)
              .group_by(PriceSnapshot.organisation_id).subquery())
    stmt = (select(Organisation, func.coalesce(totals.c.subsidy, 0), func.coalesce(totals.c.count, 0))
            .outerjoin(totals, totals.c.organisation_id == Organisation.id)
            .where(Organisation.actor_type.in_([ActorType(t) for t in COMPANY_TYPES])))
    ceiling = ceiling_cents()
    rows = [LedgerRow(org, int(subsidy), int(count), ceiling) for org, subsidy, count in db.session.execute(stmt)]
    return sorted(rows, key=lambda r: (-r.subsidy_cents, r.organisation.name))


@dataclass(frozen=True)
class ReportRow:
    key: object          # a Facility, a Department or an ActorType
    reservations: int
    revenue_cents: int   # owed or invoiced, with VAT
    subsidy_cents: int
    list_value_cents: int


def revenue_report(user, first: date, last: date, group_by: str, tz: str) -> list[ReportRow]:
    """Revenue and subsidy of reservations starting from `first` to `last` (local dates in
    `tz`), grouped by facility, department or actor type; a manager sees their departments."""
    start = datetime.combine(first, datetime.min.time()).replace(tzinfo=ZoneInfo(tz))
    end = datetime.combine(last + timedelta(days=1), datetime.min.time()).replace(tzinfo=ZoneInfo(tz))
    column = {"facility": Facility.id, "department": Facility.department_id,
              "actor_type": PriceSnapshot.actor_type}[group_by]
    stmt = (select(column, func.count(PriceSnapshot.id), func.sum(PriceSnapshot.billable_cents),
                   func.sum(PriceSnapshot.subsidy_cents), func.sum(PriceSnapshot.undiscounted_gross_cents))
            .join(Facility, Facility.id == PriceSnapshot.facility_id)
            .where(PriceSnapshot.billing_status.in_(OWED), PriceSnapshot.start_dt >= start,
                   PriceSnapshot.start_dt < end)
            .group_by(column))
    if user.role != Role.admin:
        stmt = stmt.where(Facility.department_id.in_(user.department_ids or {-1}))
    model = {"facility": Facility, "department": Department}.get(group_by)
    found = db.session.execute(stmt).all()
    named = {row.id: row for row in db.session.scalars(select(model).where(model.id.in_([f[0] for f in found])))} \
        if model and found else {}
    rows = []
    for key, count, revenue, subsidy, value in found:
        rows.append(ReportRow(named.get(key) if model else key, int(count), int(revenue or 0), int(subsidy or 0),
                              int(value or 0)))
    return sorted(rows, key=lambda r: (-r.revenue_cents, str(getattr(r.key, "name", r.key))))

"""Keeping the daily rollups true: recompute a facility's days from the source rows.

    refresh(facility_ids, first, last) -> int     # recompute those local days (None: every facility)
    rebuild() -> int                              # every facility over every day with data
    refresh_recent(today) -> int                  # the nightly job: recent and coming days, and
                                                  # Facility.recent_utilisation
    mark(facility_id, (first, last))              # recompute those days before the commit

Open hours come from the facilities domain (its hours, special openings and closures, the
same functions availability uses); internal blocks are reservations and taken out here.
Services add and flush; the boundary commits.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Date, bindparam, cast, delete, func, insert, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from booking.accounts.models import Organisation
from booking.events import Event, subscribe
from booking.extensions import db, insert_new
from booking.facilities.availability import Interval, opened_by_hours
from booking.facilities.models import Facility
from booking.facilities.schedules import closures_in, special_openings, weekly_hours
from booking.pricing.models import PriceSnapshot
from booking.pricing.subsidy import OWED
from booking.reservations.models import Reservation, ReservationKind, ReservationStatus
from booking.stats import rules
from booking.stats.models import (FIGURES, HOURS, UtilisationBooker, UtilisationDay, UtilisationMonth,
                                  UtilisationStale, booked_hour, open_hour)

S = ReservationStatus
BOOKED = (S.confirmed, S.completed)          # checked-in reservations are confirmed with checked_in_dt
GRANTED = (S.confirmed, S.completed, S.no_show)
FUTURE_DAYS = 92      # rollups reach this far ahead, so coming weeks show what is booked so far
RECENT_DAYS = 28      # Facility.recent_utilisation covers the last 28 days
CHUNK = 200           # facilities recomputed per batch (bounded memory for a big city)


def city_today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()


def _utc_window(first: date, last: date) -> Interval:
    """Wide enough to hold every zone's local days from `first` to `last`."""
    return Interval(datetime.combine(first - timedelta(days=1), time(0), UTC),
                    datetime.combine(last + timedelta(days=2), time(0), UTC))


def refresh(facility_ids: list[int] | None, first: date, last: date) -> int:
    """Recompute the rollups of these facilities' local days from `first` to `last`
    (inclusive). Returns the number of day rows written."""
    if last < first:
        return 0
    stmt = select(Facility.id, Facility.timezone).order_by(Facility.id)
    if facility_ids is not None:
        stmt = stmt.where(Facility.id.in_(list(facility_ids)))
    facilities = list(db.session.execute(stmt))
    written = 0
    for start in range(0, len(facilities), CHUNK):
        written += _refresh_chunk(facilities[start:start + CHUNK], first, last)
    return written


def _refresh_chunk(facilities, first: date, last: date) -> int:
    ids = [fid for fid, _tz in facilities]
    window = _utc_window(first, last)
    hours, special, closures = weekly_hours(ids), special_openings(ids, window), closures_in(ids, window)
    reservations = defaultdict(list)
    for row in db.session.execute(
            select(Reservation.facility_id, Reservation.kind, Reservation.status, Reservation.start_dt,
                   Reservation.end_dt, Reservation.organisation_id, Organisation.actor_type, Reservation.hold_end)
            .outerjoin(Organisation, Organisation.id == Reservation.organisation_id)
            .where(Reservation.facility_id.in_(ids), Reservation.start_dt < window.end,
                   Reservation.end_dt > window.start,
                   Reservation.status.in_(GRANTED + (S.pending, S.cancelled)))):
        reservations[row.facility_id].append(row)
    prices = defaultdict(list)
    for row in db.session.execute(
            select(PriceSnapshot.facility_id, PriceSnapshot.organisation_id, PriceSnapshot.actor_type,
                   PriceSnapshot.start_dt, PriceSnapshot.billable_cents, PriceSnapshot.subsidy_cents)
            .where(PriceSnapshot.facility_id.in_(ids), PriceSnapshot.billing_status.in_(OWED),
                   PriceSnapshot.start_dt >= window.start, PriceSnapshot.start_dt < window.end)):
        prices[row.facility_id].append(row)

    day_rows, booker_rows = [], []
    opened_cache: dict[tuple, list[Interval]] = {}
    for facility_id, tz_name in facilities:
        own_special = special.get(facility_id)
        key = (tz_name, hours.get(facility_id, ()), tuple(sorted(own_special.items())) if own_special else ())
        if key not in opened_cache:
            opened_cache[key] = opened_by_hours(tz_name, key[1], dict(key[2]), window)
        days, bookers = _facility_days(facility_id, tz_name, first, last, opened_cache[key],
                                       closures.get(facility_id, []), reservations.get(facility_id, []),
                                       prices.get(facility_id, []))
        day_rows.extend(days)
        booker_rows.extend(bookers)

    for model in (UtilisationDay, UtilisationBooker):
        db.session.execute(delete(model).where(model.facility_id.in_(ids), model.day >= first, model.day <= last))
    # Core inserts (many rows, no ORM objects): an executemany per table.
    if day_rows:
        db.session.execute(insert(UtilisationDay.__table__), day_rows)
    if booker_rows:
        db.session.execute(insert(UtilisationBooker.__table__), booker_rows)
    _refresh_months(ids, first, last)
    return len(day_rows)


def period_start(column, interval: str):
    """SQL: the first day of the week (Monday), month or year a date column falls in."""
    if interval == "day":
        return column
    if db.engine.dialect.name == "postgresql":
        return cast(func.date_trunc(interval, column), Date)
    modifier = {"week": ("-6 days", "weekday 1"), "month": ("start of month",), "year": ("start of year",)}[interval]
    return func.date(column, *modifier)


def month_bounds(first: date, last: date) -> tuple[date, date]:
    """The first day of `first`'s month and the last day of `last`'s."""
    following = (last.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first.replace(day=1), following - timedelta(days=1)


def _refresh_months(ids: list[int], first: date, last: date) -> None:
    """Sum the day rows of the months touched into the month rows, in the database."""
    low, high = month_bounds(first, last)
    D, M = UtilisationDay, UtilisationMonth
    db.session.execute(delete(M).where(M.facility_id.in_(ids), M.day >= low, M.day <= high))
    month = period_start(D.day, "month")
    db.session.execute(insert(M).from_select(
        ["facility_id", "day", "weekday", *FIGURES],
        select(D.facility_id, month, D.weekday, *[func.sum(getattr(D, name)) for name in FIGURES])
        .where(D.facility_id.in_(ids), D.day >= low, D.day <= high).group_by(D.facility_id, month, D.weekday)))


def _facility_days(facility_id: int, tz_name: str, first: date, last: date, opened, closures, reservations, prices):
    """The rollup rows (as dicts) of one facility's days."""
    blocks, booked, pending = [], [], []
    by_organisation = defaultdict(list)
    counts = defaultdict(lambda: defaultdict(int))     # day → counter → n
    booker = defaultdict(lambda: {"reservations": 0, "revenue_cents": 0, "subsidy_cents": 0, "booked": []})
    actor_of = {}
    for r in reservations:
        span = Interval(r.start_dt, r.end_dt)
        if r.kind == ReservationKind.internal_block:
            if r.status in (S.confirmed, S.completed, S.pending):
                blocks.append(span)
            continue
        day = rules.local_day(r.start_dt, tz_name)
        if r.status in BOOKED:
            booked.append(span)
            by_organisation[r.organisation_id].append(span)
            actor_of[r.organisation_id] = r.actor_type
        elif r.status == S.pending:
            pending.append(span)
        if not first <= day <= last:
            continue
        if r.status in GRANTED:
            counts[day]["reservations"] += 1
            booker[(day, r.organisation_id)]["reservations"] += 1
            actor_of[r.organisation_id] = r.actor_type
        if r.status == S.completed:
            counts[day]["completed"] += 1
        elif r.status == S.no_show:
            counts[day]["no_shows"] += 1
        elif r.status == S.cancelled and r.hold_end is None:
            counts[day]["cancellations"] += 1
    for p in prices:
        day = rules.local_day(p.start_dt, tz_name)
        if first <= day <= last:
            counts[day]["revenue_cents"] += p.billable_cents
            counts[day]["subsidy_cents"] += p.subsidy_cents
            entry = booker[(day, p.organisation_id)]
            entry["revenue_cents"] += p.billable_cents
            entry["subsidy_cents"] += p.subsidy_cents
            actor_of.setdefault(p.organisation_id, p.actor_type)

    figures = rules.day_figures(tz_name, first, last, opened, closures + blocks, booked, pending)
    rows = []
    for f in figures:
        row = {"facility_id": facility_id, "day": f.day, "weekday": f.day.weekday(), "open_minutes": f.open_minutes,
               "booked_minutes": f.booked_minutes, "pending_minutes": f.pending_minutes,
               "reservations": 0, "completed": 0, "no_shows": 0, "cancellations": 0,
               "revenue_cents": 0, "subsidy_cents": 0}
        row.update(counts.get(f.day, {}))
        for hour in HOURS:
            row[open_hour(hour)] = f.open_hours[hour]
            row[booked_hour(hour)] = f.booked_hours[hour]
        rows.append(row)

    if by_organisation:
        open_all = rules.open_time(opened, closures + blocks)
        bounds = rules.day_bounds(tz_name, first, last)
        for organisation_id, spans in by_organisation.items():
            for day, minutes in zip((f.day for f in figures), rules.minutes_by_day(spans, open_all, bounds)):
                if minutes:
                    booker[(day, organisation_id)]["booked"].append(minutes)
    booker_rows = []
    for (day, organisation_id), entry in booker.items():
        booked_minutes = sum(entry["booked"])
        if not (booked_minutes or entry["reservations"] or entry["revenue_cents"] or entry["subsidy_cents"]):
            continue
        booker_rows.append({"facility_id": facility_id, "day": day, "organisation_id": organisation_id,
                            "actor_type": actor_of[organisation_id], "booked_minutes": booked_minutes,
                            "reservations": entry["reservations"], "revenue_cents": entry["revenue_cents"],
                            "subsidy_cents": entry["subsidy_cents"]})
    return rows, booker_rows


def data_range() -> tuple[date, date]:
    """The days rollups cover: from the first reservation or price to FUTURE_DAYS ahead (or the last one)."""
    today = city_today()
    low, high = db.session.execute(select(func.min(Reservation.start_dt), func.max(Reservation.end_dt))).one()
    first = (low.date() - timedelta(days=1)) if low else today
    last = max(today + timedelta(days=FUTURE_DAYS), (high.date() + timedelta(days=1)) if high else today)
    return min(first, today), last


def rebuild() -> int:
    """Every facility over every day with data (`flask stats rebuild`, the demo seed)."""
    first, last = data_range()
    for model in (UtilisationStale, UtilisationBooker, UtilisationMonth, UtilisationDay):
        db.session.execute(delete(model))
    written = refresh(None, first, last)
    store_recent_utilisation(city_today())
    db.session.flush()
    return written


def refresh_recent(today: date | None = None) -> int:
    """The nightly job: recompute the recent and coming days of every facility (hours or
    closures changed, days ended), then store each facility's recent utilisation."""
    today = today or city_today()
    written = refresh(None, today - timedelta(days=RECENT_DAYS + 7), today + timedelta(days=FUTURE_DAYS))
    store_recent_utilisation(today)
    db.session.flush()
    return written


def store_recent_utilisation(today: date) -> None:
    """Facility.recent_utilisation: booked / open over the last RECENT_DAYS days (None
    without open hours: nothing to say, so no discount and no "least used" rank)."""
    first, last = today - timedelta(days=RECENT_DAYS), today - timedelta(days=1)
    sums = {fid: (booked, opened) for fid, booked, opened in db.session.execute(
        select(UtilisationDay.facility_id, func.sum(UtilisationDay.booked_minutes), func.sum(UtilisationDay.open_minutes))
        .where(UtilisationDay.day >= first, UtilisationDay.day <= last).group_by(UtilisationDay.facility_id))}
    updates = [{"id": fid, "recent_utilisation": round(rules.utilisation(int(b or 0), int(o or 0)), 4)
                if o else None} for fid, (b, o) in sums.items()]
    missing = db.session.scalars(select(Facility.id).where(Facility.id.not_in(list(sums) or [-1]),
                                                           Facility.recent_utilisation.is_not(None))).all()
    updates += [{"id": fid, "recent_utilisation": None} for fid in missing]
    if updates:
        table = Facility.__table__
        db.session.execute(update(table).where(table.c.id == bindparam("fid"))
                           .values(recent_utilisation=bindparam("share")),
                           [{"fid": u["id"], "share": u["recent_utilisation"]} for u in updates])


# --- kept current when reservations and hours change ---------------------------------------------
# A use case may change many reservations (a series); each says so with an event. The days
# they touch are marked as a row of `utilisation_stale` per facility in the same transaction:
# the booking stays fast and the mark commits or rolls back with it. `refresh_stale` recomputes them: before statistics are
# read (`catch_up`) and by the scheduler every minute.

ALL_STORED = None  # mark a facility's every stored day (its hours or closures changed)
_SKIPPED = ("reservation.held", "reservation.hold_")  # holds count nowhere


def _days(start: datetime, end: datetime, tz_name: str) -> tuple[date, date]:
    return rules.local_day(start, tz_name), rules.local_day(end - timedelta(microseconds=1), tz_name)


def mark(facility_id: int, span: tuple[date, date] | None) -> None:
    """Mark these days of the facility stale: one row per facility and transaction, written
    at once (a plain INSERT: every booking marks one), widened as more of its days change."""
    marked = db.session.info.setdefault("stats_marked", {})
    row = marked.get(facility_id)
    if row is None:
        row = marked[facility_id] = UtilisationStale(facility_id=facility_id)
        row.first_day, row.last_day = span if span else (None, None)
        insert_new([row])
    elif row.first_day is not None:  # None already means every stored day
        row.first_day, row.last_day = (min(span[0], row.first_day), max(span[1], row.last_day)) if span else (None, None)


def on_event(event: Event) -> None:
    subject = event.subject
    if isinstance(subject, Reservation) and not event.action.startswith(_SKIPPED):
        tz_name = subject.facility.timezone
        mark(subject.facility_id, _days(subject.start_dt, subject.end_dt, tz_name))
        before = event.before or {}
        if before.get("start") and before.get("end"):
            mark(subject.facility_id, _days(before["start"], before["end"], tz_name))
    elif isinstance(subject, Facility) and event.action.startswith(
            ("facility.hours", "facility.special_opening", "facility.closure")):
        mark(subject.id, ALL_STORED)


def refresh_stale() -> int:
    """Recompute the days marked stale, and forget the marks read (not ones added meanwhile).
    In the caller's unit of work; returns how many facilities were refreshed."""
    rows = db.session.execute(select(UtilisationStale.id, UtilisationStale.facility_id, UtilisationStale.first_day,
                                     UtilisationStale.last_day)).all()
    if not rows:
        return 0
    spans: dict[int, tuple[date, date] | None] = {}
    for _id, facility_id, first, last in rows:
        known = spans.get(facility_id, ())
        if first is None or known is None:
            spans[facility_id] = None
        else:
            spans[facility_id] = (min(first, known[0]), max(last, known[1])) if known else (first, last)
    for facility_id, span in spans.items():
        if span is None:
            span = db.session.execute(select(func.min(UtilisationDay.day), func.max(UtilisationDay.day))
                                      .where(UtilisationDay.facility_id == facility_id)).one()
            if span[0] is None:
                continue
        refresh([facility_id], *span)
    db.session.execute(delete(UtilisationStale).where(UtilisationStale.id.in_([r.id for r in rows])))
    return len(spans)


def is_stale() -> bool:
    return db.session.scalar(select(UtilisationStale.id).limit(1)) is not None


subscribe(on_event)
for _end in ("after_commit", "after_rollback"):  # a new transaction marks afresh
    sa_event.listen(Session, _end, lambda session: session.info.pop("stats_marked", None))

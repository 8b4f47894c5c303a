"""The one-transaction convention: services add and flush, the boundary commits once or rolls
back everything, so use cases compose."""
from __future__ import annotations

import pytest
from sqlalchemy import String, event, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from booking.audit.models import AuditEvent
from booking.errors import Conflict
from booking.extensions import db, insert_new
from booking.notifications.models import OutboxMessage
from booking.reservations import services
from booking.reservations.models import Reservation, ReservationKind, ReservationStatus
from booking.stats.models import UtilisationStale
from booking.unit_of_work import unit_of_work
from tests.fixtures.reservations import NOW, local


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_failing_second_use_case_leaves_nothing_of_the_first(facility, booker, create_user, english):
    other = create_user()
    before = count(AuditEvent), count(OutboxMessage)

    with pytest.raises(Conflict), unit_of_work():
        first = services.create_reservation(booker, facility, booker.organisations[0], local(2030, 3, 5, 10),
                                            local(2030, 3, 5, 12), title="First", now=NOW)
        assert first.id is not None  # written to the transaction (flushed), then…
        services.create_reservation(other, facility, other.organisations[0], local(2030, 3, 5, 11),
                                    local(2030, 3, 5, 13), title="Clashes", now=NOW)

    assert count(Reservation) == 0
    assert (count(AuditEvent), count(OutboxMessage)) == before


def test_a_unit_of_work_commits_once_what_its_use_cases_wrote(facility, booker, english):
    with unit_of_work():
        for hour in (10, 13):
            services.create_reservation(booker, facility, booker.organisations[0], local(2030, 3, 5, hour),
                                        local(2030, 3, 5, hour + 1), title="Both", now=NOW)
    db.session.rollback()  # nothing left to lose: it was committed
    assert count(Reservation) == 2
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "reservation.created")) == 2


def test_a_nested_unit_of_work_joins_the_outer_one(facility, booker, english):
    with pytest.raises(RuntimeError), unit_of_work():
        with unit_of_work():
            services.create_reservation(booker, facility, booker.organisations[0], local(2030, 3, 5, 10),
                                        local(2030, 3, 5, 11), title="Inner", now=NOW)
        raise RuntimeError("the outer unit fails after the inner one ended")
    assert count(Reservation) == 0


# --- insert_new: one-row INSERTs past the unit of work (every booking writes one) ----------------

def _stale(facility, first=None):
    return UtilisationStale(facility_id=facility.id, first_day=first, last_day=first)


def _block(facility, hour):
    start, end = local(2030, 3, 5, hour), local(2030, 3, 5, hour + 1)
    return Reservation(kind=ReservationKind.internal_block, facility=facility, start_dt=start, end_dt=end,
                       blocked_start_dt=start, blocked_end_dt=end, title="Maintenance",
                       status=ReservationStatus.confirmed)


def test_insert_new_writes_rows_the_session_holds_as_if_loaded(facility, app):
    """Every column gets its value (a many-to-one object's key, a default), so reading them, and
    the object it refers to, sends nothing; a later change is an ordinary UPDATE."""
    rows = [_block(facility, 10), _block(facility, 12)]
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    with unit_of_work():
        assert facility.id  # loaded
        event.listen(db.engine, "before_cursor_execute", listen)
        insert_new(rows)
        assert rows[0].id < rows[1].id
        assert rows[0].facility_id == facility.id and rows[0].facility is facility
        assert (rows[0].organisation, rows[0].price, rows[0].purpose, rows[0].answers, rows[0].sequence) == (
            None, None, "", {}, 0)
        assert rows[0].requested_dt is not None and rows[0].series_id is None
        assert all(r in db.session and not db.session.is_modified(r) for r in rows)
        event.remove(db.engine, "before_cursor_execute", listen)
        assert [s.split()[0] for s in statements] == ["INSERT", "INSERT"]
        rows[1].title = "Painting"
    db.session.expire_all()
    assert db.session.get(Reservation, rows[1].id).title == "Painting"


def test_a_rollback_leaves_inserted_rows_transient_like_the_unit_of_work(facility, app):
    """The row is gone, so the session forgets the object (SQLite may give its id again)."""
    row = _stale(facility)
    with pytest.raises(RuntimeError), unit_of_work():
        insert_new([row])
        raise RuntimeError("after the insert")
    assert row not in db.session and inspect(row).transient
    again = _stale(facility)
    with unit_of_work():
        insert_new([again])
    assert db.session.get(UtilisationStale, again.id) is again


def test_a_refused_insert_leaves_none_of_its_objects_in_the_session(facility, app):
    rows = [_stale(facility), UtilisationStale(facility_id=10**9)]  # no such facility
    with pytest.raises(IntegrityError), unit_of_work():
        insert_new(rows)
    assert not any(r in db.session for r in rows)
    assert count(UtilisationStale) == 0


def test_insert_new_refuses_a_model_with_a_default_only_the_database_knows(app):
    class ServerDefault(db.Model):
        __tablename__ = "insert_new_server_default"
        id: Mapped[int] = mapped_column(primary_key=True)
        made: Mapped[str] = mapped_column(String(10), server_default="now")

    try:
        with pytest.raises(TypeError, match="loaded again"):
            insert_new([ServerDefault()])
    finally:
        db.Model.metadata.remove(ServerDefault.__table__)

"""The one-transaction convention: services add and flush, the boundary commits once or rolls
back everything, so use cases compose."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from booking.audit.models import AuditEvent
from booking.errors import Conflict
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.reservations import services
from booking.reservations.models import Reservation
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

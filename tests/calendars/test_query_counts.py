"""A feed sends as many SQL statements for 30 reservations as for 5, whatever its kind: nothing
is loaded one reservation (or facility, organisation, person) at a time."""
from __future__ import annotations

from datetime import timedelta

import pytest

from booking.reservations.models import ReservationKind
from tests.facilities.helpers import count_queries
from tests.fixtures.calendars import days_from_now


@pytest.fixture
def world(create_facility, create_user, manager, booker):
    """Facilities of the manager's department, members of the booker's organisation."""
    members = [booker] + [create_user(organisation=booker.organisations[0]) for _ in range(2)]
    halls = [create_facility(f"Hall {n}", department=manager.departments[0]) for n in range(3)]
    return members, halls


def populate(make_reservation, manager, members, halls, first_day: int, count: int) -> None:
    for n in range(count):
        start = days_from_now(first_day + n)
        status = ("confirmed", "pending", "cancelled")[n % 3]
        make_reservation(halls[n % 3], start, start + timedelta(hours=1), user=members[n % len(members)],
                         status=status)
    start = days_from_now(first_day + count)
    make_reservation(halls[0], start, start + timedelta(hours=1), user=manager, kind=ReservationKind.internal_block)


def queries(client, token) -> tuple[int, int]:
    """(statements of a fetch that records it, statements of the next one, which writes nothing)."""
    counts = []
    for _ in range(2):
        with count_queries() as counter:
            response = client.get(f"/calendars/{token}.ics")
        assert response.status_code == 200
        counts.append(counter.count)
    return counts[0], counts[1]


@pytest.mark.parametrize("kind", ["user", "organisation", "facility", "manager", "manager-department"])
def test_a_feed_costs_the_same_queries_whatever_its_size(kind, client, world, booker, manager, make_reservation,
                                                         make_feed):
    members, halls = world
    owner = manager if kind.startswith("manager") else booker
    target = {"user": booker.id, "organisation": booker.organisations[0].id, "facility": halls[0].id,
              "manager": None, "manager-department": manager.departments[0].id}[kind]
    kind_name = kind.split("-")[0]

    populate(make_reservation, manager, members, halls, 1, 5)
    _, token = make_feed(owner, kind_name, target)
    few = queries(client, token)

    populate(make_reservation, manager, members, halls, 10, 30)
    _, token = make_feed(owner, kind_name, target)
    many = queries(client, token)

    assert few == many, f"{kind}: {few} statements for 5 reservations, {many} for 35"
    # BEGIN, the feed and its owner (3), the target, the feed's key, its name, the reservations
    assert many[1] <= 8

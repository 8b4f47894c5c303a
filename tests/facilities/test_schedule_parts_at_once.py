"""schedule_parts_at_once (one UNION ALL, as the free-room search reads the facilities it must
check exactly) gives the same parts as schedule_parts' four queries."""
from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.facilities.availability import Interval
from booking.facilities.models import Facility, OpeningHours
from booking.facilities.schedules import (Schedulable, availability_of, in_ids, schedule_parts,
                                          schedule_parts_at_once)
from tests.facilities.helpers import add_closure, add_special, count_queries
from tests.fixtures.reservations import local


def _items(*facilities) -> list[Schedulable]:
    return [Schedulable(f.id, f.timezone, timedelta(minutes=f.rules.buffer_before_minutes),
                        timedelta(minutes=f.rules.buffer_after_minutes)) for f in facilities]


def test_one_query_gives_the_same_parts_as_four(app, create_facility, booker, reserve):
    night = create_facility("Night club", hours={d: [(time(22), time(2))] for d in range(7)},
                            rules={"buffer_before_minutes": 30, "buffer_after_minutes": 15})
    later = create_facility("Later")
    # Next season's hours from the window's day on: a second version.
    db.session.add(OpeningHours(facility=later, valid_from=date(2030, 3, 6), weekday=2, start_time=time(12),
                                end_time=time(18)))
    db.session.commit()
    plain = create_facility("Plain", timezone="Europe/Stockholm")
    empty = create_facility("No hours", hours=None)
    add_closure(night, local(2030, 3, 6, 23), local(2030, 3, 7, 1))
    add_special(later, date(2030, 3, 6), time(13), time(15))
    add_special(later, date(2030, 3, 6), time(9), time(11))
    add_special(plain, date(2030, 3, 20), time(9), time(11))  # far from the window: not read
    reserve(booker, later, local(2030, 3, 6, 13), local(2030, 3, 6, 14))
    reserve(booker, plain, local(2030, 3, 6, 11), local(2030, 3, 6, 13))
    reserve(booker, plain, local(2030, 3, 6, 14), local(2030, 3, 6, 15))
    # Before the window, but within the night club's buffers of it.
    reserve(booker, night, local(2030, 3, 5, 22), local(2030, 3, 5, 23, 30))
    window = Interval(local(2030, 3, 6, 0), local(2030, 3, 7, 0))
    items = _items(night, later, plain, empty)

    expected = schedule_parts(items, window)
    with count_queries() as queries:
        found = schedule_parts_at_once(items, window)

    assert queries.count == 1
    for item in items:
        assert found[item.id].opened == expected[item.id].opened
        assert sorted(found[item.id].closures) == sorted(expected[item.id].closures)
        assert sorted(found[item.id].busy) == sorted(expected[item.id].busy)
    assert [len(found[f.id].busy) for f in (night, later, plain, empty)] == [1, 1, 2, 0]
    assert found[night.id].closures and found[later.id].opened and not found[empty.id].opened
    assert availability_of(items, window, at_once=True) == availability_of(items, window)
    assert schedule_parts_at_once([], window) == {}


def test_in_ids_reads_the_rows_of_the_ids_with_one_statement_for_any_number(app, create_facility):
    ids = [create_facility().id for _ in range(3)]

    def read(some):
        with count_queries() as queries:
            found = set(db.session.scalars(select(Facility.id).where(in_ids(Facility.id, some))))
        return found, queries.statements[0]

    (none, _), (one, one_sql), (three, three_sql) = read([]), read(ids[:1]), read(ids + [10**6])

    assert (none, one, three) == (set(), set(ids[:1]), set(ids))
    if db.engine.dialect.name == "postgresql":  # one array parameter: the driver prepares it once
        assert one_sql == three_sql

"""A reservation keeps its price: quoted when booked (one unit of work with it), owed once
confirmed, void when declined or cancelled in time, the late fee after the deadline, priced
again when its time changes, and free use decided by a manager."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.accounts.models import ActorType
from booking.errors import Conflict
from booking.extensions import db
from booking.facilities.models import ApprovalPolicy, LateCancellation
from booking.pricing.models import BillingStatus, PriceSnapshot
from booking.reservations import services
from booking.reservations.models import ReservationStatus as S
from booking.unit_of_work import unit_of_work
from tests.fixtures.reservations import NOW, local

TUESDAY_10, TUESDAY_12 = local(2030, 3, 5, 10), local(2030, 3, 5, 12)


@pytest.fixture
def priced(facility, create_tariff):
    create_tariff(facility, late_fee_percent=50)
    return facility


def snapshots():
    return db.session.scalar(select(func.count(PriceSnapshot.id)))


def test_a_confirmed_booking_keeps_its_price_and_owes_it(priced, booker, reserve):
    reservation = reserve(booker, priced, TUESDAY_10, TUESDAY_12)
    price = reservation.price
    assert price.gross_cents == 15060  # 2 h × €60, VAT 25.5 % added
    assert price.billing_status == BillingStatus.billable and price.billable_cents == 15060


def test_the_quote_is_the_organisations(priced, create_user, reserve):
    association = create_user(actor_type=ActorType.third_sector)
    residents = create_user(actor_type=ActorType.citizen_group)
    assert reserve(association, priced, TUESDAY_10, TUESDAY_12).price.gross_cents == 7530
    assert reserve(residents, priced, local(2030, 3, 5, 13), local(2030, 3, 5, 14)).price.gross_cents == 0


def test_a_refused_booking_leaves_no_price_behind(priced, booker, create_user, reserve):
    reserve(booker, priced, TUESDAY_10, TUESDAY_12)
    with pytest.raises(Conflict):
        reserve(create_user(), priced, local(2030, 3, 5, 11), local(2030, 3, 5, 13))
    assert snapshots() == 1


def test_a_request_is_owed_only_once_approved_and_nothing_if_declined(priced, booker, manager, reserve):
    priced.rules.approval_policy = ApprovalPolicy.manual
    db.session.commit()
    approved = reserve(booker, priced, TUESDAY_10, TUESDAY_12)
    declined = reserve(booker, priced, local(2030, 3, 6, 10), local(2030, 3, 6, 12))
    assert approved.price.billing_status == BillingStatus.not_billable_yet

    with unit_of_work():
        services.approve(manager, approved, now=NOW)
        services.reject(manager, declined, "Taken by a city event", now=NOW)

    assert approved.price.billing_status == BillingStatus.billable
    assert declined.price.billing_status == BillingStatus.void and declined.price.billable_cents == 0


def test_cancelling_in_time_owes_nothing_and_late_owes_the_fee(priced, booker, reserve):
    priced.rules.late_cancellation = LateCancellation.fee
    db.session.commit()
    early = reserve(booker, priced, TUESDAY_10, TUESDAY_12)
    late = reserve(booker, priced, local(2030, 3, 6, 10), local(2030, 3, 6, 12))

    with unit_of_work():
        services.cancel(booker, early, now=NOW)
        services.cancel(booker, late, now=local(2030, 3, 6, 8))  # two hours before: after the deadline

    assert early.price.billing_status == BillingStatus.void
    assert late.late_cancellation_fee and late.price.billable_cents == 7530  # 50 % of the price


def test_a_new_time_is_priced_again(priced, booker, reserve):
    reservation = reserve(booker, priced, TUESDAY_10, TUESDAY_12)
    first = reservation.price

    with unit_of_work():
        services.change_time(booker, reservation, local(2030, 3, 5, 17), local(2030, 3, 5, 20), now=NOW)

    assert first.billing_status == BillingStatus.void
    assert reservation.price.gross_cents == 27108  # 3 evening hours at €72, VAT added
    assert reservation.price.billing_status == BillingStatus.billable


def test_free_use_is_asked_with_a_reason_and_a_manager_decides(priced, booker, manager, reserve):
    reservation = reserve(booker, priced, TUESDAY_10, TUESDAY_12, free_of_charge_reason="A charity concert")
    assert reservation.status == S.pending  # the facility confirms others at once
    assert reservation.price.free_of_charge_reason == "A charity concert"

    with unit_of_work():
        services.approve(manager, reservation, price_cents=0, now=NOW)

    assert reservation.status == S.confirmed
    assert reservation.price.gross_cents == 0 and reservation.price.subsidy_cents == 15060


def test_every_occurrence_of_a_series_has_its_price(priced, booker):
    with unit_of_work():
        series = services.create_series(booker, priced, booker.organisations[0], TUESDAY_10, TUESDAY_12,
                                        "FREQ=WEEKLY;COUNT=3", title="Weekly", now=NOW)
    assert [r.price.gross_cents for r in series.reservations] == [15060] * 3


def test_an_expired_hold_owes_nothing(priced, booker):
    with unit_of_work():
        held = services.hold(booker, priced, booker.organisations[0], TUESDAY_10, TUESDAY_12, now=NOW)
    with unit_of_work():
        services.expire_holds(now=NOW + timedelta(hours=1))
    assert held.price.billing_status == BillingStatus.void

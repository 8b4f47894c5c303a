"""The price a reservation keeps, through the pricing domain: quoted when it is booked (a
price snapshot, never changed by a later tariff), owed once confirmed, nothing owed when
declined or cancelled in time, the late fee when cancelled after the deadline, priced again
when its time changes. Internal blocks and facilities without a tariff have no price."""
from __future__ import annotations

from datetime import datetime

from booking.pricing import services as pricing
from booking.pricing.models import BillingStatus
from booking.reservations.models import Reservation, ReservationStatus

S = ReservationStatus


def price_new(reservation: Reservation, now: datetime) -> None:
    """The new reservation's price, before the reservation is written: both are written
    together (checks.flush_or_conflict), each with one INSERT."""
    if reservation.organisation is not None:
        price = pricing.snapshot(reservation.facility, reservation.organisation, reservation.start_dt,
                                 reservation.end_dt, description=reservation.title, now=now, add=False)
        if price is not None:  # assigning None would still cost an UPDATE of the reservation
            reservation.price = price


def settle(reservation: Reservation, *, late_fee: bool = False, actor=None) -> None:
    """What is owed follows the status: call after every status change."""
    price = reservation.price
    if price is None or price.billing_status == BillingStatus.invoiced:
        return
    status = reservation.status
    if status in (S.confirmed, S.completed, S.no_show):
        pricing.mark_billable(price)
    elif status in (S.held, S.pending):
        if price.billing_status != BillingStatus.not_billable_yet:
            pricing.mark_not_billable_yet(price)
    elif status == S.cancelled and late_fee:
        pricing.charge_late_fee(price, actor=actor)
    else:
        pricing.void(price)


def reprice(reservation: Reservation, now: datetime) -> None:
    """A new time is priced again by the tariff valid at its start (the old price is void)."""
    if reservation.organisation is None:
        return
    reservation.price, _difference = pricing.replace_snapshot(
        reservation.price, reservation.facility, reservation.organisation, reservation.start_dt,
        reservation.end_dt, description=reservation.title, now=now)


def ask_free_of_charge(reservation: Reservation, reason: str) -> None:
    """The organisation asks for free use: kept with the price; a manager decides."""
    if reservation.price is not None:
        pricing.request_free_of_charge(reservation.price, reason)


def decide_price(reservation: Reservation, price_cents: int, reason: str | None, actor) -> None:
    """A manager's decided gross price (0 is free) for a free-of-charge request."""
    if reservation.price is not None:
        pricing.set_free_of_charge(reservation.price, reason, price_cents=price_cents, actor=actor)


def quote_occurrences(facility, organisation, occurrences) -> list:
    """What each occurrence of a series would cost the organisation (None without a tariff),
    by the tariff valid on its day: the tariffs are read once, the quotes are pure."""
    if organisation is None:  # internal blocks have no price
        return [None] * len(occurrences)
    tariffs = pricing.current_tariffs(facility)

    def tariff_on(start):
        valid = [t for t in tariffs if t.valid_from <= pricing.local_date(facility, start)]
        return valid[-1] if valid else None

    return [pricing.quote_for(facility, organisation, o.start, o.end, tariff=t) if (t := tariff_on(o.start)) else None
            for o in occurrences]

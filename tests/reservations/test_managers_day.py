"""The manager's day (issue 15): the booker's contact and history on the decision page,
check-in and no-show confirmed and undone within the undo window (the booker told only when it
sticks), and the department-wide calendar."""
from __future__ import annotations

from datetime import timedelta

import pytest

from booking.database import utcnow
from booking.extensions import db
from booking.facilities.models import ApprovalPolicy
from booking.reservations import services
from booking.reservations.models import ReservationKind, ReservationStatus
from tests.facilities.helpers import at, next_monday
from tests.reservations.test_views import book, text

S = ReservationStatus


@pytest.fixture
def manual(facility):
    facility.rules.approval_policy = ApprovalPolicy.manual
    db.session.commit()
    return facility


# --- the booker's contact and history on the decision page ------------------------------------

def test_an_organisations_history_counts_past_bookings_no_shows_cancellations_and_the_last_one(
        facility, booker, make_reservation):
    org = booker.organisations[0]
    now = utcnow()
    last = now - timedelta(days=3)
    for days_ago, status in ((40, "completed"), (30, "completed"), (20, "no_show"), (10, "cancelled"),
                             (9, "rejected")):
        start = now - timedelta(days=days_ago)
        make_reservation(facility, start, start + timedelta(hours=1), user=booker, status=status)
    make_reservation(facility, last, last + timedelta(hours=1), user=booker, status="confirmed")  # ended
    ahead = now + timedelta(days=5)
    make_reservation(facility, ahead, ahead + timedelta(hours=1), user=booker, status="confirmed")  # to come
    make_reservation(facility, ahead + timedelta(hours=2), ahead + timedelta(hours=3), user=booker,
                     status="cancelled", hold_end="released")   # an abandoned hold is no cancellation
    make_reservation(facility, ahead + timedelta(hours=4), ahead + timedelta(hours=5), user=None, organisation=None,
                     kind=ReservationKind.internal_block, status="completed")

    history = services.organisation_history(org.id, now=now)

    assert (history.past, history.no_shows, history.cancelled, history.declined) == (4, 1, 1, 1)
    assert history.last_start_dt == last
    assert history.no_show_rate == 0.25


def test_a_newcomers_history_is_empty(booker):
    history = services.organisation_history(booker.organisations[0].id, now=utcnow())
    assert history.past == 0 and history.last_start_dt is None and history.no_show_rate is None


def test_the_decision_page_shows_the_bookers_contact_and_history(client, auth, manager, manual, booker,
                                                                 make_reservation):
    org = booker.organisations[0]
    org.contact_phone = "+358 40 123 4567"
    org.contact_email = "office@example.com"
    db.session.commit()
    gone = utcnow() - timedelta(days=14)
    make_reservation(manual, gone, gone + timedelta(hours=1), user=booker, status="no_show")
    day = next_monday()
    request_ = book(booker, manual, at(day, 10), at(day, 12), title="Choir practice")
    auth.login(manager)

    page = text(client.get(f"/reservations/{request_.id}/decide"))

    booker_part = page.split('id="booker-heading"', 1)[1].split("</section>", 1)[0]
    assert booker.email in booker_part and "office@example.com" in booker_part
    assert 'href="tel:+358401234567"' in booker_part and "+358 40 123 4567" in booker_part
    assert org.name in booker_part
    assert "1 past booking" in booker_part and "1 no-show (100 %)" in booker_part
    assert "Last booking:" in booker_part

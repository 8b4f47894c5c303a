"""The manager's day (issue 15): the booker's contact and history on the decision page,
check-in and no-show confirmed and undone within the undo window (the booker told only when it
sticks), and the department-wide calendar."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.audit.models import AuditEvent
from booking.database import utcnow
from booking.errors import Conflict, PermissionDenied, RuleViolation
from booking.extensions import db
from booking.facilities.models import ApprovalPolicy
from booking.notifications import services as notification_services
from booking.notifications.jobs import write_pending
from booking.notifications.models import Notification, OutboxMessage
from booking.reservations import services
from booking.reservations.models import Reservation, ReservationKind, ReservationStatus
from booking.unit_of_work import unit_of_work
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


# --- check-in and no-show: confirmed, undone within the window, told when it sticks ---------------

@pytest.fixture
def gym(create_facility, manager):
    from tests.reservations.test_views import AROUND_THE_CLOCK
    return create_facility("Gym", department=manager.departments[0], hours=AROUND_THE_CLOCK)


@pytest.fixture
def started(gym, booker):
    from tests.reservations.test_views import started_reservation
    return started_reservation(booker, gym, title="Arrived")


def booker_messages(reservation):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == f"reservation:{reservation.id}")
                              .order_by(OutboxMessage.id)).all()


def test_a_check_in_tells_the_booker_only_after_the_undo_window(app, manager, started, booker):
    before = len(booker_messages(started))
    now = utcnow()
    with unit_of_work():
        services.check_in(manager, started, now=now)

    told = booker_messages(started)[before:]
    assert len(told) == 1 and told[0].next_attempt_dt == now + timedelta(minutes=15)
    assert told[0].id not in notification_services.due_message_ids(100)   # not sent in the window
    listed = db.session.scalars(notification_services.notifications_of(booker.id)).all()
    assert "Checked in" not in " ".join(n.subject for n in listed)          # nor shown in the app
    assert services.undo_until(started) == now + timedelta(minutes=15)


def test_the_undo_window_is_configurable(app, manager, started):
    app.config["DAY_ACTION_UNDO_MINUTES"] = 5
    now = utcnow()
    with unit_of_work():
        services.check_in(manager, started, now=now)
    assert services.undo_until(started) == now + timedelta(minutes=5)
    assert booker_messages(started)[-1].next_attempt_dt == now + timedelta(minutes=5)


def test_undoing_a_check_in_withdraws_the_message_and_is_audited(app, manager, started, booker):
    before = len(booker_messages(started))
    now = utcnow()
    with unit_of_work():
        services.check_in(manager, started, now=now)
    with unit_of_work():
        services.undo_day_action(manager, started, now=now + timedelta(minutes=14))

    db.session.refresh(started)
    assert started.checked_in_dt is None and started.status == S.confirmed
    assert len(booker_messages(started)) == before
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.topic == f"reservation:{started.id}", Notification.created_dt > utcnow())) == 0
    undone = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reservation.check_in_undone")).one()
    assert undone.object_id == started.id and undone.before["checked_in_dt"] and undone.actor_id == manager.id


def test_a_check_in_cannot_be_undone_after_the_window(app, manager, started):
    now = utcnow()
    with unit_of_work():
        services.check_in(manager, started, now=now)
    with pytest.raises(RuleViolation) as caught, unit_of_work():
        services.undo_day_action(manager, started, now=now + timedelta(minutes=15))
    assert caught.value.messages[0].code == "reservation.undo_window_passed"
    db.session.rollback()
    db.session.refresh(started)
    assert started.checked_in_dt is not None


def test_nothing_to_undo_on_a_plain_confirmed_reservation(app, manager, started):
    with pytest.raises(RuleViolation) as caught, unit_of_work():
        services.undo_day_action(manager, started)
    assert caught.value.messages[0].code == "reservation.nothing_to_undo"


def test_only_the_departments_managers_undo(app, started, create_user, create_department, booker):
    from booking.accounts.models import Role
    other = create_user(role=Role.facility_manager, departments=[create_department("Culture")])
    with pytest.raises(PermissionDenied), unit_of_work():
        services.undo_day_action(other, started)


def test_undoing_a_no_show_confirms_it_again_and_nobody_is_told(app, manager, started, booker):
    before = len(booker_messages(started))
    now = utcnow()
    with unit_of_work():
        services.mark_no_show(manager, started, now=now)
    assert booker_messages(started)[-1].next_attempt_dt == now + timedelta(minutes=15)
    with unit_of_work():
        services.undo_day_action(manager, started, now=now + timedelta(minutes=1))

    db.session.refresh(started)
    assert started.status == S.confirmed and len(booker_messages(started)) == before
    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == started.id,
                                                             AuditEvent.object_type == "Reservation")
                              .order_by(AuditEvent.id)).all()[-2:] == ["reservation.no_show",
                                                                        "reservation.no_show_undone"]


def test_a_no_show_whose_time_was_booked_meanwhile_cannot_be_undone(app, manager, started, booker, gym):
    now = utcnow()
    with unit_of_work():
        services.mark_no_show(manager, started, now=now)
    with unit_of_work():  # the freed time is taken at once
        services.create_internal_block(manager, gym, started.start_dt, started.end_dt, title="Cleaning", now=now)
    with pytest.raises(Conflict), unit_of_work():
        services.undo_day_action(manager, started, now=now + timedelta(minutes=1))
    db.session.rollback()
    db.session.refresh(started)
    assert started.status == S.no_show


def test_the_message_goes_once_the_window_has_passed(app, manager, started):
    now = utcnow() - timedelta(minutes=16)
    with unit_of_work():
        services.check_in(manager, started, now=now)
    message = booker_messages(started)[-1]
    assert message.id not in notification_services.due_message_ids(100)  # written first, then sent
    write_pending()
    assert message.id in notification_services.due_message_ids(100)
    with pytest.raises(RuleViolation), unit_of_work():
        services.undo_day_action(manager, started)


# the pages

def test_check_in_asks_for_confirmation_then_can_be_undone(client, auth, manager, gym, started):
    auth.login(manager)
    calendar = f"/reservations/calendar/{gym.slug}?view=day"
    page = text(client.get(calendar))
    link = f"/reservations/{started.id}/check-in?next="
    assert link in page   # a link to the confirmation page, not a form that acts at once

    confirm = text(client.get(f"/reservations/{started.id}/check-in?next={calendar}"))
    assert "Check in Arrived?" in confirm and 'name="confirm" value="1"' in confirm
    assert "You can undo it for 15 minutes; the booker is told only after that." in confirm
    db.session.refresh(started)
    assert started.checked_in_dt is None   # looking is not acting

    response = client.post(f"/reservations/{started.id}/check-in", data={"confirm": "1", "next": calendar})
    assert response.headers["Location"] == calendar
    page = text(client.get(calendar))
    assert "Checked in: Arrived. You can undo it until" in page and "Undo check-in" in page

    response = client.post(f"/reservations/{started.id}/undo", data={"next": calendar})
    assert response.headers["Location"] == calendar
    page = text(client.get(calendar))
    assert "The check-in is undone: Arrived." in page and "Undo check-in" not in page
    db.session.refresh(started)
    assert started.checked_in_dt is None


def test_a_post_without_confirmation_only_shows_the_question(client, auth, manager, started):
    auth.login(manager)
    page = text(client.post(f"/reservations/{started.id}/no-show", data={}))
    assert "Mark Arrived as not shown up?" in page
    db.session.refresh(started)
    assert started.status == S.confirmed


def test_a_no_show_marked_by_mistake_is_undone_from_the_calendar(client, auth, manager, gym, started):
    auth.login(manager)
    calendar = f"/reservations/calendar/{gym.slug}?view=day"
    client.post(f"/reservations/{started.id}/no-show", data={"confirm": "1", "next": calendar})
    page = text(client.get(calendar))
    assert "Marked as not shown up: Arrived." in page and "Undo no-show" in page

    client.post(f"/reservations/{started.id}/undo", data={"next": calendar})

    assert "The no-show is undone: Arrived is confirmed again." in text(client.get(calendar))
    db.session.refresh(started)
    assert started.status == S.confirmed


def test_the_api_undoes_a_check_in(client, manager, started, token_for):
    headers = token_for(manager)
    assert client.post(f"/api/v1/reservations/{started.id}/check-in", headers=headers).status_code == 200

    response = client.post(f"/api/v1/reservations/{started.id}/undo", headers=headers)

    assert response.status_code == 200 and response.get_json()["checked_in"] is None
    again = client.post(f"/api/v1/reservations/{started.id}/undo", headers=headers)
    assert again.status_code == 422


# --- the department-wide calendar --------------------------------------------------------------

from booking.reservations.department_calendar import hour_cells  # noqa: E402


def test_hour_cells_span_items_and_merge_those_that_overlap():
    assert hour_cells([], 3) == [(0, 1, []), (1, 1, []), (2, 1, [])]
    assert hour_cells([(1, 2)], 4) == [(0, 1, []), (1, 2, [0]), (3, 1, [])]
    # the second starts inside the first: one cell, widened to the second's end
    assert hour_cells([(0, 1), (1, 3), (5, 5)], 6) == [(0, 4, [0, 1]), (4, 1, []), (5, 1, [2])]
    # out of range is clipped to the columns
    assert hour_cells([(-2, 9)], 3) == [(0, 3, [0])]


@pytest.fixture
def department_day(manager, create_facility, booker, make_reservation):
    """Parks with two halls on a Tuesday: a request, a confirmed booking, a block and a closure."""
    from tests.facilities.helpers import add_closure
    from tests.fixtures.reservations import local
    parks = manager.departments[0]
    hall = create_facility("Hall A", slug="hall-a", department=parks)
    field_ = create_facility("Field B", slug="field-b", department=parks)
    make_reservation(hall, local(2030, 3, 5, 10), local(2030, 3, 5, 12), user=booker, status="pending",
                     title="Choir request")
    make_reservation(hall, local(2030, 3, 5, 13), local(2030, 3, 5, 14), user=booker, title="Board meeting")
    make_reservation(field_, local(2030, 3, 5, 9), local(2030, 3, 5, 11), user=manager, organisation=None,
                     kind=ReservationKind.internal_block, title="Mowing")
    add_closure(field_, local(2030, 3, 5, 15), local(2030, 3, 5, 17), reason="Drainage")
    make_reservation(hall, local(2030, 3, 6, 10), local(2030, 3, 6, 11), user=booker, status="cancelled",
                     title="Called off")
    db.session.commit()
    return parks, hall, field_


def test_the_week_shows_every_facility_as_a_row_with_links_to_act(client, auth, manager, department_day):
    parks, hall, field_ = department_day
    auth.login(manager)

    page = text(client.get(f"/reservations/departments/{parks.id}/calendar?date=2030-03-05"))

    assert "Calendar of Parks" in page and "Week of 4 March to 10 March 2030" in page
    assert page.index(">Field B<") < page.index(">Hall A<")   # rows by name, each a row header
    assert '<th scope="row"><a href="/reservations/calendar/field-b' in page
    pending = db.session.scalars(select(Reservation).where(Reservation.title == "Choir request")).one()
    assert f'href="/reservations/{pending.id}/decide"' in page
    meeting = db.session.scalars(select(Reservation).where(Reservation.title == "Board meeting")).one()
    assert f'href="/reservations/{meeting.id}"' in page
    assert "Mowing" in page and "Closed: Drainage" in page
    assert f'href="/manage/{field_.id}/closures"' in page
    assert "Called off" not in page
    assert page.count('<th scope="col">') == 8    # the facility column and seven days


def test_the_day_puts_items_in_hour_columns(client, auth, manager, department_day):
    parks, hall, field_ = department_day
    auth.login(manager)

    page = text(client.get(f"/reservations/departments/{parks.id}/calendar?view=day&date=2030-03-05"))

    assert "Tuesday 5 March 2030" in page
    assert '<th scope="col">07:00</th>' in page and '<th scope="col">21:00</th>' in page
    hall_row = page.split(">Hall A</a></th>", 1)[1].split("</tr>", 1)[0]
    assert hall_row.count('colspan="2"') == 1 and "Choir request" in hall_row   # 10–12 spans two hours
    assert "Board meeting" in hall_row
    field_row = page.split(">Field B</a></th>", 1)[1].split("</tr>", 1)[0]
    assert "Mowing" in field_row and "Drainage" in field_row


def test_managers_see_their_departments_and_admins_choose_any(client, auth, manager, admin, department_day,
                                                              create_department, create_user):
    from booking.accounts.models import Role
    parks = department_day[0]
    culture = create_department("Culture")
    auth.login(manager)
    assert client.get(f"/reservations/departments/{culture.id}/calendar").status_code == 403
    home = client.get("/reservations/department-calendar?view=day")
    assert home.headers["Location"].startswith(f"/reservations/departments/{parks.id}/calendar?view=day")
    assert "board-department" not in text(client.get(f"/reservations/departments/{parks.id}/calendar"))
    auth.logout()

    auth.login(admin)
    page = text(client.get(f"/reservations/departments/{parks.id}/calendar"))
    assert 'id="board-department"' in page and ">Culture</option>" in page
    chosen = client.get(f"/reservations/department-calendar?department={culture.id}&view=week&date=2030-03-05")
    assert chosen.headers["Location"] == f"/reservations/departments/{culture.id}/calendar?view=week&date=2030-03-05"
    assert "This department has no facilities yet." in text(client.get(chosen.headers["Location"]))
    auth.logout()

    auth.login(create_user(role=Role.member))
    assert client.get(f"/reservations/departments/{parks.id}/calendar").status_code == 403


def test_todays_day_view_offers_check_in_from_the_department_calendar(client, auth, manager, gym, started):
    auth.login(manager)
    page = text(client.get(f"/reservations/departments/{gym.department_id}/calendar?view=day"))
    assert f"/reservations/{started.id}/check-in?next=" in page

"""The round pages without JavaScript: the public list, an application with several wish rows,
the manager's page (grid, move, lock, run again, publish), and the organisation's result."""
from __future__ import annotations

from datetime import timedelta

from booking.extensions import db
from booking.seasons.models import Application, RoundState
from tests.fixtures.accounts import PASSWORD
from tests.seasons.conftest import apply, tuesday_evening


def login(client, user):
    return client.post("/login", data={"email": user.email, "password": PASSWORD})


def wish_row(n, office, **values):
    row = {"purpose": "Junior football", "age_group": "youth", "participants": "18", "weekday": "1",
           "earliest": "17:00", "latest": "21:00", "duration": "90", "frequency": "weekly",
           "first": str(office.hall.id), "second": str(office.gym.id), "third": "None"}
    row.update(values)
    return {f"wishes-{n}-{k}": v for k, v in row.items()}


def test_the_public_sees_open_rounds_and_their_rules_but_not_who_applied(client, office):
    apply(office.coach, office.round, office.association, tuesday_evening([office.hall]))
    page = client.get("/rounds").get_data(as_text=True)
    assert "Autumn halls" in page
    detail = client.get(f"/rounds/{office.round.id}").get_data(as_text=True)
    assert "third-sector organisations" in detail and "East Hall" in detail
    assert "Youth FC" not in detail and "Junior football" not in detail


def test_a_member_adds_wish_rows_and_applies_without_javascript(client, office):
    login(client, office.coach)
    url = f"/rounds/{office.round.id}/apply?organisation_id={office.association.id}"
    assert client.get(url).status_code == 200
    added = client.post(url, data={**wish_row(0, office), "add_wish": "1"})
    assert added.status_code == 200 and "Wish 2" in added.get_data(as_text=True)
    sent = client.post(url, data={**wish_row(0, office), **wish_row(1, office, purpose="Girls' futsal",
                                                                    weekday="3", first=str(office.gym.id),
                                                                    second="None"),
                                  "based_in_city": "y"})
    assert sent.status_code == 302, sent.get_data(as_text=True)
    application = db.session.query(Application).one()
    assert [w.purpose for w in application.wishes] == ["Junior football", "Girls' futsal"]
    assert application.based_in_city
    again = client.get(url).get_data(as_text=True)
    assert "Girls&#39; futsal" in again or "Girls' futsal" in again


def test_a_wish_error_is_shown_in_its_row(client, office):
    login(client, office.coach)
    url = f"/rounds/{office.round.id}/apply?organisation_id={office.association.id}"
    page = client.post(url, data=wish_row(0, office, earliest="20:00", latest="21:00"))
    assert page.status_code == 200
    assert "shorter than the duration" in page.get_data(as_text=True)
    assert db.session.query(Application).count() == 0


def test_another_department_manager_cannot_manage_and_a_member_is_refused(client, office):
    login(client, office.other_manager)
    assert client.get(f"/rounds/{office.round.id}/manage").status_code == 403
    client.post("/logout")
    login(client, office.coach)
    assert client.get(f"/rounds/{office.round.id}/manage").status_code == 403


def test_the_manager_allocates_moves_locks_and_publishes_and_the_member_sees_prices(client, office):
    apply(office.coach, office.round, office.association, tuesday_evening([office.hall, office.gym]))
    apply(office.trainer, office.round, office.company, tuesday_evening([office.hall], "Evening circuit"))
    office.round.closes_dt = office.round.opens_dt + timedelta(minutes=1)
    db.session.commit()
    login(client, office.manager)
    manage = f"/rounds/{office.round.id}/manage"
    assert client.post(f"/rounds/{office.round.id}/allocate").status_code == 302
    page = client.get(manage).get_data(as_text=True)
    assert "Weekly grid per facility" in page and "Evening circuit" in page
    assert "First come, first served" in page
    db.session.expire_all()
    first, second = office.round.allocations
    moved = client.post(f"/rounds/allocations/{second.id}/move", data={
        f"a{second.id}-facility": str(first.facility_id), f"a{second.id}-weekday": str(first.weekday),
        f"a{second.id}-start_time": first.start_time.strftime("%H:%M"), f"a{second.id}-parity": "None"})
    assert moved.status_code == 302
    page = client.get(manage).get_data(as_text=True)
    assert "overlaps another allocation" in page and "conflict" in page
    # Run again with the moved one locked: the other moves out of its way.
    client.post(f"/rounds/allocations/{second.id}/lock", data={"locked": "1"})
    client.post(f"/rounds/{office.round.id}/allocate")
    page = client.get(manage).get_data(as_text=True)
    assert "overlaps another allocation" not in page
    assert client.post(f"/rounds/{office.round.id}/publish").status_code == 302
    db.session.expire_all()
    assert office.round.state == RoundState.published
    client.post("/logout")
    login(client, office.coach)
    result = client.get(f"/rounds/{office.round.id}/application?organisation_id={office.association.id}")
    text = result.get_data(as_text=True)
    assert "You got" in text and "8 dates" in text and "€" in text
    answered = client.post(f"/rounds/{office.round.id}/respond?organisation_id={office.association.id}",
                           data={"answer": "accept"})
    assert answered.status_code == 302
    assert "answer to the result: accepted" in client.get(answered.headers["Location"]).get_data(as_text=True)

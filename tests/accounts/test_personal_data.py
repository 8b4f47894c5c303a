"""A person downloads everything held about them, from the profile and the API: every
domain's part, and nothing about anyone else."""
from __future__ import annotations

import json

from tests.fixtures.reservations import hours, local


def test_the_download_holds_every_part_and_only_the_persons_own_things(
        client, auth, booker, create_user, facility, reserve):
    other = create_user("other@example.com", name="Olga Other")
    reserve(booker, facility, *hours(local(2030, 3, 5, 10), 2), title="Choir practice")
    reserve(other, facility, *hours(local(2030, 3, 6, 10), 2), title="Someone else's meeting")
    auth.login(booker)
    response = client.get("/profile/data.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert {"exported_at", "profile", "memberships", "sessions", "api_tokens", "notifications", "reservations",
            "pilot_agreements", "audit_events"} <= set(data)
    assert data["profile"]["email"] == booker.email and data["memberships"][0]["organisation"]
    assert [r["title"] for r in data["reservations"]] == ["Choir practice"]
    assert data["reservations"][0]["start"].endswith("+00:00")
    assert len(data["sessions"]) == 1 and any(e["action"] == "reservation.created" for e in data["audit_events"])
    text = json.dumps(data)
    assert "Olga Other" not in text and "other@example.com" not in text and "Someone else's" not in text
    assert "Download your data (JSON)" in client.get("/profile").get_data(as_text=True)


def test_the_api_gives_the_same_parts(client, booker, token_for):
    response = client.get("/api/v1/me/data", headers=token_for(booker))
    assert response.status_code == 200
    data = response.get_json()
    assert data["profile"]["email"] == booker.email and data["api_tokens"][0]["name"] == "test"
    assert "token_hash" not in json.dumps(data)


def test_anonymous_gets_nothing(client):
    assert client.get("/profile/data.json").status_code == 302
    assert client.get("/api/v1/me/data").status_code == 401


def test_deleting_an_account_forgets_the_person_and_keeps_the_records(
        app, client, auth, booker, create_user, facility, reserve):
    from sqlalchemy import select

    from booking.accounts.models import ApiToken, MembershipRole, User, UserSession
    from booking.audit.models import AuditEvent
    from booking.extensions import db
    from booking.reservations.models import Reservation
    from booking.accounts import services
    organisation, email = booker.organisations[0], booker.email
    colleague = create_user("colleague@example.com", name="Cora Colleague", organisation=None)
    services.add_membership(colleague, organisation, MembershipRole.member)
    db.session.commit()
    reservation = reserve(booker, facility, *hours(local(2030, 3, 5, 10), 2), title="Choir practice")
    from booking.notifications.models import OutboxMessage
    assert db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.to == email)).all()  # its confirmation
    auth.login(booker)
    page = client.get("/profile/delete").get_data(as_text=True)
    assert "What stays, without your name" in page
    assert client.post("/profile/delete", data={"password": "wrong-one-1", "confirm": "y"}).status_code == 422
    response = client.post("/profile/delete", data={"password": "correct-horse-1", "confirm": "y"},
                           follow_redirects=True)
    assert "Your account is deleted." in response.get_data(as_text=True)
    db.session.expire_all()
    gone = db.session.get(User, booker.id)
    assert (gone.name, gone.active) == ("Deleted user", False) and gone.email != email
    assert db.session.get(Reservation, reservation.id).organisation_id == organisation.id   # the record stays
    assert db.session.get(Reservation, reservation.id).user_id is None
    assert not db.session.scalars(select(UserSession).where(UserSession.user_id == booker.id)).all()
    assert not db.session.scalars(select(ApiToken).where(ApiToken.user_id == booker.id)).all()
    assert [m.role for m in organisation.memberships] == [MembershipRole.owner]     # handed over
    assert organisation.memberships[0].user_id == colleague.id
    assert email not in {e.actor_label for e in db.session.scalars(select(AuditEvent))}
    assert not db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == email)).all()  # unsent: not sent
    assert client.get("/profile").status_code == 302
    assert client.post("/login", data={"email": email, "password": "correct-horse-1"}).status_code == 401


def test_the_last_member_leaving_tells_the_admins_and_the_last_admin_cannot_leave(client, auth, admin, member):
    from sqlalchemy import select

    from booking.extensions import db
    from booking.notifications.models import OutboxMessage
    organisation = member.organisations[0]
    auth.login(member)
    client.post("/profile/delete", data={"password": "correct-horse-1", "confirm": "y"})
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == admin.email)).all()
    assert mail.subject == f"{organisation.name} has no members left"
    auth.login(admin)
    response = client.post("/profile/delete", data={"password": "correct-horse-1", "confirm": "y"})
    assert response.status_code == 422 and "only admin" in response.get_data(as_text=True)


def test_a_manager_who_leaves_is_no_longer_listed_among_the_departments_managers(client, auth, manager, admin):
    from booking.extensions import db
    department = manager.departments[0]
    auth.login(manager)
    assert client.post("/profile/delete", data={"password": "correct-horse-1", "confirm": "y"}).status_code == 302
    db.session.expire_all()
    assert manager not in department.managers

"""The in-app list with its unread count in the navigation, and the settings on the profile."""
from __future__ import annotations

from booking.extensions import db
from booking.notifications.models import Notification
from booking.notifications.services import settings_for


def _note(user, subject, link="/reservations/7"):
    note = Notification(user_id=user.id, subject=subject, link=link)
    db.session.add(note)
    db.session.commit()
    return note.id


def test_the_list_the_unread_count_and_marking_read(client, auth, member, admin):
    first = _note(member, "Reservation confirmed: Riverside Hall")
    _note(member, "Reservation approved: Boat House", link="/reservations/8")
    _note(admin, "Not hers")
    auth.login(member)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Reservation confirmed: Riverside Hall" in page and "Not hers" not in page
    assert '<span class="badge">2<span class="visually-hidden"> unread</span></span>' in page

    response = client.get(f"/notifications/{first}")
    assert response.status_code == 302 and response.headers["Location"] == "/reservations/7"
    assert '<span class="badge">1<span' in client.get("/notifications").get_data(as_text=True)

    client.post("/notifications/read")
    page = client.get("/notifications").get_data(as_text=True)
    assert "unread</span>" not in page and "Mark all as read" not in page


def test_another_persons_notification_is_not_found(client, auth, member, admin):
    theirs = _note(admin, "Not hers")
    auth.login(member)
    assert client.get(f"/notifications/{theirs}").status_code == 404
    assert client.get("/notifications/99999999").status_code == 404


def test_the_list_needs_a_login(client):
    assert client.get("/notifications").status_code == 302


def test_a_member_chooses_optional_e_mails_and_reminder_time(client, auth, member):
    auth.login(member)
    page = client.get("/profile").get_data(as_text=True)
    assert "A reminder before each reservation" in page and "New requests in my departments" not in page
    response = client.post("/profile/notifications", data={"email": ["reminder"], "reminder_hours": "48"})
    assert response.status_code == 302
    db.session.expire_all()
    settings = settings_for(member.id)
    assert settings.muted_kinds == {"receipts", "invoice"} and settings.reminder_hours == 48
    assert not settings.request_digest

    client.post("/profile/notifications", data={"email": ["reminder"], "reminder_hours": "999",
                                                "new_requests": "digest"})
    db.session.expire_all()
    settings = settings_for(member.id)
    assert settings.reminder_hours == 24 and not settings.request_digest  # not a manager


def test_a_manager_chooses_the_daily_digest(client, auth, manager):
    auth.login(manager)
    page = client.get("/profile").get_data(as_text=True)
    assert "In one e-mail a day" in page and "Closures that land on reservations in my departments" in page
    client.post("/profile/notifications", data={"new_requests": "digest", "email": ["deadline", "closure"],
                                                "reminder_hours": "24"})
    db.session.expire_all()
    settings = settings_for(manager.id)
    assert settings.request_digest and settings.muted_kinds == {"cancellation", "receipts", "reminder", "invoice"}

    client.post("/profile/notifications", data={"new_requests": "off", "reminder_hours": "24"})
    db.session.expire_all()
    assert "new_request" in settings_for(manager.id).muted_kinds


def test_the_api_lists_marks_and_sets(client, member, admin, token_for):
    headers = token_for(member)
    first = _note(member, "Reservation confirmed: Riverside Hall")
    _note(member, "Reservation approved: Boat House")
    theirs = _note(admin, "Not hers")
    page = client.get("/api/v1/notifications?unread=true", headers=headers).get_json()
    assert page["total"] == 2 and page["items"][0]["subject"] == "Reservation approved: Boat House"
    assert client.post(f"/api/v1/notifications/{first}/read", headers=headers).get_json() == {"marked": 1, "unread": 1}
    assert client.post(f"/api/v1/notifications/{theirs}/read", headers=headers).status_code == 404
    assert client.post("/api/v1/notifications/read", headers=headers).get_json() == {"marked": 1, "unread": 0}

    assert client.get("/api/v1/me/notification-settings", headers=headers).get_json() == {
        "email_off": [], "request_digest": False, "reminder_hours": 24}
    response = client.put("/api/v1/me/notification-settings", headers=headers,
                          json={"email_off": ["reminder"], "reminder_hours": 48})
    assert response.get_json() == {"email_off": ["reminder"], "request_digest": False, "reminder_hours": 48}
    bad = client.put("/api/v1/me/notification-settings", headers=headers, json={"reminder_hours": 5})
    assert bad.status_code == 422
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/notifications", "/api/v1/me/notification-settings"} <= set(paths)

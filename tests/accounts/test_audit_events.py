"""Account changes leave an audit trail: who, what, before and after."""
import re

from sqlalchemy import select

from booking.audit.models import AuditEvent
from booking.audit.services import events_for
from booking.extensions import db
from tests.fixtures.accounts import PASSWORD


def _events(action=None):
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def test_registering_records_the_user_the_organisation_and_the_membership(client, register):
    register("nina@example.com", organisation_name="Nina Labs Oy", actor_type="research", business_id="")
    user_event, org_event, membership_event = (_events(a)[0] for a in
                                               ("user.created", "organisation.created", "membership.created"))
    assert user_event.actor_label == org_event.actor_label == membership_event.actor_label == "nina@example.com"
    assert user_event.after == {"email": "nina@example.com", "name": "Nina New", "role": "member", "departments": []}
    assert org_event.after == {"name": "Nina Labs Oy", "actor_type": "research", "business_id": None}
    assert membership_event.after["role"] == "owner"
    assert "password" not in str(user_event.after) and "hash" not in str(user_event.after)


def test_a_password_change_is_recorded_without_the_password(client, auth, member):
    auth.login(member)
    client.post("/profile/password", data={"current": PASSWORD, "password": "a-brand-new-passw0rd",
                                           "confirm": "a-brand-new-passw0rd"})
    [event] = _events("user.password_changed")
    assert (event.actor_id, event.object_type, event.object_id) == (member.id, "User", member.id)
    assert event.before is None and event.after == {"sessions_ended": 0}   # no password, only what it ended


def test_registration_requests_are_recorded_without_an_unknown_address(client, member, register):
    register.ask(member.email)
    register.ask("stranger@example.com")
    [known] = _events("user.registration_of_known_address")
    assert (known.object_type, known.object_id) == ("User", member.id)
    [unknown] = _events("user.registration_link_sent")
    assert unknown.object_type == "system" and "stranger" not in str((unknown.before, unknown.after))


def test_a_password_reset_is_recorded(client, member):
    client.post("/password/forgot", data={"email": member.email})
    assert len(_events("user.password_reset_requested")) == 1
    from booking.notifications.models import OutboxMessage
    link = re.search(r"(/password/reset/\S+)", db.session.scalar(select(OutboxMessage.text_body))).group(1)
    client.post(link, data={"password": "a-brand-new-passw0rd", "confirm": "a-brand-new-passw0rd"})
    assert _events("user.password_reset")[0].actor_id == member.id


def test_token_creation_and_revocation_are_recorded_with_the_prefix_only(client, auth, member):
    auth.login(member)
    page = client.post("/profile/tokens", data={"name": "Script", "scopes": ["read"], "expires_in_days": 0}).get_data(as_text=True)
    token = re.search(r'value="(ifs_[^"]+)"', page).group(1)
    [created] = _events("api_token.created")
    assert created.actor_id == member.id
    assert created.after == {"name": "Script", "prefix": token[:8], "scopes": "read", "expires_dt": None}
    assert token not in str(created.after)

    client.post(f"/profile/tokens/{created.object_id}/revoke")
    [revoked] = _events("api_token.revoked")
    assert (revoked.actor_id, revoked.object_id) == (member.id, created.object_id)
    assert revoked.before == {"revoked": False} and revoked.after["revoked"] is True


def test_a_profile_change_records_before_and_after(client, auth, member):
    auth.login(member)
    client.post("/profile", data={"name": "Mia Renamed", "locale": "fi"})
    [event] = _events("user.updated")
    assert event.before == {"name": "Mia Member", "locale": None}
    assert event.after == {"name": "Mia Renamed", "locale": "fi"}
    assert [e.action for e in events_for(member)][:2] == ["user.updated", "user.created"]


def test_users_created_outside_a_request_are_recorded_as_by_the_system(member):
    assert _events("user.created")[0].actor_label == "system"

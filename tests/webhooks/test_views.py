"""The webhook pages: registering with the secret shown once, the delivery history, sending a
delivery again, deleting; another organisation's webhook is a 404."""
from __future__ import annotations

import re

from booking.accounts.models import ActorType
from booking.database import utcnow
from booking.webhooks.models import DeliveryStatus
from tests.webhooks.conftest import deliveries, verified
from tests.webhooks.test_delivery import make_due, reserve_one


def secret_of(page: str) -> str:
    return re.search(r'id="webhook-secret" type="text" readonly value="([^"]+)"', page).group(1)


def test_a_member_registers_a_webhook_and_sees_its_secret_once(client, auth, booker, receiver, deliver, facility):
    auth.login(booker)
    profile = client.get("/profile").get_data(as_text=True)
    assert 'href="/webhooks"' in profile

    page = client.get("/webhooks").get_data(as_text=True)
    assert "You have no webhooks yet." in page
    assert f'value="{booker.organisations[0].id}"' in page and 'value="city"' not in page  # not an admin
    response = client.post("/webhooks", data={"scope": str(booker.organisations[0].id), "url": receiver.url("/hook"),
                                              "events": ["reservation.created"], "description": "Door access"})
    assert response.status_code == 200
    created = response.get_data(as_text=True)
    secret = secret_of(created)
    assert secret.startswith("whsec_") and "Infrashare-Signature" in created

    page = client.get("/webhooks").get_data(as_text=True)
    assert receiver.url("/hook") in page and "Door access" in page and secret not in page

    reserve_one(booker, facility)
    deliver()
    (_path, headers, body), = receiver.posts
    assert verified(secret, headers, body)["type"] == "reservation.created"


def test_registering_shows_what_is_wrong_on_the_form(client, auth, booker):
    auth.login(booker)
    response = client.post("/webhooks", data={"scope": str(booker.organisations[0].id),
                                              "url": "http://hooks.example.com/in", "events": []})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The address must begin with https://." in page and "Choose at least one event." in page


def test_an_admin_may_register_for_the_whole_city(client, auth, admin):
    auth.login(admin)
    assert 'value="city"' in client.get("/webhooks").get_data(as_text=True)
    response = client.post("/webhooks", data={"scope": "city", "url": "https://city.example.fi/hooks",
                                              "events": ["agreement.state_changed"]})
    assert response.status_code == 200 and secret_of(response.get_data(as_text=True))
    assert "The whole city" in client.get("/webhooks").get_data(as_text=True)


def test_the_history_shows_each_delivery_and_sends_one_again(client, auth, booker, receiver, register, deliver,
                                                             facility):
    receiver.add("/down", status=502)
    webhook = register(booker, receiver.url("/down"), events=["reservation.created"])
    reserve_one(booker, facility)
    deliver()
    auth.login(booker)
    page = client.get(f"/webhooks/{webhook.id}").get_data(as_text=True)
    delivery, = deliveries()
    assert delivery.event_id in page and "Waiting" in page and "502" in page
    assert "Not delivered: the server answered 502 Bad Gateway." in page
    assert "Next attempt" in page

    make_due(delivery, give_up=utcnow())
    deliver()
    assert "Failed" in client.get(f"/webhooks/{webhook.id}").get_data(as_text=True)

    receiver.add("/down", status=200)
    response = client.post(f"/webhooks/{webhook.id}/deliveries/{delivery.id}/resend", follow_redirects=True)
    assert "Sent again: the receiver accepted it." in response.get_data(as_text=True)
    assert deliveries()[0].status == DeliveryStatus.delivered and len(receiver.posts) == 3
    assert "Delivered" in response.get_data(as_text=True)


def test_another_organisations_webhook_is_not_found(client, auth, register, create_user, booker):
    other = create_user(name="Olli Other", actor_type=ActorType.startup)
    theirs = register(other, "https://other.example.com/in")
    auth.login(booker)
    assert client.get(f"/webhooks/{theirs.id}").status_code == 404
    assert client.post(f"/webhooks/{theirs.id}/delete").status_code == 404
    assert "other.example.com" not in client.get("/webhooks").get_data(as_text=True)


def test_deleting_a_webhook(client, auth, register, booker):
    webhook = register(booker, "https://hooks.example.com/in")
    auth.login(booker)
    response = client.post(f"/webhooks/{webhook.id}/delete", follow_redirects=True)
    assert "The webhook is deleted" in response.get_data(as_text=True)
    assert client.get(f"/webhooks/{webhook.id}").status_code == 404


def test_people_without_an_organisation_are_not_offered_webhooks(client, auth, manager):
    auth.login(manager)
    assert 'href="/webhooks"' not in client.get("/profile").get_data(as_text=True)
    page = client.get("/webhooks").get_data(as_text=True)
    assert "New webhook" not in page

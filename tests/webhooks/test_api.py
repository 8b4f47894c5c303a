"""GET|POST /api/v1/webhooks, GET|DELETE /api/v1/webhooks/{id}, and the delivery history with
resending. An organisation never sees another's webhooks."""
from __future__ import annotations

from booking.accounts.models import ActorType
from booking.database import utcnow
from tests.fixtures.reservations import local
from tests.webhooks.conftest import deliveries, verified
from tests.webhooks.test_delivery import make_due, reserve_one


def test_register_list_read_and_delete_a_webhook(client, token_for, booker):
    headers = token_for(booker)
    organisation = booker.organisations[0].id
    response = client.post("/api/v1/webhooks", headers=headers, json={
        "url": "https://hooks.example.com/infrashare", "events": ["reservation.cancelled", "reservation.created"],
        "organisation_id": organisation, "description": "Door access"})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["secret"].startswith("whsec_") and created["organisation_id"] == organisation
    assert created["events"] == ["reservation.created", "reservation.cancelled"]  # in the documented order

    listed = client.get("/api/v1/webhooks", headers=headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == created["id"]
    assert "secret" not in listed["items"][0]  # shown once
    one = client.get(f"/api/v1/webhooks/{created['id']}", headers=headers).get_json()
    assert one["url"] == "https://hooks.example.com/infrashare" and one["description"] == "Door access"

    assert client.delete(f"/api/v1/webhooks/{created['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/webhooks/{created['id']}", headers=headers).status_code == 404
    assert client.get("/api/v1/webhooks", headers=headers).get_json()["total"] == 0


def test_an_organisation_never_sees_anothers_webhooks(client, token_for, booker, create_user):
    other = create_user(name="Olli Other", actor_type=ActorType.startup)
    theirs = client.post("/api/v1/webhooks", headers=token_for(other), json={
        "url": "https://other.example.com/in", "events": ["reservation.created"],
        "organisation_id": other.organisations[0].id}).get_json()
    headers = token_for(booker)
    assert client.get("/api/v1/webhooks", headers=headers).get_json()["total"] == 0
    assert client.get("/api/v1/webhooks", headers=headers,
                      query_string={"organisation_id": other.organisations[0].id}).get_json()["total"] == 0
    for method, path in (("get", ""), ("delete", ""), ("get", "/deliveries")):
        response = getattr(client, method)(f"/api/v1/webhooks/{theirs['id']}{path}", headers=headers)
        assert response.status_code == 404, (method, path)
        assert response.content_type == "application/problem+json"
    registered = client.post("/api/v1/webhooks", headers=headers, json={
        "url": "https://mine.example.com/in", "events": ["reservation.created"],
        "organisation_id": other.organisations[0].id})
    assert registered.status_code == 404   # another organisation answers as a missing one
    assert client.get("/api/v1/webhooks", headers=token_for(other)).get_json()["total"] == 1


def test_admins_register_city_wide_webhooks_and_see_every_one(client, token_for, booker, admin):
    client.post("/api/v1/webhooks", headers=token_for(booker), json={
        "url": "https://mine.example.com/in", "events": ["reservation.created"],
        "organisation_id": booker.organisations[0].id})
    headers = token_for(admin)
    city = client.post("/api/v1/webhooks", headers=headers, json={
        "url": "https://city.example.fi/hooks", "events": ["agreement.state_changed"]})
    assert city.status_code == 201 and city.get_json()["organisation_id"] is None
    assert client.get("/api/v1/webhooks", headers=headers).get_json()["total"] == 2
    member_tries = client.post("/api/v1/webhooks", headers=token_for(booker), json={
        "url": "https://city.example.fi/hooks", "events": ["agreement.state_changed"]})
    assert member_tries.status_code == 403


def test_bad_registrations_are_422_with_every_reason(client, token_for, booker):
    headers = token_for(booker)
    response = client.post("/api/v1/webhooks", headers=headers, json={
        "url": "https://10.0.0.8/in", "events": ["reservation.created"], "organisation_id": booker.organisations[0].id})
    assert response.status_code == 422
    assert "not on the public internet" in str(response.get_json())
    response = client.post("/api/v1/webhooks", headers=headers, json={"url": "https://hooks.example.com/in",
                                                                      "events": ["coffee.ready"]})
    assert response.status_code == 422  # refused by the model: not one of the events
    response = client.post("/api/v1/webhooks", headers=headers, json={"url": "https://hooks.example.com/in",
                                                                      "events": []})
    assert response.status_code == 422
    assert client.post("/api/v1/webhooks", json={"url": "https://x.example.com", "events": ["reservation.created"]}
                       ).status_code == 401


def test_the_delivery_history_and_resending(client, token_for, receiver, register, deliver, booker, facility):
    receiver.add("/down", status=500)
    webhook = register(booker, receiver.url("/down"), events=["reservation.created"])
    reservation = reserve_one(booker, facility)
    reserve_one(booker, facility, local(2030, 3, 6, 10))
    deliver()
    headers = token_for(booker)

    history = client.get(f"/api/v1/webhooks/{webhook.id}/deliveries", headers=headers).get_json()
    assert history["total"] == 2
    latest, first = history["items"]
    assert first["payload"]["data"]["reservation"]["id"] == reservation.id  # newest first
    assert first["status"] == "pending" and first["attempts"] == 1 and first["response_status"] == 500
    assert first["error"] == "Not delivered: the server answered 500 Internal Server Error."
    assert first["next_attempt_dt"] and first["event_id"] == first["payload"]["id"]

    make_due(deliveries()[0], give_up=utcnow())
    deliver()
    assert client.get(f"/api/v1/webhooks/{webhook.id}/deliveries", headers=headers
                      ).get_json()["items"][1]["status"] == "failed"

    receiver.add("/down", status=200)
    resent = client.post(f"/api/v1/webhooks/{webhook.id}/deliveries/{first['id']}/resend", headers=headers)
    assert resent.status_code == 202
    assert resent.get_json()["status"] == "pending"
    deliver()
    again = client.get(f"/api/v1/webhooks/{webhook.id}/deliveries", headers=headers).get_json()["items"][1]
    assert again["status"] == "delivered" and again["attempts"] == 3 and again["error"] is None
    assert verified(webhook.secret, *receiver.posts[-1][1:])["id"] == first["event_id"]

    assert client.post(f"/api/v1/webhooks/{webhook.id}/deliveries/99999/resend", headers=headers).status_code == 404


def test_the_webhook_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/webhooks"])
    assert {"get", "delete"} <= set(paths["/api/v1/webhooks/{webhook_id}"])
    assert "get" in paths["/api/v1/webhooks/{webhook_id}/deliveries"]
    assert "post" in paths["/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/resend"]
    created = paths["/api/v1/webhooks"]["post"]
    assert "Infrashare-Signature" in created["description"]

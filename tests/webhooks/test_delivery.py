"""Webhook deliveries, end to end: queued in the transaction of the change, sent by the job to a
receiver on 127.0.0.1 with a signature the receiver verifies, retried with back-off, re-sendable,
claimed once, and never sent to a loopback, private or link-local address unless the test
setting FETCH_ALLOW_PRIVATE allows it."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from booking.accounts.models import ActorType, Role
from booking.facilities.models import ApprovalPolicy
from booking.database import utcnow
from booking.errors import RuleViolation
from booking.events import notifications_suppressed
from booking.extensions import db
from booking.reservations import services as reservations
from booking.reservations.models import ReservationStatus
from booking.unit_of_work import unit_of_work
from booking.webhooks import rules, services
from booking.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.fixtures.reservations import NOW, hours, local
from tests.webhooks.conftest import deliveries, verified

TUESDAY_10 = local(2030, 3, 5, 10)


def set_rules(facility, **values):
    for name, value in values.items():
        setattr(facility.rules, name, value)
    db.session.commit()


def received(receiver, path="/hook") -> list[tuple[dict, bytes]]:
    return [(headers, body) for p, headers, body in receiver.posts if p == path]


def test_a_booking_reaches_the_organisations_receiver_signed(receiver, register, deliver, booker, facility):
    webhook = register(booker, receiver.url("/hook"))
    reservation = reserve_one(booker, facility)
    assert [d.event_type for d in deliveries()] == ["reservation.created", "reservation.confirmed"]
    assert receiver.posts == []  # queued, not sent, by the booking

    assert deliver() == 2
    (created_headers, created_body), (confirmed_headers, confirmed_body) = received(receiver)
    created = verified(webhook.secret, created_headers, created_body)
    confirmed = verified(webhook.secret, confirmed_headers, confirmed_body)
    assert created["type"] == "reservation.created" and confirmed["type"] == "reservation.confirmed"
    assert created["id"] == created_headers["Infrashare-Event-Id"] != confirmed["id"]
    assert created_headers["Infrashare-Event"] == "reservation.created"
    assert created_headers["Content-Type"] == "application/json"
    data = created["data"]["reservation"]
    assert data["id"] == reservation.id and data["status"] == "confirmed"
    assert data["organisation_id"] == booker.organisations[0].id and data["facility"] == "Riverside Hall"
    assert data["start"] == "2030-03-05T10:00:00+02:00" and data["timezone"] == "Europe/Helsinki"

    for delivery in deliveries():
        assert delivery.status == DeliveryStatus.delivered
        assert delivery.response_status == 204 and delivery.attempts == 1 and delivery.delivered_dt
    assert deliver() == 0  # nothing is sent twice


def reserve_one(user, facility, start=TUESDAY_10, **details):
    with unit_of_work():
        return reservations.create_reservation(user, facility, user.organisations[0], *hours(start, 2),
                                               title="Team meeting", now=NOW, **details)


def test_a_delivery_is_queued_in_the_transaction_of_the_change(receiver, register, booker, facility):
    register(booker, receiver.url("/hook"))
    with pytest.raises(RuntimeError), unit_of_work():
        reservations.create_reservation(booker, facility, booker.organisations[0], *hours(TUESDAY_10, 2),
                                        title="Never happens", now=NOW)
        assert len(deliveries()) == 2  # queued with the reservation …
        raise RuntimeError("the booking fails after all")
    assert deliveries() == []          # … and rolled back with it


def test_the_lifecycle_of_a_request_is_told_in_order(receiver, register, deliver, booker, facility, manager):
    set_rules(facility, approval_policy=ApprovalPolicy.manual)
    webhook = register(booker, receiver.url("/hook"))
    reservation = reserve_one(booker, facility)
    assert reservation.status == ReservationStatus.pending
    with unit_of_work():
        reservations.approve(manager, reservation, now=NOW)
    with unit_of_work():
        reservations.change_time(manager, reservation, *hours(local(2030, 3, 5, 14), 2), now=NOW)
    with unit_of_work():
        reservations.reject(manager, reserve_one(booker, facility, local(2030, 3, 6, 10)), "Closed", now=NOW)
    with unit_of_work():
        reservations.cancel(booker, reservation, reason="Plans changed", now=NOW)
    deliver()
    bodies = [verified(webhook.secret, h, b) for h, b in received(receiver)]
    assert [b["type"] for b in bodies] == ["reservation.created", "reservation.confirmed", "reservation.changed",
                                           "reservation.created", "reservation.cancelled"]
    changed = bodies[2]["data"]["reservation"]
    assert changed["start"] == "2030-03-05T14:00:00+02:00"
    assert changed["previous"] == {"start": "2030-03-05T10:00:00+02:00", "end": "2030-03-05T12:00:00+02:00"}
    assert bodies[4]["data"]["reservation"]["status"] == "cancelled"


def test_a_webhook_receives_only_the_events_it_chose(receiver, register, deliver, booker, facility):
    register(booker, receiver.url("/hook"), events=["reservation.cancelled"])
    reservation = reserve_one(booker, facility)
    assert deliveries() == []
    with unit_of_work():
        reservations.cancel(booker, reservation, reason="", now=NOW)
    assert [d.event_type for d in deliveries()] == ["reservation.cancelled"]


def test_an_organisation_hears_only_of_its_own_and_the_city_of_everything(receiver, register, deliver, booker,
                                                                           create_user, facility, admin):
    other = create_user(name="Olli Other", actor_type=ActorType.startup)
    mine = register(booker, receiver.url("/hook"), events=["reservation.created"])
    theirs = register(other, receiver.url("/other"), events=["reservation.created"])
    city = register(admin, receiver.url("/city"), events=["reservation.created"], organisation=None)
    receiver.add("/other", status=200)
    receiver.add("/city", status=202)
    booked = reserve_one(booker, facility)
    reserve_one(other, facility, local(2030, 3, 6, 10))
    assert deliver() == 4
    assert [verified(mine.secret, h, b)["data"]["reservation"]["id"] for h, b in received(receiver)] == [booked.id]
    assert len(received(receiver, "/other")) == 1
    assert {verified(city.secret, h, b)["data"]["reservation"]["organisation_id"]
            for h, b in received(receiver, "/city")} == {booker.organisations[0].id, other.organisations[0].id}
    assert len(deliveries(theirs)) == 1


def test_an_agreement_changing_state_reaches_every_party(receiver, register, deliver, lead, partner,
                                                         make_agreement):
    register(lead, receiver.url("/hook"), events=["agreement.state_changed"])
    partner_hook = register(partner, receiver.url("/partner"), events=["agreement.state_changed"])
    receiver.add("/partner", status=200)
    agreement = make_agreement("draft")
    assert deliveries() == []  # drafting is no change of state
    from booking.agreements import services as agreements
    with unit_of_work():
        agreements.transition(lead, agreement, "submit", now=NOW)
    assert deliver() == 2
    (headers, body), = received(receiver, "/partner")
    told = verified(partner_hook.secret, headers, body)
    assert told["type"] == "agreement.state_changed"
    assert told["data"]["agreement"]["previous_status"] == "draft"
    assert told["data"]["agreement"]["status"] == agreement.status.value
    assert set(told["data"]["agreement"]["organisation_ids"]) == {lead.organisations[0].id,
                                                                 partner.organisations[0].id}


def test_a_failed_delivery_is_retried_with_back_off_then_given_up(receiver, register, deliver, booker, facility):
    receiver.add("/down", status=503)
    register(booker, receiver.url("/down"), events=["reservation.created"])
    reserve_one(booker, facility)
    assert deliver() == 0
    delivery, = deliveries()
    assert delivery.status == DeliveryStatus.pending and delivery.attempts == 1
    assert delivery.response_status == 503 and delivery.error_code == "fetch.status"
    assert delivery.next_attempt_dt - delivery.last_attempt_dt == timedelta(minutes=1)
    assert deliver() == 0 and len(receiver.posts) == 1  # not due yet

    make_due(delivery)
    deliver()
    delivery, = deliveries()
    assert delivery.attempts == 2 and delivery.next_attempt_dt - delivery.last_attempt_dt == timedelta(minutes=2)

    make_due(delivery, give_up=utcnow())  # the day is over
    deliver()
    delivery, = deliveries()
    assert delivery.status == DeliveryStatus.failed and delivery.attempts == 3 and delivery.next_attempt_dt is None
    assert len(receiver.posts) == 3


def make_due(delivery, give_up=None):
    values = {"next_attempt_dt": utcnow() - timedelta(seconds=1)}
    if give_up is not None:
        values["give_up_dt"] = give_up
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery.id).values(**values))
    db.session.commit()


def test_a_delivery_can_be_sent_again(receiver, register, deliver, booker, facility):
    receiver.add("/flaky", status=500)
    webhook = register(booker, receiver.url("/flaky"), events=["reservation.created"])
    reserve_one(booker, facility)
    delivery, = deliveries()
    make_due(delivery, give_up=utcnow())
    deliver()
    assert deliveries()[0].status == DeliveryStatus.failed

    receiver.add("/flaky", status=200)  # fixed on the receiver's side
    with unit_of_work():
        services.resend(booker, deliveries()[0])
    assert deliveries()[0].status == DeliveryStatus.pending
    assert deliver() == 1
    delivery, = deliveries()
    assert delivery.status == DeliveryStatus.delivered and delivery.attempts == 2 and delivery.response_status == 200
    first, second = received(receiver, "/flaky")
    assert first[1] == second[1]  # the same body and event id: the receiver can tell it is a repeat
    assert verified(webhook.secret, *second)["id"] == delivery.event_id


def test_two_job_processes_never_send_one_delivery_twice(app, receiver, register, booker, facility):
    register(booker, receiver.url("/hook"))
    for day in range(3):
        reserve_one(booker, facility, local(2030, 3, 5 + day, 10))
    db.session.commit()
    from booking.webhooks import jobs

    barrier = threading.Barrier(2)

    def job_process():
        with app.app_context():
            barrier.wait()
            jobs.deliver_due()
            db.session.remove()

    threads = [threading.Thread(target=job_process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [headers["Infrashare-Event-Id"] for _path, headers, _body in receiver.posts]
    assert len(ids) == 6 and len(set(ids)) == 6
    assert all(d.status == DeliveryStatus.delivered and d.attempts == 1 for d in deliveries())


def test_a_claimed_delivery_is_not_claimed_again(receiver, register, booker, facility):
    register(booker, receiver.url("/hook"), events=["reservation.created"])
    reserve_one(booker, facility)
    delivery, = deliveries()
    with unit_of_work():
        assert services.claim(delivery.id) is not None
    with unit_of_work():
        assert services.claim(delivery.id) is None
    # A process that died while sending: the claim runs out and the delivery is due again.
    with unit_of_work():
        assert services.claim(delivery.id, now=utcnow() + rules.SENDING_LEASE + timedelta(seconds=1)) is not None


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "192.168.0.10", "169.254.169.254", "[::1]",
                                  "[fe80::1]", "100.64.0.1", "0.0.0.0"])
def test_non_public_addresses_are_refused_by_default_without_sending(receiver, register, deliver, booker, facility,
                                                                     app, host):
    """Registered while FETCH_ALLOW_PRIVATE was on (as in a closed intranet), then delivered with it
    off, as in production: refused before any connection, whether the address is written out or a
    name resolves to it (localhost)."""
    url = receiver.url("/hook").replace("127.0.0.1", host) if host in ("127.0.0.1", "localhost") \
        else f"http://{host}:{receiver.port}/hook"
    register(booker, url, events=["reservation.created"])
    app.config["FETCH_ALLOW_PRIVATE"] = False
    reserve_one(booker, facility)
    assert deliver() == 0
    delivery, = deliveries()
    assert delivery.error_code == "fetch.not_public" and delivery.response_status is None
    assert delivery.status == DeliveryStatus.pending  # tried again later, and refused again
    assert receiver.requests == []


@pytest.mark.parametrize("url, code", [
    ("https://127.0.0.1/hook", "webhooks.url_not_public"),
    ("https://localhost:8443/hook", "webhooks.url_not_public"),
    ("https://10.0.0.7/hook", "webhooks.url_not_public"),
    ("https://169.254.169.254/latest/meta-data", "webhooks.url_not_public"),
    ("https://[::1]/hook", "webhooks.url_not_public"),
    ("https://[::ffff:192.168.1.1]/hook", "webhooks.url_not_public"),
    ("http://hooks.example.com/in", "webhooks.https_required"),
    ("ftp://hooks.example.com/in", "webhooks.url_invalid"),
    ("https://user:pass@hooks.example.com/in", "webhooks.url_invalid"),
    ("not a url", "webhooks.url_invalid"),
    ("https://hooks.example.com/" + "x" * 2000, "webhooks.url_too_long"),
])
def test_registering_refuses_what_cannot_be_a_public_https_receiver(app, register, booker, url, code):
    with pytest.raises(RuleViolation) as refused:
        register(booker, url)
    assert refused.value.codes == [code]
    assert "url" in refused.value.field_messages
    assert deliveries() == []


def test_registering_needs_known_events_and_stays_within_the_limit(app, register, booker):
    with pytest.raises(RuleViolation) as refused:
        register(booker, "https://hooks.example.com/in", events=[])
    assert refused.value.codes == ["webhooks.events_required"]
    with pytest.raises(RuleViolation) as refused:
        register(booker, "https://hooks.example.com/in", events=["reservation.created", "coffee.ready"])
    assert refused.value.codes == ["webhooks.event_unknown"]
    for number in range(rules.MAX_WEBHOOKS):
        register(booker, f"https://hooks.example.com/{number}")
    with pytest.raises(RuleViolation) as refused:
        register(booker, "https://hooks.example.com/one-more")
    assert refused.value.codes == ["webhooks.too_many"]


def test_only_members_register_for_an_organisation_and_only_admins_city_wide(app, register, booker, create_user,
                                                                             manager):
    from booking.errors import NotFound, PermissionDenied

    other = create_user(name="Olli Other")
    with pytest.raises(NotFound):   # another organisation's id is answered as a missing one
        register(other, "https://hooks.example.com/in", organisation=booker.organisations[0])
    with pytest.raises(PermissionDenied):
        register(booker, "https://hooks.example.com/in", organisation=None)
    with pytest.raises(PermissionDenied):
        register(manager, "https://hooks.example.com/in", organisation=None)
    admin = create_user(role=Role.admin)
    assert register(admin, "https://hooks.example.com/in", organisation=booker.organisations[0]).organisation_id


def test_a_deleted_webhook_gets_nothing_more(receiver, register, deliver, booker, facility):
    webhook = register(booker, receiver.url("/hook"))
    reserve_one(booker, facility)
    with unit_of_work():
        services.delete_webhook(booker, services.get_webhook(webhook.id))
    assert deliveries() == []
    reserve_one(booker, facility, local(2030, 3, 6, 10))
    assert deliver() == 0 and receiver.posts == []


def test_the_demo_seed_tells_no_receiver(receiver, register, booker, facility):
    register(booker, receiver.url("/hook"))
    with notifications_suppressed():
        reserve_one(booker, facility)
    assert deliveries() == []

"""JSON routes of webhooks: register, list, read, delete, and each one's delivery history with
resending. An organisation's members see its webhooks only; admins see every one."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from booking.api import api_user, route
from booking.api.pagination import Page, PageQuery, page_of
from booking.api.types import Id, Text
from booking.errors import Message, NotFound
from booking.webhooks import rules, services
from booking.webhooks.models import Webhook, WebhookDelivery

TAG = "webhooks"
EventType = Literal[rules.EVENT_TYPES]  # type: ignore[valid-type]


class WebhookIn(BaseModel):
    url: Text = Field(max_length=services.MAX_URL_LENGTH, description="Where deliveries are POSTed: an https:// "
                                                                      "address on the public internet")
    events: Annotated[list[EventType], Field(min_length=1, max_length=len(rules.EVENT_TYPES),
                                             description="The events to receive")]
    organisation_id: Id | None = Field(None, description="Receive this organisation's events (its members and "
                                                         "admins may); null: the whole city's (admins only)")
    description: Text = Field("", max_length=200)


class WebhookOut(BaseModel):
    id: int
    organisation_id: int | None
    url: str
    events: list[str]
    description: str
    created_dt: datetime


class CreatedWebhook(WebhookOut):
    secret: str = Field(description="Signs every delivery (HMAC-SHA256, the Infrashare-Signature header); shown "
                                    "only in this response")


class WebhookQuery(PageQuery):
    organisation_id: Id | None = Field(None, description="Only this organisation's webhooks")


class DeliveryOut(BaseModel):
    id: int
    event_id: str = Field(description="The event's id, the same in a repeated delivery: ignore one you have")
    event_type: str
    status: Literal["pending", "sending", "delivered", "failed"]
    attempts: int
    created_dt: datetime
    last_attempt_dt: datetime | None
    next_attempt_dt: datetime | None = Field(description="When it is tried next, while pending")
    delivered_dt: datetime | None
    response_status: int | None = Field(description="The receiver's HTTP status at the last attempt")
    error: str | None = Field(description="Why the last attempt failed")
    payload: dict[str, Any] = Field(description="The JSON body sent")


def _out(webhook: Webhook) -> WebhookOut:
    return WebhookOut(id=webhook.id, organisation_id=webhook.organisation_id, url=webhook.url,
                      events=list(webhook.events), description=webhook.description, created_dt=webhook.created_dt)


def _delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    error = services.error_of(delivery)
    return DeliveryOut(id=delivery.id, event_id=delivery.event_id, event_type=delivery.event_type,
                       status=delivery.status.value, attempts=delivery.attempts, created_dt=delivery.created_dt,
                       last_attempt_dt=delivery.last_attempt_dt, next_attempt_dt=delivery.next_attempt_dt,
                       delivered_dt=delivery.delivered_dt, response_status=delivery.response_status,
                       error=str(error) if error else None, payload=json.loads(delivery.body))


def _manageable(webhook_id: int) -> Webhook:
    webhook = services.get_webhook(webhook_id)
    if webhook is None or not rules.can_manage_webhook(api_user(), webhook):
        raise NotFound(Message("webhooks.not_found"))  # another organisation's is not revealed
    return webhook


@route("/webhooks", summary="The webhooks the caller manages", tag=TAG, query=WebhookQuery,
       response=Page[WebhookOut])
def list_webhooks(query: WebhookQuery):
    return page_of(services.webhooks_query(api_user(), query.organisation_id), query, _out)


@route("/webhooks", "POST", summary="Register a webhook", tag=TAG, body=WebhookIn, response=CreatedWebhook,
       status=201, errors=(403, 404, 422))
def create_webhook(body: WebhookIn):
    """Each event is POSTed as JSON (`id`, `type`, `created`, `data`) with the headers
    `Infrashare-Event`, `Infrashare-Event-Id` and `Infrashare-Signature: t=<unix time>,v1=<hex>`,
    where v1 is the HMAC-SHA256 of `<t>.<body>` keyed with the secret. A delivery not answered
    with 2xx is retried with back-off for a day."""
    webhook = services.register_webhook(api_user(), url=body.url, events=list(body.events),
                                        organisation_id=body.organisation_id, description=body.description)
    return CreatedWebhook(**_out(webhook).model_dump(), secret=webhook.secret)


@route("/webhooks/<int:webhook_id>", summary="A webhook", tag=TAG, response=WebhookOut, errors=(404,))
def get_webhook(webhook_id: int):
    return _out(_manageable(webhook_id))


@route("/webhooks/<int:webhook_id>", "DELETE", summary="Delete a webhook", tag=TAG, status=204, errors=(404,))
def delete_webhook(webhook_id: int):
    """Nothing more is sent to it; its delivery history goes with it."""
    services.delete_webhook(api_user(), _manageable(webhook_id))


@route("/webhooks/<int:webhook_id>/deliveries", summary="A webhook's deliveries, newest first", tag=TAG,
       query=PageQuery, response=Page[DeliveryOut], errors=(404,))
def list_deliveries(webhook_id: int, query: PageQuery):
    return page_of(services.deliveries_query(_manageable(webhook_id)), query, _delivery_out)


@route("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/resend", "POST", summary="Send a delivery again",
       tag=TAG, response=DeliveryOut, status=202, errors=(404, 409))
def resend_delivery(webhook_id: int, delivery_id: int):
    """The same body and event id, due at once (the deliver-webhooks job sends it within half a
    minute) and retried for another day."""
    delivery = services.get_delivery(_manageable(webhook_id), delivery_id)
    if delivery is None:
        raise NotFound(Message("webhooks.delivery_not_found"))
    return _delivery_out(services.resend(api_user(), delivery))

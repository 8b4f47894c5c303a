"""The webhook delivery job: each step its own short unit of work, and the HTTP request outside
any transaction, so a slow receiver never holds a database lock."""
from __future__ import annotations

from booking.jobs import job
from booking.unit_of_work import unit_of_work
from booking.webhooks import services
from booking.webhooks.models import DeliveryStatus

BATCH = 100


def deliver(delivery_id: int) -> DeliveryStatus | None:
    """Claim, send and record one due delivery; its status after (None: not due, or another
    process took it)."""
    with unit_of_work():
        outgoing = services.claim(delivery_id)
    if outgoing is None:
        return None
    attempt = services.send(outgoing)
    with unit_of_work():
        delivery = services.record_attempt(delivery_id, attempt)
        return delivery.status if delivery is not None else None


@job("deliver-webhooks", 30, "Send due webhook deliveries, signed; a failed one is retried with back-off "
                             "(1, 2, 4 … minutes, at most an hour apart) for a day.")
def deliver_due(limit: int = BATCH) -> int:
    """Returns how many were delivered. Each delivery is claimed with a conditional update, so two
    job processes never send the same attempt twice."""
    with unit_of_work():
        ids = services.due_delivery_ids(limit)
    delivered = 0
    for delivery_id in ids:
        delivered += deliver(delivery_id) == DeliveryStatus.delivered
    return delivered

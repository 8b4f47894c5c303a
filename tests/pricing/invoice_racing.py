"""The worker process of the invoice-number race (a plain module, so 'spawn' can import it).

Each worker builds its own app against the shared test database and, round after round,
waits at a barrier with the others and issues its organisation's invoices for that month at
the same moment. One worker also takes a number and then fails, every round: the number
must come back (no gap).
"""
from __future__ import annotations

from datetime import date

from flask_babel import force_locale

from booking import create_app
from booking.extensions import db

ISSUED, ROLLED_BACK = "issued", "rolled back"


class Abandon(Exception):
    """A use case that failed after taking an invoice number."""


def race(database_url: str, organisation_id: int, months: list[int], abandons: bool, barrier, results) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "race",
                      "MAIL_SERVER": ""})
    from booking.accounts.models import Organisation
    from booking.pricing import invoicing
    from booking.unit_of_work import unit_of_work

    with app.app_context(), force_locale("en"):
        for month in months:
            db.session.rollback()
            barrier.wait(timeout=120)
            try:
                with unit_of_work():
                    if abandons:
                        invoicing.next_invoice_number()
                        raise Abandon()
                    issued = invoicing.issue_invoices(2030, month, organisation=db.session.get(
                        Organisation, organisation_id), today=date(2030, 12, 31))
                outcome = (ISSUED, [i.number for i in issued])
            except Abandon:
                outcome = (ROLLED_BACK, [])
            except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
                db.session.rollback()
                outcome = (f"error: {exc!r}", [])
            results.put((month, organisation_id, outcome))
        db.session.remove()
        db.engine.dispose()

"""The worker process of the race tests (a plain module, so 'spawn' can import it).

Each worker builds its own app against the shared test database, then, round after round,
waits at a barrier with the others and tries to book its slot at the same moment.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError, OperationalError

from booking import create_app
from booking.errors import Conflict
from booking.extensions import db
from booking.unit_of_work import unit_of_work

WON, CONFLICT = "won", "conflict"
DEADLOCK = "40P01"  # PostgreSQL's SQLSTATE for a deadlock it broke


def raw_insert(facility_id: int, organisation_id: int, user_id: int, start: datetime, end: datetime) -> None:
    """Insert an active reservation straight into the table: no service, no Python check."""
    from booking.reservations.models import Reservation
    db.session.execute(insert(Reservation.__table__).values(
        kind="booking", facility_id=facility_id, organisation_id=organisation_id, user_id=user_id,
        start_dt=start, end_dt=end, blocked_start_dt=start, blocked_end_dt=end, title="Raw", status="confirmed"))


def race(database_url: str, facility_id: int, user_id: int, rounds: list, barrier, results, now) -> None:
    """rounds: [(mode, start, end), ...] this worker asks for, mode "service" (book through
    the service) or "raw" (insert straight into the table)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "race",
                      "MAIL_SERVER": ""})
    from booking.accounts.models import User
    from booking.facilities.models import Facility
    from booking.reservations import services

    with app.app_context(), force_locale("en"):
        for number, (mode, start, end) in enumerate(rounds):
            # Hold no transaction (on SQLite: no write lock) while waiting for the others.
            db.session.rollback()
            barrier.wait(timeout=120)
            try:
                user = db.session.get(User, user_id)
                if mode == "raw":
                    raw_insert(facility_id, user.organisations[0].id, user_id, start, end)
                    db.session.commit()
                else:
                    with unit_of_work():
                        services.create_reservation(user, db.session.get(Facility, facility_id),
                                                    user.organisations[0], start, end, title=f"Race {number}",
                                                    now=now)
                outcome = WON
            except Conflict:
                outcome = CONFLICT
            except IntegrityError as exc:
                db.session.rollback()
                outcome = CONFLICT if services.is_overlap_error(exc) else f"error: {exc.orig!r}"
            except OperationalError as exc:
                # Raw inserts skip the facility lock the service takes: two of them can each wait
                # for the other's exclusion check, and PostgreSQL refuses one as a deadlock.
                db.session.rollback()
                refused = mode == "raw" and getattr(exc.orig, "sqlstate", None) == DEADLOCK
                outcome = CONFLICT if refused else f"error: {exc.orig!r}"
            except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
                db.session.rollback()
                outcome = f"error: {exc!r}"
            results.put((number, user_id, outcome))
        db.session.remove()
        db.engine.dispose()

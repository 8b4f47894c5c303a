"""The seasons domain's part of a person's data (booking.personal_data): the applications they
sent for their organisations. Erasing the person keeps the organisation's application (it is the
organisation's record) without saying who sent it."""
from __future__ import annotations

from sqlalchemy import select, update

from booking import personal_data
from booking.extensions import db
from booking.seasons.models import Application


def _applications(user) -> list[dict]:
    sent = db.session.scalars(select(Application).where(Application.submitted_by_id == user.id)
                              .order_by(Application.id))
    return [{"id": a.id, "round": a.round.name, "organisation_id": a.organisation_id, "state": a.state,
             "submitted": a.submitted_dt, "updated": a.updated_dt, "note": a.note,
             "wishes": [{"purpose": w.purpose, "weekday": w.weekday, "earliest": w.earliest.isoformat(),
                         "latest": w.latest.isoformat(), "duration_minutes": w.duration_minutes,
                         "participants": w.participants} for w in a.wishes]}
            for a in sent]


def _forget(user) -> None:
    db.session.execute(update(Application).where(Application.submitted_by_id == user.id)
                       .values(submitted_by_id=None))


personal_data.register("season_applications", _applications, order=45)
personal_data.register_eraser("season_applications", _forget)

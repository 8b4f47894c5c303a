"""The agreements domain's part of a person's data export (booking.personal_data)."""
from __future__ import annotations

from sqlalchemy import select

from booking import personal_data
from booking.agreements.models import Acceptance, Comment, PilotAgreement
from booking.extensions import db


def _agreements(user) -> dict:
    written = db.session.scalars(select(PilotAgreement).where(PilotAgreement.created_by_id == user.id)
                                 .order_by(PilotAgreement.id))
    accepted = db.session.scalars(select(Acceptance).where(Acceptance.user_id == user.id).order_by(Acceptance.id))
    comments = db.session.scalars(select(Comment).where(Comment.author_id == user.id).order_by(Comment.id))
    return {"written": [{"id": a.id, "title": a.title, "status": a.status, "created": a.created_dt}
                        for a in written],
            "acceptances": [{"agreement_id": a.agreement_id, "as": a.signer_name, "organisation_id": a.organisation_id,
                             "document_sha256": a.document_sha256, "at": a.accepted_dt, "from": a.remote_addr,
                             "void": a.void_dt} for a in accepted],
            "comments": [{"agreement_id": c.agreement_id, "text": c.body, "at": c.created_dt} for c in comments]}


personal_data.register("pilot_agreements", _agreements, order=40)

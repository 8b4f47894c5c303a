"""The accounts domain's part of a person's data export (booking.personal_data)."""
from __future__ import annotations

from sqlalchemy import delete, or_, select, update

from booking import personal_data
from booking.accounts.models import ApiToken, User, UserSession
from booking.audit.models import AuditEvent
from booking.extensions import db

MAX_AUDIT_EVENTS = 10_000


def _profile(user: User) -> dict:
    return {"id": user.id, "name": user.name, "email": user.email, "role": user.role, "locale": user.locale,
            "active": user.active, "created": user.created_dt,
            "current_organisation_id": user.current_organisation_id}


def _memberships(user: User) -> list[dict]:
    return [{"organisation_id": m.organisation_id, "organisation": m.organisation.name, "role": m.role,
             "since": m.created_dt} for m in user.memberships]


def _sessions(user: User) -> list[dict]:
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id))
    return [{"started": s.created_dt, "ended": s.ended_dt, "browser": s.user_agent, "address": s.remote_addr}
            for s in rows]


def _tokens(user: User) -> list[dict]:
    rows = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    return [{"name": t.name, "starts_with": t.prefix, "created": t.created_dt, "revoked": t.revoked_dt}
            for t in rows]


def _audit(user: User) -> list[dict]:
    """What the person did, and what was done to their account (newest first, capped)."""
    stmt = (select(AuditEvent).where(or_(AuditEvent.actor_id == user.id,
                                         (AuditEvent.object_type == "User") & (AuditEvent.object_id == user.id)))
            .order_by(AuditEvent.id.desc()).limit(MAX_AUDIT_EVENTS))
    return [{"at": e.created_dt, "action": e.action, "object": e.object_type, "object_id": e.object_id,
             "by_you": e.actor_id == user.id, "before": e.before, "after": e.after}
            for e in db.session.scalars(stmt)]


def _erase(user: User) -> None:
    """Sessions and tokens go; the audit trail keeps what happened, no longer under a name."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    db.session.execute(update(AuditEvent).where(AuditEvent.actor_id == user.id)
                       .values(actor_label=f"deleted user {user.id}"))


personal_data.register("profile", _profile, order=10)
personal_data.register_eraser("accounts", _erase)
personal_data.register("memberships", _memberships, order=11)
personal_data.register("sessions", _sessions, order=12)
personal_data.register("api_tokens", _tokens, order=13)
personal_data.register("audit_events", _audit, order=90)

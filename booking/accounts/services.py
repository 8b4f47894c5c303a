"""Account use cases. Each runs in the caller's transaction and commits once at the end."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select

from booking.accounts.models import (ActorType, ApiToken, Department, LoginFailure, Membership, MembershipRole,
                                     Organisation, Role, User, hash_token)
from booking.accounts.rules import is_valid_business_id, normalise_email
from booking.audit.services import record
from booking.database import utcnow
from booking.errors import Conflict, NotFound, RuleViolation
from booking.extensions import db
from booking.notifications.services import queue_email

USER_FIELDS = ("email", "name", "role", "active")


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def get_or_create_department(name: str) -> Department:
    department = db.session.scalar(select(Department).where(Department.name == name))
    if department is None:
        department = Department(name=name)
        db.session.add(department)
        record("department.created", department, after={"name": name})
    return department


def get_or_create_organisation(name: str, actor_type: ActorType, **details) -> Organisation:
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if organisation is None:
        organisation = create_organisation(name, actor_type, **details)
    return organisation


def create_organisation(name: str, actor_type: ActorType, *, business_id: str | None = None,
                        address: str = "", contact_email: str | None = None,
                        contact_phone: str | None = None) -> Organisation:
    name = name.strip()
    business_id = (business_id or "").strip() or None
    if business_id and not is_valid_business_id(business_id):
        raise RuleViolation(field_errors={"business_id": [str(_l("Not a valid Finnish business ID (1234567-8)."))]})
    if db.session.scalar(select(Organisation.id).where(func.lower(Organisation.name) == name.lower())):
        raise Conflict(field_errors={"organisation_name": [str(_l("An organisation with this name already exists."))]})
    if business_id and db.session.scalar(select(Organisation.id).where(Organisation.business_id == business_id)):
        raise Conflict(field_errors={"business_id": [str(_l("An organisation with this business ID already exists."))]})
    organisation = Organisation(name=name, actor_type=actor_type, business_id=business_id, address=address,
                                contact_email=contact_email, contact_phone=contact_phone)
    db.session.add(organisation)
    record("organisation.created", organisation,
           after={"name": name, "actor_type": actor_type, "business_id": business_id})
    return organisation


def create_user(email: str, name: str, password: str, *, role: Role = Role.member,
                departments: list[Department] = (), organisation: Organisation | None = None,
                membership_role: MembershipRole = MembershipRole.owner, locale: str | None = None) -> User:
    email = normalise_email(email)
    if get_user_by_email(email) is not None:
        raise Conflict(field_errors={"email": [str(_l("An account with this e-mail address already exists."))]})
    user = User(email=email, name=name.strip(), role=role, locale=locale)
    user.set_password(password)
    user.departments = list(departments)
    db.session.add(user)
    if organisation is not None:
        add_membership(user, organisation, membership_role)
    record("user.created", user, after={"email": email, "name": user.name, "role": role,
                                        "departments": [d.name for d in departments]})
    return user


def add_membership(user: User, organisation: Organisation, role: MembershipRole = MembershipRole.member) -> Membership:
    membership = Membership(user=user, organisation=organisation, role=role)
    db.session.add(membership)
    if user.current_organisation is None:
        user.current_organisation = organisation
    return membership


def register(*, email: str, name: str, password: str, organisation_name: str, actor_type: ActorType,
             business_id: str | None, address: str = "", locale: str | None = None) -> User:
    """Self-service sign-up: the user and their organisation, in one transaction."""
    errors: dict[str, list[str]] = {}
    organisation = None
    try:
        organisation = create_organisation(organisation_name, actor_type, business_id=business_id,
                                           address=address, contact_email=normalise_email(email))
    except (Conflict, RuleViolation) as exc:
        errors.update(exc.field_errors)
    if get_user_by_email(email) is not None:
        errors["email"] = [str(_l("An account with this e-mail address already exists."))]
    if errors:
        db.session.rollback()
        raise Conflict(field_errors=errors)
    user = create_user(email, name, password, organisation=organisation, locale=locale)
    db.session.commit()
    return user


# --- logging in ----------------------------------------------------------------------

def _throttle_keys(email: str, remote_addr: str | None) -> list[str]:
    keys = [f"email:{normalise_email(email)}"]
    if remote_addr:
        keys.append(f"ip:{remote_addr}")
    return keys


def is_login_throttled(email: str, remote_addr: str | None) -> bool:
    cfg = current_app.config
    since = utcnow() - timedelta(seconds=cfg["LOGIN_FAILURE_WINDOW"])
    for key in _throttle_keys(email, remote_addr):
        limit = cfg["LOGIN_MAX_FAILURES"] * (4 if key.startswith("ip:") else 1)
        count = db.session.scalar(select(func.count(LoginFailure.id))
                                  .where(LoginFailure.key == key, LoginFailure.created_dt >= since))
        if count >= limit:
            return True
    return False


def check_login(email: str, password: str, remote_addr: str | None) -> User | None:
    """The user if the credentials are right; records a failure otherwise. Commits."""
    user = get_user_by_email(email)
    if user is not None and user.active and user.check_password(password):
        db.session.execute(delete(LoginFailure).where(LoginFailure.key == _throttle_keys(email, None)[0]))
        db.session.commit()
        return user
    for key in _throttle_keys(email, remote_addr):
        db.session.add(LoginFailure(key=key))
    # Old rows are of no use to the throttle; keep the table small.
    cutoff = utcnow() - timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW"] * 4)
    db.session.execute(delete(LoginFailure).where(LoginFailure.created_dt < cutoff))
    db.session.commit()
    return None


# --- passwords ---------------------------------------------------------------------

def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def make_reset_token(user: User) -> str:
    # The current hash's tail is signed in: once the password changes, the token is dead.
    return _reset_serializer().dumps({"uid": user.id, "h": user.password_hash[-16:]})


def user_for_reset_token(token: str) -> User | None:
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.active or user.password_hash[-16:] != data.get("h"):
        return None
    return user


def request_password_reset(email: str) -> None:
    """Queue a reset link if the account exists. Says nothing either way (no enumeration)."""
    user = get_user_by_email(email)
    if user is not None and user.active:
        link = current_app.config["BASE_URL"] + url_for("accounts.reset_password", token=make_reset_token(user))
        queue_email(user.email, _l("Reset your Infrashare password"), "password_reset", locale=user.locale,
                    topic=f"user:{user.id}", user=user, link=link,
                    minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60)
        record("user.password_reset_requested", user, actor=user)
    db.session.commit()


def set_password(user: User, password: str, *, action: str = "user.password_changed") -> None:
    user.set_password(password)
    record(action, user, actor=user)
    db.session.commit()


def update_profile(user: User, *, name: str, locale: str | None) -> None:
    before = {"name": user.name, "locale": user.locale}
    user.name = name.strip()
    user.locale = locale or None
    record("user.updated", user, before=before, after={"name": user.name, "locale": user.locale})
    db.session.commit()


def switch_organisation(user: User, organisation_id: int) -> Organisation:
    membership = next((m for m in user.memberships if m.organisation_id == organisation_id), None)
    if membership is None:
        raise NotFound(_l("You are not a member of that organisation."))
    user.current_organisation = membership.organisation
    db.session.commit()
    return membership.organisation


# --- API tokens ----------------------------------------------------------------------

def create_api_token(user: User, name: str = "API token") -> str:
    """Create a token and return it; only its hash is stored, so this is the only time it is seen."""
    token = "ifs_" + secrets.token_urlsafe(32)
    api_token = ApiToken(user=user, name=name.strip() or "API token", token_hash=hash_token(token), prefix=token[:8])
    db.session.add(api_token)
    record("api_token.created", api_token, actor=user, after={"name": api_token.name, "prefix": api_token.prefix})
    db.session.commit()
    return token


def revoke_api_token(user: User, token_id: int) -> None:
    api_token = db.session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != user.id:
        raise NotFound(_l("No such token."))
    if api_token.revoked_dt is None:
        api_token.revoked_dt = utcnow()
        record("api_token.revoked", api_token, after={"prefix": api_token.prefix})
    db.session.commit()

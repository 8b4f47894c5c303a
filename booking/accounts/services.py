"""Account use cases. Each adds and flushes in the caller's unit of work (booking.unit_of_work)
and never commits or rolls back; refusals carry coded messages (booking/accounts/messages.py)."""
from __future__ import annotations

import functools
import math
import secrets
from datetime import datetime, timedelta

from typing import Callable

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from booking.accounts.models import (ActorType, ApiToken, Department, LoginFailure, Membership, MembershipRole,
                                     Organisation, Role, User, UserSession, hash_token)
from booking import personal_data
from booking.accounts import messages  # noqa: F401 - registers the wording of this domain's codes
from booking.accounts.rules import SCOPES, DECISION_DAYS_RANGE, is_valid_business_id, normalise_email, scopes_for
from booking.audit.services import snapshot
from booking.content import clean_translations
from booking.database import utcnow
from booking.errors import Conflict, Message, NotFound, PermissionDenied, RuleViolation
from booking.events import Email, Event, publish
from booking.extensions import db
from booking.notifications.models import OutboxMessage

SELF = "self"  # create_user(actor=SELF): the new user signs themselves up


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def get_or_create_department(name: str) -> Department:
    department = db.session.scalar(select(Department).where(Department.name == name))
    if department is None:
        department = Department(name=name)
        db.session.add(department)
        publish(Event("department.created", department, after={"name": name}))
    return department


def update_department(department: Department, *, description: str, contact_email: str | None,
                      decision_days: int, translations: dict | None = None, actor: User | None = None) -> None:
    """An admin's change to a department's description, contact and decision deadline, and its
    name and description in the other languages (`translations`: {"fi": {"name": …}}; None keeps them)."""
    description = (description or "").strip()
    contact_email = normalise_email(contact_email or "") or None
    low, high = DECISION_DAYS_RANGE
    problems: dict[str, list[Message]] = {}
    if not isinstance(decision_days, int) or not low <= decision_days <= high:
        problems["decision_days"] = [Message("accounts.decision_days_range", low=low, high=high)]
    if contact_email:
        try:
            validate_email(contact_email, check_deliverability=False)
        except EmailNotValidError:
            problems["contact_email"] = [Message("accounts.email_invalid")]
    if problems:
        raise RuleViolation(field_errors=problems)
    fields = ("description", "contact_email", "decision_days")
    before = snapshot(department, fields)
    department.description, department.contact_email, department.decision_days = (
        description, contact_email, decision_days)
    after = snapshot(department, fields)
    translations = clean_translations(translations, Department.TRANSLATABLE) if translations is not None else None
    if translations is not None and translations != (department.translations or {}):
        before["translations"], after["translations"] = department.translations or {}, translations
        department.translations = translations
    if after != before:
        # department_id lets the department's managers see the change in their audit log.
        publish(Event("department.updated", department, actor=actor, before=before, after=after,
                      department_id=department.id))
    db.session.flush()


def get_organisation_by_name(name: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.name == name.strip()))


def get_or_create_organisation(name: str, actor_type: ActorType, **details) -> Organisation:
    organisation = get_organisation_by_name(name)
    if organisation is None:
        organisation = create_organisation(name, actor_type, **details)
    return organisation


def organisation_problems(name: str, business_id: str | None) -> tuple[dict[str, list[Message]], bool]:
    """Why an organisation with this name and business ID cannot be created, and whether any
    reason is a clash with an existing one (a Conflict rather than a broken rule)."""
    problems: dict[str, list[Message]] = {}
    clash = False
    if business_id and not is_valid_business_id(business_id):
        problems["business_id"] = [Message("accounts.business_id_invalid")]
    elif business_id and db.session.scalar(select(Organisation.id).where(Organisation.business_id == business_id)):
        problems["business_id"] = [Message("accounts.business_id_taken")]
        clash = True
    if db.session.scalar(select(Organisation.id).where(func.lower(Organisation.name) == name.lower())):
        problems["organisation_name"] = [Message("accounts.organisation_name_taken")]
        clash = True
    return problems, clash


def create_organisation(name: str, actor_type: ActorType, *, business_id: str | None = None,
                        address: str = "", contact_email: str | None = None,
                        contact_phone: str | None = None, actor: User | None = None) -> Organisation:
    name = name.strip()
    business_id = (business_id or "").strip() or None
    problems, clash = organisation_problems(name, business_id)
    if problems:
        raise (Conflict if clash else RuleViolation)(field_errors=problems)
    organisation = Organisation(name=name, actor_type=actor_type, business_id=business_id, address=address,
                                contact_email=contact_email, contact_phone=contact_phone)
    db.session.add(organisation)
    publish(Event("organisation.created", organisation, actor=actor,
                  after={"name": name, "actor_type": actor_type, "business_id": business_id}))
    return organisation


def create_user(email: str, name: str, password: str, *, role: Role = Role.member,
                departments: list[Department] = (), organisation: Organisation | None = None,
                membership_role: MembershipRole = MembershipRole.owner, locale: str | None = None,
                actor: User | str | None = None) -> User:
    """Add a user (and their membership) to the session.

    `actor` is who does it: None means the logged-in user (or "system" outside a request);
    SELF marks a sign-up, where the new user is their own actor.
    """
    email = normalise_email(email)
    if get_user_by_email(email) is not None:
        raise Conflict(field_errors={"email": [Message("accounts.email_taken")]})
    user = User(email=email, name=name.strip(), role=role, locale=locale)
    user.set_password(password)
    user.departments = list(departments)
    db.session.add(user)
    publish(Event("user.created", user, actor=user if actor == SELF else actor,
                  after={"email": email, "name": user.name, "role": role,
                         "departments": [d.name for d in departments]}))
    if organisation is not None:
        add_membership(user, organisation, membership_role, actor=user if actor == SELF else actor)
    return user


def add_membership(user: User, organisation: Organisation, role: MembershipRole = MembershipRole.member,
                   actor: User | None = None) -> Membership:
    membership = Membership(user=user, organisation=organisation, role=role)
    db.session.add(membership)
    if user.current_organisation is None:
        user.current_organisation = organisation
    publish(Event("membership.created", membership, actor=actor,
                  after={"user": user.email, "organisation": organisation.name, "role": role}))
    return membership


# --- registering ---------------------------------------------------------------------

# No enumeration: step 1 (the address) answers every address alike and does the same work on
# both paths (one lookup, one audit event, one message signed, rendered and queued); only the
# inbox learns which it was. Step 2 (the person and the organisation) opens from the e-mailed
# link, so whoever sees an organisation clash there has proven an address first.
Links = Callable[[str, "str | None"], str]   # links("register" | "reset" | "login", token) → absolute URL


def _registration_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="registration")


def make_registration_token(email: str) -> str:
    return _registration_serializer().dumps({"e": normalise_email(email)})


def registration_email(token: str) -> str:
    """The address a registration link was sent to. An expired or forged link is refused, and so
    is a used one: once an account has the address, its links open nothing (single use)."""
    try:
        data = _registration_serializer().loads(token, max_age=current_app.config["REGISTRATION_LINK_MAX_AGE"])
    except SignatureExpired:
        raise RuleViolation(Message("accounts.registration_link_expired")) from None
    except BadSignature:
        raise RuleViolation(Message("accounts.registration_link_invalid")) from None
    email = data.get("e") if isinstance(data, dict) else None
    if not isinstance(email, str) or not email:
        raise RuleViolation(Message("accounts.registration_link_invalid"))
    if get_user_by_email(email) is not None:
        raise Conflict(Message("accounts.registration_link_used"))
    return email


# Whoever asks, an address gets only a few account messages (registration and reset links) an
# hour, so these forms cannot flood an inbox; past that the answer is the same and nothing is sent.
ACCOUNT_MAILS_PER_HOUR = 5


def account_mail_topic(email: str) -> str:
    return f"account:{_account_tag(email)}"


def _may_mail(email: str) -> bool:
    """Whether the address may get another account message now (the same question, and the same
    statement, whether or not it has an account)."""
    since = utcnow() - timedelta(hours=1)
    sent = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.topic == account_mail_topic(email), OutboxMessage.created_dt >= since))
    return sent < ACCOUNT_MAILS_PER_HOUR


def request_registration(email: str, *, locale: str | None, links: Links) -> None:
    """Step 1 of signing up. A new address gets a link to step 2; a known one is told that it
    has an account, with links to log in and to set a new password. The caller answers alike."""
    user = get_user_by_email(email)
    if not _may_mail(email):
        return
    if user is None:
        email = normalise_email(email)
        mail = Email(email, Message("accounts.email.registration_link"), "registration_link", locale=locale,
                     topic=account_mail_topic(email),
                     context={"link": links("register", make_registration_token(email)),
                              "hours": current_app.config["REGISTRATION_LINK_MAX_AGE"] // 3600})
        # Nobody to point at yet, and the audit trail keeps no address: only that a link went out.
        publish(Event("user.registration_link_sent", None, emails=[mail]))
    else:
        mail = Email(user.email, Message("accounts.email.account_exists"), "account_exists",
                     locale=user.locale or locale, topic=account_mail_topic(user.email),
                     context={"user": user, "login_link": links("login", None),
                              "reset_link": links("reset", make_reset_token(user)),
                              "minutes": current_app.config["PASSWORD_RESET_MAX_AGE"] // 60})
        publish(Event("user.registration_of_known_address", user, actor=user, emails=[mail]))
    db.session.flush()


def register(*, email: str, name: str, password: str, organisation_name: str, actor_type: ActorType,
             business_id: str | None, address: str = "", locale: str | None = None) -> User:
    """Step 2 of signing up (the address is proven by the link): the user and their
    organisation, in one transaction.

    Every reason to refuse is collected first, so the form shows them all at once and
    nothing is written unless everything can be. A clash that slips past the checks (someone
    registering the same address at the same moment) rolls back only this use case's
    savepoint, so the caller's unit of work holds nothing half-written.
    """
    email = normalise_email(email)
    organisation_name = organisation_name.strip()
    business_id = (business_id or "").strip() or None
    problems, clash = organisation_problems(organisation_name, business_id)
    if get_user_by_email(email) is not None:
        problems["email"] = [Message("accounts.email_taken")]
        clash = True
    if problems:
        raise (Conflict if clash else RuleViolation)(field_errors=problems)
    try:
        with db.session.begin_nested():  # a SAVEPOINT: an IntegrityError undoes only this
            user = create_user(email, name, password, locale=locale, actor=SELF)
            organisation = create_organisation(organisation_name, actor_type, business_id=business_id,
                                               address=address, contact_email=email, actor=user)
            add_membership(user, organisation, MembershipRole.owner, actor=user)
    except IntegrityError:
        raise Conflict(Message("accounts.registered_just_now")) from None
    return user


# --- logging in ----------------------------------------------------------------------

# Throttling never becomes a lock-out weapon: failures count per (account, client), and a
# client that has logged in to the account before (a signed "known device" cookie) is held
# back only by its own failures. Unknown clients also count towards the account's and the
# network address's limits. Past a limit every further failure doubles the wait.
DEVICE_COOKIE = "infrashare_device"
ACCOUNT_FACTOR, ADDRESS_FACTOR = 4, 10     # × LOGIN_MAX_FAILURES
FIRST_WAIT_SECONDS, LONGEST_WAIT_SECONDS = 30, 900


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def _account_tag(email: str) -> str:
    return hash_token(normalise_email(email))[:16]


def device_cookie(email: str, current: str | None = None) -> str:
    """The cookie a browser keeps after logging in: it knows this account (and any it knew)."""
    known = _known_accounts(current)
    tag = _account_tag(email)
    return _device_serializer().dumps({"d": known.get("d") or secrets.token_hex(8),
                                       "a": [tag] + [a for a in known.get("a", []) if a != tag][:9]})


def _known_accounts(cookie: str | None) -> dict:
    try:
        value = _device_serializer().loads(cookie) if cookie else {}
    except BadSignature:
        return {}
    return value if isinstance(value, dict) else {}


def known_device(cookie: str | None, email: str) -> str | None:
    """The device id if this browser has logged in to the account before, else None."""
    known = _known_accounts(cookie)
    return known.get("d") if _account_tag(email) in known.get("a", []) else None


def _throttle_keys(email: str, remote_addr: str | None, device: str | None) -> list[tuple[str, int]]:
    email, limit = normalise_email(email), current_app.config["LOGIN_MAX_FAILURES"]
    if device:
        return [(f"pair:{email}|device:{device}", limit)]
    keys = [(f"pair:{email}|ip:{remote_addr or '-'}", limit), (f"account:{email}", limit * ACCOUNT_FACTOR)]
    if remote_addr:
        keys.append((f"ip:{remote_addr}", limit * ADDRESS_FACTOR))
    return keys


def login_wait(email: str, remote_addr: str | None, device: str | None = None) -> int:
    """Seconds this client must wait before trying this account again (0: it may try now)."""
    now = utcnow()
    since = now - timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW"])
    wait = 0
    for key, limit in _throttle_keys(email, remote_addr, device):
        count, last = db.session.execute(select(func.count(LoginFailure.id), func.max(LoginFailure.created_dt))
                                         .where(LoginFailure.key == key, LoginFailure.created_dt >= since)).one()
        if count >= limit:
            delay = min(FIRST_WAIT_SECONDS * 2 ** min(count - limit, 10), LONGEST_WAIT_SECONDS)
            last = last if last.tzinfo else last.replace(tzinfo=now.tzinfo)
            wait = max(wait, math.ceil((last + timedelta(seconds=delay) - now).total_seconds()))
    return wait


def is_login_throttled(email: str, remote_addr: str | None, device: str | None = None) -> bool:
    return login_wait(email, remote_addr, device) > 0


def recent_login_failures(limit: int = 10) -> list[tuple[str, int, datetime]]:
    """For admins: the accounts and network addresses with the most failed logins in the window."""
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW"])
    stmt = (select(LoginFailure.key, func.count(LoginFailure.id), func.max(LoginFailure.created_dt))
            .where(LoginFailure.created_dt >= since,
                   or_(LoginFailure.key.startswith("account:"), LoginFailure.key.startswith("ip:")))
            .group_by(LoginFailure.key).order_by(func.count(LoginFailure.id).desc(), LoginFailure.key).limit(limit))
    return [tuple(row) for row in db.session.execute(stmt)]


def authenticate(email: str, password: str) -> User | None:
    """The active user these credentials belong to, or None. Only reads (and hashes: slow on
    purpose), so the caller runs it before its unit of work."""
    user = get_user_by_email(email)
    if user is None:
        # Hash anyway, so an unknown address takes as long to refuse as a wrong password.
        check_password_hash(_dummy_hash(), password)
        return None
    return user if user.active and user.check_password(password) else None


def record_login(email: str, remote_addr: str | None, user: User | None, device: str | None = None) -> None:
    """A success lifts the account's throttles; a failure counts towards each that applies
    (and is logged when it reaches a limit, so admins see an attack)."""
    if user is not None:
        _clear_failures(user.email)
        return
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW"])
    for key, limit in _throttle_keys(email, remote_addr, device):
        db.session.add(LoginFailure(key=key))
        db.session.flush()
        count = db.session.scalar(select(func.count(LoginFailure.id))
                                  .where(LoginFailure.key == key, LoginFailure.created_dt >= since))
        if count == limit:
            current_app.logger.warning("Login throttled after %d failures: %s", count, key)
    # Old rows are of no use to the throttle; keep the table small.
    cutoff = utcnow() - timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW"] * 4)
    db.session.execute(delete(LoginFailure).where(LoginFailure.created_dt < cutoff))
    db.session.flush()


def check_login(email: str, password: str, remote_addr: str | None, device: str | None = None) -> User | None:
    """The user if the credentials are right; records a failure otherwise."""
    user = authenticate(email, password)
    record_login(email, remote_addr, user, device)
    return user


def _clear_failures(email: str) -> None:
    email = normalise_email(email)
    db.session.execute(delete(LoginFailure).where(or_(LoginFailure.key == f"account:{email}",
                                                      LoginFailure.key.startswith(f"pair:{email}|", autoescape=True))))


@functools.cache
def _dummy_hash() -> str:
    user = User()
    user.set_password(secrets.token_hex(16))  # hashed the way real passwords are
    return user.password_hash


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


def request_password_reset(email: str, *, locale: str | None, links: Links) -> None:
    """Every address gets one message, so known and unknown ones cost the same and the caller
    answers alike (no enumeration): an account's owner gets the reset link; an address without
    an account is told so, with a link to register it; a deactivated account's owner is told to
    ask the admins."""
    user = get_user_by_email(email)
    if not _may_mail(email):
        return
    if user is None:
        email = normalise_email(email)
        mail = Email(email, Message("accounts.email.password_reset_no_account"), "password_reset_no_account",
                     locale=locale, topic=account_mail_topic(email),
                     context={"link": links("register", make_registration_token(email)),
                              "hours": current_app.config["REGISTRATION_LINK_MAX_AGE"] // 3600})
        publish(Event("user.password_reset_unknown_address", None, emails=[mail]))  # the address is not kept
    elif not user.active:
        mail = Email(user.email, Message("accounts.email.password_reset_deactivated"),
                     "password_reset_deactivated", locale=user.locale or locale,
                     topic=account_mail_topic(user.email),
                     context={"user": user})
        publish(Event("user.password_reset_requested", user, actor=user, after={"active": False}, emails=[mail]))
    else:
        mail = Email(user.email, Message("accounts.email.password_reset"), "password_reset",
                     locale=user.locale or locale, topic=account_mail_topic(user.email),
                     context={"user": user, "link": links("reset", make_reset_token(user)),
                              "minutes": current_app.config["PASSWORD_RESET_MAX_AGE"] // 60})
        publish(Event("user.password_reset_requested", user, actor=user, emails=[mail]))
    db.session.flush()


def set_password(user: User, password: str, *, action: str = "user.password_changed",
                 keep_session: str | None = None) -> None:
    """A new password ends every session of the user but `keep_session` (the browser that
    changed it), and lifts the throttle that a forgotten one may have caused."""
    user.set_password(password)
    _clear_failures(user.email)
    ended = end_sessions(user, keep=keep_session)
    publish(Event(action, user, actor=user, after={"sessions_ended": ended}))
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise RuleViolation(field_errors={"current": [Message("accounts.wrong_current_password")]})
    set_password(user, new, keep_session=user.session_token)


# --- sessions ----------------------------------------------------------------------

def start_session(user: User, *, user_agent: str = "", remote_addr: str = "") -> str:
    """A new logged-in browser: returns the token its cookie carries (kept here only hashed)."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=hash_token(token), created_dt=utcnow(),
                               user_agent=(user_agent or "")[:200], remote_addr=(remote_addr or "")[:64]))
    db.session.flush()
    user.session_token = token
    return token


def end_session(user: User) -> None:
    """Log out this browser: its cookie, even copied, opens nothing any more."""
    if user.session_token:
        db.session.execute(update(UserSession).where(
            UserSession.user_id == user.id, UserSession.token_hash == hash_token(user.session_token),
            UserSession.ended_dt.is_(None)).values(ended_dt=utcnow()))
        db.session.flush()


def end_sessions(user: User, *, keep: str | None = None) -> int:
    """End every open session of the user but `keep` (a token); returns how many ended."""
    stmt = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_dt.is_(None))
    if keep:
        stmt = stmt.where(UserSession.token_hash != hash_token(keep))
    ended = db.session.execute(stmt.values(ended_dt=utcnow())).rowcount
    db.session.flush()
    return ended


def log_out_everywhere(user: User) -> int:
    ended = end_sessions(user)
    publish(Event("user.logged_out_everywhere", user, actor=user, after={"sessions_ended": ended}))
    db.session.flush()
    return ended


def open_sessions(user: User) -> list[UserSession]:
    return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user.id,
                                                             UserSession.ended_dt.is_(None))
                                   .order_by(UserSession.created_dt.desc())))


def set_active(admin: User, user: User, active: bool) -> None:
    """An admin deactivates (every session ends, API tokens stop working) or reactivates a user."""
    if not admin.is_admin:
        raise PermissionDenied(Message("accounts.admins_only"))
    if user.id == admin.id and not active:
        raise RuleViolation(Message("accounts.cannot_deactivate_self"))
    if user.active == active:
        return
    user.active = active
    ended = 0 if active else end_sessions(user)
    publish(Event("user.activated" if active else "user.deactivated", user, actor=admin,
                  before={"active": not active}, after={"active": active, "sessions_ended": ended}))
    db.session.flush()


def update_profile(user: User, *, name: str, locale: str | None) -> None:
    before = {"name": user.name, "locale": user.locale}
    user.name = name.strip()
    user.locale = locale or None
    publish(Event("user.updated", user, before=before, after={"name": user.name, "locale": user.locale}))
    db.session.flush()


def switch_organisation(user: User, organisation_id: int) -> Organisation:
    membership = next((m for m in user.memberships if m.organisation_id == organisation_id), None)
    if membership is None:
        raise NotFound(Message("accounts.not_a_member"))
    user.current_organisation = membership.organisation
    db.session.flush()
    return membership.organisation


# --- API tokens ----------------------------------------------------------------------

def issue_api_token(user: User, name: str = "API token", scopes=None, *, expires_days: int | None = None,
                    within=None) -> tuple[ApiToken, str]:
    """A new token row and the token itself; only its hash is stored, so this is the only time
    the token is seen. `scopes` default to all the owner may give; never more than the owner
    has, nor more than `within` (the scopes of the token that asks for it)."""
    allowed = set(scopes_for(user)) & (set(within) if within is not None else set(SCOPES))
    wanted = set(scopes) if scopes is not None else allowed
    if not wanted or not wanted <= set(SCOPES):
        raise RuleViolation(field_errors={"scopes": [Message("accounts.token_scopes", scopes=", ".join(SCOPES))]})
    if not wanted <= allowed:
        raise PermissionDenied(Message("accounts.token_scope_too_wide", scopes=", ".join(sorted(wanted - allowed))))
    token = "ifs_" + secrets.token_urlsafe(32)
    now = utcnow()
    api_token = ApiToken(user=user, name=name.strip() or "API token", token_hash=hash_token(token), prefix=token[:8],
                         scopes=" ".join(s for s in SCOPES if s in wanted), created_dt=now,
                         expires_dt=now + timedelta(days=expires_days) if expires_days else None)
    db.session.add(api_token)
    publish(Event("api_token.created", api_token, actor=user,
                  after={"name": api_token.name, "prefix": api_token.prefix, "scopes": api_token.scopes,
                         "expires_dt": api_token.expires_dt}))
    db.session.flush()
    return api_token, token


def create_api_token(user: User, name: str = "API token") -> str:
    return issue_api_token(user, name)[1]


def revoke_api_token(user: User, token_id: int) -> None:
    api_token = db.session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != user.id:
        raise NotFound(Message("accounts.no_such_token"))
    if api_token.revoked_dt is None:
        api_token.revoked_dt = utcnow()
        publish(Event("api_token.revoked", api_token, actor=user,
                      before={"revoked": False}, after={"revoked": True, "prefix": api_token.prefix}))
        db.session.flush()


# --- deleting one's account -----------------------------------------------------------

def delete_account(user: User, password: str) -> list[Organisation]:
    """The person leaves: their name, address and password go, every session and token ends,
    each domain forgets what is theirs (booking.personal_data), and records the city must keep
    (reservations, invoices, statistics, signed agreements, the audit trail) stay without a
    person. An organisation they alone owned passes to its longest-standing member; one with
    nobody left is reported to the admins. Returns the organisations left without members."""
    if not user.check_password(password):
        raise RuleViolation(field_errors={"password": [Message("accounts.wrong_current_password")]})
    if user.is_admin and not db.session.scalar(select(func.count(User.id)).where(
            User.role == Role.admin, User.active.is_(True), User.id != user.id)):
        raise RuleViolation(Message("accounts.last_admin"))
    orphaned = []
    for membership in list(user.memberships):
        organisation = membership.organisation
        others = sorted((m for m in organisation.memberships if m.user_id != user.id), key=lambda m: m.created_dt)
        if membership.role == MembershipRole.owner and not any(m.role == MembershipRole.owner for m in others):
            if others:
                others[0].role = MembershipRole.owner
                publish(Event("organisation.owner_handed_over", organisation, actor=user,
                              after={"owner_user_id": others[0].user_id}))
            else:
                orphaned.append(organisation)
        db.session.delete(membership)
    db.session.flush()
    personal_data.erase(user)
    user.name, user.email = "Deleted user", f"deleted-{user.id}@deleted.invalid"
    user.set_password(secrets.token_hex(32))
    user.active, user.locale, user.current_organisation = False, None, None
    user.departments = []   # no longer listed among any department's managers
    emails = [Email(admin.email, Message("accounts.email.organisation_orphaned", organisation=o.name),
                    "organisation_orphaned", locale=admin.locale, topic=f"organisation:{o.id}",
                    context={"organisation": o})
              for o in orphaned for admin in db.session.scalars(select(User).where(User.role == Role.admin,
                                                                                  User.active.is_(True)))]
    publish(Event("user.deleted", user, actor=user, after={"organisations_without_members": [o.id for o in orphaned]},
                  emails=emails))
    db.session.flush()
    return orphaned

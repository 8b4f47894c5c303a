"""Pure account rules: business ID format, passwords, and who may do what.

Every permission question is one `can_*` function, asked by views, API routes and
templates alike. They take plain objects and read only attributes, never the session.
"""
from __future__ import annotations

import re

from booking.accounts.models import MembershipRole, Role

_Y_TUNNUS = re.compile(r"^(\d{7})-(\d)$")
_Y_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)
MIN_PASSWORD_LENGTH = 10
# A department gives its managers this many working days to decide a request.
DECISION_DAYS_RANGE = (1, 30)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def is_valid_business_id(value: str) -> bool:
    """A Finnish business ID (Y-tunnus): seven digits, a hyphen and a mod-11 check digit."""
    match = _Y_TUNNUS.match(value.strip())
    if not match:
        return False
    remainder = sum(int(d) * w for d, w in zip(match.group(1), _Y_WEIGHTS)) % 11
    if remainder == 1:
        return False
    expected = 0 if remainder == 0 else 11 - remainder
    return int(match.group(2)) == expected


def is_strong_password(password: str) -> bool:
    """Long enough, and not only letters or only digits."""
    return (len(password) >= MIN_PASSWORD_LENGTH
            and not password.isdigit() and not password.isalpha())


def _is_authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def can_administer(user) -> bool:
    """Users, organisations, templates, the whole audit trail and the outbox."""
    return _is_authenticated(user) and user.role == Role.admin


def can_manage_department(user, department_id: int | None) -> bool:
    if not _is_authenticated(user):
        return False
    if user.role == Role.admin:
        return True
    return user.role == Role.facility_manager and department_id in user.department_ids


def can_view_audit(user) -> bool:
    """Admins see every event; managers see those of their departments."""
    return _is_authenticated(user) and user.role in (Role.admin, Role.facility_manager)


def can_view_outbox(user) -> bool:
    return can_administer(user)


def can_act_for(user, organisation_id: int | None) -> bool:
    """Whether the user is a member of the organisation (and so may book for it)."""
    if not _is_authenticated(user) or organisation_id is None:
        return False
    return any(m.organisation_id == organisation_id for m in user.memberships)


def can_manage_organisation(user, organisation_id: int) -> bool:
    """Owners edit their organisation; admins edit any."""
    if can_administer(user):
        return True
    return _is_authenticated(user) and any(
        m.organisation_id == organisation_id and m.role == MembershipRole.owner for m in user.memberships)


# --- API token scopes -------------------------------------------------------------------

# read: GET anything the owner may see; book: the owner's own changes (reservations,
# proposals, feeds, settings); manage: a manager's decisions and settings; admin: the city's
# administration, token management included. A token never has more than its owner.
SCOPES = ("read", "book", "manage", "admin")


def scopes_for(user) -> tuple[str, ...]:
    """The scopes the user's tokens may have."""
    role = getattr(getattr(user, "role", None), "value", None)
    if role == "admin":
        return SCOPES
    if role == "facility_manager":
        return ("read", "book", "manage")
    return ("read", "book")

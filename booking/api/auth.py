"""Bearer-token authentication for /api/v1.

Tokens are the API's credentials. A browser session is also accepted, but only for
safe methods (GET/HEAD), so the API needs no CSRF token and a cross-site form can
never write through it.
"""
from __future__ import annotations

from datetime import timedelta

from flask import g, request
from flask_login import current_user
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import joinedload

from booking.accounts.models import ApiToken, Membership, User, hash_token
from booking.api.errors import problem
from booking.database import utcnow
from booking.extensions import db
from booking.unit_of_work import unit_of_work


LAST_USE_PRECISION = timedelta(minutes=5)   # how often a token's "last used" is written


# A token with its owner and the owner's memberships with their organisations (what most
# calls check, and whom a booking is for), in one query; built once, as every call runs it.
_TOKEN_WITH_OWNER = select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash")).options(
    joinedload(ApiToken.user).joinedload(User.memberships).joinedload(Membership.organisation))


def token_for(token: str) -> ApiToken | None:
    """The token's row if it works now (not revoked, not expired, its owner active), with its
    owner, their memberships and organisations."""
    api_token = db.session.scalar(_TOKEN_WITH_OWNER, {"token_hash": hash_token(token)})
    if api_token is None or not api_token.is_active or not api_token.user.active:
        return None
    if api_token.expires_dt is not None and api_token.expires_dt <= utcnow():
        return None
    return api_token


def user_for_token(token: str):
    api_token = token_for(token)
    return api_token.user if api_token is not None else None


def _note_use(api_token: ApiToken) -> None:
    """The profile shows when each token was last used: written at most every few minutes,
    in its own short unit of work (a conditional UPDATE: two workers write it once)."""
    now = utcnow()
    if api_token.last_used_dt is not None and api_token.last_used_dt > now - LAST_USE_PRECISION:
        return
    with unit_of_work():
        db.session.execute(update(ApiToken).where(
            ApiToken.id == api_token.id,
            or_(ApiToken.last_used_dt.is_(None), ApiToken.last_used_dt <= now - LAST_USE_PRECISION))
            .values(last_used_dt=now))


def authenticate(required: bool, scope: str = "read"):
    """The calling user, None for an anonymous caller, or a 401/403 problem response."""
    g.api_token = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        api_token = token_for(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if api_token is None:
            return _unauthorised("The bearer token is missing, malformed, revoked, expired or unknown.")
        if scope not in api_token.scope_set:
            return problem(403, "Forbidden", f"This token lacks the '{scope}' scope; its scopes: {api_token.scopes}.")
        g.api_token = api_token
        _note_use(api_token)
        return api_token.user
    if request.method in ("GET", "HEAD") and current_user.is_authenticated:
        return current_user._get_current_object()
    if required:
        return _unauthorised("This endpoint needs 'Authorization: Bearer <token>'.")
    return None


def _unauthorised(detail: str):
    response = problem(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Bearer realm="infrashare"'
    return response



def token_has(scope: str) -> bool:
    """Whether this request's bearer token (if any) has the scope; a session has every scope
    its user has (the API accepts sessions only for GET)."""
    api_token = g.get("api_token")
    return api_token is None or scope in api_token.scope_set

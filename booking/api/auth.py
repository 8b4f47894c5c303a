"""Bearer-token authentication for /api/v1.

Tokens are the API's credentials. A browser session is also accepted, but only for
safe methods (GET/HEAD), so the API needs no CSRF token and a cross-site form can
never write through it.
"""
from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy import select

from booking.accounts.models import ApiToken, hash_token
from booking.api.errors import problem
from booking.extensions import db


def user_for_token(token: str):
    api_token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if api_token is None or not api_token.is_active or not api_token.user.active:
        return None
    return api_token.user


def authenticate(required: bool):
    """The calling user, None for an anonymous caller, or a 401 problem response."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            return _unauthorised("The bearer token is missing, malformed, revoked or unknown.")
        return user
    if request.method in ("GET", "HEAD") and current_user.is_authenticated:
        return current_user._get_current_object()
    if required:
        return _unauthorised("This endpoint needs 'Authorization: Bearer <token>'.")
    return None


def _unauthorised(detail: str):
    response = problem(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Bearer realm="infrashare"'
    return response


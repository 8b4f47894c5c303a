"""Errors a user can cause, raised by services and shown by views (flash) or the API (problem+json).

Each carries every reason, not just the first, so a form or an API client can show them all.
"""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, *reasons, field_errors: dict[str, list[str]] | None = None, extra: dict | None = None):
        self.reasons = [str(r) for r in reasons]
        self.field_errors = field_errors or {}
        self.extra = extra or {}
        super().__init__("; ".join(self.reasons) or self.title)

    def all_reasons(self) -> list[str]:
        return self.reasons + [f"{name}: {msg}" for name, msgs in self.field_errors.items() for msg in msgs]


class NotFound(DomainError):
    status = 404
    title = "Not found"


class PermissionDenied(DomainError):
    status = 403
    title = "Forbidden"


class Conflict(DomainError):
    """The thing asked for collides with what exists (a taken time, a duplicate name)."""
    status = 409
    title = "Conflict"


class RuleViolation(DomainError):
    """The request is understood but breaks one or more rules."""
    status = 422
    title = "Unprocessable request"

"""Errors a user can cause, raised by services and shown by views (flash) or the API (problem+json).

Each carries every reason, not just the first, so a form or an API client can show them all.
A reason is a `Message` (a code and its values, worded by booking.formatting in the
reader's language when shown) or, for text that is already words, a plain string.
"""
from __future__ import annotations


class Message:
    """A sentence by code: `Message("reservation.too_long", minutes=480)`."""

    __slots__ = ("code", "params")

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params

    def __str__(self) -> str:
        from booking.formatting import render

        return render(self)

    def __repr__(self) -> str:
        return f"Message({self.code!r}, {self.params!r})"

    def __eq__(self, other):
        if isinstance(other, Message):
            return (self.code, self.params) == (other.code, other.params)
        return NotImplemented

    def __hash__(self):
        return hash(self.code)


def code_of(reason) -> str | None:
    return reason.code if isinstance(reason, Message) else None


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, *reasons, field_errors: dict[str, list] | None = None, extra: dict | None = None):
        self.messages = list(reasons)
        self.field_messages = {name: list(msgs) for name, msgs in (field_errors or {}).items()}
        self.extra = extra or {}
        super().__init__(self.title)

    def __str__(self) -> str:
        return "; ".join(self.all_reasons()) or self.title

    @property
    def reasons(self) -> list[str]:
        """The reasons in words, in the current language."""
        return [str(r) for r in self.messages]

    @property
    def field_errors(self) -> dict[str, list[str]]:
        return {name: [str(m) for m in msgs] for name, msgs in self.field_messages.items()}

    @property
    def codes(self) -> list[str]:
        every = self.messages + [m for msgs in self.field_messages.values() for m in msgs]
        return [c for c in map(code_of, every) if c]

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

"""application/problem+json responses (RFC 9457)."""
from __future__ import annotations

from flask import jsonify
from pydantic import ValidationError

from booking.errors import DomainError, Message, code_of

PROBLEM_TYPE = "application/problem+json"


def problem(status: int, title: str, detail: str = "", errors: list | None = None, **extra):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail or title}
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_TYPE
    return response


def _location(loc) -> str:
    return ".".join(str(part) for part in loc) or "body"


def validation_problem(exc: ValidationError):
    errors = [{"field": _location(e["loc"]), "message": e["msg"]} for e in exc.errors()]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "Invalid input", detail, errors)


def _worded(value):
    """Messages anywhere in an error's extra members, in words."""
    if isinstance(value, Message):
        return str(value)
    if isinstance(value, dict):
        return {k: _worded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_worded(v) for v in value]
    return value


def _error(reason, field: str | None = None) -> dict:
    item = {"field": field} if field else {}
    if code_of(reason):
        item["code"] = code_of(reason)
    item["message"] = str(reason)
    return item


def domain_problem(exc: DomainError):
    errors = [_error(reason) for reason in exc.messages]
    errors += [_error(msg, name) for name, msgs in exc.field_messages.items() for msg in msgs]
    return problem(exc.status, exc.title, "; ".join(e["message"] for e in errors) or exc.title,
                   errors, **_worded(exc.extra))

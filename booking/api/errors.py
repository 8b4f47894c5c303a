"""application/problem+json responses (RFC 9457)."""
from __future__ import annotations

from flask import jsonify
from pydantic import ValidationError

from booking.errors import DomainError

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


def domain_problem(exc: DomainError):
    errors = [{"message": reason} for reason in exc.reasons]
    errors += [{"field": name, "message": msg} for name, msgs in exc.field_errors.items() for msg in msgs]
    return problem(exc.status, exc.title, "; ".join(e["message"] for e in errors) or exc.title,
                   errors, **exc.extra)

"""The JSON API at /api/v1: one blueprint, routes declared with `route`, which also feeds OpenAPI.

Domains declare their JSON routes in their own `api.py` with this decorator; the
blueprint is registered after they are imported (see create_app).
"""
from __future__ import annotations

import json
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, Response, current_app, g, jsonify, request
from pydantic import BaseModel, ValidationError

from booking.api.auth import authenticate
from booking.api.errors import problem, validation_problem
from booking.api.strictness import check_json_scalars
from booking.content import LANGUAGES, content_language
from booking.unit_of_work import unit_of_work

api = Blueprint("api", __name__, url_prefix="/api/v1")


@dataclass
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    tag: str
    auth: str  # "public", "optional" or "token"
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    response: Any  # a pydantic model, list of one, or None
    status: int
    errors: tuple[int, ...] = field(default_factory=tuple)
    description: str = ""
    content_type: str = "application/json"
    body_required: bool = True


OPERATIONS: list[Operation] = []


def route(rule: str, method: str = "GET", *, summary: str, tag: str, auth: str = "token", scope: str | None = None,
          query: type[BaseModel] | None = None, body: type[BaseModel] | None = None,
          response: Any = None, status: int = 200, errors: tuple[int, ...] = (),
          content_type: str = "application/json", body_required: bool = True, own_unit: bool = False) -> Callable:
    """Declare a JSON route: authenticate, validate query and body, serialise the result.

    The view receives path arguments, then `query=` and `body=` as validated models, and
    returns a model, a dict, a list, or a ready Response. A bearer token must have `scope`
    (default: "read" for GET, "book" for a change; booking.accounts.rules.SCOPES). A declared
    body is required (400 without one) unless `body_required=False`, which only a model of
    optional fields may say (no body is then the same as `{}`); the OpenAPI document says which.
    A write runs in one unit of work around the view, unless `own_unit=True`: then the view opens
    its own, after slow reading work (a solver) that must not hold the write lock.
    """
    needed = scope or ("read" if method in ("GET", "HEAD") else "book")
    assert body is not None or body_required, "body_required=False needs a body model"
    assert body_required or _all_optional(body), f"{body.__name__} has required fields: its body is required"

    def decorator(fn: Callable) -> Callable:
        endpoint = fn.__name__

        @wraps(fn)
        def view(**path_args):
            # A public route needs no identity, so it does not even look at the credentials.
            user = None if auth == "public" else authenticate(required=(auth == "token"), scope=needed)
            if isinstance(user, Response):
                return user
            g.api_user = user
            g.content_language = requested_language()
            kwargs = {}
            try:
                if query is not None:
                    kwargs["query"] = query.model_validate(_query_args(query))
                if body is not None:
                    data = _json_body()
                    if isinstance(data, Response):
                        return data
                    if data is None and body_required:
                        return problem(400, "Bad request", "The request body must be a JSON object.")
                    check_json_scalars(body, {} if data is None else data)  # "5" is not 5 in a body
                    kwargs["body"] = body.model_validate({} if data is None else data)
            except ValidationError as exc:
                return validation_problem(exc)
            # A write is one unit of work: the response is built inside it, before the commit.
            with unit_of_work() if method != "GET" and not own_unit else nullcontext():
                result = fn(**path_args, **kwargs)
                if isinstance(result, Response):
                    return result
                if isinstance(result, BaseModel):
                    result = result.model_dump(mode="json")
                elif isinstance(result, list):
                    result = [r.model_dump(mode="json") if isinstance(r, BaseModel) else r for r in result]
            if result is None:
                return Response(status=204)
            response_ = jsonify(result)
            response_.status_code = status
            response_.headers["Content-Language"] = g.content_language
            return response_

        api.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=[method])
        OPERATIONS.append(Operation(rule, method, endpoint, summary, tag, auth, query, body,
                                    response, status, errors,
                                    ((fn.__doc__ or "").strip() + f"\n\nA bearer token needs the `{needed}` scope.").strip(),
                                    content_type, body_required))
        return view

    return decorator


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(raw: bytes) -> int:
    """How deeply a JSON text nests, found without parsing it (the parser recurses, and a
    body nested 100,000 deep would exhaust the stack)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", raw)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def _json_body():
    """The request's JSON (None when empty), or a problem response: too large (413), too
    deep or not JSON (400). Measured before it is read or parsed."""
    limit = current_app.config["API_MAX_BODY_BYTES"]
    if (request.content_length or 0) > limit:
        return problem(413, "Payload Too Large", f"The request body may be at most {limit} bytes.")
    raw = request.get_data()  # no larger than MAX_CONTENT_LENGTH, which Werkzeug enforces
    if len(raw) > limit:
        return problem(413, "Payload Too Large", f"The request body may be at most {limit} bytes.")
    if not raw.strip():
        return None
    max_depth = current_app.config["API_MAX_JSON_DEPTH"]
    if json_depth(raw) > max_depth:
        return problem(400, "Bad request", f"The JSON body may nest at most {max_depth} levels deep.")
    if not request.is_json:
        return problem(400, "Bad request", "The request body must be a JSON object.")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return problem(400, "Bad request", "The request body must be a JSON object.")


def _all_optional(model: type[BaseModel]) -> bool:
    return not any(info.is_required() for info in model.model_fields.values())


LANG_PARAMETER = "lang"


def requested_language() -> str:
    """The language of the city's texts in a response: `?lang=`, else the best of
    Accept-Language, else the content language. An unknown `lang` is ignored, not refused:
    the Content-Language header says which language was used."""
    asked = request.args.get(LANG_PARAMETER, "").strip().lower()
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES) or content_language()


def _query_args(model: type[BaseModel]) -> dict:
    """Query string → dict; a field typed as a list takes every repeated value. `lang` is
    every route's (requested_language), not the model's."""
    out = {}
    for name in request.args:
        if name == LANG_PARAMETER and name not in model.model_fields:
            continue
        values = request.args.getlist(name)
        info = model.model_fields.get(name)
        is_list = info is not None and "list" in str(info.annotation).lower()
        out[name] = values if is_list else values[-1]
    return out


def api_user():
    """The caller of the current API request (None on a public route without a token)."""
    return g.get("api_user")

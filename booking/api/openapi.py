"""The OpenAPI 3.1 document, generated from the declared routes and their pydantic models."""
from __future__ import annotations

import re
import typing

from flask import current_app
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from booking.api import OPERATIONS, Operation, api, route

_PATH_ARG = re.compile(r"<(?:(\w+):)?(\w+)>")
REF = "#/components/schemas/{model}"

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}


def _models(operations: list[Operation]) -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for op in operations:
        for model in (op.body, _response_model(op.response)):
            if model is not None:
                found[model.__name__] = model
    return list(found.values())


def _response_model(response):
    if response is None:
        return None
    if typing.get_origin(response) is list:
        return typing.get_args(response)[0]
    return response


def _response_schema(response) -> dict | None:
    if response is None:
        return None
    if typing.get_origin(response) is list:
        return {"type": "array", "items": {"$ref": REF.format(model=typing.get_args(response)[0].__name__)}}
    return {"$ref": REF.format(model=response.__name__)}


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        description = prop.pop("description", "")
        prop.pop("title", None)
        params.append({"name": name, "in": "query", "required": name in required,
                       "description": description, "schema": prop})
    return params


def _path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def replace(match):
        converter, name = match.group(1), match.group(2)
        schema = {"type": "integer"} if converter == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return _PATH_ARG.sub(replace, rule), params


def build_document() -> dict:
    operations = sorted(OPERATIONS, key=lambda op: (op.rule, op.method))
    _, definitions = models_json_schema([(m, "validation") for m in _models(operations)], ref_template=REF)
    components = {"schemas": {**definitions.get("$defs", {}), "Problem": PROBLEM_SCHEMA},
                  "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                 "description": "A personal API token (profile page or `flask create-token`)."}}}
    paths: dict[str, dict] = {}
    for op in operations:
        path, params = _path(api.url_prefix + op.rule)
        entry = {"operationId": op.endpoint, "summary": op.summary, "tags": [op.tag],
                 "parameters": params + (_query_parameters(op.query) if op.query else [])}
        if op.description:
            entry["description"] = op.description
        if op.auth == "token":
            entry["security"] = [{"bearer": []}]
        elif op.auth == "optional":
            entry["security"] = [{}, {"bearer": []}]
        else:
            entry["security"] = []
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": REF.format(model=op.body.__name__)}}}}
        schema = _response_schema(op.response)
        ok = {"description": "OK" if op.status != 201 else "Created"}
        if schema is not None:
            ok["content"] = {op.content_type: {"schema": schema}}
        elif op.content_type != "application/json":
            ok["content"] = {op.content_type: {"schema": {"type": "string"}}}
        responses = {str(op.status): ok}
        problem_codes = set(op.errors)
        if op.query or op.body:
            problem_codes.add(422)
        if op.auth == "token":
            problem_codes.add(401)
        if params:
            problem_codes.add(404)
        for code in sorted(problem_codes):
            responses[str(code)] = {"description": "Problem", "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        entry["responses"] = responses
        paths.setdefault(path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Infrashare API", "version": "1.0.0",
                 "description": "Catalogue, availability, reservations, agreements, feeds and open statistics "
                                "of a city's shareable infrastructure. Errors are application/problem+json."},
        "servers": [{"url": current_app.config["BASE_URL"]}],
        "paths": paths,
        "components": components,
    }


@route("/openapi.json", summary="This OpenAPI document", tag="meta", auth="public")
def openapi_document():
    return build_document()

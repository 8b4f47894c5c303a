"""The OpenAPI 3.1 document, generated from the declared routes and their pydantic models."""
from __future__ import annotations

import re
import typing
from http import HTTPStatus

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


def _response_model(response):
    if typing.get_origin(response) is list:
        return typing.get_args(response)[0]
    return response


def _schemas(operations: list[Operation]) -> tuple[dict, dict]:
    """JSON Schemas of every model the operations use: a `$ref` per (model, mode), and the
    definitions they point to.

    pydantic names the definitions itself (`Page[TokenOut]` becomes `Page_TokenOut_`, a model
    used both ways may become `X-Input` and `X-Output`), so refs are taken from its answer.
    """
    pairs = []
    for op in operations:
        for model, mode in ((op.query, "validation"), (op.body, "validation"),
                            (_response_model(op.response), "serialization")):
            if model is not None and (model, mode) not in pairs:
                pairs.append((model, mode))
    refs, definitions = models_json_schema(pairs, ref_template=REF)
    return refs, definitions.get("$defs", {})


def _response_schema(response, refs: dict) -> dict | None:
    if response is None:
        return None
    if typing.get_origin(response) is list:
        return {"type": "array", "items": refs[(_response_model(response), "serialization")]}
    return refs[(response, "serialization")]


def _query_parameters(model: type[BaseModel], refs: dict, definitions: dict) -> list[dict]:
    schema = definitions[refs[(model, "validation")]["$ref"].rsplit("/", 1)[-1]]
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
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
    refs, definitions = _schemas(operations)
    components = {"schemas": {**definitions, "Problem": PROBLEM_SCHEMA},
                  "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                 "description": "A personal API token (profile page or `flask create-token`)."}}}
    paths: dict[str, dict] = {}
    for op in operations:
        path, params = _path(api.url_prefix + op.rule)
        entry = {"operationId": op.endpoint, "summary": op.summary, "tags": [op.tag],
                 "parameters": params + (_query_parameters(op.query, refs, definitions) if op.query else [])
                 + [LANG_PARAMETER]}
        if op.description:
            entry["description"] = op.description
        entry["security"] = {"token": [{"bearer": []}], "optional": [{}, {"bearer": []}]}.get(op.auth, [])
        if op.body is not None:
            entry["requestBody"] = {"required": op.body_required, "content": {"application/json": {
                "schema": refs[(op.body, "validation")]}}}
        entry["responses"] = _responses(op, params, refs)
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


# Every operation takes it; the response's Content-Language header says what was used.
LANG_PARAMETER = {
    "name": "lang", "in": "query", "required": False,
    "description": "language of the city's texts (facility names, descriptions, …): en, fi or sv; without it "
                   "the best of Accept-Language, else the city's content language. Where a text has no "
                   "translation the content language's is given. The response's Content-Language says "
                   "which language was asked for and used.",
    "schema": {"type": "string", "enum": ["en", "fi", "sv"]}}


def _responses(op: Operation, path_params: list, refs: dict) -> dict:
    schema = _response_schema(op.response, refs)
    ok = {"description": {201: "Created", 204: "No content"}.get(op.status, "OK")}
    if op.status != 204:
        ok["headers"] = {"Content-Language": {"description": "the language of the city's texts in the response",
                                              "schema": {"type": "string"}}}
    if schema is not None:
        ok["content"] = {op.content_type: {"schema": schema}}
    elif op.content_type != "application/json":
        ok["content"] = {op.content_type: {"schema": {"type": "string"}}}
    responses = {str(op.status): ok}
    problem_codes = set(op.errors)
    if op.body:
        problem_codes.update((400, 413))  # a body that is not JSON, too deep, or too large
    if op.query or op.body:
        problem_codes.add(422)
    if op.auth != "public":
        problem_codes.add(401)  # no token where one is needed, or a bad one
    if path_params:
        problem_codes.add(404)
    for code in sorted(problem_codes):
        responses[str(code)] = {"description": HTTPStatus(code).phrase, "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    return responses


@route("/openapi.json", summary="This OpenAPI document", tag="meta", auth="public")
def openapi_document():
    return build_document()

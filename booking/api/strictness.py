"""JSON numbers and booleans as the OpenAPI document says they are: a body's integer, number or
boolean must be one in JSON, not text that looks like one ("5", "true") nor a boolean where a
number is due. Pydantic's lax mode would convert them; its strict mode would also refuse the ISO
8601 strings dates and instants arrive as, so the body is checked against the model's own JSON
schema first and pydantic validates as before.
"""
from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

_SCALARS = {"integer": "an integer", "number": "a number", "boolean": "true or false"}


@cache
def _schema(model: type[BaseModel]) -> dict:
    return model.model_json_schema()  # by alias, as the body's keys are


def check_json_scalars(model: type[BaseModel], data) -> None:
    """Raise a ValidationError naming every integer, number or boolean given as something else."""
    schema = _schema(model)
    found: list[tuple[tuple, str, object]] = []
    _walk(schema, data, (), schema.get("$defs", {}), found)
    if found:
        raise ValidationError.from_exception_data(model.__name__, [
            {"type": PydanticCustomError("json_type", "must be {expected} in JSON, not {given}",
                                         {"expected": _SCALARS[kind], "given": _json_type(value)}),
             "loc": loc, "input": value}
            for loc, kind, value in found])


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    return "null" if value is None else "an array" if isinstance(value, list) else "an object"


def _resolve(node: dict, defs: dict) -> dict:
    while "$ref" in node:
        node = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
    return node


def _fits(node: dict, value) -> bool:
    """Whether a value is of the node's JSON type (a node that names none takes anything)."""
    kind = node.get("type")
    if "enum" in node:
        return value in node["enum"]
    if "const" in node:
        return value == node["const"]
    return {None: True,
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "string": isinstance(value, str),
            "null": value is None,
            "object": isinstance(value, dict),
            "array": isinstance(value, list)}.get(kind, True)


def _walk(node: dict, value, loc: tuple, defs: dict, found: list) -> None:
    node = _resolve(node, defs)
    for part in node.get("allOf", ()):
        _walk(part, value, loc, defs, found)
    branches = [_resolve(b, defs) for b in node.get("anyOf", node.get("oneOf", ()))]
    if branches:
        fitting = [b for b in branches if _fits(b, value)]
        if fitting:
            _walk(fitting[0], value, loc, defs, found)
        elif scalars := [b["type"] for b in branches if b.get("type") in _SCALARS]:
            found.append((loc, scalars[0], value))
        return
    kind = node.get("type")
    if kind in _SCALARS and not _fits(node, value):
        found.append((loc, kind, value))
    elif isinstance(value, dict):
        properties = node.get("properties", {})
        extra = node.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                _walk(sub, item, (*loc, key), defs, found)
    elif isinstance(value, list):
        prefix = node.get("prefixItems", [])
        items = node.get("items")
        for index, item in enumerate(value):
            sub = prefix[index] if index < len(prefix) else items if isinstance(items, dict) else None
            if sub is not None:
                _walk(sub, item, (*loc, index), defs, found)

"""/api/v1/openapi.json is a valid OpenAPI 3.1 document that describes every route under /api/v1."""
import re

from openapi_spec_validator import OpenAPIV31SpecValidator

from booking.api import api

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_the_document_is_valid_openapi_3_1(client):
    document = _document(client)
    assert document["openapi"].startswith("3.1")
    errors = [str(e.message) for e in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []


def _missing(app, paths) -> list[str]:
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(api.url_prefix + "/"):
            continue
        path = _openapi_path(rule.rule)
        for method in sorted(rule.methods - IGNORED_METHODS):
            if method.lower() not in paths.get(path, {}):
                missing.append(f"{method} {path}")
    return missing


def test_every_api_route_is_in_the_document(app, client):
    """Iterates the app's url_map, so routes that any domain adds later are checked too."""
    missing = _missing(app, _document(client)["paths"])
    assert missing == [], "API routes missing from openapi.json (declare them with booking.api.route)"


def test_a_route_added_around_the_decorator_would_be_caught(app, client):
    app.add_url_rule("/api/v1/things/<int:thing_id>", "undeclared", lambda thing_id: "", methods=["PUT"])
    assert _missing(app, _document(client)["paths"]) == ["PUT /api/v1/things/{thing_id}"]


def test_the_document_describes_no_route_that_does_not_exist(app, client):
    served = {(_openapi_path(r.rule), m.lower()) for r in app.url_map.iter_rules() for m in r.methods}
    described = {(path, method) for path, item in _document(client)["paths"].items() for method in item}
    assert described - served == set()


def test_every_operation_has_an_id_a_summary_and_its_problems(client):
    document = _document(client)
    operation_ids = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            operation_ids.append(operation["operationId"])
            assert operation["summary"], f"{method} {path} has no summary"
            problems = {code for code, r in operation["responses"].items()
                        if "application/problem+json" in r.get("content", {})}
            if operation["security"] and operation["security"] != [{}]:
                assert "401" in problems, f"{method} {path} needs a token but documents no 401"
            if "requestBody" in operation:
                assert {"400", "422"} <= problems, f"{method} {path} takes a body but documents no 400/422"
    assert len(operation_ids) == len(set(operation_ids))


def test_the_accounts_routes_are_described(client):
    document = _document(client)
    me = document["paths"]["/api/v1/me"]
    assert me["get"]["security"] == [{"bearer": []}]
    assert me["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/MeOut"}
    tokens = document["paths"]["/api/v1/tokens"]
    assert [p["name"] for p in tokens["get"]["parameters"]] == ["page", "per_page", "lang"]
    listing = tokens["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert listing.rsplit("/", 1)[-1] in document["components"]["schemas"]
    revoke = document["paths"]["/api/v1/tokens/{token_id}"]["delete"]
    assert revoke["parameters"][0] == {"name": "token_id", "in": "path", "required": True,
                                       "schema": {"type": "integer"}}
    assert {"204", "401", "404"} <= set(revoke["responses"])
    assert document["paths"]["/api/v1/openapi.json"]["get"]["security"] == []

"""The API fuzzed from its own OpenAPI document (schemathesis): no input gives a 5xx, and every
response matches the document. Anonymous and with a member's token; valid and invalid data.

Bounded and stable: a few derandomised examples per operation, against the WSGI app itself.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from booking.extensions import db

EXAMPLES = 6  # per operation, caller and mode: 24 cases each, within the CI budget
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def fuzz_world(create_facility, member, token_for):
    """Something to find: a published facility and a member with a token."""
    create_facility(name="Fuzz Hall")
    return token_for(member)


def _fuzz(operation, headers, mode):
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        try:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)
        finally:
            db.session.rollback()  # whatever a case left in the session, the next one starts clean

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("caller", ["anonymous", "member"])
def test_no_input_gives_a_server_error_or_breaks_the_document(api_schema, fuzz_world, caller, mode):
    headers = fuzz_world if caller == "member" else {}
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        try:
            _fuzz(operation, headers, mode)
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)

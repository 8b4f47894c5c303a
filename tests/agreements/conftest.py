"""Reservation tests call services outside a request, as jobs and the CLI do: give them a locale."""
import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def _english(request):
    if "app" not in request.fixturenames:  # pure tests need no app
        yield
        return
    request.getfixturevalue("app")
    with force_locale("en"):
        yield

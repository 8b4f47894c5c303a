"""Every request to a manager's page (/manage/…) runs with the unit-of-work guard on: a write
outside `with unit_of_work():` fails the request, so each test here also checks the boundary."""
from __future__ import annotations

import pytest
from flask import request

from booking import unit_of_work


@pytest.fixture(autouse=True)
def manager_pages_write_only_in_their_unit_of_work(app):
    @app.before_request
    def guard():
        unit_of_work.GUARD = request.path.startswith("/manage/")

    @app.teardown_request
    def unguard(_exc):
        unit_of_work.GUARD = False

    yield
    unit_of_work.GUARD = False

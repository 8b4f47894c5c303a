"""Absolute links in calendars: feed URLs, webcal:// links, and the pages events point back to.

Event links are built from a template made once per calendar, not with url_for per event
(10,000 url_for calls were a fifth of a large feed's time), and without a request, so e-mail
attachments made by a job get the same links.
"""
from __future__ import annotations

from typing import Callable
from urllib.parse import urlsplit

from flask import current_app

_SENTINEL = "4815162342"


def host() -> str:
    """The host in every UID: the configured site's, never the request's, so UIDs stay the same."""
    return urlsplit(current_app.config["BASE_URL"]).hostname or "infrashare"


def base_url() -> str:
    return current_app.config["BASE_URL"]


def _template(endpoint: str, argument: str, base: str) -> Callable[[object], str]:
    path = current_app.url_map.bind("localhost").build(endpoint, {argument: _SENTINEL})
    before, after = path.split(_SENTINEL, 1)
    prefix = base.rstrip("/") + before
    return lambda value: f"{prefix}{value}{after}"


def reservation_link(base: str | None = None) -> Callable[[object], str]:
    """id → the reservation's page."""
    return _template("reservations.detail", "reservation_id", base or base_url())


def facility_link(base: str | None = None) -> Callable[[object], str]:
    """slug → the facility's public page."""
    return _template("facilities.detail", "slug", base or base_url())


def webcal(url: str) -> str:
    """The same address for a calendar app to subscribe to: webcal:// opens the calendar app,
    which fetches it over https or http (the scheme every client knows; webcals:// is not)."""
    return "webcal://" + url.split("://", 1)[1]

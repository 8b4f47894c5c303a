"""Every response carries the security headers; HSTS only where the site is HTTPS; gunicorn
names no software or version."""
from __future__ import annotations

import runpy
from pathlib import Path

import gunicorn.http.wsgi
import pytest

from booking.site import content_security_policy

GUNICORN_CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


@pytest.mark.parametrize("path", ["/", "/facilities", "/api/v1/facilities", "/no-such-page"])
def test_every_response_has_the_security_headers(client, path):
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self';", "object-src 'none'",
                      "frame-ancestors 'none'", "form-action 'self'", "base-uri 'self'"):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert "geolocation=()" in headers["Permissions-Policy"] and "camera=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers   # served over plain http on 127.0.0.1


def test_hsts_when_the_site_is_https(app, client):
    app.config["BASE_URL"] = "https://tilat.example.fi"
    assert client.get("/").headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    app.config["BASE_URL"] = "http://127.0.0.1:5000"
    assert "Strict-Transport-Security" in client.get("/", base_url="https://localhost").headers


@pytest.mark.parametrize("tiles, allowed", [
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "img-src 'self' data: https://tile.openstreetmap.org;"),
    ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "img-src 'self' data: https://*.tile.example.org;"),
    ("", "img-src 'self' data:;")])
def test_images_may_come_from_the_map_tiles_only(app, tiles, allowed):
    app.config["MAP_TILE_URL"] = tiles
    with app.test_request_context("/"):
        assert allowed in content_security_policy()


def test_gunicorn_names_no_software_or_version(monkeypatch):
    monkeypatch.setattr(gunicorn.http.wsgi, "SERVER", gunicorn.http.wsgi.SERVER)
    runpy.run_path(str(GUNICORN_CONF))
    assert gunicorn.http.wsgi.SERVER == "Infrashare"

"""The Content-Security-Policy in Chromium: the map (Leaflet) and the statistics chart
(Chart.js) work under it, and markup with an inline style is refused. Every browser test
fails on a CSP refusal (tests/browser/conftest.py), so this one proves the refusal is seen."""
from __future__ import annotations

from playwright.sync_api import expect


def test_the_map_and_the_chart_work_and_inline_style_is_refused(page, app, live_server, log_in, admin,
                                                              create_facility, request, screenshot):
    # Tiles from this server (same origin): nothing leaves the machine.
    app.config["MAP_TILE_URL"] = live_server + "/static/vendor/leaflet/images/layers.png?z={z}&x={x}&y={y}"
    facility = create_facility("Harbour Lab", latitude=60.1699, longitude=24.9384)
    page.goto(f"/facilities/{facility.slug}")
    expect(page.locator("#facility-map.leaflet-container")).to_be_visible()
    expect(page.locator(".leaflet-tile-loaded").first).to_be_attached()
    screenshot(page, "csp-facility-map")

    log_in(page, admin)
    page.goto("/stats")
    expect(page.locator("canvas").first).to_be_visible()

    watch = request.node.page_watch
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">inline</p>')")
    page.wait_for_timeout(200)
    refused = [e for e in watch.errors if "CSP violation" in e]
    assert refused and "style-src" in refused[0]
    watch.errors[:] = [e for e in watch.errors if "CSP violation" not in e]

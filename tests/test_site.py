"""Pages of the site as a whole: the icon, the web app manifest, the header on phones, the front page."""
from __future__ import annotations


def test_the_favicon_answers_with_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/x-icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # the ICO signature


def test_every_page_links_its_icons_and_the_manifest(client):
    html = client.get("/").get_data(as_text=True)
    assert 'rel="icon" href="/favicon.ico"' in html
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert client.get("/static/icons/icon.svg").status_code == 200


def test_the_manifest_names_the_city_and_lists_existing_icons(app, client):
    app.config["CITY_NAME"] = "Kuusilahti"
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["name"] == "Infrashare · Kuusilahti" and manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200

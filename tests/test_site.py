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


# --- the front page -------------------------------------------------------------------------

def test_the_front_page_starts_with_the_search_and_names_the_city(app, client):
    app.config.update(CITY_NAME="Kuusilahti", CITY_LOGO="icons/icon.svg")
    page = client.get("/").get_data(as_text=True)
    assert "Kuusilahti" in page and 'src="/static/icons/icon.svg"' in page
    form = page[page.index('<form method="get" action="/facilities#results"'):]
    form = form[:form.index("</form>")]
    for name in ('name="q"', 'name="category"', 'name="date"', 'name="time"', 'name="duration"', 'name="size"',
                 'name="free"'):
        assert name in form
    assert page.index('action="/facilities#results"') < page.index("For companies and startups")


def test_the_city_logo_may_be_a_path_of_the_site_or_left_out(app, client):
    app.config.update(CITY_NAME="Tammela", CITY_LOGO="/media/tammela.png")
    page = client.get("/").get_data(as_text=True)
    assert 'src="/media/tammela.png"' in page and "Tammela" in page
    app.config.update(CITY_LOGO="")
    assert "city-logo" not in client.get("/").get_data(as_text=True)


def test_the_front_page_search_leads_to_the_catalogue_with_first_free_times(client, create_facility):
    from tests.facilities.helpers import next_monday

    create_facility("Riverside Hall", category="venue", capacity=80)
    create_facility("Tiny Room", category="meeting_room", capacity=4)
    monday = next_monday()
    page = client.get(f"/facilities?q=hall&category=&date={monday}&time=10:00&duration=120&size=20&free=y")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "1 facility" in text and "Riverside Hall" in text and "Tiny Room" not in text
    assert f"First free time {monday.strftime('%a')}" in text


def test_the_front_page_shows_a_few_underused_places_with_free_time(client, create_facility):
    from booking.extensions import db

    quiet = create_facility("Quiet Studio", capacity=10)
    busy = create_facility("Busy Gym", capacity=10)
    unknown = create_facility("New Lab", capacity=10)
    quiet.recent_utilisation, busy.recent_utilisation = 0.05, 0.9
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    section = page[page.index('id="underused-heading"'):]
    assert "Quiet Studio" in section and "Busy Gym" in section
    assert section.index("Quiet Studio") < section.index("Busy Gym")
    assert unknown.name not in section  # no figure yet: not claimed to be underused


def test_without_statistics_the_front_page_shows_no_underused_list(client, create_facility):
    create_facility("New Lab", capacity=10)
    assert 'id="underused-heading"' not in client.get("/").get_data(as_text=True)

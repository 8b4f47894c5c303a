"""The city's content in several languages (booking/content.py): the fallback and its marker on
pages, side-by-side editing, the API's language, CSV columns per language, e-mails in the
recipient's language, and the amenity vocabulary with its migration."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from booking.content import (
    InReadersLanguage,
    Translated,
    merge_translations,
    translated,
)
from booking.errors import Message
from booking.extensions import db
from booking.facilities import importing, services
from booking.facilities.amenities import code_for, group_for, match_key
from booking.facilities.models import Amenity, Facility
from booking.notifications.models import OutboxMessage
from booking.notifications.services import queue_email
from booking.unit_of_work import unit_of_work


def text(response) -> str:
    return response.get_data(as_text=True)


# --- the pure parts -------------------------------------------------------------------------------

def test_a_missing_translation_falls_back_to_the_content_language_and_says_so():
    translations = {"fi": {"name": "Pääkirjaston auditorio"}}
    assert translated("Main Library Auditorium", translations, "name", "fi", "en") == Translated(
        "Pääkirjaston auditorio", "fi", False)
    assert translated("Main Library Auditorium", translations, "name", "sv", "en") == Translated(
        "Main Library Auditorium", "en", True)
    assert translated("Main Library Auditorium", translations, "name", "en", "en").missing is False
    # Nothing written at all is not "missing": there is nothing to mark.
    assert translated("", {}, "description", "sv", "en") == Translated("", "en", False)
    # Blank text counts as not translated.
    assert translated("Hall", {"sv": {"name": "  "}}, "name", "sv", "en").text == "Hall"


def test_merging_translations_sets_clears_and_never_changes_the_old_mapping():
    old = {"fi": {"name": "Sali"}}
    new = merge_translations(old, "name", {"sv": "Sal", "fi": "", "de": "Saal"})
    assert new == {"sv": {"name": "Sal"}}
    assert old == {"fi": {"name": "Sali"}}


def test_near_duplicate_amenity_names_are_one_amenity():
    assert match_key("Changing room") == match_key("Changing rooms") == match_key("changing-room")
    assert match_key("Wi-Fi") == match_key("WiFi") == match_key("wifi")
    assert match_key("Power outlets") == match_key("Power outlet")
    assert match_key("Projector") != match_key("Projection screen")
    assert code_for("Changing rooms") == "changing_room"
    assert [group_for(n) for n in ("Projector", "Lab benches", "Kitchenette", "Football goals", "Campfire ring",
                                   "Chairs", "Hearing loop", "Something else")] == [
        "technology", "workshop", "kitchen", "sports", "outdoor", "furniture", "accessibility", "other"]


# --- pages ------------------------------------------------------------------------------------------

@pytest.fixture
def translated_facility(create_facility):
    facility = create_facility("Riverside Hall", slug="riverside-hall", category="venue",
                               description="A hall by the river.", house_rules="No smoking.",
                               amenities={"Projector": 1})
    facility.translations = {"fi": {"name": "Rantasali", "description": "Sali joen rannalla."},
                             "sv": {"name": "Strandsalen"}}
    amenity = facility.amenities[0].amenity
    amenity.translations = {"fi": {"name": "Projektori"}}
    db.session.commit()
    return facility


def test_the_public_page_shows_each_language_and_marks_what_falls_back(client, translated_facility):
    finnish = text(client.get("/facilities/riverside-hall", headers={"Accept-Language": "fi"}))
    assert "<h1>Rantasali</h1>" in finnish
    assert "Sali joen rannalla." in finnish and "Projektori" in finnish
    # The house rules have no Finnish text: the English ones, marked as English.
    assert re.search(r'<div class="prose" lang="en">No smoking.</div>\s*<small class="content-missing">', finnish)

    swedish = text(client.get("/facilities/riverside-hall", headers={"Accept-Language": "sv"}))
    assert "<h1>Strandsalen</h1>" in swedish
    assert '<div class="prose" lang="en">A hall by the river.</div>' in swedish
    assert '<span lang="en">Projector</span>' in swedish

    english = text(client.get("/facilities/riverside-hall", headers={"Accept-Language": "en"}))
    assert "<h1>Riverside Hall</h1>" in english and "content-missing" not in english


def test_the_catalogue_lists_names_and_amenity_filters_in_the_readers_language(client, translated_facility):
    page = text(client.get("/facilities?amenity=projector", headers={"Accept-Language": "fi"}))
    assert "Rantasali" in page
    assert re.search(r'value="projector"[^>]*checked|checked[^>]*value="projector"', page)
    assert "Projektori" in page
    # The old way, by name, still filters.
    assert "Rantasali" in text(client.get("/facilities?amenity=Projector", headers={"Accept-Language": "fi"}))
    assert "Rantasali" not in text(client.get("/facilities?amenity=whiteboard", headers={"Accept-Language": "fi"}))


def test_a_manager_edits_the_languages_side_by_side(client, auth, manager, facility):
    auth.login(manager)
    form = text(client.get(f"/manage/{facility.id}/edit"))
    assert 'name="name_fi"' in form and 'name="name_sv"' in form and 'name="name_en"' not in form
    assert re.search(r'<input[^>]*lang="fi"[^>]*name="name_fi"|<input[^>]*name="name_fi"[^>]*lang="fi"', form)
    response = client.post(f"/manage/{facility.id}/edit", data={
        "name": "Riverside Hall", "name_fi": "Rantasali", "name_sv": "Strandsalen",
        "department_id": facility.department_id, "category": "venue", "capacity": "80",
        "timezone": "Europe/Helsinki", "description": "By the river.", "description_fi": "Joen rannalla.",
        "description_sv": "", "house_rules_sv": "Rökning förbjuden.", "accessibility_notes": "Ramp at the back door."})
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Facility, facility.id)
    assert saved.translations == {"fi": {"name": "Rantasali", "description": "Joen rannalla."},
                                  "sv": {"name": "Strandsalen", "house_rules": "Rökning förbjuden."}}
    assert saved.accessibility_notes == "Ramp at the back door."
    again = text(client.get(f"/manage/{facility.id}/edit"))
    assert 'value="Strandsalen"' in again


def test_an_admin_names_an_amenity_in_every_language(client, auth, admin, create_facility):
    create_facility("Hall", amenities={"Changing rooms": 1})
    amenity = db.session.scalar(sa.select(Amenity))
    auth.login(admin)
    assert "Changing rooms" in text(client.get("/manage/amenities"))
    response = client.post(f"/manage/amenities/{amenity.id}", data={
        "name": "Changing room", "name_fi": "Pukuhuone", "name_sv": "Omklädningsrum", "group": "sports"})
    assert response.status_code == 302
    db.session.expire_all()
    amenity = db.session.get(Amenity, amenity.id)
    assert (amenity.name, amenity.group, amenity.translations) == (
        "Changing room", "sports", {"fi": {"name": "Pukuhuone"}, "sv": {"name": "Omklädningsrum"}})
    # A manager writing the Swedish name, or a plural, means the same entry.
    assert services.amenities_named(["omklädningsrum", "Changing Rooms"]) == {
        "omklädningsrum": amenity, "Changing Rooms": amenity}


# --- the API --------------------------------------------------------------------------------------

def test_the_api_answers_in_the_language_asked_for_and_says_which(client, translated_facility):
    url = f"/api/v1/facilities/{translated_facility.id}"
    response = client.get(f"{url}?lang=fi")
    body = response.get_json()
    assert response.headers["Content-Language"] == "fi"
    assert body["name"] == "Rantasali" and body["description"] == "Sali joen rannalla."
    assert body["untranslated"] == ["house_rules"]  # the empty notes are not "missing"
    assert body["amenities"] == [{"code": "projector", "group": "technology", "name": "Projektori", "quantity": 1}]
    assert body["translations"]["sv"]["name"] == "Strandsalen"
    assert body["translations"]["en"]["description"] == "A hall by the river."

    response = client.get(url, headers={"Accept-Language": "sv-FI, sv;q=0.9, en;q=0.5"})
    assert response.headers["Content-Language"] == "sv"
    assert response.get_json()["name"] == "Strandsalen"
    assert response.get_json()["description"] == "A hall by the river."

    # ?lang= wins over the header; an unknown one is ignored, and the header says what was used.
    assert client.get(f"{url}?lang=fi", headers={"Accept-Language": "sv"}).get_json()["name"] == "Rantasali"
    response = client.get(f"{url}?lang=de")
    assert response.status_code == 200 and response.headers["Content-Language"] == "en"

    listing = client.get("/api/v1/facilities?lang=sv&amenity=projector")
    assert [f["name"] for f in listing.get_json()["items"]] == ["Strandsalen"]


# --- CSV -----------------------------------------------------------------------------------------

def test_csv_export_and_import_carry_every_language(app, translated_facility, english):
    exported = io.StringIO()
    importing.export_facilities(exported)
    header = exported.getvalue().splitlines()[0].split(",")
    assert {"name_fi", "name_sv", "description_fi", "house_rules_sv", "accessibility_notes"} <= set(header)
    assert "name_en" not in header  # the plain columns hold the content language
    assert "Rantasali" in exported.getvalue()

    changed = exported.getvalue().replace("Rantasali", "Jokisali")
    with unit_of_work():
        report = importing.import_facilities(changed)
    assert report.ok and report.updated == ["Riverside Hall"]
    db.session.expire_all()
    assert db.session.get(Facility, translated_facility.id).translations["fi"]["name"] == "Jokisali"

    # The same file again changes nothing; a file without the language columns keeps them.
    with unit_of_work():
        assert importing.import_facilities(changed).unchanged == ["Riverside Hall"]
    with unit_of_work():
        report = importing.import_facilities("name,department,category,capacity\nRiverside Hall,"
                                             f"{translated_facility.department.name},venue,50\n")
    assert report.ok
    db.session.expire_all()
    facility = db.session.get(Facility, translated_facility.id)
    assert facility.capacity == 50 and facility.translations["sv"]["name"] == "Strandsalen"


# --- e-mails -------------------------------------------------------------------------------------

def test_an_email_names_the_facility_in_its_recipients_language(app, translated_facility):
    with app.test_request_context("/api/v1/facilities?lang=sv"):
        from flask import g
        g.content_language = "sv"  # queued during an API request in another language
        with unit_of_work():
            queue_email("maija@example.com", Message("reservation.email.confirmed",
                                                     facility=InReadersLanguage(translated_facility, "name")),
                        "manager_closure", locale="fi", facility=translated_facility, recipient_name="Maija",
                        conflicts=[], tz="Europe/Helsinki")
        assert g.content_language == "sv"
    message = db.session.scalar(sa.select(OutboxMessage))
    assert "Rantasali" in message.subject and "Rantasali" in message.text_body


def test_a_department_is_named_in_the_readers_language(client, auth, admin, manager, facility):
    department = manager.departments[0]
    auth.login(admin)
    response = client.post(f"/admin/departments/{department.id}", data={
        "name_fi": "Puistot", "name_sv": "Parker", "description": "", "description_fi": "Kaupungin puistot.",
        "contact_email": "", "decision_days": "3"})
    assert response.status_code == 302
    with force_locale("fi"):
        db.session.expire_all()
        assert facility.department.t("name") == "Puistot"
    page = text(client.get(f"/facilities/{facility.slug}", headers={"Accept-Language": "fi"}))
    assert "Puistot" in page


# --- the migration ---------------------------------------------------------------------------------

def test_the_migration_turns_free_text_amenities_into_a_merged_vocabulary(tmp_path):
    from flask_migrate import upgrade

    from booking import create_app

    url = f"sqlite:///{tmp_path / 'migrate.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(revision="0015")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO department (id, name, description, decision_days) "
                                 "VALUES (1, 'Parks', '', 3)"))
            for facility_id in (1, 2):
                conn.execute(sa.text(
                    "INSERT INTO facility (id, slug, name, department_id, category, description, address, district, "
                    "capacity, house_rules, timezone, status, created_dt, updated_dt) VALUES (:id, :slug, :name, 1, "
                    "'venue', '', '', '', 10, '', 'Europe/Helsinki', 'published', '2026-01-01', '2026-01-01')"),
                    {"id": facility_id, "slug": f"f{facility_id}", "name": f"F{facility_id}"})
            rows = [(1, "Changing room", 1), (1, "Changing rooms", 3), (1, "Wi-Fi", 1), (2, "changing rooms", 2),
                    (2, "WiFi", 1), (2, "Lab benches", 4)]
            for facility_id, name, quantity in rows:
                conn.execute(sa.text("INSERT INTO facility_amenity (facility_id, name, quantity) VALUES (:f, :n, :q)"),
                             {"f": facility_id, "n": name, "q": quantity})
        upgrade(revision="0017")
        with db.engine.connect() as conn:
            vocabulary = {row.code: (row.name, row.group) for row in conn.execute(sa.text(
                'SELECT code, name, "group" FROM amenity'))}
            kept = sorted(conn.execute(sa.text(
                "SELECT fa.facility_id, a.code, fa.quantity FROM facility_amenity fa "
                "JOIN amenity a ON a.id = fa.amenity_id")).all())
        db.engine.dispose()
    # One entry per amenity, named by its most used spelling (on a tie the shorter one).
    assert vocabulary == {"changing_room": ("Changing room", "sports"), "wifi": ("WiFi", "technology"),
                          "lab_bench": ("Lab benches", "workshop")}
    # A facility that had two spellings keeps one row, with the larger quantity.
    assert kept == [(1, "changing_room", 3), (1, "wifi", 1), (2, "changing_room", 2), (2, "lab_bench", 4),
                    (2, "wifi", 1)]


def test_a_finnish_city_writes_in_finnish_and_translates_into_english_and_swedish(app, create_facility):
    app.config["CONTENT_LANGUAGE"] = "fi"
    try:
        facility = create_facility("Rantasali", translations={"en": {"name": "Riverside Hall"}})
        assert [c.name for c in importing.translation_columns()][:2] == ["name_en", "name_sv"]
        assert facility.translated("name", "fi") == Translated("Rantasali", "fi", False)
        assert facility.translated("name", "en") == Translated("Riverside Hall", "en", False)
        assert facility.translated("name", "sv") == Translated("Rantasali", "fi", True)
    finally:
        app.config["CONTENT_LANGUAGE"] = "en"

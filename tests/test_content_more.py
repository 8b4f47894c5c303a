"""The rest of the city's content in several languages (booking/content.py): tariffs' names,
challenges and agreement templates. Each is edited side by side, read in the reader's language
with the fallback marked, and carried by the API with every language."""
from __future__ import annotations

import dataclasses
import re

from flask_babel import force_locale
from sqlalchemy import select

from booking.agreements import services as agreements
from booking.agreements.models import AgreementTemplate, Challenge
from booking.extensions import db
from booking.pricing.models import Tariff
from booking.unit_of_work import unit_of_work
from tests.fixtures.agreements import CLAUSES, TEMPLATE_BODY
from tests.fixtures.pricing import tariff_input

FI, SV = {"Accept-Language": "fi"}, {"Accept-Language": "sv"}
CHALLENGE = {"title": "Cleaner air at the harbour", "need": "Measure dust.", "offer": "Power and fibre.",
             "period_start_date": "2031-04-01", "period_end_date": "2031-06-30",
             "deadline": "2031-03-01T16:00:00+02:00", "criteria": [{"name": "Impact", "weight": 100}]}


def text(response) -> str:
    return response.get_data(as_text=True)


# --- tariffs ----------------------------------------------------------------------------------------

def test_a_manager_names_a_tariff_side_by_side_and_each_reader_sees_theirs(client, auth, manager, facility):
    auth.login(manager)
    form = text(client.get(f"/manage/facilities/{facility.id}/tariffs/new"))
    assert 'name="name_fi"' in form and 'name="name_sv"' in form and 'name="name_en"' not in form
    assert re.search(r'<input[^>]*lang="fi"[^>]*name="name_fi"|<input[^>]*name="name_fi"[^>]*lang="fi"', form)
    response = client.post(f"/manage/facilities/{facility.id}/tariffs/new", data={
        "name": "Standard 2030", "name_fi": "Perushinta 2030", "name_sv": "", "valid_from": "2020-01-01",
        "unit": "per_hour", "price": "60.00", "prices_include_vat": "yes", "vat_rate": "25.5", "late_fee": "none"})
    assert response.status_code == 302, text(response)
    tariff = db.session.scalar(select(Tariff))
    assert tariff.name == "Standard 2030" and tariff.translations == {"fi": {"name": "Perushinta 2030"}}
    assert 'value="Perushinta 2030"' in text(client.get(f"/manage/facilities/{facility.id}/tariffs/{tariff.id}/edit"))

    finnish = text(client.get(f"/manage/facilities/{facility.id}/tariffs", headers=FI))
    assert "Perushinta 2030" in finnish and "content-missing" not in finnish
    # No Swedish name: the English one, marked as English.
    swedish = text(client.get("/manage/prices", headers=SV))
    assert re.search(r'<span lang="en">Standard 2030</span>\s*<small class="content-missing">', swedish)
    # A new tariff starts from the one in force, but its name is written anew in every language.
    again = text(client.get(f"/manage/facilities/{facility.id}/tariffs/new"))
    assert 'value="Perushinta 2030"' not in again and 'value="Standard 2030"' not in again


def test_the_tariff_api_takes_every_language_and_answers_in_the_one_asked_for(client, facility, manager, token_for):
    headers = token_for(manager)
    url = f"/api/v1/facilities/{facility.id}/tariffs"
    tariff = {"valid_from": "2020-01-01", "name": "Standard", "unit": "per_hour", "base_price_cents": 6000,
              "prices_include_vat": True, "translations": {"fi": {"name": "Perushinta"}, "sv": {"name": "  "}}}
    created = client.put(url, json=tariff, headers=headers)
    assert created.status_code == 200, created.json
    assert created.json["translations"] == {"en": {"name": "Standard"}, "fi": {"name": "Perushinta"},
                                            "sv": {"name": ""}}
    finnish = client.get(f"{url}?lang=fi", headers=headers)
    assert finnish.headers["Content-Language"] == "fi"
    assert finnish.json[0]["name"] == "Perushinta" and finnish.json[0]["untranslated"] == []
    swedish = client.get(url, headers={**headers, "Accept-Language": "sv"}).json[0]
    assert swedish["name"] == "Standard" and swedish["untranslated"] == ["name"]
    # Saving the same again changes nothing; a new translation is a change.
    assert client.put(url, json=tariff, headers=headers).json["id"] == created.json["id"]
    renamed = client.put(url, json={**tariff, "translations": {"sv": {"name": "Standardpris"}}}, headers=headers)
    assert renamed.json["translations"]["sv"] == {"name": "Standardpris"}
    assert renamed.json["translations"]["fi"] == {"name": ""}
    bad = client.put(url, json={**tariff, "translations": {"de": {"name": "Grundpreis"}}}, headers=headers)
    assert bad.status_code == 422


def test_a_renamed_tariff_that_priced_reservations_becomes_a_new_version(app, facility, english):
    from datetime import datetime, timezone

    from booking.pricing import services

    with unit_of_work():
        tariff, _ = services.save_tariff(facility, tariff_input())
        tariff.locked_dt = datetime(2020, 2, 1, tzinfo=timezone.utc)
    data = dataclasses.replace(tariff_input(), translations={"fi": {"name": "Perushinta"}})
    with unit_of_work():
        newer, changed = services.save_tariff(facility, data, tariff=tariff)
    assert changed and newer.id != tariff.id and newer.version == 2
    assert newer.translations == {"fi": {"name": "Perushinta"}} and tariff.translations == {}


# --- challenges ------------------------------------------------------------------------------------

def test_a_challenge_is_published_in_three_languages_and_read_in_each(client, token_for, manager, pilot_facility):
    response = client.post("/api/v1/challenges", headers=token_for(manager), json={
        **CHALLENGE, "department_id": manager.departments[0].id, "facility_ids": [pilot_facility.id],
        "translations": {"fi": {"title": "Puhtaampaa ilmaa satamaan", "need": "Mittaa pöly.", "offer": ""},
                         "sv": {"title": "Renare luft i hamnen"}}})
    assert response.status_code == 201, response.json
    body = response.json
    assert body["translations"]["fi"] == {"title": "Puhtaampaa ilmaa satamaan", "need": "Mittaa pöly.", "offer": ""}
    assert body["translations"]["en"]["title"] == "Cleaner air at the harbour"
    challenge = db.session.get(Challenge, body["id"])
    assert challenge.translations == {"fi": {"title": "Puhtaampaa ilmaa satamaan", "need": "Mittaa pöly."},
                                      "sv": {"title": "Renare luft i hamnen"}}

    listed = client.get("/api/v1/challenges?lang=sv")
    assert listed.headers["Content-Language"] == "sv"
    item = listed.json["items"][0]
    assert item["title"] == "Renare luft i hamnen" and item["need"] == "Measure dust."
    assert item["untranslated"] == ["need", "offer"]

    finnish = text(client.get(f"/challenges/{body['id']}", headers=FI))
    assert "<h1>Puhtaampaa ilmaa satamaan</h1>" in finnish and "Mittaa pöly." in finnish
    assert re.search(r'<div class="prose" lang="en">Power and fibre.</div>\s*<small class="content-missing">',
                     finnish)
    assert "Puhtaampaa ilmaa satamaan" in text(client.get("/challenges", headers=FI))
    swedish = text(client.get(f"/challenges/{body['id']}", headers=SV))
    assert "<h1>Renare luft i hamnen</h1>" in swedish
    assert re.search(r'<div class="prose" lang="en">Measure dust.</div>\s*<small class="content-missing">', swedish)
    english = text(client.get(f"/challenges/{body['id']}", headers={"Accept-Language": "en"}))
    assert "<h1>Cleaner air at the harbour</h1>" in english and "content-missing" not in english


def test_a_manager_writes_a_challenge_side_by_side(client, auth, manager, pilot_facility):
    auth.login(manager)
    form = text(client.get("/challenges/new"))
    for name in ("title_fi", "title_sv", "need_fi", "need_sv", "offer_fi", "offer_sv"):
        assert f'name="{name}"' in form
    assert 'name="title_en"' not in form
    response = client.post("/challenges/new", data={
        "title": "Quiet nights", "title_sv": "Tysta nätter", "department": manager.departments[0].id,
        "need": "Less noise.", "need_fi": "Vähemmän melua.", "offer": "", "period_start_date": "2031-04-01",
        "period_end_date": "2031-06-30", "deadline_date": "2031-03-01", "criteria": "Impact: 100"})
    assert response.status_code == 302, text(response)
    challenge = db.session.scalar(select(Challenge))
    assert challenge.translations == {"fi": {"need": "Vähemmän melua."}, "sv": {"title": "Tysta nätter"}}


# --- agreement templates ---------------------------------------------------------------------------

def test_an_admin_writes_the_template_side_by_side_and_every_party_signs_one_text(client, auth, admin, app):
    auth.login(admin)
    form = text(client.get("/manage/agreement-templates"))
    assert 'name="name_fi"' in form and 'name="body_sv"' in form and 'name="body_en"' not in form
    response = client.post("/manage/agreement-templates", data={
        "name": "Pilot agreement", "name_fi": "Pilottisopimus", "name_sv": "Pilotavtal",
        "body": "PILOT AGREEMENT — $title", "body_fi": "PILOTTISOPIMUS — $title"})
    assert response.status_code == 302, text(response)
    template = db.session.scalar(select(AgreementTemplate))
    assert template.translations == {"fi": {"name": "Pilottisopimus", "body": "PILOTTISOPIMUS — $title"},
                                     "sv": {"name": "Pilotavtal"}}
    again = text(client.get("/manage/agreement-templates", headers=FI))
    assert 'value="Pilotavtal"' in again and "Pilottisopimus v1" in again
    swedish = text(client.get("/manage/agreement-templates", headers=SV))
    assert "Pilotavtal v1" in swedish

    # A version saved without translations (a seed, a script) keeps the previous version's.
    with unit_of_work():
        newer = agreements.save_template(None, "Pilot agreement", TEMPLATE_BODY, CLAUSES)
    assert newer.version == 2 and newer.translations == template.translations


def test_the_accepted_document_is_the_content_languages_whatever_the_readers(app, english, template, make_agreement):
    agreement = make_agreement("approved")
    agreement.template.translations = {"fi": {"body": "PILOTTISOPIMUS — $title"}}
    db.session.flush()
    english, digest = agreements.document(agreement)
    with app.test_request_context("/", headers=FI):
        assert agreements.document(agreement) == (english, digest)
    assert "PILOTTISOPIMUS" not in english


# --- the answers of a choice question ---------------------------------------------------------------

def test_a_choice_questions_answers_are_translated_and_the_answer_kept_is_the_content_languages(
        client, auth, manager, facility):
    from booking.facilities.models import BookingQuestion

    auth.login(manager)
    url = f"/manage/{facility.id}/questions"
    form = text(client.get(url))
    assert 'name="choices_fi"' in form and 'name="choices_sv"' in form and 'name="choices_en"' not in form
    refused = client.post(url, data={"label": "Catering?", "kind": "choice", "choices": "None\nCoffee\nLunch",
                                     "choices_fi": "Ei\nKahvi"})
    assert refused.status_code == 422 and "Translate every answer" in text(refused)
    added = client.post(url, data={"label": "Catering?", "label_fi": "Tarjoilu?", "kind": "choice",
                                   "choices": "None\nCoffee\nLunch", "choices_fi": "Ei\n\n Kahvi \nLounas"})
    assert added.status_code == 302, text(added)
    question = db.session.scalar(select(BookingQuestion))
    assert question.translations == {"fi": {"label": "Tarjoilu?", "choices": "Ei\nKahvi\nLounas"}}
    assert question.choice_labels("fi") == ["Ei", "Kahvi", "Lounas"]
    assert question.choice_labels("sv") == ["None", "Coffee", "Lunch"]

    # The booking form shows the reader's language; what it keeps is the content language's answer.
    from booking.reservations.forms import details_form

    db.session.refresh(facility)
    with client.application.test_request_context("/"), force_locale("fi"):
        field = details_form(facility, meta={"csrf": False})[f"question_{question.id}"]
        assert [(c.value, c.label) for c in field.choices][1:] == [("None", "Ei"), ("Coffee", "Kahvi"),
                                                                   ("Lunch", "Lounas")]

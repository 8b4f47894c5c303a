"""The demo city's content in Finnish and Swedish (assets/demo/translations.json): departments,
facilities, the amenity vocabulary, terms of use and booking questions. The CSV files hold the
English texts (the demo's content language); a few texts are left untranslated on purpose, so
the demo shows how a missing translation is marked. Safe to run again: it sets, never adds."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from booking.accounts.models import Department
from booking.content import clean_translations, content_language, merge_translations
from booking.extensions import db
from booking.facilities.amenities import match_key
from booking.facilities.models import Amenity, BookingQuestion, Facility, FacilityTerms
from booking.unit_of_work import unit_of_work


def load(demo_dir: Path) -> str:
    texts = json.loads((demo_dir / "translations.json").read_text(encoding="utf-8"))
    if content_language() != "en":
        return "skipped: the demo's texts are English, and CONTENT_LANGUAGE is not en"
    with unit_of_work():
        return _load(texts)


def _load(texts: dict) -> str:
    counts = dict.fromkeys(("departments", "facilities", "amenities", "terms", "questions"), 0)
    for department in db.session.scalars(select(Department)):
        if department.name in texts["departments"]:
            department.translations = clean_translations(texts["departments"][department.name],
                                                         Department.TRANSLATABLE)
            counts["departments"] += 1
    for facility in db.session.scalars(select(Facility)):
        if facility.slug in texts["facilities"]:
            facility.translations = clean_translations(texts["facilities"][facility.slug], Facility.TRANSLATABLE)
            counts["facilities"] += 1
    amenities = {match_key(name): names for name, names in texts["amenities"].items()}
    for amenity in db.session.scalars(select(Amenity)):
        names = amenities.get(match_key(amenity.name))
        if names:
            translations = amenity.translations or {}
            for language, name in names.items():
                translations = merge_translations(translations, "name", {language: name})
            amenity.translations = translations
            counts["amenities"] += 1
    for terms in db.session.scalars(select(FacilityTerms).join(Facility)):
        if terms.facility.slug in texts["terms"] and not terms.translations:
            terms.translations = {language: {"text": text}
                                  for language, text in texts["terms"][terms.facility.slug].items()}
            counts["terms"] += 1
    for question in db.session.scalars(select(BookingQuestion)):
        if question.label in texts["questions"]:
            question.translations = {language: {"label": label}
                                     for language, label in texts["questions"][question.label].items()}
            counts["questions"] += 1
    return ", ".join(f"{n} {kind}" for kind, n in counts.items()) + " translated"

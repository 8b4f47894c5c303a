"""Demo facilities of Kuusilahti: facilities.csv through the same importer managers use, then
terms, questions, closures, special openings, a holiday calendar and photos from
facility_extras.json. Safe to run again: the importer updates by slug, and each extra is
looked up before it is added.
"""
from __future__ import annotations

import json
from datetime import time, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from booking.extensions import db
from booking.unit_of_work import unit_of_work
from booking.facilities import importing, services
from booking.facilities.models import Facility


def _facilities(extra: dict, by_slug: dict[str, Facility]) -> list[Facility]:
    """The facilities an extra names: by slug, or by category and department."""
    if "facility" in extra or "facilities" in extra:
        return [by_slug[slug] for slug in extra.get("facilities", [extra.get("facility")])]
    return [f for f in by_slug.values()
            if f.category in extra.get("categories", [f.category])
            and f.department.name in extra.get("departments", [f.department.name])]


def load(demo_dir: Path) -> str:
    # Audit texts and refusals are written in the default language, as no browser asks.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]), unit_of_work():
        return _load(demo_dir)


def _load(demo_dir: Path) -> str:
    report = importing.import_facilities((demo_dir / "facilities.csv").read_bytes())
    if not report.ok:
        problems = "; ".join(f"line {e.line}: {', '.join(e.reasons)}" for e in report.errors)
        raise RuntimeError(f"assets/demo/facilities.csv is not valid: {problems}")
    db.session.flush()
    extras = json.loads((demo_dir / "facility_extras.json").read_text(encoding="utf-8"))
    by_slug = {f.slug: f for f in db.session.scalars(select(Facility))}
    added = 0

    for slug, text in extras["terms"].items():
        added += services.set_terms(by_slug[slug], text) is not None

    for question in extras["questions"]:
        for facility in _facilities(question, by_slug):
            if not any(q.label == question["label"] for q in facility.questions):
                services.add_question(facility, label=question["label"], kind=question["kind"],
                                      choices=question.get("choices", []), required=question["required"])
                added += 1

    for closure in extras["closures"]:
        facility = by_slug[closure["facility"]]
        if any(c.reason == closure["reason"] and not c.external_uid for c in facility.closures):
            continue
        first = services.local_today(facility) + timedelta(days=closure["starts_in_days"])
        timed = "start_time" in closure
        services.add_closure(facility, start_date=first, end_date=first + timedelta(days=closure["days"] - 1),
                             start_time=time.fromisoformat(closure["start_time"]) if timed else None,
                             end_time=time.fromisoformat(closure["end_time"]) if timed else None,
                             reason=closure["reason"])
        added += 1

    for opening in extras["special_openings"]:
        facility = by_slug[opening["facility"]]
        if not any(o.reason == opening["reason"] for o in facility.special_openings):
            day = services.local_today(facility) + timedelta(days=opening["starts_in_days"])
            services.set_special_opening(facility, day, services.parse_intervals(opening["hours"]), opening["reason"])
            added += 1

    for calendar in extras["calendars"]:
        data = (demo_dir / calendar["file"]).read_bytes()
        for facility in _facilities(calendar, by_slug):
            counts = importing.import_closures(facility, data, source=calendar["file"])
            added += counts["added"]

    for photo in extras["photos"]:
        facility = by_slug[photo["facility"]]
        if not any(p.alt_text == photo["alt"] for p in facility.photos):
            services.add_photo(facility, (demo_dir / photo["file"]).read_bytes(), photo["alt"])
            added += 1
    # Every other facility gets its category's drawing: no demo card goes without a photo.
    drawings = {k: v for k, v in extras.get("category_photos", {}).items() if not k.startswith("_")}
    data = {}
    for facility in by_slug.values():
        photo = drawings.get(facility.category)
        if photo is None or facility.photos:
            continue
        if photo["file"] not in data:
            data[photo["file"]] = (demo_dir / photo["file"]).read_bytes()
        services.add_photo(facility, data[photo["file"]], photo["alt"])
        added += 1

    return (f"{len(report.created)} new facilities, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged; {added} extras added")

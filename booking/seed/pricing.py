"""Demo tariffs: every facility gets its category's tariff from assets/demo/tariffs.json,
with the actor-type rules, an evening and weekend band on halls, and a late-cancellation
fee. Safe to run again: a facility that already has a tariff is left as it is."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from booking.content import content_language
from booking.extensions import db
from booking.unit_of_work import unit_of_work
from booking.facilities.models import Facility
from booking.pricing import services
from booking.pricing.forms import minute_of
from booking.pricing.models import Tariff
from booking.pricing.quote import to_cents
from booking.pricing.services import TariffInput
from booking.pricing.terms import ActorRule, Band, TariffTerms


def _cents(euros) -> int:
    return to_cents(Decimal(str(euros)) * 100)


def _rules(spec: dict, price_cents: int) -> dict[str, ActorRule]:
    rules = {}
    for actor_type, rule in spec.items():
        if rule.get("free"):
            rules[actor_type] = ActorRule("free")
        elif "fixed_share" in rule:
            rules[actor_type] = ActorRule("fixed", fixed_cents=to_cents(price_cents * Decimal(rule["fixed_share"]) / 100))
        else:
            rules[actor_type] = ActorRule("percent", Decimal(str(rule["percent"])))
    return rules


def tariff_for(category: str, data: dict) -> TariffInput:
    spec = data["categories"][category]
    price = _cents(spec["price"])
    bands = data[spec["bands"]] if isinstance(spec.get("bands"), str) else spec.get("bands", [])
    long_booking, underused = spec.get("long_booking"), spec.get("underused")
    terms = TariffTerms(
        unit=spec["unit"], base_price_cents=price, vat_rate=Decimal(current_app.config["VAT_RATE_DEFAULT"]),
        prices_include_vat=True, min_charge_cents=_cents(spec.get("min_charge", 0)),
        deposit_cents=_cents(spec.get("deposit", 0)),
        bands=tuple(Band(b["label"], frozenset(b["weekdays"]), minute_of(b["start"]), minute_of(b["end"]),
                         Decimal(str(b["percent"]))) for b in bands),
        rules=_rules(data["rules"], price),
        long_booking_min_days=long_booking["days"] if long_booking else None,
        long_booking_percent=Decimal(str(long_booking["percent"])) if long_booking else None,
        underused_threshold=Decimal(str(underused["below"])) if underused else None,
        underused_percent=Decimal(str(underused["percent"])) if underused else None,
        late_fee_percent=Decimal(str(data["late_fee_percent"])))
    # The names are English; their Finnish and Swedish only where English is the content language.
    translations = data.get("names", {}).get(spec["unit"]) if content_language() == "en" else None
    return TariffInput(f"Standard ({spec['unit'].replace('_', ' ')})", date.fromisoformat(data["valid_from"]), terms,
                       translations={language: {"name": name} for language, name in (translations or {}).items()})


def load(demo_dir: Path) -> str:
    with unit_of_work():
        return _load(demo_dir)


def _load(demo_dir: Path) -> str:
    data = json.loads((demo_dir / "tariffs.json").read_text(encoding="utf-8"))
    priced = set(db.session.scalars(select(Tariff.facility_id)))
    added = 0
    for facility in db.session.scalars(select(Facility).order_by(Facility.id)):
        if facility.id in priced or facility.category not in data["categories"]:
            continue
        services.save_tariff(facility, tariff_for(facility.category, data))
        added += 1
    return f"{added} new tariffs"

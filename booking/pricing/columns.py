"""The facility CSV carries each facility's base tariff (four columns the facilities importer
learns from here: booking.facilities.importing.register_columns). Importing a changed price
edits the tariff in force, or makes a new version of it when it has priced reservations;
its bands and actor-type rules are kept."""
from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import lazy_gettext as _l

from booking.database import utcnow
from booking.errors import Message
from booking.facilities.importing import ExtraColumns, register_columns
from booking.formatting import register
from booking.pricing import services
from booking.pricing.models import TariffUnit
from booking.pricing.terms import TariffTerms, terms_of

COLUMNS = ("base_price", "price_unit", "prices_include_vat", "vat_rate")
_YES, _NO = {"yes", "true", "1", "y"}, {"no", "false", "0", "n"}

register({
    "facilities.column.base_price": _l("Base price in euros (e.g. 45.00) of the tariff in force; with or without "
                                       "VAT as prices_include_vat says. Its bands and discounts are kept."),
    "facilities.column.price_unit": _l("What the base price is for: per_30_min, per_hour, per_half_day, per_day, "
                                       "per_week or per_booking (default per_hour)."),
    "facilities.column.prices_include_vat": _l("yes if the base price includes VAT (default yes)."),
    "facilities.column.vat_rate": _l("VAT in percent (default the general rate)."),
    "pricing.import.price": _l("base_price: '%(value)s' is not a price in euros of 0 or more."),
    "pricing.import.unit": _l("price_unit: '%(value)s' is not a unit (per_30_min, per_hour, per_half_day, per_day, "
                              "per_week, per_booking)."),
    "pricing.import.yes_no": _l("prices_include_vat: write yes or no."),
    "pricing.import.vat": _l("vat_rate: '%(value)s' is not a percentage from 0 to 100."),
})


def _check(cells: dict[str, str]) -> tuple[dict | None, list[Message]]:
    raw = {k: v.strip() for k, v in cells.items()}
    if not raw.get("base_price"):
        return None, []  # no price given: the tariff is left as it is
    problems, value = [], {}
    try:
        euros = Decimal(raw["base_price"].replace(",", "."))
        if euros < 0 or euros > 1_000_000:
            raise InvalidOperation
        value["base_price_cents"] = int((euros * 100).to_integral_value())
    except InvalidOperation:
        problems.append(Message("pricing.import.price", value=raw["base_price"][:50]))
    unit = (raw.get("price_unit") or "per_hour").lower()
    if unit not in {u.value for u in TariffUnit}:
        problems.append(Message("pricing.import.unit", value=unit[:50]))
    value["unit"] = unit
    included = (raw.get("prices_include_vat") or "yes").lower()
    if included not in _YES | _NO:
        problems.append(Message("pricing.import.yes_no"))
    value["prices_include_vat"] = included in _YES
    if raw.get("vat_rate"):
        try:
            rate = Decimal(raw["vat_rate"].replace(",", "."))
            if not 0 <= rate <= 100:
                raise InvalidOperation
            value["vat_rate"] = rate
        except InvalidOperation:
            problems.append(Message("pricing.import.vat", value=raw["vat_rate"][:50]))
    return (None if problems else value), problems


def _apply(facility, value: dict | None, actor) -> bool:
    if not value:
        return False
    current = services.tariff_at(facility, utcnow())
    if current is not None:
        terms = dataclasses.replace(terms_of(current), **value)
        name, valid_from, each = current.name, current.valid_from, current.invoice_each_reservation
    else:
        terms = TariffTerms(**{"vat_rate": current_app.config["VAT_RATE_DEFAULT"], **value})
        name, valid_from, each = "Standard", services.local_date(facility, utcnow()), False
    _tariff, changed = services.save_tariff(facility, services.TariffInput(name, valid_from, terms, each),
                                            actor=actor)
    return changed


def _export(facilities) -> dict[int, dict[str, str]]:
    return {facility_id: {"base_price": f"{Decimal(current.base_price_cents) / 100:.2f}",
                          "price_unit": current.unit.value,
                          "prices_include_vat": "yes" if current.prices_include_vat else "no",
                          "vat_rate": f"{Decimal(current.vat_rate):g}"}
            for facility_id, current in services.tariffs_in_force(facilities, utcnow()).items()}


register_columns(ExtraColumns("tariff", COLUMNS, _check, _apply, _export))

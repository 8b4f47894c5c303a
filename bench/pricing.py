"""Tariffs in the benchmark city: most facilities charge, as a city's do.

Three in four facilities get a tariff in force since before the city's oldest reservation,
with what each actor type pays (citizen groups free, associations and research less, the
rest the list price) and, for some, evening or morning bands, a minimum charge or a
deposit; one in five of them has next season's price rise entered ahead. The city's past
reservations keep no price (as if booked before the city charged), so only what the
benchmark books is priced: bookings on those facilities quote, keep and settle a price.
"""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bench import city as city_module
from bench.bulk import insert_rows, next_ids, reset_sequences
from booking.accounts.models import ActorType
from booking.pricing.models import ActorTypeRule, RuleKind, Tariff, TariffBand, TariffUnit

VAT = Decimal("25.5")
# What each actor type pays: (kind, percent off); the rest pay the list price.
RULES = {ActorType.citizen_group: (RuleKind.free, None), ActorType.third_sector: (RuleKind.percent, Decimal(50)),
         ActorType.research: (RuleKind.percent, Decimal(30)), ActorType.startup: (RuleKind.percent, Decimal(20))}


@city_module.register_generator
def tariffs(city, _rng) -> None:
    rng = random.Random(f"tariffs-{city.seed}")  # its own stream: the other generators' data stays as it was
    now = datetime.now(UTC)
    first_day = city.anchor - timedelta(days=400)
    rise_day = city.anchor + timedelta(days=90)
    charged = [f for f in city.facility_ids if rng.random() < 0.75]
    plans = []
    for facility_id in charged:
        unit = rng.choices([TariffUnit.per_hour, TariffUnit.per_booking, TariffUnit.per_day], [8, 1, 1])[0]
        base = rng.randrange(20, 121) * 100 if unit != TariffUnit.per_day else rng.randrange(200, 801) * 100
        plans.append((facility_id, first_day, unit, base))
        if rng.random() < 0.2:
            plans.append((facility_id, rise_day, unit, base + base // 10))
    ids = list(next_ids(Tariff.__table__, len(plans)))
    rows, bands, rules = [], [], []
    for tariff_id, (facility_id, valid_from, unit, base) in zip(ids, plans):
        rows.append({"id": tariff_id, "facility_id": facility_id, "valid_from": valid_from, "version": 1,
                     "name": "Standard rate", "translations": {}, "unit": unit.name, "base_price_cents": base,
                     "prices_include_vat": True, "vat_rate": VAT,
                     "min_charge_cents": rng.choice([0, 0, 0, 2000]), "deposit_cents": rng.choice([0, 0, 5000]),
                     "invoice_each_reservation": False, "created_dt": now, "updated_dt": now})
        if rng.random() < 0.35:
            bands.append({"tariff_id": tariff_id, "label": "Evening", "weekdays": [0, 1, 2, 3, 4],
                          "start_minute": 17 * 60, "end_minute": 22 * 60, "percent": Decimal(20)})
        if rng.random() < 0.25:
            bands.append({"tariff_id": tariff_id, "label": "Weekday morning", "weekdays": [0, 1, 2, 3, 4],
                          "start_minute": 7 * 60, "end_minute": 10 * 60, "percent": Decimal(-30)})
        for actor_type, (kind, percent) in RULES.items():
            rules.append({"tariff_id": tariff_id, "actor_type": actor_type.name, "kind": kind.name,
                          "percent": percent, "fixed_cents": None})
    insert_rows(Tariff.__table__, rows)
    insert_rows(TariffBand.__table__, [{"id": i, **b} for i, b in zip(next_ids(TariffBand.__table__, len(bands)),
                                                                        bands)])
    insert_rows(ActorTypeRule.__table__, [{"id": i, **r} for i, r in
                                          zip(next_ids(ActorTypeRule.__table__, len(rules)), rules)])
    reset_sequences([Tariff.__table__, TariffBand.__table__, ActorTypeRule.__table__])

"""The quote, case by case: hand-computed prices a person can check on paper."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from booking.pricing.quote import (QuoteError, QuoteLine, late_fee, price_from, quote, quote_series, split_gross,
                                   to_cents)
from booking.pricing.terms import ActorRule, Band, TariffTerms

TZ = "Europe/Helsinki"
HELSINKI = ZoneInfo(TZ)
WEEKDAYS = frozenset(range(5))
EVENINGS = Band("Evenings", WEEKDAYS, 17 * 60, 22 * 60, Decimal(20))


def at(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HELSINKI)


def hall(**changes) -> TariffTerms:
    """€60/h without VAT, evenings +20 %, the usual actor-type rules."""
    values = dict(unit="per_hour", base_price_cents=6000, vat_rate=Decimal("25.5"), prices_include_vat=False,
                  bands=(EVENINGS,),
                  rules={"third_sector": ActorRule("percent", Decimal(50)), "citizen_group": ActorRule("free"),
                         "public_body": ActorRule("fixed", fixed_cents=2000)})
    values.update(changes)
    return TariffTerms(**values)


TUESDAY_15_19 = (at(2030, 3, 5, 15), at(2030, 3, 5, 19))


def codes(found) -> list[tuple[str, str, int]]:
    return [(line.kind, line.band or line.code, line.amount_cents) for line in found.lines]


def test_an_evening_band_prices_the_hours_inside_it():
    found = quote(hall(), *TUESDAY_15_19, TZ)
    # 2 h × €60 + 2 h × €72 = €264 net; VAT 25.5 % = €67.32.
    assert codes(found) == [("unit", "per_hour", 12000), ("unit", "Evenings", 14400), ("vat", "vat", 6732)]
    assert (found.net_cents, found.vat_cents, found.gross_cents) == (26400, 6732, 33132)
    assert found.undiscounted_gross_cents == 33132 and found.subsidy_cents == 0


def test_a_third_sector_organisation_pays_half():
    found = quote(hall(), *TUESDAY_15_19, TZ, "third_sector")
    assert codes(found)[2] == ("discount", "actor_type", -13200)
    assert (found.net_cents, found.vat_cents, found.gross_cents) == (13200, 3366, 16566)
    assert found.undiscounted_gross_cents == 33132
    assert found.subsidy_cents == 16566
    assert found.rule == "percent"


def test_a_citizen_group_uses_it_free_and_the_subsidy_is_the_list_price():
    found = quote(hall(min_charge_cents=5000), *TUESDAY_15_19, TZ, "citizen_group")
    assert codes(found)[2:] == [("discount", "free", -26400), ("vat", "vat", 0)]
    assert found.gross_cents == 0 and found.is_free
    assert found.subsidy_cents == 33132


def test_a_fixed_price_replaces_every_band_and_takes_no_discount():
    found = quote(hall(long_booking_min_days=1, long_booking_percent=Decimal(20)), *TUESDAY_15_19, TZ,
                  "public_body")
    assert codes(found) == [("unit", "per_hour", 4000), ("unit", "Evenings", 4000), ("vat", "vat", 2040)]
    assert found.net_cents == 8000
    # The list value is still the list price (with its long-booking discount not applied).
    assert found.undiscounted_gross_cents == 33132


def test_an_actor_type_without_a_rule_pays_the_list_price():
    assert quote(hall(), *TUESDAY_15_19, TZ, "sme").gross_cents == quote(hall(), *TUESDAY_15_19, TZ).gross_cents


def test_a_minimum_charge_tops_up_a_short_booking():
    terms = TariffTerms(unit="per_hour", base_price_cents=1000, vat_rate=Decimal("25.5"), prices_include_vat=True,
                        min_charge_cents=5000)
    found = quote(terms, at(2030, 3, 5, 10), at(2030, 3, 5, 11), TZ)
    assert codes(found) == [("unit", "per_hour", 1000), ("minimum", "minimum_charge", 4000), ("vat", "vat", 1016)]
    # Prices include VAT: €50 of which VAT 25.5/125.5 = €10.16 (10.159… rounds up).
    assert (found.net_cents, found.vat_cents, found.gross_cents) == (3984, 1016, 5000)
    assert found.lines[-1].included


def test_prices_entered_with_vat_include_it():
    terms = TariffTerms(unit="per_hour", base_price_cents=12550, vat_rate=Decimal("25.5"), prices_include_vat=True)
    found = quote(terms, at(2030, 3, 5, 10), at(2030, 3, 5, 12), TZ)
    assert (found.net_cents, found.vat_cents, found.gross_cents) == (20000, 5100, 25100)


def test_a_long_booking_discount_starts_at_its_number_of_days():
    terms = TariffTerms(unit="per_day", base_price_cents=20000, long_booking_min_days=5,
                        long_booking_percent=Decimal(20))
    five = quote(terms, at(2030, 3, 4, 8), at(2030, 3, 8, 16), TZ)
    assert codes(five)[:2] == [("unit", "per_day", 100000), ("discount", "long_booking", -20000)]
    assert five.gross_cents == 80000
    four = quote(terms, at(2030, 3, 4, 8), at(2030, 3, 7, 16), TZ)
    assert four.gross_cents == 80000 and len(four.price_lines) == 1


def test_discounts_are_taken_one_after_another():
    terms = hall(long_booking_min_days=1, long_booking_percent=Decimal(20), bands=())
    found = quote(terms, at(2030, 3, 5, 10), at(2030, 3, 5, 12), TZ, "third_sector")
    # €120 − 50 % = €60, then − 20 % of €60 = €48: not −70 %.
    assert codes(found)[:3] == [("unit", "per_hour", 12000), ("discount", "actor_type", -6000),
                                ("discount", "long_booking", -1200)]
    assert found.net_cents == 4800


@pytest.mark.parametrize("utilisation, discounted", [(0.2, True), (0.3, False), (0.9, False), (None, False)])
def test_the_underused_discount_applies_below_the_threshold(utilisation, discounted):
    terms = hall(bands=(), underused_threshold=Decimal("0.3"), underused_percent=Decimal(25))
    found = quote(terms, at(2030, 3, 5, 10), at(2030, 3, 5, 12), TZ, recent_utilisation=utilisation)
    assert found.net_cents == (9000 if discounted else 12000)
    assert any(line.code == "underused" for line in found.lines) == discounted


def test_a_deposit_is_shown_but_not_in_the_totals():
    found = quote(hall(deposit_cents=20000, bands=()), at(2030, 3, 5, 10), at(2030, 3, 5, 11), TZ)
    assert found.lines[-1] == QuoteLine("deposit", "deposit", 20000)
    assert found.deposit_cents == 20000 and found.gross_cents == 7530


@pytest.mark.parametrize("day, hours", [(27, 25), (28, 24)])
def test_the_autumn_dst_day_has_25_hours(day, hours):
    found = quote(hall(bands=()), at(2030, 10, day), at(2030, 10, day + 1), TZ)
    assert found.lines[0].quantity == hours and found.net_cents == 6000 * hours


def test_the_spring_dst_day_has_23_hours_and_counts_as_one_day():
    assert quote(hall(bands=()), at(2030, 3, 31), at(2030, 4, 1), TZ).lines[0].quantity == 23
    per_day = TariffTerms(unit="per_day", base_price_cents=10000)
    assert quote(per_day, at(2030, 3, 31), at(2030, 4, 1), TZ).lines[0].quantity == 1


def test_day_like_units_count_local_days_halves_and_weeks():
    def units(unit, start, end):
        return sum(line.quantity for line in quote(TariffTerms(unit=unit, base_price_cents=100), start, end, TZ).lines
                   if line.kind == "unit")

    assert units("per_half_day", at(2030, 3, 5, 8), at(2030, 3, 5, 12)) == 1
    assert units("per_half_day", at(2030, 3, 5, 10), at(2030, 3, 5, 14)) == 2
    assert units("per_day", at(2030, 3, 5, 10), at(2030, 3, 6, 10)) == 2
    assert units("per_week", at(2030, 3, 1), at(2030, 3, 11)) == 2
    assert units("per_booking", at(2030, 3, 1), at(2030, 3, 11)) == 1
    assert units("per_30_min", at(2030, 3, 5, 10), at(2030, 3, 5, 11, 30)) == 3


def test_a_day_unit_takes_the_band_in_force_when_its_booked_time_starts():
    weekend = Band("Weekends", frozenset({5, 6}), 0, 1440, Decimal(50))
    terms = TariffTerms(unit="per_day", base_price_cents=10000, bands=(weekend,))
    found = quote(terms, at(2030, 3, 8, 10), at(2030, 3, 10, 12), TZ)  # Friday to Sunday
    assert codes(found)[:2] == [("unit", "per_day", 10000), ("unit", "Weekends", 30000)]


def test_rounding_is_half_up_once_per_segment():
    assert to_cents(Decimal("0.5")) == 1 and to_cents(Decimal("1.49")) == 1 and to_cents(Decimal("2.5")) == 3
    one_cent_an_hour = TariffTerms(unit="per_hour", base_price_cents=1, vat_rate=Decimal(0))
    assert quote(one_cent_an_hour, at(2030, 3, 5, 10), at(2030, 3, 5, 10, 30), TZ).gross_cents == 1


def test_a_series_costs_the_sum_of_its_occurrences_priced_by_real_hours():
    # Tuesdays 10–12 across the DST change (31 March): each still two real hours.
    weekly = [(at(2030, 3, 19, 10) + timedelta(weeks=n), at(2030, 3, 19, 12) + timedelta(weeks=n)) for n in range(3)]
    series = quote_series(hall(), weekly, TZ, "third_sector")
    singles = [quote(hall(), start, end, TZ, "third_sector") for start, end in weekly]
    assert series.gross_cents == sum(q.gross_cents for q in singles) == 3 * 7530
    assert series.subsidy_cents == sum(q.subsidy_cents for q in singles)


def test_lines_survive_json():
    found = quote(hall(deposit_cents=100), *TUESDAY_15_19, TZ, "third_sector")
    assert tuple(QuoteLine.from_json(line.to_json()) for line in found.lines) == found.lines


@pytest.mark.parametrize("start, end, code", [
    (datetime(2030, 3, 5, 10), datetime(2030, 3, 5, 12), "pricing.naive_time"),
    (at(2030, 3, 5, 12), at(2030, 3, 5, 10), "pricing.end_before_start"),
    (at(2030, 3, 5), at(2031, 3, 7), "pricing.too_long"),
])
def test_times_a_quote_refuses(start, end, code):
    with pytest.raises(QuoteError) as refused:
        quote(hall(), start, end, TZ)
    assert refused.value.code == code


def test_the_late_fee_is_a_share_or_a_fixed_fee_never_above_the_price():
    assert late_fee(hall(late_fee_percent=Decimal(50)), 10001) == 5001
    assert late_fee(hall(late_fee_cents=3000), 10000) == 3000
    assert late_fee(hall(late_fee_cents=3000), 2000) == 2000
    assert late_fee(hall(), 10000) == 0


def test_split_gross_rounds_the_vat_once():
    assert split_gross(12550, Decimal("25.5")) == (10000, 2550)
    assert split_gross(0, Decimal("25.5")) == (0, 0)


def test_price_from_is_the_cheapest_unit_price_for_the_actor_type():
    morning = Band("Mornings", WEEKDAYS, 6 * 60, 9 * 60, Decimal(-30))
    terms = hall(bands=(EVENINGS, morning))
    assert price_from(terms).net_cents == 4200
    assert price_from(terms, "third_sector").net_cents == 2100
    assert price_from(terms, "third_sector").gross_cents == 2636
    assert price_from(terms, "citizen_group").gross_cents == 0
    assert price_from(terms, "public_body").net_cents == 2000

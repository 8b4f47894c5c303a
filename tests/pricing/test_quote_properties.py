"""Properties every quote keeps, for any tariff and any booking (hypothesis)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from booking.pricing.quote import quote, quote_series
from booking.pricing.terms import ACTOR_TYPES, ActorRule, Band, TariffTerms, problems

TZ = "Europe/Helsinki"
ZONE = ZoneInfo(TZ)
UTC = timezone.utc
# 2030 in Helsinki: DST from 31 March to 27 October, both changes inside the range drawn.
FIRST = datetime(2030, 1, 1, tzinfo=ZONE)

# For these tests only (a profile loaded here would change every later hypothesis test in the run).
properties = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

percents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2)


@st.composite
def bands(draw):
    """Up to three bands that never overlap: cut points through the day, each piece maybe a band."""
    points = sorted(draw(st.sets(st.integers(1, 47), max_size=6)))
    edges = [0] + [p * 30 for p in points] + [1440]
    found = []
    for number, (low, high) in enumerate(zip(edges, edges[1:])):
        if len(found) < 3 and draw(st.booleans()):
            found.append(Band(f"Band {number}", frozenset(draw(st.sets(st.integers(0, 6), min_size=1))), low, high,
                              draw(st.decimals(min_value=Decimal(-100), max_value=Decimal(200), places=2))))
    # Bands on different weekdays may share hours; keep only combinations that are valid.
    return tuple(found)


@st.composite
def rules(draw):
    found = {}
    for actor_type in draw(st.sets(st.sampled_from(ACTOR_TYPES), max_size=4)):
        kind = draw(st.sampled_from(("percent", "fixed", "free")))
        found[actor_type] = ActorRule(kind, draw(percents) if kind == "percent" else None,
                                      draw(st.integers(0, 50_000)) if kind == "fixed" else None)
    return found


@st.composite
def tariffs(draw, units=("per_30_min", "per_hour", "per_half_day", "per_day", "per_week", "per_booking"),
            minimum=True, long_booking=True):
    long_days = draw(st.none() | st.integers(1, 10)) if long_booking else None
    threshold = draw(st.none() | st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1), places=3))
    terms = TariffTerms(
        unit=draw(st.sampled_from(units)), base_price_cents=draw(st.integers(0, 100_000)),
        vat_rate=draw(st.sampled_from([Decimal(0), Decimal(10), Decimal(14), Decimal(24), Decimal("25.5")])),
        prices_include_vat=draw(st.booleans()),
        min_charge_cents=draw(st.integers(0, 20_000)) if minimum else 0,
        deposit_cents=draw(st.integers(0, 50_000)), bands=draw(bands()), rules=draw(rules()),
        long_booking_min_days=long_days, long_booking_percent=draw(percents) if long_days else None,
        underused_threshold=threshold, underused_percent=draw(percents) if threshold else None)
    assume(not problems(terms, name="Tariff", valid_from=FIRST.date()))
    return terms


instants = st.integers(0, 364 * 24 * 4).map(lambda quarter: (FIRST + timedelta(minutes=15 * quarter)).astimezone(UTC))
lengths = st.integers(1, 3 * 24 * 4).map(lambda quarters: timedelta(minutes=15 * quarters))
actors = st.none() | st.sampled_from(ACTOR_TYPES)
utilisations = st.none() | st.floats(0, 1)


@properties
@given(tariffs(), instants, lengths, actors, utilisations)
def test_totals_are_never_negative_and_lines_add_up(terms, start, length, actor, utilisation):
    found = quote(terms, start, start + length, TZ, actor, recent_utilisation=utilisation)
    assert min(found.net_cents, found.vat_cents, found.gross_cents, found.undiscounted_gross_cents,
               found.deposit_cents) >= 0
    assert found.gross_cents == found.net_cents + found.vat_cents
    basis = sum(line.amount_cents for line in found.price_lines)
    assert basis == (found.gross_cents if terms.prices_include_vat else found.net_cents)
    vat_lines = [line for line in found.lines if line.kind == "vat"]
    assert len(vat_lines) == 1 and vat_lines[0].amount_cents == found.vat_cents


@properties
@given(tariffs(), instants, lengths, actors)
def test_vat_is_the_rate_applied_to_the_net_within_the_rounding_rule(terms, start, length, actor):
    found = quote(terms, start, start + length, TZ, actor)
    rate = terms.vat_rate / 100
    if terms.prices_include_vat:
        # Rounded once from the gross: within half a cent of rate/(1+rate) of the gross,
        # so within a cent of rate × net.
        assert abs(found.vat_cents - found.gross_cents * rate / (1 + rate)) <= Decimal("0.5")
        assert abs(found.vat_cents - found.net_cents * rate) <= 1
    else:
        assert abs(found.vat_cents - found.net_cents * rate) <= Decimal("0.5")


@properties
@given(tariffs(), instants, lengths, actors)
def test_no_discount_ever_costs_more_than_the_list_price(terms, start, length, actor):
    found = quote(terms, start, start + length, TZ, actor)
    rule = terms.rules.get(actor) if actor else None
    if rule is None or rule.kind != "fixed":
        assert found.gross_cents <= found.undiscounted_gross_cents
    assert found.undiscounted_gross_cents == quote(terms, start, start + length, TZ).undiscounted_gross_cents


def _band_boundaries(terms: TariffTerms, start: datetime, end: datetime) -> list[datetime]:
    found = set()
    day = start.astimezone(ZONE).date() - timedelta(days=1)
    while datetime.combine(day, datetime.min.time(), tzinfo=ZONE) < end:
        for band in terms.bands:
            if day.weekday() in band.weekdays:
                for minute in (band.start_minute, band.end_minute):
                    local = datetime.combine(day, datetime.min.time(), tzinfo=ZONE) + timedelta(minutes=minute)
                    found.add(local.astimezone(UTC))
        day += timedelta(days=1)
    return sorted(t for t in found if start < t < end)


@properties
@given(tariffs(units=("per_30_min", "per_hour"), minimum=False), instants, lengths, actors, utilisations,
       st.data())
def test_a_booking_split_where_the_price_changes_costs_the_same(terms, start, length, actor, utilisation, data):
    end = start + length
    cuts = _band_boundaries(terms, start, end)
    assume(cuts)
    cut = data.draw(st.sampled_from(cuts))
    if terms.long_booking_min_days is not None:
        # The long-booking discount counts the days of each booking: split within one day.
        assume(start.astimezone(ZONE).date() == (end - timedelta(microseconds=1)).astimezone(ZONE).date())
    whole = quote(terms, start, end, TZ, actor, recent_utilisation=utilisation)
    parts = [quote(terms, a, b, TZ, actor, recent_utilisation=utilisation) for a, b in ((start, cut), (cut, end))]

    def basis(q):
        return sum(line.amount_cents for line in q.price_lines)

    assert basis(whole) == sum(basis(q) for q in parts)
    if terms.prices_include_vat:
        assert whole.gross_cents == sum(q.gross_cents for q in parts)
    else:
        # VAT on top is rounded once per quote: two quotes may differ from one by a cent.
        assert abs(whole.gross_cents - sum(q.gross_cents for q in parts)) <= 1


@properties
@given(tariffs(units=("per_30_min", "per_hour"), minimum=False, long_booking=False),
       st.dates(min_value=FIRST.date(), max_value=datetime(2030, 12, 30).date()))
def test_a_whole_local_day_is_priced_by_its_real_hours(terms, day):
    terms = TariffTerms(**{**terms.__dict__, "bands": ()})
    start = datetime.combine(day, datetime.min.time(), tzinfo=ZONE)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=ZONE)
    hours = Decimal((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()) / 3600
    assert hours in (23, 24, 25)
    found = quote(terms, start, end, TZ)
    units = sum(line.quantity for line in found.lines if line.kind == "unit")
    assert units == hours * (2 if terms.unit == "per_30_min" else 1)


@properties
@given(tariffs(), instants, st.integers(1, 8 * 4).map(lambda q: timedelta(minutes=15 * q)),
       st.integers(1, 12), actors)
def test_a_series_costs_the_sum_of_its_occurrences(terms, first, length, count, actor):
    # Weekly at the same local time, across DST changes.
    local = first.astimezone(ZONE)
    occurrences = [((local + timedelta(weeks=n)).astimezone(UTC), (local + timedelta(weeks=n) + length).astimezone(UTC))
                   for n in range(count)]
    series = quote_series(terms, occurrences, TZ, actor)
    singles = [quote(terms, s, e, TZ, actor) for s, e in occurrences]
    assert series.gross_cents == sum(q.gross_cents for q in singles)
    assert series.net_cents == sum(q.net_cents for q in singles)
    assert series.subsidy_cents == sum(q.subsidy_cents for q in singles)

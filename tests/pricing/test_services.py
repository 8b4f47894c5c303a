"""Tariffs, snapshots and what is owed, through the services, on a real database."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from booking.accounts.models import ActorType
from booking.audit.models import AuditEvent
from booking.errors import Conflict, RuleViolation
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.pricing import services
from booking.pricing.models import BillingStatus, ChargeKind, PriceSnapshot, Tariff
from booking.pricing.terms import ActorRule, Band
from booking.unit_of_work import unit_of_work
from tests.fixtures.pricing import at, tariff_input


@pytest.fixture
def third_sector(create_organisation):
    return create_organisation("Youth Association", ActorType.third_sector)


@pytest.fixture
def company(create_organisation):
    return create_organisation("Nordic Sensors", ActorType.sme, business_id="2345671-3")


def test_the_tariff_valid_at_the_start_prices_the_booking(facility, create_tariff, company):
    create_tariff(facility, name="2030", valid_from=date(2030, 1, 1))
    create_tariff(facility, name="2031", valid_from=date(2031, 1, 1), base_price_cents=8000)
    assert services.tariff_at(facility, at(2030, 12, 31, 23)).name == "2030"
    # Midnight in Helsinki is still 31 December in UTC: the local date decides.
    assert services.tariff_at(facility, at(2031, 1, 1, 0, 30)).name == "2031"
    assert services.tariff_at(facility, at(2029, 12, 31, 12)) is None
    assert services.quote_for(facility, company, at(2031, 3, 4, 10), at(2031, 3, 4, 11)).net_cents == 8000
    assert services.quote_for(facility, company, at(2029, 3, 4, 10), at(2029, 3, 4, 11)) is None


def test_quote_for_takes_an_organisation_an_actor_type_or_nobody(facility, create_tariff, third_sector):
    create_tariff(facility, bands=())
    start, end = at(2030, 3, 5, 10), at(2030, 3, 5, 12)
    assert services.quote_for(facility, third_sector, start, end).net_cents == 6000
    assert services.quote_for(facility, ActorType.citizen_group, start, end).gross_cents == 0
    assert services.quote_for(facility, "startup", start, end).net_cents == 8400
    assert services.quote_for(facility, None, start, end).net_cents == 12000


def test_the_underused_discount_reads_the_facility_s_stored_utilisation(facility, create_tariff):
    create_tariff(facility, bands=(), underused_threshold=Decimal("0.25"), underused_percent=Decimal(20))
    start, end = at(2030, 3, 5, 10), at(2030, 3, 5, 11)
    assert services.quote_for(facility, None, start, end).net_cents == 6000
    facility.recent_utilisation = 0.1
    assert services.quote_for(facility, None, start, end).net_cents == 4800


def test_a_bad_time_is_a_coded_refusal(facility, create_tariff):
    create_tariff(facility)
    with pytest.raises(RuleViolation) as refused:
        services.quote_for(facility, None, at(2030, 3, 5, 12), at(2030, 3, 5, 10))
    assert refused.value.codes == ["pricing.end_before_start"]


def test_every_reason_a_tariff_is_wrong_is_given_at_once(facility, english):
    overlapping = (Band("Evenings", frozenset({0}), 17 * 60, 22 * 60, Decimal(20)),
                   Band("Late", frozenset({0, 1}), 21 * 60, 23 * 60, Decimal(30)))
    bad = tariff_input(name=" ", base_price_cents=-1, vat_rate=Decimal(120), bands=overlapping,
                       rules={"third_sector": ActorRule("percent", Decimal(150)), "public_body": ActorRule("fixed")},
                       long_booking_min_days=5, late_fee_percent=Decimal(10), late_fee_cents=500)
    with pytest.raises(RuleViolation) as refused:
        services.save_tariff(facility, bad)
    assert sorted(refused.value.codes) == sorted([
        "pricing.name_required", "pricing.amount_range", "pricing.vat_rate_range",
        "pricing.long_booking_incomplete", "pricing.one_late_fee", "pricing.bands_overlap",
        "pricing.rule_percent_range", "pricing.rule_fixed_required"])
    assert "overlap" in refused.value.field_errors["bands"][0]
    assert db.session.scalar(select(Tariff)) is None


def test_saving_the_same_tariff_twice_changes_nothing(facility, create_tariff, manager):
    first = create_tariff(facility)
    again, changed = services.save_tariff(facility, tariff_input(), actor=manager)
    assert again.id == first.id and not changed
    changed_tariff, changed = services.save_tariff(facility, tariff_input(base_price_cents=7000), actor=manager)
    db.session.commit()
    assert changed and changed_tariff.id == first.id and changed_tariff.version == 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tariff.updated")).one()
    assert event.before["base_price_cents"] == 6000 and event.after["base_price_cents"] == 7000
    assert event.department_id == facility.department_id


def test_a_tariff_that_priced_a_reservation_is_never_edited_in_place(facility, create_tariff, company, create_snapshot,
                                                                      manager):
    tariff = create_tariff(facility)
    kept = create_snapshot(facility, company, at(2030, 3, 5, 10), at(2030, 3, 5, 12))
    assert tariff.locked_dt is not None
    newer, changed = services.save_tariff(facility, tariff_input(base_price_cents=9000), tariff=tariff, actor=manager)
    db.session.commit()
    assert changed and newer.id != tariff.id and newer.version == 2 and newer.valid_from == tariff.valid_from
    assert tariff.superseded_dt is not None and tariff.base_price_cents == 6000
    # The reservation keeps its price; new quotes use the new version.
    assert kept.gross_cents == 15060 and kept.tariff_id == tariff.id
    assert services.tariff_at(facility, at(2030, 3, 5, 10)).id == newer.id
    assert services.quote_for(facility, company, at(2030, 3, 5, 10), at(2030, 3, 5, 12)).net_cents == 18000
    with pytest.raises(Conflict) as refused:
        services.delete_tariff(tariff)
    assert refused.value.codes == ["pricing.tariff_locked"]
    with pytest.raises(Conflict):
        services.save_tariff(facility, tariff_input(base_price_cents=1), tariff=tariff)


def test_two_tariffs_cannot_start_on_the_same_day(facility, create_tariff):
    create_tariff(facility, valid_from=date(2030, 1, 1))
    other = create_tariff(facility, valid_from=date(2031, 1, 1))
    with pytest.raises(Conflict) as refused:
        services.save_tariff(facility, tariff_input(valid_from=date(2030, 1, 1)), tariff=other)
    assert refused.value.codes == ["pricing.valid_from_taken"]


def test_an_unused_tariff_can_be_removed_with_its_trail(facility, create_tariff, manager):
    tariff = create_tariff(facility)
    services.delete_tariff(tariff, actor=manager)
    db.session.commit()
    assert services.tariff_versions(facility) == []
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "tariff.deleted"))


def test_a_snapshot_keeps_the_quote_and_what_is_owed_follows_the_reservation(facility, create_tariff, third_sector):
    create_tariff(facility)
    kept = services.snapshot(facility, third_sector, at(2030, 3, 5, 15), at(2030, 3, 5, 19), description="Youth night")
    assert kept.billing_status == BillingStatus.not_billable_yet and kept.billable_cents == kept.gross_cents == 16566
    assert kept.undiscounted_gross_cents == 33132 and kept.subsidy_cents == 16566
    assert [line["kind"] for line in kept.lines] == ["unit", "unit", "discount", "vat"]
    assert services.quote_of(kept).gross_cents == 16566
    services.mark_billable(kept)
    assert kept.billing_status == BillingStatus.billable
    services.void(kept)
    assert (kept.billing_status, kept.billable_cents, kept.subsidy_cents) == (BillingStatus.void, 0, 0)
    services.mark_billable(kept)  # a rejected request taken back into handling and approved
    assert kept.billable_cents == 16566
    db.session.commit()


def test_no_tariff_no_snapshot(facility, company):
    assert services.snapshot(facility, company, at(2030, 3, 5, 10), at(2030, 3, 5, 11)) is None


def test_a_late_cancellation_owes_the_fee_and_is_recorded(facility, create_tariff, company, manager):
    create_tariff(facility, bands=(), late_fee_percent=Decimal(50))
    kept = services.snapshot(facility, company, at(2030, 3, 5, 10), at(2030, 3, 5, 12))
    assert services.late_fee_for(kept) == 7530
    assert services.charge_late_fee(kept, actor=manager) == 7530
    db.session.commit()
    assert (kept.charge, kept.billing_status, kept.billable_cents, kept.subsidy_cents) == (
        ChargeKind.late_fee, BillingStatus.billable, 7530, 0)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "price.late_fee")).one()
    assert event.after["late_fee_cents"] == 7530


def test_without_a_fee_a_late_cancellation_owes_nothing(facility, create_tariff, company):
    create_tariff(facility)
    kept = services.snapshot(facility, company, at(2030, 3, 5, 10), at(2030, 3, 5, 12))
    assert services.charge_late_fee(kept) == 0
    assert kept.billing_status == BillingStatus.void


@pytest.mark.parametrize("decided, gross, subsidy", [(0, 0, 15060), (5000, 5000, 10060), (15060, 15060, 0)])
def test_a_manager_decides_a_free_of_charge_request(facility, create_tariff, company, manager, decided, gross,
                                                    subsidy):
    create_tariff(facility, bands=())
    kept = services.snapshot(facility, company, at(2030, 3, 5, 10), at(2030, 3, 5, 12))
    services.set_free_of_charge(kept, "A free open event for residents", price_cents=decided, actor=manager)
    db.session.commit()
    assert (kept.gross_cents, kept.billable_cents, kept.subsidy_cents) == (gross, gross, subsidy)
    assert kept.net_cents + kept.vat_cents == gross
    assert kept.free_of_charge_reason == "A free open event for residents"
    # The lines still add up to the decided price.
    assert sum(line["amount_cents"] for line in kept.lines if line["kind"] in ("unit", "discount", "adjustment")) \
        == kept.net_cents
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "price.decided"))


def test_a_free_of_charge_decision_needs_a_reason_and_a_sane_price(facility, create_tariff, company):
    create_tariff(facility)
    kept = services.snapshot(facility, company, at(2030, 3, 5, 10), at(2030, 3, 5, 12))
    with pytest.raises(RuleViolation) as refused:
        services.set_free_of_charge(kept, " ", price_cents=-5)
    assert sorted(refused.value.codes) == ["pricing.amount_range", "pricing.reason_required"]


def test_a_changed_time_is_priced_again_and_the_difference_said(facility, create_tariff, company):
    create_tariff(facility, bands=())
    old = services.snapshot(facility, company, at(2030, 3, 5, 10), at(2030, 3, 5, 12), description="Demo")
    services.mark_billable(old)
    new, difference = services.replace_snapshot(old, facility, company, at(2030, 3, 5, 10), at(2030, 3, 5, 13))
    assert difference == 7530 and new.description == "Demo"
    assert old.billing_status == BillingStatus.void and new.billing_status == BillingStatus.billable


def test_the_price_the_snapshot_and_the_reservation_roll_back_together(app, facility, create_tariff, company):
    """Composed in one unit of work with a use case that then fails: nothing is written."""
    create_tariff(facility)
    with pytest.raises(RuleViolation):
        with unit_of_work():
            services.snapshot(facility, company, at(2030, 3, 5, 10), at(2030, 3, 5, 12))
            services.save_tariff(facility, tariff_input(name=""))
    db.session.expire_all()
    assert db.session.scalar(select(PriceSnapshot)) is None
    assert services.tariff_at(facility, at(2030, 3, 5, 10)).locked_dt is None
    assert db.session.scalar(select(OutboxMessage)) is None


def test_a_free_of_charge_request_keeps_its_reason_until_the_manager_decides(facility, create_tariff, company,
                                                                              manager):
    create_tariff(facility, bands=())
    kept = services.snapshot(facility, company, at(2030, 3, 5, 10), at(2030, 3, 5, 12))
    services.request_free_of_charge(kept, "  Open event for residents ")
    assert kept.free_of_charge_reason == "Open event for residents" and kept.gross_cents == 15060
    services.set_free_of_charge(kept, price_cents=0, actor=manager)
    assert kept.free_of_charge_reason == "Open event for residents" and kept.gross_cents == 0
    with pytest.raises(RuleViolation):
        services.request_free_of_charge(kept, "")


def test_prices_from_gives_each_facility_s_lowest_unit_price(facility, create_facility, create_tariff):
    bare = create_facility("No Tariff Yet")
    create_tariff(facility, valid_from=date(2020, 1, 1), base_price_cents=5000, prices_include_vat=True,
                  bands=(Band("Mornings", frozenset(range(5)), 420, 600, Decimal(-30)),))
    create_tariff(facility, valid_from=date(2099, 1, 1), base_price_cents=1)  # not in force yet
    found = services.prices_from([facility, bare], "third_sector", now=at(2030, 3, 5, 10))
    assert set(found) == {facility.id}
    assert (found[facility.id].unit, found[facility.id].gross_cents) == ("per_hour", 1750)


def test_a_snapshot_reads_back_as_the_api_s_price(facility, create_tariff, company):
    from booking.pricing.api import price_out

    create_tariff(facility, bands=())
    kept = services.snapshot(facility, company, at(2030, 3, 5, 10), at(2030, 3, 5, 12))
    db.session.flush()  # written by the next flush (the booking's settles what is owed first)
    out = price_out(kept).model_dump(mode="json")
    assert (out["gross_cents"], out["billing_status"], out["lines"][0]["quantity"]) == (15060, "not_billable_yet", "2")

"""Invoices: what they gather, their numbers and references, credit notes, the CSV export,
and the subsidy ledger and revenue report built from the same snapshots."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from booking.accounts.models import ActorType, Role
from booking.errors import Conflict, RuleViolation
from booking.extensions import db
from booking.pricing import invoicing, services, subsidy
from booking.pricing.models import BillingStatus, InvoiceKind
from booking.pricing.references import (check_digit, grouped, grouped_rf, invoice_reference, is_valid_reference,
                                        is_valid_rf, reference_number, rf_reference)
from tests.fixtures.pricing import at

ISSUED = date(2030, 4, 2)


@pytest.fixture
def organisations(create_organisation):
    return {"sme": create_organisation("Nordic Sensors Oy", ActorType.sme, business_id="2345671-3",
                                       address="Sensorikatu 4, 40100 Kuusilahti"),
            "association": create_organisation("Youth Association ry", ActorType.third_sector),
            "citizens": create_organisation("Riverside Residents", ActorType.citizen_group)}


@pytest.fixture
def march(facility, create_tariff, create_snapshot, organisations):
    """March 2030 at a €60/h hall: the SME books twice, the association once, citizens free."""
    create_tariff(facility, bands=())
    sme, association, citizens = organisations["sme"], organisations["association"], organisations["citizens"]
    return [create_snapshot(facility, sme, at(2030, 3, 5, 10), at(2030, 3, 5, 12), description="Sensor demo"),
            create_snapshot(facility, sme, at(2030, 3, 20, 10), at(2030, 3, 20, 11)),
            create_snapshot(facility, association, at(2030, 3, 8, 18), at(2030, 3, 8, 20)),
            create_snapshot(facility, citizens, at(2030, 3, 9, 10), at(2030, 3, 9, 12))]


def test_finnish_reference_numbers_and_rf_references():
    assert check_digit("123") == 2 and reference_number(123) == "1232"
    assert is_valid_reference("1232") and not is_valid_reference("1233")
    assert rf_reference("539007547034") == "RF18539007547034"  # the ISO 11649 example
    assert is_valid_rf("RF18 5390 0754 7034") and not is_valid_rf("RF19539007547034")
    assert invoice_reference(17) == "100175" and is_valid_reference(invoice_reference(123456))
    assert grouped("1234567890123") == "123 45678 90123" and grouped_rf("RF18539007547034") == "RF18 5390 0754 7034"
    with pytest.raises(ValueError):
        reference_number("012")


def test_a_month_gives_each_organisation_one_invoice(app, march, organisations, admin):
    issued = invoicing.issue_invoices(2030, 3, actor=admin, today=ISSUED)
    db.session.commit()
    by_buyer = {i.buyer_name: i for i in issued}
    assert set(by_buyer) == {"Nordic Sensors Oy", "Youth Association ry"}  # free use owes nothing
    assert [i.number for i in sorted(issued, key=lambda i: i.number)] == [1, 2]
    sme = by_buyer["Nordic Sensors Oy"]
    assert [line.gross_cents for line in sme.lines] == [15060, 7530]
    assert (sme.net_cents, sme.vat_cents, sme.gross_cents) == (18000, 4590, 22590)
    assert sme.vat_breakdown == [{"rate": "25.50", "net_cents": 18000, "vat_cents": 4590, "gross_cents": 22590}]
    assert sme.buyer_business_id == "2345671-3" and sme.buyer_address.startswith("Sensorikatu")
    assert sme.seller_name == app.config["INVOICE_SELLER_NAME"]
    assert sme.due_date == date(2030, 4, 16) and (sme.period_start, sme.period_end) == (date(2030, 3, 1),
                                                                                        date(2030, 3, 31))
    assert is_valid_reference(sme.reference) and is_valid_rf(sme.rf_reference)
    assert by_buyer["Youth Association ry"].lines[0].subsidy_cents == 7530
    assert all(s.billing_status == BillingStatus.invoiced for s in march[:3])
    assert march[3].billing_status == BillingStatus.billable and march[3].billable_cents == 0
    # Nothing is invoiced twice.
    with pytest.raises(RuleViolation) as refused:
        invoicing.issue_invoices(2030, 3, today=ISSUED)
    assert refused.value.codes == ["pricing.nothing_to_invoice"]


def test_later_months_and_unconfirmed_prices_wait(facility, create_tariff, create_snapshot, organisations):
    create_tariff(facility, bands=())
    create_snapshot(facility, organisations["sme"], at(2030, 4, 1, 0, 30), at(2030, 4, 1, 1, 30))
    create_snapshot(facility, organisations["sme"], at(2030, 3, 6, 10), at(2030, 3, 6, 11), billable=False)
    with pytest.raises(RuleViolation):
        invoicing.issue_invoices(2030, 3, today=ISSUED)
    # A left-over from February is caught up in March's run.
    create_snapshot(facility, organisations["sme"], at(2030, 2, 6, 10), at(2030, 2, 6, 11))
    assert len(invoicing.issue_invoices(2030, 3, today=ISSUED)[0].lines) == 1


def test_a_tariff_can_invoice_each_reservation_on_its_own(facility, create_tariff, create_snapshot, organisations):
    create_tariff(facility, bands=(), invoice_each_reservation=True)
    for day in (5, 6):
        create_snapshot(facility, organisations["sme"], at(2030, 3, day, 10), at(2030, 3, day, 11))
    assert len(invoicing.issue_invoices(2030, 3, today=ISSUED)) == 2


def test_a_late_fee_is_invoiced_instead_of_the_price(facility, create_tariff, organisations):
    create_tariff(facility, bands=(), late_fee_percent=Decimal(50))
    kept = services.snapshot(facility, organisations["sme"], at(2030, 3, 5, 10), at(2030, 3, 5, 12))
    services.charge_late_fee(kept)
    invoice = invoicing.issue_invoices(2030, 3, today=ISSUED)[0]
    line = invoice.lines[0]
    assert (line.charge.value, line.gross_cents, line.net_cents + line.vat_cents) == ("late_fee", 7530, 7530)


def test_an_issued_invoice_is_corrected_by_a_credit_note(march, admin):
    invoice = next(i for i in invoicing.issue_invoices(2030, 3, today=ISSUED) if i.buyer_name == "Nordic Sensors Oy")
    with pytest.raises(Conflict):
        services.void(march[0])  # invoiced: credit first
    note = invoicing.credit(invoice, "Wrong hours on the first booking", actor=admin, today=date(2030, 4, 5))
    db.session.commit()
    assert note.kind == InvoiceKind.credit_note and note.credits == invoice and invoice.credit_note == note
    assert note.number == 3 and note.gross_cents == invoice.gross_cents and len(note.lines) == 2
    assert march[0].billing_status == BillingStatus.billable and march[0].invoice_id is None
    # Correct, then invoice again next run.
    services.set_free_of_charge(march[0], "Agreed with the manager", price_cents=5000)
    again = invoicing.issue_invoices(2030, 4, today=date(2030, 5, 2))
    assert again[0].gross_cents == 5000 + 7530
    with pytest.raises(Conflict):
        invoicing.credit(invoice, "again")
    with pytest.raises(RuleViolation):
        invoicing.credit(note, "a credit note of a credit note")


def test_invoice_numbers_continue_from_the_configured_start(app, march):
    app.config["INVOICE_FIRST_NUMBER"] = 1000
    assert sorted(i.number for i in invoicing.issue_invoices(2030, 3, today=ISSUED)) == [1000, 1001]


def test_the_csv_export_has_a_row_per_invoice_and_rate_with_credit_notes_negative(march):
    invoice = invoicing.issue_invoices(2030, 3, today=ISSUED)[0]
    invoicing.credit(invoice, "Duplicate", today=ISSUED)
    rows = list(csv.DictReader(io.StringIO(invoicing.export_csv(date(2030, 4, 1), date(2030, 4, 30)))))
    assert [(r["number"], r["kind"], r["gross"]) for r in rows] == [
        ("1", "invoice", "225.90"), ("2", "invoice", "75.30"), ("3", "credit_note", "-225.90")]
    assert rows[2]["credits_number"] == "1" and rows[0]["vat_rate"] == "25.50"


def test_a_formula_in_a_buyer_name_stays_text_in_the_csv(facility, create_tariff, create_snapshot,
                                                         create_organisation):
    create_tariff(facility, bands=())
    create_snapshot(facility, create_organisation("=HYPERLINK(1)"), at(2030, 3, 5, 10), at(2030, 3, 5, 11))
    invoicing.issue_invoices(2030, 3, today=ISSUED)
    assert "'=HYPERLINK(1)" in invoicing.export_csv(ISSUED, ISSUED)


def test_members_see_their_own_invoices_and_admins_all(march, organisations, create_user, admin):
    invoicing.issue_invoices(2030, 3, today=ISSUED)
    member = create_user(organisation=organisations["association"])
    mine = db.session.scalars(invoicing.visible_invoices(member)).all()
    assert [i.buyer_name for i in mine] == ["Youth Association ry"]
    assert len(db.session.scalars(invoicing.visible_invoices(admin)).all()) == 2


def test_a_month_outside_the_range_is_refused():
    with pytest.raises(RuleViolation):
        invoicing.month_bounds(1999, 12)
    with pytest.raises(RuleViolation):
        invoicing.month_bounds(2030, 13)


NOW = datetime(2030, 4, 2, 12, tzinfo=timezone.utc)


@pytest.fixture
def startup(create_organisation):
    return create_organisation("Kide Robotics Oy", ActorType.startup)


def test_the_subsidy_ledger_counts_companies_over_three_years(app, facility, create_tariff, create_snapshot, startup,
                                                               organisations):
    create_tariff(facility, bands=())  # startups −30 %
    create_snapshot(facility, startup, at(2030, 3, 5, 10), at(2030, 3, 5, 12))  # list 150.60, pays 105.42
    create_snapshot(facility, startup, at(2026, 3, 5, 10), at(2026, 3, 5, 12))  # four years ago: not counted
    create_snapshot(facility, startup, at(2030, 3, 6, 10), at(2030, 3, 6, 12), billable=False)  # not granted yet
    create_snapshot(facility, organisations["association"], at(2030, 3, 5, 14), at(2030, 3, 5, 16))
    assert subsidy.subsidy_received(startup.id, now=NOW) == 4518
    app.config["SUBSIDY_CEILING_CENTS"] = 5000
    assert not subsidy.would_exceed_ceiling(startup, 482, now=NOW)
    assert subsidy.would_exceed_ceiling(startup, 483, now=NOW)
    # The ceiling is for undertakings: an association is never flagged.
    assert not subsidy.would_exceed_ceiling(organisations["association"], 10**9, now=NOW)
    rows = {row.organisation.name: row for row in subsidy.subsidy_ledger(now=NOW)}
    assert set(rows) == {"Kide Robotics Oy", "Nordic Sensors Oy"}
    assert (rows["Kide Robotics Oy"].subsidy_cents, rows["Kide Robotics Oy"].remaining_cents) == (4518, 482)
    assert rows["Nordic Sensors Oy"].subsidy_cents == 0


def test_revenue_and_subsidy_per_actor_type_facility_and_department(march, manager, create_user, create_facility,
                                                                     create_tariff, create_snapshot, organisations):
    elsewhere = create_facility("Other Department Hall", department="Schools")
    create_tariff(elsewhere, bands=())
    create_snapshot(elsewhere, organisations["sme"], at(2030, 3, 7, 10), at(2030, 3, 7, 11))
    by_actor = {row.key.value: row for row in subsidy.revenue_report(
        manager, date(2030, 3, 1), date(2030, 3, 31), "actor_type", "Europe/Helsinki")}
    assert (by_actor["sme"].reservations, by_actor["sme"].revenue_cents) == (2, 22590)
    assert (by_actor["third_sector"].revenue_cents, by_actor["third_sector"].subsidy_cents) == (7530, 7530)
    assert (by_actor["citizen_group"].revenue_cents, by_actor["citizen_group"].subsidy_cents) == (0, 15060)
    # The manager sees their own department; an admin the city.
    facilities = subsidy.revenue_report(manager, date(2030, 3, 1), date(2030, 3, 31), "facility", "Europe/Helsinki")
    assert [row.key.name for row in facilities] == ["Riverside Hall"]
    admin = create_user(role=Role.admin)
    departments = subsidy.revenue_report(admin, date(2030, 3, 1), date(2030, 3, 31), "department", "Europe/Helsinki")
    assert sorted(row.key.name for row in departments) == ["Parks", "Schools"]

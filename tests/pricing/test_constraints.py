"""The database itself refuses what the services never write: negative money, a snapshot
marked invoiced without its invoice, a void one that still owes, a rule that contradicts its
kind, a second version in force for one day. Checked with raw SQL, on both databases."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from booking.extensions import db
from booking.pricing import invoicing
from tests.fixtures.pricing import at


def refused(sql: str, constraint: str, sqlite: str | None = None, **params) -> None:
    """The statement fails on `constraint`. SQLite names CHECK constraints; for a foreign key
    or a unique index it says what kind failed (`sqlite`)."""
    with pytest.raises(IntegrityError) as error:
        db.session.execute(text(sql), params)
        db.session.flush()
    db.session.rollback()
    expected = sqlite if sqlite and db.engine.dialect.name == "sqlite" else constraint
    assert expected in str(error.value.orig)


@pytest.fixture
def priced(facility, create_tariff, create_snapshot, create_organisation):
    tariff = create_tariff(facility)
    kept = create_snapshot(facility, create_organisation("Buyer Oy"), at(2030, 3, 5, 10), at(2030, 3, 5, 12))
    return tariff, kept


def test_a_negative_price_is_refused(priced):
    tariff, kept = priced
    refused("UPDATE tariff SET base_price_cents = -1 WHERE id = :id", "ck_tariff_base_price_not_negative", id=tariff.id)
    refused("UPDATE price_snapshot SET billable_cents = -100 WHERE id = :id", "ck_price_snapshot_amounts_not_negative",
            id=kept.id)
    refused("UPDATE price_snapshot SET gross_cents = gross_cents + 1 WHERE id = :id",
            "ck_price_snapshot_gross_is_net_plus_vat", id=kept.id)
    refused("UPDATE tariff_band SET percent = -101 WHERE tariff_id = :id", "ck_tariff_band_percent_range",
            id=tariff.id)


def test_snapshot_integrity_is_kept_by_the_database(priced):
    _tariff, kept = priced
    refused("UPDATE price_snapshot SET billing_status = 'invoiced' WHERE id = :id",
            "ck_price_snapshot_invoiced_has_invoice", id=kept.id)
    refused("UPDATE price_snapshot SET billing_status = 'void' WHERE id = :id", "ck_price_snapshot_void_owes_nothing",
            id=kept.id)
    refused("UPDATE price_snapshot SET charge = 'late_fee' WHERE id = :id",
            "ck_price_snapshot_late_fee_matches_charge", id=kept.id)
    refused("UPDATE price_snapshot SET tariff_id = 999999 WHERE id = :id",
            "fk_price_snapshot_tariff_id_tariff", "FOREIGN KEY", id=kept.id)


def test_rules_and_versions_are_kept_by_the_database(priced):
    tariff, _kept = priced
    refused("UPDATE actor_type_rule SET percent = 10 WHERE kind = 'free'", "ck_actor_type_rule_value_matches_kind")
    refused("INSERT INTO actor_type_rule (tariff_id, actor_type, kind) VALUES (:id, 'citizen_group', 'free')",
            "uq_actor_type_rule_tariff_actor", "UNIQUE", id=tariff.id)
    refused("INSERT INTO tariff (facility_id, valid_from, version, name, unit, base_price_cents, prices_include_vat, "
            "vat_rate, min_charge_cents, deposit_cents, invoice_each_reservation, created_dt, updated_dt) "
            "SELECT facility_id, valid_from, 2, name, unit, 1, prices_include_vat, vat_rate, 0, 0, "
            "invoice_each_reservation, created_dt, updated_dt FROM tariff WHERE id = :id",
            "uq_tariff_current_version", "UNIQUE", id=tariff.id)
    refused("DELETE FROM tariff WHERE id = :id", "fk_price_snapshot_tariff_id_tariff", "FOREIGN KEY", id=tariff.id)


def test_invoice_integrity_is_kept_by_the_database(priced):
    invoice = invoicing.issue_invoices(2030, 3, today=date(2030, 4, 2))[0]
    db.session.commit()
    refused("UPDATE invoice SET gross_cents = -1, net_cents = -1, vat_cents = 0 WHERE id = :id",
            "ck_invoice_amounts_not_negative", id=invoice.id)
    columns = ("number, kind, organisation_id, issued_date, due_date, period_start, period_end, buyer_name, "
               "buyer_address, seller_name, seller_business_id, seller_address, seller_iban, reference, rf_reference, "
               "net_cents, vat_cents, gross_cents, vat_breakdown, currency, created_dt")
    refused(f"INSERT INTO invoice ({columns}) SELECT {columns} FROM invoice WHERE id = :id", "uq_invoice_number",
            "UNIQUE", id=invoice.id)
    refused("INSERT INTO invoice_counter (id, next_number) VALUES (2, 5)", "ck_invoice_counter_single_row")
    refused("UPDATE invoice SET kind = 'credit_note' WHERE id = :id", "ck_invoice_credit_note_credits", id=invoice.id)
    refused("DELETE FROM price_snapshot", "fk_invoice_line_snapshot_id_price_snapshot", "FOREIGN KEY")

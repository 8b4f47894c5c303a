"""Invoices: gather what organisations owe, number them without gaps, credit, export.

    issue_invoices(year, month, *, organisation=None, actor=None, today=None) -> list[Invoice]
    credit(invoice, reason, *, actor=None, today=None) -> Invoice          # a credit note
    next_invoice_number() -> int
    visible_invoices(user, *, organisation_id=None) -> Select
    export_csv(first, last) -> str                                       # for the finance system

An invoice gathers an organisation's billable snapshots that start before the end of the
month and are not invoiced yet (so a late confirmation is caught up next month): once a
month per organisation, or one invoice per reservation where its tariff says so. A snapshot
that owes nothing (free use) is never invoiced; it stays billable at 0 and counts as subsidy.
Numbers come from one counter row advanced inside the issuing transaction, so they never
repeat and never gap, on both databases and under concurrent issuers.
"""
from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from booking import csvfiles
from booking.accounts.models import MembershipRole, Organisation
from booking.accounts.rules import can_administer
from booking.database import utcnow
from booking.errors import Conflict, Message, RuleViolation
from booking.events import Email, Event, publish
from booking.extensions import db
from booking.pricing.models import (BillingStatus, ChargeKind, Invoice, InvoiceCounter, InvoiceKind, InvoiceLine,
                                    PriceSnapshot)
from booking.pricing.quote import split_gross
from booking.pricing.references import invoice_reference, rf_reference
from booking.pricing.services import MAX_REASON_LENGTH

FIRST_PERIOD = date(2000, 1, 1)
LAST_PERIOD = date(2099, 12, 1)
CENT = Decimal("0.01")


def city_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


def city_today() -> date:
    return utcnow().astimezone(city_zone()).date()


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """The first and last day of a month (refused outside the years invoices cover)."""
    try:
        first = date(year, month, 1)
    except ValueError:
        first = None
    if first is None or not FIRST_PERIOD <= first <= LAST_PERIOD:
        raise RuleViolation(Message("pricing.period_range", first=FIRST_PERIOD, last=LAST_PERIOD))
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=city_zone())


def next_invoice_number() -> int:
    """Take the next number in the caller's transaction. The UPDATE locks the counter row
    until commit (PostgreSQL) or runs under the write lock (SQLite), and a rollback gives the
    number back: never a repeat, never a gap. The row is made on first use."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(InvoiceCounter).values(id=1, next_number=current_app.config["INVOICE_FIRST_NUMBER"])
                       .on_conflict_do_nothing(index_elements=["id"]))
    taken = db.session.execute(
        update(InvoiceCounter).where(InvoiceCounter.id == 1)
        .values(next_number=InvoiceCounter.next_number + 1).returning(InvoiceCounter.next_number),
        execution_options={"synchronize_session": False}).scalar_one()
    return taken - 1


def rate_key(rate) -> str:
    return str(Decimal(rate).quantize(CENT))


def _charged(target: PriceSnapshot) -> tuple[int, int, int]:
    """(net, vat, gross) owed for a snapshot: its own split for the price, else the fee's."""
    if target.charge == ChargeKind.price and target.billable_cents == target.gross_cents:
        return target.net_cents, target.vat_cents, target.gross_cents
    net, vat = split_gross(target.billable_cents, target.vat_rate)
    return net, vat, target.billable_cents


def _totals(invoice: Invoice) -> None:
    by_rate: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for line in invoice.lines:
        sums = by_rate[rate_key(line.vat_rate)]
        sums[0] += line.net_cents
        sums[1] += line.vat_cents
        sums[2] += line.gross_cents
    invoice.vat_breakdown = [{"rate": rate, "net_cents": net, "vat_cents": vat, "gross_cents": gross}
                             for rate, (net, vat, gross) in sorted(by_rate.items())]
    invoice.net_cents = sum(line.net_cents for line in invoice.lines)
    invoice.vat_cents = sum(line.vat_cents for line in invoice.lines)
    invoice.gross_cents = invoice.net_cents + invoice.vat_cents


def _new_invoice(organisation: Organisation, first: date, last: date, issued: date, actor) -> Invoice:
    config = current_app.config
    number = next_invoice_number()
    reference = invoice_reference(number)
    return Invoice(number=number, kind=InvoiceKind.invoice, organisation=organisation, issued_date=issued,
                   due_date=issued + timedelta(days=config["INVOICE_DUE_DAYS"]), period_start=first,
                   period_end=last, buyer_name=organisation.name, buyer_business_id=organisation.business_id,
                   buyer_address=organisation.address or "", seller_name=config["INVOICE_SELLER_NAME"],
                   seller_business_id=config["INVOICE_SELLER_BUSINESS_ID"],
                   seller_address=config["INVOICE_SELLER_ADDRESS"], seller_iban=config["INVOICE_SELLER_IBAN"],
                   reference=reference, rf_reference=rf_reference(reference),
                   created_by_id=getattr(actor, "id", None))


def billable_for(end_dt: datetime, organisation: Organisation | None = None) -> list[PriceSnapshot]:
    """Snapshots owing something, not invoiced, starting before `end_dt`, in issuing order."""
    stmt = (select(PriceSnapshot).join(PriceSnapshot.organisation)
            .where(PriceSnapshot.billing_status == BillingStatus.billable, PriceSnapshot.invoice_id.is_(None),
                   PriceSnapshot.billable_cents > 0, PriceSnapshot.start_dt < end_dt)
            .options(selectinload(PriceSnapshot.facility), selectinload(PriceSnapshot.tariff))
            .order_by(Organisation.name, PriceSnapshot.start_dt, PriceSnapshot.id))
    if organisation is not None:
        stmt = stmt.where(PriceSnapshot.organisation_id == organisation.id)
    return list(db.session.scalars(stmt))


def issue_invoices(year: int, month: int, *, organisation: Organisation | None = None, actor=None,
                   today: date | None = None) -> list[Invoice]:
    """Invoice the month (for one organisation, or all): see the module docstring."""
    first, last = month_bounds(year, month)
    issued = today or city_today()
    groups: dict[tuple, list[PriceSnapshot]] = {}
    for target in billable_for(local_midnight(last + timedelta(days=1)), organisation):
        alone = target.id if target.tariff.invoice_each_reservation else 0
        groups.setdefault((target.organisation_id, alone), []).append(target)
    if not groups:
        raise RuleViolation(Message("pricing.nothing_to_invoice"))
    invoices = []
    for targets in groups.values():
        invoice = _new_invoice(targets[0].organisation, first, last, issued, actor)
        for position, target in enumerate(targets, start=1):
            net, vat, gross = _charged(target)
            invoice.lines.append(InvoiceLine(
                position=position, snapshot=target, charge=target.charge, facility_name=target.facility.name,
                description=target.description, start_dt=target.start_dt, end_dt=target.end_dt,
                timezone=target.facility.timezone, vat_rate=target.vat_rate, net_cents=net, vat_cents=vat,
                gross_cents=gross, subsidy_cents=target.subsidy_cents))
        _totals(invoice)
        db.session.add(invoice)
        db.session.flush()
        for target in targets:
            target.invoice_id = invoice.id
            target.billing_status = BillingStatus.invoiced
        db.session.flush()
        publish(Event("invoice.issued", invoice, actor=actor,
                      after={"number": invoice.number, "organisation_id": invoice.organisation_id,
                             "gross_cents": invoice.gross_cents, "lines": len(invoice.lines)},
                      emails=invoice_emails(invoice)))
        invoices.append(invoice)
    return invoices


def invoice_emails(invoice: Invoice) -> list[Email]:
    """An issued invoice, to its organisation's owners (who may turn it off) and its contact address."""
    organisation = invoice.organisation or db.session.get(Organisation, invoice.organisation_id)
    subject = Message("pricing.email.invoice_issued", number=invoice.number)
    fields = {"topic": f"invoice:{invoice.id}", "link": f"/invoices/{invoice.id}",
              "context": {"invoice": invoice, "organisation": organisation}}
    owners = [m.user for m in organisation.memberships if m.role == MembershipRole.owner and m.user.active]
    emails = [Email.to_person(owner, subject, "invoice_issued", kind="invoice", **fields) for owner in owners]
    if organisation.contact_email and organisation.contact_email.lower() not in {o.email for o in owners}:
        emails.append(Email(organisation.contact_email, subject, "invoice_issued", **fields))
    return emails


def credit(invoice: Invoice, reason: str, *, actor=None, today: date | None = None) -> Invoice:
    """Correct an issued invoice: a credit note for all of it. Its reservations owe again
    what their snapshots say, so a corrected price is invoiced on the next run."""
    if invoice.kind == InvoiceKind.credit_note:
        raise RuleViolation(Message("pricing.credit_note_not_credited"))
    if invoice.credit_note is not None:
        raise Conflict(Message("pricing.already_credited"))
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON_LENGTH:
        code = "pricing.reason_required" if not reason else "pricing.reason_too_long"
        raise RuleViolation(field_errors={"reason": [Message(code, max=MAX_REASON_LENGTH)]})
    number = next_invoice_number()
    reference = invoice_reference(number)
    issued = today or city_today()
    note = Invoice(number=number, kind=InvoiceKind.credit_note, credits=invoice, credit_reason=reason,
                   organisation_id=invoice.organisation_id, issued_date=issued, due_date=issued,
                   period_start=invoice.period_start, period_end=invoice.period_end,
                   reference=reference, rf_reference=rf_reference(reference), created_by_id=getattr(actor, "id", None),
                   **{name: getattr(invoice, name) for name in (
                       "buyer_name", "buyer_business_id", "buyer_address", "seller_name", "seller_business_id",
                       "seller_address", "seller_iban")})
    db.session.add(note)
    with db.session.no_autoflush:  # the note is written whole, once its totals are known
        for line in invoice.lines:
            note.lines.append(InvoiceLine(**{name: getattr(line, name) for name in (
                "position", "snapshot_id", "charge", "facility_name", "description", "start_dt", "end_dt", "timezone",
                "vat_rate", "net_cents", "vat_cents", "gross_cents", "subsidy_cents")}))
            target = line.snapshot
            if target.invoice_id == invoice.id:
                target.invoice_id = None
                target.billing_status = BillingStatus.billable
        _totals(note)
    db.session.flush()
    publish(Event("invoice.credited", invoice, actor=actor, after={"credit_note": note.number, "reason": reason}))
    return note


def visible_invoices(user, *, organisation_id: int | None = None) -> Select:
    """The invoices and credit notes the user may see, newest first."""
    stmt = select(Invoice).options(selectinload(Invoice.organisation)).order_by(Invoice.number.desc())
    if not can_administer(user):
        stmt = stmt.where(Invoice.organisation_id.in_([m.organisation_id for m in user.memberships] or [-1]))
    if organisation_id is not None:
        stmt = stmt.where(Invoice.organisation_id == organisation_id)
    return stmt


CSV_COLUMNS = ("number", "kind", "credits_number", "issued_date", "due_date", "period_start", "period_end",
               "buyer_name", "buyer_business_id", "reference", "rf_reference", "vat_rate", "net", "vat", "gross",
               "currency")


def euros(cents: int) -> str:
    """Cents as a plain decimal number of euros ('-12.50'), as finance systems read it."""
    return str((Decimal(cents) / 100).quantize(CENT))


def export_csv(first: date, last: date) -> str:
    """Every invoice and credit note issued from `first` to `last`, one row per VAT rate;
    a credit note's amounts are negative."""
    stmt = (select(Invoice).where(Invoice.issued_date >= first, Invoice.issued_date <= last)
            .options(selectinload(Invoice.credits)).order_by(Invoice.number))
    out = io.StringIO()
    writer = csvfiles.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for invoice in db.session.scalars(stmt):
        for rate in invoice.vat_breakdown:
            writer.writerow([
                invoice.number, invoice.kind.value, invoice.credits.number if invoice.credits else "",
                invoice.issued_date.isoformat(), invoice.due_date.isoformat(), invoice.period_start.isoformat(),
                invoice.period_end.isoformat(), invoice.buyer_name, invoice.buyer_business_id or "",
                invoice.reference, invoice.rf_reference, rate["rate"],
                euros(invoice.sign * rate["net_cents"]), euros(invoice.sign * rate["vat_cents"]),
                euros(invoice.sign * rate["gross_cents"]), invoice.currency])
    return out.getvalue()

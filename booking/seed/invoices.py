"""The demo's billing: last month's invoices, issued from the prices the seeded reservations
keep (run after the reservations; safe to run again: nothing is invoiced twice)."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from booking.errors import RuleViolation
from booking.extensions import db
from booking.pricing.invoicing import city_today, issue_invoices
from booking.pricing.models import Invoice
from booking.unit_of_work import unit_of_work


def load(demo_dir: Path) -> str:
    last_month = city_today().replace(day=1) - timedelta(days=1)
    if db.session.scalar(select(Invoice.id).limit(1)) is not None:
        return "already invoiced"
    try:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]), unit_of_work():
            issued = issue_invoices(last_month.year, last_month.month)
    except RuleViolation:
        return "nothing to invoice"
    return f"{len(issued)} invoices for {last_month:%B %Y}"

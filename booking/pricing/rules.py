"""Who may see and change prices, invoices and subsidies: one `can_*` question per action.

Plain objects in, a yes or no out; views, API routes and templates all ask these.
"""
from __future__ import annotations

from booking.accounts.models import Role
from booking.accounts.rules import can_act_for, can_administer, can_manage_department


def can_manage_tariffs(user, facility) -> bool:
    """Managers keep the tariffs of their departments' facilities; admins of all."""
    return can_manage_department(user, facility.department_id)


def can_decide_price(user, snapshot) -> bool:
    """Set a free-of-charge request's price: the facility's managers."""
    return can_manage_department(user, snapshot.facility.department_id)


def can_quote_for(user, organisation_id: int | None) -> bool:
    """Anyone gets the list price; an organisation's own price goes to its members and staff."""
    if organisation_id is None:
        return True
    return can_act_for(user, organisation_id) or _is_staff(user)


def can_issue_invoices(user) -> bool:
    return can_administer(user)


def can_view_invoice(user, invoice) -> bool:
    """Admins see every invoice; an organisation's members see its own."""
    return can_administer(user) or can_act_for(user, invoice.organisation_id)


def can_view_invoices(user) -> bool:
    """Has an invoice list: admins (all) and members of an organisation (their own)."""
    return can_administer(user) or bool(getattr(user, "is_authenticated", False) and user.memberships)


def can_view_subsidy_ledger(user) -> bool:
    return can_administer(user)


def can_view_revenue(user) -> bool:
    """Managers see revenue and subsidy of their departments; admins of the city."""
    return _is_staff(user)


def _is_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.role in (Role.admin, Role.facility_manager))

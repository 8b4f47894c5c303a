"""Who may see and change facilities."""
from __future__ import annotations

from booking.accounts.rules import can_manage_department
from booking.facilities.models import FacilityStatus


def can_view_facility(user, facility) -> bool:
    """Published facilities are public; drafts and archived ones only for their managers."""
    return facility.status == FacilityStatus.published or can_manage_department(user, facility.department_id)


def can_manage_facility(user, facility) -> bool:
    return can_manage_department(user, facility.department_id)


def can_create_facility(user, department_id: int | None = None) -> bool:
    """Managers create facilities in their departments; admins anywhere."""
    if department_id is None:
        return bool(getattr(user, "is_authenticated", False) and (user.is_admin or user.department_ids))
    return can_manage_department(user, department_id)


def can_edit_amenities(user) -> bool:
    """The amenity vocabulary is the city's: its admins name and group the entries."""
    return bool(getattr(user, "is_authenticated", False) and user.is_admin)

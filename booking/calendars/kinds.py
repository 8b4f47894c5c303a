"""What each kind of feed shows and who may follow it: a registry the feed code asks.

A kind answers: may this user follow that target (asked when the feed is made AND on every
fetch, so a feed stops the moment its owner leaves the organisation or stops managing the
department), which reservations it shows (a WHERE clause on Reservation, Facility joined),
what its targets are called, and whether it is public (busy time only: no titles, people or
organisations). The agreement kind follows a pilot agreement's booked blocks: its parties,
host department and reviewers may follow it (agreements' `can_view_agreement`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import ColumnElement, false, select, true

from booking.accounts.models import Department, Organisation, User
from booking.accounts.rules import can_act_for, can_manage_department
from booking.agreements.models import AgreementBlock, PilotAgreement
from booking.agreements.rules import can_view_agreement
from booking.calendars.messages import ALL_DEPARTMENTS
from booking.extensions import db
from booking.facilities.models import Facility
from booking.facilities.rules import can_view_facility
from booking.reservations.models import Reservation, ReservationKind


@dataclass(frozen=True)
class Kind:
    name: str
    may_follow: Callable[[User, int | None], bool]
    selects: Callable[[User, int | None], ColumnElement[bool]]
    names: Callable[[list[int]], dict[int, str]]  # target id → what it is called (one query)
    public: bool = False
    target_optional: bool = False  # manager: no target means every department the owner manages
    # Loads many targets at once, so that may_follow asked for each feed of a list finds them
    # loaded (one query); returns them, which keeps them in the session while they are asked about.
    load: Callable[[list[int]], list] | None = None


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    _kinds[kind.name] = kind
    return kind


def get(name: str) -> Kind | None:
    """The kind if it is served (a kind whose domain is not installed yet is not)."""
    return _kinds.get(name)


def served() -> list[str]:
    return list(_kinds)


def _named(model) -> Callable[[list[int]], dict[int, str]]:
    def names(ids: list[int]) -> dict[int, str]:
        if not ids:
            return {}
        return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())
    return names


def _loaded(model) -> Callable[[list[int]], list]:
    def load(ids: list[int]) -> list:
        return list(db.session.scalars(select(model).where(model.id.in_(ids)))) if ids else []
    return load


def _may_follow_facility(user: User, facility_id: int | None) -> bool:
    facility = db.session.get(Facility, facility_id) if facility_id is not None else None
    return facility is not None and can_view_facility(user, facility)


def _may_follow_department(user: User, department_id: int | None) -> bool:
    if department_id is None:
        return user.is_staff
    return can_manage_department(user, department_id) and db.session.get(Department, department_id) is not None


def _managed(user: User, department_id: int | None) -> ColumnElement[bool]:
    if department_id is not None:
        return Facility.department_id == department_id
    if user.is_admin:
        return true()
    ids = user.department_ids
    return Facility.department_id.in_(ids) if ids else false()


register(Kind("facility", _may_follow_facility, lambda user, target: Reservation.facility_id == target,
              _named(Facility), public=True, load=_loaded(Facility)))
register(Kind("organisation", lambda user, target: can_act_for(user, target),
              lambda user, target: Reservation.organisation_id == target, _named(Organisation)))
register(Kind("user", lambda user, target: target == user.id,
              lambda user, target: (Reservation.user_id == target) & (Reservation.kind == ReservationKind.booking),
              _named(User)))
register(Kind("manager", _may_follow_department, _managed, _named(Department), target_optional=True,
              load=_loaded(Department)))


def _may_follow_agreement(user: User, agreement_id: int | None) -> bool:
    agreement = db.session.get(PilotAgreement, agreement_id) if agreement_id is not None else None
    return agreement is not None and can_view_agreement(user, agreement)


def _agreement_titles(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(PilotAgreement.id, PilotAgreement.title)
                                   .where(PilotAgreement.id.in_(ids))).all())


register(Kind("agreement", _may_follow_agreement,
              lambda user, target: Reservation.id.in_(select(AgreementBlock.reservation_id)
                                                      .where(AgreementBlock.agreement_id == target)),
              _agreement_titles, load=_loaded(PilotAgreement)))


def target_names(feeds) -> dict[tuple[str, int | None], str]:
    """What each feed follows, for lists: one query per kind, whatever the number of feeds."""
    wanted: dict[str, set[int]] = {}
    for feed in feeds:
        if feed.target_id is not None:
            wanted.setdefault(feed.kind.value, set()).add(feed.target_id)
    result: dict[tuple[str, int | None], str] = {("manager", None): str(ALL_DEPARTMENTS)}
    for name, ids in wanted.items():
        kind = get(name)
        if kind is not None:
            result.update({(name, i): n for i, n in kind.names(sorted(ids)).items()})
    return result

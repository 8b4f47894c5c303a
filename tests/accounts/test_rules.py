"""Pure account rules: no database, no request."""
from types import SimpleNamespace

import pytest

from booking.accounts.models import MembershipRole, Role
from booking.accounts.rules import (can_act_for, can_administer, can_manage_department, can_manage_organisation,
                                    can_view_audit, can_view_outbox, is_strong_password, is_valid_business_id,
                                    normalise_email)


@pytest.mark.parametrize("value", ["0245896-3", "2345671-3", "1122334-9", " 2019872-0 ", "0000000-0"])
def test_valid_business_ids(value):
    assert is_valid_business_id(value)


@pytest.mark.parametrize("value", ["2345671-4", "2345671", "23456713", "234567-13", "abcdefg-h", "",
                                   "12345678-9", "1234567-"])
def test_invalid_business_ids(value):
    assert not is_valid_business_id(value)


def test_a_remainder_of_one_never_gives_a_valid_id():
    # Where the weighted sum leaves a remainder of 1, the format has no check digit at all.
    base = next(f"{n:07d}" for n in range(10_000_000)
                if sum(int(d) * w for d, w in zip(f"{n:07d}", (7, 9, 10, 5, 8, 4, 2))) % 11 == 1)
    assert not any(is_valid_business_id(f"{base}-{digit}") for digit in range(10))


@pytest.mark.parametrize("password,strong", [("correct-horse-1", True), ("abcdefghij1", True),
                                             ("short-1", False), ("onlyletterslong", False),
                                             ("12345678901", False), ("päivää päivää!", True)])
def test_password_strength(password, strong):
    assert is_strong_password(password) is strong


def test_emails_are_compared_lower_case_without_spaces():
    assert normalise_email("  Mia.Member@Example.COM ") == "mia.member@example.com"


def _user(role=Role.member, departments=(), memberships=()):
    return SimpleNamespace(is_authenticated=True, role=role, department_ids=set(departments),
                           memberships=[SimpleNamespace(organisation_id=o, role=r) for o, r in memberships])


ANONYMOUS = SimpleNamespace(is_authenticated=False)


def test_who_administers_and_sees_the_outbox():
    assert can_administer(_user(Role.admin)) and can_view_outbox(_user(Role.admin))
    for user in (_user(), _user(Role.facility_manager, [1]), ANONYMOUS, None):
        assert not can_administer(user)
        assert not can_view_outbox(user)


def test_who_sees_the_audit_log():
    assert can_view_audit(_user(Role.admin))
    assert can_view_audit(_user(Role.facility_manager, [1]))
    assert not can_view_audit(_user())
    assert not can_view_audit(ANONYMOUS)


def test_managers_manage_only_their_departments():
    manager = _user(Role.facility_manager, [1, 2])
    assert can_manage_department(manager, 1) and can_manage_department(manager, 2)
    assert not can_manage_department(manager, 3)
    assert can_manage_department(_user(Role.admin), 3)
    assert not can_manage_department(_user(departments=[1]), 1)  # a member is never a manager
    assert not can_manage_department(ANONYMOUS, 1)


def test_members_act_only_for_their_organisations():
    user = _user(memberships=[(10, MembershipRole.member), (11, MembershipRole.owner)])
    assert can_act_for(user, 10) and can_act_for(user, 11)
    assert not can_act_for(user, 12)
    assert not can_act_for(user, None)
    assert not can_act_for(ANONYMOUS, 10)


def test_owners_and_admins_manage_an_organisation():
    user = _user(memberships=[(10, MembershipRole.member), (11, MembershipRole.owner)])
    assert can_manage_organisation(user, 11)
    assert not can_manage_organisation(user, 10)
    assert can_manage_organisation(_user(Role.admin), 10)
    assert not can_manage_organisation(ANONYMOUS, 11)

"""Demo departments, organisations and users."""
from __future__ import annotations

import csv
from pathlib import Path

from booking.accounts import services
from booking.accounts.models import ActorType, MembershipRole, Role
from booking.unit_of_work import unit_of_work


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def load(demo_dir: Path) -> str:
    with unit_of_work():
        return _load(demo_dir)


def _load(demo_dir: Path) -> str:
    for row in read_csv(demo_dir / "departments.csv"):
        department = services.get_or_create_department(row["name"])
        department.description = row["description"]
        department.contact_email = row["contact_email"] or None
        department.decision_days = int(row["decision_days"] or 3)
    organisations = {}
    for row in read_csv(demo_dir / "organisations.csv"):
        organisations[row["name"]] = services.get_or_create_organisation(
            row["name"], ActorType(row["actor_type"]), business_id=row["business_id"] or None,
            address=row["address"], contact_email=row["contact_email"] or None)
    created = 0
    for row in read_csv(demo_dir / "users.csv"):
        if services.get_user_by_email(row["email"]) is not None:
            continue
        orgs = [organisations[name] for name in _split(row["organisations"])]
        user = services.create_user(
            row["email"], row["name"], row["password"], role=Role(row["role"]),
            departments=[services.get_or_create_department(d) for d in _split(row["departments"])],
            organisation=orgs[0] if orgs else None, membership_role=MembershipRole.owner)
        for org in orgs[1:]:
            services.add_membership(user, org, MembershipRole.member)
        created += 1
    return f"{len(organisations)} organisations, {created} new users"

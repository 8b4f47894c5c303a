"""JSON routes of the accounts domain."""
from __future__ import annotations

from pydantic import BaseModel

from booking.api import api_user, route


class OrganisationOut(BaseModel):
    id: int
    name: str
    actor_type: str
    business_id: str | None
    role: str


class MeOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    departments: list[str]
    current_organisation_id: int | None
    organisations: list[OrganisationOut]


@route("/me", summary="The caller and their organisations", tag="accounts", response=MeOut)
def me():
    user = api_user()
    return MeOut(
        id=user.id, email=user.email, name=user.name, role=user.role.value,
        departments=sorted(d.name for d in user.departments),
        current_organisation_id=user.current_organisation_id,
        organisations=[OrganisationOut(id=m.organisation.id, name=m.organisation.name,
                                       actor_type=m.organisation.actor_type.value,
                                       business_id=m.organisation.business_id, role=m.role.value)
                       for m in user.memberships],
    )

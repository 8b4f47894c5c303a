"""JSON routes of the accounts domain: the caller's profile and their API tokens."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import g
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from booking import personal_data
from booking.accounts import services
from booking.accounts.models import ApiToken
from booking.api import api_user, route
from booking.api.pagination import Page, PageQuery, page_of
from booking.api.types import Text


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
    locale: str | None
    departments: list[str]
    current_organisation_id: int | None
    organisations: list[OrganisationOut]


class MeUpdate(BaseModel):
    """At least one of the fields: what is left out stays as it is."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    name: Text | None = Field(None, min_length=1, max_length=200, description="left out or null: unchanged")
    locale: Literal["en", "fi", "sv"] | None = Field(None, description="null: follow the browser")

    @model_validator(mode="after")
    def _something_to_change(self):
        if not self.model_fields_set:
            raise ValueError("give name or locale (or both)")
        return self


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it")
    created_dt: datetime
    revoked_dt: datetime | None
    scopes: str = Field(description="What it may do, space-separated: read, book, manage, admin")
    expires_dt: datetime | None = Field(description="When it stops working (null: until revoked)")
    last_used_dt: datetime | None = Field(description="When it was last used (to the nearest five minutes)")


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text = Field(min_length=1, max_length=100)
    scopes: list[Literal["read", "book", "manage", "admin"]] | None = Field(
        default=None, min_length=1, max_length=4,
        description="Default: the scopes of the token making the request. Never more than its owner, nor than "
                    "that token, may do (403).")
    expires_in_days: int | None = Field(default=None, ge=1, le=3650, description="Default: never expires")


class CreatedToken(TokenOut):
    token: str = Field(description="The token itself; shown only in this response")


def _me(user) -> MeOut:
    return MeOut(
        id=user.id, email=user.email, name=user.name, role=user.role.value, locale=user.locale,
        departments=sorted(d.name for d in user.departments),
        current_organisation_id=user.current_organisation_id,
        organisations=[OrganisationOut(id=m.organisation.id, name=m.organisation.name,
                                       actor_type=m.organisation.actor_type.value,
                                       business_id=m.organisation.business_id, role=m.role.value)
                       for m in user.memberships],
    )


@route("/me", summary="The caller and their organisations", tag="accounts", response=MeOut)
def me():
    return _me(api_user())


@route("/me", "PATCH", summary="Change the caller's name or language", tag="accounts", body=MeUpdate,
       response=MeOut)
def update_me(body: MeUpdate):
    user = api_user()
    locale = body.locale if "locale" in body.model_fields_set else user.locale
    services.update_profile(user, name=body.name or user.name, locale=locale)
    return _me(user)


@route("/tokens", summary="The caller's API tokens, newest first", tag="accounts", query=PageQuery,
       response=Page[TokenOut])
def list_tokens(query: PageQuery):
    stmt = (select(ApiToken).where(ApiToken.user_id == api_user().id)
            .order_by(ApiToken.created_dt.desc(), ApiToken.id.desc()))
    return page_of(stmt, query, TokenOut.model_validate)


@route("/tokens", "POST", scope="admin", summary="Create an API token", tag="accounts", body=NewToken, response=CreatedToken,
       status=201)
def create_token(body: NewToken):
    caller = g.api_token.scope_set if g.get("api_token") is not None else None
    api_token, token = services.issue_api_token(api_user(), body.name, body.scopes or caller,
                                                expires_days=body.expires_in_days, within=caller)
    return CreatedToken(**TokenOut.model_validate(api_token).model_dump(), token=token)


@route("/tokens/<int:token_id>", "DELETE", scope="admin", summary="Revoke an API token", tag="accounts", status=204,
       errors=(404,))
def revoke_token(token_id: int):
    services.revoke_api_token(api_user(), token_id)


class PersonalDataOut(BaseModel):
    """Everything held about the caller, by part: profile, memberships, sessions, API tokens,
    notifications, reservations, pilot agreements and audit events (instants in UTC)."""
    model_config = ConfigDict(extra="allow")
    exported_at: datetime


@route("/me/data", summary="Download everything held about the caller (GDPR)", tag="accounts",
       response=PersonalDataOut)
def my_data():
    return PersonalDataOut(**personal_data.collect(api_user()))

"""JSON routes of calendar feeds: create, list, renew and revoke (the feed itself is
GET /calendars/<token>.ics, outside the API: calendar clients send no bearer token)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import url_for
from pydantic import BaseModel, ConfigDict, Field

from booking.api import api_user, route
from booking.api.pagination import Page, PageQuery, page_of
from booking.api.types import Id
from booking.calendars import links, rules, services
from booking.calendars.models import CalendarFeed
from booking.errors import Message, NotFound, PermissionDenied
from booking.unit_of_work import unit_of_work

TAG = "calendars"


class FeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["facility", "organisation", "user", "manager", "agreement"]
    target_id: Id | None = Field(None, description=(
        "The facility, organisation, user (default: the caller) or department (manager; null: every "
        "department the caller manages) the feed follows"))


class FeedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    target_id: int | None
    owner_id: int
    created_dt: datetime
    revoked_dt: datetime | None
    last_fetched_dt: datetime | None


class CreatedFeed(FeedOut):
    url: str = Field(description="The feed's address; shown only in this response (only its hash is kept)")
    webcal_url: str = Field(description="The same address as webcal://, which opens a calendar app")


class FeedQuery(PageQuery):
    all: bool = Field(False, description="Every user's feeds (admins only)")


def _out(feed: CalendarFeed) -> FeedOut:
    return FeedOut(id=feed.id, kind=feed.kind.value, target_id=feed.target_id, owner_id=feed.owner_id,
                   created_dt=feed.created_dt, revoked_dt=feed.revoked_dt, last_fetched_dt=feed.last_fetched_dt)


def _created(feed: CalendarFeed, token: str) -> CreatedFeed:
    url = url_for("calendars.feed", token=token, _external=True)
    return CreatedFeed(**_out(feed).model_dump(), url=url, webcal_url=links.webcal(url))


def _manageable(feed_id: int) -> CalendarFeed:
    feed = services.get_feed(feed_id)
    if feed is None or not rules.can_manage_feed(api_user(), feed):
        raise NotFound(Message("calendars.feed_not_found"))
    return feed


@route("/feeds", summary="The caller's calendar feeds (admins: everyone's with all=true)", tag=TAG,
       query=FeedQuery, response=Page[FeedOut], errors=(403,))
def list_feeds(query: FeedQuery):
    user = api_user()
    if query.all and not rules.can_list_all_feeds(user):
        raise PermissionDenied()
    return page_of(services.feeds_query(None if query.all else user), query, _out)


@route("/feeds", "POST", summary="Create a calendar feed", tag=TAG, body=FeedIn, response=CreatedFeed, status=201,
       errors=(404, 422))
def create_feed(body: FeedIn):
    """A facility feed shows busy time only (no titles, people or organisations); the others show
    reservations in full. The feed stops answering when the caller loses the scope it follows."""
    with unit_of_work():
        feed, token = services.create_feed(api_user(), body.kind, body.target_id)
    return _created(feed, token)


@route("/feeds/<int:feed_id>/regenerate", "POST", summary="Give a calendar feed a new address", tag=TAG,
       response=CreatedFeed, errors=(403, 404, 422))
def regenerate_feed(feed_id: int):
    """The old address stops working at once."""
    feed = _manageable(feed_id)
    with unit_of_work():
        token = services.regenerate_feed(api_user(), feed)
    return _created(feed, token)


@route("/feeds/<int:feed_id>", "DELETE", summary="Revoke a calendar feed", tag=TAG, status=204, errors=(404,))
def revoke_feed(feed_id: int):
    """Its address answers 404 from now on. Admins may revoke anyone's feed."""
    feed = _manageable(feed_id)
    with unit_of_work():
        services.revoke_feed(api_user(), feed)

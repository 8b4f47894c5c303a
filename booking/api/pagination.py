"""`?page=&per_page=` → `{"items": [...], "total": N}` for every list."""
from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select

from booking.api.types import MAX_INT, PageNumber
from booking.extensions import db

T = TypeVar("T")
MAX_PER_PAGE = 200


class PageQuery(BaseModel):
    page: PageNumber = 1
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE, description="items per page")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


def paginate(stmt: Select, page: int, per_page: int) -> tuple[list, int]:
    """One page of a select and the total row count (two queries, whatever the page size).
    A page far beyond any row is empty, without asking the database for an offset it cannot hold."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    if not 1 <= page <= MAX_INT:
        return [], total
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return list(items), total


def page_of(stmt: Select, query: PageQuery, to_item) -> Page:
    """The page `query` asks for, each row turned into a response item by `to_item`."""
    items, total = paginate(stmt, query.page, query.per_page)
    return Page(items=[to_item(row) for row in items], total=total, page=query.page, per_page=query.per_page)

"""Bounded input types every API model uses, so no value reaches the database that it cannot
hold: ids and counts fit a 32-bit integer, instants and days lie within years the code can
compute with, and text carries no NUL or control characters (PostgreSQL refuses NUL in text).

Instants and days are what the OpenAPI document says they are, ISO 8601 strings: a number
(which pydantic would otherwise read as seconds since 1970) is refused, in a body or a query.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

from booking.database import MAX_INT
from booking.plaintext import has_unwanted_characters
FIRST_YEAR, LAST_YEAR = 1900, 2999

# The characters web forms refuse too (booking/plaintext.py): control characters and text-direction overrides.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"


def _plain_text(value: str) -> str:
    if has_unwanted_characters(value):
        raise ValueError("must not contain NUL bytes, other control characters or text-direction overrides")
    return value


def _plus_restored(value):
    """'2026-12-01T08:00:00 02:00' → '…+02:00': an unencoded '+' in a query string arrives as
    a space, and refusing the commonest client mistake helps nobody."""
    if isinstance(value, str):
        return re.sub(r" (\d{2}:?\d{2})$", r"+\1", value)
    return value


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _iso_instant(value):
    """An ISO 8601 date-time string (or a datetime, from Python callers); never a number."""
    if isinstance(value, datetime) or (isinstance(value, str) and not _NUMBER.match(value)):
        return value
    raise ValueError("must be an ISO 8601 date and time with an offset, e.g. 2030-03-05T10:00:00+02:00")


def _iso_day(value):
    """An ISO 8601 calendar date, YYYY-MM-DD (or a date, from Python callers); never a number
    or a date-time."""
    if (isinstance(value, date) and not isinstance(value, datetime)) or (
            isinstance(value, str) and _ISO_DAY.match(value)):
        return value
    raise ValueError("must be an ISO 8601 date, YYYY-MM-DD")


def _in_years(value: datetime | date) -> datetime | date:
    # Checked on the local wall time, before anything converts it (year 1 or 9999 overflow in UTC).
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_INT)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]         # capacities, attendees, quantities
PageNumber = Annotated[int, Field(ge=1, le=MAX_INT, description="1-based page number")]
Text = Annotated[str, AfterValidator(_plain_text), Field(json_schema_extra={"pattern": TEXT_PATTERN})]
Instant = Annotated[AwareDatetime, BeforeValidator(_iso_instant), BeforeValidator(_plus_restored),
                    AfterValidator(_in_years)]
Day = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_in_years),
                Field(json_schema_extra={"pattern": r"^\d{4}-\d{2}-\d{2}$"})]

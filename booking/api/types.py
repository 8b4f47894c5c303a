"""Bounded input types every API model uses, so no value reaches the database that it cannot
hold: ids and counts fit a 32-bit integer, instants lie within years the code can compute
with, and text carries no NUL or control characters (PostgreSQL refuses NUL in text)."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

from booking.database import MAX_INT
from booking.forms import has_unwanted_characters
FIRST_YEAR, LAST_YEAR = 1900, 2999

# The characters web forms refuse too (booking/forms.py): control characters and text-direction overrides.
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


def _in_years(value: datetime) -> datetime:
    # Checked on the local wall time, before anything converts it (year 1 or 9999 overflow in UTC).
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_INT)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]         # capacities, attendees, quantities
PageNumber = Annotated[int, Field(ge=1, le=MAX_INT, description="1-based page number")]
Text = Annotated[str, AfterValidator(_plain_text), Field(json_schema_extra={"pattern": TEXT_PATTERN})]
Instant = Annotated[AwareDatetime, BeforeValidator(_plus_restored), AfterValidator(_in_years)]

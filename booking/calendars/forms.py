"""The one form feeds need: what to follow, as "kind:target" ("manager:" for every department)."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from booking.forms import BaseForm
from wtforms import SelectField
from wtforms.validators import InputRequired

from booking.database import MAX_INT

_FOLLOW = re.compile(r"^([a-z]{1,20}):(\d{0,10})$")


def parse_follow(value: str | None) -> tuple[str, int | None] | None:
    """("facility", 12) from "facility:12", ("manager", None) from "manager:"; None if malformed."""
    match = _FOLLOW.match(value or "")
    if not match:
        return None
    kind, target = match.groups()
    if target and not 1 <= int(target) <= MAX_INT:
        return None
    return kind, int(target) if target else None


class FollowForm(BaseForm):
    # Pages offer what the user may follow; the subscribe buttons post a hidden value. The
    # service decides whether the user may follow it, so any well-formed value is accepted here.
    follow = SelectField(_l("Calendar to follow"), validate_choice=False, validators=[InputRequired()])

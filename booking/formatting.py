"""How values read to people: instants in a facility's time zone, durations, and the
coded messages services return. Every page, e-mail and API error uses this one module.

Services never format: they raise errors (booking.errors) and return results carrying
`Message(code, **params)`. Each domain's `messages.py` registers the wording for its
codes with `register`; `render` turns a message into words in the current language,
formatting its values (an instant in `tz`, a duration, a nested message) here.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_currency, format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_babel import ngettext

# Day first and 24-hour in every language, as Finnish readers expect ("Mon 30 Nov 2026 10:00").
DATETIME_FORMAT = "EEE d MMM y HH:mm"
DATE_FORMAT = "EEE d MMM y"


def _zone(tz: str | None) -> ZoneInfo:
    return ZoneInfo(tz or current_app.config["DEFAULT_TIMEZONE"])


def local_time(value: datetime | None, tz: str | None = None, fmt: str = DATETIME_FORMAT) -> str:
    """An instant shown in a facility's (or the city's) time zone."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(_zone(tz)).replace(tzinfo=None), fmt)


def compact_time(value: datetime | None, tz: str | None = None, *, now: datetime | None = None) -> str:
    """An instant as short as it can be read in a list: "14:05" today, "3 Mar 14:05" this year,
    "3 Mar 2025 14:05" before (local time; `now` is the current instant)."""
    if value is None:
        return ""
    zone = _zone(tz)
    local = value.astimezone(zone)
    today = (now or datetime.now(zone)).astimezone(zone).date()
    fmt = "HH:mm" if local.date() == today else "d MMM HH:mm" if local.year == today.year else "d MMM y HH:mm"
    return format_datetime(local.replace(tzinfo=None), fmt)


def local_date(value: date, fmt: str = DATE_FORMAT) -> str:
    return format_date(value, fmt)


def duration(value: timedelta | int) -> str:
    """'3 hours', '1 hour 30 minutes', '2 days', '1 week' (an int is minutes)."""
    minutes = value if isinstance(value, int) else int(value.total_seconds() // 60)
    weeks, rest = divmod(minutes, 7 * 24 * 60)
    if weeks and not rest:
        return ngettext("%(num)d week", "%(num)d weeks", weeks)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [ngettext("%(num)d day", "%(num)d days", days) if days else "",
             ngettext("%(num)d hour", "%(num)d hours", hours) if hours else "",
             ngettext("%(num)d minute", "%(num)d minutes", minutes) if minutes else ""]
    return " ".join(p for p in parts if p) or _("0 minutes")


def time_range(start: datetime, end: datetime, tz: str) -> str:
    """'Tue 1 Dec 2026, 10:00–12:00', or both dates when it ends on a later day."""
    zone = ZoneInfo(tz)
    first, last = start.astimezone(zone), end.astimezone(zone)
    same_day = first.date() == last.date() or (last.time() == time(0) and last.date() == first.date() + timedelta(1))
    if same_day:
        return f"{local_time(start, tz, DATE_FORMAT)}, {first:%H:%M}–{last:%H:%M}"
    return f"{local_time(start, tz)} – {local_time(end, tz)}"


def number(value) -> str:
    """A rate or quantity as the reader writes it: '25.5' in English, '25,5' in Finnish and Swedish."""
    if value is None:
        return ""
    return format_decimal(Decimal(str(value)).normalize(), format="#,##0.###")


def money(cents: int | None) -> str:
    """Cents as euros in the reader's language ('€1,234.50', '1 234,50 €', '−€60.00')."""
    if cents is None:
        return ""
    return format_currency(Decimal(cents) / 100, "EUR").replace("-", "\u2212")  # a true minus sign


# --- coded messages ------------------------------------------------------------------------

_texts: dict[str, object] = {}


def register(texts: dict[str, object]) -> None:
    """A domain's wording: code → lazy gettext string with %(name)s placeholders."""
    _texts.update(texts)


def has_text(code: str) -> bool:
    return code in _texts


def _value(key: str, value, tz: str | None):
    from booking.errors import Message

    if isinstance(value, Message):
        return render(value)
    if key.endswith("_cents") and isinstance(value, int):
        return money(value)
    if isinstance(value, datetime):
        return local_time(value, tz)
    if isinstance(value, date):
        return local_date(value)
    if isinstance(value, timedelta) or key == "minutes":
        return duration(value)
    return value


def render(message) -> str:
    """A Message in words, in the current language; an unknown code reads as itself."""
    template = _texts.get(message.code)
    if template is None:
        return message.code
    tz = message.params.get("tz")
    return str(template) % {k: _value(k, v, tz) for k, v in message.params.items()}

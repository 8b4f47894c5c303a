"""Closures kept in sync with a calendar the facility already keeps elsewhere (a stored URL).

The manager stores the calendar's address once ("keep in sync"); the `refresh-closure-calendars`
job reads it again every few hours, and the manager can refresh now. Each refresh:
- fetches and reads the calendar BEFORE any unit of work (booking.fetching's caps, then
  booking.facilities.ical in a child process), so no write lock is held during slow work;
- then, in one short unit of work per facility, brings the imported closures in line
  (update by UID, remove vanished events, keep those of events that could not be read) and
  records the time and the outcome on the facility;
- a refresh that fails (network error, not a calendar, too big, too slow) records why and
  changes no closure: existing closures are never deleted because a server was down.
The outcome is stored as coded Messages ({"code", "params"}) and worded when shown.
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from booking.database import utcnow
from booking.errors import DomainError, Message
from booking.events import Event, publish
from booking.extensions import db
from booking.facilities import ical, importing, services
from booking.facilities.models import Facility
from booking.unit_of_work import unit_of_work

log = logging.getLogger(__name__)


def read(url: str, timezone: str) -> ical.Reading:
    """Fetch and read the calendar (slow: before the unit of work), or a RuleViolation on `url`."""
    return importing.read_calendar(importing.fetch_calendar(url), timezone, field_name="url")


def try_read(url: str, timezone: str) -> ical.Reading | DomainError:
    """The reading, or the refusal saying why there is none (for recording as the outcome)."""
    try:
        return read(url, timezone)
    except DomainError as exc:
        return exc


def keep_in_sync(facility: Facility, url: str, reading: ical.Reading, *, actor=None) -> dict[str, int]:
    """Store the calendar's address and apply a first reading of it (read before the unit of work)."""
    before = facility.closure_calendar_url
    facility.closure_calendar_url = url.strip()
    publish(Event("facility.closure_calendar_set", facility, actor=actor, before={"url": before},
                  after={"url": facility.closure_calendar_url}))
    return record_refresh(facility, facility.closure_calendar_url, reading, actor=actor)


def stop_sync(facility: Facility, *, actor=None) -> None:
    """Forget the address. The closures it brought stay (remove them one by one if they should go)."""
    before = facility.closure_calendar_url
    facility.closure_calendar_url = None
    facility.closure_calendar_refreshed_dt = facility.closure_calendar_ok = facility.closure_calendar_outcome = None
    publish(Event("facility.closure_calendar_stopped", facility, actor=actor, before={"url": before}))


def record_refresh(facility: Facility, url: str, result: ical.Reading | DomainError, *,
                   actor=None) -> dict[str, int] | None:
    """Apply a reading of `url`, or record why there is none; the counts, or None when nothing was
    applied. Skipped if the address was changed or removed while the calendar was being read."""
    if facility.closure_calendar_url != url:
        return None
    facility.closure_calendar_refreshed_dt = utcnow()
    if isinstance(result, DomainError):
        facility.closure_calendar_ok = False
        facility.closure_calendar_outcome = [encode(Message("facilities.calendar_sync.failed",
                                                            problem=_problem(result)))]
        return None
    counts = importing.apply_calendar(facility, result, source=url, actor=actor)
    outcome = [Message("facilities.calendar_sync.refreshed", **counts)]
    if result.problems:
        outcome.append(Message("facilities.calendar_sync.left_out", n=len(result.problems)))
    db.session.flush()
    affected = services.affected_reservations(facility, services.coming_closures(facility, imported=True))
    if affected:
        outcome.append(Message("facilities.closure.lands_on", n=affected))
    facility.closure_calendar_ok = True
    facility.closure_calendar_outcome = [encode(m) for m in outcome]
    return {**counts, "left_out": len(result.problems), "affected": affected}


def outcome(facility: Facility) -> list[Message]:
    """The last refresh's outcome, as Messages to word (empty before the first refresh)."""
    return [decode(item) for item in facility.closure_calendar_outcome or []]


def refresh_all() -> dict[str, int]:
    """Refresh every stored calendar (the job): each read outside, each write in its own unit of work,
    so one broken calendar or facility never stops the others. Returns how many worked and failed."""
    with unit_of_work():
        stored = db.session.execute(select(Facility.id, Facility.closure_calendar_url, Facility.timezone)
                                    .where(Facility.closure_calendar_url.is_not(None))
                                    .order_by(Facility.id)).all()
    done = {"refreshed": 0, "failed": 0}
    for facility_id, url, timezone in stored:
        result = try_read(url, timezone)
        try:
            with unit_of_work():
                facility = db.session.get(Facility, facility_id)
                if facility is not None:
                    record_refresh(facility, url, result)
        except Exception:  # noqa: BLE001 - one facility's failure must not stop the others
            log.exception("refreshing the closure calendar of facility %s failed", facility_id)
            result = None
        done["failed" if not isinstance(result, ical.Reading) else "refreshed"] += 1
    return done


def _problem(error: DomainError) -> Message | str:
    """The one reason a calendar was refused (fetch_calendar and read_calendar give one)."""
    reasons = error.messages + [m for messages in error.field_messages.values() for m in messages]
    return reasons[0] if reasons else Message("facilities.calendar.not_ical")


def encode(message: Message | str) -> dict:
    if not isinstance(message, Message):
        return {"code": "", "text": str(message)}
    return {"code": message.code,
            "params": {k: encode(v) if isinstance(v, Message) else v for k, v in message.params.items()}}


def decode(data: dict) -> Message | str:
    if not data.get("code"):
        return data.get("text", "")
    return Message(data["code"], **{k: decode(v) if isinstance(v, dict) and "code" in v else v
                                    for k, v in (data.get("params") or {}).items()})

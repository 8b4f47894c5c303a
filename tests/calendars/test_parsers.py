"""Proof that calendar clients see what the database holds: every kind of feed, and a
reservation's own file, parsed by three parsers independent of the `icalendar` writer —
recurring-ical-events, vobject and Mozilla's ical.js (Thunderbird's, run with node) — and
each expansion compared with the reservations, for a weekly series that crosses the spring
and the autumn DST change in Europe/Helsinki (same local time, 10:00, on both sides; one
occurrence cancelled, one pending, one moved) and a block that ends in the repeated hour of
the autumn night. A second pass renames the zone, so a parser that looked the TZID up in its
own database instead of reading the file's VTIMEZONE would be caught.

ical.js comes from the npm registry (package.json; `npm ci`). Without node or npm these tests
skip on a developer's machine and fail under CI=true.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import vobject

from booking.calendars import rules
from booking.reservations.models import ReservationKind
from tests.fixtures.calendars import days_from_now

UTC = timezone.utc
HELSINKI = "Europe/Helsinki"
RENAMED = "Test/Elsewhere"
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("icaljs_expand.mjs")
IS_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def node():
    """The node binary, with ical.js installed from package-lock.json if it is not yet."""
    def unavailable(why: str):
        if IS_CI:
            pytest.fail(f"CI=true but {why}", pytrace=False)
        pytest.skip(why)

    binary, npm = shutil.which("node"), shutil.which("npm")
    if binary is None:
        unavailable("node is missing (apt-get install -y nodejs npm)")
    if not (ROOT / "node_modules" / "ical.js" / "package.json").exists():
        if npm is None:
            unavailable("npm is missing to install ical.js (apt-get install -y npm)")
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        if done.returncode != 0:
            unavailable(f"npm ci failed: {done.stderr[-500:]}")
    return binary


# --- what each parser sees: (uid, status, start UTC, end UTC, wall-clock start in Helsinki) --------

AMBIGUOUS = "in the repeated hour"


def _wall(start: datetime, zone: str) -> str:
    """The wall-clock start, compared where it says one thing: a time in the hour an autumn
    change repeats is the same words twice (and ical.js converts UTC to local wrongly there)."""
    local = start.astimezone(ZoneInfo(zone))
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return AMBIGUOUS
    return local.strftime("%Y-%m-%dT%H:%M:%S")


def _row(uid, status, start: datetime, end: datetime, zone: str = HELSINKI) -> tuple:
    wall = _wall(start, zone)
    return (uid, status, start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat(), wall)


def with_recurring_ical_events(text: str, zone: str = HELSINKI) -> set[tuple]:
    calendar = icalendar.Calendar.from_ical(text)
    start, end = rules.window(datetime.now(UTC))
    found = recurring_ical_events.of(calendar).between(start - timedelta(days=1), end + timedelta(days=1))
    return {_row(str(e["UID"]), str(e["STATUS"]), e["DTSTART"].dt, e["DTEND"].dt, zone) for e in found}


def with_vobject(text: str, zone: str = HELSINKI) -> set[tuple]:
    calendar = vobject.readOne(text)
    found = set()
    for event in calendar.vevent_list:
        starts = list(event.getrruleset(addRDate=True) or []) if event.rruleset else [event.dtstart.value]
        length = event.dtend.value - event.dtstart.value
        for start in starts:
            found.add(_row(event.uid.value, event.status.value, start, start + length, zone))
    return found


def with_icaljs(node: str, text: str, zone: str = HELSINKI) -> set[tuple]:
    done = subprocess.run([node, str(SCRIPT), zone], input=text, capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    known = ZoneInfo(HELSINKI if zone == RENAMED else zone)
    return {(e["uid"], e["status"], _utc(e["start"]), _utc(e["end"]),
             AMBIGUOUS if _wall(datetime.fromisoformat(e["start"].replace("Z", "+00:00")), known.key) == AMBIGUOUS
             else e["wall"]) for e in json.loads(done.stdout)}


def _utc(iso: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC).isoformat()


def renamed(text: str) -> str:
    """The same calendar with the zone called something no parser knows by name."""
    assert f"TZID:{HELSINKI}" in text
    return text.replace(HELSINKI, RENAMED)


def parse_all(node: str, text: str) -> dict[str, set[tuple]]:
    return {"recurring-ical-events": with_recurring_ical_events(text), "vobject": with_vobject(text),
            "ical.js": with_icaljs(node, text),
            "recurring-ical-events, zone renamed": with_recurring_ical_events(renamed(text)),
            "vobject, zone renamed": with_vobject(renamed(text)),
            "ical.js, zone renamed": with_icaljs(node, renamed(text), RENAMED)}


# --- the data -----------------------------------------------------------------------------------

@pytest.fixture
def hall(create_facility, manager):
    return create_facility("Riverside Hall", department=manager.departments[0], address="Rantatie 1")


@pytest.fixture
def booked(hall, booker, manager, dst_series, make_reservation):
    """The series, and two manager's blocks on the autumn change night: from 03:30 in the first
    pass of the repeated hour (EEST) to 03:45 in its second pass (EET), 1 hour 15 minutes; and
    from 03:50 in the second pass to 05:00."""
    made = dst_series(hall, booker)
    autumn = made.changes[1] if made.changes[1].month >= 9 else made.changes[0]
    night = datetime.combine(autumn, datetime.min.time(), ZoneInfo(HELSINKI))
    first_pass = (night + timedelta(hours=3, minutes=30)).astimezone(UTC)
    blocks = [make_reservation(hall, start, end, user=manager, kind=ReservationKind.internal_block, title=title)
              for start, end, title in (
                  (first_pass, first_pass + timedelta(hours=1, minutes=15), "Clock check"),
                  (first_pass + timedelta(hours=1, minutes=20), first_pass + timedelta(hours=2, minutes=30), "Night shift"))]
    return made, blocks


def expected(reservations, prefix="reservation", statuses=None, zone=HELSINKI) -> set[tuple]:
    now = datetime.now(UTC)
    found = set()
    for r in reservations:
        status = (statuses or {}).get(r.status.value) or rules.shown_status(r.status.value, r.updated_dt, now)
        if status:
            found.add(_row(f"{prefix}-{r.id}@127.0.0.1", status, r.blocked_start_dt if prefix == "busy" else r.start_dt,
                           r.blocked_end_dt if prefix == "busy" else r.end_dt, zone))
    return found


def assert_same(parsed: dict[str, set[tuple]], wanted: set[tuple]) -> None:
    for parser, seen in parsed.items():
        assert seen == wanted, f"{parser} sees {sorted(seen - wanted)} instead of {sorted(wanted - seen)}"


def test_the_series_is_at_10_local_on_both_sides_of_both_changes(booked):
    made, _ = booked
    walls = {r.start_dt.astimezone(ZoneInfo(HELSINKI)).strftime("%H:%M") for r in made.reservations}
    assert walls == {"10:00", "14:00"}  # the fixture itself: one occurrence was moved
    offsets = {r.start_dt.astimezone(ZoneInfo(HELSINKI)).utcoffset() for r in made.reservations}
    assert offsets == {timedelta(hours=2), timedelta(hours=3)}  # it does cross the changes


@pytest.mark.parametrize("kind", ["user", "organisation", "manager", "facility"])
def test_every_parser_sees_the_reservations_of_every_kind_of_feed(kind, node, client, booked, booker, manager, hall,
                                                                  make_feed):
    made, blocks = booked
    owner, target, wanted = {
        "user": (booker, None, expected(made.reservations)),
        "organisation": (booker, booker.organisations[0].id, expected(made.reservations)),
        "manager": (manager, None, expected(made.reservations + blocks)),
        "facility": (booker, hall.id, expected(made.reservations + blocks, prefix="busy")),
    }[kind]
    _, token = make_feed(owner, kind, target)

    text = client.get(f"/calendars/{token}.ics").get_data(as_text=True)

    assert len(wanted) == len(made.reservations) + 2 * (kind in ("manager", "facility"))
    assert_same(parse_all(node, text), wanted)


def test_every_parser_sees_a_series_file_as_the_database_has_it(node, client, auth, booked, booker):
    made, _ = booked
    auth.login(booker)

    text = client.get(f"/reservations/{made.reservations[0].id}.ics").get_data(as_text=True)

    still_on = [r for r in made.reservations if r.status.value in rules.STILL_ON]
    assert_same(parse_all(node, text), expected(still_on, statuses=rules.ICS_STATUS))


def test_a_far_zone_and_a_single_event(node, client, booker, create_facility, manager, make_reservation, make_feed):
    """A facility in another hemisphere's zone: its own VTIMEZONE, its own local times."""
    sydney = create_facility("Harbour Lab", department=manager.departments[0], timezone="Australia/Sydney")
    reservation = make_reservation(sydney, days_from_now(20), days_from_now(20) + timedelta(hours=3), user=booker)
    _, token = make_feed(booker, "user")

    text = client.get(f"/calendars/{token}.ics").get_data(as_text=True)

    assert "TZID:Australia/Sydney" in text
    wanted = expected([reservation], zone="Australia/Sydney")
    assert with_vobject(text, "Australia/Sydney") == wanted
    assert with_recurring_ical_events(text, "Australia/Sydney") == wanted
    assert with_icaljs(node, text, "Australia/Sydney") == wanted

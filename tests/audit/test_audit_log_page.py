"""The audit log reads as changes: each field before and after, instants in local time, objects
as links to their pages, and compact dates (a time today, a day this year, a full date before)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from zoneinfo import ZoneInfo

from flask_babel import force_locale
from sqlalchemy import select

from booking.audit.changes import Change, changes, value
from booking.audit.models import AuditEvent
from booking.audit.services import record
from booking.extensions import db
from booking.formatting import compact_time
from tests.fixtures.reservations import local


def test_changes_list_only_what_changed_in_recorded_order():
    found = changes({"status": "pending", "title": "A", "note": "x"},
                    {"status": "confirmed", "title": "A", "decision_deadline_dt": "2030-03-05T08:00:00+00:00"})
    assert [c.field for c in found] == ["status", "note", "decision_deadline_dt"]
    assert found[0] == Change("status", "pending", "confirmed")
    assert found[1].had_before and not found[1].has_after
    assert not found[2].had_before and found[2].after == datetime(2030, 3, 5, 8, tzinfo=timezone.utc)


def test_stored_text_turns_back_into_values_and_fields_into_words():
    assert value("2030-03-05") == date(2030, 3, 5)
    assert value(["2030-03-05", "x"]) == [date(2030, 3, 5), "x"]
    assert value("2030-03-05 is a Tuesday") == "2030-03-05 is a Tuesday"
    assert Change("checked_in_dt").label == "Checked in"
    assert Change("late_cancellation_fee").label == "Late cancellation fee"
    assert changes(None, None) == []


def test_compact_dates_say_as_little_as_is_needed(app):
    now = local(2030, 3, 5, 15)
    with app.test_request_context(), force_locale("en"):
        assert compact_time(local(2030, 3, 5, 9, 5), now=now) == "09:05"
        assert compact_time(local(2030, 1, 2, 9, 5), now=now) == "2 Jan 09:05"
        assert compact_time(local(2029, 12, 31, 23, 0), now=now) == "31 Dec 2029 23:00"
        assert compact_time(None) == ""


def test_the_audit_log_shows_readable_changes_with_local_times_and_links(client, auth, admin, facility, booker,
                                                                        make_reservation):
    reservation = make_reservation(facility, local(2030, 3, 5, 10), local(2030, 3, 5, 12), user=booker)
    record("reservation.returned", reservation, actor=admin, before={"status": "confirmed"},
           after={"status": "pending", "decision_deadline_dt": local(2030, 3, 1, 16).isoformat()})
    record("user.notification_settings_updated", object_type="User", object_id=booker.id,
           before={"request_digest": False}, after={"request_digest": True})
    db.session.commit()
    auth.login(admin)

    page = client.get("/admin/audit?action=reservation.returned").get_data(as_text=True)

    row = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert f'<a href="/reservations/{reservation.id}">Reservation #{reservation.id}</a>' in row
    assert "<dt>Status</dt>" in row and ">confirmed</del>" in row and ">pending</ins>" in row
    assert "<dt>Decision deadline</dt>" in row and "1 Mar 2030 16:00" in row   # Helsinki time, not UTC 14:00
    assert '<code class="json">' not in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reservation.returned"))
    shown = event.created_dt.astimezone(ZoneInfo("Europe/Helsinki")).strftime("%H:%M")
    assert f">{shown}</time>" in row   # an event of today shows its time only

    page = client.get("/admin/audit?action=user.").get_data(as_text=True)
    row = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert f"User #{booker.id}" in row and "<a href" not in row.split("User #")[0][-40:]
    assert ">no</del>" in row and ">yes</ins>" in row


def test_a_facilitys_events_link_to_its_management_page(client, auth, admin, facility):
    record("facility.updated", facility, actor=admin, before={"name": "Old"}, after={"name": facility.name})
    db.session.commit()
    auth.login(admin)
    page = client.get("/admin/audit?action=facility.updated").get_data(as_text=True)
    assert f'<a href="/manage/{facility.id}">Facility #{facility.id}</a>' in page


def test_the_fields_are_named_in_the_readers_language(client, auth, admin, facility):
    """A Finnish or Swedish admin reads the field names in their language; a field the
    vocabulary does not know still reads as its key in words."""
    record("facility.updated", facility, actor=admin, before={"capacity": 10, "house_rules": "",
                                                             "unknown_thing": 1},
           after={"capacity": 12, "house_rules": "Quiet", "unknown_thing": 2})
    db.session.commit()
    auth.login(admin)
    for language, capacity, rules in (("fi", "Henkilömäärä", "Järjestyssäännöt"),
                                      ("sv", "Kapacitet", "Ordningsregler")):
        client.post("/language", data={"language": language})
        page = client.get("/admin/audit?action=facility.updated").get_data(as_text=True)
        assert f"<dt>{capacity}</dt>" in page and f"<dt>{rules}</dt>" in page
        assert "<dt>Unknown thing</dt>" in page

"""Who is told what, received as real mail through a local SMTP server: recipients, subject,
the text and HTML parts, the language and attachments; what a person turned off; in-app."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from booking.accounts.models import Role
from booking.extensions import db
from booking.facilities import services as facility_services
from booking.facilities.models import ApprovalPolicy
from booking.notifications.jobs import deliver_pending
from booking.notifications.models import Notification, OutboxMessage
from booking.notifications.services import save_settings
from booking.pricing import invoicing
from booking.reservations import services
from booking.unit_of_work import unit_of_work
from tests.fixtures.pricing import at
from tests.fixtures.reservations import NOW, local

BASE = "http://127.0.0.1:5000"
TUESDAY_10, TUESDAY_12 = local(2030, 3, 5, 10), local(2030, 3, 5, 12)


@pytest.fixture(autouse=True)
def _locale(english):
    yield


@pytest.fixture
def manual(facility):
    facility.rules.approval_policy = ApprovalPolicy.manual
    db.session.commit()
    return facility


def received(smtp_server):
    deliver_pending()
    return {m["To"]: m for m in smtp_server.messages}


def parts(mail):
    return mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()


def notifications(user):
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)))


def test_a_confirmation_in_the_bookers_language_with_both_parts_and_the_calendar_file(
        app, smtp_server, facility, booker, manager, reserve):
    booker.locale = "fi"
    db.session.commit()
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)

    mails = received(smtp_server)
    assert set(mails) == {booker.email}  # a confirmed booking needs no manager
    mail = mails[booker.email]
    assert mail["Subject"] == "Varaus vahvistettu: Riverside Hall"
    text, html = parts(mail)
    assert "Hei Bea Booker," in text and "Varauksesi tilaan Riverside Hall on vahvistettu." in text
    assert f"{BASE}/reservations/{reservation.id}" in text
    assert '<html lang="fi">' in html and "Varauksesi tilaan Riverside Hall on vahvistettu." in html
    assert f'<a href="{BASE}/reservations/{reservation.id}"' in html
    [ics] = [p for p in mail.iter_attachments()]
    assert ics.get_content_type() == "text/calendar" and ics.get_param("method") == "PUBLISH"
    assert ics.get_filename().endswith(".ics") and b"BEGIN:VEVENT" in ics.get_payload(decode=True)
    [note] = notifications(booker)
    assert (note.subject, note.link, note.read_dt) == ("Varaus vahvistettu: Riverside Hall",
                                                      f"/reservations/{reservation.id}", None)


def test_a_new_request_tells_the_booker_and_each_manager_of_the_department_at_once(
        app, smtp_server, manual, booker, manager, create_user, reserve):
    colleague = create_user("colleague@example.com", name="Cleo Colleague", role=Role.facility_manager,
                            departments=manager.departments)
    colleague.locale = "sv"
    create_user("elsewhere@example.com", role=Role.facility_manager, departments=[])
    db.session.commit()
    reservation = reserve(booker, manual, TUESDAY_10, TUESDAY_12)

    mails = received(smtp_server)
    assert set(mails) == {booker.email, manager.email, colleague.email}
    assert mails[booker.email]["Subject"] == "Request received, awaiting a decision: Riverside Hall"
    mail = mails[manager.email]
    assert mail["Subject"] == "New reservation request: Riverside Hall"
    text, html = parts(mail)
    decide = f"{BASE}/reservations/{reservation.id}/decide"
    assert "Hello Max Manager," in text and decide in text and booker.email in text
    assert f'<a href="{decide}"' in html and "Open in Infrashare" in html
    assert "You can choose which e-mails you get on your profile" in text
    assert list(mail.iter_attachments()) == []  # the calendar file is the booker's
    assert "Hej Cleo Colleague," in parts(mails[colleague.email])[0]  # in her language
    [note] = notifications(manager)
    assert note.link == f"/reservations/{reservation.id}/decide"


def test_a_manager_who_chose_the_digest_gets_one_e_mail_a_day(app, smtp_server, manual, booker, manager, reserve):
    save_settings(manager.id, muted=set(), request_digest=True, reminder_hours=24)
    db.session.commit()
    first = reserve(booker, manual, TUESDAY_10, TUESDAY_12)
    second = reserve(booker, manual, local(2030, 3, 6, 10), local(2030, 3, 6, 12))
    assert manager.email not in received(smtp_server)
    assert len(notifications(manager)) == 2  # listed in the app at once

    def digest(now):
        with unit_of_work():
            return services.send_request_digests(now)

    assert digest(local(2030, 3, 4, 6)) == 0  # before seven in the morning
    assert digest(local(2030, 3, 4, 8)) == 1
    assert digest(local(2030, 3, 4, 9)) == 0  # once a day
    mail = received(smtp_server)[manager.email]
    assert mail["Subject"] == "Your daily digest of new reservation requests"
    text, _html = parts(mail)
    assert f"{BASE}/reservations/{first.id}/decide" in text and f"{BASE}/reservations/{second.id}/decide" in text
    assert len(notifications(manager)) == 2  # the digest repeats nothing in the app

    third = reserve(booker, manual, local(2030, 3, 7, 10), local(2030, 3, 7, 12))
    assert digest(local(2030, 3, 5, 8)) == 1  # the next day: only what is new
    deliver_pending()
    later = [m for m in smtp_server.messages if m["To"] == manager.email][-1]
    assert f"/reservations/{third.id}/decide" in parts(later)[0] and f"/reservations/{first.id}/" not in parts(later)[0]


def test_turned_off_receipts_stay_in_the_app_but_decisions_always_come(
        app, smtp_server, manual, booker, manager, reserve):
    save_settings(booker.id, muted={"receipts", "reminder"}, request_digest=False, reminder_hours=24)
    db.session.commit()
    reservation = reserve(booker, manual, TUESDAY_10, TUESDAY_12)
    assert booker.email not in received(smtp_server)
    assert [n.subject for n in notifications(booker)] == ["Request received, awaiting a decision: Riverside Hall"]

    with unit_of_work():
        services.reject(manager, reservation, reason="The hall is being painted.", now=NOW)
    mail = received(smtp_server)[booker.email]
    assert mail["Subject"] == "Reservation request declined: Riverside Hall"
    text, html = parts(mail)
    assert "The hall is being painted." in text and "The hall is being painted." in html
    assert "You can choose which e-mails" not in text  # a required message


def test_a_cancellation_by_someone_else_is_required_and_a_confirmed_one_tells_the_managers(
        app, smtp_server, facility, booker, manager, admin, reserve):
    save_settings(booker.id, muted={"receipts"}, request_digest=False, reminder_hours=24)
    db.session.commit()
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    with unit_of_work():
        services.cancel(admin, reservation, reason="Water damage", now=NOW)
    mails = received(smtp_server)
    assert mails[booker.email]["Subject"] == "Reservation cancelled: Riverside Hall"
    mail = mails[manager.email]
    assert mail["Subject"] == "Confirmed reservation cancelled: Riverside Hall"
    assert "Water damage" in parts(mail)[0] and admin.email not in mails


def test_cancelling_a_pending_request_or_ones_own_cancellation_tells_no_manager(
        app, smtp_server, manual, booker, manager, reserve):
    reservation = reserve(booker, manual, TUESDAY_10, TUESDAY_12)
    deliver_pending()
    smtp_server.messages.clear()
    with unit_of_work():
        services.cancel(booker, reservation, now=NOW)
    assert set(received(smtp_server)) == {booker.email}


def test_a_closure_landing_on_bookings_tells_the_other_managers_once(
        app, smtp_server, facility, booker, manager, admin, reserve):
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    deliver_pending()
    smtp_server.messages.clear()
    with unit_of_work():
        facility_services.add_closure(facility, start_date=date(2030, 3, 5), reason="Burst pipe", actor=admin)
    mail = received(smtp_server)[manager.email]
    assert mail["Subject"] == "A closure of Riverside Hall lands on reservations"
    text, _html = parts(mail)
    assert "Burst pipe" in text and f"{BASE}/reservations/{reservation.id}" in text
    assert f"{BASE}/manage/{facility.id}/closures" in text

    smtp_server.messages.clear()
    with unit_of_work():  # a second closure on the same booking is news; the first one is not
        facility_services.add_closure(facility, start_date=date(2030, 3, 5), reason="Inspection", actor=admin)
    text = parts(received(smtp_server)[manager.email])[0]
    assert "Inspection" in text and "Burst pipe" not in text

    smtp_server.messages.clear()
    with unit_of_work():  # the manager who adds one sees the clash on the page instead
        facility_services.add_closure(facility, start_date=date(2030, 3, 5), reason="Cleaning", actor=manager)
    assert received(smtp_server) == {}


def test_an_issued_invoice_reaches_the_organisations_owner(
        app, smtp_server, facility, booker, create_tariff, create_snapshot):
    create_tariff(facility, bands=())
    create_snapshot(facility, booker.organisations[0], at(2030, 3, 5, 10), at(2030, 3, 5, 12))
    with unit_of_work():
        [invoice] = invoicing.issue_invoices(2030, 3, today=date(2030, 4, 2))
    mail = received(smtp_server)[booker.email]
    assert mail["Subject"] == f"Invoice {invoice.number} from Infrashare"
    text, html = parts(mail)
    assert f"{BASE}/invoices/{invoice.id}" in text and f'<a href="{BASE}/invoices/{invoice.id}"' in html
    assert invoice.reference in text


def test_reminders_come_at_the_chosen_time_once(app, smtp_server, facility, booker, reserve):
    start = local(2030, 3, 8, 10)
    reservation = reserve(booker, facility, start, start + timedelta(hours=2))
    deliver_pending()
    smtp_server.messages.clear()

    def remind(now):
        with unit_of_work():
            return services.send_reminders(now)

    assert remind(start - timedelta(hours=25)) == 0
    assert remind(start - timedelta(hours=23)) == 1
    assert remind(start - timedelta(hours=22)) == 0  # never twice
    mail = received(smtp_server)[booker.email]
    assert mail["Subject"] == "Reminder: your reservation of Riverside Hall"
    text, _html = parts(mail)
    assert "starts Fri 8 Mar 2030 10:00" in text and f"{BASE}/reservations/{reservation.id}" in text
    assert "Check in when you arrive, from 09:30" in text   # half an hour before the start

    with unit_of_work():  # a new time is a new reminder
        services.change_time(booker, reservation, start + timedelta(hours=3), start + timedelta(hours=5), now=NOW)
    assert remind(start - timedelta(hours=20)) == 1


def test_a_reminder_follows_the_persons_hours_and_skips_a_booking_made_inside_them(
        app, facility, booker, reserve):
    save_settings(booker.id, muted=set(), request_digest=False, reminder_hours=48)
    db.session.commit()
    start = local(2030, 3, 8, 10)
    reserve(booker, facility, start, start + timedelta(hours=2))
    late = reserve(booker, facility, local(2030, 3, 5, 14), local(2030, 3, 5, 16))  # booked 2 days before
    with unit_of_work():
        assert services.send_reminders(start - timedelta(hours=47)) == 1
    topics = [m.topic for m in db.session.scalars(select(OutboxMessage))]
    assert f"reminder:{late.id}" not in topics


def test_a_reminder_another_process_claimed_is_not_sent_again(app, facility, booker, reserve):
    from booking.notifications.services import claim_once
    start = local(2030, 3, 8, 10)
    reservation = reserve(booker, facility, start, start + timedelta(hours=2))
    with unit_of_work():
        assert claim_once(f"reminder:{reservation.id}:{reservation.start_dt.isoformat()}")
    with unit_of_work():
        assert services.send_reminders(start - timedelta(hours=1)) == 0


def test_a_deadline_near_tells_the_managers_once(app, smtp_server, manual, booker, manager, reserve):
    reservation = reserve(booker, manual, local(2030, 3, 20, 10), local(2030, 3, 20, 12))
    deadline = reservation.decision_deadline_dt
    deliver_pending()
    smtp_server.messages.clear()

    def warn(now):
        with unit_of_work():
            return services.warn_deadlines(now)

    assert warn(deadline - timedelta(hours=25)) == 0
    assert warn(deadline - timedelta(hours=23)) == 1
    assert warn(deadline - timedelta(hours=2)) == 0
    mail = received(smtp_server)[manager.email]
    assert mail["Subject"] == "Reservation requests nearing their decision deadline"
    text, _html = parts(mail)
    assert f"{BASE}/reservations/{reservation.id}/decide" in text and f"{BASE}/reservations/inbox" in text
    assert set(received(smtp_server)) == {manager.email}


def test_two_job_processes_racing_send_one_reminder(app, facility, booker, reserve):
    """Each run in its own thread, session and transaction, started together."""
    import threading

    from flask_babel import force_locale
    start = local(2030, 3, 8, 10)
    reserve(booker, facility, start, start + timedelta(hours=2))
    barrier, counts, errors = threading.Barrier(2), [], []

    def job():
        try:
            with app.app_context(), force_locale("en"):
                barrier.wait()
                with unit_of_work():
                    counts.append(services.send_reminders(start - timedelta(hours=1)))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and sorted(counts) == [0, 1]
    db.session.expire_all()
    assert len([m for m in db.session.scalars(select(OutboxMessage)) if m.topic.startswith("reminder:")]) == 1


def test_a_changed_request_asks_the_managers_to_decide_again(app, smtp_server, manual, booker, manager, reserve):
    reservation = reserve(booker, manual, TUESDAY_10, TUESDAY_12)
    received(smtp_server)
    smtp_server.messages.clear()
    with unit_of_work():
        services.change_time(booker, reservation, TUESDAY_10 + timedelta(hours=2), TUESDAY_12 + timedelta(hours=2),
                             now=NOW)
    mail = received(smtp_server)[manager.email]
    assert mail["Subject"] == "New reservation request: Riverside Hall"
    assert "was changed and waits for your decision again" in parts(mail)[0]

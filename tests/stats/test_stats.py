"""Rollups kept current by the use cases, the open data API, who sees what, and the
rebuild command and nightly job. Hand-computed: the facility is open 08:00–20:00 (12 h)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from booking import jobs
from booking.accounts.models import ActorType
from booking.database import utcnow
from booking.extensions import db
from booking.facilities.models import ApprovalPolicy
from booking.reservations import services
from booking.stats import rollups, services as stats
from booking.stats.models import UtilisationBooker, UtilisationDay, UtilisationStale
from booking.unit_of_work import unit_of_work
from tests.fixtures.reservations import NOW, hours, local

DAY = date(2030, 3, 5)
PERIOD = "first=2030-03-01&last=2030-03-31&group_by=facility&interval=all"


def rollup(facility, day=DAY) -> UtilisationDay:
    """The facility's day once the days changes made stale are recomputed (as before any read)."""
    with unit_of_work():
        rollups.refresh_stale()
    db.session.expire_all()
    return db.session.scalar(select(UtilisationDay).where(UtilisationDay.facility_id == facility.id,
                                                          UtilisationDay.day == day))


@pytest.fixture
def secret_booker(create_user, create_organisation):
    return create_user("bea@secret.example", name="Bea Secret",
                       organisation=create_organisation("Secret Startup Oy", ActorType.startup))


def test_the_rollup_follows_a_request_its_approval_and_its_cancellation(facility, booker, manager, reserve):
    facility.rules.approval_policy = ApprovalPolicy.manual
    facility.rules.cancellation_deadline_hours = 0
    db.session.commit()
    reservation = reserve(booker, facility, *hours(local(2030, 3, 5, 10), 2))
    # The booking only marked its day stale (in its own transaction); reading recomputes it.
    assert db.session.scalars(select(UtilisationStale.first_day)).all() == [DAY]
    day = rollup(facility)
    assert (day.open_minutes, day.booked_minutes, day.pending_minutes, day.reservations) == (720, 0, 120, 0)
    assert db.session.scalar(select(UtilisationStale.id)) is None

    with unit_of_work():
        services.approve(manager, reservation, now=NOW + timedelta(hours=3))
    [lead] = stats.lead_times(stats.Filters(date(2030, 3, 1), date(2030, 3, 31)))
    assert (lead.department, lead.decided, lead.automatic_share, lead.median_hours) == ("Parks", 1, 0.0, 3.0)
    day = rollup(facility)
    assert (day.booked_minutes, day.pending_minutes, day.reservations, day.booked_h10, day.booked_h11) == \
        (120, 0, 1, 60, 60)
    assert db.session.scalar(select(UtilisationBooker.booked_minutes)) == 120

    with unit_of_work():
        services.cancel(booker, reservation, now=NOW)
    day = rollup(facility)
    assert (day.booked_minutes, day.reservations, day.cancellations) == (0, 0, 1)


def test_the_open_data_is_aggregated_in_json_and_csv_without_personal_data(client, facility, secret_booker, reserve):
    reserve(secret_booker, facility, *hours(local(2030, 3, 5, 10), 2))
    response = client.get("/api/v1/stats/utilisation?from=2030-03-05&to=2030-03-05&group_by=facility&interval=day")
    assert response.status_code == 200
    body = response.get_json()
    assert body["licence"] == "CC BY 4.0" and body["from"] == "2030-03-05"
    [row] = body["items"]
    assert row["label"] == "Riverside Hall" and row["period"] == "2030-03-05"
    assert (row["open_hours"], row["booked_hours"], row["idle_hours"], row["utilisation"]) == (12.0, 2.0, 10.0, 0.1667)
    assert (row["reservations"], row["organisations"]) == (1, 1)

    # Whole months are summed from the month rows, the days around them from the day rows.
    for query in ("from=2030-03-01&to=2030-03-31&interval=month", "from=2030-02-15&to=2030-03-31&interval=year"):
        [month] = client.get(f"/api/v1/stats/utilisation?{query}").get_json()["items"]
        assert (month["open_hours"], month["booked_hours"], month["reservations"]) == (12.0, 2.0, 1), query

    actors = client.get("/api/v1/stats/utilisation?from=2030-03-05&to=2030-03-05&group_by=actor_type&format=csv")
    assert actors.mimetype == "text/csv" and 'rel="license"' in actors.headers["Link"]
    lines = actors.get_data(as_text=True).splitlines()
    assert lines[0].startswith("period,group,label,open_hours,booked_hours")
    assert "startup" in lines[1] and ",12.0,2.0," in lines[1]
    for text in (response.get_data(as_text=True), actors.get_data(as_text=True)):
        assert "Secret" not in text and "bea@" not in text

    assert client.get("/api/v1/stats/utilisation?from=2030-03-05&to=2030-03-01").status_code == 422
    assert "/api/v1/stats/utilisation" in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_a_manager_sees_only_their_departments_and_an_admin_the_city(client, auth, manager, admin, member, facility,
                                                                      create_facility, booker, reserve):
    harbour = create_facility("Harbour Lab", department="Harbour")
    reserve(booker, facility, *hours(local(2030, 3, 5, 10), 2))
    reserve(booker, harbour, *hours(local(2030, 3, 6, 10), 3))

    auth.login(manager)
    page = client.get(f"/stats?{PERIOD}").get_data(as_text=True)
    assert "Riverside Hall" in page and "Harbour Lab" not in page
    assert "Harbour Lab" not in client.get(f"/stats/rows.csv?{PERIOD}").get_data(as_text=True)
    # Another department is not a choice: the form says so and shows no figures.
    assert "Harbour Lab" not in client.get(f"/stats?{PERIOD}&department={harbour.department_id}").get_data(as_text=True)
    assert client.get(f"/stats/rows.csv?{PERIOD}&department={harbour.department_id}").status_code == 400
    auth.logout()

    auth.login(admin)
    csv_text = client.get(f"/stats/rows.csv?{PERIOD}").get_data(as_text=True)
    assert "Riverside Hall" in csv_text and "Harbour Lab" in csv_text
    auth.logout()

    auth.login(member)
    assert client.get("/stats").status_code == 403


def test_rebuild_recomputes_and_the_nightly_job_stores_recent_utilisation(app, runner, facility, booker, reserve):
    today = utcnow().astimezone(local(2030, 1, 1).tzinfo).date()
    start = local(*(today - timedelta(days=5)).timetuple()[:3], 10)
    reserve(booker, facility, *hours(start, 2), now=utcnow() - timedelta(days=10))
    db.session.execute(delete(UtilisationBooker))
    db.session.execute(delete(UtilisationDay))
    db.session.commit()

    result = runner.invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0 and "Rebuilt" in result.output, result.output
    assert rollup(facility, today - timedelta(days=5)).booked_minutes == 120

    facility.recent_utilisation = None
    db.session.commit()
    jobs.run("refresh-stats")
    db.session.expire_all()
    assert facility.recent_utilisation == round(120 / (28 * 720), 4)


def test_pilots_are_counted_by_state_in_the_host_departments_period(client, auth, template, make_agreement,
                                                                     pilot_facility):
    make_agreement("submitted")
    make_agreement("approved")
    make_agreement("draft")  # an organisation's own draft is nobody's figure
    manager = pilot_facility.department.managers[0]
    april = stats.Filters(date(2030, 4, 1), date(2030, 4, 30), departments=frozenset({pilot_facility.department_id}))
    assert [(s.value, n) for s, n in stats.pilots_by_state(april)] == [("submitted", 1), ("approved", 1)]
    assert stats.pilots_by_state(stats.Filters(date(2030, 6, 1), date(2030, 6, 30))) == []
    assert stats.pilots_by_state(stats.Filters(date(2030, 4, 1), date(2030, 4, 30), departments=frozenset())) == []

    auth.login(manager)
    page = client.get("/stats?first=2030-04-01&last=2030-04-30&group_by=facility&interval=all").get_data(as_text=True)
    assert "Pilots by state" in page and "Submitted" in page


def test_the_page_shows_at_most_the_table_limit_and_the_csv_has_every_row(client, auth, admin, facility, monkeypatch):
    from booking.stats import views
    monkeypatch.setattr(views, "TABLE_ROWS", 3)
    with unit_of_work():
        rollups.refresh(None, date(2030, 3, 1), date(2030, 3, 31))
    auth.login(admin)
    query = "first=2030-03-01&last=2030-03-31&group_by=facility&interval=day"
    page = client.get(f"/stats?{query}").get_data(as_text=True)
    table = page.split('<table id="rows">', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 1 + 3 and "The page shows the first 3 of 31 rows" in page
    csv_text = client.get(f"/stats/rows.csv?{query}").get_data(as_text=True)
    assert len(csv_text.strip().splitlines()) == 1 + 31

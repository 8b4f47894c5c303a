"""The demo city: `flask seed-demo` loads every domain's part, each part as it promises, and
loading again changes nothing.

The demo takes a while to load, so one test loads it (twice) and each domain's promises are
checked on that one city by a function below (given a test client); a new domain adds its
check to CHECKS.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from booking.accounts.models import ActorType, Organisation, Role, User
from booking.database import utcnow
from booking.extensions import db
from booking.facilities.models import CATEGORIES, Closure, Facility, FacilityPhoto, FacilityStatus
from booking.notifications.models import OutboxMessage
from booking.pricing import services as pricing
from booking.pricing.models import BillingStatus, Invoice, Tariff
from booking.reservations.models import Reservation, ReservationKind, ReservationStatus as S
from booking.seasons.models import Allocation, Round, RoundState
from booking.seed import reservations as reservations_seed
from tests.fixtures.pricing import at
from tests.fixtures.reservations import OVERLAPPING_ACTIVE_PAIRS


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def accounts_are_varied(_client):
    assert _count(User) >= 13
    assert set(db.session.scalars(select(Organisation.actor_type))) == set(ActorType)
    assert set(db.session.scalars(select(User.role))) == set(Role)


def facilities_are_varied(_client):
    facilities = list(db.session.scalars(select(Facility)))
    assert len(facilities) >= 45
    assert {f.category for f in facilities} == set(CATEGORIES)
    assert len({f.district for f in facilities}) >= 6
    assert {f.department.name for f in facilities} == {
        "Culture and Leisure", "Sports and Recreation", "Urban Environment", "Education and Research",
        "Innovation and Business"}
    assert all(abs(f.latitude - 62.24) < 0.05 and abs(f.longitude - 25.75) < 0.08 for f in facilities)
    published = [f for f in facilities if f.status == FacilityStatus.published]
    assert len(published) >= 40 and all(f.opening_hours for f in published)
    rules = [f.rules for f in facilities]
    assert {r.approval_policy.value for r in rules} == {"automatic", "manual", "conditional"}
    assert any(r.allow_multi_day and r.max_duration_minutes == 86400 for r in rules)
    assert any(r.manual_actor_types == ["large_company"] and r.manual_above_minutes == 480 for r in rules)
    assert any(r.buffer_before_minutes and r.buffer_after_minutes for r in rules)
    venues = [f for f in facilities if f.category == "venue"]
    assert all(any(q.label == "Will you serve food?" for q in f.questions) for f in venues)
    assert sum(1 for f in facilities if f.terms) >= 5
    assert _count(FacilityPhoto) >= 5
    reasons = set(db.session.scalars(select(Closure.reason)))
    assert {"Maintenance week: floor sanding", "Christmas Day"} <= reasons


def every_facility_has_a_photo(client):
    from booking.facilities.models import FacilityPhoto

    without = db.session.scalars(select(Facility.slug).where(~Facility.photos.any())).all()
    assert without == []
    assert _count(FacilityPhoto) == _count(Facility)  # one each: its own, or its category's drawing
    page = client.get("/facilities").get_data(as_text=True)
    assert page.count('class="card-photo"') == page.count('class="facility-card"') == 20


def every_facility_has_a_tariff(_client):
    assert _count(Tariff) == _count(Facility)
    hall = db.session.scalar(select(Facility).where(Facility.slug == "satama-culture-house-great-hall"))
    tariff = pricing.tariff_at(hall, at(2030, 3, 5, 10))
    assert [b.label for b in tariff.bands] == ["Weekends", "Weekday evenings"]
    assert {r.actor_type.value: r.kind.value for r in tariff.rules} == {
        "third_sector": "percent", "citizen_group": "free", "startup": "percent", "research": "percent",
        "public_body": "fixed"}
    # €80/h with VAT; a Tuesday evening hour +20 %; an association pays half.
    evening = pricing.quote_for(hall, "third_sector", at(2030, 3, 5, 18), at(2030, 3, 5, 20))
    assert evening.gross_cents == 9600 and evening.undiscounted_gross_cents == 19200
    assert pricing.quote_for(hall, "large_company", at(2030, 3, 5, 10), at(2030, 3, 5, 12)).gross_cents == 16000


def reservations_are_varied(_client):
    everything = list(db.session.scalars(select(Reservation)))
    now = utcnow()
    assert {S.completed, S.confirmed, S.pending, S.cancelled} <= {r.status for r in everything}
    assert any(r.end_dt < now - timedelta(weeks=8) for r in everything)        # months of history
    assert any(r.start_dt > now + timedelta(weeks=4) for r in everything)      # and weeks ahead
    assert any(r.is_overdue(now) for r in everything)
    assert sum(r.kind == ReservationKind.internal_block for r in everything) >= 2
    seasonal = set(db.session.scalars(select(Allocation.series_id).where(Allocation.series_id.is_not(None))))
    youth = [r for r in everything if r.series_id and r.organisation.name == reservations_seed.YOUTH
             and r.series_id not in seasonal]  # its own weekly series, not the seasonal round's
    assert len(youth) >= 8 and len({r.start_dt.weekday() for r in youth}) == 1
    [pilot] = [r for r in everything if r.title == "Air-quality sensor pilot"]
    assert pilot.organisation.name == reservations_seed.SENSORS and pilot.facility.category == "public_space"
    assert pilot.end_dt - pilot.start_dt >= timedelta(weeks=4) - timedelta(hours=1)
    assert db.session.scalar(OVERLAPPING_ACTIVE_PAIRS) == 0
    assert _count(OutboxMessage) == 0  # the demo e-mails nobody


def reservations_keep_prices_and_last_month_is_invoiced(_client):
    bookings = list(db.session.scalars(select(Reservation).where(Reservation.kind == ReservationKind.booking)))
    assert bookings and all(r.price is not None for r in bookings)
    completed = [r for r in bookings if r.status == S.completed]
    assert all(r.price.billing_status in (BillingStatus.billable, BillingStatus.invoiced) for r in completed)
    invoices = list(db.session.scalars(select(Invoice)))
    assert invoices and sorted(i.number for i in invoices) == list(range(1, len(invoices) + 1))


def pilots_are_on_record(client):
    pilots = client.get("/api/v1/pilots").json   # two completed pilots with reports, one running with consent
    assert pilots["total"] == 3 and sum(1 for p in pilots["items"] if p["results"]) == 2
    assert sum(1 for c in client.get("/api/v1/challenges").json["items"] if c["open"]) == 2


def utilisation_is_measured(client):
    today = utcnow().date()
    figures = client.get(f"/api/v1/stats/utilisation?from={today - timedelta(days=60)}&to={today}").json["total"]
    assert figures["open_hours"] > 0 and 0 < figures["utilisation"] <= 1 and figures["reservations"] > 0


def two_years_show_seasons_and_a_trend(client):
    today = utcnow().date()
    query = f"/api/v1/stats/utilisation?from={today - timedelta(days=730)}&to={today}&interval=month&per_page=100"
    months = client.get(query).json["items"]
    assert sum(1 for m in months if m["booked_hours"] > 0 and m["revenue_cents"] > 0) >= 20
    assert any(m["subsidy_cents"] > 0 for m in months) and any(m["no_show_rate"] for m in months)

    def hours(category, in_months):
        rows = client.get(f"{query}&category={category}").json["items"]
        return sum(m["booked_hours"] for m in rows if int(m["period"][5:7]) in in_months)

    summer, winter = (6, 7, 8), (12, 1, 2)
    assert hours("outdoor_area", summer) > 3 * hours("outdoor_area", winter)
    assert hours("sports", winter) > hours("sports", summer)
    year_before, last_year = months[:12], months[-13:-1]
    assert sum(m["booked_hours"] for m in last_year) > 1.2 * sum(m["booked_hours"] for m in year_before)


def public_outputs_carry_no_personal_data(client):
    """What anyone can read (pages, the API's public routes, open data, the pilot registry)
    names organisations and facilities, never a person: no demo user's name or e-mail."""
    people = [text for user in db.session.scalars(select(User)) for text in (user.name, user.email)]
    assert len(people) >= 26
    today = utcnow().date()
    stats = f"/api/v1/stats/utilisation?from={today - timedelta(days=365)}&to={today}"
    facilities = client.get("/api/v1/facilities?per_page=100").json["items"]
    challenges = client.get("/api/v1/challenges").json["items"]
    fortnight = today + timedelta(days=14)
    paths = (["/", "/facilities", "/facilities/find", "/pilots", "/challenges", "/open-data", "/api/v1/pilots",
              "/api/v1/challenges", "/api/v1/facilities?per_page=100", f"{stats}&group_by=facility&interval=all",
              f"{stats}&group_by=actor_type&format=csv", f"{stats}&interval=month"]
             + [f"/facilities/{f['slug']}" for f in facilities[:10]]
             + [f"/api/v1/facilities/{f['id']}/availability?from={today}T00:00:00Z&to={fortnight}T00:00:00Z"
                for f in facilities[:10]]
             + [f"/challenges/{c['id']}" for c in challenges]
             + ["/rounds", "/api/v1/rounds"] + [f"/rounds/{r['id']}" for r in client.get("/api/v1/rounds").json["items"]])
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert not [p for p in people if p in body], path


def seasonal_rounds_are_allocated_and_open(client):
    """The autumn round: applications from every kind of organisation, allocated and published,
    each allocation a priced weekly series inside opening hours and clear of every other booking;
    the spring round open for applications."""
    rounds = {r.state: r for r in db.session.scalars(select(Round))}
    autumn, spring = rounds[RoundState.published], rounds[RoundState.open]
    assert {a.organisation.actor_type for a in autumn.applications} == set(ActorType)
    assert autumn.figures["solver"]["satisfied_share"] > 0.5 and autumn.figures["greedy"]
    assert len(autumn.allocations) >= 8 and all(a.series is not None for a in autumn.allocations)
    for allocation in autumn.allocations:
        booked = [r for r in allocation.series.reservations if r.is_active or r.status == S.completed]
        assert booked and all(r.price is not None and r.organisation_id == allocation.wish.application.organisation_id
                              for r in booked)
        hours = [(h.start_time, h.end_time) for h in allocation.facility.opening_hours
                 if h.weekday == allocation.weekday]
        assert any(start <= allocation.start_time and allocation.end_time <= end for start, end in hours)
    assert db.session.scalar(OVERLAPPING_ACTIVE_PAIRS) == 0
    assert spring.closes_dt > utcnow() and spring.applications
    page = client.get(f"/rounds/{spring.id}").get_data(as_text=True)
    assert spring.name in page and "Log in to apply" in page


CHECKS = [accounts_are_varied, facilities_are_varied, every_facility_has_a_photo, every_facility_has_a_tariff,
          reservations_are_varied,
          reservations_keep_prices_and_last_month_is_invoiced, pilots_are_on_record, utilisation_is_measured,
          two_years_show_seasons_and_a_trend, public_outputs_carry_no_personal_data,
          seasonal_rounds_are_allocated_and_open]


def _all_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def test_the_demo_city_loads_whole_and_loading_again_changes_nothing(runner, client, english):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded." in first.output
    assert "pricing: 49 new tariffs" in first.output and "past reservations" in first.output
    assert "invoices for" in first.output and "completed past reservations" in first.output.split("history:")[1]
    for check in CHECKS:
        check(client)
    counts = _all_counts()

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "0 new facilities, 0 updated" in again.output and "0 extras added" in again.output
    assert "pricing: 0 new tariffs" in again.output and "reservations: already seeded" in again.output
    assert "invoices: already invoiced" in again.output and "stats: already computed" in again.output and "history: already seeded" in again.output
    assert "seasons: already seeded" in again.output
    db.session.expire_all()
    assert _all_counts() == counts

    response = client.post("/login", data={"email": "admin@example.com", "password": "demo-password-1"})
    assert response.status_code == 302

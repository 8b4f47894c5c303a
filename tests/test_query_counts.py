"""Every list page and feed sends as many SQL statements for three times the city as for the
city once: nothing is loaded one facility, reservation, organisation or invoice at a time
(issue 13). Each growth adds to every list: facilities with tariffs, closures and special
openings, reservations of several people and organisations (some waiting for a decision),
price snapshots and invoices, pilot agreements and challenges. Each page is fetched twice: the
first fetch may catch statistics up and must not grow either. The catalogue and find-a-time
pages, the facility page and the facilities API are also checked against busy time alone in
tests/facilities/test_query_counts.py, and each kind of calendar feed in
tests/calendars/test_query_counts.py."""
from __future__ import annotations

import itertools
import uuid
from datetime import date, time, timedelta
from urllib.parse import quote

import pytest

from booking.accounts.models import ActorType
from booking.agreements import services as agreements
from booking.database import utcnow
from booking.extensions import db
from booking.facilities.models import ApprovalPolicy, FacilityPhoto
from booking.pricing import invoicing
from booking.seasons import services as seasons
from booking.unit_of_work import unit_of_work
from tests.facilities.helpers import add_closure, add_special, count_queries
from tests.fixtures.accounts import Auth
from tests.fixtures.reservations import local

PERIOD = "first=2030-01-01&last=2030-12-31"
STATS = f"{PERIOD}&group_by=facility&interval=all"
WEEK = f"from={quote(local(2030, 3, 4).isoformat())}&to={quote(local(2030, 3, 11).isoformat())}"

# name: (who looks: None, a fixture's name, or "<name> token" for the API; the URL)
PAGES = {
    "front page": (None, "/"),
    "front page (booker)": ("booker", "/"),
    "front page (manager)": ("manager", "/"),
    "catalogue": (None, "/facilities"),
    "catalogue, free then": (None, "/facilities?date=2030-03-05&time=10:00&duration=60&size=2&free=y"),
    "find a time": (None, "/facilities/find?date_from=2030-03-05&date_to=2030-03-09&duration=60"),
    "facility page": (None, "/facilities/hall-first?week=2030-03-04&date=2030-03-05&time=10:00&duration=60"),
    "manager's facility calendar": ("manager", "/reservations/calendar/hall-first?date=2030-03-05"),
    "booking page": ("booker", "/reservations/book/hall-first?date=2030-03-05&time=10:00&duration=60"),
    "api facilities": (None, "/api/v1/facilities?per_page=100"),
    "api facility": (None, "/api/v1/facilities/{first}"),
    "api availability": (None, "/api/v1/facilities/{first}/availability?" + WEEK),
    "api tariffs": ("manager token", "/api/v1/facilities/{first}/tariffs"),
    "my reservations": ("booker", "/reservations"),
    "organisation's reservations": ("booker", "/reservations/organisation"),
    "my reservations, calendar": ("booker", "/reservations?view=calendar&month=2030-03"),
    "organisation's reservations, calendar": ("booker", "/reservations/organisation?view=calendar&month=2030-03"),
    "api reservations": ("booker token", "/api/v1/reservations"),
    "api reservations (manager)": ("manager token", "/api/v1/reservations"),
    "decisions inbox": ("manager", "/reservations/inbox"),
    "city overview": ("admin", "/admin/overview"),
    "department calendar, week": ("manager", "/reservations/departments/{parks}/calendar?date=2030-03-05"),
    "department calendar, day": ("manager", "/reservations/departments/{parks}/calendar?view=day&date=2030-03-05"),
    "managed facilities": ("manager", "/manage/"),
    "a managed facility": ("manager", "/manage/{first}"),
    "a managed facility's history": ("manager", "/manage/{first}/history"),
    "a managed facility's details form": ("manager", "/manage/{first}/edit"),
    "amenity vocabulary": ("admin", "/manage/amenities"),
    "managed facilities csv": ("manager", "/manage/export.csv"),
    "prices": ("manager", "/manage/prices"),
    "revenue report": ("manager", f"/manage/prices/report?{PERIOD}&group_by=facility"),
    "invoices": ("admin", "/invoices"),
    "invoices (buyer)": ("buyer", "/invoices"),
    "invoices csv": ("admin", f"/invoices/export.csv?{PERIOD}&group_by=facility"),
    "api invoices": ("admin token", "/api/v1/invoices"),
    "subsidies": ("admin", "/admin/subsidies"),
    "users": ("admin", "/admin/users"),
    "departments": ("admin", "/admin/departments"),
    "a department": ("admin", "/admin/departments/{parks}"),
    "audit log": ("admin", "/admin/audit"),
    "outbox": ("admin", "/admin/outbox"),
    "calendar feeds page": ("booker", "/calendars"),
    "all calendar feeds": ("admin", "/calendars/all"),
    "api calendar feeds": ("booker token", "/api/v1/feeds"),
    "statistics (manager)": ("manager", f"/stats?{STATS}"),
    "statistics (admin)": ("admin", f"/stats?{STATS}"),
    **{f"statistics csv {table}": ("admin", f"/stats/{table}.csv?{STATS}")
       for table in ("rows", "heatmap", "least_used", "actor_types", "lead_times")},
    "api statistics": (None, f"/api/v1/stats/utilisation?{STATS}"),
    "api statistics by month": (None, f"/api/v1/stats/utilisation?{PERIOD}&group_by=facility&interval=month"),
    "open data": (None, "/open-data"),
    "agreements (manager)": ("manager", "/agreements"),
    "agreements (lead)": ("lead", "/agreements"),
    "api agreements": ("manager token", "/api/v1/agreements"),
    "agreement templates": ("admin", "/manage/agreement-templates"),
    "challenges": (None, "/challenges"),
    "api challenges": (None, "/api/v1/challenges"),
    "pilot registry": (None, "/pilots"),
    "api pilots": (None, "/api/v1/pilots"),
    "seasonal rounds": (None, "/rounds"),
    "seasonal rounds (member)": ("booker", "/rounds"),
    "seasonal rounds (manager)": ("manager", "/rounds"),
    "api rounds": (None, "/api/v1/rounds"),
    "a round's applications": ("manager", "/rounds/{round}/manage"),
    "api a round's allocation": ("manager token", "/api/v1/rounds/{round}/allocation"),
}


@pytest.fixture
def buyer(create_user):
    """A member of an SME that is invoiced every month."""
    return create_user(name="Bo Buyer", actor_type=ActorType.sme)


@pytest.fixture
def first(create_facility, create_tariff, manager):
    """The facility whose own pages are looked at: every growth books it too."""
    facility = create_facility("Hall first", slug="hall-first", department=manager.departments[0])
    create_tariff(facility)
    return facility


@pytest.fixture
def season_round(manager, first):
    """An open seasonal round at the first hall: every growth adds applications to it."""
    with unit_of_work():
        round_ = seasons.create_round(manager, seasons.RoundInput(
            name="Autumn 2030", season_start=date(2030, 9, 2), season_end=date(2030, 12, 15),
            opens_dt=utcnow() - timedelta(days=1), closes_dt=utcnow() + timedelta(days=7), facilities=[first],
            department_id=manager.departments[0].id))
        seasons.open_round(manager, round_)
    return round_


@pytest.fixture
def city(app, create_facility, create_user, create_tariff, create_snapshot, make_reservation, make_feed, manager,
         admin, booker, buyer, first, lead, make_agreement, template, season_round):
    """grow(count): `count` more of everything every list shows."""
    parks = manager.departments[0]
    numbers = itertools.count(1)
    months = itertools.count(1)

    def grow(count: int) -> None:
        month = next(months)
        for _ in range(count):
            n = next(numbers)
            facility = create_facility(f"Hall {n:02d}", slug=f"hall-{n:02d}", department=parks, district=f"D{n % 3}",
                                       amenities={"Projector": 1, f"Kit {n}": 2}, accessibility=["lift"],
                                       rules={"approval_policy": ApprovalPolicy.manual} if n % 2 else None)
            db.session.add(FacilityPhoto(facility=facility, storage_key=f"photos/{uuid.uuid4().hex}.jpg",
                                         content_type="image/jpeg", width=800, height=600, alt_text="Inside"))
            create_tariff(facility)
            add_closure(facility, local(2030, 3, 6, 12), local(2030, 3, 6, 13))
            add_special(facility, date(2030, 3, 7), time(10), time(14))
            colleague = create_user(organisation=booker.organisations[0])
            other = create_user(actor_type=ActorType.third_sector)
            for user, where, hour in ((booker, facility, 9), (colleague, facility, 12), (other, facility, 15),
                                      (booker, first, 8 + n % 10)):
                start = local(2030, 3, 4 + n // 10, hour)
                make_reservation(where, start, start + timedelta(hours=1), user=user,
                                 status=("pending" if where is facility and hour == 12 else "confirmed"))
            start = local(2030, 3, 20, 10)
            make_reservation(facility, start, start + timedelta(hours=2), user=other, status="cancelled")
            make_feed(booker, "facility", facility.id)
            for buyer_organisation in (buyer.organisations[0], other.organisations[0]):
                create_snapshot(facility, buyer_organisation, local(2030, month, 10, 10), local(2030, month, 10, 12))
            block = local(2030, 4, 1, 10) + timedelta(weeks=n)  # approved blocks book the pilot facility
            make_agreement("submitted" if n % 2 else "approved", start=block, end=block + timedelta(days=2),
                           end_date=date(2030, 12, 31))
            with unit_of_work():
                agreements.create_challenge(manager, parks, agreements.ChallengeInput(
                    title=f"Challenge {n}", need="Cleaner air.", period_start_date=date(2030, 5, 1),
                    period_end_date=date(2030, 6, 30), deadline_dt=utcnow() + timedelta(days=7),
                    criteria=[{"name": "Impact", "weight": 100}], facilities=[facility]))
                seasons.save_application(other, season_round, other.organisations[0], seasons.ApplicationInput([
                    seasons.WishInput(purpose=f"Training {n}", weekday=n % 5, earliest=time(17), latest=time(21),
                                      duration_minutes=90, facility_ids=[first.id, facility.id][:1]),
                    seasons.WishInput(purpose=f"Games {n}", weekday=(n + 1) % 5, earliest=time(17), latest=time(21),
                                      duration_minutes=60, facility_ids=[first.id])]))
                extra = seasons.create_round(manager, seasons.RoundInput(
                    name=f"Round {n}", season_start=date(2030, 9, 2), season_end=date(2030, 12, 15),
                    opens_dt=utcnow() - timedelta(days=1), closes_dt=utcnow() + timedelta(days=7),
                    facilities=[first, facility], department_id=parks.id))
                seasons.open_round(manager, extra)
        invoicing.issue_invoices(2030, month, today=date(2030, month + 1, 2))
        db.session.commit()

    return grow


def statements(client, headers: dict, url: str) -> tuple[int, int]:
    counts = []
    for _ in range(2):
        db.session.commit()  # the test's own reads hold no transaction: each fetch begins its own
        with count_queries() as counter:
            response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:500])
        counts.append(counter.count)
    return counts[0], counts[1]


def test_every_list_page_and_feed_costs_the_same_statements_for_three_times_the_city(app, request, city, token_for):
    """One city for every page (building it was nearly all of each page's own test): each page
    is measured with the city at 2, then all of them again at 6, in the same order, each as
    its own visitor (one logged-in client or token per person)."""
    callers = {}
    for who in dict.fromkeys(who for who, _ in PAGES.values()):  # each visitor once, in the table's order
        client, headers = app.test_client(), {}
        if who and who.endswith(" token"):
            headers = token_for(request.getfixturevalue(who.split()[0]))
            assert client.get("/api/v1/me", headers=headers).status_code == 200  # a token's first use records it
        elif who:
            Auth(client).login(request.getfixturevalue(who))
        callers[who] = client, headers

    city(2)
    ids = {"first": request.getfixturevalue("first").id, "round": request.getfixturevalue("season_round").id,
           "parks": request.getfixturevalue("manager").departments[0].id}
    urls = {page: url.format(**ids) for page, (_, url) in PAGES.items()}
    few = {page: statements(*callers[who], urls[page]) for page, (who, _) in PAGES.items()}
    city(4)
    many = {page: statements(*callers[who], urls[page]) for page, (who, _) in PAGES.items()}

    grown = [f"{page}: {few[page]} statements for a city of 2, {many[page]} for 6" for page in PAGES
             if few[page] != many[page]]
    assert not grown, "\n".join(grown)

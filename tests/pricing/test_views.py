"""The pricing pages, as a manager, an admin and a member use them."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from booking.accounts.models import ActorType, Role
from booking.extensions import db
from booking.pricing import invoicing
from booking.pricing.models import Invoice, Tariff
from tests.fixtures.pricing import at

ACTOR_ORDER = [t.value for t in ActorType]


def tariff_form(**changes) -> dict:
    """The tariff form as a browser posts it: €60/h with VAT, evenings +20 %, third sector −50 %."""
    data = {"name": "Standard 2030", "valid_from": "2030-01-01", "unit": "per_hour", "price": "60.00",
            "prices_include_vat": "yes", "vat_rate": "25.5", "min_charge": "", "deposit": "", "late_fee": "none",
            "bands-0-label": "Evenings", "bands-0-weekdays": ["0", "1", "2", "3", "4"], "bands-0-start": "17:00",
            "bands-0-end": "22:00", "bands-0-percent": "20"}
    for n, actor_type in enumerate(ACTOR_ORDER):
        data[f"rules-{n}-actor_type"] = actor_type
        data[f"rules-{n}-kind"] = {"third_sector": "percent", "citizen_group": "free"}.get(actor_type, "")
        data[f"rules-{n}-percent"] = "50" if actor_type == "third_sector" else ""
    data.update(changes)
    return data


@pytest.fixture
def as_manager(auth, manager):
    auth.login(manager)
    return manager


def test_a_manager_sets_a_tariff_with_a_band_and_an_actor_type_rule(client, as_manager, facility):
    page = client.get(f"/manage/facilities/{facility.id}/tariffs")
    assert page.status_code == 200 and "No tariff is in force today" in page.text
    form = client.get(f"/manage/facilities/{facility.id}/tariffs/new")
    assert form.status_code == 200 and 'value="25.50"' in form.text  # the configured default VAT rate
    response = client.post(f"/manage/facilities/{facility.id}/tariffs/new", data=tariff_form(), follow_redirects=True)
    assert "The tariff from 2030-01-01 is saved." in response.text
    tariff = db.session.scalars(select(Tariff)).one()
    assert (tariff.base_price_cents, tariff.prices_include_vat, str(tariff.vat_rate)) == (6000, True, "25.50")
    assert [(b.label, b.weekdays, b.start_minute, b.end_minute) for b in tariff.bands] == [
        ("Evenings", [0, 1, 2, 3, 4], 1020, 1320)]
    assert {r.actor_type.value: r.kind.value for r in tariff.rules} == {"third_sector": "percent",
                                                                         "citizen_group": "free"}
    assert "upcoming" in response.text and "Prices include VAT 25.5 %." in response.text
    # From a day already past, it is the tariff in force, shown in full.
    client.post(f"/manage/facilities/{facility.id}/tariffs/new", data=tariff_form(valid_from="2020-01-01"))
    page = client.get(f"/manage/facilities/{facility.id}/tariffs").text
    assert "In force today: Standard 2030" in page
    assert "Evenings: Mon, Tue, Wed, Thu, Fri 17:00–22:00 +20 %" in page and "free of charge" in page


def test_a_wrong_tariff_is_explained_on_the_form(client, as_manager, facility):
    response = client.post(f"/manage/facilities/{facility.id}/tariffs/new", data=tariff_form(**{
        "price": "-5", "bands-1-label": "Late", "bands-1-weekdays": ["0"], "bands-1-start": "21:00",
        "bands-1-end": "23:00", "bands-1-percent": "10", "rules-0-kind": "fixed"}))
    assert response.status_code == 422
    assert "Number must be between 0 and 10000000." in response.text
    assert db.session.scalar(select(Tariff)) is None
    response = client.post(f"/manage/facilities/{facility.id}/tariffs/new", data=tariff_form(**{
        "bands-1-label": "Late", "bands-1-weekdays": ["0"], "bands-1-start": "21:00", "bands-1-end": "23:00",
        "bands-1-percent": "10", "rules-0-kind": "fixed"}))
    assert response.status_code == 422
    assert "overlap" in response.text and "Give the fixed price for Small or medium-sized enterprise" in response.text
    response = client.post(f"/manage/facilities/{facility.id}/tariffs/new", data=tariff_form(late_fee="percent"))
    assert response.status_code == 422 and "Give the share of the price." in response.text


def test_editing_a_tariff_that_priced_a_reservation_makes_a_new_version(client, as_manager, facility, create_tariff,
                                                                        create_snapshot, create_organisation):
    tariff = create_tariff(facility, valid_from=date(2030, 1, 1))
    create_snapshot(facility, create_organisation(), at(2030, 3, 5, 10), at(2030, 3, 5, 11))
    page = client.get(f"/manage/facilities/{facility.id}/tariffs/{tariff.id}/edit")
    assert "Saving makes version 2" in page.text
    response = client.post(f"/manage/facilities/{facility.id}/tariffs/{tariff.id}/edit",
                           data=tariff_form(name="Standard", price="70"), follow_redirects=True)
    assert "saved as version 2" in response.text
    assert "replaced by a newer version" in response.text and "has priced reservations" in response.text


def test_only_the_department_s_managers_keep_its_tariffs(client, auth, facility, create_user, create_department):
    other = create_user(role=Role.facility_manager, departments=[create_department("Schools")])
    auth.login(other)  # another department's facility is not revealed
    assert client.get(f"/manage/facilities/{facility.id}/tariffs").status_code == 404
    assert client.post(f"/manage/facilities/{facility.id}/tariffs/new", data=tariff_form()).status_code == 404
    auth.logout()
    assert client.get(f"/manage/facilities/{facility.id}/tariffs").status_code == 302
    auth.login(other)
    assert client.get("/manage/facilities/99999999999999999999/tariffs").status_code == 404


def test_the_prices_page_and_the_revenue_report(client, as_manager, facility, create_tariff, create_snapshot,
                                                create_organisation):
    create_tariff(facility, bands=())
    create_snapshot(facility, create_organisation(actor_type=ActorType.third_sector), at(2030, 3, 5, 10),
                    at(2030, 3, 5, 12))
    page = client.get("/manage/prices")
    assert "Riverside Hall" in page.text and "per hour" in page.text
    report = client.get("/manage/prices/report?first=2030-03-01&last=2030-03-31&group_by=actor_type")
    assert report.status_code == 200
    assert "Association or other third-sector organisation" in report.text and "€75.30" in report.text


@pytest.fixture
def invoiced(facility, create_tariff, create_snapshot, create_organisation):
    create_tariff(facility, bands=())
    buyer = create_organisation("Nordic Sensors Oy", ActorType.sme, business_id="2345671-3")
    create_snapshot(facility, buyer, at(2030, 3, 5, 10), at(2030, 3, 5, 12), description="Sensor demo")
    return buyer


def test_an_admin_issues_a_month_opens_credits_and_exports(client, auth, admin, invoiced):
    auth.login(admin)
    assert "Issue a month's invoices" in client.get("/invoices").text
    response = client.post("/invoices/issue", data={"month": "2030-03"}, follow_redirects=True)
    assert "1 invoice issued for 2030-03." in response.text
    invoice = db.session.scalars(select(Invoice)).one()
    page = client.get(f"/invoices/{invoice.id}")
    assert page.status_code == 200
    for text in ("Invoice 1", "Nordic Sensors Oy", "2345671-3", "Sensor demo", "€150.60", "RF", "To pay"):
        assert text in page.text
    again = client.post("/invoices/issue", data={"month": "2030-03"}, follow_redirects=True)
    assert "Nothing is waiting to be invoiced" in again.text
    assert client.post("/invoices/issue", data={"month": "March"}, follow_redirects=True).status_code == 200
    credit = client.post(f"/invoices/{invoice.id}/credit", data={"reason": "Wrong hours"}, follow_redirects=True)
    assert "Credit note 2 is issued." in credit.text and "Credits invoice 1 in full" in credit.text
    export = client.get(f"/invoices/export.csv?first={invoice.issued_date}&last={invoice.issued_date}")
    assert export.mimetype == "text/csv" and export.text.count("\n") == 3
    assert client.get("/admin/subsidies").status_code == 200


def test_members_see_only_their_own_invoices(client, auth, invoiced, create_user, create_organisation):
    invoice = invoicing.issue_invoices(2030, 3, today=date(2030, 4, 2))[0]
    db.session.commit()
    member = create_user(organisation=invoiced)
    stranger = create_user(organisation=create_organisation("Another Oy"))
    auth.login(member)
    assert "Invoice 1" in client.get("/invoices").text
    assert client.get(f"/invoices/{invoice.id}").status_code == 200
    assert client.post("/invoices/issue", data={"month": "2030-03"}).status_code == 403
    assert client.get(f"/invoices/{invoice.id}/credit").status_code == 403
    assert client.get("/admin/subsidies").status_code == 403
    auth.logout()
    auth.login(stranger)
    assert "No invoices yet." in client.get("/invoices").text
    assert client.get(f"/invoices/{invoice.id}").status_code == 404  # another organisation's: not revealed

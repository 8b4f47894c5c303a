"""The proposal form's facility time: several rows, each a facility from a day and time until a
day and time; rows are added and removed by submits that save nothing and keep what was typed;
a row left empty is left out; errors are shown in their row; the edit page shows every block."""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from booking.agreements import services
from booking.agreements.models import PilotAgreement
from booking.extensions import db
from booking.unit_of_work import unit_of_work
from tests.fixtures.agreements import agreement_input
from tests.fixtures.reservations import NOW, local

FIRST = date.today() + timedelta(days=14)   # the pages act at the real time
LAST = FIRST + timedelta(days=28)


def row(index, facility, first=FIRST, start="10:00", last=LAST, end="10:00") -> dict:
    values = {"facility": "" if facility is None else str(facility.id), "start_date": first and first.isoformat(),
              "start_time": start, "end_date": last and last.isoformat(), "end_time": end}
    return {f"blocks-{index}-{name}": value or "" for name, value in values.items()}


def form(*rows, **overrides) -> dict:
    values = {"title": "Library robot", "description": "A robot guide.", "start_date": FIRST.isoformat(),
              "end_date": LAST.isoformat(), "kpis": "Visitors helped", "liability": "company",
              "ip_rights": "company", "publicity": "open", "pilot_fee": "0", "fee_at_signing": "0"}
    for r in rows:
        values.update(r)
    values.update(overrides)
    return values


def count() -> int:
    return db.session.scalar(select(func.count(PilotAgreement.id)))


def legends(page: str) -> list[str]:
    return re.findall(r"<legend>(Facility time \d+)</legend>", page)


def value_of(page: str, field_id: str) -> str | None:
    found = re.search(rf'<input[^>]*id="{field_id}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else None


def selected(page: str, field_id: str) -> str | None:
    select_ = re.search(rf'<select[^>]*id="{field_id}".*?</select>', page, re.S)
    found = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select_.group(0))
    return next((g for g in found.groups() if g), None) if found else None


def error_of(page: str, field_id: str) -> str | None:
    found = re.search(rf'<small id="{field_id}-error" class="field-error">([^<]*)</small>', page)
    return found.group(1) if found else None


def test_rows_are_added_and_removed_without_saving_and_what_was_typed_stays(client, auth, lead, pilot_facility):
    auth.login(lead)
    page = client.post("/agreements/new", data=form(row(0, pilot_facility), add_block="1")).get_data(as_text=True)
    assert legends(page) == ["Facility time 1", "Facility time 2"] and count() == 0
    assert value_of(page, "title") == "Library robot" and value_of(page, "blocks-0-start_date") == FIRST.isoformat()
    assert selected(page, "blocks-0-facility") == str(pilot_facility.id) and selected(page, "blocks-1-facility") is None
    assert re.search(r'<select[^>]*autofocus[^>]*id="blocks-1-facility"|id="blocks-1-facility"[^>]*autofocus', page)
    assert "Please correct the following" not in page   # nothing was checked yet

    third = FIRST + timedelta(days=3)
    page = client.post("/agreements/new", data=form(row(0, pilot_facility), row(1, pilot_facility, FIRST, "12:00"),
                                                     row(2, pilot_facility, third), remove_block="1")
                       ).get_data(as_text=True)
    assert legends(page) == ["Facility time 1", "Facility time 2"] and count() == 0
    assert value_of(page, "blocks-1-start_date") == third.isoformat()   # the third row moved up
    assert "Remove facility time 2" in page

    page = client.post("/agreements/new", data=form(row(0, pilot_facility), remove_block="0")).get_data(as_text=True)
    assert legends(page) == ["Facility time 1"] and "Remove facility time" not in page   # one empty row again
    assert value_of(page, "blocks-0-start_date") == ""
    for hostile in ("-1", "99", "x"):
        response = client.post("/agreements/new", data=form(row(0, pilot_facility), remove_block=hostile))
        assert response.status_code == 200


def test_every_filled_row_is_a_block_and_an_empty_row_is_left_out(client, auth, lead, pilot_facility, create_facility,
                                                                 manager):
    library = create_facility("Library Lab", department=manager.departments[0])
    auth.login(lead)
    day = FIRST + timedelta(days=7)
    response = client.post("/agreements/new", data=form(row(0, pilot_facility), row(1, None, None, "", None, ""),
                                                         row(2, library, day, "09:00", day, "15:00")))
    assert response.status_code == 302, response.get_data(as_text=True)
    agreement = db.session.scalars(select(PilotAgreement)).one()
    assert [(b.facility, b.start_dt, b.end_dt) for b in agreement.blocks] == [
        (pilot_facility, local(FIRST.year, FIRST.month, FIRST.day, 10), local(LAST.year, LAST.month, LAST.day, 10)),
        (library, local(day.year, day.month, day.day, 9), local(day.year, day.month, day.day, 15))]
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Harbour Testbed" in page and "Library Lab" in page


def test_errors_are_shown_in_their_row(client, auth, lead, pilot_facility, create_facility, create_department):
    auth.login(lead)
    incomplete = client.post("/agreements/new", data=form(row(0, pilot_facility), row(1, pilot_facility, None, ""))
                             ).get_data(as_text=True)
    assert error_of(incomplete, "blocks-1-start_date") == "Give the date."
    assert error_of(incomplete, "blocks-1-start_time") == "Give the time."
    assert error_of(incomplete, "blocks-0-start_date") is None and count() == 0
    assert "Facility time 2, Facility time from (date): Give the date." in incomplete

    backwards = client.post("/agreements/new", data=form(row(0, pilot_facility),
                                                         row(1, pilot_facility, FIRST, "12:00", FIRST, "09:00"))
                            ).get_data(as_text=True)
    assert error_of(backwards, "blocks-1-end_date") == "The facility time must end after it starts."

    # The service refuses a facility of another department: the message is in the row that chose it.
    elsewhere = create_facility("Culture Stage", department=create_department("Culture"))
    refused = client.post("/agreements/new", data=form(row(0, pilot_facility), row(1, elsewhere)))
    refused = refused.get_data(as_text=True)
    assert error_of(refused, "blocks-1-facility").startswith("Choose facilities of Parks")
    assert error_of(refused, "blocks-0-facility") is None and count() == 0

    # Without a challenge and without any facility time, there is no host department to send it to.
    empty = client.post("/agreements/new", data=form(row(0, None, None, "", None, ""))).get_data(as_text=True)
    assert "Add the facility time the pilot uses." in empty and count() == 0


def test_the_edit_page_shows_every_block_and_saves_the_rows_left(client, auth, lead, pilot_facility, create_facility,
                                                                manager):
    library = create_facility("Library Lab", department=manager.departments[0])
    data = agreement_input(pilot_facility)
    data.blocks.append(services.BlockInput(library, local(2030, 4, 8, 9), local(2030, 4, 8, 15)))
    with unit_of_work():
        agreement = services.create_agreement(lead, lead.organisations[0], data, now=NOW)
    auth.login(lead)
    page = client.get(f"/agreements/{agreement.id}/edit").get_data(as_text=True)
    assert legends(page) == ["Facility time 1", "Facility time 2"]
    assert selected(page, "blocks-0-facility") == str(pilot_facility.id)
    assert selected(page, "blocks-1-facility") == str(library.id)
    assert (value_of(page, "blocks-1-start_date"), value_of(page, "blocks-1-start_time"),
            value_of(page, "blocks-1-end_time")) == ("2030-04-08", "09:00", "15:00")

    # Emptying the first row leaves it out: the library's six hours remain.
    response = client.post(f"/agreements/{agreement.id}/edit", data=form(
        row(0, None, None, "", None, ""), row(1, library, date(2030, 4, 8), "09:00", date(2030, 4, 8), "15:00"),
        start_date="2030-04-01", end_date="2030-04-30"))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert [(b.facility, b.start_dt) for b in agreement.blocks] == [(library, local(2030, 4, 8, 9))]

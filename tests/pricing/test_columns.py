"""The facility CSV carries the base tariff: exported with the facility, imported as a new
price (a new version when the tariff has priced reservations), bands and discounts kept."""
from __future__ import annotations

import io

from booking.extensions import db
from booking.facilities import importing
from booking.pricing import services
from booking.unit_of_work import unit_of_work

HEADER = "name,department,category,base_price,price_unit,prices_include_vat,vat_rate\n"


def test_an_import_sets_and_changes_the_base_price(facility, english):
    department = facility.department.name
    with unit_of_work():
        report = importing.import_facilities(HEADER + f"{facility.name},{department},venue,45.00,per_hour,yes,25.5\n")
    assert report.ok, report.errors
    [tariff] = services.current_tariffs(facility)
    assert (tariff.base_price_cents, tariff.unit.value, tariff.prices_include_vat) == (4500, "per_hour", True)

    with unit_of_work():
        importing.import_facilities(HEADER + f"{facility.name},{department},venue,50,per_hour,yes,25.5\n")
    [tariff] = services.current_tariffs(facility)
    assert tariff.base_price_cents == 5000


def test_a_locked_tariff_gets_a_new_version_keeping_its_discounts(facility, create_tariff, english):
    tariff = create_tariff(facility)
    tariff.locked_dt = tariff.created_dt
    db.session.commit()
    with unit_of_work():
        importing.import_facilities(HEADER + f"{facility.name},{facility.department.name},venue,80,per_hour,no,25.5\n")
    [current] = services.current_tariffs(facility)
    assert current.version == 2 and current.base_price_cents == 8000
    assert {r.actor_type.value for r in current.rules} == {"third_sector", "citizen_group", "startup"}


def test_a_bad_price_is_a_line_problem_and_nothing_is_written(facility, english):
    report = importing.import_facilities(HEADER + f"{facility.name},{facility.department.name},venue,cheap,per_moon,"
                                                   "maybe,150\n")
    assert not report.ok
    reasons = " ".join(report.errors[0].reasons)
    assert "'cheap' is not a price" in reasons and "'per_moon' is not a unit" in reasons
    assert "write yes or no" in reasons and "'150' is not a percentage" in reasons
    assert services.current_tariffs(facility) == []


def test_the_export_has_the_tariff_in_force(facility, create_tariff):
    create_tariff(facility)
    out = io.StringIO()
    importing.export_facilities(out)
    header, row = out.getvalue().splitlines()[:2]
    values = dict(zip(header.split(","), row.split(",")))
    assert (values["base_price"], values["price_unit"], values["prices_include_vat"]) == ("60.00", "per_hour", "no")

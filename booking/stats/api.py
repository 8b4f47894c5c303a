"""Open data: utilisation of the city's facilities, aggregated, public, under an open licence.

`GET /api/v1/stats/utilisation` answers in JSON or CSV. It carries no personal data: no
people, no organisation names, only sums per period and per facility, category, department,
district or actor type, and the decision lead times per department.
"""
from __future__ import annotations

import io
from datetime import date
from typing import Literal

from flask import Response, current_app
from pydantic import BaseModel, ConfigDict, Field

from booking import csvfiles
from booking.api import route
from booking.api.types import Day, Id, Text
from booking.errors import Message, RuleViolation
from booking.stats import messages  # noqa: F401  (registers the domain's wording)
from booking.stats import rollups, services
from booking.unit_of_work import unit_of_work

TAG = "statistics"


class UtilisationQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: Day | None = Field(None, alias="from", description=(
        "First local day (default: 1 January this year); on or before `to`"))
    to: Day | None = Field(None, description=(
        f"Last local day, inclusive (default: today): at most {services.MAX_DAYS} days from `from` counted "
        f"inclusively, {services.MAX_DAYS_BY_DAY} with interval=day"))
    group_by: Literal[services.GROUPS] = Field("none", description="One row per facility, category, department, "
                                                                   "district or actor type of the booker")
    interval: Literal[services.INTERVALS] = Field("month", description="One row per day, week (from Monday), "
                                                                       "month or year, or all for the period")
    format: Literal["json", "csv"] = "json"
    department_id: Id | None = None
    facility_id: Id | None = None
    category: Text | None = Field(None, max_length=40)
    district: Text | None = Field(None, max_length=100)


class UtilisationRowOut(BaseModel):
    period: date | None = Field(description="First day of the interval (null with interval=all)")
    group: int | str | None = Field(description="The group's id (facility, department) or code; null without group_by")
    label: str = Field(description="The group's name: a facility, department, category or district code, "
                                   "or an actor type")
    open_hours: float = Field(description="Opening hours minus closures and internal blocks, local time")
    booked_hours: float = Field(description="Confirmed, checked-in and completed time within the open hours")
    pending_hours: float = Field(description="Time requested and awaiting a decision, within the open hours")
    idle_hours: float = Field(description="open_hours − booked_hours")
    utilisation: float = Field(description="booked_hours / open_hours, 0 without open hours, at most 1")
    reservations: int = Field(description="Confirmed, completed or no-show reservations starting in the period")
    organisations: int = Field(description="Distinct organisations with a reservation or a price in the period")
    no_show_rate: float | None = Field(description="No-shows / (completed + no-shows); null when none")
    cancellation_rate: float | None = Field(description="Cancelled / (reservations + cancelled); null when none")
    revenue_cents: int = Field(description="Owed or invoiced prices of reservations starting in the period, EUR "
                                           "cents, VAT included")
    subsidy_cents: int = Field(description="List value minus the price: what the city gave, EUR cents")


class LeadTimeOut(BaseModel):
    department: str
    decided: int = Field(description="Requests decided in the period")
    automatic_share: float | None = Field(description="Share decided automatically by the booking rules")
    median_hours: float | None = Field(description="Manual decisions: median hours from request to decision")
    p90_hours: float | None = Field(description="Manual decisions: 90th percentile, hours")


class UtilisationOut(BaseModel):
    licence: str = Field(description="The licence of this data (OPEN_DATA_LICENCE)")
    licence_url: str
    source: str = Field(description="The city's Infrashare instance")
    from_: date = Field(serialization_alias="from")
    to: date
    group_by: str
    interval: str
    items: list[UtilisationRowOut]
    total: UtilisationRowOut
    lead_times: list[LeadTimeOut]


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def catch_up() -> None:
    """Statistics are read after the days that changes made stale are recomputed (usually
    none: the scheduler does it every minute)."""
    if rollups.is_stale():
        with unit_of_work():
            rollups.refresh_stale()


def row_out(row: services.Row) -> UtilisationRowOut:
    return UtilisationRowOut(
        period=row.period, group=row.key if row.key != "" else None, label=str(row.label),
        open_hours=_hours(row.open_minutes), booked_hours=_hours(row.booked_minutes),
        pending_hours=_hours(row.pending_minutes), idle_hours=_hours(row.idle_minutes),
        utilisation=_ratio(row.utilisation), reservations=row.reservations, organisations=row.organisations,
        no_show_rate=_ratio(row.no_show_rate), cancellation_rate=_ratio(row.cancellation_rate),
        revenue_cents=row.revenue_cents, subsidy_cents=row.subsidy_cents)


def filters_from(query: UtilisationQuery, *, departments=None, public: bool) -> services.Filters:
    today = rollups.city_today()
    first, last = query.from_ or date(today.year, 1, 1), query.to or today
    problem = services.validate_period(first, last, query.interval)
    if problem:
        raise RuleViolation(field_errors={"from": [Message(problem)]})
    return services.Filters(first, last, query.group_by, query.interval, departments=departments,
                            department_id=query.department_id, facility_id=query.facility_id,
                            category=query.category, district=query.district, public=public)


CSV_FIELDS = list(UtilisationRowOut.model_fields)


def csv_response(rows: list[UtilisationRowOut], filename: str) -> Response:
    out = io.StringIO()
    writer = csvfiles.dict_writer(out, CSV_FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.model_dump(mode="json").items()})
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@route("/stats/utilisation", summary="Utilisation of the city's facilities (open data)", tag=TAG, auth="public",
       query=UtilisationQuery, response=UtilisationOut, errors=(422,))
def utilisation(query: UtilisationQuery):
    """Aggregated figures per period and group, with no personal data: open, booked, pending
    and idle hours, utilisation, reservations, distinct organisations, no-show and
    cancellation rates, revenue and subsidy, and the decision lead time per department.
    Published facilities only. `format=csv` gives the rows as CSV (the licence is in the
    `Link` header). Periods: at most three years, or one year with interval=day."""
    filters = filters_from(query, public=True)
    catch_up()
    rows = [row_out(r) for r in services.utilisation_rows(filters)]
    config = current_app.config
    if query.format == "csv":
        response = csv_response(rows, f"utilisation-{filters.first}-{filters.last}.csv")
    else:
        body = UtilisationOut(
            licence=config["OPEN_DATA_LICENCE"], licence_url=config["OPEN_DATA_LICENCE_URL"],
            source=config["BASE_URL"], from_=filters.first, to=filters.last, group_by=filters.group_by,
            interval=filters.interval, items=rows, total=row_out(services.summary(filters)),
            lead_times=[LeadTimeOut(department=lt.department, decided=lt.decided,
                                    automatic_share=_ratio(lt.automatic_share),
                                    median_hours=None if lt.median_hours is None else round(lt.median_hours, 2),
                                    p90_hours=None if lt.p90_hours is None else round(lt.p90_hours, 2))
                        for lt in services.lead_times(filters)])
        response = Response(body.model_dump_json(by_alias=True), mimetype="application/json")
    response.headers["Link"] = f'<{config["OPEN_DATA_LICENCE_URL"]}>; rel="license"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response

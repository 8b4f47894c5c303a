"""Statistics pages: the dashboard (managers: their departments; admins: the city), its CSV
downloads, the public "Open data" page, and a facility's utilisation in words."""
from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from booking.forms import BaseForm
from sqlalchemy import select
from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from booking import csvfiles, navigation, panels
from booking.accounts.forms import ACTOR_TYPE_LABELS
from booking.accounts.models import ActorType, Department
from booking.errors import Message
from booking.extensions import db
from booking.facilities.forms import CATEGORY_LABELS
from booking.stats import messages  # noqa: F401  (registers the domain's wording)
from booking.stats import rollups, services
from booking.stats.api import CSV_FIELDS, UtilisationQuery, catch_up, row_out
from booking.stats.rules import can_view_stats, department_scope

bp = Blueprint("stats", __name__)

navigation.add("stats.dashboard", _l("Statistics"), visible=can_view_stats, order=70)
navigation.add("stats.open_data", _l("Open data"), visible=lambda user: not can_view_stats(user), order=90)

GROUP_LABELS = {"none": _l("Everything together"), "facility": _l("Facility"), "category": _l("Category"),
                "department": _l("Department"), "district": _l("District"), "actor_type": _l("Actor type")}
INTERVAL_LABELS = {"all": _l("The whole period"), "day": _l("Day"), "week": _l("Week"), "month": _l("Month"),
                   "year": _l("Year")}
WEEKDAYS = [_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")]
TABLES = ("rows", "heatmap", "least_used", "actor_types", "lead_times")
OFTEN_FREE_BELOW = 0.25   # "often free" on a catalogue card under this recent utilisation


class StatsForm(BaseForm):
    class Meta:
        csrf = False  # a GET form: it only reads

    first = DateField(_l("From"), validators=[InputRequired()])
    last = DateField(_l("To"), validators=[InputRequired()])
    # The whole period by default: one row per group (the chart shows the months); a city of
    # 2,000 facilities by month would be 26,000 rows.
    interval = SelectField(_l("Interval"), default="all", choices=list(INTERVAL_LABELS.items()))
    group_by = SelectField(_l("Group by"), default="facility", choices=list(GROUP_LABELS.items()))
    department = SelectField(_l("Department"), default="", validators=[Optional()])
    category = SelectField(_l("Category"), default="",
                           choices=[("", _l("All categories"))] + list(CATEGORY_LABELS.items()))
    district = StringField(_l("District"), validators=[Optional(), Length(max=100)])

    def validate_last(self, field):
        if self.first.data and field.data:
            problem = services.validate_period(self.first.data, field.data, self.interval.data)
            if problem:
                raise ValidationError(str(Message(problem)))


def _form() -> tuple[StatsForm, services.Filters | None]:
    form = StatsForm(request.args)
    departments = list(db.session.scalars(select(Department).order_by(Department.name)))
    scope = department_scope(current_user)
    if scope is not None:
        departments = [d for d in departments if d.id in scope]
    form.department.choices = [("", _("All my departments") if scope is not None else _("All departments"))] + [
        (str(d.id), d.name) for d in departments]
    today = rollups.city_today()
    if not request.args.get("first"):
        form.first.data = (today - timedelta(days=365)).replace(day=1)
    if not request.args.get("last"):
        form.last.data = today
    if request.args and not form.validate():
        return form, None
    department_id = int(form.department.data) if (form.department.data or "").isdigit() else None
    if department_id is not None and scope is not None and department_id not in scope:
        abort(403)
    filters = services.Filters(form.first.data, form.last.data, form.group_by.data or "facility",
                               form.interval.data or "all",
                               departments=frozenset(scope) if scope is not None else None,
                               department_id=department_id, category=form.category.data or None,
                               district=(form.district.data or "").strip() or None)
    return form, filters


TABLE_ROWS = 500  # rows of the per-group table on the page; the CSV download has every row


def _label(row: services.Row, group_by: str) -> str:
    if group_by == "category":
        return str(CATEGORY_LABELS.get(row.key, row.key))
    if group_by == "actor_type":
        return str(ACTOR_TYPE_LABELS.get(ActorType(row.key), row.key)) if row.key else ""
    if group_by == "none":
        return _("All facilities")
    return str(row.label) or _("(none)")


def _figures(filters: services.Filters) -> dict:
    catch_up()
    rows = services.utilisation_rows(filters)
    for row in rows:
        row.label = _label(row, filters.group_by)
    over_time = services.utilisation_rows(replace(filters, group_by="none",
                                                  interval=filters.interval if filters.interval != "all" else "month"))
    actor_types = services.utilisation_rows(replace(filters, group_by="actor_type", interval="all"))
    for row in actor_types:
        row.label = _label(row, "actor_type")
    per_facility = rows if (filters.group_by, filters.interval) == ("facility", "all") else None
    return {"rows": rows, "over_time": over_time, "summary": services.summary(filters),
            "heatmap": services.heatmap(filters), "least_used": services.least_used(filters, rows=per_facility),
            "actor_types": actor_types, "lead_times": services.lead_times(filters),
            "pilots": [(Message(f"agreement.status.{status.value}"), count)
                       for status, count in services.pilots_by_state(filters)]}


@bp.get("/stats")
@login_required
def dashboard():
    if not can_view_stats(current_user):
        abort(403)
    form, filters = _form()
    figures = _figures(filters) if filters is not None else None
    chart = None
    if figures:
        chart = {"labels": [str(r.period) for r in figures["over_time"]],
                 "utilisation": [round(r.utilisation * 100, 1) for r in figures["over_time"]],
                 "booked": [round(r.booked_minutes / 60, 1) for r in figures["over_time"]],
                 "open": [round(r.open_minutes / 60, 1) for r in figures["over_time"]],
                 "title": _("Utilisation, %"), "booked_title": _("Booked hours"), "open_title": _("Open hours")}
    return render_template("stats/dashboard.html", form=form, filters=filters, figures=figures,
                           chart_json=json.dumps(chart) if chart else None, weekdays=WEEKDAYS,
                           group_labels=GROUP_LABELS, query=request.args.to_dict(flat=True), table_rows=TABLE_ROWS)


def _csv(header: list[str], rows: list[list], name: str) -> Response:
    out = io.StringIO()
    writer = csvfiles.writer(out)
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@bp.get("/stats/<table>.csv")
@login_required
def download(table: str):
    """Every table of the dashboard as CSV, with the dashboard's filters."""
    if table not in TABLES:
        abort(404)
    if not can_view_stats(current_user):
        abort(403)
    _unused, filters = _form()
    if filters is None:
        abort(400)
    catch_up()
    name = f"{table}-{filters.first}-{filters.last}"
    if table in ("rows", "least_used", "actor_types"):
        if table == "rows":
            rows = services.utilisation_rows(filters)
            group_by = filters.group_by
        elif table == "least_used":
            rows, group_by = services.least_used(filters, limit=10_000), "facility"
        else:
            rows, group_by = services.utilisation_rows(replace(filters, group_by="actor_type", interval="all")), \
                "actor_type"
        for row in rows:
            row.label = _label(row, group_by)
        data = [row_out(r).model_dump(mode="json") for r in rows]
        return _csv(CSV_FIELDS, [[d[k] for k in CSV_FIELDS] for d in data], name)
    if table == "heatmap":
        cells = [c for day in services.heatmap(filters) for c in day]
        return _csv(["weekday", "hour", "open_hours", "booked_hours", "utilisation"],
                    [[c.weekday, c.hour, round(c.open_minutes / 60, 2), round(c.booked_minutes / 60, 2),
                      round(c.utilisation, 4)] for c in cells], name)
    return _csv(["department", "decided", "automatic_share", "median_hours", "p90_hours"],
                [[lt.department, lt.decided, None if lt.automatic_share is None else round(lt.automatic_share, 4),
                  None if lt.median_hours is None else round(lt.median_hours, 2),
                  None if lt.p90_hours is None else round(lt.p90_hours, 2)] for lt in services.lead_times(filters)],
                name)


@bp.get("/open-data")
def open_data():
    """What the open statistics say, field by field, and their licence (public)."""
    from booking.stats.api import LeadTimeOut, UtilisationRowOut

    fields = [(name, info.description) for name, info in UtilisationRowOut.model_fields.items()]
    lead_fields = [(name, info.description or "") for name, info in LeadTimeOut.model_fields.items()]
    query_fields = [(info.alias or name, info.description or "") for name, info in UtilisationQuery.model_fields.items()]
    return render_template("stats/open_data.html", fields=fields, lead_fields=lead_fields, query_fields=query_fields,
                           licence=current_app.config["OPEN_DATA_LICENCE"],
                           licence_url=current_app.config["OPEN_DATA_LICENCE_URL"],
                           example_first=date(rollups.city_today().year, 1, 1))


# --- a facility's utilisation in words, on its page and on catalogue cards -------------------

def _facility_utilisation(facility, **page) -> dict:
    return {"share": facility.recent_utilisation, "days": rollups.RECENT_DAYS}


def _often_free(facilities, **page) -> dict[int, str]:
    return {f.id: _("Often free") for f in facilities
            if f.recent_utilisation is not None and f.recent_utilisation < OFTEN_FREE_BELOW}


panels.register("facility", "utilisation", "stats/_facility_utilisation.html", _facility_utilisation, order=30)
panels.register_card_facts("catalogue", "often_free", _often_free, order=30)
from booking.stats import overview  # noqa: E402,F401  (the admin's city overview, on this blueprint)

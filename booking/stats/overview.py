"""The admin's city overview: what matters today, department by department (requests waiting
and overdue, today's reservations, pilot agreements waiting for the city) and whether the
machinery works (failing jobs, e-mails that failed or are late). Where an admin lands after
logging in. A fixed number of queries however large the city: one grouped query per figure."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from booking import navigation
from booking.accounts.models import Department
from booking.agreements import services as agreements
from booking.database import utcnow
from booking.extensions import db
from booking.facilities.availability import local_day_bounds
from booking.notifications import services as notifications
from booking.reservations.services import figures
from booking.scheduler import JobState, Outcome
from booking.stats.rules import can_view_city_overview
from booking.stats.views import bp

navigation.add("stats.overview", _l("Overview"), visible=can_view_city_overview, order=5)


@bp.get("/admin/overview")
@login_required
def overview():
    if not can_view_city_overview(current_user):
        abort(403)
    now = utcnow()
    zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    today = now.astimezone(zone).date()
    bounds = local_day_bounds(today, zone)
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    reservation_figures = figures.department_figures(now=now, day_start=bounds.start, day_end=bounds.end)
    agreement_figures = agreements.agreements_needing_action(now=now)
    rows = [(d, reservation_figures.get(d.id, figures.DepartmentFigures()),
             agreement_figures.get(d.id, agreements.AgreementFigures())) for d in departments]
    failing = db.session.scalars(select(JobState).where(JobState.last_outcome == Outcome.failed)
                                 .order_by(JobState.name)).all()
    return render_template("stats/overview.html", rows=rows, today=today, now=now, failing_jobs=failing,
                           outbox=notifications.outbox_counts(now=now),
                           totals=_totals(rows))


def _totals(rows) -> dict[str, int]:
    totals: dict[str, int] = {}
    for _department, day, pilots in rows:
        for name, value in (*vars(day).items(), *(("pilots_" + k, v) for k, v in vars(pilots).items())):
            totals[name] = totals.get(name, 0) + value
    return totals

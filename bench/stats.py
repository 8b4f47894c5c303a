"""Statistics in the benchmark: the city's last year summed from the daily rollups, next to
the plain SQL sum over the same rollup rows.

The generator builds the rollups of the year before the anchor week (as `flask stats
rebuild` would) once the city is in place; the rows measure the open data API and the
dashboard's figures for that year.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from bench import city as city_module
from bench.measurements import MEASUREMENTS, Row
from booking.extensions import db
from booking.stats import rollups, services, views


def _year(ctx_or_city):
    anchor = ctx_or_city.anchor if hasattr(ctx_or_city, "anchor") else ctx_or_city.city.anchor
    return anchor - timedelta(days=365), anchor - timedelta(days=1)


@city_module.register_generator
def build_rollups(city, rng) -> None:
    first, last = _year(city)
    rollups.refresh(None, first, last)


def api_year_by_month(ctx):
    first, last = _year(ctx)
    return ctx.get(f"/api/v1/stats/utilisation?from={first}&to={last}&interval=month")


def api_year_per_facility(ctx):
    first, last = _year(ctx)
    return ctx.get(f"/api/v1/stats/utilisation?from={first}&to={last}&group_by=facility&interval=all")


def dashboard_figures(ctx):
    """What the dashboard computes for an admin's year, as the page does by default (table per
    facility, chart by month, summary, heatmap, ranking, actor types, lead times, pilots),
    without the HTML."""
    first, last = _year(ctx)
    filters = services.Filters(first, last, "facility", "all")

    def figures():
        with ctx.app.test_request_context("/stats"):
            return views._figures(filters)
    return figures


def _floor(sql: str):
    def make(ctx):
        first, last = _year(ctx)
        stmt = text(sql)
        return lambda: db.session.execute(stmt, {"a": first, "b": last}).all()
    return make


SUM_BY_DAY = ("SELECT sum(open_minutes), sum(booked_minutes) FROM utilisation_day "
              "WHERE day BETWEEN :a AND :b GROUP BY day")
SUM_BY_FACILITY = ("SELECT facility_id, sum(open_minutes), sum(booked_minutes) FROM utilisation_day "
                   "WHERE day BETWEEN :a AND :b GROUP BY facility_id")

MEASUREMENTS.extend([
    Row("stats API: the last year by month, city-wide", api_year_by_month, _floor(SUM_BY_DAY),
        "raw SQL: sum of the year's rollup rows per day"),
    Row("stats API: the last year per facility", api_year_per_facility, _floor(SUM_BY_FACILITY),
        "raw SQL: sum of the year's rollup rows per facility"),
    Row("stats dashboard figures: the last year per facility, chart by month", dashboard_figures,
        _floor(SUM_BY_FACILITY),
        "raw SQL: sum of the year's rollup rows per facility"),
])

"""The limits: one raw SQL statement answering (about) the same question as the app, timed
in the same run. Written by hand for the benchmark's city (one time zone's wall clock, no
DST day in the window), so each is a floor for the database work, not a second implementation.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Integer, bindparam, text
from sqlalchemy.types import Date, Time

from booking.database import UTCDateTime
from booking.extensions import db

ACTIVE = "('held', 'pending', 'confirmed')"

# Open at some time of [t_start, t_end) on :day by its special opening or the weekly version in force.
_OPEN_THAT_DAY = """
    (EXISTS (SELECT 1 FROM special_opening s WHERE s.facility_id = f.id AND s.date = :day
                AND s.start_time < :t_end AND (s.end_time > :t_start OR s.end_time <= s.start_time))
     OR (NOT EXISTS (SELECT 1 FROM special_opening s WHERE s.facility_id = f.id AND s.date = :day)
         AND EXISTS (SELECT 1 FROM opening_hours h WHERE h.facility_id = f.id AND h.weekday = :weekday
                AND h.valid_from = (SELECT max(v.valid_from) FROM opening_hours v
                                    WHERE v.facility_id = f.id AND v.valid_from <= :day)
                AND h.start_time < :t_end AND (h.end_time > :t_start OR h.end_time <= h.start_time))))
"""
_OPEN_THAT_WEEK = """
    (EXISTS (SELECT 1 FROM special_opening s WHERE s.facility_id = f.id AND s.date BETWEEN :day AND :last_day)
     OR EXISTS (SELECT 1 FROM opening_hours h WHERE h.facility_id = f.id
                AND h.valid_from = (SELECT max(v.valid_from) FROM opening_hours v
                                    WHERE v.facility_id = f.id AND v.valid_from <= :day)))
"""
_NOTHING_IN_WINDOW = f"""
    NOT EXISTS (SELECT 1 FROM closure c WHERE c.facility_id = f.id AND c.start_dt < :b AND c.end_dt > :a)
    AND NOT EXISTS (SELECT 1 FROM reservation r WHERE r.facility_id = f.id AND r.status IN {ACTIVE}
                    AND r.blocked_start_dt < :b AND r.blocked_end_dt > :a)
"""
_TYPES = [bindparam("day", type_=Date), bindparam("last_day", type_=Date), bindparam("t_start", type_=Time),
          bindparam("t_end", type_=Time), bindparam("a", type_=UTCDateTime), bindparam("b", type_=UTCDateTime),
          bindparam("weekday", type_=Integer), bindparam("size", type_=Integer), bindparam("fid", type_=Integer)]


def _run(sql: str, **params):
    names = {p.key for p in _TYPES if f":{p.key}" in sql}
    stmt = text(sql).bindparams(*[p for p in _TYPES if p.key in names])
    return lambda: db.session.execute(stmt, params).all()


def free_room_hour(ctx):
    start, end = ctx.hour_window
    local_start, local_end = (i.astimezone(ctx.zone) for i in (start, end))
    return _run(f"SELECT f.id FROM facility f WHERE f.status = 'published' AND {_OPEN_THAT_DAY} "
                f"AND {_NOTHING_IN_WINDOW}", day=local_start.date(), weekday=local_start.weekday(),
                t_start=local_start.time(), t_end=local_end.time(), a=start, b=end)


def free_room_week(ctx):
    start, end = ctx.week_window
    return _run(f"SELECT f.id FROM facility f WHERE f.status = 'published' AND {_OPEN_THAT_WEEK} "
                f"AND {_NOTHING_IN_WINDOW}", day=ctx.monday, last_day=ctx.monday + timedelta(days=6), a=start,
                b=end)


def find_time(ctx):
    start, end = ctx.week_window
    return _run(f"SELECT f.id FROM facility f WHERE f.status = 'published' AND f.capacity >= :size "
                f"AND {_OPEN_THAT_WEEK} AND {_NOTHING_IN_WINDOW}", size=10, day=ctx.monday,
                last_day=ctx.monday + timedelta(days=6), a=start, b=end)


def catalogue(ctx):
    return _run("SELECT f.id, f.name, f.capacity, f.district, count(*) OVER () FROM facility f "
                "WHERE f.status = 'published' ORDER BY lower(f.name), f.id LIMIT 20")


def facility_week(ctx):
    start, end = ctx.week_window
    return _run(f"""
        SELECT 'h', h.weekday, NULL, NULL FROM opening_hours h WHERE h.facility_id = :fid
        UNION ALL SELECT 'c', c.id, c.start_dt, c.end_dt FROM closure c
            WHERE c.facility_id = :fid AND c.start_dt < :b AND c.end_dt > :a
        UNION ALL SELECT 'r', r.id, r.blocked_start_dt, r.blocked_end_dt FROM reservation r
            WHERE r.facility_id = :fid AND r.status IN {ACTIVE} AND r.blocked_start_dt < :b AND r.blocked_end_dt > :a
    """, fid=ctx.sample_id, a=start, b=end)

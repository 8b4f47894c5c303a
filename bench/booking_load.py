"""Booking over HTTP under gunicorn, against the bare INSERT endpoint on the same database.

Phases, each with the same client (bench/load.py): the bare endpoint for --seconds; the app
booking distinct slots for --seconds (each client has facilities of its own, slots far
enough apart that buffers never collide, so every booking should succeed); then a race:
every client posts the same slot at once, round after round, and exactly one must win.
Afterwards no two active reservations of a facility may overlap.
"""
from __future__ import annotations

import threading
from datetime import datetime, time as clock, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import not_, select, text

from bench import load
from bench.bare import bare_insert
from bench.city import HELSINKI
from booking.accounts.models import Organisation  # noqa: F401  (the join below needs it mapped)
from booking.extensions import db
from booking.facilities.availability import Interval, start_times
from booking.facilities.models import (ApprovalPolicy, BookingQuestion, BookingRules, Facility, FacilityStatus,
                                       FacilityTerms)
from booking.facilities import schedules

OVERLAPPING_ACTIVE_PAIRS = text("""
    SELECT count(*) FROM reservation AS a JOIN reservation AS b
      ON a.facility_id = b.facility_id AND a.id < b.id
    WHERE a.status IN ('held', 'pending', 'confirmed') AND b.status IN ('held', 'pending', 'confirmed')
      AND a.blocked_start_dt < b.blocked_end_dt AND b.blocked_start_dt < a.blocked_end_dt
""")


PRICED_SHARE = text("SELECT avg(CASE WHEN price_snapshot_id IS NULL THEN 0.0 ELSE 1.0 END) FROM reservation "
                    "WHERE title LIKE 'Load %'")


def invariants() -> dict:
    return {"overlapping_active_pairs": db.session.scalar(OVERLAPPING_ACTIVE_PAIRS)}


# --- slots -------------------------------------------------------------------------------------

def bookable_facilities(count: int) -> list[Facility]:
    """Published facilities anyone may book at once: automatic, no terms, no required question,
    no quota, far enough ahead, in the city's time zone."""
    stmt = (select(Facility).join(BookingRules, BookingRules.facility_id == Facility.id)
            .where(Facility.status == FacilityStatus.published, Facility.timezone == HELSINKI,
                   BookingRules.approval_policy == ApprovalPolicy.automatic,
                   BookingRules.max_active_per_organisation.is_(None), BookingRules.max_advance_days >= 180,
                   BookingRules.min_duration_minutes <= 60, BookingRules.slot_minutes <= 60,
                   not_(Facility.id.in_(select(FacilityTerms.facility_id))),
                   not_(Facility.id.in_(select(BookingQuestion.facility_id).where(BookingQuestion.active))))
            .order_by(Facility.id).limit(count))
    return list(db.session.scalars(stmt))


def free_slots(facility: Facility, first: datetime, last: datetime) -> list[tuple[datetime, datetime]]:
    """One-hour bookings in the facility's free time, far enough apart that buffers never meet."""
    found = schedules.availability_for([facility], Interval(first, last))[facility.id]
    rules = schedules.ruleset_for(facility)
    hour = timedelta(hours=1)
    gap = rules.buffer_before + rules.buffer_after
    slots, free_from = [], first
    for start in start_times(found.free, hour, rules.slot, facility.timezone):
        if start >= free_from:
            slots.append((start, start + hour))
            free_from = start + hour + gap
    return slots


def body(facility_id: int, organisation_id: int, start: datetime, end: datetime, title: str) -> dict:
    zone = ZoneInfo(HELSINKI)
    return {"facility_id": facility_id, "organisation_id": organisation_id, "title": title, "attendees": 1,
            "start": start.astimezone(zone).isoformat(), "end": end.astimezone(zone).isoformat()}


def plan(city, clients: int, rounds: int, per_client: int = 2):
    """Each client's own slots for the load phase, and the race rounds' slots (one facility)."""
    facilities = bookable_facilities(clients * per_client + 1)
    if len(facilities) < clients + 1:
        raise RuntimeError("the city has too few facilities that can be booked at once")
    per_client = (len(facilities) - 1) // clients
    first = datetime.combine(city.anchor + timedelta(days=60), clock(0), ZoneInfo(HELSINKI)).astimezone(timezone.utc)
    last = first + timedelta(days=110)
    bodies = []
    for n in range(clients):
        own = facilities[n * per_client:(n + 1) * per_client]
        slots = [(f.id, s) for f in own for s in free_slots(f, first, last)]
        slots.sort(key=lambda pair: pair[1][0])  # spread over the client's facilities
        bodies.append([body(fid, city.client_organisations[n], s, e, f"Load {n}") for fid, (s, e) in slots])
    racer = facilities[-1]
    race = [body(racer.id, 0, s, e, "Race") for s, e in free_slots(racer, first, last)[:rounds]]
    return bodies, race


# --- the phases --------------------------------------------------------------------------------

class RssSampler(threading.Thread):
    """Samples the workers' resident memory every half second while the load runs."""

    def __init__(self, server: load.Server):
        super().__init__(daemon=True)
        self.server, self.samples, self.stopping = server, [], threading.Event()

    def run(self):
        while not self.stopping.is_set():
            sizes = self.server.worker_rss_mib()
            if sizes:
                self.samples.append(sizes)
            self.stopping.wait(0.5)

    def stop(self) -> dict:
        self.stopping.set()
        self.join()
        flat = [s for sample in self.samples for s in sample]
        first, last = self.samples[:2], self.samples[-2:]
        return {"max_mib": round(max(flat), 1) if flat else None,
                "start_mib": round(max(s for sample in first for s in sample), 1) if first else None,
                "end_mib": round(max(s for sample in last for s in sample), 1) if last else None}


def measure(app, city, url: str, args, folder) -> dict:
    with app.app_context():
        bare_insert.create(db.engine, checkfirst=True)
        bodies, race = plan(city, args.clients, args.rounds)
        db.session.remove()  # on SQLite a session outside a request holds the write lock
    tokens = city.client_tokens[:args.clients]
    result = {"clients": args.clients, "seconds": args.seconds}
    with load.Server("bench.bare:create_bare_app()", url, instance=folder) as bare:
        load.run_load(bare.port, "/insert", tokens, [b[:200] for b in bodies], min(args.seconds, 2))  # warm-up
        sampler = RssSampler(bare)
        sampler.start()
        result["bare"] = load.run_load(bare.port, "/insert", tokens, [b * 50 for b in bodies], args.seconds).summary()
        result["bare_rss"] = sampler.stop()
    with load.Server("app:app", url, instance=folder) as server:
        warm = 10  # each client's first bookings load the app's lazy parts (templates, mappers)
        load.run_load(server.port, "/api/v1/reservations", tokens, [b[:warm] for b in bodies], 30)
        sampler = RssSampler(server)
        sampler.start()
        outcome = load.run_load(server.port, "/api/v1/reservations", tokens, [b[warm:] for b in bodies],
                                args.seconds)
        result["app"] = outcome.summary()
        with app.app_context():  # what the load booked on facilities that charge (bench/pricing.py)
            result["app"]["priced_share"] = round(db.session.scalar(PRICED_SHARE) or 0, 2)
            db.session.remove()
        rss = sampler.stop()
        rounds = _race(server.port, tokens, race, city)
    result["rss"] = {"app_max_mib": rss["max_mib"], "app_start_mib": rss["start_mib"], "app_end_mib": rss["end_mib"],
                     "bare_max_mib": result["bare_rss"]["max_mib"]}
    result["share_of_ceiling"] = round(result["app"]["per_second"] / result["bare"]["per_second"], 3) \
        if result["bare"]["per_second"] else None
    winners = [sum(1 for status in statuses if status == 201) for statuses in rounds]
    result["race"] = {"rounds": len(rounds), "one_winner_rounds": sum(1 for w in winners if w == 1),
                      "winners": winners, "statuses": sorted({s for statuses in rounds for s in statuses})}
    return result


def _race(port, tokens, race, city) -> list[list[int]]:
    """Each round every client posts the same slot, for its own organisation, at once."""
    return [load.race_round(port, "/api/v1/reservations", tokens,
                            [{**one, "organisation_id": city.client_organisations[i]} for i in range(len(tokens))])
            for one in race]


def table(http: dict) -> str:
    bare, app, race, rss = http["bare"], http["app"], http["race"], http["rss"]
    share = http["share_of_ceiling"]
    lines = [f"Booking over HTTP: gunicorn (gunicorn.conf.py), {http['clients']} clients, {http['seconds']:g} s each.",
             "",
             "| measurement | per s | p50 ms | p95 ms | limit (same run) | ratio | target | met |",
             "|---|---:|---:|---:|---|---:|---|---|",
             f"| bare INSERT + commit (the limit) | {bare['per_second']:,.0f} | {bare['p50_ms']} | {bare['p95_ms']} | "
             f"| | | |",
             f"| booking, distinct slots | {app['per_second']:,.0f} | {app['p50_ms']} | {app['p95_ms']} | "
             f"bare INSERT | {share:.1%} | ≥ 25 %, p95 ≤ 60 ms | "
             f"{'yes' if share and share >= 0.25 and app['p95_ms'] <= 60 else '**no**'} |",
             f"| race: one winner per round | {race['one_winner_rounds']}/{race['rounds']} rounds | | | | | "
             f"every round | {'yes' if race['one_winner_rounds'] == race['rounds'] else '**no**'} |",
             f"| worker RSS under load, MiB (max; start → end) | {rss['app_max_mib']} | "
             f"{rss['app_start_mib']} → {rss['app_end_mib']} | | bare worker {rss['bare_max_mib']} | "
             f"{rss['app_max_mib'] / rss['bare_max_mib']:.1f} | | |" if rss["app_max_mib"] and rss["bare_max_mib"] else "",
             f"\nStatuses: booking {app['statuses']}, bare {bare['statuses']}, race {race['statuses']}. "
             f"Bookings that kept a price (their facility charges): {app.get('priced_share', 0):.0%}."]
    return "\n".join(line for line in lines if line is not None)

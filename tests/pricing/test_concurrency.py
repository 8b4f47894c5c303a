"""Invoice numbers never repeat and never leave a gap: several OS processes issue invoices at
the same moment, on SQLite and PostgreSQL alike, while another takes a number and fails."""
from __future__ import annotations

import multiprocessing
import queue

import pytest
from sqlalchemy import select

from booking.accounts.models import ActorType
from booking.extensions import db
from booking.pricing.models import Invoice
from tests.fixtures.pricing import at
from tests.pricing.invoice_racing import ISSUED, ROLLED_BACK, race

WORKERS = 6
MONTHS = [1, 2, 3, 4]


def test_racing_issuers_get_consecutive_numbers(database_url, facility, create_tariff, create_snapshot,
                                                create_organisation):
    create_tariff(facility, bands=(), invoice_each_reservation=True)
    organisations = [create_organisation(f"Racing Team {n}", ActorType.sme) for n in range(WORKERS)]
    for organisation in organisations[1:]:
        for month in MONTHS:
            for day in (3, 4):  # two reservations each month: two invoices per issue
                create_snapshot(facility, organisation, at(2030, month, day, 10 + organisation.id % 8),
                                at(2030, month, day, 11 + organisation.id % 8))
    ids = [o.id for o in organisations]
    db.session.commit()
    db.session.close()  # the test's own session must not hold the SQLite write lock
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    results = context.Queue()
    processes = [context.Process(target=race, args=(database_url, organisation_id, MONTHS, n == 0, barrier, results))
                 for n, organisation_id in enumerate(ids)]
    for process in processes:
        process.start()
    outcomes = []
    try:
        for _ in range(WORKERS * len(MONTHS)):
            outcomes.append(results.get(timeout=180))
    except queue.Empty:
        pytest.fail(f"the workers did not all report: {outcomes}")
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()

    kinds = [outcome[0] for _month, _org, outcome in outcomes]
    assert kinds.count(ROLLED_BACK) == len(MONTHS)
    assert kinds.count(ISSUED) == (WORKERS - 1) * len(MONTHS), outcomes
    numbers = sorted(n for _month, _org, (_kind, taken) in outcomes for n in taken)
    expected = (WORKERS - 1) * len(MONTHS) * 2
    assert numbers == list(range(1, expected + 1))
    assert sorted(db.session.scalars(select(Invoice.number))) == numbers

"""The demo's statistics: build the daily rollups from the seeded reservations (the seed
tells no subscribers, so the rollups are computed here once, after everything else). A demo
that has them already is left as it is (`flask --app app stats rebuild` recomputes)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from booking.extensions import db
from booking.stats import rollups
from booking.stats.models import UtilisationDay
from booking.unit_of_work import unit_of_work


def load(demo_dir: Path) -> str:
    if db.session.scalar(select(UtilisationDay.id).limit(1)) is not None:
        return "already computed"
    with unit_of_work():
        written = rollups.rebuild()
    return f"{written} facility days of utilisation"

"""The demo's statistics: rebuild the daily rollups from the seeded reservations (the seed
tells no subscribers, so the rollups are computed here once, after everything else)."""
from __future__ import annotations

from pathlib import Path

from booking.stats import rollups
from booking.unit_of_work import unit_of_work


def load(demo_dir: Path) -> str:
    with unit_of_work():
        written = rollups.rebuild()
    return f"{written} facility days of utilisation"

"""Demo data for `flask --app app seed-demo`, read from assets/demo/.

Each domain's part is its own module with a `load(demo_dir)` that is safe to run again
(it looks rows up by a natural key before creating them). They run in domain order.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from booking.events import notifications_suppressed

DEMO_DIR = Path(__file__).resolve().parent.parent.parent / "assets" / "demo"
PARTS = ["accounts", "facilities", "content", "pricing", "reservations", "seasons", "invoices", "history", "agreements",
         "stats"]


def load_all(demo_dir: Path = DEMO_DIR, echo=print) -> None:
    """Every part, telling nobody: no e-mail, notification or webhook (audit events are kept)."""
    with notifications_suppressed():
        for part in PARTS:
            _load(part, demo_dir, echo)


def _load(part: str, demo_dir: Path, echo) -> None:
    try:
        module = importlib.import_module(f"booking.seed.{part}")
    except ModuleNotFoundError as exc:
        if exc.name == f"booking.seed.{part}":
            return
        raise
    echo(f"{part}: {module.load(demo_dir)}")

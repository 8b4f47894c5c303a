"""Seasonal rounds' pages (filled in below)."""
from __future__ import annotations

from flask import Blueprint

from booking.seasons import messages

bp = Blueprint("seasons", __name__)
bp.record_once(lambda state: messages.init_app(state.app))

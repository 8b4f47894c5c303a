"""Public facility pages: the catalogue, find a time, the facility page and its calendars."""
from flask import Blueprint

from booking.facilities.manage import bp as manage_bp

bp = Blueprint("facilities", __name__)
bp.register_blueprint(manage_bp)

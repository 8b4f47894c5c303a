"""Facility managers' pages: create, edit, publish, archive; hours, closures, rules, photos."""
from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/manage")

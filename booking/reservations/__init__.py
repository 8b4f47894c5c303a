"""Reservations: holds, requests, decisions, series, and no double booking."""

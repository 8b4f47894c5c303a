"""Pilot agreements and the city's challenges (issue 9)."""

"""Seasonal application rounds: organisations apply for weekly time, the city allocates fairly."""

"""The facility inventory: facilities, opening hours, closures, booking rules, and availability."""

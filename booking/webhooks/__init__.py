"""Webhooks: an organisation (for its own reservations and agreements) or an admin (city-wide)
registers an HTTPS address and the events it wants; each event is queued as a signed JSON
delivery in the same transaction as the change, and the `deliver-webhooks` job sends it,
retrying with back-off for a day. See the README for how a receiver verifies the signature."""

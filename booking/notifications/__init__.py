"""E-mail: every message is written to the outbox first, then delivered by SMTP when configured."""

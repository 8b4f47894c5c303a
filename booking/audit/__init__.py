"""Audit trail: who changed what, before and after, and when."""

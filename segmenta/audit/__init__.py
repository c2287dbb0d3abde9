"""Audit trail: append-only, hash-chained record of every access and change."""

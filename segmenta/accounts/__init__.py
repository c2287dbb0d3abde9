"""Accounts: clinics, memberships and roles, practitioner profiles, login security, API tokens."""

"""Patients and their charts."""

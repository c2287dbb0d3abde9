"""Outcomes: questionnaires, scoring, progress and the practice's own statistics."""

"""Django's SQLite backend with the query planner's statistics kept current (base.py)."""

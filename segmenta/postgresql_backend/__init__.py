"""Django's PostgreSQL backend, binding values on the server but never past its limit (base.py)."""

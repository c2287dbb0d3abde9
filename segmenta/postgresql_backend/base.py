"""Django's PostgreSQL backend, binding values on the server, except in a statement with
more than the server takes.

Values are bound on the server so that it can keep a statement it has parsed (settings.py,
``_postgresql_options``). But one statement carries at most 65,535 values that way, and Django
writes a filter on a Python list (``pk__in=ids``) as one value per item: a retention run or a
research export over every patient of a large installation would fail. Such a statement has
its values written into its text on the client, as Django's default does for every statement.
"""

from django.db.backends.postgresql import base

# The most values the server's protocol binds to one statement (a 16-bit count).
MOST_VALUES = 65_535


class ServerBindingCursor(base.ServerBindingCursor):
    def execute(self, query, params=None, *args, **kwargs):
        if params is not None and len(params) > MOST_VALUES:
            with base.Cursor(self.connection) as client:  # Django's client-side binding cursor
                query, params = client.mogrify(query, params), None
        return super().execute(query, params, *args, **kwargs)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if params.get("cursor_factory") is base.ServerBindingCursor:
            params["cursor_factory"] = ServerBindingCursor
        return params

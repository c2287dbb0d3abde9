"""For the tests of what the chart page keeps drawn: how often it draws."""

from contextlib import contextmanager

from django.db import connection

from segmenta.patients import stamps, views


def count_draws(monkeypatch, function, kept):
    """A list that grows by one each time the chart page calls ``views.<function>``, with
    the drawings ``kept`` (a Kept of views) emptied first."""
    counted = []
    real = getattr(views, function)

    def counting(*args, **kwargs):
        counted.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(views, function, counting)
    kept.clear()
    return counted


@contextmanager
def without_stamps():
    """The database without its stamps (as before a migration makes them), then with them again."""
    stamps.uninstall(connection)
    try:
        yield
    finally:
        stamps.install(connection)

"""Every audited read writes an event, and each index of the events' table is updated on
every write: the table keeps no index that another one already covers, and its lookups
still find one."""

import pytest
from django.db import connection

from segmenta.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def event_indexes():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, AuditEvent._meta.db_table)
    return {name: c["columns"] for name, c in constraints.items() if c["index"] and not c["primary_key"]}


def test_no_index_of_the_events_repeats_the_start_of_another():
    indexes = event_indexes()
    for name, columns in indexes.items():
        for other, other_columns in indexes.items():
            if other != name:
                assert other_columns[:len(columns)] != columns, f"{name} {columns} is covered by {other} {other_columns}"


def test_the_references_are_still_looked_up_through_an_index():
    starts = {columns[0] for columns in event_indexes().values()}
    assert {"clinic_id", "patient_id", "user_id", "at"} <= starts


def test_the_user_name_has_no_index():
    # The trail is searched by user name without regard to case, which no index of the plain
    # name serves; every audited read would update it (migration 0006).
    assert not [name for name, columns in event_indexes().items() if columns[0] == "username"]

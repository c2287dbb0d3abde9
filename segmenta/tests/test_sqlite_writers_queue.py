"""SQLite's writers wait in a queue of the operating system's (segmenta/sqlite_backend):
a writer that finds the database busy is woken when it is free, instead of sleeping in
SQLite's busy handler, and the queue is always left when the write ends.

Each test uses a database file of its own, with SQLite's own wait cut to 50 ms: a writer
that waited for SQLite alone would fail with "database is locked" where these tests expect
it to wait its turn."""

import fcntl
import os
import sqlite3
import threading
import time

import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler

from segmenta.settings import database_from_url

HELD = 0.4  # seconds a first writer holds the database, well past SQLite's 50 ms


@pytest.fixture
def connect(tmp_path, django_db_blocker):
    """connect() -> a new connection to one database file, with its table ``t``."""
    settings = database_from_url(f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    settings["OPTIONS"] = {**settings["OPTIONS"], "timeout": 0.05}
    opened = []

    def connect():
        connection = ConnectionHandler({"default": settings})["default"]
        connection.inc_thread_sharing()  # to be closed at the end from this thread
        opened.append(connection)
        return connection

    with django_db_blocker.unblock():  # a database of its own, not the test database
        with connect().cursor() as cursor:
            cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)")
        yield connect
        for connection in opened:
            connection.close()


def queue_is_free(tmp_path):
    """Whether another process could take the queue at once."""
    fd = os.open(tmp_path / "queue.sqlite3-writers", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def in_thread(work):
    """Run ``work`` in a thread of its own (its own connection); return a function that
    waits for it and returns (result or exception, the time it finished)."""
    done = {}

    def run():
        try:
            done["result"] = work()
        except Exception as error:  # handed to the test
            done["result"] = error
        done["at"] = time.monotonic()

    thread = threading.Thread(target=run)
    thread.start()
    return lambda: (thread.join(10), done["result"], done["at"])[1:]


def hold_a_transaction(connection, how):
    """Open a write transaction on ``connection``, hold it HELD seconds, then end it ``how``."""
    cursor = connection.cursor()
    cursor.execute("BEGIN IMMEDIATE")
    cursor.execute("INSERT INTO t (v) VALUES ('first')")
    time.sleep(HELD)
    ended = time.monotonic()
    if how == "commit":
        connection.commit()
    elif how == "COMMIT as SQL":
        cursor.execute("COMMIT")
    else:
        connection.rollback()
    return ended


@pytest.mark.parametrize("how", ["commit", "COMMIT as SQL", "rollback"])
def test_a_writer_waits_its_turn_behind_a_transaction(connect, tmp_path, how):
    second = connect()
    writing = in_thread(lambda: hold_a_transaction(connect(), how))  # a connection is its thread's
    time.sleep(0.1)  # the first writer holds the database
    assert not queue_is_free(tmp_path)

    def write():
        with second.cursor() as cursor:
            cursor.execute("INSERT INTO t (v) VALUES ('second') RETURNING id")
            return cursor.fetchone()[0]

    started = time.monotonic()
    second_id = write()
    finished = time.monotonic()
    held_until, _ = writing()
    assert isinstance(second_id, int)
    assert finished >= held_until, "the second write went ahead of the first transaction"
    assert finished - started >= HELD - 0.15
    assert queue_is_free(tmp_path)
    with second.cursor() as cursor:
        cursor.execute("SELECT v FROM t ORDER BY id")
        expected = [("first",), ("second",)] if how != "rollback" else [("second",)]
        assert cursor.fetchall() == expected


def test_an_insert_returning_its_id_has_committed_and_left_the_queue(connect, tmp_path):
    """SQLite commits an INSERT … RETURNING only once its rows are read: the queue must
    stay taken until then, and the rows still reach the caller."""
    connection = connect()
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO t (v) VALUES ('a'), ('b') RETURNING id, v")
        assert queue_is_free(tmp_path)
        # Committed already: a connection of its own sees both rows.
        other = sqlite3.connect(tmp_path / "queue.sqlite3")
        assert other.execute("SELECT count(*) FROM t").fetchone() == (2,)
        other.close()
        assert cursor.fetchone() == (1, "a")
        assert cursor.fetchall() == [(2, "b")]
        assert cursor.fetchone() is None
        cursor.execute("INSERT INTO t (v) VALUES ('c'), ('d'), ('e') RETURNING v")
        assert cursor.fetchmany(2) == [("c",), ("d",)]
        assert list(cursor) == [("e",)]


def test_a_failed_write_leaves_the_queue(connect, tmp_path):
    connection = connect()
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO t (v) VALUES ('same')")
        with pytest.raises(Exception, match="UNIQUE"):
            cursor.execute("INSERT INTO t (v) VALUES ('same')")
    assert queue_is_free(tmp_path)
    with connection.cursor() as cursor:
        cursor.execute("BEGIN IMMEDIATE")
        with pytest.raises(Exception, match="UNIQUE"):
            cursor.execute("INSERT INTO t (v) VALUES ('same')")
        assert not queue_is_free(tmp_path)  # the transaction is still open
    connection.rollback()
    assert queue_is_free(tmp_path)


def test_closing_a_connection_in_a_transaction_leaves_the_queue(connect, tmp_path):
    connection = connect()
    connection.cursor().execute("BEGIN IMMEDIATE")
    assert not queue_is_free(tmp_path)
    connection.close()
    assert queue_is_free(tmp_path)


def test_reads_never_wait_for_a_writer(connect):
    first, second = connect(), connect()
    with second.cursor() as cursor:
        cursor.execute("INSERT INTO t (v) VALUES ('committed')")
    first.cursor().execute("BEGIN IMMEDIATE")
    first.cursor().execute("INSERT INTO t (v) VALUES ('not yet')")
    started = time.monotonic()
    with second.cursor() as cursor:
        cursor.execute("SELECT v FROM t")
        assert cursor.fetchall() == [("committed",)]
    assert time.monotonic() - started < HELD / 2
    first.rollback()


def test_a_thread_never_waits_for_the_queue_it_holds(connect):
    """Two connections in one thread: the second must not wait for the first's turn (it
    would wait for itself), so SQLite's own wait decides, and ends in an error."""
    first, second = connect(), connect()
    first.cursor().execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(OperationalError, match="locked"):
        second.cursor().execute("INSERT INTO t (v) VALUES ('x')")
    assert time.monotonic() - started < HELD
    first.rollback()
    with second.cursor() as cursor:  # and the queue works for it again
        cursor.execute("INSERT INTO t (v) VALUES ('x')")


def test_a_database_in_memory_has_no_queue(django_db_blocker):
    connection = ConnectionHandler({"default": database_from_url("sqlite://:memory:")})["default"]
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE t (v TEXT)")
        cursor.execute("INSERT INTO t (v) VALUES ('x')")
    assert connection._queue is None
    connection.close()

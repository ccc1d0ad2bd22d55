"""SQLite writers queue for a file lock beside the database (woken the moment
it is free) instead of polling SQLite's lock: miado_events/sqlite_writes.py.

What a user would notice: a rush of writers from several processes all get
through, none of them waits for SQLite's busy handler (these tests give it
no time at all: busy_timeout=0); a failed transaction never keeps the others
out; PostgreSQL takes no file lock."""
from __future__ import annotations

import fcntl
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from miado_events.models.accounts import User
from miado_events.sqlite_writes import WriteLockedConnection, lock_path

ROOT_DIR = Path(__file__).resolve().parents[2]

WRITERS = 4
WRITES_EACH = 40

@pytest.fixture
def sqlite_file(app, db):
    assert db.engine.dialect.name == "sqlite"  # the tests that use it are marked database("sqlite")
    return db.engine.url.database


def lock_is_free(database: str) -> bool:
    """Whether another process could take the write lock right now (a new
    open file: ``flock`` locks of this process's other files count)."""
    with open(lock_path(database), "ab") as other:
        try:
            fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(other.fileno(), fcntl.LOCK_UN)
        return True


WRITER = textwrap.dedent("""
    import sys
    from sqlalchemy import event, text
    from miado_events import create_app
    from miado_events.extensions import db
    from miado_events.models.accounts import User

    database, number, writes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + database, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _no_busy_wait(dbapi_connection, _record):
            # SQLite's busy handler gets no time at all: a writer that found
            # SQLite's lock taken would fail at once with "database is locked".
            dbapi_connection.execute("PRAGMA busy_timeout=0")

        for n in range(writes):
            # A request: it reads first, outside the transaction, then writes and commits.
            db.session.execute(text("SELECT COUNT(*) FROM users")).scalar()
            user = User(email=f"writer{number}-{n}@example.org", name=f"Writer {number}", role="member")
            db.session.add(user)
            db.session.flush()
            user.locale = "tr"
            db.session.commit()
    print("done")
""")


@pytest.mark.database("sqlite")
def test_many_processes_writing_at_once_all_get_through_without_sqlites_busy_wait(sqlite_file, db):
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, sqlite_file, str(n), str(WRITES_EACH)],
                              cwd=ROOT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(WRITERS)]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0 and out.strip() == "done", err[-2000:]
    db.session.expire_all()
    written = db.session.scalar(select(text("COUNT(*)")).select_from(User).where(User.email.like("writer%")))
    assert written == WRITERS * WRITES_EACH
    assert lock_is_free(sqlite_file)


@pytest.mark.database("sqlite")
def test_many_threads_writing_at_once_all_get_through(sqlite_file, app, db):
    @event.listens_for(db.engine, "connect")
    def _no_busy_wait(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    db.engine.dispose()  # new connections, with busy_timeout=0
    failures = []

    def writer(number: int) -> None:
        try:
            with app.app_context():
                for n in range(WRITES_EACH):
                    db.session.add(User(email=f"thread{number}-{n}@example.org", name="Thread",
                                        role="member"))
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 -- reported below
            failures.append(exc)

    try:
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        event.remove(db.engine, "connect", _no_busy_wait)
    assert failures == []
    assert db.session.scalar(
        select(text("COUNT(*)")).select_from(User).where(User.email.like("thread%"))) == WRITERS * WRITES_EACH
    assert lock_is_free(sqlite_file)


@pytest.mark.database("sqlite")
def test_the_lock_is_held_from_the_first_write_to_the_commit_and_never_by_reads(sqlite_file, db, make_user):
    person = make_user()
    db.session.scalar(select(User.name).where(User.id == person.id))
    assert lock_is_free(sqlite_file)  # reading takes no lock
    person.name = "Renamed"
    db.session.flush()
    assert not lock_is_free(sqlite_file)  # the write holds it: other processes wait
    db.session.commit()
    assert lock_is_free(sqlite_file)


@pytest.mark.database("sqlite")
def test_a_failed_transaction_releases_the_lock(sqlite_file, db, make_user):
    person = make_user(email="taken@example.org")
    db.session.add(User(email="first@example.org", name="First", role="member"))
    db.session.flush()
    assert not lock_is_free(sqlite_file)
    db.session.add(User(email=person.email, name="Twin", role="member"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert lock_is_free(sqlite_file)
    # and the next write goes through at once
    db.session.add(User(email="next@example.org", name="Next", role="member"))
    db.session.commit()
    assert db.session.scalar(select(User.name).where(User.email == "first@example.org")) is None


@pytest.mark.database("sqlite")
def test_a_connection_closed_in_the_middle_of_a_write_releases_the_lock(sqlite_file, db, make_user):
    make_user()
    db.session.execute(text("UPDATE users SET name = 'Mid-write'"))
    assert not lock_is_free(sqlite_file)
    db.session.connection().invalidate()  # the connection is closed, as after a lost connection
    db.session.rollback()
    assert lock_is_free(sqlite_file)


@pytest.mark.database("sqlite")
def test_a_second_connection_of_the_same_thread_fails_instead_of_hanging(sqlite_file, app, db, make_user):
    """A thread that writes through two connections at once waits for itself:
    SQLite refuses the second one after its busy_timeout, as without the file
    lock; it must not wait for the file lock it holds itself."""
    make_user()
    db.session.execute(text("UPDATE users SET name = 'First connection'"))
    assert not lock_is_free(sqlite_file)
    outcome = []

    def second_write():
        with db.engine.connect() as other:
            other.exec_driver_sql("PRAGMA busy_timeout=50")
            try:
                other.execute(text("UPDATE users SET locale = 'tr'"))
            except OperationalError as exc:
                outcome.append(str(exc.orig))

    second_write()  # in this thread, which holds the lock through db.session
    assert outcome == ["database is locked"]
    db.session.rollback()
    assert lock_is_free(sqlite_file)


def test_postgresql_and_in_memory_databases_take_no_file_lock(app, db, tmp_path):
    raw = db.session.connection().connection.dbapi_connection
    if db.engine.dialect.name == "postgresql":
        assert not isinstance(raw, WriteLockedConnection)
    else:
        assert isinstance(raw, WriteLockedConnection)
    assert lock_path(":memory:") is None
    memory = create_engine("sqlite://")
    with memory.connect() as conn:
        assert not isinstance(conn.connection.dbapi_connection, WriteLockedConnection)


@pytest.mark.database("sqlite")
def test_commits_wait_for_the_disk_as_configured(sqlite_file, db, tmp_path):
    """SQLITE_SYNCHRONOUS: NORMAL by default (with WAL a commit survives an
    app crash without an fsync each time), FULL when asked for; a value
    SQLite does not know stops the app at start."""
    from miado_events import create_app

    assert db.session.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    uri = f"sqlite:///{tmp_path / 'full.sqlite3'}"
    full = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x", "SQLITE_SYNCHRONOUS": "FULL"})
    with full.app_context():
        from miado_events.extensions import db as full_db

        assert full_db.session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        full_db.session.remove()
        full_db.engine.dispose()
    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS"):
        create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x", "SQLITE_SYNCHRONOUS": "SOMETIMES"})


@pytest.mark.database("sqlite")
def test_a_forked_child_leaves_its_parents_lock_alone(sqlite_file, db, make_user):
    """gunicorn forks its workers and the MSO list PDF is laid out in a forked
    child: a connection the child inherited and drops (or ends) must neither
    release the parent's lock nor fail."""
    import os

    make_user()
    db.session.execute(text("UPDATE users SET name = 'Parent writes'"))
    raw = db.session.connection().connection.dbapi_connection
    pid = os.fork()
    if pid == 0:  # the child: drop what it inherited, as at its exit
        try:
            raw._release_lock()
            os._exit(0)
        except BaseException:  # noqa: BLE001 -- the exit code says it
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not lock_is_free(sqlite_file)  # still the parent's, until its commit
    db.session.commit()
    assert lock_is_free(sqlite_file)

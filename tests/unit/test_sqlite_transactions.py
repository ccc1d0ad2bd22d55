"""One transaction per request, savepoints inside it: a write made in a
savepoint is undone when the request rolls back, on SQLite as on PostgreSQL
(pysqlite's own transaction handling let a savepoint's RELEASE commit)."""
from __future__ import annotations

from sqlalchemy import create_engine, select, text

from miado_events.checkin import services as checkin
from miado_events.models.accounts import User

from .checkin_support import attendances, minutes, seat
from .events_support import SESSION_START


def test_check_in_rolled_back_with_the_request_leaves_no_attendance(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    result = checkin.check_in(staff, event.sessions[0], registration, method="manual",
                              now=SESSION_START - minutes(5))
    assert result.outcome == "checked_in"
    db.session.rollback()  # the request failed after the check-in
    assert attendances(db) == []


def test_write_in_a_savepoint_is_undone_by_the_rollback(db):
    with db.session.begin_nested():
        db.session.add(User(email="savepoint@example.org", name="Savepoint", role="member"))
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.email == "savepoint@example.org")) is None


def test_write_in_a_savepoint_stays_when_the_request_commits(db):
    with db.session.begin_nested():
        db.session.add(User(email="kept@example.org", name="Kept", role="member"))
    db.session.commit()
    db.session.expunge_all()
    assert db.session.scalar(select(User).where(User.email == "kept@example.org")) is not None


def test_a_rolled_back_savepoint_keeps_the_writes_before_it(db):
    db.session.add(User(email="before@example.org", name="Before", role="member"))
    db.session.flush()
    savepoint = db.session.begin_nested()
    db.session.add(User(email="inner@example.org", name="Inner", role="member"))
    db.session.flush()
    savepoint.rollback()
    db.session.commit()
    emails = set(db.session.scalars(select(User.email)))
    assert emails == {"before@example.org"}


def test_read_then_write_succeeds_when_another_process_wrote_in_between(app, db, make_user):
    """A request reads, another process commits a write, then the request
    writes: it must not fail with "database is locked" (on SQLite an explicit
    BEGIN before the first read would hold a stale snapshot here)."""
    person = make_user()
    db.session.scalar(select(User.name).where(User.id == person.id))  # the request reads first
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with other.begin() as conn:  # another process writes and commits
            conn.execute(text("UPDATE users SET locale = 'tr' WHERE id = :id"), {"id": person.id})
    finally:
        other.dispose()
    person.name = "Renamed"
    db.session.commit()
    db.session.expire_all()
    assert (person.name, person.locale) == ("Renamed", "tr")

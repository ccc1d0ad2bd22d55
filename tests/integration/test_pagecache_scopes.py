"""Data versions per scope (miado_events/pagecache.py): a write to one event
leaves the stored pages of the others alone, and never leaves a page stale
that shows what it changed; writers to two events never wait for each other."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from miado_events import pagecache
from miado_events.database import utcnow
from miado_events.events import seats
from miado_events.events.queries import slot_for
from miado_events.extensions import db as _db
from miado_events.models.events import Event, Registration, Slot, Venue
from miado_events.models.pagecache import DataVersion

from ..conftest import count_statements
from .test_event_views import make_event, make_venue
from .test_pagecache import EN, free_seats, statements


@pytest.fixture
def venue(db):
    return make_venue(db)


@pytest.fixture
def two_events(db, venue):
    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    first = make_event(db, "Vereinsrecht kompakt", [start], capacity=3, venue=venue)
    second = make_event(db, "Fördermittel beantragen", [start + timedelta(days=1)], kind="networking",
                        capacity=5, venue=venue)
    return first, second


def seat(db, make_user, event) -> Registration:
    """A confirmed seat taken the way the registration service takes it (the
    slot's counter by a bulk UPDATE, the registration by the ORM), committed."""
    person = make_user()
    slot = slot_for(event.sessions[0])
    assert seats.take_seat(slot, None) is None
    registration = Registration(slot_id=slot.id, event_id=event.id, user_id=person.id, status="confirmed",
                                confirmed_at=utcnow())
    db.session.add(registration)
    db.session.commit()
    return registration


def versions(db) -> dict[str, int]:
    db.session.expire_all()
    return dict(db.session.execute(select(DataVersion.name, DataVersion.version)).all())


def test_a_write_to_one_event_keeps_the_stored_pages_of_another(db, client, make_user, two_events):
    first, second = two_events
    other_pages = [f"/events/{second.id}", f"/sessions/{second.sessions[0].id}"]
    for url in other_pages:
        statements(db, client, url, headers=EN)  # stored
    seat(db, make_user, first)
    for url in other_pages:
        count, _page = statements(db, client, url, headers=EN)
        assert count == 1, url  # the version check only: served from the store
    # The event written to shows the change at once.
    assert free_seats(client.get(f"/events/{first.id}", headers=EN).get_data(as_text=True)) == "2 of 3 seats free"


def test_a_write_to_one_event_changes_the_calendar_and_the_home_page(db, client, make_user, two_events):
    first, _second = two_events
    for url in ("/calendar", "/"):
        statements(db, client, url, headers=EN)
    seat(db, make_user, first)
    assert free_seats(client.get("/calendar", headers=EN).get_data(as_text=True)) == "2 of 3 seats free"
    assert statements(db, client, "/", headers=EN)[0] > 1  # built again


def test_a_venue_change_shows_on_every_event_page(db, client, two_events, venue):
    first, second = two_events
    urls = [f"/events/{first.id}", f"/events/{second.id}", f"/sessions/{second.sessions[0].id}"]
    for url in urls:
        assert "Dietrich-Keuning-Haus" in client.get(url, headers=EN).get_data(as_text=True)
    _db.session.get(Venue, venue.id).name = "Auslandsinstitut"
    _db.session.commit()
    for url in urls:
        page = client.get(url, headers=EN).get_data(as_text=True)
        assert "Auslandsinstitut" in page and "Dietrich-Keuning-Haus" not in page, url


def test_a_seat_taken_and_given_back_raises_only_its_events_version(db, make_user, two_events):
    first, second = two_events
    first_id, second_id, slot_id = first.id, second.id, slot_for(first.sessions[0]).id
    before = versions(db)
    registration_id = seat(db, make_user, first).id
    after_seat = versions(db)
    assert after_seat[f"event:{first.id}"] > before[f"event:{first.id}"]
    assert after_seat[f"event:{second.id}"] == before[f"event:{second.id}"]
    assert after_seat["site"] == before["site"]

    # A cancellation's bulk UPDATE of a registration the session no longer holds loaded.
    db.session.expunge_all()
    db.session.execute(update(Registration).where(Registration.id == registration_id)
                       .values(status="cancelled", cancelled_at=utcnow())
                       .execution_options(synchronize_session=False))
    seats.release_seat(db.session.get(Slot, slot_id), None)
    db.session.commit()
    after_cancel = versions(db)
    assert after_cancel[f"event:{first_id}"] > after_seat[f"event:{first_id}"]
    assert after_cancel[f"event:{second_id}"] == before[f"event:{second_id}"]
    assert after_cancel["site"] == before["site"]


def test_a_bulk_write_whose_event_cannot_be_told_counts_for_every_page(db, client, two_events):
    first, second = two_events
    statements(db, client, f"/events/{second.id}", headers=EN)
    before = versions(db)
    db.session.execute(update(Event).where(Event.title.like("Fördermittel%")).values(title="Projektmittel"))
    db.session.commit()
    assert versions(db)["site"] > before["site"]
    assert "Projektmittel" in client.get(f"/events/{second.id}", headers=EN).get_data(as_text=True)


def test_a_row_deleted_by_id_counts_for_its_event(db, make_user, two_events):
    first_id, second_id = (event.id for event in two_events)
    registration_id = seat(db, make_user, two_events[0]).id
    db.session.expunge_all()
    before = versions(db)
    db.session.execute(Registration.__table__.delete().where(Registration.id == registration_id))
    db.session.commit()
    after = versions(db)
    assert after[f"event:{first_id}"] > before[f"event:{first_id}"]
    assert after["site"] == before["site"] and after[f"event:{second_id}"] == before[f"event:{second_id}"]


def test_scopes_are_raised_in_sorted_order_and_every_commit_raises_the_sum(db, two_events, venue):
    first, second = two_events
    seen = []
    totals = [pagecache.current_version()]

    def record(conn, cursor, statement, parameters, context, executemany):
        if "data_versions" in statement and statement.lstrip().upper().startswith("INSERT"):
            seen.append(next(v for v in (parameters.values() if isinstance(parameters, dict) else parameters)
                             if isinstance(v, str)))

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        for _ in range(5):
            _db.session.get(Event, second.id).capacity += 1
            _db.session.get(Event, first.id).capacity += 1
            _db.session.get(Venue, venue.id).district = "Eving"
            _db.session.commit()
            totals.append(pagecache.current_version())
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
    assert seen[:3] == sorted([f"event:{first.id}", f"event:{second.id}", "site"])
    assert all(a < b for a, b in zip(totals, totals[1:]))
    assert totals[-1] < 2 ** 63


@pytest.mark.database("postgresql")
def test_two_writers_to_different_events_do_not_wait_for_each_other(app, db, make_user, two_events):
    """PostgreSQL: the first writer holds its transaction open after raising
    its version; the second, on another event, must commit within a short
    lock timeout (it waited on the one shared row before)."""
    first, second = two_events
    people = [make_user().id, make_user().id]
    slots = [slot_for(first.sessions[0]).id, slot_for(second.sessions[0]).id]
    events = [first.id, second.id]
    bumped, release = threading.Event(), threading.Event()
    failures = []

    def hold(session):
        if session.info.get("hold_after_bump"):
            bumped.set()
            release.wait(10)

    def write(index: int) -> None:
        slot = _db.session.get(Slot, slots[index])
        assert seats.take_seat(slot, None) is None
        _db.session.add(Registration(slot_id=slot.id, event_id=events[index], user_id=people[index],
                                     status="confirmed", confirmed_at=utcnow()))

    def first_writer():
        with app.app_context():
            try:
                _db.session.info["hold_after_bump"] = True
                write(0)
                _db.session.commit()
            except Exception as error:  # reported to the test below
                failures.append(error)
                bumped.set()
            finally:
                _db.session.info.pop("hold_after_bump", None)
                _db.session.remove()

    sa_event.listen(Session, "before_commit", hold)  # after the page cache's: runs after the raise
    thread = threading.Thread(target=first_writer)
    try:
        thread.start()
        assert bumped.wait(10)
        with app.app_context():
            try:
                _db.session.execute(text("SET LOCAL lock_timeout = '1s'"))
                write(1)
                _db.session.commit()
            finally:
                _db.session.remove()
    finally:
        release.set()
        thread.join(10)
        sa_event.remove(Session, "before_commit", hold)
    assert failures == []
    counts = dict(db.session.execute(select(Registration.event_id, text("count(*)"))
                                     .group_by(Registration.event_id)).all())
    assert counts == {first.id: 1, second.id: 1}


@pytest.mark.parametrize("mode", ["automatic", "offer"])
def test_registering_cancelling_and_taking_an_offered_seat_touch_only_their_event(db, make_user, venue, mode):
    """The hot write paths (registration, cancellation, the waiting list and
    its offers) run bulk statements: each must be placed in its event, never
    in ``site`` (which would make every event page be built again)."""
    from miado_events.events import offers
    from miado_events.events import registration as reg

    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    busy = make_event(db, "Vereinsrecht kompakt", [start], capacity=1, venue=venue, waitlist_mode=mode)
    quiet = make_event(db, "Fördermittel beantragen", [start], venue=venue)
    busy_id = busy.id
    first, second = make_user(), make_user()
    before = versions(db)
    slot = slot_for(busy.sessions[0])
    held = reg.register_participant(first, first, slot).registration
    db.session.commit()
    waiting = reg.register_participant(second, second, slot).registration
    db.session.commit()
    reg.cancel_registration(first, held)
    db.session.commit()
    if mode == "offer":
        offers.accept(offers.open_offer(waiting))
        db.session.commit()
    db.session.refresh(waiting)
    assert waiting.is_confirmed
    after = versions(db)
    assert after[f"event:{busy_id}"] > before[f"event:{busy_id}"]
    assert after["site"] == before["site"]
    assert after[f"event:{quiet.id}"] == before[f"event:{quiet.id}"]


def test_a_registration_leaves_the_mso_list_unread(db, client, make_user, two_events):
    """The MSO list downloads follow the ``site`` version only: after a
    registration they are answered from the copy, with the one version read."""
    from .test_org_views import make_org

    make_org(db, "Brückenbauer e. V.")
    first = client.get("/orgs/list.csv")
    assert first.status_code == 200 and "Brückenbauer" in first.get_data(as_text=True)
    seat(db, make_user, two_events[0])
    with count_statements(db.engine) as seen:
        again = client.get("/orgs/list.csv")
    assert again.data == first.data and len(seen) == 1

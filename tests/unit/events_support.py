"""Shared set-up for the events unit tests: frozen time, helpers and the
seat-counter invariant. The factory fixtures live in ``conftest.py``."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import func, select

from miado_events.events import queries
from miado_events.events import registration as reg
from miado_events.models.events import Event, Registration, Slot, SlotOrgSeats

# Frozen time: nine days before the first session (Wednesday 10 March 2027,
# 18:00–20:00 in Dortmund = 17:00–19:00 UTC, winter time).
NOW = datetime(2027, 3, 1, 10, tzinfo=timezone.utc)
SESSION_DAY = date(2027, 3, 10)
SESSION_START = datetime(2027, 3, 10, 17, tzinfo=timezone.utc)
ONLINE = "https://meet.example.org/mia-do"


def slot_of(event: Event, index: int = 0) -> Slot:
    """The slot one registers for to attend the ``index``-th session."""
    return queries.slot_for(event.sessions[index])


def register(db, participant, slot, org=None, *, actor=None, now=NOW) -> reg.Outcome:
    """Set-up helper: register and commit."""
    outcome = reg.register_participant(actor or participant, participant, slot, org, now=now)
    db.session.commit()
    return outcome


def assert_seat_counters_match(db) -> None:
    """Every seat counter equals the confirmed registrations it counts, and no
    counter is past its limit (read straight from the database)."""
    confirmed = Registration.status == "confirmed"
    per_slot = dict(db.session.execute(
        select(Registration.slot_id, func.count()).where(confirmed)
        .group_by(Registration.slot_id)).all())
    for slot_id, counted, capacity in db.session.execute(
            select(Slot.id, Slot.confirmed_count, Slot.capacity)):
        assert counted == per_slot.get(slot_id, 0), f"slot {slot_id}: counter {counted}"
        assert counted <= capacity
    per_org = {(s, o): n for s, o, n in db.session.execute(
        select(Registration.slot_id, Registration.organisation_id, func.count())
        .where(confirmed, Registration.organisation_id.is_not(None))
        .group_by(Registration.slot_id, Registration.organisation_id))}
    rows = {(s, o): (n, limit) for s, o, n, limit in db.session.execute(
        select(SlotOrgSeats.slot_id, SlotOrgSeats.organisation_id,
               SlotOrgSeats.confirmed_count, SlotOrgSeats.seat_limit))}
    for key, (counted, limit) in rows.items():
        assert counted == per_org.get(key, 0), f"slot/MSO {key}: counter {counted}"
        assert counted <= limit
    limited = set(db.session.scalars(
        select(Slot.id).join(Event, Event.id == Slot.event_id)
        .where(Event.org_seat_limit.is_not(None))))
    for key in per_org:
        if key[0] in limited:
            assert key in rows, f"slot/MSO {key} has confirmed seats but no counter"


def assert_code(excinfo, code: str) -> None:
    assert excinfo.value.code == code


def body(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def status_of(db, registration: Registration) -> str:
    db.session.refresh(registration)
    return registration.status

